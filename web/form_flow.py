"""What the pages' forms share: loading a form, and showing it again with what to fix.

A form shown again after a refusal answers with the status the pages' error table gives the
refusal (``web.errors.status_of``), so a wrong passphrase answers alike on every page.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from marshmallow import Schema, ValidationError

from vault.errors import AccountLocked, StepUpFailed, TooManyAttempts
from web.errors import headers_of, status_of
from web.forms import account_form_errors

# What a wrong passphrase, or one tried too often, can raise when it is asked for again.
PASSPHRASE_PROBLEMS = (StepUpFailed, TooManyAttempts, AccountLocked)


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


def form_again(exc: Exception, box: str, template: str, *, message: str | None = None,
               **context: Any) -> Any:
    """The form again, saying what was wrong beside ``box``, with the refusal's status."""
    words = message or getattr(exc, "message", "")
    return (render_template(template, errors={box: words}, **context), status_of(exc),
            headers_of(exc))
