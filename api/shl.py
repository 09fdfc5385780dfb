"""The SMART Health Links protocol: a link's manifest, and the files it points to.

Anyone holding a link may call these, from any site, with no account: the key after ``#``
never reaches the server, and what is served is the JWE the link's key opens. Order of checks
(DESIGN.md): not live, 404; wrong passcode, 401 with ``remainingAttempts``; polled too often,
429 with ``Retry-After``. Unknown request fields are ignored, as the specification asks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from api.context import runtime
from api.errors import error_response
from consent import notices
from vault import links
from vault.links import Opened

bp = Blueprint("shl", __name__)

# A manifest request is a few small fields; anything bigger is refused before it is read.
MAX_BODY = 8 * 1024
FHIR_JSON = "application/fhir+json"


def _cors(response: Response) -> Response:
    # Any SHL viewer may fetch a manifest; no credentials are ever sent or accepted.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def _bad(message: str) -> Response:
    return _cors(error_response(400, "bad_request", message))


def _request_body() -> dict[str, Any] | Response:
    if (request.content_length or 0) > MAX_BODY:
        return _cors(error_response(413, "too_large", "The request is too large."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _bad("Send a JSON object with recipient, and passcode when the link has one.")
    recipient = body.get("recipient")
    if not isinstance(recipient, str) or not recipient.strip():
        return _bad("Say who you are in recipient: your name, and your role or organisation.")
    if "passcode" in body and not isinstance(body["passcode"], str):
        return _bad("The passcode must be text.")
    limit = body.get("embeddedLengthMax")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        return _bad("embeddedLengthMax must be a whole number.")
    return body


def _file_entry(opened: Opened, body: dict[str, Any], session: Session) -> dict[str, Any]:
    rt = runtime()
    entry: dict[str, Any] = {"contentType": FHIR_JSON,
                             "lastUpdated": opened.updated_at.isoformat()}
    limit = body.get("embeddedLengthMax")
    if limit is not None and len(opened.jwe) > limit:
        token = links.file_address(session, opened.link_id, rt.now())
        entry["location"] = f"{rt.base_url}/shl/file/{token}"
    else:
        entry["embedded"] = opened.jwe
    return entry


@bp.route("/shl/<manifest_id>", methods=["POST", "OPTIONS"])
def manifest(manifest_id: str) -> Response:
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    body = _request_body()
    if isinstance(body, Response):
        return body
    rt = runtime()
    with rt.db.transaction() as session:
        answer = links.open_manifest(session, rt.config, manifest_id=manifest_id,
                                     passcode=body.get("passcode"),
                                     recipient=body["recipient"].strip(), now=rt.now())
        files = [_file_entry(answer, body, session)] if isinstance(answer, Opened) else []
    if answer.notify_email:
        kind = "link_opened" if isinstance(answer, Opened) else "link_disabled"
        notices.send(rt.mailer, answer.notify_email, notices.link_email(kind, rt.now()))
    if isinstance(answer, Opened):
        return _cors(jsonify({"files": files}))
    if answer.status == 401:
        return _cors(error_response(401, "wrong_passcode", "That passcode is not right.",
                                    remainingAttempts=answer.remaining_attempts))
    if answer.status == 429:
        response = error_response(429, "too_many_requests",
                                  "This link was asked for too often. Wait, then try again.")
        response.headers["Retry-After"] = str(answer.retry_after)
        return _cors(response)
    return _cors(error_response(404, "not_found", "This link is not available. It may have "
                                "ended or been stopped."))


@bp.get("/shl/file/<token>")
def file(token: str) -> Response:
    """A copy too big to embed, for at most an hour after its manifest, while the link lives."""
    rt = runtime()
    with rt.db.transaction() as session:
        jwe = links.open_file(session, token, rt.now())
    if jwe is None:
        return _cors(error_response(404, "not_found", "This file is not available."))
    return _cors(Response(jwe, mimetype="application/jose"))
