"""The SMART Health Links protocol: a link's manifest, and the files it points to.

Anyone holding a link may call these, from any site, with no account: the key after ``#``
never reaches the server, and what is served is the JWE the link's key opens. The checks and
their order are ``consent.sharing.open_link``'s; their answers (404, 401 with
``remainingAttempts``, 429 with ``Retry-After``) are in ``api.errors``. Unknown request
fields are ignored, as the specification asks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from api.blueprint import written
from api.context import client_address, db_session, runtime
from consent import sharing

bp = Blueprint("shl", __name__)

# The path of a link's manifest; a link's address names it (consent.sharing builds links).
MANIFEST_PATH = "/shl/"
# A manifest request is a few small fields; anything bigger is refused before it is read.
MAX_BODY = 8 * 1024
FHIR_JSON = "application/fhir+json"


@bp.after_request
def _cors(response: Response) -> Response:
    # Any SHL viewer may fetch a manifest, and read its errors; no credentials are ever sent
    # or accepted.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def _request_body() -> dict[str, Any]:
    """The manifest request's fields. :raises BadRequest, RequestEntityTooLarge: saying why."""
    if (request.content_length or 0) > MAX_BODY:
        raise RequestEntityTooLarge("The request is too large.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object with recipient, and passcode when the link has one.")
    recipient = body.get("recipient")
    if not isinstance(recipient, str) or not recipient.strip():
        raise BadRequest("Say who you are in recipient: your name, and your role or organisation.")
    if "passcode" in body and not isinstance(body["passcode"], str):
        raise BadRequest("The passcode must be text.")
    limit = body.get("embeddedLengthMax")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise BadRequest("embeddedLengthMax must be a whole number.")
    return body


def _file_entry(opened: sharing.OpenedLink, limit: int | None) -> dict[str, Any]:
    rt = runtime()
    entry: dict[str, Any] = {"contentType": FHIR_JSON,
                             "lastUpdated": opened.updated_at.isoformat()}
    if limit is not None and len(opened.jwe) > limit:
        token = sharing.give_location(db_session(), opened=opened, now=rt.now())
        entry["location"] = f"{rt.base_url}{MANIFEST_PATH}file/{token}"
    else:
        entry["embedded"] = opened.jwe
    return entry


@bp.route(f"{MANIFEST_PATH}<manifest_id>", methods=["POST", "OPTIONS"])
def manifest(manifest_id: str) -> Response:
    if request.method == "OPTIONS":
        return Response(status=204)
    body = _request_body()
    rt = runtime()
    opened = sharing.open_link(db_session(), rt.config, manifest_id=manifest_id,
                               passcode=body.get("passcode"), recipient=body["recipient"].strip(),
                               address=client_address(), now=rt.now(), mailer=rt.mailer)
    # orjson: the embedded copy is tens of KiB, which json.dumps took 90 us to escape.
    return written({"files": [_file_entry(opened, body.get("embeddedLengthMax"))]})


@bp.get(f"{MANIFEST_PATH}file/<token>")
def file(token: str) -> Response:
    """A copy too big to embed, for at most an hour after its manifest, while the link lives."""
    rt = runtime()
    jwe = sharing.open_location(db_session(), rt.config, token=token, now=rt.now())
    return Response(jwe, mimetype="application/jose")
