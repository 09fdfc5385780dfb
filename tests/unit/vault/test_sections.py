"""The section schema (RECORD.md as data) and validate_entry."""

from __future__ import annotations

import re
from typing import Any

import pytest

from vault.errors import InvalidEntry, UnknownSection
from vault.sections import (
    EMERGENCY_CONTACT_FIELDS,
    MAX_STRING,
    MAX_TEXT,
    SECTION_NAMES,
    SECTIONS,
    TIER_RANK,
    Field,
    FieldType,
    Section,
    Tier,
    get_section,
    validate_entry,
)

EXPECTED_NAMES = (
    "identity",
    "about_me",
    "communication",
    "adjustments",
    "upsets",
    "daily_living",
    "conditions",
    "allergies",
    "medicines",
    "health_plan",
    "support_plan",
    "future_plans",
    "people",
    "legal",
    "good_life",
    "missing_person",
    "journal",
    "sensitive_history",
)

SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

# Fields with no FHIR R4 target, each for a stated reason. Adding a field without a target means
# adding it here, on purpose.
NO_FHIR_TARGET = {
    # No FHIR R4 or UK Core element says "psychotropic"; the class follows from the dm+d code.
    ("medicines", "psychotropic"),
    # The journal is private and never exported as FHIR.
    ("journal", "title"),
    ("journal", "date"),
}


def all_fields() -> list[tuple[Section, Field]]:
    return [(s, f) for s in SECTIONS.values() for f in s.fields]


def rejects(section: str, data: object, tiers: object | None = None) -> InvalidEntry:
    with pytest.raises(InvalidEntry) as caught:
        validate_entry(section, data, tiers)
    assert caught.value.message
    assert caught.value.code == "invalid_entry"
    return caught.value


# --- the schema --------------------------------------------------------------------------------------


def test_sections_are_the_eighteen_of_record_md_in_order() -> None:
    assert tuple(SECTIONS) == EXPECTED_NAMES
    assert SECTION_NAMES == EXPECTED_NAMES
    assert [s.number for s in SECTIONS.values()] == list(range(1, 19))
    for name, section in SECTIONS.items():
        assert section.name == name
        assert get_section(name) is section
        assert section.title
        assert section.purpose


def test_get_section_rejects_unknown_names() -> None:
    with pytest.raises(UnknownSection):
        get_section("diary")
    with pytest.raises(UnknownSection):
        validate_entry("diary", {"text": "hello"})


def test_tiers_rank_from_emergency_to_private() -> None:
    assert [t.value for t in sorted(Tier, key=TIER_RANK.__getitem__)] == ["E", "C", "S", "P"]
    assert set(TIER_RANK) == set(Tier)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_every_section_starts_with_own_words(name: str) -> None:
    first = SECTIONS[name].fields[0]
    assert first.name == "text"
    assert first.type is FieldType.TEXT
    assert first.label


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_field_names_are_unique_snake_case(name: str) -> None:
    fields = SECTIONS[name].fields
    names = [f.name for f in fields]
    assert len(names) == len(set(names))
    for f in fields:
        assert SNAKE.match(f.name), f.name
        item_names = [i.name for i in f.item_fields]
        assert len(item_names) == len(set(item_names))
        assert all(SNAKE.match(n) for n in item_names)


def test_every_field_has_a_label_and_a_valid_tier() -> None:
    for section, f in all_fields():
        assert f.label.strip(), (section.name, f.name)
        assert isinstance(f.tier, Tier)
        for item in f.item_fields:
            assert item.label.strip()
            assert item.type is not FieldType.LIST


def test_choice_fields_have_snake_case_choices_and_lists_have_items() -> None:
    for _, f in all_fields():
        assert (f.type is FieldType.CHOICE) == bool(f.choices)
        assert all(SNAKE.match(c) for c in f.choices)
        assert (f.type is FieldType.LIST) == bool(f.item_fields)


def test_every_non_text_field_has_a_fhir_target_unless_listed() -> None:
    missing = {(s.name, f.name) for s, f in all_fields() if f.name != "text" and not f.fhir}
    assert missing == NO_FHIR_TARGET


