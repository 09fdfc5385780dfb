"""The record's own pages: an entry's history and restore, and photos and documents.

Views read the request, call consent, and then redirect (303) or render; a form that cannot
be used is shown again with what to fix (422), and the request's unit of work rolls back, so
nothing is stored. Every read or write of a record goes through consent, as the JSON API's do.
"""

from __future__ import annotations

import io
import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from marshmallow import ValidationError, fields, validate
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from consent import attachments, records
from consent.attachments import AttachmentView
from vault.errors import AttachmentRejected, InvalidEntry, NotFound, VaultError
from vault.sections import Section, Tier, get_section
from web.context import db_session, require_actor, runtime, signed_in_actor
from web.display import entry_heading
from web.errors import status_of
from web.forms import Form, form_errors

bp = Blueprint("record", __name__)

NO_FILE = "Choose a photo or a PDF to upload."


# -- an entry's history ---------------------------------------------------------------------


@bp.get("/people/<uuid:person_id>/entries/<uuid:entry_id>/history")
def history(person_id: Any, entry_id: Any) -> str:
    rt = runtime()
    versions = records.list_versions(db_session(), rt.config, require_actor(),
                                     person_id=str(person_id), entry_id=str(entry_id),
                                     now=rt.now())
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
    except (AttachmentRejected, InvalidEntry) as exc:
        # Nothing was stored: show the page again with what to do.
        box = "tier" if exc.field == "tier" else "file"
        return _attachments_page(str(person_id), the_section, {box: exc.message}, tier,
                                 status_of(exc))
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
            pass  # Not this person's record: the plain page below.
    return render_template("error.html", heading="That was too big", message=message), 413


def _read(person_id: Any, attachment_id: Any) -> tuple[AttachmentView, bytes]:
    rt = runtime()
    view, content = attachments.read_attachment(
        db_session(), rt.config, require_actor(), person_id=str(person_id),
        attachment_id=str(attachment_id), now=rt.now())
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
    return redirect(url_for("record.section_attachments", person_id=person_id,
                            name=view.section, deleted=1), 303)
