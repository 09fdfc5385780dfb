"""A person's own account: signing up, the passphrase and recovery code, one-time codes,
passkeys, the account's history and notices, and the record whose subject it is.

Every change to how a person gets in asks for the passphrase again first
(``sign_in.confirm_passphrase``), counted and throttled like signing in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from consent.errors import CodeNotConfirmed, NotAllowed, PasskeyNotAdded
from consent.history import read_account_events
from consent.notices import NOTICE_KINDS, Mailer
from consent.policy import ACCOUNT, MANAGE, TOKEN, Actor, actor_for_account
from consent.sign_in import SignedIn, confirm_passphrase, open_session, revoke_every_token
from vault import accounts, contacts, credentials, key_rotation, passkeys, people, second_factor
from vault.config import VaultConfig
from vault.db import keep_even_if_refused
from vault.errors import NotFound, PasskeyFailed, WrongCode
from vault.passkeys import RelyingParty as RelyingParty
from vault.passphrases import check_passphrase
from vault.passphrases import suggest_passphrase as suggest_passphrase

# What the front doors need from the vault to shape their forms and answers, re-exported so
# that they reach the vault only through consent.
PASSKEY_NAME_MAX = passkeys.MAX_NAME
PASSKEY_ANSWER_MAX = passkeys.MAX_CREDENTIAL_JSON


NOTICE_WINDOW = timedelta(days=30)


# -- signing up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedUp:
    account_id: str
    person_id: str
    recovery_code: str  # Shown once, never stored.
    # The new account's first session, when one was asked for (the pages sign in at once).
    signed_in: SignedIn | None = None


def sign_up(
    session: Session, config: VaultConfig, *, login: object, email: object, passphrase: object,
    preferred_name: object, now: datetime, open_a_session: bool = False,
    device_token: str | None = None, mailer: Mailer | None = None,
) -> SignedUp:
    """Create an account with its own record, and its first session when asked.

    The key derived for the new account opens its first session too, so signing up and in
    costs one Argon2id, not two.

    :raises InvalidAccountDetails, WeakPassphrase, Conflict, InvalidEntry: and changes nothing.
    """
    people.check_name(preferred_name)  # Check every input before the slow key work.
    account, unlocked, code = accounts.create_account(
        session, config, login=login, email=email, passphrase_text=passphrase, now=now)
    person = people.create_person(session, config, subject=unlocked, preferred_name=preferred_name,
                                  now=now)
    signed = (open_session(session, config, account, unlocked, now=now,
                           device_token=device_token, mailer=mailer)
              if open_a_session else None)
    return SignedUp(account.id, person.id, code, signed)


def account_exists(session: Session, config: VaultConfig, *, login: str) -> bool:
    """Whether a login (or email address) is taken: for the operator's commands only, since
    the pages and the API never say whether someone has an account."""
    return accounts.find_account(session, config, login) is not None


def unlock_at_command_line(session: Session, config: VaultConfig, *, login: str,
                           passphrase: str) -> Actor:
    """An account unlocked by its passphrase for a command of the operator (the demo data).

    Not counted or throttled: only whoever runs the server's own commands can call this.

    :raises SignInFailed: for an unknown login or a wrong passphrase.
    """
    account = accounts.find_account(session, config, login)
    return actor_for_account(session, config,
                             accounts.unlock_with_passphrase(config, account, passphrase))


# -- the passphrase and the recovery code -------------------------------------------------------


def change_passphrase(
    session: Session, config: VaultConfig, actor: Actor, *, passphrase: object,
    new_passphrase: object, address: str, now: datetime, stop_tokens: bool = False,
) -> None:
    """Confirm the current passphrase, set the new one, sign out every other session, and with
    ``stop_tokens`` revoke every API token too (the pages say which are working).

    :raises StepUpFailed, WeakPassphrase, TooManyAttempts, AccountLocked:
    """
    check_passphrase(new_passphrase)
    unlocked = confirm_passphrase(session, config, account_id=actor.account_id,
                                  passphrase=passphrase, address=address, now=now)
    account = accounts.row_account(session, actor.account_id)
    accounts.change_passphrase(session, config, account=account, unlocked=unlocked,
                               new_passphrase=new_passphrase, now=now)
    # Whoever had the old passphrase is signed out on every other device.
    credentials.end_sessions(session, account_id=account.id, keep=actor.session_digest)
    if stop_tokens:
        revoke_every_token(session, config, account, now=now)


def rotate_account_key(session: Session, config: VaultConfig, actor: Actor, *,
                       passphrase: object, address: str, now: datetime) -> str:
    """Give the account a new key pair; the new recovery code, shown once.

    Every slot is sealed again to the new key. Every session (this one too) and every API
    token ends, since each wraps the old key under a secret the server does not keep. The
    passphrase is asked whoever asks, a token too, because it wraps the new key.

    :raises NotAllowed: for a token without the manage permission.
    :raises StepUpFailed, TooManyAttempts, AccountLocked: for the passphrase.
    """
    if actor.via == TOKEN and MANAGE not in actor.scopes:
        raise NotAllowed("This token may not do that: it needs the manage permission, given "
                         "when the token is made.")
    # At the command line the account was unlocked with this passphrase a moment ago.
    unlocked = actor.unlocked if actor.via == ACCOUNT else confirm_passphrase(
        session, config, account_id=actor.account_id, passphrase=passphrase, address=address,
        now=now)
    assert isinstance(passphrase, str)  # noqa: S101 - it unlocked the account
    account = accounts.row_account(session, actor.account_id)
    _, code = key_rotation.rotate_account_key(session, config, account=account,
                                              unlocked=unlocked, passphrase=passphrase, now=now)
    return code


def replace_recovery_code(session: Session, config: VaultConfig, actor: Actor, *,
                          passphrase: object, address: str, now: datetime) -> str:
    """Confirm the passphrase and make a new recovery code; the old one stops working."""
    unlocked = confirm_passphrase(session, config, account_id=actor.account_id,
                                  passphrase=passphrase, address=address, now=now)
    account = accounts.row_account(session, actor.account_id)
    return accounts.regenerate_recovery_code(session, config, account=account, unlocked=unlocked,
                                             now=now)


# -- one-time codes ----------------------------------------------------------------------------------


def has_one_time_codes(session: Session, actor: Actor) -> bool:
    """Whether the actor's account asks for a one-time code when signing in."""
    return second_factor.has_totp(session, account_id=actor.account_id)


