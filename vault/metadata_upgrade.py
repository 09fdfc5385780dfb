"""Records from before decisions 0012 to 0014 get their metadata key, at their subject's next
sign-in: sections and authors sealed, scopes and tiers keyed; and their copies and files from
before 0008 and 0009 sealed again, padded.

Sealing a section or an author and keying a scope need the record key, which only the record's members
hold: so nothing here can be done by the operator, and each record is upgraded in the
transaction of the sign-in (or recovery) that opened its key, as slot tags are (0005).
"""

from __future__ import annotations

import logging

from sqlalchemy import Exists, exists, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from keys.errors import KeysError
from keys.record_metadata import RecordMetadata
from vault import attachments, links
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.errors import VaultError
from vault.keychain import Keychain
from vault.models import (
    Attachment,
    ContentKey,
    Entry,
    EntryPart,
    EntryVersion,
    Person,
    RecordKeySlot,
    ShareLink,
)
from vault.record_metadata import Authored, author_of, place_in_section, seal_author

log = logging.getLogger(__name__)


def _plain_rows(person_id: str | InstrumentedAttribute[str]) -> list[Exists]:
    """A condition for each kind of row that still names a section or scope in the clear."""
    return [
        exists().where(Entry.person_id == person_id, Entry.section.is_not(None)),
        exists().where(Attachment.person_id == person_id, Attachment.section.is_not(None)),
        exists().where(EntryPart.person_id == person_id, EntryPart.section.is_not(None)),
        exists().where(ContentKey.person_id == person_id, ContentKey.scope.contains(":")),
        exists().where(EntryVersion.person_id == person_id, EntryVersion.author_sealed.is_(None)),
        exists().where(Attachment.person_id == person_id, Attachment.author_sealed.is_(None)),
        exists().where(ShareLink.person_id == person_id, ShareLink.created_by_sealed.is_(None)),
        exists().where(EntryPart.person_id == person_id, func.length(EntryPart.tier) == 1),
        exists().where(Attachment.person_id == person_id, func.length(Attachment.tier) == 1),
        exists().where(Attachment.person_id == person_id, Attachment.media_type.is_not(None)),
    ]


def needs_upgrade(session: Session, person: Person) -> bool:
    if person.metadata_key_wrapped is None:
        return True
    return any(session.scalar(select(condition)) for condition in _plain_rows(person.id))


def count_not_upgraded(session: Session) -> int:
    """How many records still name a section or scope in the clear (for ``tellonce check``)."""
    pending = or_(Person.metadata_key_wrapped.is_(None), *_plain_rows(Person.id))
    return int(session.scalar(select(func.count()).select_from(Person).where(pending)) or 0)


def upgrade_records(session: Session, config: VaultConfig, unlocked: Unlocked) -> int:
    """Upgrade every record whose current record key this account holds; how many were."""
    people = session.scalars(select(Person).join(
        RecordKeySlot, (RecordKeySlot.person_id == Person.id)
        & (RecordKeySlot.epoch == Person.epoch))
        .where(RecordKeySlot.account_id == unlocked.account_id)).all()
    keychain = Keychain(session, config, unlocked)
    upgraded = 0
    for person in people:
        if not needs_upgrade(session, person):
            continue
        # A record whose key or rows do not open (a slot planted or refused, a row damaged)
        # is left as it is, whole, for `tellonce check` to report: the sign-in goes on.
        try:
            with session.begin_nested():
                seal_plain_metadata(session, keychain, person)
        except (KeysError, VaultError):
            log.warning("A record could not be upgraded: its key or a row does not open.")
            continue
        upgraded += 1
    return upgraded


def seal_plain_metadata(session: Session, keychain: Keychain, person: Person) -> None:
    """Give the record its metadata key (if it has none), seal every plain section, and key
    every plain scope; what each row says is not touched, and every row still opens."""
    metadata = keychain.metadata_to_write(person)
    rows: list[Entry | Attachment] = [
        *session.scalars(select(Entry).where(Entry.person_id == person.id,
                                             Entry.section.is_not(None))),
        *session.scalars(select(Attachment).where(Attachment.person_id == person.id,
                                                  Attachment.section.is_not(None)))]
    for row in rows:
        assert row.section is not None  # noqa: S101 - selected so
        place_in_section(keychain, person, row, row.section)
    # A part's AAD binds its entry's section, which its entry now keeps sealed.
    session.execute(update(EntryPart).where(EntryPart.person_id == person.id)
                    .values(section=None).execution_options(synchronize_session=False))
    plain = session.execute(select(ContentKey.scope, ContentKey.tier, ContentKey.epoch).where(
        ContentKey.person_id == person.id, ContentKey.scope.contains(":"))).all()
    for scope, tier, epoch in plain:
        session.execute(update(ContentKey).where(
            ContentKey.person_id == person.id, ContentKey.scope == scope,
            ContentKey.tier == tier, ContentKey.epoch == epoch)
            .values(scope=metadata.scope_index(scope)).execution_options(synchronize_session=False))
    _seal_plain_authors(session, keychain, person)
    _key_plain_tiers(session, metadata, person)
    # Lengths (decisions 0008, 0009): a record this old may have copies and files sealed
    # before they were padded; this pass is the one time its keys are in hand for them.
    links.pad_old_copies(session, keychain, person)
    attachments.pad_old_attachments(session, keychain, person)
    session.flush()


def _key_plain_tiers(session: Session, metadata: RecordMetadata, person: Person) -> None:
    """Decision 0014: each part's and file's tier replaced by its index, where it was a letter."""
    parts = session.execute(select(EntryPart.entry_id, EntryPart.version, EntryPart.tier).where(
        EntryPart.person_id == person.id, func.length(EntryPart.tier) == 1)).all()
    for entry_id, version, tier in parts:
        session.execute(update(EntryPart).where(
            EntryPart.entry_id == entry_id, EntryPart.version == version, EntryPart.tier == tier)
            .values(tier=metadata.part_tier(tier, entry=entry_id, version=version))
            .execution_options(synchronize_session=False))
    files = session.scalars(select(Attachment).where(Attachment.person_id == person.id,
                                                     func.length(Attachment.tier) == 1))
    for row in files:
        row.tier = metadata.attachment_tier(row.tier, attachment=row.id)


def _seal_plain_authors(session: Session, keychain: Keychain, person: Person) -> None:
    """Decision 0013: who wrote each version, file and link, sealed where it was plain."""
    rows: list[Authored] = [
        *session.scalars(select(EntryVersion).where(EntryVersion.person_id == person.id,
                                                    EntryVersion.author_sealed.is_(None))),
        *session.scalars(select(Attachment).where(Attachment.person_id == person.id,
                                                  Attachment.author_sealed.is_(None))),
        *session.scalars(select(ShareLink).where(ShareLink.person_id == person.id,
                                                 ShareLink.created_by_sealed.is_(None)))]
    for row in rows:
        role, account_id = author_of(keychain, person, row)
        seal_author(keychain, person, row, role=role, account_id=account_id)
