"""Importing an export: check the whole document, then recreate every entry, version and attachment.

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
from vault.attachments import AttachmentRejected, store_attachment
from vault.entries import AUTHOR_ROLES, MAX_PROVENANCE
from vault.errors import InvalidEntry, UnknownSection
from vault.export import FORMAT, VERSION
from vault.keychain import Keychain
from vault.models import Person
from vault.people import check_name, set_display_name
from vault.sections import Tier, get_section, validate_entry

# The author role of everything an import writes (RECORD.md, Rules).
IMPORTED = "imported"

MAX_ENTRIES = 10_000
MAX_VERSIONS = 1_000
MAX_ATTACHMENTS = 1_000
MAX_SHORT = 255
# Servers' clocks differ a little; a time this far ahead of ours is still accepted.
CLOCK_SKEW = timedelta(minutes=5)

_TOP = {"format", "version", "exported_at", "person", "entries", "attachments", "audit"}
_ENTRY = {"section", "created_at", "deleted", "versions"}
_VERSION = {"version", "created_at", "author_role", "provenance", "data", "tiers", "deleted"}
_ATTACHMENT = {"section", "tier", "media_type", "filename", "created_at", "content_base64"}


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


# -- checking a document --------------------------------------------------------------------


class InvalidExport(InvalidEntry):
    """The document is not shaped like an export (a key, a type, a limit).

    Its code is the API's own for input that breaks a schema; what is wrong inside an
    entry's data keeps the code of an invalid entry, as when the entry is typed in.
    """

    code = "invalid_input"


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


def _show(key: object) -> str:
    text = str(key)
    return text if len(text) <= 40 else text[:40] + "..."


def _object(value: object, path: str, keys: set[str], *, with_id: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path, "must be an object of named values.")
    allowed = keys | {"id"} if with_id else keys
    for key in value:
        if key not in allowed:
            where = f"{path}.{_show(key)}" if path else _show(key)
            _fail(where, "is not part of a Tell Once export. Remove it.")
    for key in sorted(keys):
        if key not in value:
            _fail(f"{path}.{key}" if path else key, "is missing.")
    if with_id and "id" in value:
        _string(value["id"], f"{path}.id", MAX_SHORT)
    return value


def _string(value: object, path: str, max_length: int) -> str:
    if not isinstance(value, str):
        _fail(path, "must be text.")
    if len(value) > max_length:
        _fail(path, f"can have at most {max_length:,} characters.")
    return value


def _is_int(value: object) -> bool:
    # JSON's true and 1.0 are not version numbers, although Python compares them equal to 1.
    return type(value) is int


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, "must be true or false.")
    return value


def _list(value: object, path: str, max_items: int) -> list[Any]:
    if not isinstance(value, list):
        _fail(path, "must be a list.")
    if len(value) > max_items:
        _fail(path, f"can have at most {max_items:,} items.")
    return value


def _time(value: object, path: str, now: datetime) -> datetime:
    text = _string(value, path, 40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(path, "must be a date and time like 2026-11-23T14:02:00+00:00.")
    if moment.tzinfo is None:
        _fail(path, "must say its time zone, like 2026-11-23T14:02:00+00:00.")
    if moment > now + CLOCK_SKEW:
        _fail(path, "is in the future.")
    return moment


def _read_document(export: object, *, now: datetime, max_bytes: int) -> _Plan:
    doc = _read_shape(export)
    _time(doc["exported_at"], "exported_at", now)
    person = _object(doc["person"], "person", {"preferred_name"}, with_id=True)
    with _at("person"):
        name = check_name(person["preferred_name"])
    head = _object(doc["audit"]["head"], "audit.head", {"seq", "hash"})
    if not _is_int(head["seq"]):
        _fail("audit.head.seq", "must be a whole number.")
    _string(head["hash"], "audit.head.hash", 64)
    entries = [_read_entry(raw, f"entries[{i}]", now) for i, raw in enumerate(doc["entries"])]
    attachments = [_read_attachment(raw, f"attachments[{i}]", now, max_bytes)
                   for i, raw in enumerate(doc["attachments"])]
    return _Plan(name, entries, attachments)


def _read_shape(export: object) -> dict[str, Any]:
    """The top level first, so a wrong key or type there is named before anything inside."""
    if not isinstance(export, dict):
        _fail("", "This is not a Tell Once export: send the JSON object that an export gave.")
    doc = _object(export, "", _TOP)
    if doc["format"] != FORMAT:
        _fail("format", f'must be "{FORMAT}": this is not a Tell Once export.')
    if not _is_int(doc["version"]) or doc["version"] != VERSION:
        _fail("version", f"must be {VERSION}: this server reads exports of version {VERSION}.")
    _string(doc["exported_at"], "exported_at", 40)
    for key in ("person", "audit"):
        if not isinstance(doc[key], dict):
            _fail(key, "must be an object of named values.")
    _object(doc["audit"], "audit", {"head"})
    _list(doc["entries"], "entries", MAX_ENTRIES)
    _list(doc["attachments"], "attachments", MAX_ATTACHMENTS)
    return doc


def _read_section(value: object, path: str) -> str:
    name = _string(value, path, MAX_SHORT)
    with _at(path):
        return get_section(name).name


def _read_entry(raw: object, path: str, now: datetime) -> _Entry:
    entry = _object(raw, path, _ENTRY, with_id=True)
    section = _read_section(entry["section"], f"{path}.section")
    created_at = _time(entry["created_at"], f"{path}.created_at", now)
    deleted = _boolean(entry["deleted"], f"{path}.deleted")
    raws = _list(entry["versions"], f"{path}.versions", MAX_VERSIONS)
    if not raws:
        _fail(f"{path}.versions", "must have at least one version.")
    versions: list[_Version] = []
    for i, raw_version in enumerate(raws):
        where = f"{path}.versions[{i}]"
        version = _read_version(raw_version, where, section, i, now)
        earlier = versions[-1].created_at if versions else created_at
        if version.created_at < earlier or (i == 0 and version.created_at != created_at):
            _fail(f"{where}.created_at",
                  "must not be earlier than the version before it; version 1 must be the "
                  "time the entry was created.")
        if versions and versions[-1].deleted:
            _fail(where, "A deleted entry cannot have versions after its deletion.")
        versions.append(version)
    if deleted != versions[-1].deleted:
        _fail(f"{path}.deleted", "must match whether the last version is a deletion.")
    return _Entry(section, versions)


def _read_version(raw: object, path: str, section: str, index: int, now: datetime) -> _Version:
    version = _object(raw, path, _VERSION)
    if not _is_int(version["version"]) or version["version"] != index + 1:
        _fail(f"{path}.version", f"must be {index + 1}: versions are numbered from 1, in order.")
    created_at = _time(version["created_at"], f"{path}.created_at", now)
    if version["author_role"] not in AUTHOR_ROLES:
        _fail(f"{path}.author_role", f"must be one of: {', '.join(sorted(AUTHOR_ROLES))}.")
    provenance = version["provenance"]
    if provenance is not None:
        _string(provenance, f"{path}.provenance", MAX_PROVENANCE)
    if _boolean(version["deleted"], f"{path}.deleted"):
        if index == 0:
            _fail(f"{path}.deleted", "The first version of an entry cannot be a deletion.")
        if version["data"] != {} or version["tiers"] != {} or provenance is not None:
            _fail(path, "A deletion has no data, no tiers and no provenance.")
        return _Version(created_at, {}, {}, None, True)
    with _at(path):
        data, tiers = _validate(section, version["data"], version["tiers"])
    return _Version(created_at, data, {k: t.value for k, t in tiers.items()}, provenance, False)


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


def _read_attachment(raw: object, path: str, now: datetime, max_bytes: int) -> _Attachment:
    item = _object(raw, path, _ATTACHMENT, with_id=True)
    section = _read_section(item["section"], f"{path}.section")
    tier = _string(item["tier"], f"{path}.tier", 1)
    if tier not in {t.value for t in Tier}:
        _fail(f"{path}.tier", "must be E, C, S or P.")
    # The server decides the media type from the content itself; the stated one is checked
    # for its shape only.
    _string(item["media_type"], f"{path}.media_type", MAX_SHORT)
    filename = _string(item["filename"], f"{path}.filename", MAX_SHORT)
    created_at = _time(item["created_at"], f"{path}.created_at", now)
    where = f"{path}.content_base64"
    encoded = item["content_base64"]
    if not isinstance(encoded, str):
        _fail(where, "must be text.")
    # Measured before decoding too, so a huge string is refused without being decoded.
    if len(encoded) > 4 * (max_bytes // 3 + 1):
        _fail(where, f"The file is larger than {max_bytes:,} bytes, the most Tell Once keeps.")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        _fail(where, "is not valid base64.")
    if len(content) > max_bytes:
        _fail(where, f"The file is larger than {max_bytes:,} bytes, the most Tell Once keeps.")
    return _Attachment(path, section, tier, filename, content, created_at)
