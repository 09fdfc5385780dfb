"""The one place where errors become answers for the pages: a status and a page for each.

``STATUS`` gives the status of every error of the domain, found by the error's class or its
nearest listed ancestor. A view that shows its form again with what to fix takes the status
from here too (``status_of``), so the same error answers the same way on every page. The
JSON API answers errors on its own blueprints (``api/errors.py``); an error in any other
view, or an address no route takes, is answered here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from consent.errors import (
    CodeNotConfirmed,
    ConsentError,
    LinkNotLive,
    NotAllowed,
    PasskeyNotAdded,
    PassphraseNeeded,
)
from keys.errors import DecryptionFailed, KeysError, SlotForged
from vault.errors import (
    AccountLocked,
    AttachmentRejected,
    Conflict,
    InvalidAccountDetails,
    InvalidEntry,
    LoginTaken,
    NotFound,
    NotSignedIn,
    PasskeyFailed,
    SignInFailed,
    StepUpFailed,
    TooManyAttempts,
    UnknownSection,
    VaultError,
    WeakPassphrase,
    WrongCode,
)

DomainError = VaultError | ConsentError | KeysError

STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    LinkNotLive: 404,
    # Signing in: the person is not (yet) signed in.
    NotSignedIn: 401,
    SignInFailed: 401,
    WrongCode: 401,
    PasskeyFailed: 401,
    # Signed in, and a box of the form is wrong: the form again, with what to fix.
    StepUpFailed: 422,
    PassphraseNeeded: 422,
    CodeNotConfirmed: 422,
    PasskeyNotAdded: 422,
    InvalidEntry: 422,
    InvalidAccountDetails: 422,
    WeakPassphrase: 422,
    LoginTaken: 422,
    UnknownSection: 422,
    AttachmentRejected: 422,
    ValidationError: 422,
    NotAllowed: 403,
    Conflict: 409,
    AccountLocked: 423,
    TooManyAttempts: 429,
    DecryptionFailed: 500,
    SlotForged: 500,
}

PAGE_MESSAGES = {
    400: ("Something in that form was not right", "Go back, check what you typed, and try again."),
    403: ("That was not accepted", "This form was sent from another website, so it was not accepted."),
    404: ("Page not found", "Check the address, or go back to your record."),
    405: ("Page not found", "Check the address, or go back to your record."),
    413: ("That was too big", "The file or form was bigger than Tell Once takes."),
    500: ("Sorry, something went wrong", "Try again later. Your record is safe."),
}
# Errors whose own words are right on a page of their own; the others get the page's words.
OWN_WORDS = (VaultError, ConsentError)
CSRF_WORDS = ("This form had expired or was not complete. Go back, reload the page, and send "
              "it again. Nothing was saved.")


def status_of(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def headers_of(exc: Exception) -> dict[str, str]:
    """Headers an answer to ``exc`` carries: when to try again, after too many tries."""
    retry_after = getattr(exc, "retry_after", None)
    return {"Retry-After": str(retry_after)} if retry_after is not None else {}


def page(status: int, message: str | None = None) -> tuple[str, int]:
    """The plain error page for ``status``, with its own words or ``message``."""
    heading, default = PAGE_MESSAGES.get(status, PAGE_MESSAGES[500])
    return render_template("error.html", heading=heading, message=message or default), status


def domain_error(exc: DomainError) -> Any:
    if isinstance(exc, NotSignedIn):
        return redirect(url_for("pages.sign_in"), 303)
    status = status_of(exc)
    if isinstance(exc, SlotForged):
        # The one 500 whose words matter to the person: a key was planted, and none was used.
        current_app.logger.error("a %s slot failed its tag on %s", exc.kind, request.path)
        return page(status, exc.message)
    if status in (404, 500):
        return page(status)
    # Any other refusal that no view turned into its form again: the heading for its status,
    # or the general one, and the error's own words below it.
    shown = status if status in PAGE_MESSAGES else 400
    message = exc.message if isinstance(exc, OWN_WORDS) else None
    return page(shown, message)[0], status, headers_of(exc)


def http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        return page(400, CSRF_WORDS)
    # What the error says in its headers (``Allow`` for a 405) stays; the page is HTML.
    headers = {name: value for name, value in exc.get_headers()
               if name.lower() != "content-type"}
    return *page(status, exc.description if status == 403 else None), headers


def register(app: Flask) -> None:
    app.register_error_handler(VaultError, domain_error)
    app.register_error_handler(ConsentError, domain_error)
    app.register_error_handler(KeysError, domain_error)
    app.register_error_handler(HTTPException, http_error)
