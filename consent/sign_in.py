"""Signing in, its second step, getting back in with the recovery code, and asking a
signed-in person for their passphrase again.

Argon2id takes a fifth of a second and a lot of memory, so it never runs inside a database
transaction (on SQLite that would hold the one write lock for every other request). Each of
these therefore:

1. counts the attempt (throttle) and finds the account, and keeps that count at once with
   ``keep_even_if_refused``, which also ends the transaction (decision 0003);
2. derives the key with no connection held;
3. on failure, audits it, keeps that too, and raises; on success, settles the count (also
   kept, so a right passphrase is never held against the person) and carries on in the
   request's unit of work, which commits at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent import notices
from consent.notices import Mailer
from vault import (
    accounts,
    addresses,
    contacts,
    credentials,
    devices,
    metadata_upgrade,
    passkeys,
    second_factor,
    slot_upgrade,
    throttle,
)
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.db import after_commit, keep_even_if_refused
from vault.errors import (
    AccountLocked,
    PasskeyFailed,
    SignInFailed,
    StepUpFailed,
    WrongCode,
)
from vault.keychain import Keychain
from vault.models import Account, SignInSession
from vault.passkeys import RelyingParty
from vault.passphrases import check_passphrase


@dataclass(frozen=True)
class SignedIn:
    unlocked: Unlocked
    session_token: str
    session_row: SignInSession
    # A device cookie to give the browser when it had none (see vault.devices).
    device_token: str | None = None


@dataclass(frozen=True)
class SecondFactorNeeded:
    """The passphrase was right; a one-time code or a passkey must follow within five minutes."""

    pending_token: str
    # "totp", "passkey" or both: what this account can finish with.
    kinds: tuple[str, ...] = (second_factor.TOTP,)


@dataclass(frozen=True)
class SecondFactorChoices:
    """The ways this pending sign-in can finish: a code, a passkey, or either."""

    one_time_code: bool
    # Options for the browser's passkey prompt, with a new challenge; None without passkeys.
    passkey_options: str | None


# -- counting attempts --------------------------------------------------------------------------


def _address_key(session: Session, config: VaultConfig, address: str, now: datetime) -> bytes:
    """The counter of an address, under the key of the day (decision 0011)."""
    return addresses.digest(session, config, now, "sign-in-address", address)


def _login_key(config: VaultConfig, account: Account | None, typed: str) -> bytes:
    """One counter per account, whether it is reached by login or by email address; for a
    login that has no account, a counter of its own, so both look alike from outside."""
    if account is None:
        return config.keyring.login_digest(typed)
    return config.keyring.account_login_digest(account.id)


def _count_attempt(session: Session, config: VaultConfig, *, login: object, address: str,
                   now: datetime) -> Account | None:
    """Count this attempt per address and per login, and keep the count before any slow work.

    :raises TooManyAttempts, AccountLocked: with nothing counted.
    """
    login_text = login if isinstance(login, str) else ""
    return _count_for(session, config, accounts.find_account(session, config, login_text),
                      login_text, address=address, now=now)


def _count_for(session: Session, config: VaultConfig, account: Account | None, login_text: str,
               *, address: str, now: datetime) -> Account | None:
    """Count an attempt at ``account`` (or at a typed login that has none) and its address."""
    # The address is counted first so a flood against many logins is slowed too.
    throttle.reserve_attempt(session, key=_address_key(session, config, address, now),
                             budget=throttle.ADDRESS, now=now)
    throttle.reserve_attempt(session, key=_login_key(config, account, login_text),
                             budget=throttle.LOGIN, now=now)
    # Kept whatever follows: attempts sent at once are all counted, and a crash while the
    # key is derived still counts.
    keep_even_if_refused(session)
    return account


def _give_back_the_address_try(session: Session, config: VaultConfig, address: str,
                               now: datetime) -> None:
    """A right passphrase gives back the try it took at its address, kept at once.

    An address is shared by everyone behind it (a care home, a GP surgery), so its count must
    grow with wrong passphrases only, even if this request is then refused.
    """
    throttle.refund(session, key=_address_key(session, config, address, now))
    keep_even_if_refused(session)


def _record_failure(session: Session, config: VaultConfig, account: Account | None, kind: str,
                    now: datetime, *, may_lock: bool = False) -> None:
    """Audit a wrong passphrase or code in the account's history, lock the account after too
    many in a row when ``may_lock``, and keep it all."""
    fresh = None if account is None else session.get(Account, account.id)
    if fresh is not None:
        accounts.account_event(session, config, fresh, kind, now=now)
        failures = throttle.failures_for(session, key=_login_key(config, fresh, ""))
        if may_lock and failures >= throttle.MAX_CONSECUTIVE_FAILURES:
            fresh.locked_at = now
            accounts.account_event(session, config, fresh, "account_locked", now=now)
    keep_even_if_refused(session)


def _still_there(session: Session, account: Account | None) -> Account:
    """The account as the database has it now; gone meanwhile is a failed sign-in."""
    fresh = None if account is None else session.scalar(
        select(Account).where(Account.id == account.id)
        .execution_options(populate_existing=True))
    if fresh is None:
        raise SignInFailed
    return fresh


# -- signing in ----------------------------------------------------------------------------------


def sign_in(
    session: Session, config: VaultConfig, *, login: object, passphrase: object, address: str,
    now: datetime, device_token: str | None = None, mailer: Mailer | None = None,
) -> SignedIn | SecondFactorNeeded:
    """:raises SignInFailed, TooManyAttempts, AccountLocked:"""
    account = _count_attempt(session, config, login=login, address=address, now=now)
    if account is not None and account.locked_at is not None:
        # Still derive, so a locked account answers in the same time as any other.
        try:
            accounts.unlock_with_passphrase(config, None, passphrase)
        except SignInFailed:
            pass
        raise AccountLocked
    try:
        unlocked = accounts.unlock_with_passphrase(config, account, passphrase)
    except SignInFailed:
        _record_failure(session, config, account, "sign_in_failed", now, may_lock=True)
        raise
    fresh = _still_there(session, account)
    # The login's count starts again only when the session opens, after any second step.
    _give_back_the_address_try(session, config, address, now)
    if accounts.needs_rehash(config, fresh) and isinstance(passphrase, str):
        accounts.rewrap_passphrase(session, config, account=fresh, unlocked=unlocked,
                                   secret=passphrase)
    kinds = _second_factor_kinds(session, fresh.id)
    if kinds:
        # The login's failure count stays until the code is right too: someone who knows the
        # passphrase cannot try codes faster than the sign-in delays allow.
        return SecondFactorNeeded(
            credentials.create_pending_sign_in(session, unlocked=unlocked, now=now), kinds)
    return open_session(session, config, fresh, unlocked, now=now, device_token=device_token,
                        mailer=mailer)


def _second_factor_kinds(session: Session, account_id: str) -> tuple[str, ...]:
    kinds = (second_factor.TOTP if second_factor.has_totp(session, account_id=account_id) else "",
             passkeys.PASSKEY if passkeys.has_passkey(session, account_id=account_id) else "")
    return tuple(kind for kind in kinds if kind)


def open_session(session: Session, config: VaultConfig, account: Account, unlocked: Unlocked, *,
                 now: datetime, device_token: str | None, mailer: Mailer | None) -> SignedIn:
    """Open a session for an unlocked account; tell the person of a new device by email."""
    # Slots sealed before slot tags are checked and tagged now, while the key is in hand; so
    # are the plain sections and scopes of records from before decision 0012 sealed.
    slot_upgrade.tag_untagged_slots(session, config, unlocked)
    metadata_upgrade.upgrade_records(session, config, unlocked)
    throttle.reset(session, key=_login_key(config, account, ""))
    token, row = credentials.create_session(session, config, unlocked=unlocked, now=now)
    accounts.account_event(session, config, account, "signed_in", now=now)
    device = devices.recognise_device(session, account_id=account.id, device_token=device_token,
                                      now=now)
    if device.new_device:
        accounts.account_event(session, config, account, "new_device_sign_in", now=now)
        email = contacts.email_of(config, account) or ""
        after_commit(session, lambda: notices.send(mailer, email, notices.new_device_email(now)))
    return SignedIn(unlocked, token, row, device.set_cookie)


# -- the second step -------------------------------------------------------------------------------


def offer_second_factors(session: Session, *, pending_token: str, rp: RelyingParty,
                         now: datetime) -> SecondFactorChoices:
    """What the second step of this sign-in offers; looking does not use up a try.

    The passkey challenge is kept at once: the page that offers it may be the answer to a
    refused try (a wrong code), and the next try needs it.

    :raises NotSignedIn: when the pending sign-in is gone, expired or used up.
    """
    account_id = credentials.pending_sign_in_account(session, token=pending_token, now=now)
    choices = SecondFactorChoices(
        one_time_code=second_factor.has_totp(session, account_id=account_id),
        passkey_options=passkeys.authentication_options(session, rp=rp, account_id=account_id,
                                                        now=now))
    keep_even_if_refused(session)
    return choices


def finish_second_factor(
    session: Session, config: VaultConfig, *, pending_token: str, code: object, now: datetime,
    device_token: str | None = None, mailer: Mailer | None = None,
) -> SignedIn:
    """Check the one-time code of a pending sign-in; at most five tries for each.

    :raises NotSignedIn: when the pending sign-in is gone, expired or used up.
    :raises WrongCode: for a wrong code; the try is counted and audited.
    """
    def check(unlocked: Unlocked) -> None:
        second_factor.check_totp(session, keychain=Keychain(session, config, unlocked), code=code,
                                 now=now)

    return _finish(session, config, pending_token=pending_token, check=check, now=now,
                   device_token=device_token, mailer=mailer)


def finish_with_passkey(
    session: Session, config: VaultConfig, *, pending_token: str, rp: RelyingParty,
    credential: object, now: datetime, device_token: str | None = None,
    mailer: Mailer | None = None,
) -> SignedIn:
    """Check the passkey's signed answer; it shares the five tries with one-time codes.

    :raises NotSignedIn: when the pending sign-in is gone, expired or used up.
    :raises PasskeyFailed: for an answer that does not verify; the try is counted and audited.
    """
    def check(unlocked: Unlocked) -> None:
        passkeys.check_passkey(session, rp=rp, account_id=unlocked.account_id,
                               credential=credential, now=now)

    return _finish(session, config, pending_token=pending_token, check=check, now=now,
                   device_token=device_token, mailer=mailer)


def _finish(
    session: Session, config: VaultConfig, *, pending_token: str,
    check: Callable[[Unlocked], None], now: datetime, device_token: str | None,
    mailer: Mailer | None,
) -> SignedIn:
    unlocked, pending = credentials.resume_pending_sign_in(session, token=pending_token, now=now)
    account = accounts.row_account(session, unlocked.account_id)
    try:
        check(unlocked)
    except (WrongCode, PasskeyFailed):
        # The counted try, the used-up challenge and the audit event stay.
        accounts.account_event(session, config, account, "second_factor_failed", now=now)
        keep_even_if_refused(session)
        raise
    session.delete(pending)
    return open_session(session, config, account, unlocked, now=now, device_token=device_token,
                        mailer=mailer)


# -- the recovery code ---------------------------------------------------------------------------


def recover_account(
    session: Session, config: VaultConfig, *, login: object, code: object,
    new_passphrase: object, address: str, now: datetime,
) -> tuple[SignedIn, str]:
    """Unlock with the recovery code, set a new passphrase, return a session and new code.

    A right code always unlocks, even a locked account: that is what it is for.

    :raises SignInFailed, WeakPassphrase, TooManyAttempts:
    """
    check_passphrase(new_passphrase)  # Refuse a weak passphrase before spending the code.
    throttle.reserve_attempt(session, key=_address_key(session, config, address, now),
                             budget=throttle.ADDRESS, now=now)
    account = accounts.find_account(session, config, login if isinstance(login, str) else "")
    keep_even_if_refused(session)
    try:
        unlocked = accounts.unlock_with_recovery_code(account, code)
    except SignInFailed:
        _record_failure(session, config, account, "recovery_failed", now)
        raise
    assert account is not None  # noqa: S101 - an unknown login never unlocks
    used_code_id = account.recovery_code_id
    fresh = _still_there(session, account)
    try:
        new_code = accounts.finish_recovery(session, config, account=fresh, unlocked=unlocked,
                                            used_code_id=used_code_id,
                                            new_passphrase=new_passphrase, now=now)
    except SignInFailed:
        # The same code, sent again at once, was used by another request first.
        _record_failure(session, config, fresh, "recovery_failed", now)
        raise
    # Whoever took the account is signed out everywhere, before the person's new session, and
    # every token they may have made stops working.
    credentials.end_sessions(session, account_id=fresh.id)
    revoke_every_token(session, config, fresh, now=now)
    slot_upgrade.tag_untagged_slots(session, config, unlocked)
    metadata_upgrade.upgrade_records(session, config, unlocked)
    throttle.reset(session, key=_login_key(config, fresh, ""))
    throttle.refund(session, key=_address_key(session, config, address, now))
    token, row = credentials.create_session(session, config, unlocked=unlocked, now=now)
    return SignedIn(unlocked, token, row), new_code


def revoke_every_token(session: Session, config: VaultConfig, account: Account, *,
                       now: datetime) -> None:
    """Revoke every working API token of the account, in one event of its history."""
    stopped = credentials.revoke_api_tokens(session, account_id=account.id, now=now)
    if stopped:
        accounts.account_event(session, config, account, "tokens_revoked", now=now,
                               details={"tokens": stopped})



# -- the passphrase again ---------------------------------------------------------------------------


def confirm_passphrase(
    session: Session, config: VaultConfig, *, account_id: str, passphrase: object, address: str,
    now: datetime,
) -> Unlocked:
    """Ask a signed-in person for their passphrase again before a sensitive change.

    Counted and throttled exactly like signing in, so a stolen session cannot be used to
    guess the passphrase.

    :raises StepUpFailed: for a wrong passphrase (a ``SignInFailed``).
    :raises TooManyAttempts, AccountLocked:
    """
    current = session.get(Account, account_id)
    if current is None:
        raise StepUpFailed
    account = _count_for(session, config, current, "", address=address, now=now)
    try:
        unlocked = accounts.unlock_with_passphrase(config, account, passphrase)
    except SignInFailed:
        _record_failure(session, config, account, "reauthentication_failed", now)
        raise StepUpFailed from None
    # The login's count starts again too, kept with the address's try.
    throttle.reset(session, key=_login_key(config, _still_there(session, account), ""))
    _give_back_the_address_try(session, config, address, now)
    return unlocked
