"""Per-request glue for the JSON API: the runtime, the request's unit of work, the caller.

The unit of work (one database session, committed once at the end of the request or rolled
back) is opened and closed by the app's request lifecycle (``web/unit_of_work.py``), for the
pages and the API alike; views only use it.
"""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from consent import sessions, tokens
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
        db = runtime().db
        g.db_session = (db.read_sessions if _reads_only() else db.sessions)()
    session: Session = g.db_session
    return session


# GETs of the JSON API that write as their work: the export is in the person's history.
WRITING_READS = frozenset({"api.Export"})


def _reads_only() -> bool:
    """A GET of the JSON API reads a snapshot that waits for no writer, and the database
    refuses any write in it; a credential that must be written first turns it into a write
    (``vault.db.begin_writing``)."""
    return (request.method in ("GET", "HEAD") and request.blueprint == "api"
            and request.endpoint not in WRITING_READS)


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


def current_actor() -> Actor:
    """The actor for this request, from a bearer token or the session cookie.

    :raises NotSignedIn: when neither is present and valid.
    """
    if "actor" in g:
        actor: Actor = g.actor
        return actor
    rt = runtime()
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotSignedIn
        g.actor = tokens.authenticate_token(db_session(), rt.config, token=token.strip(), now=rt.now())
    else:
        cookie = request.cookies.get(cookie_name("session"))
        if not cookie:
            raise NotSignedIn
        g.actor = sessions.authenticate_session(db_session(), rt.config, token=cookie,
                                                now=rt.now())
    return g.actor  # type: ignore[no-any-return]
