"""Signing in, and recovering an account, across three short transactions.

Argon2id takes a fifth of a second and a lot of memory, so it never runs inside a database
transaction (on SQLite that would hold the one write lock for every other request):

1. count the attempt (throttle) and read the account, then commit;
2. derive the key with no connection held;
3. record the outcome: on success reset the count, upgrade parameters, open a session;
   on failure audit it. The attempt stays counted from step 1 either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consent import notices
from consent.notices import Mailer
from vault import accounts, credentials, devices, passkeys, second_factor, throttle
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.db import Database
from vault.errors import AccountLocked, PasskeyFailed, SignInFailed, WrongCode
from vault.models import Account, SignInSession
from vault.passkeys import RelyingParty


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


def _address_key(config: VaultConfig, address: str) -> bytes:
    return config.keyring.hmac_digest("passcode", b"address:" + address.encode())


def _login_key(config: VaultConfig, account: Account | None, typed: str) -> bytes:
    """One counter per account, whether it is reached by login or by email address; for a
    login that has no account, a counter of its own, so both look alike from outside."""
    return config.keyring.login_digest(account.login if account is not None else typed)


def _reserve(
    s: Session, config: VaultConfig, *, login: object, address: str, now: datetime
) -> Account | None:
    login_text = login if isinstance(login, str) else ""
    account = accounts.find_account(s, login_text)
    # The address is counted first so a flood against many logins is slowed too.
    throttle.reserve_attempt(s, key=_address_key(config, address), budget=throttle.ADDRESS,
                             now=now)
    throttle.reserve_attempt(s, key=_login_key(config, account, login_text),
                             budget=throttle.LOGIN, now=now)
    if account is not None:
        s.expunge(account)
    return account


def _audit_failure(s: Session, config: VaultConfig, account: Account | None, kind: str,
                   now: datetime) -> None:
    if account is None:
        return
    fresh = s.get(Account, account.id)
    if fresh is not None:
        accounts.account_event(s, config, fresh, kind, now=now)


def _still_there(s: Session, account: Account | None) -> Account:
    """The account again, in this transaction; gone meanwhile is a failed sign-in."""
    fresh = None if account is None else s.get(Account, account.id)
    if fresh is None:
        raise SignInFailed
    return fresh


def sign_in(
    db: Database, config: VaultConfig, *, login: object, passphrase: object, address: str,
    now: datetime, device_token: str | None = None, mailer: Mailer | None = None,
) -> SignedIn | SecondFactorNeeded:
    """:raises SignInFailed, TooManyAttempts, AccountLocked:"""
    with db.transaction() as s:
        account = _reserve(s, config, login=login, address=address, now=now)
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
        with db.transaction() as s:
            _audit_failure(s, config, account, "sign_in_failed", now)
            if account is not None and throttle.failures_for(
                s, key=config.keyring.login_digest(account.login)
            ) >= throttle.MAX_CONSECUTIVE_FAILURES:
                locked = s.get(Account, account.id)
                if locked is not None:
                    locked.locked_at = now
                    accounts.account_event(s, config, locked, "account_locked", now=now)
        raise
    with db.transaction() as s:
        fresh = _still_there(s, account)
        throttle.refund(s, key=_address_key(config, address))
        if accounts.needs_rehash(config, fresh) and isinstance(passphrase, str):
            accounts.rewrap_passphrase(s, config, account=fresh, unlocked=unlocked,
                                       secret=passphrase)
        kinds = _second_factor_kinds(s, fresh.id)
        if kinds:
            # The failure count stays until the code is right too: someone who knows the
            # passphrase cannot try codes faster than the sign-in delays allow.
            return SecondFactorNeeded(
                credentials.create_pending_sign_in(s, unlocked=unlocked, now=now), kinds)
        signed, email = _open_session(s, config, fresh, unlocked, now, device_token)
    _notify(signed, email, mailer, now)
    return signed


def _second_factor_kinds(s: Session, account_id: str) -> tuple[str, ...]:
    kinds = (second_factor.TOTP if second_factor.has_totp(s, account_id=account_id) else "",
             passkeys.PASSKEY if passkeys.has_passkey(s, account_id=account_id) else "")
    return tuple(kind for kind in kinds if kind)


def _open_session(s: Session, config: VaultConfig, account: Account, unlocked: Unlocked,
                  now: datetime, device_token: str | None) -> tuple[SignedIn, str | None]:
    """Open the session; return it and, for a new device, the address to tell."""
    throttle.reset(s, key=config.keyring.login_digest(account.login))
    token, row = credentials.create_session(s, config, unlocked=unlocked, now=now)
    accounts.account_event(s, config, account, "signed_in", now=now)
    device = devices.recognise_device(s, account_id=account.id, device_token=device_token,
                                      now=now)
    email = None
    if device.new_device:
        accounts.account_event(s, config, account, "new_device_sign_in", now=now)
        email = account.email or ""
    return SignedIn(unlocked, token, row, device.set_cookie), email


def _notify(signed: SignedIn, email: str | None, mailer: Mailer | None, now: datetime) -> None:
    if email is not None:
        notices.send(mailer, email, notices.new_device_email(now))


def second_factor_choices(db: Database, *, pending_token: str, rp: RelyingParty,
                          now: datetime) -> SecondFactorChoices:
    """What the second step of this sign-in offers; looking does not use up a try.

    :raises NotSignedIn: when the pending sign-in is gone, expired or used up.
    """
    with db.transaction() as s:
        account_id = credentials.pending_sign_in_account(s, token=pending_token, now=now)
        return SecondFactorChoices(
            one_time_code=second_factor.has_totp(s, account_id=account_id),
            passkey_options=passkeys.authentication_options(s, rp=rp, account_id=account_id,
                                                            now=now))


def finish_second_factor(
    db: Database, config: VaultConfig, *, pending_token: str, code: object, now: datetime,
    device_token: str | None = None, mailer: Mailer | None = None,
) -> SignedIn:
    """Check the one-time code of a pending sign-in; at most five tries for each.

    :raises NotSignedIn: when the pending sign-in is gone, expired or used up.
    :raises WrongCode: for a wrong code; the try is counted and audited.
    """
    def check(s: Session, unlocked: Unlocked) -> None:
        second_factor.check_totp(s, unlocked=unlocked, code=code, now=now)

    return _finish(db, config, pending_token=pending_token, check=check, now=now,
                   device_token=device_token, mailer=mailer)


def finish_with_passkey(
    db: Database, config: VaultConfig, *, pending_token: str, rp: RelyingParty,
    credential: object, now: datetime, device_token: str | None = None,
    mailer: Mailer | None = None,
) -> SignedIn:
    """Check the passkey's signed answer; it shares the five tries with one-time codes.

    :raises NotSignedIn: when the pending sign-in is gone, expired or used up.
    :raises PasskeyFailed: for an answer that does not verify; the try is counted and audited.
    """
    def check(s: Session, unlocked: Unlocked) -> None:
        passkeys.check_passkey(s, rp=rp, account_id=unlocked.account_id,
                               credential=credential, now=now)

    return _finish(db, config, pending_token=pending_token, check=check, now=now,
                   device_token=device_token, mailer=mailer)


SECOND_FACTOR_FAILURES = (WrongCode, PasskeyFailed)


def _finish(
    db: Database, config: VaultConfig, *, pending_token: str,
    check: Callable[[Session, Unlocked], None], now: datetime, device_token: str | None,
    mailer: Mailer | None,
) -> SignedIn:
    failure: Exception | None = None
    with db.transaction() as s:
        unlocked, pending = credentials.resume_pending_sign_in(s, token=pending_token, now=now)
        account = accounts.row_account(s, unlocked.account_id)
        try:
            check(s, unlocked)
        except SECOND_FACTOR_FAILURES as exc:
            accounts.account_event(s, config, account, "second_factor_failed", now=now)
            failure = exc
        else:
            s.delete(pending)
            signed, email = _open_session(s, config, account, unlocked, now, device_token)
    # The counted try and the audit event are committed above, before the refusal.
    if failure is not None:
        raise failure
    _notify(signed, email, mailer, now)
    return signed


def recover(
    db: Database, config: VaultConfig, *, login: object, code: object, new_passphrase: object,
    address: str, now: datetime,
) -> tuple[SignedIn, str]:
    """Unlock with the recovery code, set a new passphrase, return a session and new code.

    A right code always unlocks, even a locked account: that is what it is for.

    :raises SignInFailed, WeakPassphrase, TooManyAttempts:
    """
    from vault.passphrases import check_passphrase

    check_passphrase(new_passphrase)  # Refuse a weak passphrase before spending the code.
    with db.transaction() as s:
        throttle.reserve_attempt(s, key=_address_key(config, address),
                                 budget=throttle.ADDRESS, now=now)
        account = accounts.find_account(s, login if isinstance(login, str) else "")
        if account is not None:
            s.expunge(account)
    try:
        unlocked = accounts.unlock_with_recovery_code(account, code)
    except SignInFailed:
        with db.transaction() as s:
            _audit_failure(s, config, account, "recovery_failed", now)
        raise
    with db.transaction() as s:
        fresh = _still_there(s, account)
        new_code = accounts.finish_recovery(s, config, account=fresh, unlocked=unlocked,
                                            new_passphrase=new_passphrase, now=now)
        throttle.reset(s, key=config.keyring.login_digest(fresh.login))
        throttle.refund(s, key=_address_key(config, address))
        token, row = credentials.create_session(s, config, unlocked=unlocked, now=now)
    return SignedIn(unlocked, token, row), new_code


def confirm_passphrase(
    db: Database, config: VaultConfig, *, account_id: str, passphrase: object, address: str,
    now: datetime,
) -> Unlocked:
    """Ask a signed-in person for their passphrase again before a sensitive change.

    Counted and throttled exactly like signing in, so a stolen session cannot be used to
    guess the passphrase. :raises SignInFailed, TooManyAttempts, AccountLocked:
    """
    with db.transaction() as s:
        current = s.get(Account, account_id)
        if current is None:
            raise SignInFailed
        account = _reserve(s, config, login=current.login, address=address, now=now)
    try:
        unlocked = accounts.unlock_with_passphrase(config, account, passphrase)
    except SignInFailed:
        with db.transaction() as s:
            _audit_failure(s, config, account, "reauthentication_failed", now)
        raise
    with db.transaction() as s:
        throttle.reset(s, key=config.keyring.login_digest(_login_of(account)))
        throttle.refund(s, key=_address_key(config, address))
    return unlocked


def _login_of(account: Account | None) -> str:
    if account is None:
        raise SignInFailed
    return account.login


def change_passphrase(
    db: Database, config: VaultConfig, *, account_id: str, passphrase: object,
    new_passphrase: object, keep_session_digest: bytes | None, address: str, now: datetime,
) -> None:
    """Confirm the current passphrase, set the new one, sign out every other session.

    :raises SignInFailed, WeakPassphrase, TooManyAttempts:
    """
    from vault.passphrases import check_passphrase

    check_passphrase(new_passphrase)
    unlocked = confirm_passphrase(db, config, account_id=account_id, passphrase=passphrase,
                                  address=address, now=now)
    with db.transaction() as s:
        account = _still_there(s, s.get(Account, account_id))
        accounts.change_passphrase(s, config, account=account, unlocked=unlocked,
                                   new_passphrase=new_passphrase,
                                   keep_session_digest=keep_session_digest, now=now)


def replace_recovery_code(
    db: Database, config: VaultConfig, *, account_id: str, passphrase: object, address: str,
    now: datetime,
) -> str:
    """Confirm the passphrase and make a new recovery code; the old one stops working."""
    unlocked = confirm_passphrase(db, config, account_id=account_id, passphrase=passphrase,
                                  address=address, now=now)
    with db.transaction() as s:
        account = _still_there(s, s.get(Account, account_id))
        return accounts.regenerate_recovery_code(s, config, account=account, unlocked=unlocked,
                                                 now=now)


def start_totp(
    db: Database, config: VaultConfig, *, account_id: str, passphrase: object, address: str,
    now: datetime,
) -> dict[str, str]:
    """Confirm the passphrase, then give a new secret for an authenticator app."""
    confirm_passphrase(db, config, account_id=account_id, passphrase=passphrase,
                       address=address, now=now)
    with db.transaction() as s:
        account = accounts.row_account(s, account_id)
        out: dict[str, str] = second_factor.start_totp(s, config, account_id=account_id,
                                                       login=account.login, now=now)
    return out


def confirm_totp(s: Session, config: VaultConfig, *, unlocked: Unlocked, code: object,
                 now: datetime) -> None:
    """Switch one-time codes on once the app's first code matches. :raises WrongCode:"""
    second_factor.confirm_totp(s, config, unlocked=unlocked, code=code, now=now)


