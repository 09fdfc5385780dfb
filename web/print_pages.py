"""Printing the record: choose the parts, then a page to print or a PDF.

Parts that are private or sensitive, or not for a hospital bag, are left out unless the
person ticks them. The PDF is made in memory (``web/pdf.py``) and never written to disk.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from consent import records
from vault.errors import NotFound
from vault.sections import SECTIONS, Section
from web.context import db_session, require_actor, runtime
from web.display import written_date
from web.pdf import record_pdf

bp = Blueprint("printing", __name__)

NOT_PRINTED_UNLESS_CHOSEN = frozenset({"journal", "sensitive_history", "good_life",
                                       "missing_person"})


def _chosen_sections() -> tuple[list[str], dict[str, str]]:
    asked = request.args.getlist("sections")
    if not asked:
        return [], {"sections": "Choose at least one part of your record to print."}
    if any(name not in SECTIONS for name in asked):
        return [], {"sections": "Choose from the parts of your record listed here."}
    return [name for name in SECTIONS if name in asked], {}


def _person_name(person_id: str) -> str:
    for person in records.list_people(db_session(), require_actor()):
        if person["id"] == person_id:
            return person["preferred_name"]
    raise NotFound


def _printable(person_id: str, chosen: list[str]) -> tuple[str, list[tuple[Section, list[Any]]]]:
    """The person's name and each chosen section with its entries. :raises NotFound:"""
    rt = runtime()
    views = records.list_entries(db_session(), rt.config, require_actor(), person_id=person_id,
                                 section=None, now=rt.now())
    name = _person_name(person_id)
    return name, [(SECTIONS[s], [v for v in views if v.section == s]) for s in chosen]


@bp.get("/people/<uuid:person_id>/print")
def choose_print(person_id: Any) -> str:
    _person_name(str(person_id))  # Another person's record is not found here either.
    asked = [s for s in request.args.getlist("sections") if s in SECTIONS]
    ticked = asked or [s for s in SECTIONS if s not in NOT_PRINTED_UNLESS_CHOSEN]
    return render_template("record/print_choose.html", person_id=str(person_id),
                           sections=SECTIONS, ticked=ticked, errors={})


def _choose_again(person_id: str, errors: dict[str, str]) -> tuple[str, int]:
    """The choice of parts again, saying what to fix; another person's record is not found."""
    _person_name(person_id)
    return render_template("record/print_choose.html", person_id=person_id, sections=SECTIONS,
                           ticked=[], errors=errors), 422


@bp.get("/people/<uuid:person_id>/print/record")
def print_record(person_id: Any) -> Any:
    chosen, errors = _chosen_sections()
    if errors:
        return _choose_again(str(person_id), errors)
    name, parts = _printable(str(person_id), chosen)
    return render_template("record/print_record.html", person_id=str(person_id), name=name,
                           parts=parts, chosen=chosen, today=written_date(runtime().now()))


@bp.get("/people/<uuid:person_id>/print/my-record.pdf")
def print_pdf(person_id: Any) -> Any:
    chosen, errors = _chosen_sections()
    if errors:
        return _choose_again(str(person_id), errors)
    name, parts = _printable(str(person_id), chosen)
    pdf = record_pdf(name, parts, now=runtime().now())
    # Made in memory and sent as it is: the PDF is never written to disk.
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="my-record.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
