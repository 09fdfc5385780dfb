"""The history cannot be rewritten unseen (decision 0004).

Each test is an attacker holding a writable copy of the database and the project's own code,
but not the keyring: they can seal details to the person's audit public key (anyone can) and
recompute SHA-256 links, as the outside review did. Whatever they do is found by
``verify_history`` (what `tellonce audit verify` and `tellonce check` run), naming the first
bad event, and the person is told on their sharing page and in the API's history. A last test
is the operator, who holds the keyring: only a head the person kept catches them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consent.history import verify_history
from keys import hybrid
from keys.hierarchy import audit_event_binding
from keys.keyring import Keyring
from tests.factories import Person, make_person
from tests.functional.api.test_links import make_link, open_link
from tests.functional.web.test_pages import person_url, sign_up
from tests.unit.keys.reference import ref
from vault import audit, payloads
from vault.db import Database
from vault.models import AuditEvent, AuditHead
from vault.models import Person as PersonRow

Attack = Callable[[Session, str], int]  # Changes the chain; returns the seq to be named.


@pytest.fixture
def amy(client: FlaskClient) -> Person:
    """Amy, one link, and two real openings of it."""
    amy = make_person(client)
    link = make_link(client, amy)
    for recipient in ("Dr B Real, Leeds Road Surgery", "Nurse C Real, Ward 4"):
        assert open_link(client, link["url"], recipient=recipient).status_code == 200
    return amy


def _events(session: Session, chain: str) -> list[AuditEvent]:
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def _forged_opening(session: Session, chain: str, seq: int, at: datetime) -> AuditEvent:
    """A "link_opened" sealed to the person's audit public key, which anyone can do."""
    person = session.get(PersonRow, chain.removeprefix("person:"))
    assert person is not None
    details = {"link": "forged", "recipient": "Dr A Patel"}
    sealed = hybrid.seal_to(hybrid.PublicKey(person.audit_public_key), payloads.encode(details),
                            info=audit_event_binding(chain=chain, seq=seq))
    return AuditEvent(chain=chain, seq=seq, at=at, kind="link_opened", actor_account_id=None,
                      sealed=sealed, prev_hash=b"", hash=b"", key_id=None)


def _relink_as_v1(session: Session, chain: str, events: list[AuditEvent]) -> None:
    """Renumber and rehash ``events`` as an unkeyed v1 chain, and move the head to its end:
    everything an attacker without the keyring can compute."""
    session.execute(delete(AuditEvent).where(AuditEvent.chain == chain))
    session.flush()
    prev = audit.GENESIS
    for seq, old in enumerate(events, start=1):
        event = AuditEvent(chain=chain, seq=seq, at=old.at, kind=old.kind,
                           actor_account_id=old.actor_account_id, sealed=old.sealed,
                           prev_hash=prev, hash=b"", key_id=None)
        event.hash = audit._event_hash(prev, event)
        session.add(event)
        prev = event.hash
    head = session.get(AuditHead, chain)
    assert head is not None
    head.seq, head.hash = len(events), prev
    session.flush()


def the_reviews_attack(session: Session, chain: str) -> int:
    """Delete the two real openings, add a forged one, recompute the chain and its head."""
    kept = [e for e in _events(session, chain) if e.kind != "link_opened"]
    session.expunge_all()
    forged = _forged_opening(session, chain, len(kept) + 1, kept[-1].at + timedelta(seconds=1))
    _relink_as_v1(session, chain, [*kept, forged])
    return 0  # Every link now checks as v1: what gives it away is the head, unsigned.


def change_a_kind(session: Session, chain: str) -> int:
    event = _events(session, chain)[-1]
    event.kind = "record_exported"
    return event.seq


def delete_one_in_the_middle(session: Session, chain: str) -> int:
    events = _events(session, chain)
    session.delete(events[1])
    return events[1].seq


def swap_two(session: Session, chain: str) -> int:
    first, second = _events(session, chain)[1:3]
    first.at, second.at = second.at, first.at
    first.sealed, second.sealed = second.sealed, first.sealed
    first.kind, second.kind = second.kind, first.kind
    return first.seq


def truncate_the_newest(session: Session, chain: str) -> int:
    events = _events(session, chain)
    session.delete(events[-1])
    head = session.get(AuditHead, chain)
    assert head is not None
    head.seq, head.hash = events[-2].seq, events[-2].hash
    return 0  # Nothing inside is wrong: the head is what is not signed.


def forge_one_at_the_end(session: Session, chain: str) -> int:
    events = _events(session, chain)
    forged = _forged_opening(session, chain, len(events) + 1, events[-1].at)
    forged.prev_hash, forged.key_id = events[-1].hash, events[-1].key_id
    forged.hash = bytes(32)  # The MAC cannot be computed without the keyring.
    session.add(forged)
    head = session.get(AuditHead, chain)
    assert head is not None
    head.seq, head.hash = forged.seq, forged.hash
    return forged.seq


