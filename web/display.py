"""How what a record holds reads in plain words: on the pages, in print and in the PDF.

Nothing here knows Flask, so the PDF (``web/pdf.py``) uses the same words as the pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from vault.sections import Field, FieldType, Section

UK = ZoneInfo("Europe/London")


def uk_date(iso: str) -> str:
    parsed = datetime.fromisoformat(iso)
    return f"{parsed.day} {parsed.strftime('%B %Y')}"


def written_date(moment: datetime) -> str:
    """The day, in UK time, like "23 November 2026"."""
    return uk_date(moment.astimezone(UK).date().isoformat())


def written_words(entry: Any) -> str:
    """"Written by me", "Written by someone supporting me" or "Imported from a file"."""
    return {"subject": "Written by me", "delegate": "Written by someone supporting me",
            "imported": "Imported from a file"}.get(entry.author_role, "Written")


def show(field: Field, value: Any) -> str:
    """One box's value as words: dates in full, yes or no, lists joined."""
    if field.type is FieldType.BOOLEAN:
        return "Yes" if value else "No"
    if field.type is FieldType.DATE:
        return uk_date(value)
    if field.type is FieldType.CHOICE:
        return str(value).replace("_", " ").capitalize()
    if field.type is FieldType.STRINGS:
        return ", ".join(value)
    if field.type is FieldType.LIST:
        return "; ".join(
            ", ".join(f"{item.label}: {show(item, row[item.name])}"
                      for item in field.item_fields if item.name in row)
            for row in value)
    return str(value)


def plain_rows(section: Section, entry: Any) -> list[tuple[str, str]]:
    """(label, words) for each box the entry fills, in the section's order."""
    return [(field.label, show(field, entry.data[field.name]))
            for field in section.fields if field.name in entry.data]


def entry_rows(section: Section, entry: Any) -> list[dict[str, Any]]:
    """The rows of a summary list, for the NHS.UK macro."""
    # Text only, never HTML from the record: each line is escaped, and line breaks kept.
    return [{"key": {"text": label}, "value": {"html": Markup("<br>").join(words.split("\n"))}}
            for label, words in plain_rows(section, entry)]


def entry_heading(section: Section, entry: Any) -> str:
    for name in section.summary_fields():
        if entry.data.get(name):
            return show(section.field(name), entry.data[name])[:80]
    text = str(entry.data.get("text", section.title))
    return text if len(text) <= 60 else text[:57] + "…"
