"""The account pages: passphrase, sessions, API tokens, recovery code, the whole record,
and getting back in with the recovery code.

The same shape as ``pages``: each view loads its form, calls consent, commits, and then
redirects or shows the form again with what to fix. Every change to how a person gets in,
and every copy or deletion of the whole record, asks for the passphrase again first.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from consent import accounts, lifecycle, records, sessions, sign_in, tokens
from consent.errors import CodeNotConfirmed
from consent.notices import uk_time
from vault.errors import (
    AttachmentRejected,
    Conflict,
    InvalidEntry,
    NotFound,
    SignInFailed,
    TooManyAttempts,
    WeakPassphrase,
)
from web import qr
from web.context import client_address, db_session, require_actor, runtime, signed_in_actor
from web.errors import status_of
from web.form_flow import PASSPHRASE_PROBLEMS, form_again, load_form
from web.forms import (
    ButtonForm,
    ChangePassphraseForm,
    CodeForm,
    ConfirmPassphraseForm,
    DeleteRecordForm,
    ImportForm,
    RecoverForm,
    TokenForm,
    account_form_errors,
)
from web.pages import set_session_cookie

bp = Blueprint("account", __name__)

# An export carries its attachments in base64, a third larger than the files, so a record
# file may be bigger than the app's usual request limit (the same limit as the API's import).
IMPORT_MAX_BYTES = 64 * 1024 * 1024

WRONG_CODE = "That login and recovery code do not match. Check them and try again."
NOT_A_RECORD_FILE = ("This file is not a Tell Once record, or part of it is damaged. Choose the "
                     "file you downloaded from Tell Once. Its name ends in .json.")
NOT_EMPTY = ("Your record already has things in it. You can only bring a record file into an "
             "empty record. Nothing was changed.")

# What a redirect may say on the page it lands on. Only these keys are read from the address,
# so nobody can make a page say words of their choosing.
DONE = {
    "passphrase": "Your passphrase is changed. You were signed out on your other devices.",
    "sessions": "You are signed out on every other device. You are still signed in here.",
    "revoked": "The token is revoked. It does not work any more.",
    "imported": "Your record file is brought in.",
    "codes_on": "One-time codes are on. Next time you sign in, you will need a code from your app.",
    "codes_off": "One-time codes are off. You sign in with your passphrase only.",
}


@bp.url_value_preprocessor
def _allow_big_record_files(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # This runs before the CSRF check reads the form, which is when the size limit applies.
    # Only a signed-in person may send a body bigger than the app's usual limit.
    if endpoint == "account.import_record" and request.method == "POST" and signed_in_actor():
        request.max_content_length = IMPORT_MAX_BYTES


# -- small helpers ------------------------------------------------------------------------------


def _done() -> str | None:
    return DONE.get(request.args.get("done", ""))


def _own_record_or_dashboard() -> tuple[accounts.OwnRecord | None, Any]:
    """The person's own record, or where to send them when it is deleted (the undo page)."""
    own = accounts.require_own_record(db_session(), require_actor())
    if own.hidden:
        return None, redirect(url_for("pages.dashboard"), 303)
    return own, None


# -- the account page ---------------------------------------------------------------------------


@bp.get("/account")
def index() -> str:
    require_actor()
    return render_template("account/index.html", done=_done())


# -- passphrase -----------------------------------------------------------------------------------


def _working_tokens() -> list[str]:
    """The names of the account's tokens that still work: the passphrase page lists them."""
    return [row["name"] for row in _token_rows() if row["active"]]


@bp.route("/account/passphrase", methods=["GET", "POST"])
def change_passphrase() -> Any:
    actor = require_actor()
    template = "account/passphrase.html"
    working = _working_tokens()
    if request.method == "GET":
        return render_template(template, errors={}, tokens=working)
    data, errors = load_form(ChangePassphraseForm())
    if errors:
        return render_template(template, errors=errors, tokens=working), 422
    rt = runtime()
    try:
        accounts.change_passphrase(db_session(), rt.config, actor, passphrase=data["passphrase"],
                                   new_passphrase=data["new_passphrase"],
                                   stop_tokens=data["stop_tokens"] == "yes",
                                   address=client_address(), now=rt.now())
    except WeakPassphrase as exc:
        return form_again(exc, "new_passphrase", template, tokens=working)
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template, tokens=working)
    return redirect(url_for("account.index", done="passphrase"), 303)


