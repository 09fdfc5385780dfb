"""The section schema: every field of every section, its type, default tier, summary flag and FHIR target.

RECORD.md is the source of truth for what each section holds. The package describes it as data and
checks entries against it, one topic to a module:

- ``schema``: the types (``Tier``, ``FieldType``, ``Field``, ``Section``) and the limits;
- ``catalogue``: the 18 sections themselves (``SECTIONS``, ``SECTION_NAMES``, ``get_section``);
- ``validation``: ``validate_entry`` and the checks of single fields (``FIELD_CHECKS``);
- ``json_schema``: the JSON Schema of each section's entry data.

Every public name of the first three is re-exported here, so ``from vault.sections import X`` works
for all of them.
"""

from __future__ import annotations

from vault.sections.catalogue import EMERGENCY_CONTACT_FIELDS, SECTION_NAMES, SECTIONS, get_section
from vault.sections.schema import (
    MAX_INTEGER,
    MAX_LIST,
    MAX_STRING,
    MAX_STRINGS,
    MAX_TEXT,
    TIER_RANK,
    Field,
    FieldType,
    Section,
    Tier,
)
from vault.sections.validation import FIELD_CHECKS, check_nhs_number, validate_entry

__all__ = [
    "EMERGENCY_CONTACT_FIELDS",
    "FIELD_CHECKS",
    "MAX_INTEGER",
    "MAX_LIST",
    "MAX_STRING",
    "MAX_STRINGS",
    "MAX_TEXT",
    "SECTIONS",
    "SECTION_NAMES",
    "TIER_RANK",
    "Field",
    "FieldType",
    "Section",
    "Tier",
    "check_nhs_number",
    "get_section",
    "validate_entry",
]
