"""The audit history: one keyed chain per person and one per account.

Each event is written in the same transaction as the action it records. Its details, which
may name things about the person, are sealed to the chain's audit public key, so only a
holder of the record key (or the account key) reads them; since decision 0015 (v3) so is who
acted. Every event carries a MAC under the keyring's audit sub-key over every stored column and
the previous event's MAC, and the chain's head is signed at every append (decision 0004):
without the keyring, no one can add, change, delete, reorder or truncate events and still pass
``verify_chain``. Events written before decision 0004 (v1, ``key_id`` NULL) are SHA-256 links,
protected by the first MAC after them or by the signed head; v2 events keep their actor plain.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from keys import hybrid
from keys.binding import bind
from keys.errors import DecryptionFailed, InvalidKeyMaterial, KeyringError
from keys.hierarchy import audit_event_binding
from keys.keyring import Keyring
from keys.share import b64url, unb64url
from vault import payloads
from vault.db import insert_ignore, run_prepared
from vault.errors import ChainBroken
from vault.models import Account, AuditEvent, AuditHead, Person

GENESIS = b"\x00" * 32
V3 = 3


def person_chain(person_id: str) -> str:
    return f"person:{person_id}"


def account_chain(account_id: str) -> str:
    return f"account:{account_id}"


def _columns(event: AuditEvent) -> tuple[str, int, str, str, str, bytes]:
    sealed_digest = hashlib.sha256(event.sealed).digest() if event.sealed is not None else b""
    return (event.chain, event.seq, event.at.isoformat(timespec="microseconds"), event.kind,
            event.actor_account_id or "", sealed_digest)


def _event_hash(prev: bytes, event: AuditEvent) -> bytes:
    """A v1 event's link: SHA-256, with no key (decision 0001)."""
    return hashlib.sha256(prev + bind("audit", *_columns(event))).digest()


def _event_mac(chain_key: bytes, prev: bytes, event: AuditEvent) -> bytes:
    """A v2 event's link: HMAC under the audit sub-key its ``key_id`` names (decision 0004);
    a v3 event's under a label of its own, with no actor column (decision 0015)."""
    if event.format == V3:
        chain, seq, at, kind, _, sealed_digest = _columns(event)
        material = bind("audit-event-mac-v3", chain, seq, at, kind, sealed_digest,
                        event.key_id or "")
    else:
        material = bind("audit-event-mac", *_columns(event), event.key_id or "")
    return hmac.new(chain_key, prev + material, hashlib.sha256).digest()


def head_message(chain: str, seq: int, event_hash: bytes) -> bytes:
    return bind("audit-head", chain, seq, event_hash)


def sign_head(keyring: Keyring, head: AuditHead) -> None:
    """Sign the head as it now stands. Called only right after MACing the event it names,
    and by the migration that first signed each existing head."""
    head.key_id, head.signature = keyring.sign(head_message(head.chain, head.seq, head.hash))


def _head_is_signed(keyring: Keyring, chain: str, seq: int, event_hash: bytes,
                    key_id: str | None, signature: bytes | None) -> bool:
    if key_id is None or signature is None:
        return False
    try:
        keyring.verify_signature(head_message(chain, seq, event_hash), signature, key_id)
    except DecryptionFailed:
        return False
    return True


def _lock_head(session: Session, chain: str) -> tuple[int, bytes]:
    """The chain's head (its length and last hash), locked until the transaction ends.

    Read as columns, never as an object: an append writes the head by statement, so no copy
    of it may linger in the session. FOR UPDATE serialises appends to one chain across
    PostgreSQL workers; SQLite's write lock already serialises every writer, and ignores it.
    """
    row = run_prepared(session, _LOCK_HEAD, {"the_chain": chain}).one_or_none()
    if row is None:
        insert_ignore(session, AuditHead, {"chain": chain, "seq": 0, "hash": GENESIS})
        row = run_prepared(session, _LOCK_HEAD, {"the_chain": chain}).one()
    return row.seq, row.hash


_LOCK_HEAD = (select(AuditHead.seq, AuditHead.hash)
              .where(AuditHead.chain == bindparam("the_chain")).with_for_update())


