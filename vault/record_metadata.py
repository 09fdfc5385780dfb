"""Which section an entry or a file is in, sealed under the record's metadata key (0012).

A row of a record written before the decision keeps its plain ``section`` until its subject
next signs in (``vault.metadata_upgrade``); readers take both.
"""

from __future__ import annotations

from keys.errors import DecryptionFailed
from vault.keychain import Keychain
from vault.models import Attachment, Entry, Person

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
    metadata = keychain.metadata(person, create=True)
    assert metadata is not None  # noqa: S101 - create=True always gives one
    row.section_sealed = metadata.seal_section(name, what=_what(row), person=person.id,
                                               row_id=row.id)
    row.section = None
    keychain.sections[row.id] = name
