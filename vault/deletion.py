"""Deleting a person's record: hidden for an undo period, then destroyed.

Destruction drops every key slot and every ciphertext of the person, and their audit history
with them (an audit chain with its sealed details removed would no longer verify, and the
record it describes is gone). The ``people`` row stays as a tombstone holding only the id and
the times, so a restored backup can be told which records to destroy again: each destruction
is also appended to a shred list kept outside the database (DESIGN.md, Keys, "Deletion").
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vault.audit import person_chain
from vault.db import Base
from vault.errors import Conflict, NotFound, ShredListDamaged
from vault.models import ApiToken, AuditEvent, AuditHead, Person


def hide_person(
    session: Session, person: Person, *, undo_period: timedelta, now: datetime
) -> datetime:
    """Hide the record now and schedule its destruction; return when it will be destroyed.

    :raises Conflict: when the record is already waiting to be destroyed.
    """
    if person.destroyed_at is not None:
        raise NotFound
    if person.hidden_at is not None:
        raise Conflict("This record is already waiting to be destroyed.")
    person.hidden_at = now
    person.destroy_after = now + undo_period
    session.flush()
    return person.destroy_after


def restore_person(session: Session, person: Person, *, now: datetime) -> None:
    """Bring back a hidden record while its undo period lasts.

    :raises NotFound: when the record has been destroyed.
    :raises Conflict: when it is not hidden, or the undo period has passed.
    """
    if person.destroyed_at is not None:
        raise NotFound
    if person.hidden_at is None or person.destroy_after is None:
        raise Conflict("This record is not waiting to be destroyed, so there is nothing to undo.")
    if now >= person.destroy_after:
        raise Conflict("The time to undo this has passed. The record is being destroyed.")
    person.hidden_at = None
    person.destroy_after = None
    session.flush()


def destroy_due_people(session: Session, *, now: datetime, shred_list: Path) -> list[str]:
    """Destroy every hidden record whose undo period has ended; return their ids.

    The shred list is written and synced before the caller commits: if the commit then
    fails, the list names a record whose destruction was already due, and the next purge or
    re-application finishes it. The other order could lose a deletion for good.
    """
    due = session.scalars(
        select(Person)
        .where(
            Person.hidden_at.is_not(None),
            Person.destroyed_at.is_(None),
            Person.destroy_after <= now,
        )
        .order_by(Person.destroy_after, Person.id)
    ).all()
    ids = []
    for person in due:
        _destroy(session, person, now=now)
        ids.append(person.id)
    if ids:
        _append_shred_list(shred_list, [(pid, now) for pid in ids])
    return ids


def reapply_shred_list(session: Session, *, shred_list: Path, now: datetime) -> list[str]:
    """After restoring a backup, destroy again every record the shred list names.

    :raises ShredListDamaged: before destroying anything, when a line cannot be read; the
        operator must see it rather than have a deletion silently skipped.
    """
    ids = read_shred_list(shred_list)
    destroyed = []
    for person_id in ids:
        person = session.get(Person, person_id)
        if person is not None and person.destroyed_at is None:
            _destroy(session, person, now=now)
            destroyed.append(person_id)
    return destroyed


def read_shred_list(shred_list: Path) -> list[str]:
    """The person ids in the shred list, in order, each once. :raises ShredListDamaged:"""
    if not shred_list.exists():
        return []
    ids: dict[str, None] = {}
    for number, line in enumerate(shred_list.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not _is_uuid(parts[0]) or not _is_time(parts[1]):
            raise ShredListDamaged(
                f"Line {number} of the shred list {shred_list.name} cannot be read. "
                "Fix or remove that line, then run this again."
            )
        ids[parts[0]] = None
    return list(ids)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _is_time(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _destroy(session: Session, person: Person, *, now: datetime) -> None:
    # Every table with a person_id column holds something of this record: sweeping them all,
    # children first, also covers tables added later without an edit here.
    for table in reversed(Base.metadata.sorted_tables):
        if "person_id" in table.c and table.name != Person.__tablename__:
            session.execute(delete(table).where(table.c.person_id == person.id))
    chain = person_chain(person.id)
    session.execute(delete(AuditEvent).where(AuditEvent.chain == chain))
    session.execute(delete(AuditHead).where(AuditHead.chain == chain))
    _forget_in_tokens(session, person.id)
    # The tombstone keeps the id and the times only: no ciphertext, and no link to the
    # account that was its subject.
    person.display_name_ct = b""
    person.audit_private_wrapped = b""
    person.subject_account_id = None
    person.destroyed_at = now
    if person.hidden_at is None:
        person.hidden_at = now
    session.flush()


def _forget_in_tokens(session: Session, person_id: str) -> None:
    # A token keeps working for the other records it names; this one it can never open
    # again, so nothing outside the tombstone should still point at it.
    for token in session.scalars(
        select(ApiToken).where(ApiToken.person_ids.contains(f'"{person_id}"'))
    ):
        ids = [pid for pid in json.loads(token.person_ids) if pid != person_id]
        token.person_ids = json.dumps(ids)


def _append_shred_list(shred_list: Path, rows: list[tuple[str, datetime]]) -> None:
    text = "".join(f"{pid} {at.isoformat()}\n" for pid, at in rows)
    created = not shred_list.exists()
    fd = os.open(shred_list, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # The list names records, so only the server's own user may read it.
        os.fchmod(fd, 0o600)
        data = text.encode()
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_directory(shred_list.parent)


def _fsync_directory(directory: Path) -> None:
    # A new file's name is durable only once its directory is synced.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
