"""The unit of work of every request, for the pages and the JSON API alike.

Each request gets one database session. Operations flush and never commit; here, once the
answer is ready, the request commits if the answer is not an error (below 400) and rolls back
otherwise, as warehouse's transaction manager and indico's request handler do. An error answer
therefore never keeps half of what a view began, even when the view caught the error to show
a form again. The few writes that must stay although the request is refused go through
``vault.db.keep_even_if_refused`` (decision 0003).

Actions waiting for the commit (an email notice) run after it, and are dropped on a rollback.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from consent import sessions
from consent.runtime import Runtime
from vault.db import (
    begin_writing,
    discard_after_commit,
    keep_even_if_refused,
    run_after_commit,
)


def init_app(app: Flask) -> None:
    # The session itself is made on first use, by the front doors' db_session().
    app.after_request(_finish)
    app.teardown_request(_close_if_left)


def _runtime() -> Runtime:
    rt: Runtime = current_app.extensions["tellonce"]
    return rt


def _finish(response: Response) -> Response:
    session = g.pop("db_session", None)
    if session is None:
        return response
    try:
        if response.status_code < 400:
            session.commit()
            run_after_commit(session)
        else:
            _refuse(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return response


def _refuse(session: Session) -> None:
    session.rollback()
    discard_after_commit(session)
    # The page a refused request shows starts the session's idle time again, as every page
    # does (the time-out warning counts from it), so its use of the session stays.
    actor = g.get("actor")
    if actor is not None:
        begin_writing(session)
        sessions.record_activity(session, actor, now=_runtime().now())
        keep_even_if_refused(session)


def _close_if_left(_exc: BaseException | None) -> None:
    """A request that ended before its answer was made (a crash in a hook) still ends its
    unit of work: rolled back, never committed."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
