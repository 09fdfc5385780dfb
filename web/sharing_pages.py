"""Sharing, for the person: who can see my record now, make a link, its QR code, stop it.

Making a link takes two steps: choose who it is for and for how long, then see everything it
will show, in full, and confirm with the passphrase. Stopping never asks twice: "stop all
sharing now" must work at once for someone who is frightened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from consent import history, records, sharing
from consent.templates import TEMPLATES
from vault.errors import InvalidEntry, NotFound
from vault.sections import SECTIONS
from web import qr
from web.context import client_address, db_session, require_actor, runtime
from web.errors import headers_of, status_of
from web.form_flow import PASSPHRASE_PROBLEMS, load_form
from web.forms import ButtonForm, LinkForm, RenewLinkForm

bp = Blueprint("sharing", __name__)

# How long a link lasts: plain choices, all within the 12 months a link may live.
DURATIONS = {"week": ("1 week", timedelta(days=7)), "month": ("1 month", timedelta(days=30)),
             "3months": ("3 months", timedelta(days=91)),
             "6months": ("6 months", timedelta(days=182)),
             "year": ("12 months", timedelta(days=365))}
DONE = {
    "stopped": "The link is stopped. Nobody can open it any more.",
    "all_stopped": "All sharing is stopped. Nobody can open any of your links now.",
    "renewed": "The link now lasts longer. It is the same link and the same QR code.",
}
STATE_WORDS = {"live": "Working", "stopped": "Stopped", "ended": "Ended",
               "used_up": "Opened as many times as you allowed",
               "too_many_wrong_passcodes": "Stopped after too many wrong passcodes"}


def _person_id(person_id: Any) -> str:
    return str(person_id)


def _links(person_id: str) -> list[dict[str, Any]]:
    rt = runtime()
    return sharing.list_links(db_session(), require_actor(), person_id=person_id,
                              addresses=rt.addresses, now=rt.now())


def _openings(person_id: str, link_id: str | None = None) -> list[dict[str, Any]]:
    return sharing.list_openings(db_session(), require_actor(), person_id=person_id,
                            link_id=link_id)


@bp.context_processor
def _sharing_helpers() -> dict[str, Any]:
    return {"templates": TEMPLATES, "durations": DURATIONS, "state_words": STATE_WORDS,
            "sections_words": sections_words}


def sections_words(sections: dict[str, str]) -> str:
    """Like "Identity, Medicines (the main points)", in the record's own order."""
    names = sorted(sections, key=lambda name: SECTIONS[name].number)
    return ", ".join(SECTIONS[name].title + (" (the main points)" if sections[name] == "summary"
                                             else "") for name in names)


# -- who can see my record now --------------------------------------------------------------


@bp.get("/people/<uuid:person_id>/sharing")
def index(person_id: Any) -> str:
    pid = _person_id(person_id)
    links = _links(pid)
    labels = {link["id"]: link["label"] for link in links}
    openings = _openings(pid)
    changed = history.history_changed(db_session(), runtime().config, require_actor(),
                                      person_id=pid)
    return render_template("sharing/index.html", person_id=pid, history_changed=changed,
                           live=[link for link in links if link["state"] == "live"],
                           ended=[link for link in links if link["state"] != "live"],
                           openings=openings, labels=labels,
                           done=DONE.get(request.args.get("done", "")), errors={})


@bp.post("/people/<uuid:person_id>/sharing/stop-all")
def stop_all(person_id: Any) -> Any:
    rt = runtime()
    pid = _person_id(person_id)
    _, errors = load_form(ButtonForm())
    if errors:
        return index(person_id), 422
    sharing.stop_all_sharing(db_session(), rt.config, require_actor(), person_id=pid,
                             now=rt.now())
    return redirect(url_for("sharing.index", person_id=pid, done="all_stopped"), 303)


# -- making a link ---------------------------------------------------------------------------


