"""JSON Schemas of each section's entry data, generated from the catalogue.

They are plain dicts, so any JSON Schema tool can read them: the API's OpenAPI document shows them
to clients, and the import of an export checks each version's data and tiers with them. They carry
the same limits as ``validate_entry``, which still runs after them for what a schema cannot say
(stripped text, line breaks, real dates, a fixed tier, the NHS number's check digit).
"""

from __future__ import annotations

from typing import Any

from vault.sections.catalogue import SECTIONS
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
)


def field_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of one field's value, with its label and hint as the description."""
    described: dict[str, Any] = {"description": field.label + (f" {field.hint}" if field.hint else ""),
                                 "x-tier": field.tier.value}
    kind = field.type
    if kind is FieldType.TEXT:
        return described | {"type": "string", "maxLength": MAX_TEXT}
    if kind is FieldType.STRING:
        return described | {"type": "string", "maxLength": MAX_STRING}
    if kind is FieldType.DATE:
        return described | {"type": "string", "format": "date"}
    if kind is FieldType.BOOLEAN:
        return described | {"type": "boolean"}
    if kind is FieldType.INTEGER:
        return described | {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER}
    if kind is FieldType.CHOICE:
        return described | {"type": "string", "enum": list(field.choices)}
    if kind is FieldType.STRINGS:
        return described | {"type": "array", "maxItems": MAX_STRINGS,
                            "items": {"type": "string", "maxLength": MAX_STRING}}
    return described | {
        "type": "array",
        "maxItems": MAX_LIST,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {item.name: field_schema(item) for item in field.item_fields},
            "required": [item.name for item in field.item_fields if item.required],
        },
    }


def entry_data_schema(section: Section) -> dict[str, Any]:
    """The JSON Schema of an entry's data in ``section``: its fields, and no others."""
    return {
        "type": "object",
        "title": section.title,
        "description": section.purpose + " `text` alone is always enough.",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {f.name: field_schema(f) for f in section.fields},
    }


def entry_data_schemas() -> dict[str, dict[str, Any]]:
    """The schema of every section's entry data, by section name, in the catalogue's order."""
    return {name: entry_data_schema(section) for name, section in SECTIONS.items()}


def entry_tiers_schema(section: Section) -> dict[str, Any]:
    """The JSON Schema of an entry's tier overrides in ``section``: any tier, for its fields only.

    Whether a section with a fixed tier allows the one given is left to ``validate_entry``, which
    says so in the person's words.
    """
    tiers = [t.value for t in Tier]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: {"enum": tiers} for f in section.fields},
    }
