"""Addresses under /api/v1 that name no operation: answered by the API, in its own shape.

Flask gives an address that matches no route to the app's error handlers, not to any
blueprint's, and the app's are the pages'. This blueprint routes everything under the API's
prefix that no other rule takes, so that its 404 and 405 are the API's own answers, found by
routing rather than by testing the path.
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from api.blueprint import blp

bp = Blueprint("api_unknown", __name__, url_prefix=blp.url_prefix)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ENDPOINT = "api_unknown.unknown"


@bp.route("/", defaults={"rest": ""}, methods=METHODS)
@bp.route("/<path:rest>", methods=METHODS)
def unknown(rest: str) -> NoReturn:
    allowed = _methods_of_real_routes()
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound


def _methods_of_real_routes() -> list[str]:
    """The methods other routes take at this address: a 405 names them, as Flask's does."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint != ENDPOINT:
            allowed.append(method)
    return allowed