SECTION_BOX = "section."
SECTION_CHOICES = {"full": "All of it", "summary": "The main points", "out": "Leave it out"}


def _choices(data: dict[str, Any], now: datetime) -> sharing.LinkChoices:
    return sharing.LinkChoices(
        template=data["template"], label=data["label"].strip(),
        expires_at=now + DURATIONS[data["duration"]][1], passcode=data.get("passcode") or None,
        max_openings=int(data["max_openings"]) if str(data.get("max_openings", "")).strip()
        else None, s_items=data.get("s_items", ()), sections=data.get("sections"),
        notify_on_open=data.get("notify") == "yes")


def _section_choices() -> dict[str, str] | None:
    """The person's own choice of sections from the check page; None keeps the template's.

    :raises InvalidEntry: for a section or a choice the page never offered.
    """
    chosen = {key[len(SECTION_BOX):]: value for key, value in request.form.items()
              if key.startswith(SECTION_BOX)}
    if not chosen:
        return None
    if any(name not in SECTIONS or how not in SECTION_CHOICES for name, how in chosen.items()):
        raise InvalidEntry("Choose all of it, the main points, or leave it out, for each part.",
                           field="sections")
    return {name: how for name, how in chosen.items() if how != "out"}


def _form_values() -> dict[str, Any]:
    values: dict[str, Any] = request.form.to_dict()
    values.pop("csrf_token", None)
    values.pop("passphrase", None)
    values["s_items"] = request.form.getlist("s_items")
    return values