# -- sessions ---------------------------------------------------------------------------------------


def _session_rows() -> list[dict[str, Any]]:
    rows = [{"started": uk_time(row["created_at"]), "last_used": uk_time(row["last_seen_at"]),
             "here": row["current"]}
            for row in sessions.list_sessions(db_session(), require_actor())]
    # This device first: it is the one the person is looking at.
    rows.sort(key=lambda row: not row["here"])
    return rows


@bp.get("/account/sessions", endpoint="sessions")
def sessions_page() -> str:
    return render_template("account/sessions.html", sessions=_session_rows(), done=_done(),
                           errors={})


@bp.post("/account/sessions/end-others")
def end_other_sessions() -> Any:
    actor = require_actor()
    template = "account/sessions.html"
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template(template, sessions=_session_rows(), done=None,
                               errors=errors), 422
    rt = runtime()
    try:
        sessions.end_other_sessions(db_session(), rt.config, actor,
                                    passphrase=data["passphrase"], address=client_address(),
                                    now=rt.now())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template, sessions=_session_rows(), done=None)
    return redirect(url_for("account.sessions", done="sessions"), 303)


# -- API tokens -------------------------------------------------------------------------------------


def _token_rows() -> list[dict[str, Any]]:
    rt = runtime()
    actor = require_actor()
    session = db_session()
    names = {p["id"]: p["preferred_name"] for p in records.list_people(session, actor)}
    now = rt.now()
    rows = []
    for row in tokens.list_tokens(session, actor):
        if row["revoked_at"] is not None:
            state = f"Revoked on {uk_time(row['revoked_at'])}"
        elif row["expires_at"] <= now:
            state = f"Stopped working on {uk_time(row['expires_at'])}"
        else:
            state = f"Works until {uk_time(row['expires_at'])}"
        people = [names.get(pid, "A record you cannot see now") for pid in row["person_ids"]]
        rows.append({
            "id": row["id"],
            "name": row["name"],
            "can": "Read and change" if "write" in row["scopes"] else "Read only",
            "records": ", ".join(people),
            "made": uk_time(row["created_at"]),
            "state": state,
            "last_used": uk_time(row["last_used_at"]) if row["last_used_at"] else "Never",
            "active": row["revoked_at"] is None and row["expires_at"] > now,
        })
    return rows


@bp.get("/account/tokens", endpoint="tokens")
def tokens_page() -> str:
    return render_template("account/tokens.html", tokens=_token_rows(), done=_done())


@bp.route("/account/tokens/new", methods=["GET", "POST"])
def new_token() -> Any:
    rt = runtime()
    actor = require_actor()
    session = db_session()
    people = records.list_people(session, actor)
    template = "account/token_new.html"
    if request.method == "GET":
        return render_template(template, people=people, values={}, errors={})
    values = request.form.to_dict()
    values.pop("csrf_token", None)
    data, errors = load_form(TokenForm())
    person_id = _token_person(data, people) if not errors else None
    if not errors and person_id is None:
        errors = account_form_errors(TokenForm(), {"person_id": []})
    if errors or person_id is None:
        return render_template(template, people=people, values=values, errors=errors), 422
    scopes = ["read", "write"] if data["access"] == "read_write" else ["read"]
    now = rt.now()
    token, made = tokens.create_token(
        session, rt.config, actor, name=data["name"].strip(), scopes=scopes,
        person_ids=[person_id], expires_at=now + timedelta(days=data["days"]), now=now)
    # The token is shown in this answer only: it is stored as a digest, and the page is no-store.
    return render_template("account/token_made.html", token=token, name=data["name"].strip(),
                           expires=uk_time(made["expires_at"]))


def _token_person(data: dict[str, Any], people: list[dict[str, str]]) -> str | None:
    """The record chosen, or the only one there is; create_token checks it may be seen."""
    if data.get("person_id"):
        return str(data["person_id"])
    return people[0]["id"] if len(people) == 1 else None


def _own_token(token_id: str) -> dict[str, Any]:
    """:raises NotFound: for a token of another account, as for one that does not exist."""
    for row in _token_rows():
        if row["id"] == token_id:
            return row
    raise NotFound


