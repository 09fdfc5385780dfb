"""Entries and their versions, stored as one encrypted part per tier.

An edit is a new version; old versions stay readable to those who may read the entry.
Each part is sealed under its own data key, wrapped by the content key of its section and
tier (per item for S, the person's private key for P), with every id in the associated
data, so a part moved to another entry, version, person or tier fails to open.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from keys import envelope
from keys.hierarchy import DATA_KEY, part_binding
from vault import payloads
from vault.errors import InvalidEntry, NotFound
from vault.keychain import Keychain, item_scope, section_scope
from vault.models import Entry, EntryPart, EntryVersion, Person, new_id
from vault.record_metadata import (
    author_of,
    keyed_part_tier,
    part_tier,
    place_in_section,
    seal_author,
    section_of,
)
from vault.sections import SECTION_NAMES, TIER_RANK, Tier, get_section, validate_entry

MAX_PROVENANCE = 500
AUTHOR_ROLES = frozenset({"subject", "delegate", "imported"})


@dataclass(frozen=True)
class EntryView:
    id: str
    person_id: str
    section: str
    version: int
    data: dict[str, Any]
    tiers: dict[str, str]
    provenance: str | None
    author_account_id: str | None
    author_role: str
    created_at: datetime
    updated_at: datetime
    deleted: bool = False


def _scope_for(section: str, entry_id: str, tier: Tier) -> str:
    # S items each get their own content key, so one S item can be shared alone.
    return item_scope(entry_id) if tier is Tier.S else section_scope(section)


def _check_provenance(provenance: object) -> str | None:
    if provenance is None or provenance == "":
        return None
    if not isinstance(provenance, str) or len(provenance) > MAX_PROVENANCE:
        raise InvalidEntry(
            f"Say where this came from in at most {MAX_PROVENANCE} characters.", field="provenance"
        )
    return provenance.strip() or None


def _seal_parts(
    keychain: Keychain,
    person: Person,
    *,
    entry_id: str,
    version: int,
    section: str,
    data: dict[str, Any],
    tiers: dict[str, Tier],
    provenance: str | None,
) -> list[EntryPart]:
    by_tier: dict[Tier, dict[str, Any]] = {}
    for name, value in data.items():
        by_tier.setdefault(tiers[name], {})[name] = value
    lowest = min(by_tier, key=lambda t: TIER_RANK[t])
    parts = []
    for tier, fields in by_tier.items():
        payload: dict[str, Any] = {"fields": fields}
        # Provenance travels with the most widely readable part, so anyone who can read
        # any of the entry also reads where it came from.
        if tier is lowest and provenance:
            payload["provenance"] = provenance
        content_key = keychain.content_key(
            person, _scope_for(section, entry_id, tier), tier, person.epoch, create=True
        )
        data_key = envelope.new_key()
        ids: dict[str, Any] = {"person": person.id, "entry": entry_id, "version": version,
               "section": section, "tier": tier.value}
        parts.append(
            EntryPart(
                entry_id=entry_id,
                version=version,
                tier=keyed_part_tier(keychain, person, tier, entry=entry_id, version=version),
                person_id=person.id,
                section=None,  # Bound in the AAD, kept sealed on the entry (decision 0012).
                key_epoch=person.epoch,
                wrapped_data_key=DATA_KEY.wrap(content_key, data_key, **ids),
                ciphertext=envelope.seal(
                    data_key,
                    payloads.encode(payload),
                    aad=part_binding(**ids),
                ),
            )
        )
    return parts


def _open_part(keychain: Keychain, person: Person, part: EntryPart, section: str,
               tier: Tier) -> dict[str, Any]:
    """Open one part; the AAD binds ``section``, its entry's, and ``tier``, its own, so a part
    moved from an entry of another section, or relabelled, fails to open."""
    content_key = keychain.content_key(
        person, _scope_for(section, part.entry_id, tier), tier, part.key_epoch
    )
    ids: dict[str, Any] = {"person": person.id, "entry": part.entry_id, "version": part.version,
           "section": section, "tier": tier.value}
    data_key = DATA_KEY.unwrap(content_key, part.wrapped_data_key, **ids)
    payload: dict[str, Any] = payloads.decode(
        envelope.open_sealed(data_key, part.ciphertext, aad=part_binding(**ids)))
    return payload


def create_entry(
    session: Session,
    keychain: Keychain,
    person: Person,
    *,
    section: object,
    data: object,
    tiers: object = None,
    provenance: object = None,
    author_role: str = "subject",
    now: datetime,
) -> EntryView:
    """Validate and store a new entry as version 1. :raises InvalidEntry, UnknownSection:"""
    if not isinstance(section, str):
        raise InvalidEntry("Choose a section.", field="section")
    clean, tier_map = validate_entry(section, data, tiers)
    prov = _check_provenance(provenance)
    entry = Entry(id=new_id(), person_id=person.id, current_version=1, created_at=now,
                  updated_at=now)
    place_in_section(keychain, person, entry, get_section(section).name)
    session.add(entry)
    session.flush()
    return _add_version(session, keychain, person, entry, 1, clean, tier_map, prov,
                        author_role, now)


def update_entry(
    session: Session,
    keychain: Keychain,
    person: Person,
    *,
    entry_id: str,
    data: object,
    tiers: object = None,
    provenance: object = None,
    author_role: str = "subject",
    now: datetime,
) -> EntryView:
    """Store a new version of an entry. :raises NotFound, InvalidEntry:"""
    entry = get_entry(session, person, entry_id, to_change=True)
    clean, tier_map = validate_entry(section_of(keychain, person, entry), data, tiers)
    prov = _check_provenance(provenance)
    version = entry.current_version + 1
    entry.current_version = version
    entry.updated_at = now
    return _add_version(session, keychain, person, entry, version, clean, tier_map, prov,
                        author_role, now)


def _add_version(
    session: Session,
    keychain: Keychain,
    person: Person,
    entry: Entry,
    version: int,
    data: dict[str, Any],
    tier_map: dict[str, Tier],
    provenance: str | None,
    author_role: str,
    now: datetime,
) -> EntryView:
    if author_role not in AUTHOR_ROLES:
        raise ValueError(author_role)
    row = EntryVersion(entry_id=entry.id, version=version, person_id=person.id, created_at=now)
    _add_version_row(session, keychain, person, row, author_role)
    section = section_of(keychain, person, entry)
    session.add_all(_seal_parts(keychain, person, entry_id=entry.id, version=version,
                                section=section, data=data, tiers=tier_map,
                                provenance=provenance))
    session.flush()
    return EntryView(entry.id, person.id, section, version, data,
                     {k: v.value for k, v in tier_map.items()}, provenance,
                     keychain.account_id, author_role, now, now)


def delete_entry(
    session: Session, keychain: Keychain, person: Person, *, entry_id: str,
    author_role: str = "subject", now: datetime,
) -> Entry:
    """Mark an entry deleted with a version of its own; earlier versions stay."""
    if author_role not in AUTHOR_ROLES:
        raise ValueError(author_role)
    entry = get_entry(session, person, entry_id, to_change=True)
    entry.current_version += 1
    entry.updated_at = now
    entry.deleted_at = now
    _add_version_row(session, keychain, person, EntryVersion(
        entry_id=entry.id, version=entry.current_version, person_id=person.id, created_at=now,
        deleted=1), author_role)
    session.flush()
    return entry


def _add_version_row(session: Session, keychain: Keychain, person: Person, row: EntryVersion,
                     author_role: str) -> None:
    """A version's row, its author sealed to it (decision 0013)."""
    seal_author(keychain, person, row, role=author_role, account_id=keychain.account_id)
    session.add(row)