def _load_link_form(leave_out: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    data, errors = load_form(LinkForm(), leave_out=(*leave_out, SECTION_BOX))
    if errors:
        return data, errors
    # Ticked items come as a repeated field, which to_dict() would cut to the first one.
    data["s_items"] = request.form.getlist("s_items")
    try:
        data["sections"] = _section_choices()
    except InvalidEntry as exc:
        return {}, {"sections": exc.message}
    return data, errors


def _check_page(person_id: str, data: dict[str, Any], *, errors: dict[str, str],
                status: int = 200) -> tuple[str, int]:
    rt = runtime()
    choices = _choices(data, rt.now())
    scope = sharing.scope_for(choices)
    shown = sharing.preview_link(db_session(), require_actor(), person_id=person_id, scope=scope)
    return render_template("sharing/check.html", person_id=person_id, values=_form_values(),
                           choices=choices, template=TEMPLATES[choices.template],
                           items=shown.items, sensitive=shown.sensitive, sections=SECTIONS,
                           scope=scope,
                           section_choices=SECTION_CHOICES, errors=errors), status


@bp.route("/people/<uuid:person_id>/sharing/new", methods=["GET", "POST"])
def new(person_id: Any) -> Any:
    pid = _person_id(person_id)
    require_actor()
    if request.method == "GET":
        return render_template("sharing/new.html", person_id=pid, values={}, errors={})
    data, errors = _load_link_form()
    if not errors:
        try:
            sharing.check_choices(_choices(data, runtime().now()), now=runtime().now())
        except InvalidEntry as exc:
            errors = {exc.field or "template": exc.message}
    if errors:
        return render_template("sharing/new.html", person_id=pid, values=_form_values(),
                               errors=errors), 422
    return _check_page(pid, data, errors={})


@bp.post("/people/<uuid:person_id>/sharing/make")
def make(person_id: Any) -> Any:
    """Make the link once the person has seen what it shows and typed their passphrase."""
    rt = runtime()
    pid = _person_id(person_id)
    actor = require_actor()
    data, errors = _load_link_form(leave_out=("passphrase",))
    if errors:
        return render_template("sharing/new.html", person_id=pid, values=_form_values(),
                               errors=errors), 422
    passphrase = request.form.get("passphrase", "")
    if not passphrase:
        return _check_page(pid, data, errors={"passphrase": "Type your passphrase."},
                           status=422)
    try:
        link = sharing.create_link(db_session(), rt.config, actor, person_id=pid,
                                   choices=_choices(data, rt.now()), now=rt.now(),
                                   passphrase=passphrase, address=client_address())
    except PASSPHRASE_PROBLEMS as exc:
        page, _ = _check_page(pid, data, errors={"passphrase": exc.message})
        return page, status_of(exc), headers_of(exc)
    except InvalidEntry as exc:
        return render_template("sharing/new.html", person_id=pid, values=_form_values(),
                               errors={exc.field or "template": exc.message}), status_of(exc)
    return redirect(url_for("sharing.link", person_id=pid, link_id=link.id), 303)


# -- one link --------------------------------------------------------------------------------


def _one_link(person_id: str, link_id: str) -> dict[str, Any]:
    rt = runtime()
    return sharing.read_link(db_session(), require_actor(), person_id=person_id,
                             link_id=link_id, addresses=rt.addresses, now=rt.now())


@bp.get("/people/<uuid:person_id>/sharing/<uuid:link_id>")
def link(person_id: Any, link_id: Any) -> str:
    pid = _person_id(person_id)
    found = _one_link(pid, str(link_id))
    openings = _openings(pid, found["id"])
    code = qr.data_uri(qr.png(found["url"])) if found["url"] else None
    return render_template("sharing/link.html", person_id=pid, link=found, qr=code,
                           openings=openings, done=DONE.get(request.args.get("done", "")),
                           errors={})


@bp.get("/people/<uuid:person_id>/sharing/<uuid:link_id>/qr.<kind>")
def qr_file(person_id: Any, link_id: Any, kind: str) -> Response:
    found = _one_link(_person_id(person_id), str(link_id))
    if kind not in ("png", "svg") or not found["url"]:
        raise NotFound
    body, mimetype = ((qr.png(found["url"]), "image/png") if kind == "png"
                      else (qr.svg(found["url"]), "image/svg+xml"))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="tell-once-link.{kind}"'
    return response


@bp.get("/people/<uuid:person_id>/sharing/<uuid:link_id>/<any(card, sheet):layout>")
def printable(person_id: Any, link_id: Any, layout: str) -> str:
    """A wallet card or an A4 sheet: the QR code, the person's name and what to do."""
    pid = _person_id(person_id)
    found = _one_link(pid, str(link_id))
    people = records.list_people(db_session(), require_actor())
    if not found["url"]:
        raise NotFound
    name = next((p["preferred_name"] for p in people if p["id"] == pid), "")
    return render_template(f"sharing/{layout}.html", person_id=pid, link=found, name=name,
                           qr=qr.data_uri(qr.png(found["url"], box_size=10)))


@bp.post("/people/<uuid:person_id>/sharing/<uuid:link_id>/stop")
def stop(person_id: Any, link_id: Any) -> Any:
    rt = runtime()
    pid = _person_id(person_id)
    _, errors = load_form(ButtonForm())
    if errors:
        return link(person_id, link_id), 422
    sharing.revoke_link(db_session(), rt.config, require_actor(), person_id=pid,
                        link_id=str(link_id), now=rt.now())
    return redirect(url_for("sharing.link", person_id=pid, link_id=str(link_id),
                            done="stopped"), 303)


@bp.post("/people/<uuid:person_id>/sharing/<uuid:link_id>/renew")
def renew(person_id: Any, link_id: Any) -> Any:
    rt = runtime()
    pid = _person_id(person_id)
    data, errors = load_form(RenewLinkForm())
    if errors:
        found = _one_link(pid, str(link_id))
        return render_template("sharing/link.html", person_id=pid, link=found, qr=None,
                               openings=[], done=None, errors=errors), 422
    sharing.renew_link(db_session(), rt.config, require_actor(), person_id=pid,
                       link_id=str(link_id), expires_at=rt.now() + DURATIONS[data["duration"]][1],
                       now=rt.now())
    return redirect(url_for("sharing.link", person_id=pid, link_id=str(link_id),
                            done="renewed"), 303)
