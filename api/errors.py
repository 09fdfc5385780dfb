"""The one place where errors become HTTP answers for the JSON API and the SHL protocol.

Every answer is ``{"error": code, "message": text}`` (the SHL endpoints add
``remainingAttempts``); anything about a record the caller may not see is a 404, the same as a
record that does not exist. The handlers are registered on the API's own blueprints, so the
pages keep theirs (``web/errors.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from consent.errors import (
    ConsentError,
    LinkNotLive,
    NotAllowed,
    PassphraseNeeded,
    TooOften,
    WrongPasscode,
)
from keys.errors import DecryptionFailed, KeysError, SlotForged
from vault.errors import (
    AccountLocked,
    AttachmentRejected,
    Conflict,
    DatabaseBusy,
    InvalidAccountDetails,
    InvalidEntry,
    NotFound,
    NotSignedIn,
    SignInFailed,
    TooManyAttempts,
    UnknownSection,
    VaultError,
    WeakPassphrase,
    WrongCode,
)

DomainError = VaultError | ConsentError

# The status of each error of the domain, found by the error's class or its nearest listed
# ancestor; anything unlisted is 400.
STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    LinkNotLive: 404,
    NotSignedIn: 401,
    SignInFailed: 401,
    WrongCode: 401,
    WrongPasscode: 401,
    NotAllowed: 403,
    PassphraseNeeded: 403,
    AccountLocked: 423,
    TooManyAttempts: 429,
    TooOften: 429,
    Conflict: 409,
    InvalidEntry: 422,
    UnknownSection: 422,
    AttachmentRejected: 422,
    InvalidAccountDetails: 422,
    WeakPassphrase: 422,
    DatabaseBusy: 503,
}

HTTP_CODES = {
    400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_input", 429: "too_many_requests", 500: "server_error",
}


def status_of(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    body = {"error": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    response = jsonify(body)
    response.status_code = status
    return response


def _first_message(messages: Any, path: str = "") -> tuple[str, str]:
    """The first problem in a marshmallow error tree, as (field path, message)."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "headers", "files"):
                return _first_message(value, path)
            sub = f"{path}.{key}" if path else str(key)
            return _first_message(value, sub)
    if isinstance(messages, list) and messages:
        return path, str(messages[0])
    return path, str(messages)


def domain_error(exc: DomainError) -> Response:
    response = error_response(status_of(exc), exc.code, exc.message, field=exc.field,
                              remainingAttempts=getattr(exc, "remaining_attempts", None))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    if "messages" in data:
        path, message = _first_message(data["messages"])
        if message == "Unknown field.":
            message = f"Unknown field {path!r}: remove it."
        elif path:
            message = f"{path}: {message}"
        return error_response(422, "invalid_input", message, field=path or None)
    description = exc.description if status < 500 else "Something went wrong on our side."
    response = error_response(status, HTTP_CODES.get(status, "error"), str(description))
    return _with_headers_of(exc, response)


def _with_headers_of(exc: HTTPException, response: Response) -> Response:
    """Keep what the HTTP error says in its headers (``Allow`` for a 405), in our body's type."""
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def keys_error(exc: KeysError) -> Response:
    """Stored ciphertext that fails to open means damage or tampering, never bad input."""
    if isinstance(exc, SlotForged):
        current_app.logger.error("a %s slot failed its tag on %s", exc.kind, request.path)
        return error_response(500, exc.code, exc.message)
    if isinstance(exc, DecryptionFailed):
        # Log the fact and the place, never the data: there is none in the exception.
        current_app.logger.error("stored ciphertext failed to open on %s", request.path)
        return error_response(500, "damaged", "This part of the record could not be opened. "
                              "It may have been damaged. The people who run this service "
                              "can restore it from a backup.")
    return error_response(400, exc.code, exc.message)


def validation_error(exc: ValidationError) -> Response:
    return error_response(422, "invalid_input", "{}: {}".format(*_first_message(exc.messages)))


def register(blueprint: Blueprint) -> None:
    """Answer every error raised in ``blueprint``'s views in the API's shapes."""
    blueprint.register_error_handler(VaultError, domain_error)
    blueprint.register_error_handler(ConsentError, domain_error)
    blueprint.register_error_handler(KeysError, keys_error)
    blueprint.register_error_handler(ValidationError, validation_error)
    blueprint.register_error_handler(HTTPException, http_error)
