"""Ciphertext moved between rows of the database fails to open (DESIGN.md, Keys).

Each test writes real entries through the services, moves one stored part or wrap to
another row with plain SQL, as an attacker with the database would, and shows the read
fails instead of returning someone else's words.

The rules guarded here:

- a part moved to another entry, version, tier or person fails to open;
- a part moved to an entry of another record that the same account can open fails to open,
  though one keychain holds the keys of both records;
- a part moved to another tier of the same entry fails to open, though the keys of both
  tiers are there (``DecryptionFailed``, not a missing key);
- one member's records each open under their own keys in the same request, and each tier
  of an entry is sealed under a content key of its own;
- wraps of record keys and content keys moved between people fail to open;
- a damaged part is the API's 500 "damaged", never a 4xx.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from consent.policy import actor_for_account
from keys.errors import DecryptionFailed, SlotForged
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from vault import accounts
from vault.entries import read_entry, read_version
from vault.errors import NotFound
from vault.models import ContentKey, Entry, EntryPart, EntryVersion, RecordKeySlot
from vault.models import Entry as EntryRow
from vault.models import Person as PersonRow
from vault.people import create_person, require_person

UNREADABLE = (DecryptionFailed, NotFound)


def _read(runtime: Any, person: Person, entry_id: str, version: int | None = None) -> Any:
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, person.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        actor = actor_for_account(session, runtime.config, unlocked)
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
    """The one part of a version written in one tier."""
    with runtime.db.transaction() as session:
        part = session.scalars(select(EntryPart).where(EntryPart.entry_id == entry_id,
                                                       EntryPart.version == version)).one()
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
        sealed, tag = slot.sealed, slot.tag
    # Amy's sealed record key copied into Bob's slot, with Bob's tag and then with Amy's: the
    # tag binds the slot's ids and bytes, so both are refused as planted (decision 0005).
    for moved in ({"sealed": sealed}, {"sealed": sealed, "tag": tag}):
        _sql(runtime, update(RecordKeySlot).where(RecordKeySlot.person_id == bob.person_id)
             .values(**moved))
        with pytest.raises(SlotForged):
            _read(runtime, bob, entry["id"])


def test_a_content_key_moved_to_another_person_fails(client: FlaskClient, runtime: Any,
                                                     amy: Person) -> None:
    bob = make_person(client, name="Bob")
    add_entry(client, amy, "communication", {"text": "Amy's words"})
    entry = add_entry(client, bob, "communication", {"text": "Bob's words"})
    # Each has one content key, of that one section: scopes are keyed per record (decision
    # 0012), so they are found by whose they are.
    with runtime.db.transaction() as session:
        [wrapped] = session.scalars(select(ContentKey.wrapped)
                                    .where(ContentKey.person_id == amy.person_id)).all()
    _sql(runtime, update(ContentKey).where(ContentKey.person_id == bob.person_id)
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


# -- two records of one member, and two tiers of one entry ---------------------------------------
#
# One keychain opens every record of its account and caches each key it opens, so these read
# through one keychain, as one request of the member does. Each record and each tier has keys
# of its own, and each part is bound to its person and tier besides: a moved part fails while
# either holds, so the binding is what must stand if a key were ever handed out for the wrong
# record or tier (the known-answer vectors check the binding itself).


def _second_record(runtime: Any, person: Person, name: str) -> str:
    """Another record whose subject is the same account (DESIGN.md: a parent and a child)."""
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, person.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        return create_person(session, runtime.config, subject=unlocked, preferred_name=name,
                             now=runtime.now()).id


def _read_in_one_request(runtime: Any, person: Person,
                         *wanted: tuple[str, str]) -> list[dict[str, Any]]:
    """Each (record, entry) in ``wanted``, read in turn with the one keychain of ``person``."""
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, person.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        actor = actor_for_account(session, runtime.config, unlocked)
        return [read_entry(session, actor.keychain, require_person(session, record), entry).data
                for record, entry in wanted]


def _write(client: FlaskClient, record: str, section: str, data: dict[str, Any],
           tiers: dict[str, str] | None = None) -> str:
    """An entry written with the signed-in session, which reaches every record of its account."""
    made = client.post(f"/api/v1/people/{record}/entries",
                       json={"section": section, "data": data, "tiers": tiers})
    assert made.status_code == 201, made.json
    return str(made.json["id"])


def _stored_tier(runtime: Any, person: Person, record: str, entry_id: str, tier: str) -> str:
    """What the database calls the tier ``tier`` of an entry's first version: an index bound to
    the row (decision 0014), which only the record's members can work out."""
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, person.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        keychain = actor_for_account(session, runtime.config, unlocked).keychain
        metadata = keychain.metadata(require_person(session, record))
        assert metadata is not None
        return metadata.part_tier(tier, entry=entry_id, version=1)


