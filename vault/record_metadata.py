"""Which section an entry or a file is in (0012) and who wrote each version, file and link
(0013), sealed under the record's metadata key; the tier of each part and file, keyed (0014).

A row of a record written before these decisions keeps its plain columns until its subject
next signs in (``vault.metadata_upgrade``); readers take both.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from keys.errors import DecryptionFailed
from keys.record_metadata import RecordMetadata
from vault.keychain import Keychain
from vault.models import Attachment, Entry, EntryPart, EntryVersion, Person, ShareLink
from vault.sections import Tier

ENTRY_SECTION = "entry-section"
ATTACHMENT_SECTION = "attachment-section"


def _what(row: Entry | Attachment) -> str:
    return ENTRY_SECTION if isinstance(row, Entry) else ATTACHMENT_SECTION


def section_of(keychain: Keychain, person: Person, row: Entry | Attachment) -> str:
    """The row's section, opened once a request.

    :raises DecryptionFailed: for a sealed section changed, or moved from another row.
    """
    if row.section is not None:
        return row.section
    if row.id not in keychain.sections:
        metadata = keychain.metadata(person)
        if metadata is None or row.section_sealed is None:
            raise DecryptionFailed
        keychain.sections[row.id] = metadata.open_section(
            row.section_sealed, what=_what(row), person=person.id, row_id=row.id)
    return keychain.sections[row.id]


def place_in_section(keychain: Keychain, person: Person, row: Entry | Attachment,
                     name: str) -> None:
    """Seal ``name`` as the row's section, and leave no plain name on it."""
    metadata = keychain.metadata_to_write(person)
    row.section_sealed = metadata.seal_section(name, what=_what(row), person=person.id,
                                               row_id=row.id)
    row.section = None
    keychain.sections[row.id] = name


# -- who wrote each version, file and link (decision 0013) ------------------------------------

Authored = EntryVersion | Attachment | ShareLink


def _author_of(row: Authored) -> tuple[str, tuple[str | int, ...]]:
    if isinstance(row, EntryVersion):
        return "entry-author", (row.person_id, row.entry_id, row.version)
    if isinstance(row, Attachment):
        return "attachment-author", (row.person_id, row.id)
    return "link-author", (row.person_id, row.id)


def _plain_author(row: Authored) -> tuple[str | None, str | None]:
    if isinstance(row, EntryVersion):
        return row.author_role, row.author_account_id
    if isinstance(row, Attachment):
        return "", row.author_account_id
    return "", row.created_by_account_id


def _sealed_author(row: Authored) -> bytes | None:
    return row.created_by_sealed if isinstance(row, ShareLink) else row.author_sealed


def author_of(keychain: Keychain, person: Person, row: Authored) -> tuple[str, str | None]:
    """``(role, account id)`` of who wrote the row; a file or a link has no role ("").

    :raises DecryptionFailed: for a sealed author changed, or moved from another row.
    """
    sealed = _sealed_author(row)
    if sealed is None:
        role, account_id = _plain_author(row)
        if role is None:
            raise DecryptionFailed  # Neither sealed nor plain: nothing to believe.
        return role, account_id
    metadata = keychain.metadata(person)
    if metadata is None:
        raise DecryptionFailed
    what, ids = _author_of(row)
    return metadata.open_author(sealed, what=what, ids=ids)


def seal_author(keychain: Keychain, person: Person, row: Authored, *, role: str = "",
                account_id: str | None) -> None:
    """Seal who wrote the row, and leave no plain author on it. The row's ids must be set."""
    metadata = keychain.metadata_to_write(person)
    what, ids = _author_of(row)
    store_author_columns(row, sealed=metadata.seal_author(role, account_id, what=what, ids=ids),
                         account_id=None, role=None)


def store_author_columns(row: Authored, *, sealed: bytes | None, account_id: str | None,
                         role: str | None) -> None:
    """Where a row keeps its author: sealed (decision 0013), or plain on a row from before."""
    if isinstance(row, ShareLink):
        row.created_by_sealed, row.created_by_account_id = sealed, account_id
        return
    row.author_sealed, row.author_account_id = sealed, account_id
    if isinstance(row, EntryVersion):
        row.author_role = role


# -- the tier of each part and file (decision 0014) -------------------------------------------


def keyed_part_tier(keychain: Keychain, person: Person, tier: Tier, *, entry: str,
                    version: int) -> str:
    """What a new part's tier is stored as."""
    metadata = keychain.metadata_to_write(person)
    return metadata.part_tier(tier.value, entry=entry, version=version)


def part_tier(keychain: Keychain, person: Person, part: EntryPart) -> Tier:
    """:raises DecryptionFailed: for a stored tier that is none of the four for this row."""
    return _tier_of(keychain, person, part.tier, lambda m, t: m.part_tier(
        t, entry=part.entry_id, version=part.version))


def keyed_attachment_tier(keychain: Keychain, person: Person, tier: Tier, *,
                          attachment: str) -> str:
    metadata = keychain.metadata_to_write(person)
    return metadata.attachment_tier(tier.value, attachment=attachment)


def attachment_tier(keychain: Keychain, person: Person, row: Attachment) -> Tier:
    """:raises DecryptionFailed: as ``part_tier``."""
    return _tier_of(keychain, person, row.tier,
                    lambda m, t: m.attachment_tier(t, attachment=row.id))


def _tier_of(keychain: Keychain, person: Person, stored: str,
             keyed: Callable[[RecordMetadata, str], str]) -> Tier:
    if len(stored) == 1:  # A row from before decision 0014.
        try:
            return Tier(stored)
        except ValueError:
            raise DecryptionFailed from None
    metadata = keychain.metadata(person)
    if metadata is not None:
        for tier in Tier:
            if hmac.compare_digest(keyed(metadata, tier.value), stored):
                return tier
    raise DecryptionFailed
