"""Decrypted entries for share tests, without a database: the demo people, and Hypothesis strategies
that plant a unique canary string in every text a field can hold."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from consent.templates import Inclusion, ShareScope
from vault.entries import EntryView
from vault.sections import SECTION_NAMES, SECTIONS, Field, FieldType, Tier, validate_entry
from web.demo_data import DEMO_ACCOUNTS

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
MADE_AT = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)
BUNDLE_ID = "5b0d3c1e-2f4a-4c8e-9b7d-1a2b3c4d5e6f"


def view(
    section: str, data: dict[str, Any], tiers: dict[str, str] | None = None, *, entry_id: str = "entry-1",
    version: int = 1, minutes: int = 0, deleted: bool = False, author_role: str = "subject",
    provenance: str | None = None,
) -> EntryView:
    """An entry as the vault hands it over after decryption: validated, with every field's tier."""
    clean, tier_map = validate_entry(section, data, tiers)
    at = T0 + timedelta(minutes=minutes)
    return EntryView(id=entry_id, person_id="person-1", section=section, version=version, data=clean,
                     tiers={name: tier.value for name, tier in tier_map.items()}, provenance=provenance,
                     author_account_id=None, author_role=author_role, created_at=at, updated_at=at,
                     deleted=deleted)


def demo_views(login: str) -> list[EntryView]:
    account = next(a for a in DEMO_ACCOUNTS if a["login"] == login)
    return [
        view(e["section"], e["data"], e.get("tiers"), minutes=n,
             entry_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"tellonce-test/{login}/{n}")))
        for n, e in enumerate(account["entries"])
    ]


DEMO_LOGINS = tuple(a["login"] for a in DEMO_ACCOUNTS)


# ---------------------------------------------------------------------------------------------------
# Canaries
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """An entry and the canaries hidden in each of its fields."""

    entry: EntryView
    canaries: dict[str, tuple[str, ...]]


def _canary(*numbers: int) -> str:
    # Fixed width, so no canary is ever part of another.
    return "cnry" + "".join(f"{n:02d}" for n in numbers)


@st.composite
def _value(draw: st.DrawFn, f: Field, tag: tuple[int, ...]) -> tuple[Any, tuple[str, ...]]:
    """A value for ``f`` and the canaries in it (none for dates, numbers, yes/no and choices)."""
    canary = _canary(*tag)
    if f.type in (FieldType.TEXT, FieldType.STRING):
        return f"{draw(st.sampled_from(['', 'Note: ']))}{canary} here", (canary,)
    if f.type is FieldType.STRINGS:
        return [canary], (canary,)
    if f.type is FieldType.DATE:
        return draw(st.dates(min_value=date(1900, 1, 1))).isoformat(), ()
    if f.type is FieldType.BOOLEAN:
        return draw(st.booleans()), ()
    if f.type is FieldType.INTEGER:
        return draw(st.integers(0, 1000)), ()
    if f.type is FieldType.CHOICE:
        return draw(st.sampled_from(f.choices)), ()
    row: dict[str, Any] = {}
    found: list[str] = []
    for k, sub in enumerate(f.item_fields):
        value, canaries = draw(_value(sub, (*tag, k)))
        row[sub.name] = value
        found += canaries
    return [row], tuple(found)


@st.composite
def planted_entry(draw: st.DrawFn, index: int) -> Planted:
    section = SECTIONS[draw(st.sampled_from(SECTION_NAMES))]
    fields = draw(st.lists(st.sampled_from(section.fields), min_size=1, max_size=6,
                           unique_by=lambda f: f.name))
    data: dict[str, Any] = {}
    tiers: dict[str, str] = {}
    canaries: dict[str, tuple[str, ...]] = {}
    for f in fields:
        data[f.name], canaries[f.name] = draw(_value(f, (index, section.fields.index(f))))
        tiers[f.name] = (section.fixed_tier or draw(st.sampled_from(list(Tier)))).value
    at = T0 + timedelta(minutes=draw(st.integers(0, 10)))
    entry = EntryView(
        id=f"entry-{index}", person_id="person-1", section=section.name, version=draw(st.integers(1, 3)),
        data=data, tiers=tiers, provenance=None, author_account_id=None,
        author_role=draw(st.sampled_from(["subject", "delegate", "imported"])), created_at=at, updated_at=at,
        deleted=draw(st.sampled_from([False, False, False, True])),
    )
    return Planted(entry, canaries)


@st.composite
def planted_record(draw: st.DrawFn) -> tuple[list[Planted], ShareScope]:
    """Some entries, and a scope that ticks some of them for S."""
    count = draw(st.integers(0, 6))
    planted = [draw(planted_entry(i)) for i in range(count)]
    sections = draw(st.dictionaries(st.sampled_from(SECTION_NAMES), st.sampled_from(list(Inclusion))))
    ticked = draw(st.frozensets(st.sampled_from([p.entry.id for p in planted]))) if planted else frozenset()
    ceiling = draw(st.sampled_from([Tier.E, Tier.C]))
    return planted, ShareScope(sections=sections, ceiling=ceiling, s_items=ticked)


def why_left_out(entry: EntryView, name: str, scope: ShareScope) -> str | None:
    """The rules restated independently: why this field must not be shared, or None if it must be."""
    section = SECTIONS[entry.section]
    tier = section.fixed_tier or Tier(entry.tiers[name])
    inclusion = scope.sections.get(entry.section)
    if entry.deleted:
        return "deleted"
    if inclusion is None:
        return "section not in scope"
    if tier is Tier.P:
        return "private"
    if inclusion is Inclusion.SUMMARY and not section.field(name).summary:
        return "not a summary field"
    if tier is Tier.S:
        return None if entry.id in scope.s_items else "sensitive, not ticked"
    if tier is Tier.C and scope.ceiling is Tier.E:
        return "above the ceiling"
    return None
