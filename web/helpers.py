"""Template helpers: plain words for what the record holds, times in UK time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from consent.notices import uk_time
from vault.passphrases import suggest_passphrase
from vault.sections import Field, FieldType, Section
from web.context import signed_in_actor
from web.entry_form import TIER_WORDS


def uk_date(iso: str) -> str:
    parsed = datetime.fromisoformat(iso)
    return f"{parsed.day} {parsed.strftime('%B %Y')}"


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{key}"} for key, message in errors.items()]


def _show(field: Field, value: Any) -> str:
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
            ", ".join(f"{item.label}: {_show(item, row[item.name])}"
                      for item in field.item_fields if item.name in row)
            for row in value)
    return str(value)


def entry_rows(section: Section, entry: Any) -> list[dict[str, Any]]:
    rows = []
    for field in section.fields:
        if field.name in entry.data:
            # Text only, never HTML from the record: escaped here, and line breaks kept.
            lines = _show(field, entry.data[field.name]).split("\n")
            rows.append({"key": {"text": field.label},
                         "value": {"html": Markup("<br>").join(lines)}})
    return rows


def entry_heading(section: Section, entry: Any) -> str:
    for name in section.summary_fields():
        if entry.data.get(name):
            return _show(section.field(name), entry.data[name])[:80]
    text = str(entry.data.get("text", section.title))
    return text if len(text) <= 60 else text[:57] + "…"


def written_by(entry: Any) -> str:
    return {"subject": "by me", "delegate": "by someone supporting me",
            "imported": "imported"}.get(entry.author_role, "")


def choice_items(field: Field, value: Any) -> list[dict[str, Any]]:
    return [{"value": choice, "text": choice.replace("_", " ").capitalize(),
             "selected": choice == value} for choice in field.choices]


def tier_items(current: str) -> list[dict[str, Any]]:
    return [{"value": tier, "text": words, "selected": tier == current}
            for tier, words in TIER_WORDS.items()]


def tier_help_html() -> Markup:
    items = Markup("").join(Markup("<li>{}</li>").format(words) for words in TIER_WORDS.values())
    return Markup(
        "<p>Each box has a level. It says who could see it if you share your record.</p>"
        "<ul>{}</ul><p>Nothing is shared until you choose to share it.</p>").format(items)


def session_idle_seconds() -> int:
    from web.context import runtime

    return int(runtime().config.session_idle.total_seconds())


HELPERS = {
    "session_idle_seconds": session_idle_seconds,
    "signed_in_actor": signed_in_actor,
    "error_list": error_list,
    "suggestion": suggest_passphrase,
    "entry_rows": entry_rows,
    "entry_heading": entry_heading,
    "written_by": written_by,
    "uk_time": uk_time,
    "choice_items": choice_items,
    "tier_items": tier_items,
    "tier_help_html": tier_help_html,
}
