"""Importing an export: check the whole document, then recreate every entry, version and attachment.

The document's shape is checked first by its JSON Schema (``vault.export_schema``). What a schema
cannot say is checked after it by the small functions here: times (with a zone, and not in the
future), version numbers and their order, what a deletion holds and that nothing follows it, each
file's base64 and size, the person's name, and ``validate_entry``'s own checks (a real date, an
NHS number's check digit, a section's fixed tier).

Times of entries, versions and attachments are kept: an imported version says when it was
first written, and the record's audit history says when it was imported.

Attachments are stored again through ``store_attachment``, which cleans every picture (a
document could carry a photo with its EXIF still in it). PDFs and PNGs come back byte for
byte; a JPEG is re-encoded from its pixels, so its bytes (not what it shows) can differ.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from vault import entries as vault_entries
from vault.attachments import store_attachment
from vault.errors import AttachmentRejected, InvalidEntry, InvalidExport, UnknownSection
from vault.export_schema import check_document
from vault.keychain import Keychain
from vault.models import Person
from vault.people import check_name, set_display_name
from vault.sections import Tier, validate_entry

# The author role of everything an import writes (RECORD.md, Rules).
IMPORTED = "imported"

# Servers' clocks differ a little; a time this far ahead of ours is still accepted.
CLOCK_SKEW = timedelta(minutes=5)


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    created_at: datetime
    data: dict[str, Any]
    tiers: dict[str, str]
    provenance: str | None
    deleted: bool


@dataclass(frozen=True)
class _Entry:
    section: str
    versions: list[_Version]


@dataclass(frozen=True)
class _Attachment:
    path: str
    section: str
    tier: str
    filename: str
    content: bytes
    created_at: datetime


@dataclass(frozen=True)
class _Plan:
    preferred_name: str
    entries: list[_Entry]
    attachments: list[_Attachment]


def import_person(
    session: Session, keychain: Keychain, person: Person, export: object, *, now: datetime,
    max_bytes: int,
) -> dict[str, int]:
    """Check the whole document, then recreate every entry, version and attachment.

    Nothing is written until the document has been checked; the caller's transaction makes
    the import all or nothing, since any error raises before it commits.

    :raises InvalidEntry: naming the path of the first problem (``entries[2].versions[0].data.dose``).
    """
    plan = _read_document(export, now=now, max_bytes=max_bytes)
    versions = 0
    for item in plan.entries:
        versions += _import_entry(session, keychain, person, item)
    for attachment in plan.attachments:
        with _at(attachment.path):
            store_attachment(session, keychain, person, section=attachment.section,
                             tier=attachment.tier, filename=attachment.filename,
                             content=attachment.content, max_bytes=max_bytes,
                             now=attachment.created_at)
    set_display_name(keychain, person, plan.preferred_name)
    session.flush()
    return {"entries": len(plan.entries), "versions": versions,
            "attachments": len(plan.attachments)}


def _import_entry(session: Session, keychain: Keychain, person: Person, item: _Entry) -> int:
    first, *later = item.versions
    view = vault_entries.create_entry(
        session, keychain, person, section=item.section, data=first.data, tiers=first.tiers,
        provenance=first.provenance, author_role=IMPORTED, now=first.created_at)
    for version in later:
        if version.deleted:
            vault_entries.delete_entry(session, keychain, person, entry_id=view.id,
                                       author_role=IMPORTED, now=version.created_at)
        else:
            vault_entries.update_entry(
                session, keychain, person, entry_id=view.id, data=version.data,
                tiers=version.tiers, provenance=version.provenance, author_role=IMPORTED,
                now=version.created_at)
    return len(item.versions)


# -- what a schema cannot say ---------------------------------------------------------------


def _fail(path: str, message: str) -> NoReturn:
    raise InvalidExport(f"{path}: {message}" if path else message, field=path or None)


@contextmanager
def _at(path: str) -> Iterator[None]:
    """Say where in the document an error of the vault's own checks happened."""
    try:
        yield
    except (InvalidEntry, UnknownSection, AttachmentRejected) as exc:
        where = f"{path}.{exc.field}" if exc.field else path
        located = InvalidEntry(f"{where}: {exc.message}", field=where)
        located.code = exc.code
        raise located from None


