"""Sign-in throttling, counted in the database before any key derivation.

Each attempt is reserved (counted as a failure) in its own short transaction before the
passphrase is derived, so attempts sent at once from many threads or workers are all
counted, and a crash mid-derivation still counts. A success resets the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vault.db import insert_ignore
from vault.errors import AccountLocked, TooManyAttempts
from vault.models import SignInThrottle

# Free attempts before delays start, and the cap on consecutive failures for a login.
FREE_FAILURES_PER_LOGIN = 5
FREE_FAILURES_PER_ADDRESS = 20
MAX_CONSECUTIVE_FAILURES = 100
MAX_DELAY = timedelta(minutes=15)
# A counter with no try for this long is forgotten: the longest delay is far shorter, so this
# frees nobody sooner, and a row that names an address (with the keyring, an IPv4 address can
# be found from it) does not stay for ever.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Budget:
    free: int
    locks: bool


LOGIN = Budget(FREE_FAILURES_PER_LOGIN, locks=True)
ADDRESS = Budget(FREE_FAILURES_PER_ADDRESS, locks=False)


def delay_after(failures: int, free: int) -> timedelta:
    """No wait for the first ``free`` failures, then 1 s doubling up to 15 minutes."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)


def _ensure_row(session: Session, key: bytes) -> None:
    insert_ignore(session, SignInThrottle, {"key_digest": key, "failures": 0})


def reserve_attempt(session: Session, *, key: bytes, budget: Budget, now: datetime) -> None:
    """Count one attempt for ``key`` now, or refuse it.

    The row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's write lock holds every
    transaction already), so attempts sent at once, from any worker, are checked and counted
    one after another: each is counted, and none passes a check made on a count that another
    has just raised.

    :raises TooManyAttempts: when the next attempt is not yet allowed.
    :raises AccountLocked: when ``budget.locks`` and the cap is reached.
    """
    _ensure_row(session, key)
    failures, last = session.execute(
        select(SignInThrottle.failures, SignInThrottle.last_failure_at)
        .where(SignInThrottle.key_digest == key).with_for_update()
    ).one()
    if budget.locks and failures >= MAX_CONSECUTIVE_FAILURES:
        raise AccountLocked
    wait = delay_after(failures, budget.free)
    if last is not None and wait and now < last + wait:
        raise TooManyAttempts(int((last + wait - now).total_seconds()) + 1)
    session.execute(update(SignInThrottle).where(SignInThrottle.key_digest == key)
                    .values(failures=SignInThrottle.failures + 1, last_failure_at=now))


def refund(session: Session, *, key: bytes) -> None:
    """Give back the attempt a right passphrase reserved, so only failures add up.

    An address is shared by everyone behind it (a care home, a GP surgery): its count must
    grow with wrong passphrases, never with people signing in.
    """
    session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key_digest == key, SignInThrottle.failures > 0)
        .values(failures=SignInThrottle.failures - 1)
    )


def reset(session: Session, *, key: bytes) -> None:
    """Start the count again: the row goes, since a count of nothing needs no row."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.key_digest == key))


def forget_quiet_counters(session: Session, *, now: datetime) -> int:
    """Delete every counter with no try for ``FORGET_AFTER``; how many went."""
    return int(session.execute(  # type: ignore[attr-defined]
        delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - FORGET_AFTER)
        .execution_options(synchronize_session=False)).rowcount)


def failures_for(session: Session, *, key: bytes) -> int:
    # A query, not the identity map: the counts change by UPDATE statements the ORM never sees.
    failures = session.scalar(select(SignInThrottle.failures)
                              .where(SignInThrottle.key_digest == key))
    return failures or 0
