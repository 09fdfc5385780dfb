"""The record's own pages: an entry's history, photos and documents, and printing the record.

Views read the request, call consent, commit, and then redirect (303) or render; a form
that cannot be used is shown again with what to fix (422) and nothing stored. Every read
or write of a record goes through consent, as the JSON API's do.
"""

from __future__ import annotations

import html
import io
import unicodedata
from contextlib import ExitStack
from datetime import datetime
from importlib.resources import as_file, files
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from fpdf import FPDF
from marshmallow import ValidationError, fields, validate
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from consent import attachments, records
from vault.attachments import AttachmentView
from vault.errors import AttachmentRejected, NotFound, VaultError
from vault.sections import SECTIONS, Section, Tier, get_section
from web.context import db_session, require_actor, runtime, signed_in_actor
from web.forms import Form, form_errors
from web.helpers import entry_heading, entry_rows, uk_date

bp = Blueprint("record", __name__)

UK = ZoneInfo("Europe/London")

# Parts of the record that are private or sensitive, or not for a hospital bag, are left
# out of a print unless the person ticks them.
NOT_PRINTED_UNLESS_CHOSEN = frozenset({"journal", "sensitive_history", "good_life",
                                       "missing_person"})
ACCEPTED_FILES = "image/jpeg,image/png,application/pdf"
KIND_WORDS = {"image/jpeg": "Photo (JPEG)", "image/png": "Photo (PNG)",
              "application/pdf": "PDF document"}
NO_FILE = "Choose a photo or a PDF to upload."


@bp.context_processor
def _record_helpers() -> dict[str, Any]:
    return {"written_words": written_words, "written_date": written_date,
            "file_kind": lambda view: KIND_WORDS.get(view.media_type, "File"),
            "file_size": file_size, "accepted_files": ACCEPTED_FILES}


def written_words(entry: Any) -> str:
    """"Written by me", "Written by someone supporting me" or "Imported from a file"."""
    return {"subject": "Written by me", "delegate": "Written by someone supporting me",
            "imported": "Imported from a file"}.get(entry.author_role, "Written")


def written_date(moment: datetime) -> str:
    """The day, in UK time, like "23 November 2026"."""
    return uk_date(moment.astimezone(UK).date().isoformat())


def file_size(size: int) -> str:
    """Like "850 KB" or "2.4 MB": rounded up, so a small file never shows as 0 KB."""
    if size < 1024 * 1024:
        return f"{max(1, -(-size // 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# -- an entry's history ---------------------------------------------------------------------


@bp.get("/people/<uuid:person_id>/entries/<uuid:entry_id>/history")
def history(person_id: Any, entry_id: Any) -> str:
    rt = runtime()
    versions = records.list_versions(db_session(), rt.config, require_actor(),
                                     person_id=str(person_id), entry_id=str(entry_id),
                                     now=rt.now())
    db_session().commit()
    the_section = get_section(versions[0].section)
    shown = next((v for v in versions if not v.deleted), None)
    return render_template("record/history.html", person_id=str(person_id),
                           section=the_section, versions=versions,
                           heading=entry_heading(the_section, shown) if shown else None)


@bp.post("/people/<uuid:person_id>/entries/<uuid:entry_id>/versions/<int:version>/restore")
def restore(person_id: Any, entry_id: Any, version: int) -> Any:
    rt = runtime()
    actor = require_actor()
    versions = records.list_versions(db_session(), rt.config, actor, person_id=str(person_id),
                                     entry_id=str(entry_id), now=rt.now())
    chosen = next((v for v in versions if v.version == version and not v.deleted), None)
    if chosen is None:
        raise NotFound
    # Putting an old version back is a new version with its words and tiers: the versions
    # after it stay in the history, so nothing is lost and it can be undone the same way.
    records.update_entry(db_session(), rt.config, actor, person_id=str(person_id),
                         entry_id=str(entry_id), data=chosen.data, tiers=chosen.tiers,
                         provenance=chosen.provenance, now=rt.now())
    db_session().commit()
    return redirect(url_for("pages.section", person_id=person_id, name=chosen.section,
                            restored=1), 303)


# -- photos and documents -------------------------------------------------------------------


class UploadForm(Form):
    tier = fields.String(load_default=None, validate=validate.OneOf([t.value for t in Tier]))


def _section_default_tier(the_section: Section) -> str:
    return (the_section.fixed_tier or the_section.field("text").tier).value


