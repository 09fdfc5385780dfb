"""Photos and scanned documents: the only way web and api reach attachments.

Each call is checked by policy first. Adding and deleting append an audit event in the
same transaction; reads by anyone other than the subject are audited too. Audit details
name the attachment by id only: never its file name or anything in it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent.policy import READ, WRITE, Actor, audit_read, check
from vault import attachments as vault_attachments
from vault import people

# Types of the vault the front doors show, re-exported so they reach the vault through consent.
from vault.attachments import ALLOWED_TYPES as ALLOWED_TYPES
from vault.attachments import AttachmentView as AttachmentView
from vault.config import VaultConfig
from vault.sections import get_section


def upload_attachment(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, section: str,
    tier: str | None, filename: str, content: bytes, now: datetime,
) -> AttachmentView:
    """Keep a photo or PDF. :raises NotFound, NotAllowed, AttachmentRejected, UnknownSection,
    InvalidEntry: and changes nothing."""
    person, _ = check(session, actor, person_id, WRITE)
    view = vault_attachments.store_attachment(
        session, actor.keychain, person, section=section, tier=tier, filename=filename,
        content=content, max_bytes=config.attachment_max_bytes, now=now)
    people.record_event(session, config, person, "attachment_added",
                        actor_account_id=actor.account_id, now=now,
                        details={"attachment": view.id, "section": view.section,
                                 "media_type": view.media_type, "size": view.size})
    return view


def list_attachments(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str,
    section: str | None, now: datetime,
) -> list[AttachmentView]:
    """:raises NotFound, NotAllowed, UnknownSection:"""
    person, member = check(session, actor, person_id, READ)
    if section is not None:
        get_section(section)
    views = vault_attachments.list_attachments(session, actor.keychain, person, section=section)
    audit_read(session, config, actor, person, member, f"attachments:{section or 'all'}", now)
    return views


def read_attachment(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, attachment_id: str,
    now: datetime,
) -> tuple[AttachmentView, bytes]:
    """The attachment and its bytes. :raises NotFound, NotAllowed, DecryptionFailed:"""
    person, member = check(session, actor, person_id, READ)
    view, content = vault_attachments.read_attachment(
        session, actor.keychain, person, attachment_id)
    audit_read(session, config, actor, person, member, f"attachment:{attachment_id}", now)
    return view, content


def delete_attachment(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, attachment_id: str,
    now: datetime,
) -> None:
    """Delete an attachment and destroy its bytes. :raises NotFound, NotAllowed:"""
    person, _ = check(session, actor, person_id, WRITE)
    # The type and size are sealed (decision 0009): the history has them from the file itself.
    view, _ = vault_attachments.read_attachment(session, actor.keychain, person, attachment_id)
    details = {"attachment": view.id, "section": view.section, "media_type": view.media_type,
               "size": view.size}
    vault_attachments.delete_attachment(session, actor.keychain, person, attachment_id, now=now)
    people.record_event(session, config, person, "attachment_deleted",
                        actor_account_id=actor.account_id, now=now, details=details)
