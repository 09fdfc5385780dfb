"""The audit history: one hash chain per person and one per account.

Each event is written in the same transaction as the action it records. Its details, which
may name things about the person, are sealed to the chain's audit public key, so only a
holder of the record key (or the account key) reads them; the chain of SHA-256 hashes over
every stored column makes any removal, reordering or edit visible to ``verify_chain``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import hybrid
from keys.binding import bind
from keys.hierarchy import audit_event_binding
from vault import payloads
from vault.db import insert_ignore
from vault.errors import ChainBroken
from vault.models import AuditEvent, AuditHead

GENESIS = b"\x00" * 32


def person_chain(person_id: str) -> str:
    return f"person:{person_id}"


def account_chain(account_id: str) -> str:
    return f"account:{account_id}"


def _event_hash(prev: bytes, event: AuditEvent) -> bytes:
    sealed_digest = hashlib.sha256(event.sealed).digest() if event.sealed is not None else b""
    material = bind(
        "audit",
        event.chain,
        event.seq,
        event.at.isoformat(timespec="microseconds"),
        event.kind,
        event.actor_account_id or "",
        sealed_digest,
    )
    return hashlib.sha256(prev + material).digest()


def _lock_head(session: Session, chain: str) -> AuditHead:
    # FOR UPDATE serialises appends to one chain across PostgreSQL workers; SQLite's write
    # lock already serialises every transaction, and ignores it.
    head = session.execute(
        select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        insert_ignore(session, AuditHead, {"chain": chain, "seq": 0, "hash": GENESIS})
        head = session.execute(
            select(AuditHead).where(AuditHead.chain == chain).with_for_update()
        ).scalar_one()
    return head


def append_event(
    session: Session,
    *,
    chain: str,
    kind: str,
    actor_account_id: str | None,
    public_key: hybrid.PublicKey,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> AuditEvent:
    """Append one event to ``chain``; flushes, never commits."""
    # The hash covers the time as the database gives it back: UTC, to the microsecond.
    now = now.astimezone(UTC)
    head = _lock_head(session, chain)
    seq = head.seq + 1
    sealed = None
    if details:
        payload = payloads.encode(details)
        sealed = hybrid.seal_to(
            public_key, payload, info=audit_event_binding(chain=chain, seq=seq)
        )
    event = AuditEvent(
        chain=chain,
        seq=seq,
        at=now,
        kind=kind,
        actor_account_id=actor_account_id,
        sealed=sealed,
        prev_hash=head.hash,
        hash=b"",
    )
    event.hash = _event_hash(head.hash, event)
    head.seq, head.hash = seq, event.hash
    session.add(event)
    session.flush()
    return event


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
    events = []
    for row in rows:
        details: dict[str, Any] = {}
        if row.sealed is not None:
            raw = hybrid.open_from(
                private_key, row.sealed, info=audit_event_binding(chain=chain, seq=row.seq)
            )
            details = payloads.decode(raw)
        events.append(ReadableEvent(row.seq, row.at, row.kind, row.actor_account_id, details))
    return events


def chain_head(session: Session, *, chain: str) -> dict[str, Any]:
    head = session.get(AuditHead, chain)
    if head is None:
        return {"seq": 0, "hash": GENESIS.hex()}
    return {"seq": head.seq, "hash": head.hash.hex()}


def verify_chain(session: Session, *, chain: str) -> int:
    """Recompute every hash of ``chain``; return its length.

    :raises ChainBroken: on a gap, an edited event or a head that does not match.
    """
    prev = GENESIS
    expected_seq = 1
    for event in session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    ):
        if event.seq != expected_seq or event.prev_hash != prev:
            raise ChainBroken(f"The audit history {chain} breaks at event {expected_seq}.")
        if _event_hash(prev, event) != event.hash:
            raise ChainBroken(f"The audit history {chain} was changed at event {event.seq}.")
        prev = event.hash
        expected_seq += 1
    head = session.get(AuditHead, chain)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        raise ChainBroken(f"The audit history {chain} is missing its newest events.")
    return expected_seq - 1


def all_chains(session: Session) -> list[str]:
    return list(session.scalars(select(AuditHead.chain).order_by(AuditHead.chain)))
