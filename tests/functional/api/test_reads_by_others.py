"""A read by anyone other than the subject is in the subject's history.

Delegation arrives in a later issue; here a second member is added the way delegation will
add one (a member row and the record key sealed to their account), to show the audit path
that every read already goes through.

The rules guarded here, for every GET under ``/people/{person_id}`` in the OpenAPI document:

- each read a member may make appends one ``record_read`` event, naming the member, to the
  person's chain; the reads only the person may make are refused to the member;
- the person's own reads append no ``record_read``.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from keys.hierarchy import RECORD_KEY
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from vault import accounts, slots
from vault.audit import person_chain, read_events
from vault.keychain import Keychain
from vault.models import Member, RecordKeySlot, new_id
from vault.models import Person as PersonRow
from vault.people import audit_private_key

RECORD = "/api/v1/people/{person_id}"
# Only the person themselves may copy out their record, see their links and who opened
# them, and read their history (consent.lifecycle, consent.sharing, consent.history).
SUBJECT_ONLY_READS = frozenset({"/export", "/links", "/links/{link_id}",
                                "/links/{link_id}/openings", "/history"})
# The record's words, in an entry, an attachment's name and its content.
WORDS = "Lamotrigine"
PDF = b"%PDF-1.4\n% Lamotrigine\n%%EOF\n"


def _make_member(runtime: Any, *, person_id: str, subject_login: str, member_account: str) -> None:
    with runtime.db.transaction() as session:
        subject = accounts.find_account(session, runtime.config, subject_login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, subject, PASSPHRASE)
        person = session.get(PersonRow, person_id)
        record_key = Keychain(session, runtime.config, unlocked).record_key(person)
        # No code adds a member yet (issue 13 will, with the sealer's signature): until then
        # the member seals their own slot, so it carries their own tag (decision 0005).
        member = accounts.unlock_with_passphrase(
            runtime.config, session.get(accounts.Account, member_account), PASSPHRASE)
        session.add(Member(id=new_id(), person_id=person_id, account_id=member_account,
                           role="manager", created_at=datetime.now(UTC)))
        sealed, tag = slots.seal_own_key(member, RECORD_KEY, record_key, person=person_id,
                                         member=member_account, epoch=person.epoch)
        session.add(RecordKeySlot(person_id=person_id, account_id=member_account,
                                  epoch=person.epoch, sealed=sealed, tag=tag))


def sam_signed_in_as_member(runtime: Any, member_client: FlaskClient, amy: Person) -> Person:
    """Sam, a manager of Amy's record, signed in on ``member_client``."""
    sam = make_person(member_client, name="Sam")
    _make_member(runtime, person_id=amy.person_id, subject_login=amy.login,
                 member_account=sam.account_id)
    member_client.post("/api/v1/sessions", json={"login": sam.login, "passphrase": PASSPHRASE})
    return sam


def test_reads_by_a_member_are_audited_and_the_subjects_are_not(
    client: FlaskClient, runtime: Any
) -> None:
    amy = make_person(client)
    entry = add_entry(client, amy, "communication", {"text": "I sign with Makaton."})
    sam = sam_signed_in_as_member(runtime, client, amy)
    people = {p["id"]: p for p in client.get("/api/v1/people").json}
    assert people[amy.person_id] == {"id": amy.person_id, "preferred_name": "Amy",
                                     "role": "manager"}
    read = client.get(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}")
    assert read.json["data"] == {"text": "I sign with Makaton."}
    # Only the person reads their own history.
    assert client.get(f"/api/v1/people/{amy.person_id}/history").status_code == 403
    client.delete("/api/v1/sessions")

    client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth)
    history = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json
    reads = [e for e in history["events"] if e["kind"] == "record_read"]
    assert len(reads) == 1
    assert reads[0]["actor_account_id"] == sam.account_id
    assert reads[0]["details"] == {"what": f"entry:{entry['id']}", "role": "manager"}


def _record_reads(runtime: Any, amy: Person) -> list[str | None]:
    """Who each ``record_read`` event of Amy's chain names, in order, as Amy reads her history:
    the actor is sealed with the details (decision 0015)."""
    with runtime.db.transaction() as session:
        subject = accounts.find_account(session, runtime.config, amy.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, subject, PASSPHRASE)
        private = audit_private_key(Keychain(session, runtime.config, unlocked),
                                    session.get(PersonRow, amy.person_id))
        events = read_events(session, chain=person_chain(amy.person_id), private_key=private)
        return [e.actor_account_id for e in sorted(events, key=lambda e: e.seq)
                if e.kind == "record_read"]


def _something_of_everything(client: FlaskClient, amy: Person) -> dict[str, str]:
    """An entry, an attachment and a link of Amy's: an id for every path parameter."""
    entry = add_entry(client, amy, "medicines", {"name": WORDS, "dose": "100 mg"})
    attachment = client.post(f"/api/v1/people/{amy.person_id}/attachments", headers=amy.auth,
                             data={"section": "medicines",
                                   "file": (io.BytesIO(PDF), f"{WORDS} letter.pdf")},
                             content_type="multipart/form-data")
    assert attachment.status_code == 201, attachment.json
    link = client.post(f"/api/v1/people/{amy.person_id}/links", headers=amy.auth, json={
        "template": "gp", "label": "GP",
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert link.status_code == 201, link.json
    return {"person_id": amy.person_id, "entry_id": entry["id"],
            "attachment_id": attachment.json["id"], "link_id": link.json["id"]}


def _record_reads_in_the_document(client: FlaskClient) -> list[str]:
    """Every GET under /people/{person_id}, as the OpenAPI document lists them."""
    paths = client.get("/api/v1/openapi.json").json["paths"]
    found = [path for path, operations in paths.items()
             if path.startswith(RECORD) and "get" in operations]
    assert len(found) >= 10, found
    return found


def _filled(path: str, ids: dict[str, str]) -> str:
    names = re.findall(r"{(\w+)}", path)
    missing = [name for name in names if name not in ids]
    # A new read with a parameter of its own must be given an id here, not skipped.
    assert not missing, f"no id for {missing} in {path}"
    return path.format(**ids)


def test_every_read_by_a_member_is_audited_and_the_persons_own_are_not(
    client: FlaskClient, other_client: FlaskClient, runtime: Any
) -> None:
    """Rule: each read of the record a member may make appends one record_read naming them,
    each read only the person may make is refused to the member, and the person's own reads
    append none (DESIGN.md, 5)."""
    amy = make_person(client)
    ids = _something_of_everything(client, amy)
    sam = sam_signed_in_as_member(runtime, other_client, amy)
    unaudited, answers = [], {}
    for path in _record_reads_in_the_document(client):
        before = _record_reads(runtime, amy)
        answers[path] = other_client.get(_filled(path, ids)).status_code
        added = _record_reads(runtime, amy)[len(before):]
        if path.removeprefix(RECORD) in SUBJECT_ONLY_READS:
            assert (answers[path], added) == (403, []), path
        elif added != [sam.account_id]:
            unaudited.append((path, answers[path], added))
    assert unaudited == []
    assert all(status == 200 for path, status in answers.items()
               if path.removeprefix(RECORD) not in SUBJECT_ONLY_READS), answers

    for path in _record_reads_in_the_document(client):
        read = client.get(_filled(path, ids), headers=amy.auth)
        assert read.status_code == 200, (path, read.status_code)
    assert _record_reads(runtime, amy) == [sam.account_id] * (
        len(answers) - len(SUBJECT_ONLY_READS))