def get_entry(session: Session, person: Person, entry_id: str, *, deleted: bool = False,
              to_change: bool = False) -> Entry:
    """The entry; ``to_change`` locks its row until the transaction ends (on PostgreSQL;
    SQLite's write lock already holds every writer), so that two edits at once each make a
    version of their own instead of both taking the same next number.

    :raises NotFound: for an entry of another person, or a deleted one.
    """
    entry = (session.get(Entry, entry_id, with_for_update={"key_share": True},
                         populate_existing=True)
             if to_change else session.get(Entry, entry_id))
    if entry is None or entry.person_id != person.id:
        raise NotFound
    if entry.deleted_at is not None and not deleted:
        raise NotFound
    return entry


def read_version(
    session: Session, keychain: Keychain, person: Person, entry: Entry, version: int
) -> EntryView:
    meta = session.get(EntryVersion, (entry.id, version))
    if meta is None:
        raise NotFound
    parts = session.scalars(
        select(EntryPart).where(EntryPart.entry_id == entry.id, EntryPart.version == version)
    ).all()
    return _view(keychain, person, entry, meta, parts)


def _view(
    keychain: Keychain, person: Person, entry: Entry, meta: EntryVersion, parts: Any
) -> EntryView:
    data: dict[str, Any] = {}
    tiers: dict[str, str] = {}
    provenance = None
    section = section_of(keychain, person, entry)
    tiered = sorted(((part_tier(keychain, person, part), part) for part in parts),
                    key=lambda pair: TIER_RANK[pair[0]])
    for tier, part in tiered:
        payload = _open_part(keychain, person, part, section, tier)
        for name, value in payload["fields"].items():
            data[name] = value
            tiers[name] = tier.value
        provenance = provenance or payload.get("provenance")
    order = [f.name for f in get_section(section).fields]
    data = {name: data[name] for name in order if name in data}
    role, author = author_of(keychain, person, meta)
    return EntryView(entry.id, person.id, section, meta.version, data,
                     {name: tiers[name] for name in data}, provenance, author, role,
                     meta.created_at, entry.updated_at, bool(meta.deleted))