def append_event(
    session: Session,
    keyring: Keyring,
    *,
    chain: str,
    kind: str,
    actor_account_id: str | None,
    public_key: hybrid.PublicKey,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> int:
    """Append one event to ``chain`` and sign its new head; the event's number.

    Two statements and no unit-of-work flush: this is on the path of every link opening.
    Writes, never commits.
    """
    # The hash covers the time as the database gives it back: UTC, to the microsecond.
    now = now.astimezone(UTC)
    head_seq, head_hash = _lock_head(session, chain)
    seq = head_seq + 1
    # Who acted is sealed with the details, always, so neither shows (decision 0015).
    payload = payloads.encode({"actor": actor_account_id, "details": details or {}})
    sealed = hybrid.seal_to(public_key, payload, info=audit_event_binding(chain=chain, seq=seq))
    key_id, chain_key = keyring.audit_chain_key()
    row = {"chain": chain, "seq": seq, "at": now, "kind": kind, "actor_account_id": None,
           "sealed": sealed, "prev_hash": head_hash, "key_id": key_id, "format": V3}
    # The MAC is worked out from the event as the verifier will read it back.
    event_hash = _event_mac(chain_key, head_hash, AuditEvent(**row))
    signing_key_id, signature = keyring.sign(head_message(chain, seq, event_hash))
    run_prepared(session, _INSERT_EVENT, {**row, "hash": event_hash})
    run_prepared(session, _MOVE_HEAD, {"the_chain": chain, "seq": seq, "hash": event_hash,
                                       "key_id": signing_key_id, "signature": signature})
    return seq


# Built once (vault.db.run_prepared): every link opening appends an event.
_INSERT_EVENT = insert(AuditEvent)
_MOVE_HEAD = update(AuditHead).where(AuditHead.chain == bindparam("the_chain"))


@dataclass(frozen=True)
class ReadableEvent:
    seq: int
    at: datetime
    kind: str
    actor_account_id: str | None
    details: dict[str, Any]


def read_events(
    session: Session, *, chain: str, private_key: hybrid.PrivateKey, limit: int = 500
) -> list[ReadableEvent]:
    """Newest first, with details opened by the chain's audit private key."""
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()
    return [_readable(row, chain, private_key) for row in rows]


def _readable(row: AuditEvent, chain: str, private_key: hybrid.PrivateKey) -> ReadableEvent:
    opened: Any = {}
    if row.sealed is not None:
        try:
            opened = payloads.decode(hybrid.open_from(
                private_key, row.sealed, info=audit_event_binding(chain=chain, seq=row.seq)))
        except DecryptionFailed:
            # Details moved from another event: the chain no longer verifies, and the reader
            # is told so; the rest of the history stays readable.
            opened = {}
    if row.format != V3:
        return ReadableEvent(row.seq, row.at, row.kind, row.actor_account_id,
                             opened if isinstance(opened, dict) else {})
    actor = opened.get("actor") if isinstance(opened, dict) else None
    details = opened.get("details") if isinstance(opened, dict) else None
    return ReadableEvent(row.seq, row.at, row.kind, actor if isinstance(actor, str) else None,
                         details if isinstance(details, dict) else {})


def _head_row(session: Session, chain: str) -> Any:
    """The head as a row of columns (see ``_lock_head``), or None."""
    return session.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.key_id, AuditHead.signature)
        .where(AuditHead.chain == chain)).one_or_none()


def chain_head(session: Session, *, chain: str) -> dict[str, Any]:
    """The chain's signed head, as the person keeps it (decision 0004)."""
    head = _head_row(session, chain)
    if head is None:
        return {"chain": chain, "seq": 0, "hash": GENESIS.hex(), "key_id": None,
                "signature": None}
    return {"chain": chain, "seq": head.seq, "hash": head.hash.hex(), "key_id": head.key_id,
            "signature": b64url(head.signature) if head.signature is not None else None}


def _version(event: AuditEvent) -> int:
    """1, 2 or 3: a chain's versions never go down, so an old link cannot be slipped in."""
    if event.format == V3:
        return V3
    return 1 if event.key_id is None else 2


