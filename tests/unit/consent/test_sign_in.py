"""Rules of ``consent.sign_in`` and of changing how a person gets in, named after the rule.

- ``recover_account``: the recovery code signs the account out everywhere and stops every
  API token, then opens the person's new session; the used code stops working and the new
  one works.
- ``accounts.change_passphrase``: every other session is signed out, this one stays; the API
  tokens stop too when the person asks.
- ``confirm_passphrase``: a wrong passphrase asked again is counted like a sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from consent import accounts, sessions, sign_in, tokens
from tests.factories import PASSPHRASE
from tests.unit.consent.conftest import NOW, Someone
from vault.config import VaultConfig
from vault.errors import NotSignedIn, SignInFailed, StepUpFailed, TooManyAttempts
from vault.throttle import FREE_FAILURES_PER_LOGIN

MakeSomeone = Callable[..., Someone]
NEW_PASSPHRASE = "fresh meadow copper violin"
ADDRESS = "192.0.2.1"


def _still_signed_in(session: Session, config: VaultConfig, token: str) -> bool:
    try:
        sessions.authenticate_session(session, config, token=token, now=NOW)
    except NotSignedIn:
        return False
    return True


def test_recover_account_signs_out_everywhere_then_opens_the_new_session(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    code = amy.recovery_code
    token = _token(session, config, amy)
    signed, new_code = sign_in.recover_account(session, config, login="amy", code=code,
                                               new_passphrase=NEW_PASSPHRASE, address=ADDRESS,
                                               now=NOW)
    assert not _still_signed_in(session, config, amy.session_token)
    assert _still_signed_in(session, config, signed.session_token)
    with pytest.raises(NotSignedIn):
        tokens.authenticate_token(session, config, token=token, now=NOW)
    with pytest.raises(SignInFailed):
        sign_in.recover_account(session, config, login="amy", code=code,
                                new_passphrase=NEW_PASSPHRASE, address=ADDRESS, now=NOW)
    sign_in.recover_account(session, config, login="amy", code=new_code,
                            new_passphrase=NEW_PASSPHRASE, address=ADDRESS, now=NOW)


def test_change_passphrase_signs_out_every_other_session(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    other = sign_in.sign_in(session, config, login="amy", passphrase=PASSPHRASE, address=ADDRESS,
                            now=NOW)
    assert isinstance(other, sign_in.SignedIn)
    accounts.change_passphrase(session, config, amy.session_actor, passphrase=PASSPHRASE,
                               new_passphrase=NEW_PASSPHRASE, address=ADDRESS, now=NOW)
    assert _still_signed_in(session, config, amy.session_token)
    assert not _still_signed_in(session, config, other.session_token)


@pytest.mark.parametrize("stop_tokens", [False, True])
def test_change_passphrase_stops_the_tokens_when_asked(
        session: Session, config: VaultConfig, make_someone: MakeSomeone,
        stop_tokens: bool) -> None:
    amy = make_someone("amy")
    token = _token(session, config, amy)
    accounts.change_passphrase(session, config, amy.session_actor, passphrase=PASSPHRASE,
                               new_passphrase=NEW_PASSPHRASE, address=ADDRESS, now=NOW,
                               stop_tokens=stop_tokens)
    try:
        tokens.authenticate_token(session, config, token=token, now=NOW)
        works = True
    except NotSignedIn:
        works = False
    assert works is not stop_tokens


def _token(session: Session, config: VaultConfig, someone: Someone) -> str:
    secret, _ = tokens.create_token(session, config, someone.session_actor, name="an app",
                                    scopes=["read"], person_ids=[someone.person_id],
                                    expires_at=NOW + timedelta(days=30), now=NOW)
    return secret


def test_confirm_passphrase_is_counted_like_a_sign_in(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    for _ in range(FREE_FAILURES_PER_LOGIN):
        with pytest.raises(StepUpFailed):
            sign_in.confirm_passphrase(session, config, account_id=amy.account_id,
                                       passphrase="not it at all, not at all",
                                       address=ADDRESS, now=NOW)
    # Past the free tries, even the right passphrase waits its turn, as at sign-in.
    with pytest.raises(TooManyAttempts):
        sign_in.confirm_passphrase(session, config, account_id=amy.account_id,
                                   passphrase=PASSPHRASE, address=ADDRESS, now=NOW)