def read_entry(session: Session, keychain: Keychain, person: Person, entry_id: str) -> EntryView:
    entry = get_entry(session, person, entry_id)
    return read_version(session, keychain, person, entry, entry.current_version)


def list_entries(
    session: Session, keychain: Keychain, person: Person, *, section: str | None = None,
    sections: Collection[str] | None = None,
) -> list[EntryView]:
    """Current versions of every live entry, in section order then by creation: of one
    ``section``, of any of ``sections``, or (neither given) of all.

    Only the entries asked for are decrypted: a link's copy needs its own sections alone.
    """
    if section is not None:
        sections = (section,)
    for name in sections or ():
        get_section(name)
    query = select(Entry).where(Entry.person_id == person.id, Entry.deleted_at.is_(None))
    entries = session.scalars(query.order_by(Entry.created_at, Entry.id)).all()
    if not entries:
        return []
    keychain.preload_content_keys(person)
    # Sections are sealed, so the database cannot choose by them: each is opened here.
    if sections is not None:
        wanted = frozenset(sections)
        entries = [e for e in entries if section_of(keychain, person, e) in wanted]
        if not entries:
            return []
    # The versions as the entries were read, by number, not "the current one" again: on
    # PostgreSQL each statement sees what was committed before it, so an edit committed
    # between these statements would otherwise leave an entry without its version. A
    # version never changes once written, so these are the entries as first read.
    current = [(e.id, e.current_version) for e in entries]
    metas = {(m.entry_id, m.version): m for m in session.scalars(
        select(EntryVersion).where(tuple_(EntryVersion.entry_id, EntryVersion.version)
                                   .in_(current)))}
    parts: dict[str, list[EntryPart]] = {}
    for part in session.scalars(
        select(EntryPart).where(tuple_(EntryPart.entry_id, EntryPart.version).in_(current))
    ):
        parts.setdefault(part.entry_id, []).append(part)
    views = [
        _view(keychain, person, e, metas[(e.id, e.current_version)],
              parts.get(e.id, []))
        for e in entries
    ]
    section_rank = {name: i for i, name in enumerate(SECTION_NAMES)}
    return sorted(views, key=lambda v: section_rank[v.section])


def list_versions(
    session: Session, keychain: Keychain, person: Person, entry_id: str
) -> list[EntryView]:
    """Every version, newest first; a deletion is a version with no data."""
    entry = get_entry(session, person, entry_id, deleted=True)
    views = []
    for meta in session.scalars(
        select(EntryVersion).where(EntryVersion.entry_id == entry.id)
        .order_by(EntryVersion.version.desc())
    ):
        if meta.deleted:
            role, author = author_of(keychain, person, meta)
            views.append(EntryView(entry.id, person.id, section_of(keychain, person, entry),
                                   meta.version, {}, {}, None, author, role,
                                   meta.created_at, entry.updated_at, True))
        else:
            views.append(read_version(session, keychain, person, entry, meta.version))
    return views
