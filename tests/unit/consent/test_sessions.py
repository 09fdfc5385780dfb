"""Every rule of ``consent.sessions``, named after the rule.

- ``authenticate_session``: a cookie that is not a live session signs nobody in.
- ``end_other_sessions`` and ``end_all_sessions``: only a signed-in session may sign the
  account out elsewhere; a token has no session to keep, so it would sign out every device.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from consent import sessions
from consent.errors import NotAllowed
from tests.unit.consent.conftest import NOW, Someone, token_actor
from vault.config import VaultConfig
from vault.errors import NotSignedIn

MakeSomeone = Callable[..., Someone]


def test_authenticate_session_refuses_what_is_not_a_live_session(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    make_someone("amy")
    for cookie in ("", "tos_not-a-session", "tot_" + "A" * 43):
        with pytest.raises(NotSignedIn):
            sessions.authenticate_session(session, config, token=cookie, now=NOW)


def test_end_other_sessions_keeps_this_one(session: Session, config: VaultConfig,
                                           make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    assert sessions.end_other_sessions(session, amy.session_actor) == 0
    assert len(sessions.list_sessions(session, amy.session_actor)) == 1


def test_a_token_may_not_sign_the_account_out_anywhere(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    token = token_actor(session, config, amy)
    with pytest.raises(NotAllowed):
        sessions.end_other_sessions(session, token)
    with pytest.raises(NotAllowed):
        sessions.end_all_sessions(session, token)
    assert len(sessions.list_sessions(session, amy.session_actor)) == 1


def test_end_all_sessions_signs_out_this_one_too(session: Session, config: VaultConfig,
                                                 make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    assert sessions.end_all_sessions(session, amy.session_actor) == 1
    assert sessions.list_sessions(session, amy.session_actor) == []