def remove_totp(
    db: Database, config: VaultConfig, *, account_id: str, passphrase: object, address: str,
    now: datetime,
) -> None:
    """Confirm the passphrase, then switch one-time codes off."""
    confirm_passphrase(db, config, account_id=account_id, passphrase=passphrase,
                       address=address, now=now)
    with db.transaction() as s:
        second_factor.remove_totp(s, config, account_id=account_id, now=now)


def start_passkey(
    db: Database, config: VaultConfig, *, account_id: str, passphrase: object, address: str,
    rp: RelyingParty, now: datetime,
) -> str:
    """Confirm the passphrase, then give the options for making a new passkey.

    :raises SignInFailed, TooManyAttempts, AccountLocked: for the passphrase.
    :raises InvalidEntry: when the account has as many passkeys as it may.
    """
    confirm_passphrase(db, config, account_id=account_id, passphrase=passphrase,
                       address=address, now=now)
    with db.transaction() as s:
        account = accounts.row_account(s, account_id)
        return passkeys.registration_options(s, rp=rp, account_id=account_id,
                                             login=account.login, now=now)


def remove_passkey(
    db: Database, config: VaultConfig, *, account_id: str, passkey_id: str, passphrase: object,
    address: str, now: datetime,
) -> None:
    """Confirm the passphrase, then remove one passkey. :raises NotFound: for another's."""
    confirm_passphrase(db, config, account_id=account_id, passphrase=passphrase,
                       address=address, now=now)
    with db.transaction() as s:
        passkeys.remove_passkey(s, config, account_id=account_id, passkey_id=passkey_id,
                                now=now)
