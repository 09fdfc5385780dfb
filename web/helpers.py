"""Template helpers: plain words for what the record holds, times in UK time."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from consent.accounts import suggest_passphrase
from consent.notices import uk_time
from vault.sections import Field
from web.context import runtime, signed_in_actor
from web.display import entry_heading, entry_rows, written_date, written_words
from web.entry_form import TIER_WORDS

ACCEPTED_FILES = "image/jpeg,image/png,application/pdf"
KIND_WORDS = {"image/jpeg": "Photo (JPEG)", "image/png": "Photo (PNG)",
              "application/pdf": "PDF document"}


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{key}"} for key, message in errors.items()]


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


def file_kind(view: Any) -> str:
    return KIND_WORDS.get(view.media_type, "File")


def file_size(size: int) -> str:
    """Like "850 KB" or "2.4 MB": rounded up, so a small file never shows as 0 KB."""
    if size < 1024 * 1024:
        return f"{max(1, -(-size // 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def session_idle_seconds() -> int:
    return int(runtime().config.session_idle.total_seconds())


HELPERS = {
    "session_idle_seconds": session_idle_seconds,
    "signed_in_actor": signed_in_actor,
    "error_list": error_list,
    "suggestion": suggest_passphrase,
    "entry_rows": entry_rows,
    "entry_heading": entry_heading,
    "written_by": written_by,
    "written_words": written_words,
    "written_date": written_date,
    "uk_time": uk_time,
    "choice_items": choice_items,
    "tier_items": tier_items,
    "tier_help_html": tier_help_html,
    "file_kind": file_kind,
    "file_size": file_size,
    "accepted_files": ACCEPTED_FILES,
}
