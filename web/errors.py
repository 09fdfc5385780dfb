"""The one place where errors become answers: JSON under /api/, pages everywhere else."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consent.errors import ConsentError
from keys.errors import DecryptionFailed, KeysError
from vault.errors import NotFound, NotSignedIn, VaultError

PAGE_MESSAGES = {
    400: ("Something in that form was not right", "Go back, check what you typed, and try again."),
    403: ("That was not accepted", "This form was sent from another website, so it was not accepted."),
    404: ("Page not found", "Check the address, or go back to your record."),
    405: ("Page not found", "Check the address, or go back to your record."),
    413: ("That was too big", "The file or form was bigger than Tell Once takes."),
    500: ("Sorry, something went wrong", "Try again later. Your record is safe."),
}


def _api() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _page(status: int, message: str | None = None) -> tuple[str, int]:
    heading, default = PAGE_MESSAGES.get(status, PAGE_MESSAGES[500])
    return render_template("error.html", heading=heading, message=message or default), status


def register(app: Flask, api_errors: ModuleType) -> None:
    def on_vault_error(exc: VaultError | ConsentError) -> Any:
        if _api():
            return api_errors.domain_error(exc)
        if isinstance(exc, NotSignedIn):
            return redirect(url_for("pages.sign_in"), 303)
        if isinstance(exc, NotFound):
            return _page(404)
        return _page(400, exc.message)

    def on_keys_error(exc: KeysError) -> Any:
        if _api():
            return api_errors.keys_error(exc)
        return _page(500 if isinstance(exc, DecryptionFailed) else 400)

    def on_csrf_error(exc: CSRFError) -> Any:
        if _api():
            return api_errors.error_response(400, "csrf", "The form's security token is missing.")
        return _page(400, "This form had expired or was not complete. Go back, reload the page, "
                          "and send it again. Nothing was saved.")

    def on_http_error(exc: HTTPException) -> Any:
        if _api():
            return api_errors.http_error(exc)
        status = exc.code or 500
        message = exc.description if status == 403 else None
        return _page(status, message)

    app.register_error_handler(VaultError, on_vault_error)
    app.register_error_handler(ConsentError, on_vault_error)
    app.register_error_handler(KeysError, on_keys_error)
    app.register_error_handler(CSRFError, on_csrf_error)
    app.register_error_handler(HTTPException, on_http_error)