def _check_link(keyring: Keyring, keys: dict[str, bytes], prev: bytes,
                event: AuditEvent) -> bool:
    if event.format not in (None, V3):
        return False
    if event.format == V3 and event.actor_account_id is not None:
        return False  # A v3 actor is sealed: one in the column was put there by someone else.
    if event.key_id is None:  # Only v1 links are unkeyed: a v3 event always has its key.
        return event.format is None and hmac.compare_digest(_event_hash(prev, event), event.hash)
    if event.key_id not in keys:
        try:
            keys[event.key_id] = keyring.audit_chain_key(event.key_id)[1]
        except KeyringError:
            return False
    return hmac.compare_digest(_event_mac(keys[event.key_id], prev, event), event.hash)


def verify_chain(session: Session, keyring: Keyring, *, chain: str) -> int:
    """Check every link of ``chain`` and its signed head; return its length.

    :raises ChainBroken: naming the first event that fails: a gap, an edit, an event MACed
        under no key this keyring holds, an event of an older version after a newer one (a
        downgrade: v1 after v2, v2 after v3), or a head
        that is not the last event or not signed by this server.
    """
    prev, expected_seq, newest = GENESIS, 1, 1
    keys: dict[str, bytes] = {}  # Chain sub-keys by signing key id, derived once each.
    for event in session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    ):
        if event.seq != expected_seq or event.prev_hash != prev:
            raise ChainBroken(f"The audit history {chain} breaks at event {expected_seq}.")
        version = _version(event)
        if version < newest or not _check_link(keyring, keys, prev, event):
            raise ChainBroken(f"The audit history {chain} was changed at event {event.seq}.")
        newest = version
        prev = event.hash
        expected_seq += 1
    head = _head_row(session, chain)
    if head is None and expected_seq == 1:
        raise ChainBroken(f"The audit history {chain} is missing: its events and head are gone.")
    if head is None or head.seq != expected_seq - 1 or head.hash != prev:
        raise ChainBroken(f"The audit history {chain} is missing its newest events.")
    if not _head_is_signed(keyring, chain, head.seq, head.hash, head.key_id, head.signature):
        raise ChainBroken(f"The audit history {chain} ends at a head this server did not sign.")
    return expected_seq - 1


def verify_against(session: Session, keyring: Keyring, kept: dict[str, Any]) -> str:
    """Check the history against a head the person kept; return the chain it names.

    The kept hash commits to every event up to it, so this finds a rewrite or a truncation
    even by someone who holds the keyring and re-signed the chain's own head.

    :raises ChainBroken: if the kept head is not one this server signed, or the chain no
        longer has that event with that hash.
    """
    try:
        chain, seq = str(kept["chain"]), int(kept["seq"])
        event_hash = bytes.fromhex(kept["hash"])
        signature = unb64url(kept["signature"])
        key_id = str(kept["key_id"])
    except (KeyError, TypeError, ValueError, InvalidKeyMaterial):
        raise ChainBroken("The kept head is not a signed head of a Tell Once history.") from None
    if not _head_is_signed(keyring, chain, seq, event_hash, key_id, signature):
        raise ChainBroken("The kept head was not signed by this server's keyring.")
    event = session.get(AuditEvent, (chain, seq))
    if event is None:
        raise ChainBroken(f"The audit history {chain} was cut short: event {seq}, which you "
                          "kept, is gone.")
    if not hmac.compare_digest(event.hash, event_hash):
        raise ChainBroken(f"The audit history {chain} was rewritten at or before event {seq}, "
                          "which you kept.")
    return chain


def expected_chains(session: Session) -> list[str]:
    """Every chain that must exist: one per live record and one per account."""
    people = session.scalars(select(Person.id).where(Person.destroyed_at.is_(None)))
    return sorted([person_chain(p) for p in people]
                  + [account_chain(a) for a in session.scalars(select(Account.id))])


def all_chains(session: Session) -> list[str]:
    return list(session.scalars(select(AuditHead.chain).order_by(AuditHead.chain)))