def _attachments_page(person_id: str, the_section: Section, errors: dict[str, str],
                      tier: str | None, status: int = 200) -> tuple[str, int]:
    rt = runtime()
    views = attachments.list_attachments(db_session(), rt.config, require_actor(),
                                         person_id=person_id, section=the_section.name,
                                         now=rt.now())
    db_session().commit()
    return render_template("record/attachments.html", person_id=person_id, section=the_section,
                           files=views, errors=errors,
                           tier=tier or _section_default_tier(the_section)), status


@bp.route("/people/<uuid:person_id>/sections/<name>/attachments", methods=["GET", "POST"])
def section_attachments(person_id: Any, name: str) -> Any:
    the_section = get_section(name)
    if request.method == "GET":
        return _attachments_page(str(person_id), the_section, {}, None)
    rt = runtime()
    try:
        form = UploadForm().load(dict(request.form.items()))
    except ValidationError as exc:
        problems = form_errors(exc.messages)  # type: ignore[arg-type]
        if "tier" in problems:
            problems["tier"] = "Choose who can see this file."
        return _attachments_page(str(person_id), the_section, problems, None, 422)
    tier = None if the_section.fixed_tier else form["tier"]
    upload = request.files.get("file")
    content = upload.stream.read() if upload is not None else b""
    try:
        # A browser sends an empty part with no name when no file was chosen.
        if upload is None or (not upload.filename and not content):
            raise AttachmentRejected(NO_FILE, field="file")
        attachments.upload_attachment(
            db_session(), rt.config, require_actor(), person_id=str(person_id),
            section=the_section.name, tier=tier, filename=upload.filename or "",
            content=content, now=rt.now())
    except VaultError as exc:
        if not isinstance(exc, AttachmentRejected) and exc.code != "invalid_entry":
            raise
        # Nothing was stored: show the page again with what to do.
        db_session().rollback()
        box = "tier" if exc.field == "tier" else "file"
        return _attachments_page(str(person_id), the_section, {box: exc.message}, tier, 422)
    db_session().commit()
    return redirect(url_for("record.section_attachments", person_id=person_id,
                            name=the_section.name, added=1), 303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    # A file bigger than any request may be is refused before a view runs. On the upload
    # page, say what to do on the page itself, as for a file that is only a little too big.
    limit = f"{runtime().config.attachment_max_bytes / (1024 * 1024):g}"
    message = (f"This file is too big. Tell Once keeps files of up to {limit} MB. "
               "Try a smaller photo, or scan the document at a lower resolution.")
    args = request.view_args or {}
    if request.endpoint == "record.section_attachments" and signed_in_actor() is not None:
        try:
            return _attachments_page(str(args["person_id"]), get_section(args["name"]),
                                     {"file": message}, None, 413)
        except VaultError:
            db_session().rollback()  # Not this person's record: the plain page below.
    return render_template("error.html", heading="That was too big", message=message), 413


def _read(person_id: Any, attachment_id: Any) -> tuple[AttachmentView, bytes]:
    rt = runtime()
    view, content = attachments.read_attachment(
        db_session(), rt.config, require_actor(), person_id=str(person_id),
        attachment_id=str(attachment_id), now=rt.now())
    db_session().commit()
    return view, content


@bp.get("/people/<uuid:person_id>/attachments/<uuid:attachment_id>")
def attachment(person_id: Any, attachment_id: Any) -> str:
    view, _content = _read(person_id, attachment_id)
    return render_template("record/attachment.html", person_id=str(person_id), file=view,
                           section=get_section(view.section))


def _file_response(view: AttachmentView, content: bytes, *, inline: bool) -> Response:
    response = send_file(io.BytesIO(content), mimetype=view.media_type,
                         as_attachment=not inline, download_name=view.filename, etag=False,
                         conditional=False)
    # filename= is a plain-ASCII fallback for old browsers; filename* carries the real name.
    fallback = unicodedata.normalize("NFKD", view.filename).encode("ascii", "ignore").decode()
    response.headers.set("Content-Disposition", "inline" if inline else "attachment",
                         filename=fallback or "attachment",
                         **{"filename*": "UTF-8''" + quote(view.filename, safe="")})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/people/<uuid:person_id>/attachments/<uuid:attachment_id>/image")
def attachment_image(person_id: Any, attachment_id: Any) -> Response:
    view, content = _read(person_id, attachment_id)
    # Only photos are shown in the page, and they were re-encoded from their pixels when
    # they were kept. A PDF is never opened from this origin: it is always a download.
    if not view.media_type.startswith("image/"):
        raise HTTPNotFound
    return _file_response(view, content, inline=True)


@bp.get("/people/<uuid:person_id>/attachments/<uuid:attachment_id>/download")
def attachment_download(person_id: Any, attachment_id: Any) -> Response:
    view, content = _read(person_id, attachment_id)
    return _file_response(view, content, inline=False)


@bp.route("/people/<uuid:person_id>/attachments/<uuid:attachment_id>/delete",
          methods=["GET", "POST"])
def delete_attachment(person_id: Any, attachment_id: Any) -> Any:
    view, _content = _read(person_id, attachment_id)
    if request.method == "GET":
        return render_template("record/delete_attachment.html", person_id=str(person_id),
                               file=view, section=get_section(view.section))
    rt = runtime()
    attachments.delete_attachment(db_session(), rt.config, require_actor(),
                                  person_id=str(person_id), attachment_id=str(attachment_id),
                                  now=rt.now())
    db_session().commit()
    return redirect(url_for("record.section_attachments", person_id=person_id,
                            name=view.section, deleted=1), 303)


# -- printing the record --------------------------------------------------------------------


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
    db_session().commit()
    return name, [(SECTIONS[s], [v for v in views if v.section == s]) for s in chosen]


@bp.get("/people/<uuid:person_id>/print")
def choose_print(person_id: Any) -> str:
    _person_name(str(person_id))  # Another person's record is not found here either.
    asked = [s for s in request.args.getlist("sections") if s in SECTIONS]
    ticked = asked or [s for s in SECTIONS if s not in NOT_PRINTED_UNLESS_CHOSEN]
    return render_template("record/print_choose.html", person_id=str(person_id),
                           sections=SECTIONS, ticked=ticked, errors={})


@bp.get("/people/<uuid:person_id>/print/record")
def print_record(person_id: Any) -> Any:
    chosen, errors = _chosen_sections()
    if errors:
        _person_name(str(person_id))
        return render_template("record/print_choose.html", person_id=str(person_id),
                               sections=SECTIONS, ticked=[], errors=errors), 422
    name, parts = _printable(str(person_id), chosen)
    return render_template("record/print_record.html", person_id=str(person_id), name=name,
                           parts=parts, chosen=chosen, today=written_date(runtime().now()))


@bp.get("/people/<uuid:person_id>/print/my-record.pdf")
def print_pdf(person_id: Any) -> Any:
    chosen, errors = _chosen_sections()
    if errors:
        _person_name(str(person_id))
        return render_template("record/print_choose.html", person_id=str(person_id),
                               sections=SECTIONS, ticked=[], errors=errors), 422
    name, parts = _printable(str(person_id), chosen)
    pdf = record_pdf(name, parts, now=runtime().now())
    # Made in memory and sent as it is: the PDF is never written to disk.
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="my-record.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the PDF --------------------------------------------------------------------------------
#
# fpdf2 writes the PDF in pure Python, in memory. Its text is set in Open Sans from the
# ttf-opensans package, so no system font is needed: static files, which load in a moment
# (a variable font such as Arimo took over a second per PDF to make its regular and bold).
# Open Sans has the Latin (with Welsh, Polish, Romanian, Turkish), Greek and Cyrillic
# alphabets. Any other character (Chinese, Arabic, Hebrew, emoji) is shown as "?" and the
# PDF says so, pointing to the printed page, where the browser's own fonts show everything.
FONT = "OpenSans"
MISSING = "?"
MARGIN = 18.0


def _plain_rows(the_section: Section, entry: Any) -> list[tuple[str, str]]:
    """The rows the pages show, as plain text: entry_rows escapes each line and joins them
    with <br>, so splitting on <br> and unescaping gives back exactly what was written."""
    rows = []
    for row in entry_rows(the_section, entry):
        lines = str(row["value"]["html"]).split("<br>")
        rows.append((row["key"]["text"], "\n".join(html.unescape(line) for line in lines)))
    return rows


class _RecordPDF(FPDF):
    """A4, with the person's name and the page number at the foot of every page."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 9)
        self.cell(0, 6, f"{self.footer_text}: page {self.page_no()} of {{nb}}. "
                        "Printed from Tell Once, which is not an NHS service.", align="C")


def record_pdf(name: str, parts: list[tuple[Section, list[Any]]], *, now: datetime) -> bytes:
    """A hospital-passport style PDF of the chosen sections, made in memory."""
    pdf = _RecordPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(now)
    pdf.set_title("My record")
    pdf.set_creator("Tell Once")
    fonts = files("ttf_opensans") / "ttf"
    with ExitStack() as stack:
        for style, file_name in (("", "OpenSans-Regular.ttf"), ("B", "OpenSans-Bold.ttf")):
            pdf.add_font(FONT, style, str(stack.enter_context(as_file(fonts / file_name))))
        writer = _Writer(pdf, set(getattr(pdf.fonts[FONT.lower()], "cmap", {})) | {ord("\n")})
        pdf.footer_text = writer.clean(name)
        writer.document(name, parts, today=written_date(now))
        return bytes(pdf.output())


class _Writer:
    """Lays out the record: the name first, then each section, its entries kept whole.

    Each block is drawn by a function that can also only measure: with ``measure`` set,
    fpdf2 breaks the lines without drawing them and gives back the height they take.
    """

    def __init__(self, pdf: Any, known: set[int]) -> None:
        self.pdf = pdf
        self.known = known

    def clean(self, text: str) -> str:
        return "".join(ch if ord(ch) in self.known else MISSING for ch in text)

    def text(self, words: str, *, size: float, bold: bool = False, after: float = 1.5,
             measure: bool = False) -> float:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        if measure:
            height: float = pdf.multi_cell(0, size * 0.5, self.clean(words), align="L",
                                           dry_run=True, output="HEIGHT")
            return height + after
        # Ragged right, never justified: even word gaps are easier to read.
        pdf.multi_cell(0, size * 0.5, self.clean(words), align="L", new_x="LMARGIN",
                       new_y="NEXT")
        pdf.ln(after)
        return 0.0

    def entry(self, the_section: Section, entry: Any, *, measure: bool = False) -> float:
        heading = " ".join(entry_heading(the_section, entry).split())
        height = self.text(heading, size=13, bold=True, after=1, measure=measure)
        for label, value in _plain_rows(the_section, entry):
            height += self.text(label, size=10.5, bold=True, after=0.5, measure=measure)
            height += self.text(value, size=12, after=2, measure=measure)
        return height + self.text(f"{written_words(entry)} on {written_date(entry.created_at)}.",
                                  size=10.5, after=3, measure=measure)

    def keep_together(self, draw: Any) -> None:
        # An entry is not split across two pages when it fits on one: measure it first, and
        # start a new page if it would run over the end of this one.
        pdf = self.pdf
        height = draw(measure=True)
        room = pdf.page_break_trigger - pdf.get_y()
        fits_a_page = height <= pdf.page_break_trigger - pdf.t_margin
        if height > room and fits_a_page and pdf.get_y() > pdf.t_margin + 1:
            pdf.add_page()
        draw(measure=False)

    def all_shown(self, name: str, parts: list[tuple[Section, list[Any]]]) -> bool:
        words = [name]
        for the_section, entries in parts:
            for entry in entries:
                words.append(entry_heading(the_section, entry))
                words.extend(value for _label, value in _plain_rows(the_section, entry))
        return all(self.clean(w) == w for w in words)

    def document(self, name: str, parts: list[tuple[Section, list[Any]]], *, today: str) -> None:
        self.pdf.add_page()
        self.text(name, size=24, bold=True, after=2)
        self.text("This is my record. Please read it before you help me.", size=14)
        self.text(f"Printed on {today} from Tell Once. Tell Once is not an NHS service. "
                  "Check anything important with me or the people who support me.",
                  size=11, after=3)
        if not self.all_shown(name, parts):
            self.text("Some letters or symbols cannot be shown in this PDF, so they appear "
                      "as ?. Print the page from Tell Once instead to see them all.",
                      size=11, bold=True, after=3)
        for the_section, entries in parts:
            self.keep_together(lambda measure, s=the_section, e=entries: self.first(s, e, measure))
            for entry in entries[1:]:
                self.keep_together(lambda measure, s=the_section, e=entry: self.entry(
                    s, e, measure=measure))

    def first(self, the_section: Section, entries: list[Any], measure: bool) -> float:
        """A section's title, kept with its first entry."""
        if not measure:
            self.pdf.ln(2)
        height = 2 + self.text(the_section.title, size=17, bold=True, after=2, measure=measure)
        if entries:
            return height + self.entry(the_section, entries[0], measure=measure)
        return height + self.text("Nothing has been written in this part yet.", size=12,
                                  after=3, measure=measure)