def start_totp(session: Session, config: VaultConfig, actor: Actor, *, passphrase: object,
               address: str, now: datetime) -> dict[str, str]:
    """Confirm the passphrase, then give a new secret for an authenticator app."""
    confirm_passphrase(session, config, account_id=actor.account_id, passphrase=passphrase,
                       address=address, now=now)
    account = accounts.row_account(session, actor.account_id)
    out: dict[str, str] = second_factor.start_totp(session, unlocked=actor.unlocked,
                                                   login=contacts.login_of(config, account), now=now)
    return out


def confirm_totp(session: Session, config: VaultConfig, actor: Actor, *, code: object,
                 now: datetime) -> None:
    """Switch one-time codes on once the app's first code matches.

    :raises CodeNotConfirmed: for a code that does not match.
    :raises NotFound: when no set-up was started.
    """
    try:
        second_factor.confirm_totp(session, config, keychain=actor.keychain, code=code, now=now)
    except WrongCode:
        raise CodeNotConfirmed from None


def remove_totp(session: Session, config: VaultConfig, actor: Actor, *, passphrase: object,
                address: str, now: datetime) -> None:
    """Confirm the passphrase, then switch one-time codes off."""
    confirm_passphrase(session, config, account_id=actor.account_id, passphrase=passphrase,
                       address=address, now=now)
    second_factor.remove_totp(session, config, account_id=actor.account_id, now=now)


# -- passkeys ------------------------------------------------------------------------------------------


def list_passkeys(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The actor's own passkeys, with the names they gave them."""
    return passkeys.list_passkeys(actor.keychain)


def start_passkey(session: Session, config: VaultConfig, actor: Actor, *, passphrase: object,
                  address: str, rp: RelyingParty, now: datetime) -> str:
    """Confirm the passphrase, then give the options for making a new passkey.

    :raises StepUpFailed, TooManyAttempts, AccountLocked: for the passphrase.
    :raises InvalidEntry: when the account has as many passkeys as it may.
    """
    confirm_passphrase(session, config, account_id=actor.account_id, passphrase=passphrase,
                       address=address, now=now)
    account = accounts.row_account(session, actor.account_id)
    return passkeys.registration_options(session, rp=rp, account_id=account.id,
                                         login=contacts.login_of(config, account), now=now)


def add_passkey(session: Session, config: VaultConfig, actor: Actor, *, rp: RelyingParty,
                credential: object, name: object, now: datetime) -> None:
    """Keep the passkey the browser just made.

    :raises PasskeyNotAdded: with the challenge used up all the same, so each try starts
        afresh.
    :raises InvalidEntry: for a name that cannot be used.
    """
    try:
        passkeys.add_passkey(session, config, rp=rp, unlocked=actor.unlocked,
                             credential=credential, name=name, now=now)
    except PasskeyFailed:
        keep_even_if_refused(session)
        raise PasskeyNotAdded from None


def remove_passkey(session: Session, config: VaultConfig, actor: Actor, *, passkey_id: str,
                   passphrase: object, address: str, now: datetime) -> None:
    """Confirm the passphrase, then remove one passkey. :raises NotFound: for another's."""
    confirm_passphrase(session, config, account_id=actor.account_id, passphrase=passphrase,
                       address=address, now=now)
    passkeys.remove_passkey(session, config, account_id=actor.account_id, passkey_id=passkey_id,
                            now=now)


# -- notices ------------------------------------------------------------------------------------


def read_notices(session: Session, actor: Actor, *, now: datetime, limit: int = 5) -> list[
        dict[str, Any]]:
    """The account's recent notices (a new device, a changed passphrase...), newest first."""
    since = now - NOTICE_WINDOW
    events = read_account_events(session, actor, limit=200)
    return [e for e in events if e["kind"] in NOTICE_KINDS and e["at"] >= since][:limit]


# -- the record of one's own ---------------------------------------------------------------------


@dataclass(frozen=True)
class OwnRecord:
    """The record whose subject is the actor's account, hidden or not."""

    person_id: str
    hidden_at: datetime | None
    destroy_after: datetime | None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


def read_own_record(session: Session, actor: Actor) -> OwnRecord | None:
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
    own = read_own_record(session, actor)
    if own is None:
        raise NotFound
    return own
