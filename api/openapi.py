"""JSON Schemas of each section's entry data, generated from vault/sections.py.

The document then tells any client exactly which fields each section takes, with the same
limits the vault enforces, instead of an opaque object.
"""

from __future__ import annotations

from typing import Any

from vault.sections import (
    MAX_INTEGER,
    MAX_LIST,
    MAX_STRING,
    MAX_STRINGS,
    MAX_TEXT,
    SECTIONS,
    Field,
    FieldType,
)


def field_schema(field: Field) -> dict[str, Any]:
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


def section_schemas() -> dict[str, dict[str, Any]]:
    return {
        f"EntryData_{name}": {
            "type": "object",
            "title": section.title,
            "description": section.purpose + " `text` alone is always enough.",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {f.name: field_schema(f) for f in section.fields},
        }
        for name, section in SECTIONS.items()
    }


def add_section_schemas(doc: dict[str, Any]) -> None:
    """Put each section's schema in components and point entry bodies at them."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    generated = section_schemas()
    schemas.update(generated)
    one_of = {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in generated]}
    for name in ("EntryIn", "EntryUpdateIn", "EntryOut"):
        data = schemas.get(name, {}).get("properties", {}).get("data")
        if data is not None:
            data.clear()
            data.update(one_of | {"description": "The fields of the entry's section."})
