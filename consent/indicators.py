"""Medicines indicators, computed on read and stated without clinical judgement.

They point at what the record does not say (a review date passed, no reason recorded, no
plan to reduce a psychotropic medicine): the product never says a medicine is wrong.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vault.entries import EntryView


def _is_current(medicine: dict[str, Any], today: date) -> bool:
    stopped = medicine.get("stopped_date")
    return not stopped or date.fromisoformat(stopped) > today


def medicine_indicators(entries: list[EntryView], *, today: date) -> dict[str, Any]:
    medicines = [e for e in entries if e.section == "medicines" and _is_current(e.data, today)]
    items = []
    for entry in medicines:
        data = entry.data
        review: str | None = data.get("next_review")
        psychotropic = bool(data.get("psychotropic"))
        items.append(
            {
                "entry_id": entry.id,
                "name": data.get("name") or data.get("text", "")[:80],
                "review_overdue": review is not None and date.fromisoformat(review) < today,
                "next_review": review,
                "psychotropic": psychotropic,
                "no_reason_recorded": psychotropic and not data.get("reason"),
                "no_reduction_plan_recorded": psychotropic and not data.get("reduction_plan"),
            }
        )
    return {
        "count": len(items),
        "reviews_overdue": sum(1 for i in items if i["review_overdue"]),
        "psychotropic_without_reason": sum(1 for i in items if i["no_reason_recorded"]),
        "psychotropic_without_reduction_plan": sum(
            1 for i in items if i["no_reduction_plan_recorded"]
        ),
        "medicines": items,
    }
