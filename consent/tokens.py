"""Personal API tokens: made for named people and scopes, looked up by digest, revoked at once.

A token is a bearer secret shown once; the server keeps its SHA-256 digest and a wrap of the
account key under a key derived from it, like a session (``vault.credentials``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent.errors import NotAllowed
from consent.policy import (
    MANAGE,
    READ,
    SHARE,
    WRITE,
    Actor,
    actor_for_token,
    check,
    confirm_if_needed,
)
from vault import credentials
from vault.config import VaultConfig
from vault.db import keep_even_if_refused
from vault.errors import InvalidAccountDetails, NotSignedIn
from vault.models import ApiToken

# The permissions a token holds in place of the passphrase asked again.
STANDS_IN = frozenset({SHARE, MANAGE})


def authenticate_token(session: Session, config: VaultConfig, *, token: str,
                       now: datetime) -> Actor:
    """The actor a personal API token stands for, limited to its people and scopes.

    :raises NotSignedIn: for a malformed, unknown, expired or revoked token.
    """
    try:
        unlocked, row = credentials.resume_api_token(session, token=token, now=now)
    except NotSignedIn:
        # A token presented after its end had its wrap erased as it was found: that stays.
        keep_even_if_refused(session)
        raise
    return actor_for_token(session, config, unlocked, row)


def create_token(
    session: Session, config: VaultConfig, actor: Actor, *, name: str, scopes: list[str],
    person_ids: list[str], expires_at: datetime, now: datetime, passphrase: object = None,
    address: str = "",
) -> tuple[str, dict[str, Any]]:
    """A token can name only people this actor may see, and never more than its own scopes.

    A token that may share or manage stands in for the passphrase later, so a session gives
    the passphrase again to make one (``confirm_if_needed``); such a token must also write.
    Return the token's secret (shown once) and what ``list_tokens`` says of it.

    :raises NotFound: for a person the actor cannot see.
    :raises NotAllowed: for more scopes than the actor has.
    :raises InvalidAccountDetails: for unknown scopes, a permission without write, or an end
        date out of range.
    :raises PassphraseNeeded, StepUpFailed, TooManyAttempts, AccountLocked: for the passphrase.
    """
    for person_id in person_ids:
        check(session, actor, person_id, READ)
    if not set(scopes) <= actor.scopes:
        raise NotAllowed("A token cannot have more access than the sign-in that makes it.")
    permissions = sorted(set(scopes) & STANDS_IN)
    if permissions and WRITE not in scopes:
        raise InvalidAccountDetails("A token that may share or manage must also be able to "
                                    "write.", field="scopes")
    if permissions:
        confirm_if_needed(session, config, actor, permission=permissions[0],
                          passphrase=passphrase, address=address, now=now)
    token, row = credentials.create_api_token(
        session, config, unlocked=actor.unlocked, name=name, scopes=scopes,
        person_ids=person_ids, expires_at=expires_at, now=now)
    return token, _describe(actor, row)


def list_tokens(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The account's tokens, oldest first, with the names they were given (never a secret)."""
    return [_describe(actor, row)
            for row in credentials.list_api_tokens(session, account_id=actor.account_id)]


def _describe(actor: Actor, row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": credentials.token_name(actor.keychain, row),
            "scopes": row.scopes.split(), "person_ids": json.loads(row.person_ids),
            "created_at": row.created_at, "expires_at": row.expires_at,
            "revoked_at": row.revoked_at, "last_used_at": row.last_used_at}


def revoke_token(session: Session, config: VaultConfig, actor: Actor, *, token_id: str,
                 now: datetime) -> None:
    """Revoke one of the actor's own API tokens; it stops working on the next request.

    :raises NotFound: for a token of another account, so none is revealed.
    """
    credentials.revoke_api_token(session, config, account_id=actor.account_id,
                                 token_id=token_id, now=now)
