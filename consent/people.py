"""Signing up, and personal API tokens limited to people the account can see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent.policy import Actor, check
from vault import accounts, credentials
from vault.config import VaultConfig
from vault.models import ApiToken
from vault.people import check_name, create_person


def sign_up(
    session: Session, config: VaultConfig, *, login: object, email: object, passphrase: object,
    preferred_name: object, now: datetime,
) -> dict[str, Any]:
    """Create an account with its own record. :raises InvalidAccountDetails, WeakPassphrase,
    Conflict, InvalidEntry: and changes nothing."""
    check_name(preferred_name)  # Check every input before the slow key work.
    account, _unlocked, code = accounts.create_account(
        session, config, login=login, email=email, passphrase_text=passphrase, now=now)
    person = create_person(session, config, subject=account, preferred_name=preferred_name,
                           now=now)
    return {"account_id": account.id, "person_id": person.id, "recovery_code": code}


def create_token(
    session: Session, config: VaultConfig, actor: Actor, *, name: str, scopes: list[str],
    person_ids: list[str], expires_at: datetime, now: datetime,
) -> tuple[str, ApiToken]:
    """A token can name only people this actor may see, and never more than its own scopes.

    :raises NotFound: for a person the actor cannot see.
    """
    for person_id in person_ids:
        check(session, actor, person_id, "read")
    if not set(scopes) <= actor.scopes:
        from consent.errors import NotAllowed

        raise NotAllowed("A token cannot have more access than the sign-in that makes it.")
    return credentials.create_api_token(
        session, config, unlocked=actor.unlocked, name=name, scopes=scopes,
        person_ids=person_ids, expires_at=expires_at, now=now)
