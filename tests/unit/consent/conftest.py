"""Fixtures of consent's unit tests: one unit of work on the test's own savepoint, and people
made through consent's own operations, signed in by session and by token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from sqlalchemy.orm import Session

from consent import accounts, sessions, tokens
from consent.policy import Actor
from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from tests.factories import PASSPHRASE
from vault.config import VaultConfig
from vault.db import Database

NOW = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)


@dataclass
class Someone:
    """A person with an account and a record of their own, signed in once."""

    login: str
    account_id: str
    person_id: str
    session_actor: Actor
    session_token: str
    recovery_code: str


@pytest.fixture
def config(request: pytest.FixtureRequest, keyring: Keyring) -> VaultConfig:
    """The vault's settings; with Redis for a test that takes ``counting`` and runs on it."""
    url = request.getfixturevalue("counting") if "counting" in request.fixturenames else None
    return VaultConfig(keyring=keyring, kdf_params=TEST_PARAMS,
                       redis=None if url is None else Redis.from_url(url))


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessions() as unit:
        yield unit


@pytest.fixture
def make_someone(session: Session, config: VaultConfig) -> Callable[..., Someone]:
    def make(login: str, name: str = "Amy") -> Someone:
        made = accounts.sign_up(session, config, login=login, email=None, passphrase=PASSPHRASE,
                                preferred_name=name, now=NOW, open_a_session=True)
        assert made.signed_in is not None
        actor = sessions.authenticate_session(session, config, token=made.signed_in.session_token,
                                              now=NOW)
        return Someone(login, made.account_id, made.person_id, actor,
                       made.signed_in.session_token, made.recovery_code)
    return make


def token_actor(session: Session, config: VaultConfig, someone: Someone, *,
                scopes: tuple[str, ...] = ("read", "write", "share", "manage"),
                person_ids: list[str] | None = None) -> Actor:
    """An actor for a personal API token that ``someone`` made for themselves."""
    people = [someone.person_id] if person_ids is None else person_ids
    secret, _ = tokens.create_token(session, config, someone.session_actor, name="a token",
                                    scopes=list(scopes), person_ids=people,
                                    expires_at=NOW + timedelta(days=30), now=NOW,
                                    passphrase=PASSPHRASE, address="192.0.2.1")
    return tokens.authenticate_token(session, config, token=secret, now=NOW)
