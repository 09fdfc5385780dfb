"""Per-request glue for the pages: the runtime, the request's unit of work, the signed-in actor.

The unit of work (one database session, committed once at the end of the request or rolled
back) is opened and closed by ``web/unit_of_work.py``; views only use it.

``api/context.py`` has the same few lines for the JSON API: the two front doors may not import
each other, and each reads the cookies the composition root names for both.
"""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from consent import sessions
from consent.accounts import RelyingParty
from consent.policy import Actor
from consent.runtime import Runtime
from vault.errors import NotSignedIn


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["tellonce"]
    return rt


def db_session() -> Session:
    """The request's unit of work: operations flush, the request commits at its end.

    Made on first use (a session holds no connection until then); ``web/unit_of_work.py``
    commits or rolls it back when the answer is ready.
    """
    if "db_session" not in g:
        g.db_session = runtime().db.sessions()
    session: Session = g.db_session
    return session


def cookie_name(kind: str) -> str:
    """The name of the ``session``, ``pending`` or ``device`` cookie (set by the app)."""
    name: str = current_app.config["TELLONCE_COOKIES"][kind]
    return name


def set_cookie(response: Response, kind: str, value: str, *, max_age: int | None) -> None:
    # __Host-: Secure, Path=/ and no Domain, so no other host or path can set or read it.
    response.set_cookie(cookie_name(kind), value, secure=True, httponly=True,
                        samesite="Strict", path="/", max_age=max_age)


def delete_cookie(response: Response, kind: str) -> None:
    response.delete_cookie(cookie_name(kind), path="/", secure=True, samesite="Strict")


def client_address() -> str:
    return request.remote_addr or "unknown"


def signed_in_actor() -> Actor | None:
    """The actor of this browser's session, or None when nobody is signed in."""
    if "actor" in g:
        actor: Actor | None = g.actor
        return actor
    cookie = request.cookies.get(cookie_name("session"))
    g.actor = None
    if cookie:
        rt = runtime()
        try:
            g.actor = sessions.authenticate_session(db_session(), rt.config, token=cookie,
                                                    now=rt.now())
        except NotSignedIn:
            return None
    return g.actor  # type: ignore[no-any-return]


def require_actor() -> Actor:
    """:raises NotSignedIn: which the pages turn into the sign-in page."""
    actor = signed_in_actor()
    if actor is None:
        raise NotSignedIn
    return actor


def relying_party() -> RelyingParty:
    """This server as passkeys know it: its host name and origin, from TELLONCE_BASE_URL."""
    return RelyingParty.from_base_url(runtime().base_url)
