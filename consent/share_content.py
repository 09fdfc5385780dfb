"""What one share includes, field by field, and the project's own JSON of the shared record.

Pure functions from decrypted entries to data: no storage, no keys, no web. The caller stores the
result encrypted; ``consent.ips`` wraps it in a FHIR document.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from consent.templates import Inclusion, ShareScope
from vault.entries import EntryView
from vault.sections import SECTIONS, TIER_RANK, Field, FieldType, Section, Tier

__all__ = [
    "RECORD_FORMAT",
    "RECORD_VERSION",
    "WRITTEN_BY",
    "SharedItem",
    "record_around",
    "record_sections",
    "select_items",
    "shared_record",
    "utc_text",
]

RECORD_FORMAT = "tellonce-shared-record"
RECORD_VERSION = 1

# How the recipient is told who wrote an item: plain words, never an account or a name.
WRITTEN_BY = {"subject": "the person", "delegate": "a supporter", "imported": "imported from a file"}

# A recipient must see emergency and future care plans before anything else.
_FIRST = "future_plans"


@dataclass(frozen=True)
class SharedItem:
    """One entry as a share shows it: only the fields the scope allows."""

    entry_id: str
    section: str
    version: int
    data: dict[str, Any]
    tiers: dict[str, Tier]
    provenance: str | None
    author_role: str
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        # Checked here as well as in select_items: whatever builds an item, a P field can never
        # reach a share, and every shared field carries its tier.
        if set(self.tiers) != set(self.data):
            raise ValueError("every shared field needs a tier, and only shared fields have one")
        tiers = {name: Tier(tier) for name, tier in self.tiers.items()}
        if Tier.P in tiers.values():
            raise ValueError("private fields are never shared")
        object.__setattr__(self, "tiers", tiers)
        if self.author_role not in WRITTEN_BY:
            raise ValueError(f"unknown author role {self.author_role!r}")


def select_items(entries: Iterable[EntryView], scope: ShareScope) -> list[SharedItem]:
    """The entries cut down to what ``scope`` allows, by section number and then by time."""
    items = [item for entry in entries if (item := _select(entry, scope)) is not None]
    return sorted(items, key=lambda i: (SECTIONS[i.section].number, i.updated_at, i.entry_id))


def _select(entry: EntryView, scope: ShareScope) -> SharedItem | None:
    inclusion = scope.sections.get(entry.section)
    if entry.deleted or inclusion is None:
        return None
    section = SECTIONS[entry.section]
    tiers: dict[str, Tier] = {}
    for f in section.fields:
        tier = _tier(section, entry.tiers.get(f.name))
        if f.name in entry.data and tier is not None and _allowed(f, tier, inclusion, entry.id, scope):
            tiers[f.name] = tier
    if not tiers:
        return None
    return SharedItem(
        entry_id=entry.id,
        section=entry.section,
        version=entry.version,
        # A copy, so a later change to the entry's values cannot change what was shared.
        data={name: copy.deepcopy(entry.data[name]) for name in tiers},
        tiers=tiers,
        provenance=entry.provenance,
        author_role=entry.author_role,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def _tier(section: Section, stored: str | None) -> Tier | None:
    """The field's tier, or None when it cannot be known, so the field is left out (fail closed)."""
    # A section with a fixed tier (the journal is P always) keeps it whatever an entry says.
    if section.fixed_tier is not None:
        return section.fixed_tier
    try:
        return Tier(stored) if stored is not None else None
    except ValueError:
        return None


def _allowed(f: Field, tier: Tier, inclusion: Inclusion, entry_id: str, scope: ShareScope) -> bool:
    # P is mine alone: no scope, tick or ceiling can share it.
    if tier is Tier.P:
        return False
    if inclusion is Inclusion.SUMMARY and not f.summary:
        return False
    if TIER_RANK[tier] <= TIER_RANK[scope.ceiling]:
        return True
    # S goes only in items the person ticked for this one share.
    return tier is Tier.S and entry_id in scope.s_items


def utc_text(moment: datetime) -> str:
    """An aware time as ISO 8601 in UTC to the second, e.g. 2026-11-23T14:02:00Z.

    :raises ValueError: for a naive time, whose zone cannot be known.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times in a share must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def shared_record(items: Sequence[SharedItem], *, label: str, made_at: datetime) -> dict[str, Any]:
    """The project's own JSON of the shared items, readable by a viewer that knows no schema."""
    return record_around(record_sections(items), label=label, made_at=made_at)


def record_sections(items: Sequence[SharedItem]) -> list[dict[str, Any]]:
    """The shared record's sections: the same for every link that shares these items."""
    by_section: dict[str, list[SharedItem]] = {}
    for item in items:
        by_section.setdefault(item.section, []).append(item)
    order = sorted(by_section, key=lambda name: (name != _FIRST, SECTIONS[name].number))
    return [_record_section(SECTIONS[name], by_section[name]) for name in order]


def record_around(sections: list[dict[str, Any]], *, label: str,
                  made_at: datetime) -> dict[str, Any]:
    """The shared record of ``record_sections``, for one link: its label and when it was made."""
    return {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "label": label,
        "made_at": utc_text(made_at),
        "sections": sections,
    }


def _record_section(section: Section, items: list[SharedItem]) -> dict[str, Any]:
    return {
        "name": section.name,
        "number": section.number,
        "title": section.title,
        "items": [_record_item(section, item) for item in items],
    }


def _record_item(section: Section, item: SharedItem) -> dict[str, Any]:
    return {
        "id": item.entry_id,
        "version": item.version,
        "written_by": WRITTEN_BY[item.author_role],
        "provenance": item.provenance,
        "updated_at": utc_text(item.updated_at),
        "fields": [_record_field(f, item) for f in section.fields if f.name in item.data],
    }


def _record_field(f: Field, item: SharedItem) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "name": f.name,
        "label": f.label,
        "tier": item.tiers[f.name].value,
        "type": f.type.value,
        "value": item.data[f.name],
    }
    if f.type is FieldType.LIST:
        shown["item_fields"] = [
            {"name": sub.name, "label": sub.label, "type": sub.type.value} for sub in f.item_fields
        ]
    return shown