def _copy_part(runtime: Any, person: Person, *, source: tuple[str, str, str],
               target: tuple[str, str, str]) -> None:
    """Put the sealed part of (record, entry, tier) ``source`` in the row of ``target``."""
    with runtime.db.transaction() as session:
        moved = session.get(EntryPart, (source[1], 1, _stored_tier(runtime, person, *source)))
        assert moved is not None
        session.execute(update(EntryPart).where(
            EntryPart.entry_id == target[1], EntryPart.version == 1,
            EntryPart.tier == _stored_tier(runtime, person, *target))
            .values(ciphertext=moved.ciphertext, wrapped_data_key=moved.wrapped_data_key))


def test_one_members_records_each_open_under_their_own_keys(client: FlaskClient, runtime: Any,
                                                           amy: Person) -> None:
    """Rule: a keychain keeps each record's keys apart, though it opens them all."""
    ben = _second_record(runtime, amy, "Ben")
    client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    mine = _write(client, amy.person_id, "communication", {"text": "Amy's words"})
    his = _write(client, ben, "communication", {"text": "Ben's words"})
    assert _read_in_one_request(runtime, amy, (amy.person_id, mine), (ben, his)) == [
        {"text": "Amy's words"}, {"text": "Ben's words"}]


def test_a_part_moved_to_another_record_of_the_same_member_fails(
    client: FlaskClient, runtime: Any, amy: Person
) -> None:
    """Rule: a part moved into an entry of another record does not open there, though one
    keychain opens both records."""
    ben = _second_record(runtime, amy, "Ben")
    client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    mine = _write(client, amy.person_id, "communication", {"text": "Amy's words"})
    his = _write(client, ben, "communication", {"text": "Ben's words"})
    _copy_part(runtime, amy, source=(amy.person_id, mine, "E"), target=(ben, his, "E"))
    with pytest.raises(DecryptionFailed):
        _read_in_one_request(runtime, amy, (amy.person_id, mine), (ben, his))
    answer = client.get(f"/api/v1/people/{ben}/entries/{his}")
    assert (answer.status_code, answer.json["error"]) == (500, "damaged")


def test_an_entry_moved_to_another_record_of_the_same_member_fails(
    client: FlaskClient, runtime: Any, amy: Person
) -> None:
    """Rule: a part is bound to its person. The entry keeps its id, version, section and tier,
    so nothing but the person tells its part from one of the record it was moved to."""
    ben = _second_record(runtime, amy, "Ben")
    client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    _write(client, ben, "communication", {"text": "Ben's words"})
    kept = _write(client, amy.person_id, "communication", {"text": "Amy's other words"})
    moved = _write(client, amy.person_id, "communication", {"text": "Amy's words"})
    for model in (EntryRow, EntryVersion, EntryPart):
        key = EntryRow.id if model is EntryRow else model.entry_id
        _sql(runtime, update(model).where(key == moved).values(person_id=ben))
    with pytest.raises(DecryptionFailed):
        _read_in_one_request(runtime, amy, (amy.person_id, kept), (ben, moved))
    answer = client.get(f"/api/v1/people/{ben}/entries/{moved}")
    assert (answer.status_code, answer.json["error"]) == (500, "damaged")


def test_each_tier_of_an_entry_has_a_content_key_of_its_own(client: FlaskClient, runtime: Any,
                                                            amy: Person) -> None:
    """Rule: one content key per section and tier (DESIGN.md, Keys), even in one request."""
    client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    _write(client, amy.person_id, "medicines", {"name": "Lamotrigine", "dose": "100 mg"},
           tiers={"name": "E", "dose": "C"})
    with runtime.db.transaction() as session:
        keys = session.execute(select(ContentKey.scope, ContentKey.tier).where(
            ContentKey.person_id == amy.person_id)).all()
    # Both of the one section's scope (its index, decision 0012), one for each tier.
    assert len({scope for scope, _ in keys}) == 1
    assert sorted(tier for _, tier in keys) == ["C", "E"]


def test_a_part_moved_to_another_tier_of_the_same_entry_fails(
    client: FlaskClient, runtime: Any, amy: Person
) -> None:
    """Rule: a part is bound to its tier. Moved into the other tier's row of its own entry,
    whose key exists, it fails to open; it is not merely missing a key."""
    client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    entry = _write(client, amy.person_id, "medicines", {"name": "Lamotrigine", "dose": "100 mg"},
                   tiers={"name": "E", "dose": "C"})
    _copy_part(runtime, amy, source=(amy.person_id, entry, "E"),
               target=(amy.person_id, entry, "C"))
    with pytest.raises(DecryptionFailed):
        _read_in_one_request(runtime, amy, (amy.person_id, entry))
    answer = client.get(f"/api/v1/people/{amy.person_id}/entries/{entry}")
    assert (answer.status_code, answer.json["error"]) == (500, "damaged")