def downgrade_every_event_to_v1(session: Session, chain: str) -> int:
    events = _events(session, chain)
    session.expunge_all()
    _relink_as_v1(session, chain, events)
    return 0


def pass_a_v3_event_off_as_v2(session: Session, chain: str) -> int:
    """Decision 0015: the actor is sealed; clearing the format to show one in the column."""
    event = _events(session, chain)[-1]
    assert event.format == audit.V3
    event.format, event.actor_account_id = None, event.chain.removeprefix("person:")
    return event.seq


def name_an_actor_beside_the_sealed_one(session: Session, chain: str) -> int:
    event = _events(session, chain)[-1]
    event.actor_account_id = "someone-who-did-not-act"
    return event.seq


def delete_the_whole_chain(session: Session, chain: str) -> int:
    session.execute(delete(AuditEvent).where(AuditEvent.chain == chain))
    session.execute(delete(AuditHead).where(AuditHead.chain == chain))
    return 0


ATTACKS: dict[Attack, str] = {
    the_reviews_attack: "ends at a head this server did not sign",
    change_a_kind: "was changed at event {seq}",
    delete_one_in_the_middle: "breaks at event {seq}",
    swap_two: "was changed at event {seq}",
    truncate_the_newest: "ends at a head this server did not sign",
    forge_one_at_the_end: "was changed at event {seq}",
    downgrade_every_event_to_v1: "ends at a head this server did not sign",
    pass_a_v3_event_off_as_v2: "was changed at event {seq}",
    name_an_actor_beside_the_sealed_one: "was changed at event {seq}",
    delete_the_whole_chain: "is missing",
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=lambda a: a.__name__)
def test_every_rewrite_without_the_keyring_is_found_and_named(
    client: FlaskClient, database: Database, runtime: Any, amy: Person, attack: Attack
) -> None:
    chain = audit.person_chain(amy.person_id)
    keyring: Keyring = runtime.config.keyring
    with database.transaction() as session:
        assert verify_history(session, keyring).broken == []
        seq = attack(session, chain)

    with database.transaction() as session:
        broken = verify_history(session, keyring).broken
    expected = f"The audit history {chain} " + ATTACKS[attack].format(seq=seq)
    assert any(b.startswith(expected) for b in broken), (expected, broken)

    if attack is not delete_the_whole_chain:  # The person is told, in the API and on the page.
        history = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth)
        assert history.status_code == 200
        assert history.json["changed"].startswith(expected)


def test_no_event_written_now_names_its_actor_in_the_clear(
        client: FlaskClient, database: Database, amy: Person) -> None:
    """Decision 0015: who acted is in the sealed bytes only; the person still reads it."""
    chain = audit.person_chain(amy.person_id)
    with database.transaction() as session:
        events = _events(session, chain)
        assert {(e.format, e.actor_account_id) for e in events} == {(audit.V3, None)}
        assert all(e.sealed for e in events)
    history = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json
    created = [e for e in history["events"] if e["kind"] == "record_created"]
    assert [e["actor_account_id"] for e in created] == [amy.account_id]


