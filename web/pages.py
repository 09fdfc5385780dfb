"""The owner's pages: home, sign up, recovery code, sign in and out, the record's sections.

Views read the form, call consent and render; the request's unit of work commits at the end
(``web/unit_of_work.py``). Every read or write of a record goes through consent, exactly as
the JSON API does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError

from consent import accounts, records, sessions, sign_in
from consent.notices import NOTICE_WORDS
from vault.errors import (
    AccountLocked,
    InvalidEntry,
    NotFound,
    NotSignedIn,
    SignInFailed,
    TooManyAttempts,
    UnknownSection,
    VaultError,
    WrongCode,
)
from vault.sections import SECTIONS, Section, get_section
from web import entry_form
from web.context import (
    client_address,
    cookie_name,
    db_session,
    delete_cookie,
    relying_party,
    require_actor,
    runtime,
    set_cookie,
    signed_in_actor,
)
from web.errors import status_of
from web.form_flow import form_again
from web.forms import CodeForm, KeptCodeForm, SignInForm, SignUpForm, form_errors

bp = Blueprint("pages", __name__)

# The pending sign-in waits five minutes for its second step.
PENDING_MAX_AGE = 300
DEVICE_MAX_AGE = 400 * 24 * 3600  # The longest lifetime browsers allow a cookie.
SIGN_IN_PROBLEMS = (SignInFailed, TooManyAttempts, AccountLocked)


def _form_data() -> dict[str, str]:
    return {key: value for key, value in request.form.items()}


def set_session_cookie(response: Any, signed: sign_in.SignedIn) -> None:
    # A browser-session cookie: it goes when the browser closes, and the server ends the
    # session after 15 idle minutes or 12 hours whatever happens.
    set_cookie(response, "session", signed.session_token, max_age=None)
    if signed.device_token:
        set_cookie(response, "device", signed.device_token, max_age=DEVICE_MAX_AGE)


def _own_person_id() -> str:
    own = [p for p in records.list_people(db_session(), require_actor()) if p["role"] == "subject"]
    if not own:
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
    data, errors = _load(SignUpForm(), values)
    if errors:
        return render_template("sign_up.html", values=values, errors=errors), 422
    rt = runtime()
    try:
        made = accounts.sign_up(db_session(), rt.config, login=data["login"],
                                email=data["email"] or None, passphrase=data["passphrase"],
                                preferred_name=data["preferred_name"], now=rt.now(),
                                open_a_session=True,
                                device_token=request.cookies.get(cookie_name("device")),
                                mailer=rt.mailer)
    except VaultError as exc:
        return form_again(exc, exc.field or "login", "sign_up.html", values=values)
    # The code is shown in this answer only: it is never stored, and the page is no-store.
    response = make_response(render_template("recovery_code.html", code=made.recovery_code,
                                             errors={}))
    assert made.signed_in is not None  # noqa: S101 - asked for with open_a_session
    set_session_cookie(response, made.signed_in)
    return response


def _load(form: Schema, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's data, or plain words for each box to fix."""
    try:
        return form.load(values), {}
    except ValidationError as exc:
        return {}, form_errors(exc.messages)  # type: ignore[arg-type]


@bp.post("/recovery-code/kept")
def recovery_code_kept() -> Any:
    require_actor()
    _data, errors = _load(KeptCodeForm(), _form_data())
    if errors:
        return render_template("recovery_code.html", code=None, errors=errors), 422
    return redirect(url_for("pages.dashboard"), 303)


@bp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page() -> Any:
    if request.method == "GET":
        return render_template("sign_in.html", values={}, errors={})
    values = _form_data()
    values.pop("passphrase_shown", None)
    data, errors = _load(SignInForm(), values)
    if errors:
        return render_template("sign_in.html", values=values, errors=errors), 422
    rt = runtime()
    try:
        signed = sign_in.sign_in(db_session(), rt.config, login=data["login"],
                                 passphrase=data["passphrase"], address=client_address(),
                                 now=rt.now(),
                                 device_token=request.cookies.get(cookie_name("device")),
                                 mailer=rt.mailer)
    except SIGN_IN_PROBLEMS as exc:
        return form_again(exc, "passphrase", "sign_in.html", values={"login": data["login"]})
    if isinstance(signed, sign_in.SecondFactorNeeded):
        page = make_response(second_step_page(signed.pending_token, errors={}))
        set_cookie(page, "pending", signed.pending_token, max_age=PENDING_MAX_AGE)
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
        choices = sign_in.offer_second_factors(db_session(), pending_token=pending_token,
                                                rp=relying_party(), now=rt.now())
    except NotSignedIn as exc:
        return render_template("sign_in.html", values={}, errors={
            "login": "That took too long, or too many tries were wrong. Sign in again."
        }), status_of(exc)
    return render_template("sign_in_code.html", choices=choices, errors=errors), status


def finish_sign_in(signed: sign_in.SignedIn) -> Any:
    """The dashboard, with the session cookie in place of the pending one."""
    response = redirect(url_for("pages.dashboard"), 303)
    delete_cookie(response, "pending")
    set_session_cookie(response, signed)
    return response


def pending_token() -> str:
    return request.cookies.get(cookie_name("pending"), "")


