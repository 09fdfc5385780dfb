"""A signed-in person's own account: their other sessions, their tokens, their own record.

Reads and writes of record content stay in ``records`` and ``lifecycle``; this module only
answers what the account pages need to know about the account itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent.policy import Actor
from vault import accounts, credentials, passkeys, people, second_factor
from vault.config import VaultConfig
from vault.errors import NotFound
from vault.passkeys import RelyingParty


@dataclass(frozen=True)
class OwnRecord:
    """The record whose subject is the actor's account, hidden or not."""

    person_id: str
    hidden_at: datetime | None
    destroy_after: datetime | None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


def own_record_status(session: Session, actor: Actor) -> OwnRecord | None:
    """The actor's own record, including one deleted and still in its undo period.

    ``records.list_people`` leaves hidden records out, so a person who has just deleted theirs
    could not otherwise find it to undo the deletion. Destroyed records are never returned.
    """
    person = people.person_of_subject(session, account_id=actor.account_id)
    if person is None:
        return None
    if actor.person_ids is not None and person.id not in actor.person_ids:
        return None
    return OwnRecord(person.id, person.hidden_at, person.destroy_after)


def require_own_record(session: Session, actor: Actor) -> OwnRecord:
    """:raises NotFound: when the account has no record of its own (or it was destroyed)."""
    own = own_record_status(session, actor)
    if own is None:
        raise NotFound
    return own


def end_other_sessions(session: Session, actor: Actor) -> int:
    """Sign the account out everywhere except the session making this request.

    Return how many sessions were ended. An actor that came with a token has no session to
    keep, so it may not do this: it would sign out the person on every device.

    :raises NotAllowed:
    """
    if actor.session_digest is None:
        from consent.errors import NotAllowed

        raise NotAllowed("Only a signed-in session can sign out the others.")
    return accounts.end_sessions(session, account_id=actor.account_id, keep=actor.session_digest)


def revoke_token(
    session: Session, config: VaultConfig, actor: Actor, *, token_id: str, now: datetime
) -> None:
    """Revoke one of the actor's own API tokens; it stops working on the next request.

    :raises NotFound: for a token of another account, so none is revealed.
    """
    credentials.revoke_api_token(session, config, account_id=actor.account_id,
                                 token_id=token_id, now=now)


def has_one_time_codes(session: Session, actor: Actor) -> bool:
    """Whether the actor's account asks for a one-time code when signing in."""
    return second_factor.has_totp(session, account_id=actor.account_id)


def list_passkeys(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The actor's own passkeys, with the names they gave them."""
    return passkeys.list_passkeys(session, unlocked=actor.unlocked)


def add_passkey(session: Session, config: VaultConfig, actor: Actor, *, rp: RelyingParty,
                credential: object, name: object, now: datetime) -> None:
    """Keep the passkey the browser just made. :raises PasskeyFailed, InvalidEntry:"""
    passkeys.add_passkey(session, config, rp=rp, account_id=actor.account_id,
                         credential=credential, name=name, now=now)
