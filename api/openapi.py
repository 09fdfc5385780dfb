"""Each section's entry data in the OpenAPI document, from the schemas the vault generates.

The document then tells any client exactly which fields each section takes, with the same
limits the vault enforces, instead of an opaque object.
"""

from __future__ import annotations

from typing import Any

from vault.sections.json_schema import entry_data_schemas


def add_section_schemas(doc: dict[str, Any]) -> None:
    """Put each section's schema in components and point entry bodies at them."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    generated = {f"EntryData_{name}": schema for name, schema in entry_data_schemas().items()}
    schemas.update(generated)
    one_of = {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in generated]}
    for name in ("EntryIn", "EntryUpdateIn", "EntryOut"):
        data = schemas.get(name, {}).get("properties", {}).get("data")
        if data is not None:
            data.clear()
            data.update(one_of | {"description": "The fields of the entry's section."})
