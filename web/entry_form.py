"""Entry forms generated from the section schema (vault/sections/).

Every section's form is built from its fields: own words first, then each structured box
with its hint and its tier. What a browser sends back is turned into the same data the API
takes, and the vault checks it, so the pages and the API can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from vault.sections import Field, FieldType, Section, Tier

EXTRA_LIST_ROWS = 1
TIER_WORDS = {
    "E": "Emergency: anyone helping me in an emergency",
    "C": "Care team: people who support me",
    "S": "Sensitive: only when I choose, one share at a time",
    "P": "Private: only me",
}


class FormProblem(Exception):
    """One or more boxes could not be read; ``problems`` maps box ids to plain words."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("form problems")
        self.problems = problems


@dataclass(frozen=True)
class Box:
    """One box of a form, ready for a template."""

    id: str
    field: Field
    value: Any
    tier: str


def input_id(name: str, *parts: object) -> str:
    return "-".join(["f", name, *(str(p) for p in parts)])


def _date_parts(value: object) -> dict[str, str]:
    if isinstance(value, str) and len(value) == 10:
        year, month, day = value.split("-")
        return {"day": day, "month": month, "year": year}
    return {"day": "", "month": "", "year": ""}


def display_value(field: Field, value: object) -> Any:
    """What a box shows: dates as day, month and year; lists of words one per line."""
    if field.type is FieldType.DATE:
        return _date_parts(value)
    if field.type is FieldType.STRINGS:
        return "\n".join(value) if isinstance(value, list) else ""
    if field.type is FieldType.BOOLEAN:
        return {True: "yes", False: "no"}.get(value, "")  # type: ignore[call-overload]
    if field.type is FieldType.LIST:
        rows = list(value) if isinstance(value, list) else []
        return [{item.name: display_value(item, row.get(item.name)) for item in field.item_fields}
                for row in rows + [{}] * EXTRA_LIST_ROWS]
    return "" if value is None else value


def boxes(section: Section, data: dict[str, Any], tiers: dict[str, str]) -> list[Box]:
    return [Box(input_id(f.name), f, display_value(f, data.get(f.name)),
                tiers.get(f.name, (section.fixed_tier or f.tier).value))
            for f in section.fields]


_NO_DATE = {"day": "", "month": "", "year": ""}


def _sent_value(field: Field, form: MultiDict[str, str], key: str) -> Any:
    """What a box showed when the form was sent, in the shape display_value gives."""
    if field.type is FieldType.DATE:
        return {part: form.get(f"{key}.{part}", "") for part in ("day", "month", "year")}
    if field.type is FieldType.LIST:
        rows = []
        index = 0
        while any(k.startswith(f"{key}.{index}.") for k in form):
            rows.append({item.name: _sent_value(item, form, f"{key}.{index}.{item.name}")
                         for item in field.item_fields})
            index += 1
        # Empty rows at the end go (a fresh one is added); the others stay where they were,
        # so that a problem named by its row's number is beside that row.
        while rows and all(v in ("", _NO_DATE) for v in rows[-1].values()):
            rows.pop()
        return rows + display_value(field, [])
    return form.get(key, "")


def sent_boxes(section: Section, form: MultiDict[str, str],
               tiers: dict[str, str]) -> list[Box]:
    """The boxes as the person filled them in, for a form sent back with something to fix."""
    return [Box(input_id(f.name), f, _sent_value(f, form, f"f.{f.name}"),
                form.get(f"tier.{f.name}") or tiers.get(f.name,
                                                        (section.fixed_tier or f.tier).value))
            for f in section.fields]


def _read_date(form: MultiDict[str, str], key: str, label: str,
               problems: dict[str, str]) -> str | None:
    day, month, year = (form.get(f"{key}.{part}", "").strip() for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        problems[key] = f'"{label}" needs a day, a month and a 4-digit year, like 27 3 2025.'
        return None
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _read_value(field: Field, form: MultiDict[str, str], key: str,
                problems: dict[str, str]) -> Any:
    kind = field.type
    if kind is FieldType.DATE:
        return _read_date(form, key, field.label, problems)
    raw = form.get(key, "")
    if kind is FieldType.BOOLEAN:
        return {"yes": True, "no": False}.get(raw)
    if kind is FieldType.INTEGER:
        if not raw.strip():
            return None
        if not raw.strip().isdigit():
            problems[key] = f'"{field.label}" must be a whole number, like 3.'
            return None
        return int(raw.strip())
    if kind is FieldType.STRINGS:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return raw


def _read_list(field: Field, form: MultiDict[str, str], problems: dict[str, str]) -> list[Any]:
    rows = []
    index = 0
    while any(k.startswith(f"f.{field.name}.{index}.") for k in form):
        row = {item.name: _read_value(item, form, f"f.{field.name}.{index}.{item.name}", problems)
               for item in field.item_fields}
        rows.append({k: v for k, v in row.items() if v not in (None, "", [])})
        index += 1
    return [row for row in rows if row]


def read_form(section: Section, form: MultiDict[str, str]) -> tuple[dict[str, Any],
                                                                     dict[str, str]]:
    """The entry's data and tiers from a submitted form. :raises FormProblem:"""
    problems: dict[str, str] = {}
    data: dict[str, Any] = {}
    tiers: dict[str, str] = {}
    for field in section.fields:
        if field.type is FieldType.LIST:
            value: Any = _read_list(field, form, problems)
        else:
            value = _read_value(field, form, f"f.{field.name}", problems)
        if value not in (None, "", []):
            data[field.name] = value
        tier = form.get(f"tier.{field.name}")
        if tier and section.fixed_tier is None and tier in Tier.__members__:
            tiers[field.name] = tier
    if problems:
        raise FormProblem({key.replace(".", "-"): message for key, message in problems.items()})
    return data, tiers


def box_id_for(vault_field: str | None) -> str:
    """The id of the box a vault error names: reviews[2].date → f-reviews-2-date."""
    if not vault_field:
        return "f-text"
    cleaned = vault_field.replace("[", ".").replace("]", "").replace("tiers.", "")
    return "f-" + "-".join(part for part in cleaned.split(".") if part)