@bp.post("/sign-in/code")
def sign_in_code() -> Any:
    """The second step of signing in, for people who chose one-time codes."""
    rt = runtime()
    pending = pending_token()
    data, errors = _load(CodeForm(), _form_data())
    if errors:
        return second_step_page(pending, errors={"code": "Type the 6 numbers your app shows."},
                                status=422)
    try:
        signed = sign_in.finish_second_factor(
            db_session(), rt.config, pending_token=pending, code=data["code"], now=rt.now(),
            device_token=request.cookies.get(cookie_name("device")), mailer=rt.mailer)
    except WrongCode as exc:
        return second_step_page(pending, errors={"code": exc.message}, status=status_of(exc))
    except NotSignedIn:
        return second_step_page(pending, errors={})
    return finish_sign_in(signed)


@bp.post("/sign-out")
def sign_out() -> Any:
    sessions.end_session(db_session(), token=request.cookies.get(cookie_name("session"), ""))
    # The time-out warning's own form says why, so the person knows it was not a fault.
    timed_out = request.args.get("timed_out") == "1"
    response = make_response(render_template("signed_out.html", timed_out=timed_out))
    delete_cookie(response, "session")
    return response


@bp.get("/dashboard")
def dashboard() -> Any:
    own = accounts.read_own_record(db_session(), require_actor())
    if own is not None and own.hidden:
        # A deleted record is left out of every list until it is destroyed: this page is
        # where the person finds it again, and the one way to undo the deletion.
        return render_template("account/record_deleted.html", destroy_after=own.destroy_after)
    return redirect(url_for("pages.record", person_id=_own_person_id()), 303)


@bp.get("/people/<uuid:person_id>")
def record(person_id: Any) -> str:
    rt = runtime()
    actor = require_actor()
    views = records.list_entries(db_session(), rt.config, actor, person_id=str(person_id),
                                 section=None, now=rt.now())
    indicators = records.read_medicine_indicators(db_session(), rt.config, actor,
                                              person_id=str(person_id), now=rt.now(),
                                              today=rt.now().date())
    notices = accounts.read_notices(db_session(), actor, now=rt.now())
    counts = {name: sum(1 for v in views if v.section == name) for name in SECTIONS}
    return render_template("dashboard.html", person_id=str(person_id), sections=SECTIONS,
                           counts=counts, indicators=indicators, notices=notices,
                           notice_words=NOTICE_WORDS)


@bp.get("/people/<uuid:person_id>/sections/<name>")
def section(person_id: Any, name: str) -> str:
    rt = runtime()
    the_section = get_section(name)
    views = records.list_entries(db_session(), rt.config, require_actor(),
                                 person_id=str(person_id), section=name, now=rt.now())
    return render_template("section.html", person_id=str(person_id), section=the_section,
                           entries=views)


@bp.route("/people/<uuid:person_id>/sections/<name>/new", methods=["GET", "POST"])
def new_entry(person_id: Any, name: str) -> Any:
    the_section = get_section(name)
    if request.method == "GET":
        return _entry_page(str(person_id), the_section, entry=None)
    return _save_entry(str(person_id), the_section, entry_id=None)


@bp.route("/people/<uuid:person_id>/entries/<uuid:entry_id>/edit", methods=["GET", "POST"])
def edit_entry(person_id: Any, entry_id: Any) -> Any:
    rt = runtime()
    actor = require_actor()
    if request.method == "GET":
        view = records.read_entry(db_session(), rt.config, actor, person_id=str(person_id),
                                  entry_id=str(entry_id), now=rt.now())
        return _entry_page(str(person_id), get_section(view.section), entry=view)
    # Which boxes the form has is all that is needed to read it: nothing is decrypted here.
    name = records.read_entry_section(db_session(), actor, person_id=str(person_id),
                                 entry_id=str(entry_id))
    return _save_entry(str(person_id), get_section(name), entry_id=str(entry_id))


def _entry_page(person_id: str, the_section: Section, entry: Any) -> str:
    data = entry.data if entry else {}
    tiers = entry.tiers if entry else {}
    return render_template("entry_form.html", person_id=person_id, section=the_section,
                           entry=entry, boxes=entry_form.boxes(the_section, data, tiers),
                           errors={})


def _save_entry(person_id: str, the_section: Section, entry_id: str | None) -> Any:
    rt = runtime()
    actor = require_actor()
    tiers: dict[str, str] = {}
    try:
        data, tiers = entry_form.read_form(the_section, request.form)
        if entry_id is None:
            records.create_entry(db_session(), rt.config, actor, person_id=person_id,
                                 section=the_section.name, data=data, tiers=tiers or None,
                                 now=rt.now())
        else:
            records.update_entry(db_session(), rt.config, actor, person_id=person_id,
                                 entry_id=entry_id, data=data, tiers=tiers or None, now=rt.now())
    except entry_form.FormProblem as problem:
        return _form_again(person_id, the_section, entry_id, tiers, problem.problems)
    except (InvalidEntry, UnknownSection) as exc:
        return _form_again(person_id, the_section, entry_id, tiers,
                           {entry_form.box_id_for(exc.field): exc.message})
    return redirect(url_for("pages.section", person_id=person_id, name=the_section.name), 303)


def _form_again(person_id: str, the_section: Section, entry_id: str | None,
                tiers: dict[str, str], problems: dict[str, str]) -> tuple[str, int]:
    # Nothing is written (the answer is an error, so the unit of work rolls back): show
    # everything as it was typed (dates, yes or no, list rows too), with what to fix.
    boxes = entry_form.sent_boxes(the_section, request.form, tiers)
    entry = {"id": entry_id} if entry_id else None
    return render_template("entry_form.html", person_id=person_id, section=the_section,
                           entry=entry, boxes=boxes, errors=problems), 422


@bp.post("/session/stay")
def stay_signed_in() -> Any:
    """The "stay signed in" button of the time-out warning: using the session extends it."""
    require_actor()
    return make_response("", 204)
