"""The history of who did what: a person's record and an account's own, read by their owner,
and every chain checked whole by the operator.

Each chain is a list of audit events, each MACed to the one before under the keyring, with a
signed head (``vault.audit``, decision 0004); its details are sealed to the chain's audit key,
so only the record's or the account's holder reads them. Whoever reads a history is told
whether it verifies, so a person sees "your history was changed" rather than a forgery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from consent.errors import NotAllowed
from consent.policy import READ, Actor, check
from keys import hybrid
from keys.keyring import Keyring
from keys.share import b64url
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
    return _history(session, config.keyring, audit.person_chain(person.id), private, limit)


def read_account_history(session: Session, config: VaultConfig, actor: Actor, *,
                         limit: int = 500) -> dict[str, Any]:
    """Sign-ins, failed sign-ins, tokens and passphrase changes of the actor's own account."""
    account = accounts.row_account(session, actor.account_id)
    private = accounts.audit_private_key(actor.keychain, account)
    return _history(session, config.keyring, audit.account_chain(account.id), private, limit)


def read_account_events(session: Session, actor: Actor, *, limit: int) -> list[dict[str, Any]]:
    """The account's newest events alone, for notices on every page: no chain check there,
    which the history page and `tellonce audit verify` make."""
    account = accounts.row_account(session, actor.account_id)
    private = accounts.audit_private_key(actor.keychain, account)
    return _readable(audit.read_events(session, chain=audit.account_chain(account.id),
                                       private_key=private, limit=limit))


def _readable(events: list[audit.ReadableEvent]) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "at": e.at, "kind": e.kind, "actor_account_id": e.actor_account_id,
             "details": e.details} for e in events]


def history_changed(session: Session, config: VaultConfig, actor: Actor, *,
                    person_id: str) -> str | None:
    """What broke in the person's history, in the words of ``ChainBroken``, or None.

    :raises NotFound:
    """
    person, _ = check(session, actor, person_id, READ)
    return _broken(session, config.keyring, audit.person_chain(person.id))


def _broken(session: Session, keyring: Keyring, chain: str) -> str | None:
    try:
        audit.verify_chain(session, keyring, chain=chain)
    except ChainBroken as exc:
        return exc.message
    return None


def _history(session: Session, keyring: Keyring, chain: str, private: hybrid.PrivateKey,
             limit: int) -> dict[str, Any]:
    events = audit.read_events(session, chain=chain, private_key=private, limit=limit)
    return {"head": audit.chain_head(session, chain=chain),
            "changed": _broken(session, keyring, chain), "events": _readable(events)}


@dataclass(frozen=True)
class Verified:
    """What checking every chain found: how many chains and events, and what broke."""

    chains: int
    events: int
    broken: list[str]


def verify_history(session: Session, keyring: Keyring,
                   kept: list[dict[str, Any]] | None = None) -> Verified:
    """Check every chain, and every head the person kept; say what broke, and why, without
    stopping at the first. A record or an account without a chain is broken too: deleting a
    whole chain with its head must not pass for a history never written."""
    chains = sorted(set(audit.all_chains(session)) | set(audit.expected_chains(session)))
    events = 0
    broken = []
    for chain in chains:
        try:
            events += audit.verify_chain(session, keyring, chain=chain)
        except ChainBroken as exc:
            broken.append(exc.message)
    for head in kept or []:
        try:
            audit.verify_against(session, keyring, head)
        except ChainBroken as exc:
            broken.append(exc.message)
    return Verified(len(chains), events, broken)


def signing_keys(keyring: Keyring) -> dict[str, list[dict[str, str]]]:
    """The public halves of the keys that sign every history's head, as a JWK Set (RFC 8037),
    so a head a person kept can be checked by anyone, without this server's word for it."""
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
                      "x": b64url(public)}
                     for kid, public in keyring.signing_public_keys().items()]}
