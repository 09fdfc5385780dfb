"""The JSON API's one blueprint, under /api/v1, and how each operation documents its errors.

Each resource module (``accounts``, ``sessions``, ``tokens``, ``records``, ``attachments``,
``lifecycle``, ``links``) adds its routes here; ``api.front_door`` registers the blueprint.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask_smorest import Blueprint

from api import schemas

blp = Blueprint("api", __name__, url_prefix="/api/v1",
                description="Tell Once: a person's record, encrypted, shared by them.")

COMMON_ERRORS = (400, 422)

_DESCRIPTIONS = {
    400: "The request could not be read.",
    401: "Not signed in, or the credential has ended.",
    403: "Signed in, but this credential may not do that.",
    404: "No such thing, or it belongs to someone else.",
    409: "That conflicts with what is stored.",
    413: "The request is bigger than the server accepts.",
    422: "The input is not valid; the message says what to fix.",
    423: "The account is locked.",
    429: "Too many tries; see Retry-After.",
}


def documents(*statuses: int) -> Any:
    """Document each 4xx answer of an operation with the shared error body."""
    def decorate(func: Any) -> Any:
        for status in sorted(set(statuses) | set(COMMON_ERRORS)):
            func = blp.alt_response(status, schema=schemas.ErrorOut,
                                    description=_DESCRIPTIONS.get(status, "Error"))(func)
        return func
    return decorate


def written(payload: Any) -> Response:
    """A 200 answer written by orjson, for a hot read whose schema only documents it.

    flask-smorest returns a Response as it is, where it would otherwise dump the answer
    through the schema and then jsonify it; for a whole record the dump costs more than a
    tenth of the request. ``payload`` must be what the schema would dump: plain JSON types,
    times already in ISO 8601 (tests/functional/api/test_entries.py holds the two equal).
    """
    return Response(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), status=200,
                    mimetype="application/json")