def test_journal_is_always_private_and_sensitive_history_always_sensitive() -> None:
    assert SECTIONS["journal"].fixed_tier is Tier.P
    assert SECTIONS["sensitive_history"].fixed_tier is Tier.S
    assert all(f.tier is Tier.P for f in SECTIONS["journal"].fields)
    assert all(f.tier is Tier.S for f in SECTIONS["sensitive_history"].fields)
    others = [s for s in SECTIONS.values() if s.name not in ("journal", "sensitive_history")]
    assert all(s.fixed_tier is None for s in others)


def test_a_section_with_a_fixed_tier_cannot_hold_a_field_at_another() -> None:
    with pytest.raises(ValueError, match="fixed tier"):
        Section("x", 1, "X", "X.", (Field("text", FieldType.TEXT, "Words", tier=Tier.C),), True, Tier.P)


def test_medicine_tiers_and_summary_follow_record_md() -> None:
    meds = SECTIONS["medicines"]
    emergency = ["name", "dose", "when", "how_taken", "prn", "prn_when", "prn_signs", "prn_try_first",
                 "prn_dose", "prn_max_24h", "prn_min_gap"]
    care_team = ["reason", "target_symptom", "reduction_plan", "reviews"]
    for name in emergency:
        assert meds.field(name).tier is Tier.E, name
    for name in care_team:
        assert meds.field(name).tier is Tier.C, name
    assert meds.summary_fields() == ("name", "dose", "when")
    assert meds.field("psychotropic").type is FieldType.BOOLEAN
    reviews = meds.field("reviews")
    assert reviews.type is FieldType.LIST
    item_names = [i.name for i in reviews.item_fields]
    assert item_names == ["date", "who_took_part", "my_views", "outcome", "next_date"]
    assert meds.repeating


def test_other_tiers_record_md_names() -> None:
    assert SECTIONS["about_me"].summary_fields() == ("most_important",)
    assert SECTIONS["about_me"].field("life_history").tier is Tier.S
    identity = SECTIONS["identity"]
    assert identity.field("preferred_name").tier is Tier.E
    assert identity.field("preferred_name").label == "Name I like to be called"
    assert identity.field("preferred_name").fhir == "Patient.name.text (use=usual)"
    assert identity.field("date_of_birth").type is FieldType.DATE
    support = SECTIONS["support_plan"]
    assert {support.field(n).tier for n in ("budget_type", "budget_amount", "money_manager")} == {Tier.S}
    assert SECTIONS["upsets"].field("detail").tier is Tier.S
    assert SECTIONS["daily_living"].field("choking_risk").tier is Tier.E
    assert SECTIONS["daily_living"].field("sleep").tier is Tier.C
    assert set(SECTIONS["allergies"].field("status").choices) == {"known", "none_known", "not_known"}
    plans = SECTIONS["future_plans"]
    assert set(plans.field("kind").choices) == {
        "respect", "dnacpr", "advance_decision", "advance_statement", "crisis_plan", "organ_donation",
        "other"}
    assert plans.field("original_location").tier is Tier.E
    assert plans.field("what_it_says").tier is Tier.C
    for section in ("good_life", "missing_person"):
        assert {f.tier for f in SECTIONS[section].fields} == {Tier.P}
    legal = SECTIONS["legal"]
    assert legal.field("registered").type is FieldType.BOOLEAN
    assert legal.field("life_sustaining").type is FieldType.BOOLEAN


def test_repeating_sections() -> None:
    repeating = {n for n, s in SECTIONS.items() if s.repeating}
    assert repeating >= {"conditions", "allergies", "medicines", "health_plan", "future_plans", "people",
                         "legal", "good_life", "journal", "sensitive_history"}
    assert not repeating & {"identity", "about_me", "communication"}


def test_section_field_lookup() -> None:
    meds = SECTIONS["medicines"]
    assert meds.field("dose").name == "dose"
    with pytest.raises(InvalidEntry) as caught:
        meds.field("colour")
    assert caught.value.field == "colour"


