"""Every rule of ``consent.sessions``, named after the rule.

- ``authenticate_session``: a cookie that is not a live session signs nobody in.
- ``end_other_sessions`` and ``end_all_sessions``: signing the account out elsewhere takes
  the passphrase again from a session, and the manage permission from a token (which has no
  session to keep, so it signs out every device).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from consent import sessions
from consent.errors import NotAllowed, PassphraseNeeded
from tests.factories import PASSPHRASE
from tests.unit.consent.conftest import NOW, Someone, token_actor
from vault.config import VaultConfig
from vault.errors import NotSignedIn

MakeSomeone = Callable[..., Someone]
ADDRESS = "192.0.2.1"


def test_authenticate_session_refuses_what_is_not_a_live_session(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    make_someone("amy")
    for cookie in ("", "tos_not-a-session", "tot_" + "A" * 43):
        with pytest.raises(NotSignedIn):
            sessions.authenticate_session(session, config, token=cookie, now=NOW)


def test_end_other_sessions_keeps_this_one_and_asks_the_passphrase(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    with pytest.raises(PassphraseNeeded):
        sessions.end_other_sessions(session, config, amy.session_actor, passphrase=None,
                                    address=ADDRESS, now=NOW)
    assert sessions.end_other_sessions(session, config, amy.session_actor,
                                       passphrase=PASSPHRASE, address=ADDRESS, now=NOW) == 0
    assert len(sessions.list_sessions(session, amy.session_actor)) == 1


def test_a_token_signs_the_account_out_only_with_the_manage_permission(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    sharer = token_actor(session, config, amy, scopes=("read", "write", "share"))
    for end in (sessions.end_other_sessions, sessions.end_all_sessions):
        with pytest.raises(NotAllowed):
            end(session, config, sharer, passphrase=None, address=ADDRESS, now=NOW)
    assert len(sessions.list_sessions(session, amy.session_actor)) == 1
    manager = token_actor(session, config, amy, scopes=("read", "write", "manage"))
    assert sessions.end_other_sessions(session, config, manager, passphrase=None,
                                       address=ADDRESS, now=NOW) == 1


def test_end_all_sessions_signs_out_this_one_too(session: Session, config: VaultConfig,
                                                 make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    assert sessions.end_all_sessions(session, config, amy.session_actor, passphrase=PASSPHRASE,
                                     address=ADDRESS, now=NOW) == 1
    assert sessions.list_sessions(session, amy.session_actor) == []
