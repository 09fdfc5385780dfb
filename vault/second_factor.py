"""One-time codes (TOTP, RFC 6238) as a second factor, with pyotp.

The shared secret is sealed to the account's public key, so it opens only once the
passphrase has unlocked the account; the server keeps no secret that makes codes on its
own. Each accepted code's time step is kept, and no step is accepted twice.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keys.binding import bind
from vault import payloads, slots
from vault.accounts import Unlocked, account_event, row_account
from vault.config import VaultConfig
from vault.errors import NotFound, WrongCode
from vault.keychain import Keychain
from vault.models import SecondFactor, new_id

TOTP = "totp"
ISSUER = "Tell Once"
STEP = timedelta(seconds=30)
# One step either side, for a phone clock a little out: the usual allowance (RFC 6238, 5.2).
WINDOW = 1


def secret_info(account_id: str, factor_id: str) -> bytes:
    return bind("totp-secret", account_id, factor_id)


def _secret(keychain: Keychain, factor: SecondFactor) -> str:
    secret: str = payloads.decode(keychain.open_own_data(
        factor.secret_sealed, factor.secret_tag, info=secret_info(factor.account_id, factor.id),
        kind="totp-secret"))
    return secret


def _confirmed(session: Session, account_id: str) -> SecondFactor | None:
    return session.scalar(select(SecondFactor).where(
        SecondFactor.account_id == account_id, SecondFactor.kind == TOTP,
        SecondFactor.confirmed_at.is_not(None)))


def has_totp(session: Session, *, account_id: str) -> bool:
    return _confirmed(session, account_id) is not None


def start_totp(
    session: Session, *, unlocked: Unlocked, login: str, now: datetime
) -> dict[str, Any]:
    """A new secret to put in an authenticator app; it works once a code confirms it."""
    account_id = unlocked.account_id
    session.execute(delete(SecondFactor).where(
        SecondFactor.account_id == account_id, SecondFactor.confirmed_at.is_(None)))
    secret = pyotp.random_base32()
    factor = SecondFactor(id=new_id(), account_id=account_id, kind=TOTP, created_at=now,
                          last_used_step=0)
    factor.secret_sealed, factor.secret_tag = slots.seal_own(
        unlocked, payloads.encode(secret), info=secret_info(account_id, factor.id))
    session.add(factor)
    session.flush()
    return {"secret": secret,
            "uri": pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)}


def _matching_step(secret: str, code: object, now: datetime) -> int | None:
    if not isinstance(code, str):
        return None
    code = code.strip().replace(" ", "")
    totp = pyotp.TOTP(secret)
    for offset in range(-WINDOW, WINDOW + 1):
        moment = now + offset * STEP
        if hmac.compare_digest(totp.at(moment), code):
            return int(totp.timecode(moment))
    return None


def _accept(factor: SecondFactor, keychain: Keychain, code: object, now: datetime) -> None:
    step = _matching_step(_secret(keychain, factor), code, now)
    if step is None or step <= factor.last_used_step:
        raise WrongCode
    factor.last_used_step = step


def confirm_totp(
    session: Session, config: VaultConfig, *, keychain: Keychain, code: object, now: datetime
) -> None:
    """Switch the new secret on once a code from the app matches. :raises WrongCode:"""
    unlocked = keychain.unlocked
    pending = session.scalar(select(SecondFactor).where(
        SecondFactor.account_id == unlocked.account_id, SecondFactor.confirmed_at.is_(None))
        .order_by(SecondFactor.created_at.desc()))
    if pending is None:
        raise NotFound("Start setting up one-time codes first.")
    _accept(pending, keychain, code, now)
    session.execute(delete(SecondFactor).where(
        SecondFactor.account_id == unlocked.account_id, SecondFactor.id != pending.id))
    pending.confirmed_at = now
    account_event(session, config, row_account(session, unlocked.account_id),
                  "second_factor_added", now=now)


def check_totp(session: Session, *, keychain: Keychain, code: object, now: datetime) -> None:
    """:raises WrongCode: for a wrong, old or reused code."""
    factor = _confirmed(session, keychain.account_id)
    if factor is None:
        raise WrongCode
    _accept(factor, keychain, code, now)


def remove_totp(session: Session, config: VaultConfig, *, account_id: str, now: datetime) -> None:
    session.execute(delete(SecondFactor).where(SecondFactor.account_id == account_id))
    account_event(session, config, row_account(session, account_id), "second_factor_removed",
                  now=now)
