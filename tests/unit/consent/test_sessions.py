"""Every rule of ``consent.sessions``, named after the rule.

- ``authenticate_session``: a cookie that is not a live session signs nobody in.
- ``end_other_sessions`` and ``end_all_sessions``: signing the account out elsewhere takes
  the passphrase again from a session, and the manage permission from a token (which has no
  session to keep, so it signs out every device).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent import sessions, sign_in, tokens
from consent.errors import NotAllowed, PassphraseNeeded
from tests.factories import PASSPHRASE
from tests.unit.consent.conftest import NOW, Someone, token_actor
from vault.config import VaultConfig
from vault.errors import NotSignedIn
from vault.models import ApiToken, SignInSession

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


def test_a_session_presented_after_it_ended_is_erased_and_stays_erased(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    session.commit()  # Signing up was a request of its own.
    later = NOW + config.session_idle
    with pytest.raises(NotSignedIn):
        sessions.authenticate_session(session, config, token=amy.session_token, now=later)
    session.rollback()  # As a refused request's unit of work does.
    assert session.scalar(select(func.count()).select_from(SignInSession)) == 0


def test_a_token_presented_after_its_end_loses_its_wrap(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    secret, made = tokens.create_token(session, config, amy.session_actor, name="x",
                                       scopes=["read"], person_ids=[amy.person_id],
                                       expires_at=NOW + timedelta(days=1), now=NOW)
    session.commit()  # Making the token was a request of its own.
    with pytest.raises(NotSignedIn):
        tokens.authenticate_token(session, config, token=secret, now=NOW + timedelta(days=2))
    session.rollback()
    assert session.get(ApiToken, made["id"]).account_key_wrap == b""  # type: ignore[union-attr]


def test_every_new_session_erases_every_ended_credential_of_every_account(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    tokens.create_token(session, config, amy.session_actor, name="x", scopes=["read"],
                        person_ids=[amy.person_id], expires_at=NOW + timedelta(days=1), now=NOW)
    much_later = NOW + timedelta(days=2)
    bob = sign_in.sign_in(session, config, login=make_someone("bob", "Bob").login,
                          passphrase=PASSPHRASE, address=ADDRESS, now=much_later)
    assert isinstance(bob, sign_in.SignedIn)
    live = session.scalars(select(SignInSession.account_id)).all()
    assert live == [bob.unlocked.account_id]  # Amy's idle session, and Bob's own first, gone.
    assert session.scalars(select(ApiToken.account_key_wrap)).all() == [b""]
