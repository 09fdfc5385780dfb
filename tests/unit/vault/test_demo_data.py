"""The demo people in web/demo_data.py are valid records and safe to publish."""

from __future__ import annotations

import re
from typing import Any

import pytest

from vault.sections import SECTIONS, Tier, validate_entry
from web.demo_data import DEMO_ACCOUNTS


def nhs_number_is_valid(number: str) -> bool:
    """Modulus 11: weights 10..2 on the first nine digits; 11 means 0 and 10 means invalid."""
    if not re.fullmatch(r"[0-9]{10}", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def entries() -> list[tuple[str, dict[str, Any]]]:
    return [(account["login"], entry) for account in DEMO_ACCOUNTS for entry in account["entries"]]


def test_the_check_digit_rule_itself() -> None:
    assert nhs_number_is_valid("9434765919")  # The NHS's own published example.
    assert not nhs_number_is_valid("9434765918")
    assert not nhs_number_is_valid("943476591")


def test_there_are_at_least_three_accounts_with_unique_logins() -> None:
    assert len(DEMO_ACCOUNTS) >= 3
    logins = [a["login"] for a in DEMO_ACCOUNTS]
    assert len(logins) == len(set(logins))
    assert all(login == login.lower() and login.strip() == login for login in logins)
    emails = [a["email"] for a in DEMO_ACCOUNTS]
    assert len(emails) == len(set(emails))
    assert all(e.endswith("@example.org") for e in emails)


def test_passphrases_are_long_word_phrases() -> None:
    for account in DEMO_ACCOUNTS:
        phrase = account["passphrase"]
        assert len(phrase) >= 15
        words = phrase.split(" ")
        assert len(words) >= 4
        assert all(w.isalpha() and w.islower() for w in words)
    assert len({a["passphrase"] for a in DEMO_ACCOUNTS}) == len(DEMO_ACCOUNTS)


@pytest.mark.parametrize(("login", "entry"), entries(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_demo_entry_is_valid(login: str, entry: dict[str, Any]) -> None:
    assert set(entry) <= {"section", "data", "tiers"}
    data, tiers = validate_entry(entry["section"], entry["data"], entry.get("tiers"))
    # Demo data is written clean: validation must not have had to drop or change anything.
    assert data == entry["data"], login
    assert set(tiers) == set(data)


def test_each_person_fills_enough_sections() -> None:
    for account in DEMO_ACCOUNTS:
        sections = {e["section"] for e in account["entries"]}
        # The Shared Lives carer keeps a shorter record of her own.
        minimum = 4 if account["login"] == "helen" else 5
        assert len(sections) >= minimum, account["login"]


def test_demo_nhs_numbers_are_test_range_and_pass_modulus_11() -> None:
    numbers = [
        e["data"]["nhs_number"]
        for a in DEMO_ACCOUNTS
        for e in a["entries"]
        if e["section"] == "identity" and "nhs_number" in e["data"]
    ]
    assert len(numbers) == len(DEMO_ACCOUNTS)
    for number in numbers:
        assert number.startswith("999")
        assert nhs_number_is_valid(number), number


def test_preferred_name_matches_the_identity_entry() -> None:
    for account in DEMO_ACCOUNTS:
        identity = [e for e in account["entries"] if e["section"] == "identity"]
        assert len(identity) == 1
        assert identity[0]["data"]["preferred_name"] == account["preferred_name"]


def test_rosie_shows_the_medicine_indicators() -> None:
    """Rosie's risperidone has a reason, no reduction plan and a review due in 2025: the record flags it."""
    rosie = next(a for a in DEMO_ACCOUNTS if a["login"] == "rosie")
    meds = {e["data"]["name"]: e["data"] for e in rosie["entries"] if e["section"] == "medicines"}
    risperidone = meds["Risperidone"]
    assert risperidone["psychotropic"] is True
    assert risperidone["reason"]
    assert "reduction_plan" not in risperidone
    assert risperidone["next_review"].startswith("2025-")
    midazolam = meds["Buccal midazolam"]
    protocol = [f.name for f in SECTIONS["medicines"].fields if f.name.startswith("prn_")]
    assert all(midazolam.get(name) for name in protocol)
    _, tiers = validate_entry("medicines", midazolam)
    assert {tiers[name] for name in protocol} == {Tier.E}


def test_rosie_has_a_do_not_talk_to_rule() -> None:
    rosie = next(a for a in DEMO_ACCOUNTS if a["login"] == "rosie")
    rules = [
        item
        for e in rosie["entries"]
        if e["section"] == "people"
        for item in e["data"].get("do_not_talk_about", [])
    ]
    assert rules
    assert all(item.get("section") in SECTIONS for item in rules)