# --- validate_entry: what it accepts ----------------------------------------------------------------


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_own_words_alone_is_a_valid_entry(name: str) -> None:
    data, tiers = validate_entry(name, {"text": "  In my own words.\r\nSecond line.\t "})
    assert data == {"text": "In my own words.\nSecond line."}
    assert tiers == {"text": SECTIONS[name].fields[0].tier}


def test_cleaning_strips_and_drops_empty_values() -> None:
    data, tiers = validate_entry(
        "identity",
        {
            "text": "   ",
            "preferred_name": "  Amy ",
            "pronouns": None,
            "languages": ["English", "  ", "BSL ", None],
            "gp_practice": "",
            "interpreter_needed": False,
        },
    )
    assert data == {"preferred_name": "Amy", "languages": ["English", "BSL"], "interpreter_needed": False}
    assert set(tiers) == set(data)


def test_a_structured_field_alone_is_enough() -> None:
    data, tiers = validate_entry("allergies", {"status": "none_known"})
    assert data == {"status": "none_known"}
    assert tiers == {"status": Tier.E}


def test_full_medicine_with_reviews() -> None:
    entry = {
        "name": "Risperidone",
        "dose": "0.5 mg",
        "when": "At night",
        "psychotropic": True,
        "reason": "Started when I was upset a lot at college.",
        "next_review": "2025-03-01",
        "reviews": [
            {"date": "2024-03-01", "who_took_part": "Me, Mum, Dr Shah", "my_views": "I feel sleepy."},
            {},
            {"date": " 2024-09-01 ", "outcome": "Keep the same for now.", "next_date": "2025-03-01"},
        ],
    }
    data, tiers = validate_entry("medicines", entry)
    assert data["reviews"] == [
        {"date": "2024-03-01", "who_took_part": "Me, Mum, Dr Shah", "my_views": "I feel sleepy."},
        {"date": "2024-09-01", "outcome": "Keep the same for now.", "next_date": "2025-03-01"},
    ]
    assert tiers == {
        "name": Tier.E, "dose": Tier.E, "when": Tier.E, "reason": Tier.C, "next_review": Tier.C,
        "psychotropic": Tier.C, "reviews": Tier.C,
    }
    assert list(data) == [f.name for f in SECTIONS["medicines"].fields if f.name in data]


def test_text_may_hold_line_breaks_and_tabs_but_string_may_not() -> None:
    data, _ = validate_entry("medicines", {"text": "one\n\ttwo", "name": "Paracetamol"})
    assert data["text"] == "one\n\ttwo"


def test_limits_are_inclusive() -> None:
    data, _ = validate_entry("medicines", {"name": "x" * MAX_STRING, "text": "y" * MAX_TEXT})
    assert len(data["name"]) == MAX_STRING
    assert len(data["text"]) == MAX_TEXT


def test_tier_map_covers_exactly_the_present_fields_and_applies_overrides() -> None:
    data, tiers = validate_entry(
        "medicines",
        {"name": "Sertraline", "dose": "50 mg", "reason": "Low mood"},
        {"name": "C", "reason": "S", "reduction_plan": "E"},
    )
    assert set(tiers) == set(data) == {"name", "dose", "reason"}
    assert tiers == {"name": Tier.C, "dose": Tier.E, "reason": Tier.S}
    assert all(isinstance(t, Tier) for t in tiers.values())


def test_fixed_tier_sections_accept_their_own_tier_and_apply_it() -> None:
    _, tiers = validate_entry("journal", {"text": "Draft", "title": "Monday"}, {"text": "P"})
    assert tiers == {"text": Tier.P, "title": Tier.P}
    _, tiers = validate_entry("sensitive_history", {"text": "Something hard.", "topic": "trauma"})
    assert tiers == {"text": Tier.S, "topic": Tier.S}


