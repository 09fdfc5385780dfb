"""Passkeys: add one, see them, take one off, and sign in with one as the second step.

Adding a passkey asks for the passphrase first, like every change to how a person gets in.
The browser's part (the device's own prompt) is in static/passkeys.js; its signed answer
comes back here in an ordinary form field, ``credential``, and the vault checks it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from consent import accounts, sign_in
from consent.errors import PasskeyNotAdded
from consent.notices import uk_time
from vault.errors import InvalidEntry, NotFound, NotSignedIn, PasskeyFailed
from web.context import client_address, cookie_name, db_session, relying_party, require_actor, runtime
from web.errors import status_of
from web.form_flow import PASSPHRASE_PROBLEMS, form_again, load_form
from web.forms import NOT_SAVED, ConfirmPassphraseForm, NewPasskeyForm, PasskeyAnswerForm
from web.pages import finish_sign_in, pending_token, second_step_page

bp = Blueprint("passkeys", __name__)

DONE = {
    "added": "Your passkey is added. Next time you sign in, you can use it after your passphrase.",
    "removed": "The passkey is taken off your account. It does not work for Tell Once any more.",
}


def _list_page(*, errors: dict[str, str], status: int = 200) -> Any:
    rows = [{**row, "added": uk_time(row["created_at"]),
             "last_used": uk_time(row["last_used_at"]) if row["last_used_at"] else "Never"}
            for row in accounts.list_passkeys(db_session(), require_actor())]
    done = DONE.get(request.args.get("done", ""))
    return render_template("account/passkeys.html", passkeys=rows, done=done,
                           errors=errors), status


@bp.get("/account/passkeys")
def index() -> Any:
    return _list_page(errors={})


@bp.route("/account/passkeys/new", methods=["GET", "POST"])
def new() -> Any:
    actor = require_actor()
    template = "account/passkey_new.html"
    if request.method == "GET":
        return render_template(template, values={}, errors={})
    values = {"name": request.form.get("name", "")}
    data, errors = load_form(NewPasskeyForm())
    if errors:
        return render_template(template, values=values, errors=errors), 422
    rt = runtime()
    try:
        options = accounts.start_passkey(db_session(), rt.config, actor,
                                         passphrase=data["passphrase"], address=client_address(),
                                         rp=relying_party(), now=rt.now())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template, values=values)
    except InvalidEntry as exc:
        return form_again(exc, "name", template, values=values)
    return render_template("account/passkey_make.html", options=options,
                           name=data["name"].strip(), errors={})


@bp.post("/account/passkeys/finish")
def finish() -> Any:
    rt = runtime()
    data, errors = load_form(PasskeyAnswerForm())
    if errors:
        return _list_page(errors={"add": NOT_SAVED}, status=422)
    try:
        accounts.add_passkey(db_session(), rt.config, require_actor(), rp=relying_party(),
                             credential=data["credential"], name=data["name"], now=rt.now())
    except (PasskeyNotAdded, InvalidEntry) as exc:
        # Nothing was added; the challenge it answered stays used up, so each try starts
        # afresh.
        return _list_page(errors={"add": NOT_SAVED}, status=status_of(exc))
    return redirect(url_for("passkeys.index", done="added"), 303)


def _own_passkey(passkey_id: str) -> dict[str, Any]:
    """:raises NotFound: for another account's passkey, as for one that does not exist."""
    for row in accounts.list_passkeys(db_session(), require_actor()):
        if row["id"] == passkey_id:
            return row
    raise NotFound


@bp.route("/account/passkeys/<uuid:passkey_id>/remove", methods=["GET", "POST"])
def remove(passkey_id: Any) -> Any:
    actor = require_actor()
    passkey = _own_passkey(str(passkey_id))
    template = "account/passkey_remove.html"
    if request.method == "GET":
        return render_template(template, passkey=passkey, errors={})
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template(template, passkey=passkey, errors=errors), 422
    rt = runtime()
    try:
        accounts.remove_passkey(db_session(), rt.config, actor, passkey_id=str(passkey_id),
                                passphrase=data["passphrase"], address=client_address(),
                                now=rt.now())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template, passkey=passkey)
    return redirect(url_for("passkeys.index", done="removed"), 303)


@bp.post("/sign-in/passkey", endpoint="sign_in")
def sign_in_with_passkey() -> Any:
    """The second step of signing in with a passkey; it shares the five tries with codes."""
    rt = runtime()
    pending = pending_token()
    data, errors = load_form(PasskeyAnswerForm())
    if errors:
        return second_step_page(pending, errors={"passkey": PasskeyFailed.message}, status=422)
    try:
        signed = sign_in.finish_with_passkey(
            db_session(), rt.config, pending_token=pending, rp=relying_party(),
            credential=data["credential"], now=rt.now(),
            device_token=request.cookies.get(cookie_name("device")), mailer=rt.mailer)
    except PasskeyFailed as exc:
        return second_step_page(pending, errors={"passkey": exc.message}, status=status_of(exc))
    except NotSignedIn:
        return second_step_page(pending, errors={})
    return finish_sign_in(signed)
