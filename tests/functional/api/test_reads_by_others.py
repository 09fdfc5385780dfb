"""A read by anyone other than the subject is in the subject's history.

Delegation arrives in a later issue; here a second member is added the way delegation will
add one (a member row and the record key sealed to their account), to show the audit path
that every read already goes through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from keys.hierarchy import RECORD_KEY
from tests.factories import PASSPHRASE, add_entry, make_person
from vault import accounts
from vault.keychain import Keychain
from vault.models import Member, Person, RecordKeySlot, new_id


def _make_member(runtime: Any, *, person_id: str, subject_login: str, member_account: str) -> None:
    with runtime.db.transaction() as session:
        subject = accounts.find_account(session, subject_login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, subject, PASSPHRASE)
        person = session.get(Person, person_id)
        record_key = Keychain(session, unlocked).record_key(person)
        member = session.get(accounts.Account, member_account)
        public = accounts.public_key_of(runtime.config, member)
        session.add(Member(id=new_id(), person_id=person_id, account_id=member_account,
                           role="manager", created_at=datetime.now(UTC)))
        session.add(RecordKeySlot(person_id=person_id, account_id=member_account,
                                  epoch=person.epoch,
                                  sealed=RECORD_KEY.seal(public, record_key, person=person_id,
                                                         member=member_account,
                                                         epoch=person.epoch)))


def test_reads_by_a_member_are_audited_and_the_subjects_are_not(
    client: FlaskClient, runtime: Any
) -> None:
    amy = make_person(client)
    entry = add_entry(client, amy, "communication", {"text": "I sign with Makaton."})
    sam = make_person(client, name="Sam")
    _make_member(runtime, person_id=amy.person_id, subject_login=amy.login,
                 member_account=sam.account_id)
    client.post("/api/v1/sessions", json={"login": sam.login, "passphrase": PASSPHRASE})
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
