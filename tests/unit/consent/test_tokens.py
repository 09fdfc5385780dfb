"""Every rule of ``consent.tokens``, named after the rule.

- ``create_token``: a token names only people its maker may see, and never has more scopes
  than the sign-in that makes it.
- ``revoke_token``: someone else's token is not found, and a revoked one stops at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from consent import tokens
from consent.errors import NotAllowed
from tests.unit.consent.conftest import NOW, Someone, token_actor
from vault.config import VaultConfig
from vault.errors import NotFound, NotSignedIn

MakeSomeone = Callable[..., Someone]


def test_create_token_names_only_people_its_maker_may_see(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy, bob = make_someone("amy"), make_someone("bob", "Bob")
    with pytest.raises(NotFound):
        tokens.create_token(session, config, amy.session_actor, name="x", scopes=["read"],
                            person_ids=[bob.person_id], expires_at=NOW + timedelta(days=1),
                            now=NOW)


def test_create_token_never_has_more_scopes_than_its_maker(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    read_only = token_actor(session, config, amy, scopes=("read",))
    with pytest.raises(NotAllowed):
        tokens.create_token(session, config, read_only, name="x", scopes=["read", "write"],
                            person_ids=[amy.person_id], expires_at=NOW + timedelta(days=1),
                            now=NOW)


def test_revoke_token_someone_elses_is_not_found_and_a_revoked_one_stops(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy, bob = make_someone("amy"), make_someone("bob", "Bob")
    secret, made = tokens.create_token(session, config, amy.session_actor, name="x",
                                       scopes=["read"], person_ids=[amy.person_id],
                                       expires_at=NOW + timedelta(days=1), now=NOW)
    with pytest.raises(NotFound):
        tokens.revoke_token(session, config, bob.session_actor, token_id=made["id"], now=NOW)
    tokens.authenticate_token(session, config, token=secret, now=NOW)
    tokens.revoke_token(session, config, amy.session_actor, token_id=made["id"], now=NOW)
    with pytest.raises(NotSignedIn):
        tokens.authenticate_token(session, config, token=secret, now=NOW)
