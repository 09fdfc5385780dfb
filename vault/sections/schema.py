"""The types of the section schema: tiers, field types, limits, and the Field and Section classes.

The catalogue (``vault.sections.catalogue``) builds the record's sections from these types; the
checks of an entry (``vault.sections.validation``) read them. Nothing here knows any section.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from vault.errors import InvalidEntry


class Tier(enum.StrEnum):
    """Sensitivity tiers, from "someone who has never met me needs this now" to "mine alone"."""

    E = "E"
    C = "C"
    S = "S"
    P = "P"


TIER_RANK: dict[Tier, int] = {Tier.E: 0, Tier.C: 1, Tier.S: 2, Tier.P: 3}


class FieldType(enum.StrEnum):
    """What a field holds, and so how it is checked, shown and exported."""

    TEXT = "text"
    STRING = "string"
    DATE = "date"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    CHOICE = "choice"
    STRINGS = "strings"
    LIST = "list"


MAX_TEXT = 20_000
MAX_STRING = 500
MAX_STRINGS = 50
MAX_LIST = 100
# No field needs more; a bound keeps absurd numbers out of exports and summaries.
MAX_INTEGER = 1_000_000

_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class Field:
    """One box of a section: its type, the words the person sees, its default tier, its FHIR target."""

    name: str
    type: FieldType
    label: str
    hint: str = ""
    tier: Tier = Tier.C
    summary: bool = False
    required: bool = False
    fhir: str = ""
    choices: tuple[str, ...] = ()
    item_fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        # These are programming errors in the catalogue, caught when it is imported.
        if not _NAME_RE.match(self.name):
            raise ValueError(f"field name {self.name!r} is not snake_case")
        if not self.label:
            raise ValueError(f"field {self.name!r} has no label")
        if (self.type is FieldType.CHOICE) != bool(self.choices):
            raise ValueError(f"field {self.name!r}: choices go with CHOICE fields only")
        if any(not _NAME_RE.match(c) for c in self.choices):
            raise ValueError(f"field {self.name!r}: choices must be snake_case codes")
        if (self.type is FieldType.LIST) != bool(self.item_fields):
            raise ValueError(f"field {self.name!r}: item_fields go with LIST fields only")
        if any(f.type is FieldType.LIST for f in self.item_fields):
            raise ValueError(f"field {self.name!r}: a list item cannot hold another list")
        if len({f.name for f in self.item_fields}) != len(self.item_fields):
            raise ValueError(f"field {self.name!r}: item field names repeat")


@dataclass(frozen=True)
class Section:
    """One part of the record (RECORD.md numbers them 1 to 18), always led by its own-words text."""

    name: str
    number: int
    title: str
    purpose: str
    fields: tuple[Field, ...]
    repeating: bool
    fixed_tier: Tier | None = None

    def __post_init__(self) -> None:
        if not self.fields or self.fields[0].name != "text" or self.fields[0].type is not FieldType.TEXT:
            raise ValueError(f"section {self.name!r} must start with the own-words text field")
        if len({f.name for f in self.fields}) != len(self.fields):
            raise ValueError(f"section {self.name!r}: field names repeat")
        if self.fixed_tier is not None and any(f.tier is not self.fixed_tier for f in self.fields):
            raise ValueError(f"section {self.name!r}: every field must carry the fixed tier")

    def field(self, name: str) -> Field:
        """Return the field called ``name``.

        :raises InvalidEntry: if the section has no such field.
        """
        for f in self.fields:
            if f.name == name:
                return f
        raise InvalidEntry(f"This section has no box called {quote_name(name)}.", field=name)

    def summary_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.summary)


def quote_name(value: object) -> str:
    """Quote a name the caller sent, cut short so an error message never carries a whole payload."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "...")
