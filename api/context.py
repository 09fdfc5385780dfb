"""Per-request glue: the runtime, the database session and the caller's credential."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from consent import policy
from consent.runtime import SESSION_COOKIE, Runtime
from vault import credentials
from vault.errors import NotSignedIn


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["tellonce"]
    return rt


def db_session() -> Session:
    """One session per request; the view commits, teardown closes (and so rolls back)."""
    if "db_session" not in g:
        g.db_session = runtime().db.sessions()
    session: Session = g.db_session
    return session


def close_db_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def current_actor() -> policy.Actor:
    """The actor for this request, from a bearer token or the session cookie.

    :raises NotSignedIn: when neither is present and valid.
    """
    if "actor" in g:
        actor: policy.Actor = g.actor
        return actor
    rt = runtime()
    session = db_session()
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotSignedIn
        unlocked, row = credentials.resume_api_token(session, token=token.strip(), now=rt.now())
        g.actor = policy.actor_for_token(session, unlocked, row)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotSignedIn
        unlocked, srow = credentials.resume_session(session, rt.config, token=cookie, now=rt.now())
        g.actor = policy.actor_for_session(session, unlocked, srow.id_digest)
    return g.actor  # type: ignore[no-any-return]