def test_emergency_contact_details_default_to_emergency() -> None:
    person = {"name": "Sue", "relationship": "Shared Lives carer", "phone": "07700 900123",
              "email": "sue@example.org"}
    _, tiers = validate_entry("people", {**person, "emergency_contact": True})
    for name in EMERGENCY_CONTACT_FIELDS:
        if name in person:
            assert tiers[name] is Tier.E, name
    assert tiers["email"] is Tier.C
    _, tiers = validate_entry("people", {**person, "emergency_contact": False})
    assert tiers["name"] is Tier.C
    assert tiers["phone"] is Tier.C
    _, tiers = validate_entry("people", {**person, "emergency_contact": True}, {"phone": "C"})
    assert tiers["phone"] is Tier.C


def test_do_not_talk_about_points_at_a_section() -> None:
    data, _ = validate_entry(
        "people",
        {"name": "Uncle Ray", "do_not_talk_about": [{"about": "My medicines", "section": "medicines"}]},
    )
    assert data["do_not_talk_about"] == [{"about": "My medicines", "section": "medicines"}]


# --- validate_entry: what it rejects, and where ----------------------------------------------------


def test_empty_entry_is_rejected() -> None:
    empties: list[dict[str, Any]] = [
        {}, {"text": "  "}, {"text": None, "languages": [], "preferred_name": ""}]
    for data in empties:
        error = rejects("identity", data)
        assert error.message == "Write something in your own words, or fill in at least one other box."


def test_entry_must_be_a_dict() -> None:
    for data in (None, "text", ["text"], 3):
        assert rejects("identity", data).field is None


@pytest.mark.parametrize(
    ("section", "data", "field"),
    [
        pytest.param("identity", {"text": "x", "favourite_colour": "blue"}, "favourite_colour", id="unknown"),
        pytest.param("identity", {"preferred_name": 7}, "preferred_name", id="int-as-string"),
        pytest.param("identity", {"preferred_name": ["Amy"]}, "preferred_name", id="list-as-string"),
        pytest.param("identity", {"interpreter_needed": "yes"}, "interpreter_needed", id="string-as-bool"),
        pytest.param("identity", {"interpreter_needed": 1}, "interpreter_needed", id="int-as-bool"),
        pytest.param("good_life", {"friends_seen_count": True}, "friends_seen_count", id="bool-as-int"),
        pytest.param("good_life", {"friends_seen_count": "3"}, "friends_seen_count", id="string-as-int"),
        pytest.param("good_life", {"friends_seen_count": 2.0}, "friends_seen_count", id="float-as-int"),
        pytest.param("good_life", {"friends_seen_count": -1}, "friends_seen_count", id="negative-int"),
        pytest.param(
            "identity", {"preferred_name": "x" * (MAX_STRING + 1)}, "preferred_name", id="long-string"
        ),
        pytest.param("about_me", {"text": "x" * (MAX_TEXT + 1)}, "text", id="long-text"),
        pytest.param("identity", {"preferred_name": "Amy\nJones"}, "preferred_name", id="newline-in-string"),
        pytest.param("identity", {"preferred_name": "Amy\rJones"}, "preferred_name", id="cr-in-string"),
        pytest.param("identity", {"preferred_name": "Amy\tJones"}, "preferred_name", id="tab-in-string"),
        pytest.param("identity", {"preferred_name": "Amy\u2028Jones"}, "preferred_name", id="line-sep"),
        pytest.param("about_me", {"text": "bell\x07"}, "text", id="control-in-text"),
        pytest.param("about_me", {"text": "lone \ud800 surrogate"}, "text", id="surrogate-in-text"),
        pytest.param("identity", {"date_of_birth": "2003-02-30"}, "date_of_birth", id="impossible-date"),
        pytest.param("identity", {"date_of_birth": "12/03/2003"}, "date_of_birth", id="uk-date"),
        pytest.param("identity", {"date_of_birth": "20030312"}, "date_of_birth", id="compact-date"),
        pytest.param("identity", {"date_of_birth": 20030312}, "date_of_birth", id="int-date"),
        pytest.param("allergies", {"severity": "very_bad"}, "severity", id="bad-choice"),
        pytest.param("allergies", {"severity": "Severe"}, "severity", id="choice-is-a-code"),
        pytest.param("identity", {"languages": "English"}, "languages", id="string-as-strings"),
        pytest.param("identity", {"languages": ["English", 3]}, "languages[1]", id="bad-strings-item"),
        pytest.param("identity", {"languages": ["x"] * 51}, "languages", id="too-many-strings"),
        pytest.param("medicines", {"reviews": {"date": "2024-01-01"}}, "reviews", id="dict-as-list"),
        pytest.param("medicines", {"reviews": [{"date": "2024-01-01"}, "yes"]}, "reviews[1]", id="list-item"),
        pytest.param(
            "medicines", {"reviews": [{"date": "2024-01-01", "mood": "ok"}]}, "reviews[0].mood", id="item-key"
        ),
        pytest.param(
            "medicines",
            {"reviews": [{"date": "2024-01-01"}, {"date": "2024-06-01"}, {"date": "2024-13-01"}]},
            "reviews[2].date",
            id="bad-item-date",
        ),
        pytest.param(
            "medicines",
            {"reviews": [{"date": "2024-01-01"}, {"my_views": "Fine"}]},
            "reviews[1].date",
            id="missing-required",
        ),
        pytest.param(
            "medicines", {"reviews": [{"date": "2024-01-01"}] * 101}, "reviews", id="too-many-items"
        ),
        pytest.param(
            "people",
            {"do_not_talk_about": [{"about": "money", "section": "bank"}]},
            "do_not_talk_about[0].section",
            id="bad-item-choice",
        ),
    ],
)
def test_bad_input_is_rejected_naming_the_field(section: str, data: dict[str, Any], field: str) -> None:
    assert rejects(section, data).field == field


