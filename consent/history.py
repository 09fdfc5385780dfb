"""The history of who did what: a person's record and an account's own, read by their owner,
and every chain checked whole by the operator.

Each chain is a list of audit events hashed one to the next (``vault.audit``); its details
are sealed to the chain's audit key, so only the record's or the account's holder reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from consent.errors import NotAllowed
from consent.policy import READ, Actor, check
from keys import hybrid
from vault import accounts, audit, people
from vault.config import VaultConfig
from vault.errors import ChainBroken


def read_history(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, limit: int = 500,
) -> dict[str, Any]:
    """The person's audit history in their own hands: head of the chain and recent events.

    Only the subject reads it for now; delegates will see what their role allows.

    :raises NotFound, NotAllowed:
    """
    person, member = check(session, actor, person_id, READ)
    if member.role != people.ROLE_SUBJECT:
        raise NotAllowed("Only the person themselves can read their history.")
    private = people.audit_private_key(actor.keychain, person)
    return _history(session, audit.person_chain(person.id), private, limit)


def read_account_history(session: Session, actor: Actor, *, limit: int = 500) -> dict[str, Any]:
    """Sign-ins, failed sign-ins, tokens and passphrase changes of the actor's own account."""
    account = accounts.row_account(session, actor.account_id)
    private = accounts.audit_private_key(account, actor.unlocked)
    return _history(session, audit.account_chain(account.id), private, limit)


def _history(session: Session, chain: str, private: hybrid.PrivateKey,
             limit: int) -> dict[str, Any]:
    events = audit.read_events(session, chain=chain, private_key=private, limit=limit)
    return {"head": audit.chain_head(session, chain=chain),
            "events": [{"seq": e.seq, "at": e.at, "kind": e.kind,
                        "actor_account_id": e.actor_account_id, "details": e.details}
                       for e in events]}


@dataclass(frozen=True)
class Verified:
    """What checking every chain found: how many chains and events, and what broke."""

    chains: int
    events: int
    broken: list[str]


def verify_history(session: Session) -> Verified:
    """Recompute every chain; say which do not verify, and why, without stopping at the first."""
    chains = audit.all_chains(session)
    events = 0
    broken = []
    for chain in chains:
        try:
            events += audit.verify_chain(session, chain=chain)
        except ChainBroken as exc:
            broken.append(exc.message)
    return Verified(len(chains), events, broken)