@bp.route("/account/tokens/<uuid:token_id>/revoke", methods=["GET", "POST"])
def revoke_token(token_id: Any) -> Any:
    rt = runtime()
    actor = require_actor()
    token = _own_token(str(token_id))
    if request.method == "GET":
        if not token["active"]:
            return redirect(url_for("account.tokens"), 303)
        return render_template("account/token_revoke.html", token=token, errors={})
    _, errors = load_form(ButtonForm())
    if errors:
        return render_template("account/token_revoke.html", token=token, errors=errors), 422
    tokens.revoke_token(db_session(), rt.config, actor, token_id=str(token_id), now=rt.now())
    return redirect(url_for("account.tokens", done="revoked"), 303)


# -- recovery code ---------------------------------------------------------------------------------


@bp.route("/account/recovery-code", methods=["GET", "POST"])
def new_recovery_code() -> Any:
    actor = require_actor()
    template = "account/recovery_code.html"
    if request.method == "GET":
        return render_template(template, errors={})
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template(template, errors=errors), 422
    rt = runtime()
    try:
        code = accounts.replace_recovery_code(db_session(), rt.config, actor,
                                              passphrase=data["passphrase"],
                                              address=client_address(), now=rt.now())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template)
    # The code is shown in this answer only: it is never stored, and the page is no-store.
    return render_template("account/new_recovery_code.html", code=code, replaced=True,
                           errors={})


# -- the whole record ------------------------------------------------------------------------------


@bp.get("/account/record")
def record() -> Any:
    _own, elsewhere = _own_record_or_dashboard()
    if elsewhere:
        return elsewhere
    return render_template("account/record.html", done=_done(),
                           days=runtime().config.deletion_undo_period.days)


@bp.route("/account/record/export", methods=["GET", "POST"])
def export_record() -> Any:
    rt = runtime()
    actor = require_actor()
    own, elsewhere = _own_record_or_dashboard()
    if own is None:
        return elsewhere
    template = "account/export.html"
    if request.method == "GET":
        return render_template(template, errors={})
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template(template, errors=errors), 422
    now = rt.now()
    try:
        document = lifecycle.export_record(db_session(), rt.config, actor,
                                           person_id=own.person_id, now=now,
                                           passphrase=data["passphrase"],
                                           address=client_address())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template)
    response = jsonify(document)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="tellonce-record-{now.date().isoformat()}.json"')
    # The whole record in plain text: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/record/import", methods=["GET", "POST"])
def import_record() -> Any:
    rt = runtime()
    actor = require_actor()
    own, elsewhere = _own_record_or_dashboard()
    if own is None:
        return elsewhere
    template = "account/import.html"
    if request.method == "GET":
        return render_template(template, errors={}, detail=None)
    _, errors = load_form(ImportForm())
    if errors:
        return render_template(template, errors=errors, detail=None), 422
    upload = request.files.get("record_file")
    if upload is None or not upload.filename:
        return render_template(template, detail=None, errors={
            "record_file": "Choose the record file you downloaded from Tell Once."}), 422
    try:
        document = json.loads(upload.read())
    except (ValueError, UnicodeDecodeError):
        return render_template(template, errors={"record_file": NOT_A_RECORD_FILE},
                               detail=None), 422
    try:
        lifecycle.import_record(db_session(), rt.config, actor, person_id=own.person_id,
                                document=document, now=rt.now())
    except Conflict as exc:
        return form_again(exc, "record_file", template, message=NOT_EMPTY, detail=None)
    except (InvalidEntry, AttachmentRejected) as exc:
        # Nothing was written: the import checks the whole file before it writes anything,
        # and an error answer rolls the request's unit of work back.
        return form_again(exc, "record_file", template, message=NOT_A_RECORD_FILE,
                          detail=exc.message)
    return redirect(url_for("account.record", done="imported"), 303)


@bp.route("/account/record/delete", methods=["GET", "POST"])
def delete_record() -> Any:
    rt = runtime()
    actor = require_actor()
    own, elsewhere = _own_record_or_dashboard()
    if own is None:
        return elsewhere
    template = "account/delete.html"
    days = rt.config.deletion_undo_period.days
    if request.method == "GET":
        return render_template(template, days=days, values={}, errors={})
    values = {"understood": request.form.get("understood", "")}
    data, errors = load_form(DeleteRecordForm())
    if errors:
        return render_template(template, days=days, values=values, errors=errors), 422
    try:
        lifecycle.delete_record(db_session(), rt.config, actor, person_id=own.person_id,
                                now=rt.now(), passphrase=data["passphrase"],
                                address=client_address())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", template, days=days, values=values)
    # The person stays signed in; the dashboard now says the record is deleted, with undo.
    return redirect(url_for("pages.dashboard"), 303)


