"""Browsers an account has signed in from, so a sign-in from a new one can be told.

A device cookie holds a random 256-bit secret; the server keeps only its digest, bound to the
account (decision 0010), so one browser's rows under two accounts do not match. Nothing here
identifies the device itself: no address, no browser name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keys import tokens
from keys.errors import InvalidKeyMaterial
from vault.models import KnownDevice

DEVICE_PREFIX = "tod"


@dataclass(frozen=True)
class Recognised:
    set_cookie: str | None  # A device token to give the browser, when it had none.
    new_device: bool  # True when this account has signed in elsewhere before, not here.


def recognise_device(session: Session, *, account_id: str, device_token: str | None,
                     now: datetime) -> Recognised:
    secret = None
    if device_token:
        try:
            secret = tokens.parse_bearer(DEVICE_PREFIX, device_token)
        except InvalidKeyMaterial:
            secret = None
    set_cookie = None
    if secret is None:
        set_cookie, secret = tokens.new_bearer(DEVICE_PREFIX)
    digest = tokens.account_lookup_digest("device", account_id, secret)
    known = session.get(KnownDevice, (account_id, digest)) or _from_before_0010(
        session, account_id, secret, digest)
    if known is not None:
        known.last_seen_at = now
        return Recognised(set_cookie, new_device=False)
    others = session.scalar(select(func.count()).select_from(KnownDevice)
                            .where(KnownDevice.account_id == account_id))
    session.add(KnownDevice(account_id=account_id, digest=digest, first_seen_at=now,
                            last_seen_at=now))
    session.flush()
    # The first device of an account is where it was made: no notice for that.
    return Recognised(set_cookie, new_device=bool(others))


def _from_before_0010(session: Session, account_id: str, secret: bytes,
                      digest: bytes) -> KnownDevice | None:
    """A row kept under the digest that did not name the account, moved to the new one."""
    old = session.get(KnownDevice, (account_id, tokens.lookup_digest("device", secret)))
    if old is None:
        return None
    moved = KnownDevice(account_id=account_id, digest=digest, first_seen_at=old.first_seen_at,
                        last_seen_at=old.last_seen_at)
    session.delete(old)
    session.add(moved)
    session.flush()
    return moved
