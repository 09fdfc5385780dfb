"""Listing entries: all of them, those of one section, or those of several (what a link's
copy shows), each decrypting only the entries it lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from keys.keyring import Keyring
from tests.unit.vault.test_vault_attachments import Owner, make_owner
from vault import entries as vault_entries
from vault.errors import UnknownSection

SECTIONS = ("about_me", "communication", "daily_living")


@pytest.fixture
def amy(session: Session, keyring: Keyring, now: datetime) -> Owner:
    return make_owner(session, keyring, now, "amy")


def _write(session: Session, amy: Owner, now: datetime) -> dict[str, list[str]]:
    """Two entries in each section, each a second after the one before: a section lists its
    entries in the order they were made."""
    ids: dict[str, list[str]] = {}
    for n in range(2):
        for k, section in enumerate(SECTIONS):
            made = vault_entries.create_entry(
                session, amy.keychain, amy.person, section=section,
                data={"text": f"{section} {n}"}, now=now + timedelta(seconds=n * 10 + k))
            ids.setdefault(section, []).append(made.id)
    return ids


def test_entries_of_the_sections_asked_for_and_no_others(
        session: Session, amy: Owner, now: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _write(session, amy, now)
    gone = vault_entries.create_entry(session, amy.keychain, amy.person, section="communication",
                                      data={"text": "Soon deleted."}, now=now)
    vault_entries.delete_entry(session, amy.keychain, amy.person, entry_id=gone.id, now=now)
    opened: list[str] = []
    real_open = vault_entries._open_part

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        opened.append(args[2].entry_id)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(vault_entries, "_open_part", counting)

    def listed(**which: Any) -> list[str]:
        opened.clear()
        views = vault_entries.list_entries(session, amy.keychain, amy.person, **which)
        assert sorted(opened) == sorted(v.id for v in views)  # Nothing else was decrypted.
        return [v.id for v in views]

    assert listed() == [*ids["about_me"], *ids["communication"], *ids["daily_living"]]
    assert listed(sections={"daily_living", "about_me"}) == [*ids["about_me"],
                                                            *ids["daily_living"]]
    assert listed(section="communication") == ids["communication"]
    assert listed(sections={"medicines"}) == []
    with pytest.raises(UnknownSection):
        vault_entries.list_entries(session, amy.keychain, amy.person, sections={"nowhere"})
