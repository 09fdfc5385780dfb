"""Attachments under /api/v1: upload, list, describe, download and delete photos and PDFs.

The routes join the API's one blueprint; ``web.app`` imports this module before it registers
the blueprint, and installs ``InMemoryRequest`` so an upload never touches the disk.
"""

from __future__ import annotations

import io
import unicodedata
from typing import IO, Any
from urllib.parse import quote

from flask import Request, Response, make_response, request, send_file
from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents
from api.context import current_actor, db_session, runtime
from consent import attachments
from consent.attachments import ALLOWED_TYPES, AttachmentView
from vault.errors import AttachmentRejected

TOO_LARGE = {"schema": schemas.ErrorOut,
             "description": "The request is bigger than the server accepts (12 MiB)."}


class InMemoryRequest(Request):
    """A request whose uploaded files are kept in memory, never in a temporary file.

    Werkzeug spools an upload over 500 KB to a temporary file, which would put a person's
    document on disk in the clear. MAX_CONTENT_LENGTH bounds what is held in memory.
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()


def _attachment_out(view: AttachmentView) -> dict[str, Any]:
    return {"id": view.id, "person_id": view.person_id, "section": view.section,
            "tier": view.tier, "media_type": view.media_type, "size": view.size,
            "filename": view.filename, "created_at": view.created_at,
            "author_account_id": view.author_account_id}


def _uploaded_file() -> tuple[str, bytes]:
    """The name and bytes of the form's ``file`` part. :raises AttachmentRejected:"""
    upload = request.files.get("file")
    if upload is None:
        raise AttachmentRejected("Choose a photo or a PDF to upload, in the field called file.",
                                 field="file")
    return upload.filename or "", upload.stream.read()


def _download(view: AttachmentView, content: bytes) -> Response:
    # Always a download, never shown inline: a PDF or picture opened from the API's own
    # origin must not be able to run anything there.
    response = send_file(io.BytesIO(content), mimetype=view.media_type, as_attachment=True,
                         download_name=view.filename, etag=False, conditional=False)
    # filename= is a plain-ASCII fallback for old clients; filename* carries the real name.
    fallback = unicodedata.normalize("NFKD", view.filename).encode("ascii", "ignore").decode()
    response.headers.set("Content-Disposition", "attachment", filename=fallback or "attachment",
                         **{"filename*": "UTF-8''" + quote(view.filename, safe="")})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


_CONTENT_DOC = {"responses": {"200": {
    "description": "The file, as a download, with the type read from its content.",
    "content": {media: {"schema": {"type": "string", "format": "binary"}}
                for media in sorted(ALLOWED_TYPES)},
}}}


@blp.route("/people/<uuid:person_id>/attachments")
class Attachments(MethodView):
    @blp.arguments(schemas.AttachmentsQuery, location="query")
    @blp.response(200, schemas.AttachmentOut(many=True))
    @documents(401, 403, 404)
    def get(self, query: dict[str, Any], person_id: Any) -> list[dict[str, Any]]:
        """The person's photos and documents, optionally of one section."""
        rt = runtime()
        views = attachments.list_attachments(db_session(), rt.config, current_actor(),
                                             person_id=str(person_id),
                                             section=query.get("section"), now=rt.now())
        return [_attachment_out(v) for v in views]

    @blp.arguments(schemas.AttachmentIn, location="form", content_type="multipart/form-data")
    @blp.response(201, schemas.AttachmentOut)
    @blp.alt_response(413, **TOO_LARGE)
    @documents(401, 403, 404)
    def post(self, form: dict[str, Any], person_id: Any) -> dict[str, Any]:
        """Keep a photo (JPEG or PNG) or a PDF; photos lose their EXIF and other metadata."""
        rt = runtime()
        filename, content = _uploaded_file()
        view = attachments.upload_attachment(
            db_session(), rt.config, current_actor(), person_id=str(person_id),
            section=form["section"], tier=form["tier"], filename=filename, content=content,
            now=rt.now())
        return _attachment_out(view)


@blp.route("/people/<uuid:person_id>/attachments/<uuid:attachment_id>")
class AttachmentItem(MethodView):
    @blp.response(200, schemas.AttachmentOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any, attachment_id: Any) -> dict[str, Any]:
        """What one attachment is: its name, type, size and section."""
        rt = runtime()
        view, _content = attachments.read_attachment(
            db_session(), rt.config, current_actor(), person_id=str(person_id),
            attachment_id=str(attachment_id), now=rt.now())
        return _attachment_out(view)

    @blp.response(204)
    @documents(401, 403, 404)
    def delete(self, person_id: Any, attachment_id: Any) -> Response:
        """Delete an attachment; its encrypted bytes are destroyed, not kept in a history."""
        rt = runtime()
        attachments.delete_attachment(db_session(), rt.config, current_actor(),
                                      person_id=str(person_id),
                                      attachment_id=str(attachment_id), now=rt.now())
        return make_response("", 204)


@blp.route("/people/<uuid:person_id>/attachments/<uuid:attachment_id>/content")
class AttachmentContent(MethodView):
    @blp.doc(**_CONTENT_DOC)
    @documents(401, 403, 404)
    def get(self, person_id: Any, attachment_id: Any) -> Response:
        """Download the file itself."""
        rt = runtime()
        view, content = attachments.read_attachment(
            db_session(), rt.config, current_actor(), person_id=str(person_id),
            attachment_id=str(attachment_id), now=rt.now())
        return _download(view, content)
