"""Checks of one entry against its section: ``validate_entry`` and the checks of single fields.

It knows nothing of storage, encryption or the web: ``validate_entry`` takes plain data (as decoded
from JSON) and returns cleaned data plus the tier of every field present.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from vault.errors import InvalidEntry
from vault.sections.catalogue import EMERGENCY_CONTACT_FIELDS, get_section
from vault.sections.schema import (
    MAX_INTEGER,
    MAX_LIST,
    MAX_STRING,
    MAX_STRINGS,
    MAX_TEXT,
    Field,
    FieldType,
    Section,
    Tier,
    quote_name,
)

_EMPTY_MESSAGE = "Write something in your own words, or fill in at least one other box."

_TIER_WORDS = {
    Tier.E: "emergency",
    Tier.C: "care team",
    Tier.S: "sensitive",
    Tier.P: "private",
}

# date.fromisoformat also takes "20240131" and week dates; the record stores one spelling only.
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _bad_char(value: str, *, allow: str) -> str | None:
    """Return a description of the first character not allowed in stored text, or None."""
    for ch in value:
        if ch in allow:
            continue
        category = unicodedata.category(ch)
        if ch in "\n\r\u2028\u2029\x0b\x0c\x85":
            return "line break"
        if category == "Cs":
            # Lone surrogates cannot be encoded as UTF-8, so they could not be encrypted and stored.
            return "broken character"
        if category == "Cc":
            return "hidden control character"
    return None


def _clean_string(f: Field, value: object, path: str, *, multiline: bool) -> str | None:
    if not isinstance(value, str):
        raise InvalidEntry(f'"{f.label}" must be text.', field=path)
    if multiline:
        # Browsers send textareas with CRLF line ends; the record stores plain "\n".
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.strip()
    if not value:
        return None
    problem = _bad_char(value, allow="\n\t" if multiline else "")
    if problem == "line break":
        raise InvalidEntry(f'"{f.label}" must fit on one line. Take out the line breaks.', field=path)
    if problem is not None:
        raise InvalidEntry(f'"{f.label}" contains a {problem}. Remove it and try again.', field=path)
    limit = MAX_TEXT if multiline else MAX_STRING
    if len(value) > limit:
        raise InvalidEntry(
            f'"{f.label}" is too long: it can be at most {limit:,} characters, '
            f"and this has {len(value):,}.",
            field=path,
        )
    return value


def _clean_value(f: Field, value: object, path: str) -> Any:
    """Return the cleaned value of one field, or None when it counts as absent.

    :raises InvalidEntry: naming ``path`` for the first problem found.
    """
    if value is None:
        return None
    kind = f.type
    if kind is FieldType.TEXT or kind is FieldType.STRING:
        return _clean_string(f, value, path, multiline=kind is FieldType.TEXT)
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidEntry(f'"{f.label}" must be yes or no (true or false).', field=path)
        return value
    if kind is FieldType.INTEGER:
        # bool is a subclass of int in Python; true is not a number of anything.
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidEntry(f'"{f.label}" must be a whole number.', field=path)
        if not 0 <= value <= MAX_INTEGER:
            raise InvalidEntry(f'"{f.label}" must be a whole number from 0 to {MAX_INTEGER:,}.', field=path)
        return value
    if kind is FieldType.DATE:
        return _clean_date(f, value, path)
    if kind is FieldType.CHOICE:
        if not isinstance(value, str):
            raise InvalidEntry(f'"{f.label}" must be one of: {", ".join(f.choices)}.', field=path)
        value = value.strip()
        if not value:
            return None
        if value not in f.choices:
            raise InvalidEntry(f'"{f.label}" must be one of: {", ".join(f.choices)}.', field=path)
        return value
    if kind is FieldType.STRINGS:
        return _clean_strings(f, value, path)
    return _clean_list(f, value, path)


def _clean_date(f: Field, value: object, path: str) -> str | None:
    message = f'"{f.label}" must be a date written as YYYY-MM-DD, for example 2024-03-31.'
    if isinstance(value, datetime.datetime):
        raise InvalidEntry(message, field=path)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise InvalidEntry(message, field=path)
    value = value.strip()
    if not value:
        return None
    if not _DATE_RE.match(value):
        raise InvalidEntry(message, field=path)
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        message = f'"{f.label}" is not a real date: check the day and the month.'
        raise InvalidEntry(message, field=path) from None
    return value


def _clean_strings(f: Field, value: object, path: str) -> list[str] | None:
    if not isinstance(value, list | tuple):
        raise InvalidEntry(f'"{f.label}" must be a list of short pieces of text.', field=path)
    item_field = Field(f.name, FieldType.STRING, f.label)
    cleaned = [
        item
        for i, raw in enumerate(value)
        if (item := _clean_value(item_field, raw, f"{path}[{i}]")) is not None
    ]
    if len(cleaned) > MAX_STRINGS:
        raise InvalidEntry(f'"{f.label}" can have at most {MAX_STRINGS} items.', field=path)
    return cleaned or None


def _clean_list(f: Field, value: object, path: str) -> list[dict[str, Any]] | None:
    if not isinstance(value, list | tuple):
        raise InvalidEntry(f'"{f.label}" must be a list.', field=path)
    known = {sub.name: sub for sub in f.item_fields}
    cleaned: list[dict[str, Any]] = []
    for i, raw in enumerate(value):
        item_path = f"{path}[{i}]"
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise InvalidEntry(f'Each item in "{f.label}" must be a set of named boxes.', field=item_path)
        item: dict[str, Any] = {}
        for key, raw_value in raw.items():
            sub = known.get(key) if isinstance(key, str) else None
            if sub is None:
                raise InvalidEntry(
                    f'Items in "{f.label}" have no box called {quote_name(key)}.', field=f"{item_path}.{key}"
                )
            sub_value = _clean_value(sub, raw_value, f"{item_path}.{key}")
            if sub_value is not None:
                item[key] = sub_value
        # A row left completely empty (a form's spare row) is dropped, not treated as an error.
        if not item:
            continue
        for sub in f.item_fields:
            if sub.required and sub.name not in item:
                raise InvalidEntry(
                    f'Fill in "{sub.label}" for this item in "{f.label}", or remove the item.',
                    field=f"{item_path}.{sub.name}",
                )
        cleaned.append({sub.name: item[sub.name] for sub in f.item_fields if sub.name in item})
    if len(cleaned) > MAX_LIST:
        raise InvalidEntry(f'"{f.label}" can have at most {MAX_LIST} items.', field=path)
    return cleaned or None


def _clean_tiers(section: Section, tiers: object | None) -> dict[str, Tier]:
    if tiers is None:
        return {}
    if not isinstance(tiers, dict):
        raise InvalidEntry("Tiers must be given as box names, each with E, C, S or P.", field="tiers")
    result: dict[str, Tier] = {}
    for key, raw in tiers.items():
        path = f"tiers.{key}"
        if not isinstance(key, str) or key not in {f.name for f in section.fields}:
            raise InvalidEntry(
                f"This section has no box called {quote_name(key)}, so it cannot have a tier.", field=path
            )
        label = section.field(key).label
        try:
            tier = Tier(raw) if isinstance(raw, str) else None
        except ValueError:
            tier = None
        if tier is None:
            raise InvalidEntry(f'The tier for "{label}" must be E, C, S or P.', field=path)
        if section.fixed_tier is not None and tier is not section.fixed_tier:
            fixed = section.fixed_tier
            raise InvalidEntry(
                f'Everything in "{section.title}" is always {fixed.value} ({_TIER_WORDS[fixed]}); '
                "this cannot be changed.",
                field=path,
            )
        result[key] = tier
    return result


def _default_tier(section: Section, f: Field, cleaned: dict[str, Any]) -> Tier:
    if section.fixed_tier is not None:
        return section.fixed_tier
    # RECORD.md: "E emergency contacts, C" for everyone else. A default cannot be fixed per field here,
    # so the emergency contact flag raises how to reach that one person to E; the person can still
    # override each field. Everyone else's name and number stay at C.
    if (
        section.name == "people"
        and cleaned.get("emergency_contact") is True
        and f.name in EMERGENCY_CONTACT_FIELDS
    ):
        return Tier.E
    return f.tier


def validate_entry(
    section_name: str, data: object, tiers: object | None = None
) -> tuple[dict[str, Any], dict[str, Tier]]:
    """Check one entry against its section; return the cleaned data and the tier of every field in it.

    Strings are stripped; empty strings, empty lists and None count as absent and are dropped. ``tiers``
    may override the default tier of any field of the section; overrides for absent fields are dropped.

    :raises UnknownSection: if there is no such section.
    :raises InvalidEntry: for the first problem found, with ``field`` set to its path
        (``"dose"``, ``"reviews[2].date"``, ``"tiers.reason"``).
    """
    section = get_section(section_name)
    if not isinstance(data, dict):
        raise InvalidEntry("An entry must be a set of named boxes, for example {\"text\": \"...\"}.")
    known = {f.name: f for f in section.fields}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        f = known.get(key) if isinstance(key, str) else None
        if f is None:
            raise InvalidEntry(
                f"This section has no box called {quote_name(key)}. "
                "Check the spelling, or put it in your own words.",
                field=str(key),
            )
        value = _clean_value(f, raw, key)
        if value is not None:
            values[key] = value
    # Keep the section's order, so the same entry always serialises the same way.
    cleaned = {f.name: values[f.name] for f in section.fields if f.name in values}
    for (checked_section, name), check in FIELD_CHECKS.items():
        if checked_section == section.name and name in cleaned:
            cleaned[name] = check(section.field(name), cleaned[name])
    if not cleaned:
        raise InvalidEntry(_EMPTY_MESSAGE)
    overrides = _clean_tiers(section, tiers)
    tier_map = {
        name: overrides.get(name) or _default_tier(section, known[name], cleaned) for name in cleaned
    }
    return cleaned, tier_map


def check_nhs_number(field: Field, value: str) -> str:
    """An NHS number: ten digits whose last is the modulus 11 check digit of the first nine.

    Spaces and dashes as people copy them are allowed and dropped. :raises InvalidEntry:
    """
    digits = "".join(ch for ch in value if ch not in " -")
    if len(digits) != 10 or not digits.isdigit():
        raise InvalidEntry(f'"{field.label}" has 10 numbers, like 943 476 5919.', field=field.name)
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise InvalidEntry(f'"{field.label}" is not a real NHS number. Check each number again.',
                           field=field.name)
    return digits


# Checks beyond a field's type, for the few fields whose shape is fixed by someone else.
FIELD_CHECKS: dict[tuple[str, str], Callable[[Field, Any], Any]] = {
    ("identity", "nhs_number"): check_nhs_number,
}