@bp.post("/account/record/undo")
def undo_delete() -> Any:
    rt = runtime()
    actor = require_actor()
    own = accounts.require_own_record(db_session(), actor)
    if not own.hidden:
        return redirect(url_for("pages.dashboard"), 303)  # Nothing to undo.
    _, errors = load_form(ButtonForm())
    if errors:
        return render_template("account/record_deleted.html", destroy_after=own.destroy_after,
                               errors=errors), 422
    lifecycle.undo_delete_record(db_session(), rt.config, actor, person_id=own.person_id,
                                 now=rt.now())
    return redirect(url_for("pages.record", person_id=own.person_id), 303)


# -- getting back in with the recovery code ----------------------------------------------------


@bp.route("/recover", methods=["GET", "POST"])
def recover() -> Any:
    template = "account/recover.html"
    if request.method == "GET":
        return render_template(template, values={}, errors={})
    values = {"login": request.form.get("login", "")}
    data, errors = load_form(RecoverForm())
    if errors:
        return render_template(template, values=values, errors=errors), 422
    rt = runtime()
    try:
        signed, code = sign_in.recover_account(db_session(), rt.config, login=data["login"],
                                       code=data["recovery_code"].strip(),
                                       new_passphrase=data["new_passphrase"],
                                       address=client_address(), now=rt.now())
    except WeakPassphrase as exc:
        return form_again(exc, "new_passphrase", template, values=values)
    except SignInFailed as exc:
        return form_again(exc, "recovery_code", template, message=WRONG_CODE, values=values)
    except TooManyAttempts as exc:
        return form_again(exc, "recovery_code", template, values=values)
    # The new code is shown in this answer only: the old one was used up.
    response = make_response(render_template("account/new_recovery_code.html", code=code,
                                             replaced=False, errors={}))
    set_session_cookie(response, signed)
    return response


# -- one-time codes (second factor) --------------------------------------------------------


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@bp.get("/account/codes")
def codes() -> str:
    switched_on = accounts.has_one_time_codes(db_session(), require_actor())
    return render_template("account/codes.html", switched_on=switched_on, errors={},
                           done=_done())


@bp.post("/account/codes/start")
def start_codes() -> Any:
    actor = require_actor()
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template("account/codes.html", switched_on=False, errors=errors), 422
    rt = runtime()
    try:
        made = accounts.start_totp(db_session(), rt.config, actor, passphrase=data["passphrase"],
                                   address=client_address(), now=rt.now())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", "account/codes.html", switched_on=False)
    # Drawn here, so the secret never leaves this server.
    return render_template("account/codes_confirm.html", secret=_grouped(made["secret"]),
                           qr=qr.data_uri(qr.png(made["uri"], box_size=6, border=2)),
                           errors={})


@bp.post("/account/codes/confirm")
def confirm_codes() -> Any:
    actor = require_actor()
    data, errors = load_form(CodeForm())
    rt = runtime()
    status = 422
    if not errors:
        try:
            accounts.confirm_totp(db_session(), rt.config, actor, code=data["code"], now=rt.now())
        except CodeNotConfirmed as exc:
            errors, status = {"code": exc.message}, status_of(exc)
        except NotFound:
            return redirect(url_for("account.codes"), 303)
    if errors:
        return render_template("account/codes_confirm.html", secret=None, qr=None,
                               errors={"code": errors.get("code", "Type the 6 numbers.")}), status
    return redirect(url_for("account.codes", done="codes_on"), 303)


@bp.post("/account/codes/remove")
def remove_codes() -> Any:
    actor = require_actor()
    data, errors = load_form(ConfirmPassphraseForm())
    if errors:
        return render_template("account/codes.html", switched_on=True, errors=errors), 422
    rt = runtime()
    try:
        accounts.remove_totp(db_session(), rt.config, actor, passphrase=data["passphrase"],
                             address=client_address(), now=rt.now())
    except PASSPHRASE_PROBLEMS as exc:
        return form_again(exc, "passphrase", "account/codes.html", switched_on=True)
    return redirect(url_for("account.codes", done="codes_off"), 303)
