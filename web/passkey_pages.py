"""Passkeys: add one, see them, take one off, and sign in with one as the second step.

Adding a passkey asks for the passphrase first, like every change to how a person gets in.
The browser's part (the device's own prompt) is in static/passkeys.js; its signed answer
comes back here in an ordinary form field, ``credential``, and the vault checks it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from consent import account as consent_account
from consent import auth
from consent.runtime import DEVICE_COOKIE
from vault.errors import InvalidEntry, NotFound, NotSignedIn, PasskeyFailed
from web.context import db_session, relying_party, require_actor, runtime
from web.form_flow import SIGN_IN_PROBLEMS, client_address, load_form, sign_in_problem
from web.forms import NOT_SAVED, ConfirmPassphraseForm, NewPasskeyForm, PasskeyAnswerForm
from web.helpers import uk_time
from web.pages import PENDING_COOKIE, finish_sign_in, second_step_page

bp = Blueprint("passkeys", __name__)

DONE = {
    "added": "Your passkey is added. Next time you sign in, you can use it after your passphrase.",
    "removed": "The passkey is taken off your account. It does not work for Tell Once any more.",
}


def _list_page(*, errors: dict[str, str], status: int = 200) -> Any:
    rows = [{**row, "added": uk_time(row["created_at"]),
             "last_used": uk_time(row["last_used_at"]) if row["last_used_at"] else "Never"}
            for row in consent_account.list_passkeys(db_session(), require_actor())]
    db_session().commit()
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
    db_session().commit()  # End this request's transaction before the slow key work.
    try:
        options = auth.start_passkey(rt.db, rt.config, account_id=actor.account_id,
                                     passphrase=data["passphrase"], address=client_address(),
                                     rp=relying_party(), now=rt.now())
    except SIGN_IN_PROBLEMS as exc:
        return sign_in_problem(exc, "passphrase", template, values=values)
    except InvalidEntry as exc:
        return render_template(template, values=values, errors={"name": exc.message}), 422
    return render_template("account/passkey_make.html", options=options,
                           name=data["name"].strip(), errors={})


@bp.post("/account/passkeys/finish")
def finish() -> Any:
    rt = runtime()
    actor = require_actor()
    data, errors = load_form(PasskeyAnswerForm())
    failed = bool(errors)
    if not failed:
        try:
            consent_account.add_passkey(db_session(), rt.config, actor, rp=relying_party(),
                                        credential=data["credential"], name=data["name"],
                                        now=rt.now())
        except (PasskeyFailed, InvalidEntry):
            failed = True
    # A failed try keeps nothing, but its challenge stays used up: each try starts afresh.
    db_session().commit()
    if failed:
        return _list_page(errors={"add": NOT_SAVED}, status=422)
    return redirect(url_for("passkeys.index", done="added"), 303)


def _own_passkey(passkey_id: str) -> dict[str, Any]:
    """:raises NotFound: for another account's passkey, as for one that does not exist."""
    for row in consent_account.list_passkeys(db_session(), require_actor()):
        if row["id"] == passkey_id:
            return row
    raise NotFound


@bp.route("/account/passkeys/<uuid:passkey_id>/remove", methods=["GET", "POST"])
def remove(passkey_id: Any) -> Any:
    actor = require_actor()
    passkey = _own_passkey(str(passkey_id))
    template = "account/passkey_remove.html"
    if request.method == "GET":
        db_session().commit()
        return render_template(template, passkey=passkey, errors={})
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template(template, passkey=passkey, errors=errors), 422
    rt = runtime()
    db_session().commit()
    try:
        auth.remove_passkey(rt.db, rt.config, account_id=actor.account_id,
                            passkey_id=str(passkey_id), passphrase=data["passphrase"],
                            address=client_address(), now=rt.now())
    except SIGN_IN_PROBLEMS as exc:
        return sign_in_problem(exc, "passphrase", template, passkey=passkey)
    return redirect(url_for("passkeys.index", done="removed"), 303)


@bp.post("/sign-in/passkey")
def sign_in() -> Any:
    """The second step of signing in with a passkey; it shares the five tries with codes."""
    rt = runtime()
    pending = request.cookies.get(PENDING_COOKIE, "")
    data, errors = load_form(PasskeyAnswerForm())
    if errors:
        return second_step_page(pending, errors={"passkey": PasskeyFailed.message}, status=422)
    try:
        signed = auth.finish_with_passkey(rt.db, rt.config, pending_token=pending,
                                          rp=relying_party(), credential=data["credential"],
                                          now=rt.now(),
                                          device_token=request.cookies.get(DEVICE_COOKIE),
                                          mailer=rt.mailer)
    except PasskeyFailed as exc:
        return second_step_page(pending, errors={"passkey": exc.message}, status=401)
    except NotSignedIn:
        return second_step_page(pending, errors={})
    return finish_sign_in(signed)

