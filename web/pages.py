"""The owner's pages: home, sign up, recovery code, sign in and out, the record's sections.

Views read the form, call consent, commit, and render; every read or write of a record goes
through consent, exactly as the JSON API does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from marshmallow import ValidationError

from consent import auth, records
from consent import people as consent_people
from consent.notices import NOTICE_WORDS
from consent.runtime import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, SESSION_COOKIE
from vault import credentials
from vault.errors import AccountLocked, NotSignedIn, SignInFailed, TooManyAttempts, VaultError, WrongCode
from vault.sections import SECTIONS, get_section
from web import entry_form
from web.context import db_session, relying_party, require_actor, runtime, signed_in_actor
from web.forms import CodeForm, KeptCodeForm, SignInForm, SignUpForm, form_errors

bp = Blueprint("pages", __name__)

# Holds a sign-in between a right passphrase and its one-time code, for five minutes.
PENDING_COOKIE = "__Host-tellonce-pending"


def _form_data() -> dict[str, str]:
    return {key: value for key, value in request.form.items()}


def set_session_cookie(response: Response, signed: auth.SignedIn) -> None:
    response.set_cookie(SESSION_COOKIE, signed.session_token, secure=True, httponly=True,
                        samesite="Strict", path="/")
    if signed.device_token:
        response.set_cookie(DEVICE_COOKIE, signed.device_token, secure=True, httponly=True,
                            samesite="Strict", path="/", max_age=DEVICE_COOKIE_MAX_AGE)


def _own_person_id() -> str:
    actor = require_actor()
    people = records.list_people(db_session(), actor)
    own = [p for p in people if p["role"] == "subject"]
    if not own:
        from vault.errors import NotFound

        raise NotFound
    return own[0]["id"]


@bp.get("/")
def home() -> str:
    return render_template("home.html", signed_in=signed_in_actor() is not None)


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up() -> Any:
    if request.method == "GET":
        return render_template("sign_up.html", values={}, errors={})
    values = _form_data()
    try:
        data = SignUpForm().load(values)
    except ValidationError as exc:
        return render_template("sign_up.html", values=values,
                               errors=form_errors(exc.messages)), 422  # type: ignore[arg-type]
    rt = runtime()
    try:
        made = consent_people.sign_up(db_session(), rt.config, login=data["login"],
                                      email=data["email"] or None, passphrase=data["passphrase"],
                                      preferred_name=data["preferred_name"], now=rt.now())
    except VaultError as exc:
        return render_template("sign_up.html", values=values,
                               errors={exc.field or "login": exc.message}), 422
    db_session().commit()
    signed = auth.sign_in(rt.db, rt.config, login=data["login"], passphrase=data["passphrase"],
                          address=request.remote_addr or "unknown", now=rt.now())
    if not isinstance(signed, auth.SignedIn):  # A new account has no second factor yet.
        raise RuntimeError("a new account asked for a second factor")
    # The code is shown in this answer only: it is never stored, and the page is no-store.
    response = make_response(render_template("recovery_code.html", code=made["recovery_code"],
                                             errors={}))
    set_session_cookie(response, signed)
    return response


@bp.post("/recovery-code/kept")
def recovery_code_kept() -> Any:
    require_actor()
    try:
        KeptCodeForm().load(_form_data())
    except ValidationError as exc:
        return render_template("recovery_code.html", code=None,
                               errors=form_errors(exc.messages)), 422  # type: ignore[arg-type]
    return redirect(url_for("pages.dashboard"), 303)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("sign_in.html", values={}, errors={})
    values = _form_data()
    values.pop("passphrase_shown", None)
    try:
        data = SignInForm().load(values)
    except ValidationError as exc:
        return render_template("sign_in.html", values=values,
                               errors=form_errors(exc.messages)), 422  # type: ignore[arg-type]
    rt = runtime()
    try:
        signed = auth.sign_in(rt.db, rt.config, login=data["login"],
                              passphrase=data["passphrase"],
                              address=request.remote_addr or "unknown", now=rt.now(),
                              device_token=request.cookies.get(DEVICE_COOKIE),
                              mailer=rt.mailer)
    except (SignInFailed, TooManyAttempts, AccountLocked) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        return render_template("sign_in.html", values={"login": data["login"]},
                               errors={"passphrase": exc.message}), status
    if isinstance(signed, auth.SecondFactorNeeded):
        page = make_response(second_step_page(signed.pending_token, errors={}))
        page.set_cookie(PENDING_COOKIE, signed.pending_token, secure=True, httponly=True,
                        samesite="Strict", path="/", max_age=300)
        return page
    response = redirect(url_for("pages.dashboard"), 303)
    set_session_cookie(response, signed)
    return response


def second_step_page(pending_token: str, *, errors: dict[str, str], status: int = 200) -> Any:
    """The second step of signing in: a one-time code, a passkey, or a choice of both.

    Each showing has a fresh passkey challenge; when the pending sign-in is over (too slow,
    or five wrong tries), the person starts again from the sign-in page.
    """
    rt = runtime()
    try:
        choices = auth.second_factor_choices(rt.db, pending_token=pending_token,
                                             rp=relying_party(), now=rt.now())
    except NotSignedIn:
        return render_template("sign_in.html", values={}, errors={
            "login": "That took too long, or too many tries were wrong. Sign in again."}), 401
    return render_template("sign_in_code.html", choices=choices, errors=errors), status


def finish_sign_in(signed: auth.SignedIn) -> Any:
    """The dashboard, with the session cookie in place of the pending one."""
    response = redirect(url_for("pages.dashboard"), 303)
    response.delete_cookie(PENDING_COOKIE, path="/", secure=True, samesite="Strict")
    set_session_cookie(response, signed)
    return response


@bp.post("/sign-in/code")
def sign_in_code() -> Any:
    """The second step of signing in, for people who chose one-time codes."""
    rt = runtime()
    pending = request.cookies.get(PENDING_COOKIE, "")
    try:
        data = CodeForm().load(_form_data())
        signed = auth.finish_second_factor(rt.db, rt.config, pending_token=pending,
                                           code=data["code"], now=rt.now(),
                                           device_token=request.cookies.get(DEVICE_COOKIE),
                                           mailer=rt.mailer)
    except ValidationError:
        return second_step_page(pending, errors={"code": "Type the 6 numbers your app shows."},
                                status=422)
    except WrongCode as exc:
        return second_step_page(pending, errors={"code": exc.message}, status=401)
    except NotSignedIn:
        return second_step_page(pending, errors={})
    return finish_sign_in(signed)


@bp.post("/sign-out")
def sign_out() -> Any:
    credentials.end_session(db_session(), token=request.cookies.get(SESSION_COOKIE, ""))
    db_session().commit()
    # The time-out warning's own form says why, so the person knows it was not a fault.
    timed_out = request.args.get("timed_out") == "1"
    response = make_response(render_template("signed_out.html", timed_out=timed_out))
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, samesite="Strict")
    return response


@bp.get("/dashboard")
def dashboard() -> Any:
    from consent import account as consent_account

    own = consent_account.own_record_status(db_session(), require_actor())
    if own is not None and own.hidden:
        # A deleted record is left out of every list until it is destroyed: this page is
        # where the person finds it again, and the one way to undo the deletion.
        db_session().commit()
        return render_template("account/record_deleted.html", destroy_after=own.destroy_after)
    return redirect(url_for("pages.record", person_id=_own_person_id()), 303)


@bp.get("/people/<uuid:person_id>")
def record(person_id: Any) -> str:
    rt = runtime()
    actor = require_actor()
    views = records.list_entries(db_session(), rt.config, actor, person_id=str(person_id),
                                 section=None, now=rt.now())
    indicators = records.medicines_indicators(db_session(), rt.config, actor,
                                              person_id=str(person_id), now=rt.now(),
                                              today=rt.now().date())
    notices = records.read_notices(db_session(), actor, now=rt.now())
    db_session().commit()
    counts = {name: sum(1 for v in views if v.section == name) for name in SECTIONS}
    return render_template("dashboard.html", person_id=str(person_id), sections=SECTIONS,
                           counts=counts, indicators=indicators, notices=notices,
                           notice_words=NOTICE_WORDS)


@bp.get("/people/<uuid:person_id>/sections/<name>")
def section(person_id: Any, name: str) -> str:
    rt = runtime()
    actor = require_actor()
    the_section = get_section(name)
    views = records.list_entries(db_session(), rt.config, actor, person_id=str(person_id),
                                 section=name, now=rt.now())
    db_session().commit()
    return render_template("section.html", person_id=str(person_id), section=the_section,
                           entries=views)


@bp.route("/people/<uuid:person_id>/sections/<name>/new", methods=["GET", "POST"])
def new_entry(person_id: Any, name: str) -> Any:
    return _entry_form(str(person_id), get_section(name), entry=None)


@bp.route("/people/<uuid:person_id>/entries/<uuid:entry_id>/edit", methods=["GET", "POST"])
def edit_entry(person_id: Any, entry_id: Any) -> Any:
    rt = runtime()
    view = records.read_entry(db_session(), rt.config, require_actor(), person_id=str(person_id),
                              entry_id=str(entry_id), now=rt.now())
    return _entry_form(str(person_id), get_section(view.section), entry=view)


def _entry_form(person_id: str, the_section: Any, entry: Any) -> Any:
    rt = runtime()
    actor = require_actor()
    data = entry.data if entry else {}
    tiers = entry.tiers if entry else {}
    if request.method == "GET":
        return render_template("entry_form.html", person_id=person_id, section=the_section,
                               entry=entry, boxes=entry_form.boxes(the_section, data, tiers),
                               errors={})
    try:
        data, tiers = entry_form.read_form(the_section, request.form)  # type: ignore[arg-type]
        if entry is None:
            records.create_entry(db_session(), rt.config, actor, person_id=person_id,
                                 section=the_section.name, data=data, tiers=tiers or None,
                                 now=rt.now())
        else:
            records.update_entry(db_session(), rt.config, actor, person_id=person_id,
                                 entry_id=entry.id, data=data, tiers=tiers or None, now=rt.now())
    except entry_form.FormProblem as problem:
        return _form_again(person_id, the_section, entry, tiers, problem.problems)
    except VaultError as exc:
        if exc.code not in ("invalid_entry", "unknown_section"):
            raise
        return _form_again(person_id, the_section, entry, tiers,
                           {entry_form.box_id_for(exc.field): exc.message})
    db_session().commit()
    return redirect(url_for("pages.section", person_id=person_id, name=the_section.name), 303)


def _form_again(person_id: str, the_section: Any, entry: Any, tiers: dict[str, str],
                problems: dict[str, str]) -> tuple[str, int]:
    # Nothing was written: show everything as it was typed (dates, yes or no, list rows
    # too), with what to fix.
    db_session().rollback()
    boxes = entry_form.sent_boxes(the_section, request.form, tiers)  # type: ignore[arg-type]
    return render_template("entry_form.html", person_id=person_id, section=the_section,
                           entry=entry, boxes=boxes, errors=problems), 422


@bp.post("/session/stay")
def stay_signed_in() -> Any:
    """The "stay signed in" button of the time-out warning: using the session extends it."""
    require_actor()
    db_session().commit()
    return make_response("", 204)
