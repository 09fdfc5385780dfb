"""A record's life as a whole: export, import, deletion with undo, and destruction.

Each of these is the person's own decision, so each is ``SUBJECT_ONLY``: a delegate or a
read-only token can never take a whole record away, copy it out, or overwrite it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent.policy import MANAGE, SUBJECT_ONLY, Actor, check, confirm_if_needed
from consent.sharing import refresh_copies
from vault import deletion, export, imports, people
from vault.config import VaultConfig
from vault.errors import Conflict
from vault.models import Attachment, Entry, Person


def export_record(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, now: datetime,
    passphrase: object = None, address: str = "",
) -> dict[str, Any]:
    """The whole record, decrypted, for the person themselves; a signed-in session gives the
    passphrase again (``confirm_if_needed``).

    :raises NotFound, NotAllowed:
    :raises PassphraseNeeded, StepUpFailed, TooManyAttempts, AccountLocked: for the passphrase.
    """
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    confirm_if_needed(session, config, actor, permission=MANAGE, passphrase=passphrase,
                      address=address, now=now)
    # Audited first, so the document's audit head points at its own export.
    people.record_event(session, config, person, "record_exported",
                        actor_account_id=actor.account_id, now=now)
    return export.export_person(session, actor.keychain, person, now=now)


def import_record(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, document: object,
    now: datetime,
) -> dict[str, int]:
    """Recreate an exported record in this empty one.

    :raises NotFound, NotAllowed:
    :raises Conflict: when the record already has entries or attachments.
    :raises InvalidEntry: for any problem in the document; nothing is then written.
    """
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    if _has_content(session, person):
        # Merging two records would mix versions and histories; the person would not be able
        # to tell what came from where.
        raise Conflict("Import into an empty record: this one already has entries.")
    counts = imports.import_person(session, actor.keychain, person, document, now=now,
                                  max_bytes=config.attachment_max_bytes)
    people.record_event(session, config, person, "record_imported",
                        actor_account_id=actor.account_id, now=now, details=dict(counts))
    refresh_copies(session, actor, person, sections=None, now=now)
    return counts


def _has_content(session: Session, person: Person) -> bool:
    for model in (Entry, Attachment):
        count = session.scalar(
            select(func.count()).select_from(model).where(model.person_id == person.id)
        )
        if count:
            return True
    return False


def delete_record(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, now: datetime,
    passphrase: object = None, address: str = "",
) -> dict[str, Any]:
    """Hide the record now; it is destroyed when the undo period ends. A signed-in session
    gives the passphrase again (``confirm_if_needed``).

    Nobody is signed out: the person may want to undo this from the same sign-in.

    :raises NotFound, NotAllowed:
    :raises PassphraseNeeded, StepUpFailed, TooManyAttempts, AccountLocked: for the passphrase.
    """
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    confirm_if_needed(session, config, actor, permission=MANAGE, passphrase=passphrase,
                      address=address, now=now)
    destroy_after = deletion.hide_person(session, person, undo_period=config.deletion_undo_period,
                                         now=now)
    people.record_event(session, config, person, "record_deletion_requested",
                        actor_account_id=actor.account_id, now=now,
                        details={"destroy_after": destroy_after.isoformat()})
    return {"destroy_after": destroy_after, "message": deletion_message(destroy_after)}


def deletion_message(destroy_after: datetime) -> str:
    day = f"{destroy_after:%A} {destroy_after.day} {destroy_after:%B %Y}"
    return (f"Your record is hidden and will be destroyed on {day}. "
            "You can undo this until then.")


def undo_delete_record(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, now: datetime
) -> dict[str, Any]:
    """Bring back a hidden record during its undo period.

    :raises NotFound: for a destroyed record or one the actor may not see.
    :raises NotAllowed, Conflict:
    """
    person, _ = check(session, actor, person_id, SUBJECT_ONLY, include_hidden=True)
    deletion.restore_person(session, person, now=now)
    people.record_event(session, config, person, "record_deletion_undone",
                        actor_account_id=actor.account_id, now=now)
    return {"person_id": person.id,
            "message": "Your record is back, with everything that was in it."}


def destroy_due_records(session: Session, *, now: datetime,
                        shred_list: Path) -> list[str]:
    """Destroy every record whose undo period has ended; return their ids."""
    return deletion.destroy_due_people(session, now=now, shred_list=shred_list)


def reapply_deletions(session: Session, *, shred_list: Path, now: datetime) -> list[str]:
    """After a backup is restored, destroy again what the shred list names.

    :raises ShredListDamaged: before destroying anything.
    """
    return deletion.reapply_shred_list(session, shred_list=shred_list, now=now)