def test_error_messages_name_the_box_in_plain_words() -> None:
    error = rejects("identity", {"date_of_birth": "12/03/2003"})
    assert '"My date of birth"' in error.message
    assert "YYYY-MM-DD" in error.message
    error = rejects("allergies", {"severity": "awful"})
    assert "mild, moderate, severe, not_sure" in error.message
    error = rejects("medicines", {"reviews": [{"my_views": "Fine"}]})
    assert '"Date of the review"' in error.message


def test_first_problem_is_reported() -> None:
    error = rejects("identity", {"preferred_name": 1, "date_of_birth": "soon"})
    assert error.field == "preferred_name"


@pytest.mark.parametrize(
    ("section", "tiers", "field"),
    [
        pytest.param("medicines", {"colour": "E"}, "tiers.colour", id="unknown-field"),
        pytest.param("medicines", {"dose": "X"}, "tiers.dose", id="bad-value"),
        pytest.param("medicines", {"dose": "e"}, "tiers.dose", id="lower-case"),
        pytest.param("medicines", {"dose": 0}, "tiers.dose", id="number"),
        pytest.param("medicines", ["E"], "tiers", id="not-a-dict"),
        pytest.param("journal", {"text": "C"}, "tiers.text", id="override-fixed-p"),
        pytest.param("sensitive_history", {"topic": "P"}, "tiers.topic", id="override-fixed-s"),
    ],
)
def test_bad_tiers_are_rejected(section: str, tiers: object, field: str) -> None:
    data = {"text": "Something", "dose": "1 tablet"} if section == "medicines" else {"text": "Something"}
    assert rejects(section, data, tiers).field == field


@pytest.mark.parametrize("number", ["943 476 5919", "9434765919", "943-476-5919"])
def test_a_real_nhs_number_is_kept_as_ten_digits(number: str) -> None:
    data, _ = validate_entry("identity", {"nhs_number": number})
    assert data["nhs_number"] == "9434765919"


@pytest.mark.parametrize("number", ["9434765918", "943476591", "94347659190", "abcdefghij",
                                    "1234567890"])
def test_a_wrong_nhs_number_is_refused(number: str) -> None:
    with pytest.raises(InvalidEntry) as caught:
        validate_entry("identity", {"nhs_number": number})
    assert caught.value.field == "nhs_number"