def test_an_intact_history_says_so_and_its_head_is_signed(
    client: FlaskClient, runtime: Any, amy: Person
) -> None:
    history = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json
    assert history["changed"] is None
    head = history["head"]
    assert head["chain"] == audit.person_chain(amy.person_id)
    assert head["seq"] == max(e["seq"] for e in history["events"])
    assert head["key_id"] == runtime.config.keyring.current["signing"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", head["signature"])


def test_the_person_sees_your_history_was_changed(client: FlaskClient, database: Database) -> None:
    sign_up(client)
    pid = person_url(client).rstrip("/").rsplit("/", 1)[1]
    page = client.get(f"/people/{pid}/sharing").get_data(as_text=True)
    assert "Your history was changed" not in page
    with database.transaction() as session:
        change_a_kind(session, audit.person_chain(pid))
    page = client.get(f"/people/{pid}/sharing").get_data(as_text=True)
    assert "Your history was changed" in page


def test_only_a_kept_head_catches_the_operator_who_holds_the_keyring(
    client: FlaskClient, database: Database, runtime: Any, amy: Person
) -> None:
    """The operator can re-MAC and re-sign a chain; a head the person kept still finds it."""
    keyring: Keyring = runtime.config.keyring
    chain = audit.person_chain(amy.person_id)
    kept = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json["head"]
    with database.transaction() as session:
        assert verify_history(session, keyring, [kept]).broken == []
        # Rewrite the first opening's time and re-MAC everything, as only the keyring allows.
        events = _events(session, chain)
        opening = next(e for e in events if e.kind == "link_opened")
        opening.at = opening.at - timedelta(hours=1)
        prev = audit.GENESIS
        for event in events:
            event.prev_hash = prev
            event.key_id, key = keyring.audit_chain_key()
            event.hash = audit._event_mac(key, prev, event)
            prev = event.hash
        head = session.get(AuditHead, chain)
        assert head is not None
        head.hash = prev
        audit.sign_head(keyring, head)
        session.flush()
        assert verify_history(session, keyring).broken == []  # The keyring can do this...
        broken = verify_history(session, keyring, [kept]).broken  # ...but not hide it.
        assert broken == [f"The audit history {chain} was rewritten at or before event "
                          f"{kept['seq']}, which you kept."]
        # Cutting the chain short before the kept head is found too.
        session.execute(delete(AuditEvent).where(AuditEvent.chain == chain,
                                                 AuditEvent.seq >= kept["seq"]))
        assert f"event {kept['seq']}, which you kept, is gone" in " ".join(
            verify_history(session, keyring, [kept]).broken)


@pytest.mark.parametrize("change", [{"signature": "A" * 86}, {"seq": 1}, {"hash": "00" * 32},
                                    {"key_id": "signing-none"}, {"chain": "person:other"}],
                         ids=lambda c: next(iter(c)))
def test_a_kept_head_that_this_server_did_not_sign_is_refused(
    client: FlaskClient, database: Database, runtime: Any, amy: Person, change: dict[str, Any]
) -> None:
    kept = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json["head"]
    with database.transaction() as session:
        broken = verify_history(session, runtime.config.keyring, [kept | change]).broken
    assert broken == ["The kept head was not signed by this server's keyring."]


def test_events_written_before_0004_stay_protected_by_the_first_mac_after_them(
    client: FlaskClient, database: Database, runtime: Any
) -> None:
    """A chain begun as v1 (as an upgraded instance has) verifies; editing a v1 event is
    found, because the first v2 event MACed the last v1 link."""
    keyring: Keyring = runtime.config.keyring
    amy = make_person(client)
    chain = audit.person_chain(amy.person_id)
    with database.transaction() as session:
        events = _events(session, chain)
        session.expunge_all()
        _relink_as_v1(session, chain, events)  # As the migration found it...
        head = session.get(AuditHead, chain)
        assert head is not None
        audit.sign_head(keyring, head)  # ...and signed it, once.
    make_link(client, amy)  # A v2 event after the v1 ones.
    with database.transaction() as session:
        assert verify_history(session, keyring).broken == []
        kinds = [e.key_id is None for e in _events(session, chain)]
        assert kinds[0]
        assert not kinds[-1]
        first = _events(session, chain)[0]
        first.at = datetime(2020, 1, 1, tzinfo=UTC)
        later = _events(session, chain)
        prev = audit.GENESIS
        for event in later:  # Recompute the v1 links; the v2 MAC still holds the old one.
            if event.key_id is not None:
                break
            event.prev_hash, event.hash = prev, audit._event_hash(prev, event)
            prev = event.hash
        session.flush()
        broken = verify_history(session, keyring).broken
    assert any(chain in b and "breaks at event" in b for b in broken), broken


@pytest.mark.parametrize("kept", [{}, {"chain": "person:x"}, {"seq": "twelve"},
                                  {"hash": "not hex"}, {"signature": 5}, {"hash": None}],
                         ids=["empty", "missing", "seq", "hash", "signature", "null"])
def test_a_kept_head_that_is_not_a_head_is_a_clear_refusal(
    client: FlaskClient, database: Database, runtime: Any, amy: Person, kept: dict[str, Any]
) -> None:
    head = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json["head"]
    bad = kept if kept in ({}, {"chain": "person:x"}) else head | kept
    with database.transaction() as session:
        broken = verify_history(session, runtime.config.keyring, [bad]).broken
        assert session.get(AuditHead, head["chain"]).seq == head["seq"]  # Nothing changed.
    assert broken == ["The kept head is not a signed head of a Tell Once history."]


def test_anyone_can_check_a_kept_head_with_the_published_keys(client: FlaskClient,
                                                             amy: Person) -> None:
    """The signing keys are published, so a kept head is checked without the server's word:
    here with the reference decoder's encoding of decision 0004 and a plain Ed25519 check."""
    kept = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json["head"]
    published = client.get("/api/v1/audit-keys")  # No one signed in.
    assert published.status_code == 200
    keys = {jwk["kid"]: jwk for jwk in published.json["keys"]}
    jwk = keys[kept["key_id"]]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    public = Ed25519PublicKey.from_public_bytes(ref.b64url_decode(jwk["x"]))

    def message(head: dict[str, Any]) -> bytes:
        return ref.bind("audit-head", head["chain"], head["seq"], bytes.fromhex(head["hash"]))

    public.verify(ref.b64url_decode(kept["signature"]), message(kept))
    with pytest.raises(InvalidSignature):
        public.verify(ref.b64url_decode(kept["signature"]), message(kept | {"seq": 1}))
