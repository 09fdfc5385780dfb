"""What the account pages' forms share: loading a form, and asking for the passphrase again.

Every change to how a person gets in, and every copy or deletion of the whole record, asks
for the passphrase again first, counted and throttled like signing in.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from marshmallow import Schema, ValidationError

from consent import auth
from vault.errors import AccountLocked, SignInFailed, TooManyAttempts, VaultError
from web.context import db_session, require_actor, runtime
from web.forms import account_form_errors

WRONG_PASSPHRASE = "That is not your passphrase. Check it and try again."  # noqa: S105 - a message
SIGN_IN_PROBLEMS = (SignInFailed, TooManyAttempts, AccountLocked)


def load_form(form: Schema, *, leave_out: tuple[str, ...] = ()) -> tuple[dict[str, Any],
                                                                        dict[str, str]]:
    """The form's data, or the plain-words errors to show with it.

    ``leave_out`` names boxes that another step of the same page reads, such as a passphrase;
    a name ending in "." leaves out every box whose name starts with it.
    """
    values = {k: v for k, v in request.form.to_dict().items()
              if k not in leave_out and not k.startswith(tuple(n for n in leave_out
                                                               if n.endswith(".")))}
    try:
        return form.load(values), {}
    except ValidationError as exc:
        return {}, account_form_errors(form, exc.messages)  # type: ignore[arg-type]


def client_address() -> str:
    return request.remote_addr or "unknown"


def sign_in_answer(exc: VaultError, *, wrong: str = WRONG_PASSPHRASE,
                   wrong_status: int = 422) -> tuple[int, str, dict[str, str]]:
    """The status, the words and the headers for a wrong or too-often-tried passphrase."""
    if isinstance(exc, TooManyAttempts):
        return 429, exc.message, {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, AccountLocked):
        return 423, exc.message, {}
    return wrong_status, wrong, {}


def sign_in_problem(exc: VaultError, box: str, template: str, *, wrong: str = WRONG_PASSPHRASE,
                    wrong_status: int = 422, **context: Any) -> Any:
    """The form again when the passphrase or code was wrong, or was tried too often."""
    status, message, headers = sign_in_answer(exc, wrong=wrong, wrong_status=wrong_status)
    return render_template(template, errors={box: message}, **context), status, headers


def confirm_passphrase(passphrase: str) -> None:
    """Ask for the passphrase again, throttled like signing in.

    :raises SignInFailed, TooManyAttempts, AccountLocked:
    """
    rt = runtime()
    actor = require_actor()
    db_session().commit()  # End this request's transaction before the slow key work.
    auth.confirm_passphrase(rt.db, rt.config, account_id=actor.account_id,
                            passphrase=passphrase, address=client_address(), now=rt.now())
