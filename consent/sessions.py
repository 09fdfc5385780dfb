"""Signed-in sessions: who a request's session cookie is, the account's sessions, signing out.

A session is a bearer secret in a ``__Host-`` cookie, stored only as its SHA-256 digest with
a wrap of the account key under a key derived from it (``vault.credentials``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent.policy import MANAGE, Actor, actor_for_session, confirm_if_needed
from vault import credentials
from vault.config import VaultConfig
from vault.db import keep_even_if_refused
from vault.errors import NotSignedIn


def authenticate_session(session: Session, config: VaultConfig, *, token: str,
                         now: datetime) -> Actor:
    """The actor whose session this cookie holds; using it keeps it alive.

    :raises NotSignedIn: for a malformed, unknown, idle or expired session.
    """
    try:
        unlocked, row = credentials.resume_session(session, config, token=token, now=now)
    except NotSignedIn:
        # A session presented after it ended was erased as it was found: that stays.
        keep_even_if_refused(session)
        raise
    return actor_for_session(session, config, unlocked, row.id_digest)


def record_activity(session: Session, actor: Actor, *, now: datetime) -> None:
    """Count this request as use of its credential, as ``authenticate_*`` did.

    For a request that was refused and rolled back: the page it shows still starts the
    session's idle time again (the time-out warning counts from every page it shows).
    """
    if actor.session_digest is not None:
        credentials.touch_session(session, digest=actor.session_digest, now=now)
    elif actor.token_id is not None:
        credentials.touch_api_token(session, token_id=actor.token_id, now=now)


def list_sessions(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The account's sessions, oldest first, marking the one making this request."""
    return [{"id": row.id, "created_at": row.created_at, "last_seen_at": row.last_seen_at,
             "current": row.id_digest == actor.session_digest}
            for row in credentials.list_sessions(session, account_id=actor.account_id)]


def end_session(session: Session, *, token: str) -> None:
    """Sign out the session this cookie holds; an unknown or malformed one is already out."""
    credentials.end_session(session, token=token)


def end_other_sessions(session: Session, config: VaultConfig, actor: Actor, *,
                       passphrase: object, address: str, now: datetime) -> int:
    """Sign the account out everywhere except the session making this request; a token has
    no session here, so it signs them all out. Return how many sessions were ended.

    A session gives the passphrase again, and a token needs the manage permission: signing
    the person out of every device is how someone with a stolen sign-in would lock them out.

    :raises PassphraseNeeded, StepUpFailed, TooManyAttempts, AccountLocked, NotAllowed:
    """
    confirm_if_needed(session, config, actor, permission=MANAGE, passphrase=passphrase,
                      address=address, now=now)
    return credentials.end_sessions(session, account_id=actor.account_id,
                                    keep=actor.session_digest)


def end_all_sessions(session: Session, config: VaultConfig, actor: Actor, *,
                     passphrase: object, address: str, now: datetime) -> int:
    """Sign the account out everywhere, this session too; asked like ``end_other_sessions``.

    :raises PassphraseNeeded, StepUpFailed, TooManyAttempts, AccountLocked, NotAllowed:
    """
    confirm_if_needed(session, config, actor, permission=MANAGE, passphrase=passphrase,
                      address=address, now=now)
    return credentials.end_sessions(session, account_id=actor.account_id)
