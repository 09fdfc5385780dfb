"""The JSON API and the SMART Health Links protocol, put onto the app by the composition root.

``init_app`` registers every blueprint of the API, the OpenAPI document, and the API's own
error answers (``api.errors``) on each of its blueprints.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask_smorest import Api

# Each resource module adds its routes to the one blueprint when it is imported.
from api import (  # noqa: F401
    accounts,
    attachments,
    health,
    lifecycle,
    links,
    records,
    sessions,
    shl,
    tokens,
    unknown,
)
from api import errors as api_errors
from api.blueprint import blp
from api.openapi import add_section_schemas
from api.schemas import ErrorOut

# Blueprints whose answers are the API's: JSON errors, no CSRF token (they take bearer tokens
# or a SameSite=Strict cookie, and check Origin and Fetch-Metadata like every unsafe request).
BLUEPRINTS = (blp, shl.bp, health.bp, unknown.bp)
# Open to any site: the SMART Health Links protocol.
PUBLIC = shl.bp
# Nothing the API sends is a page: no script, style or frame may come with it.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The blueprint flask-smorest makes to serve /api/v1/openapi.json.
DOCS_BLUEPRINT = "api-docs"


def _api_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", API_POLICY)
    return response


# Once, when this module is first imported: a blueprint takes no more set-up once an app has
# registered it, and each test makes an app of its own.
for _blueprint in BLUEPRINTS:
    api_errors.register(_blueprint)
    _blueprint.after_request(_api_headers)


class _Api(Api):  # type: ignore[misc]
    def _register_error_handlers(self) -> None:
        """None for the whole app: the API answers errors on its own blueprints only, and the
        pages answer theirs (web/errors.py), so neither silently replaces the other."""


def init_app(app: Flask) -> list[Any]:
    """Put the API on ``app``; return its blueprints, for the pages' CSRF exemption."""
    app.config.update(API_TITLE="Tell Once", API_VERSION="v1", OPENAPI_VERSION="3.1.0",
                      OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json")
    api = _Api(spec_kwargs={"info": {"description": "Tell Once JSON API"}})
    # The default error answer in the document must be the body the API sends. flask-smorest
    # reads ERROR_SCHEMA when init_app registers its default responses, so set it before.
    api.ERROR_SCHEMA = ErrorOut
    api.init_app(app)
    # flask-smorest serves the OpenAPI document from a blueprint of its own, which registers
    # no hook of ours; the document is the API's too, so it gets the API's policy rather than
    # the pages'.
    app.after_request_funcs.setdefault(DOCS_BLUEPRINT, []).append(_api_headers)
    api.register_blueprint(blp)
    for blueprint in BLUEPRINTS[1:]:
        app.register_blueprint(blueprint)
    _strict_openapi(api)
    return list(BLUEPRINTS)


def _strict_openapi(api: Api) -> None:
    """Every object schema in the document forbids properties it does not list."""
    spec = api.spec
    original = spec.to_dict

    def to_dict() -> dict[str, Any]:
        doc: dict[str, Any] = original()
        add_section_schemas(doc)
        for schema in doc.get("components", {}).get("schemas", {}).values():
            if schema.get("type") == "object" and "properties" in schema:
                schema.setdefault("additionalProperties", False)
        return doc

    spec.to_dict = to_dict
