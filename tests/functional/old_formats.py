"""Records as older formats stored them, rebuilt from today's by statement, for the tests of
the upgrades that read and rewrite them: exactly the rows the old code wrote (the vectors of
0001 pin the parts and keys), which the upgrade must recognise."""

from __future__ import annotations

from typing import Any

from joserfc import jwe
from joserfc.jwk import OctKey
from sqlalchemy import select, update

from consent.policy import actor_for_account
from keys import share
from tests.factories import PASSPHRASE, Person
from vault import accounts
from vault import attachments as vault_attachments
from vault import links as vault_links
from vault.keychain import item_scope, section_scope
from vault.models import Attachment, ContentKey, Entry, EntryPart, EntryVersion, ShareLink
from vault.models import Person as PersonRow
from vault.people import require_person
from vault.record_metadata import attachment_tier, author_of, part_tier, store_author_columns
from vault.sections import SECTION_NAMES


def take_back_to_before_0012(runtime: Any, amy: Person) -> None:
    """Store the record of ``amy`` as decisions 0012 to 0014 found it: sections, scopes,
    authors and tiers in the clear, and no metadata key; its copies and files as 0008 and 0009
    found them, unpadded."""
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, amy.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        keychain = actor_for_account(session, runtime.config, unlocked).keychain
        person = require_person(session, amy.person_id)
        metadata = keychain.metadata(person)
        assert metadata is not None
        entries = list(session.scalars(select(Entry.id).where(Entry.person_id == person.id)))
        files = list(session.scalars(select(Attachment.id)
                                     .where(Attachment.person_id == person.id)))
        scopes = [section_scope(n) for n in SECTION_NAMES]
        scopes += [item_scope(i) for i in entries + files]
        plain_of = {metadata.scope_index(s): s for s in scopes}
        for model, ids in ((Entry, entries), (Attachment, files)):
            for row in session.scalars(select(model).where(model.id.in_(ids))):
                what = "entry-section" if model is Entry else "attachment-section"
                name = metadata.open_section(row.section_sealed, what=what, person=person.id,
                                             row_id=row.id)
                row.section, row.section_sealed = name, None
                if model is Entry:
                    session.execute(update(EntryPart).where(EntryPart.entry_id == row.id)
                                    .values(section=name))
        for scope, tier in session.execute(select(ContentKey.scope, ContentKey.tier)
                                           .where(ContentKey.person_id == person.id)).all():
            session.execute(update(ContentKey).where(
                ContentKey.person_id == person.id, ContentKey.scope == scope,
                ContentKey.tier == tier).values(scope=plain_of[scope]))
        lengths_in_the_clear(session, keychain, person)
        authors_in_the_clear(session, keychain, person)
        tiers_in_the_clear(session, keychain, person)
        person.metadata_key_wrapped = person.metadata_key_epoch = None


def lengths_in_the_clear(session: Any, keychain: Any, person: PersonRow) -> None:
    """Copies as sealed before decision 0008 (unpadded), files as before 0009 (format v1,
    type and size in plain columns)."""
    for link in session.scalars(select(ShareLink).where(ShareLink.person_id == person.id)):
        plaintext = vault_links.read_copy(keychain, person, link).rstrip(b" ")
        key = OctKey.import_key(vault_links._share_key(keychain, person, link))
        link.copy_jwe = jwe.encrypt_compact(dict(share.JWE_HEADER), plaintext, key,
                                            registry=share._REGISTRY)
    for row in session.scalars(select(Attachment).where(Attachment.person_id == person.id)):
        view, content = vault_attachments.read_attachment(session, keychain, person, row.id)
        vault_attachments._seal(keychain, person, row, vault_attachments._plaintext_v1(
            view.filename, view.media_type, content))
        row.media_type, row.size = view.media_type, view.size


def tiers_in_the_clear(session: Any, keychain: Any, person: PersonRow) -> None:
    """Decision 0014's rows as they were before it: one letter for each tier."""
    for part in session.scalars(select(EntryPart).where(EntryPart.person_id == person.id)):
        letter = part_tier(keychain, person, part).value
        session.execute(update(EntryPart).where(
            EntryPart.entry_id == part.entry_id, EntryPart.version == part.version,
            EntryPart.tier == part.tier).values(tier=letter))
    for row in session.scalars(select(Attachment).where(Attachment.person_id == person.id)):
        row.tier = attachment_tier(keychain, person, row).value


def authors_in_the_clear(session: Any, keychain: Any, person: PersonRow) -> None:
    """Decision 0013's rows as they were before it: authors in plain columns."""
    for model in (EntryVersion, Attachment, ShareLink):
        for row in session.scalars(select(model).where(model.person_id == person.id)):
            role, account_id = author_of(keychain, person, row)
            store_author_columns(row, sealed=None, account_id=account_id, role=role)
