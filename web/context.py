"""Per-request glue for the pages: the runtime, the database session, the signed-in actor."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from consent import policy
from consent.runtime import SESSION_COOKIE, Runtime
from vault import credentials
from vault.errors import NotSignedIn
from vault.passkeys import RelyingParty


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["tellonce"]
    return rt


def db_session() -> Session:
    """One session per request; the view commits, the app's teardown closes it."""
    if "db_session" not in g:
        g.db_session = runtime().db.sessions()
    session: Session = g.db_session
    return session


def signed_in_actor() -> policy.Actor | None:
    """The actor of this browser's session, or None when nobody is signed in."""
    if "actor" in g:
        actor: policy.Actor | None = g.actor
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    g.actor = None
    if cookie:
        rt = runtime()
        try:
            unlocked, row = credentials.resume_session(db_session(), rt.config, token=cookie,
                                                       now=rt.now())
        except NotSignedIn:
            return None
        g.actor = policy.actor_for_session(db_session(), unlocked, row.id_digest)
    return g.actor  # type: ignore[no-any-return]


def require_actor() -> policy.Actor:
    """:raises NotSignedIn: which the pages turn into the sign-in page."""
    actor = signed_in_actor()
    if actor is None:
        raise NotSignedIn
    return actor


def relying_party() -> RelyingParty:
    """This server as passkeys know it: its host name and origin, from TELLONCE_BASE_URL."""
    return RelyingParty.from_base_url(runtime().base_url)
