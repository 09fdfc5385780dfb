"""Ciphertext moved between rows of the database fails to open (DESIGN.md, Keys).

Each test writes real entries through the services, moves one stored part or wrap to
another row with plain SQL, as an attacker with the database would, and shows the read
fails instead of returning someone else's words.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from consent.policy import actor_for_account
from keys.errors import DecryptionFailed
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from vault import accounts
from vault.entries import read_entry, read_version
from vault.errors import NotFound
from vault.models import ContentKey, Entry, EntryPart, RecordKeySlot
from vault.models import Entry as EntryRow
from vault.models import Person as PersonRow
from vault.people import require_person

UNREADABLE = (DecryptionFailed, NotFound)


def _read(runtime: Any, person: Person, entry_id: str, version: int | None = None) -> Any:
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, person.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        actor = actor_for_account(session, unlocked)
        record = require_person(session, person.person_id)
        if version is None:
            return read_entry(session, actor.keychain, record, entry_id).data
        entry = session.get(Entry, entry_id)
        return read_version(session, actor.keychain, record, entry, version).data


def _sql(runtime: Any, statement: Any) -> None:
    with runtime.db.transaction() as session:
        session.execute(statement)


@pytest.fixture
def amy(client: FlaskClient) -> Person:
    return make_person(client)


def test_a_part_moved_to_another_entry_fails(client: FlaskClient, runtime: Any,
                                             amy: Person) -> None:
    first = add_entry(client, amy, "communication", {"text": "first"})
    second = add_entry(client, amy, "communication", {"text": "second"})
    assert _read(runtime, amy, second["id"]) == {"text": "second"}
    _sql(runtime, update(EntryPart).where(EntryPart.entry_id == second["id"])
         .values(ciphertext=_part(runtime, first["id"]).ciphertext,
                 wrapped_data_key=_part(runtime, first["id"]).wrapped_data_key))
    with pytest.raises(UNREADABLE):
        _read(runtime, amy, second["id"])


def _part(runtime: Any, entry_id: str, version: int = 1) -> EntryPart:
    with runtime.db.transaction() as session:
        part = session.get(EntryPart, (entry_id, version, "E"))
        assert part is not None
        session.expunge(part)
        return part


def test_a_part_moved_to_another_version_fails(client: FlaskClient, runtime: Any,
                                               amy: Person) -> None:
    entry = add_entry(client, amy, "communication", {"text": "old words"})
    client.put(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
               json={"data": {"text": "new words"}}, headers=amy.auth)
    old = _part(runtime, entry["id"], 1)
    _sql(runtime, update(EntryPart).where(EntryPart.entry_id == entry["id"],
                                          EntryPart.version == 2)
         .values(ciphertext=old.ciphertext, wrapped_data_key=old.wrapped_data_key))
    with pytest.raises(UNREADABLE):
        _read(runtime, amy, entry["id"])
    assert _read(runtime, amy, entry["id"], version=1) == {"text": "old words"}


def test_a_part_moved_to_another_tier_fails(client: FlaskClient, runtime: Any,
                                            amy: Person) -> None:
    entry = add_entry(client, amy, "communication", {"text": "words"}, tiers={"text": "E"})
    _sql(runtime, update(EntryPart).where(EntryPart.entry_id == entry["id"]).values(tier="C"))
    with pytest.raises(UNREADABLE):
        _read(runtime, amy, entry["id"])


def test_a_part_moved_to_another_person_fails(client: FlaskClient, runtime: Any,
                                              amy: Person) -> None:
    bob = make_person(client, name="Bob")
    theirs = add_entry(client, bob, "communication", {"text": "Bob's words"})
    mine = add_entry(client, amy, "communication", {"text": "Amy's words"})
    stolen = _part(runtime, theirs["id"])
    _sql(runtime, update(EntryPart).where(EntryPart.entry_id == mine["id"])
         .values(ciphertext=stolen.ciphertext, wrapped_data_key=stolen.wrapped_data_key))
    with pytest.raises(UNREADABLE):
        _read(runtime, amy, mine["id"])


def test_a_record_key_slot_moved_to_another_owner_fails(client: FlaskClient, runtime: Any,
                                                        amy: Person) -> None:
    bob = make_person(client, name="Bob")
    entry = add_entry(client, bob, "communication", {"text": "Bob's words"})
    with runtime.db.transaction() as session:
        slot = session.get(RecordKeySlot, (amy.person_id, amy.account_id, 1))
        sealed = slot.sealed
    # Amy's sealed record key, copied into Bob's slot: Bob's key cannot open it.
    _sql(runtime, update(RecordKeySlot).where(RecordKeySlot.person_id == bob.person_id)
         .values(sealed=sealed))
    with pytest.raises(UNREADABLE):
        _read(runtime, bob, entry["id"])


def test_a_content_key_moved_to_another_person_fails(client: FlaskClient, runtime: Any,
                                                     amy: Person) -> None:
    bob = make_person(client, name="Bob")
    add_entry(client, amy, "communication", {"text": "Amy's words"})
    entry = add_entry(client, bob, "communication", {"text": "Bob's words"})
    with runtime.db.transaction() as session:
        amys = session.get(ContentKey, (amy.person_id, "section:communication", "E", 1))
        wrapped = amys.wrapped
    _sql(runtime, update(ContentKey).where(ContentKey.person_id == bob.person_id,
                                           ContentKey.scope == "section:communication")
         .values(wrapped=wrapped))
    with pytest.raises(UNREADABLE):
        _read(runtime, bob, entry["id"])


def test_one_flipped_bit_fails(client: FlaskClient, runtime: Any, amy: Person) -> None:
    entry = add_entry(client, amy, "communication", {"text": "words"})
    part = _part(runtime, entry["id"])
    flipped = bytearray(part.ciphertext)
    flipped[-1] ^= 1
    _sql(runtime, update(EntryPart).where(EntryPart.entry_id == entry["id"])
         .values(ciphertext=bytes(flipped)))
    with pytest.raises(DecryptionFailed):
        _read(runtime, amy, entry["id"])


def test_the_api_says_damaged_not_bad_input(client: FlaskClient, runtime: Any,
                                            amy: Person) -> None:
    entry = add_entry(client, amy, "communication", {"text": "words"})
    _sql(runtime, update(EntryPart).where(EntryPart.entry_id == entry["id"])
         .values(ciphertext=b"\x01" + b"\x00" * 40))
    response = client.get(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                          headers=amy.auth)
    assert response.status_code == 500
    assert response.json["error"] == "damaged"


def test_a_swapped_public_key_is_never_sealed_to(client: FlaskClient, runtime: Any,
                                                 amy: Person) -> None:
    """Someone with the database puts their own audit key on Amy's record: writes that
    would seal history to it are refused, and nothing is written."""


    bob = make_person(client, name="Bob")
    with runtime.db.transaction() as session:
        bobs = session.get(PersonRow, bob.person_id).audit_public_key
    _sql(runtime, update(PersonRow).where(PersonRow.id == amy.person_id)
         .values(audit_public_key=bobs))
    response = client.post(f"/api/v1/people/{amy.person_id}/entries",
                           json={"section": "journal", "data": {"text": "x"}}, headers=amy.auth)
    assert response.status_code == 500
    assert response.json["error"] == "damaged"
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(EntryRow).where(
            EntryRow.person_id == amy.person_id)) == 0
