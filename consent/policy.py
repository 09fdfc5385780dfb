"""Who may do what. Every read or write of a record is checked here first.

An ``Actor`` carries the keys its credential unlocked and the scope of that credential.
Anything the actor may not see answers ``NotFound``, exactly like a record that does not
exist, so nobody learns that someone else's record is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from consent.errors import NotAllowed, PassphraseNeeded
from consent.sign_in import confirm_passphrase
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.errors import NotFound
from vault.keychain import Keychain
from vault.models import ApiToken, Member, Person
from vault.people import ROLE_SUBJECT, get_visible_person, record_event

READ = "read"
WRITE = "write"
# What a personal API token needs, besides write, for what a session gives the passphrase
# again for: making a link (SHARE); copying out or deleting the record, signing out (MANAGE).
SHARE = "share"
MANAGE = "manage"
ALL_SCOPES = frozenset({READ, WRITE, SHARE, MANAGE})
# How the actor's account was unlocked for this request.
SESSION = "session"  # a signed-in session's cookie
TOKEN = "token"  # noqa: S105 - a personal API token: a kind of credential, not one
ACCOUNT = "account"  # its passphrase, just now, at the command line
# Actions only the subject may take, whatever their token says (export, deletion).
SUBJECT_ONLY = "subject"


@dataclass
class Actor:
    unlocked: Unlocked
    keychain: Keychain
    via: str  # SESSION, TOKEN or ACCOUNT
    # A session or the command line is the person, with every scope; a token has its own.
    scopes: frozenset[str] = ALL_SCOPES
    # None means every person the account is a member of (a signed-in session).
    person_ids: frozenset[str] | None = None
    session_digest: bytes | None = field(default=None, repr=False)
    token_id: str | None = None

    @property
    def account_id(self) -> str:
        return self.unlocked.account_id


def actor_for_session(session: Session, config: VaultConfig, unlocked: Unlocked,
                      digest: bytes) -> Actor:
    return Actor(unlocked, Keychain(session, config, unlocked), SESSION, session_digest=digest)


def actor_for_account(session: Session, config: VaultConfig, unlocked: Unlocked) -> Actor:
    """A full-access actor for an account unlocked by its passphrase (commands, demo)."""
    return Actor(unlocked, Keychain(session, config, unlocked), ACCOUNT)


def actor_for_token(session: Session, config: VaultConfig, unlocked: Unlocked,
                    token: ApiToken) -> Actor:
    return Actor(
        unlocked,
        Keychain(session, config, unlocked),
        TOKEN,
        scopes=frozenset(token.scopes.split()),
        person_ids=frozenset(json.loads(token.person_ids)),
        token_id=token.id,
    )


def audit_read(session: Session, config: VaultConfig, actor: Actor, person: Person,
               member: Member, what: str, now: datetime) -> None:
    """Record a read by anyone but the subject in the person's history (DESIGN.md, 5)."""
    if member.role != ROLE_SUBJECT:
        record_event(session, config, person, "record_read", actor_account_id=actor.account_id,
                     now=now, details={"what": what, "role": member.role})


def check(
    session: Session, actor: Actor, person_id: str, action: str, *, include_hidden: bool = False
) -> tuple[Person, Member]:
    """Return the person and the actor's membership if ``action`` is allowed.

    :raises NotFound: when the actor may not see the person at all.
    :raises NotAllowed: when it may see them but not do ``action``.
    """
    if actor.person_ids is not None and person_id not in actor.person_ids:
        raise NotFound
    person, member = get_visible_person(
        session, person_id=person_id, account_id=actor.account_id, include_hidden=include_hidden
    )
    if action == SUBJECT_ONLY:
        if member.role != ROLE_SUBJECT or WRITE not in actor.scopes:
            raise NotAllowed("Only the person themselves can do this, with full access.")
    elif action not in actor.scopes:
        raise NotAllowed(f"This sign-in may not {action} this record.")
    return person, member


def confirm_if_needed(session: Session, config: VaultConfig, actor: Actor, *, permission: str,
                      passphrase: object, address: str, now: datetime) -> None:
    """Ask for the passphrase again before making a link (``SHARE``), or copying out or
    deleting a whole record, or signing the account out elsewhere (``MANAGE``).

    A signed-in session must give it in the same request, counted and throttled like signing
    in, so a session left open on a shared computer cannot share, take or lock out the
    record. A personal API token must have been made with ``permission``, which itself asked
    for the passphrase; an account unlocked at the command line has just given it.

    :raises NotAllowed: for a token without ``permission``.
    :raises PassphraseNeeded: when a session gives none.
    :raises StepUpFailed, TooManyAttempts, AccountLocked: as ``confirm_passphrase`` does.
    """
    if actor.via == TOKEN:
        if permission not in actor.scopes:
            raise NotAllowed(f"This token may not do that: it needs the {permission} "
                             "permission, given when the token is made.")
        return
    if actor.via != SESSION:
        return
    if not isinstance(passphrase, str) or not passphrase:
        raise PassphraseNeeded
    confirm_passphrase(session, config, account_id=actor.account_id, passphrase=passphrase,
                       address=address, now=now)