def _read_document(export: object, *, now: datetime, max_bytes: int) -> _Plan:
    doc = check_document(export)
    _time(doc["exported_at"], "exported_at", now)
    with _at("person"):
        name = check_name(doc["person"]["preferred_name"])
    entries = [_read_entry(raw, f"entries[{i}]", now) for i, raw in enumerate(doc["entries"])]
    attachments = [_read_attachment(raw, f"attachments[{i}]", now, max_bytes)
                   for i, raw in enumerate(doc["attachments"])]
    return _Plan(name, entries, attachments)


def _time(text: str, path: str, now: datetime) -> datetime:
    """A time, which the schema has let through as short text: with a zone, and not in the future."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(path, "must be a date and time like 2026-11-23T14:02:00+00:00.")
    if moment.tzinfo is None:
        _fail(path, "must say its time zone, like 2026-11-23T14:02:00+00:00.")
    if moment > now + CLOCK_SKEW:
        _fail(path, "is in the future.")
    return moment


def _read_entry(raw: dict[str, Any], path: str, now: datetime) -> _Entry:
    created_at = _time(raw["created_at"], f"{path}.created_at", now)
    versions: list[_Version] = []
    for i, raw_version in enumerate(raw["versions"]):
        where = f"{path}.versions[{i}]"
        version = _read_version(raw_version, where, raw["section"], i, now)
        _check_follows(versions, version, where, created_at)
        versions.append(version)
    if raw["deleted"] != versions[-1].deleted:
        _fail(f"{path}.deleted", "must match whether the last version is a deletion.")
    return _Entry(raw["section"], versions)


def _check_follows(before: list[_Version], version: _Version, path: str, created_at: datetime) -> None:
    """A version is no earlier than the one before it, and nothing follows a deletion."""
    earlier = before[-1].created_at if before else created_at
    if version.created_at < earlier or (not before and version.created_at != created_at):
        _fail(f"{path}.created_at",
              "must not be earlier than the version before it; version 1 must be the "
              "time the entry was created.")
    if before and before[-1].deleted:
        _fail(path, "A deleted entry cannot have versions after its deletion.")


def _read_version(raw: dict[str, Any], path: str, section: str, index: int, now: datetime) -> _Version:
    if raw["version"] != index + 1:
        _fail(f"{path}.version", f"must be {index + 1}: versions are numbered from 1, in order.")
    created_at = _time(raw["created_at"], f"{path}.created_at", now)
    if raw["deleted"]:
        if index == 0:
            _fail(f"{path}.deleted", "The first version of an entry cannot be a deletion.")
        if raw["data"] != {} or raw["tiers"] != {} or raw["provenance"] is not None:
            _fail(path, "A deletion has no data, no tiers and no provenance.")
        return _Version(created_at, {}, {}, None, True)
    with _at(path):
        data, tiers = _validate(section, raw["data"], raw["tiers"])
    return _Version(created_at, data, {k: t.value for k, t in tiers.items()}, raw["provenance"], False)


def _validate(section: str, data: object, tiers: object) -> tuple[dict[str, Any], dict[str, Tier]]:
    # The section's own checks name fields relative to the entry ("dose", "tiers.reason");
    # give data errors their place under "data" so the path leads to the value.
    try:
        return validate_entry(section, data, tiers)
    except InvalidEntry as exc:
        if exc.field and not exc.field.startswith("tiers"):
            raise InvalidEntry(exc.message, field=f"data.{exc.field}") from None
        if not exc.field:
            raise InvalidEntry(exc.message, field="data") from None
        raise


def _read_attachment(raw: dict[str, Any], path: str, now: datetime, max_bytes: int) -> _Attachment:
    created_at = _time(raw["created_at"], f"{path}.created_at", now)
    content = _decode(raw["content_base64"], f"{path}.content_base64", max_bytes)
    return _Attachment(path, raw["section"], raw["tier"], raw["filename"], content, created_at)


def _decode(encoded: str, path: str, max_bytes: int) -> bytes:
    too_big = f"The file is larger than {max_bytes:,} bytes, the most Tell Once keeps."
    # Measured before decoding too, so a huge string is refused without being decoded.
    if len(encoded) > 4 * (max_bytes // 3 + 1):
        _fail(path, too_big)
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        _fail(path, "is not valid base64.")
    if len(content) > max_bytes:
        _fail(path, too_big)
    return content
