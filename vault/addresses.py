"""Client addresses, counted under a key of the day (decision 0011).

Every counter kept by an address (the sign-in counter of an address, a client's use of a link
in a window) is an HMAC under the key of the UTC day it counts in. The key lives in Redis when
it is configured, and never reaches the database then; otherwise in ``address_keys``, until a
later day's sweep deletes it. Each use reads the key from where it lives (one lookup by key), so
no worker ever counts under a key that was not kept; only the unwrapping is remembered.

Redis not answering never refuses anyone: the database does its work for that request.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from redis import Redis, RedisError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keys import day_keys, envelope
from vault.config import VaultConfig
from vault.db import insert_ignore
from vault.models import AddressKey

log = logging.getLogger(__name__)

REDIS_DAY_KEY = "tellonce:address-key:"
REDIS_COUNT = "tellonce:link-client:"
# A day's key stays in Redis this long after its day, for a worker whose clock is behind.
REDIS_GRACE = timedelta(hours=1)
# After Redis failed to answer, the database serves for this long before Redis is tried again,
# so an outage costs each request nothing.
REDIS_RETRY_AFTER = 5.0

# Unwrapped day keys by what was read: a key read again is the same stored bytes, or another
# key altogether. A handful of days at most: old ones are dropped.
_unwrapped: dict[tuple[str, str, bytes], bytes] = {}
_redis_down_until: dict[int, float] = {}


def day_of(now: datetime) -> str:
    return now.astimezone(UTC).date().isoformat()


def digest(session: Session, config: VaultConfig, now: datetime, label: str,
           *values: str) -> bytes:
    """What a counter of ``label`` for these values is kept by, today."""
    return day_keys.digest(day_key(session, config, now), label, *values)


def day_key(session: Session, config: VaultConfig, now: datetime) -> bytes:
    """The key of ``now``'s UTC day: made by the first request of the day, then read by all."""
    day = day_of(now)
    redis = _answering(config.redis)
    if redis is not None:
        try:
            key_id, wrapped = _from_redis(redis, config, day, now)
            return _unwrap(config, day, key_id, wrapped)
        except RedisError:
            _note_down(redis)
            log.warning("Redis did not answer: the key of the day comes from the database.")
    key_id, wrapped = _from_database(session, config, day)
    return _unwrap(config, day, key_id, wrapped)


def count_in_redis(config: VaultConfig, name: bytes, *, now: datetime,
                   until: datetime) -> int | None:
    """One more request counted under ``name`` until ``until``, in Redis; how many there are
    now, or None when Redis is not configured or does not answer (count in the database)."""
    redis = _answering(config.redis)
    if redis is None:
        return None
    key = REDIS_COUNT + name.hex()
    try:
        pipe = redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, _seconds_until(until, now))
        count, _ = pipe.execute()
        return int(count)
    except RedisError:
        _note_down(redis)
        log.warning("Redis did not answer: a link's polling is counted in the database.")
        return None


def forget_earlier_days(session: Session, now: datetime) -> int:
    """Delete the database's keys of every day before ``now``'s; how many went."""
    return _delete_before(session, day_of(now))


def _delete_before(session: Session, day: str) -> int:
    return int(session.execute(  # type: ignore[attr-defined]
        delete(AddressKey).where(AddressKey.day < day)
        .execution_options(synchronize_session=False)).rowcount)


def _new_wrapped(config: VaultConfig, day: str, key_id: str) -> bytes:
    _, wrap_key = config.keyring.address_wrap_key(key_id)
    return day_keys.wrap(wrap_key, envelope.new_key(), day=day, key_id=key_id)


def _from_database(session: Session, config: VaultConfig, day: str) -> tuple[str, bytes]:
    key_id = config.keyring.current["address"]
    kept = (AddressKey.day == day, AddressKey.key_id == key_id)
    wrapped = session.scalar(select(AddressKey.wrapped).where(*kept))
    if wrapped is None:
        # Whoever inserts first wins; everyone then reads the one that was kept.
        insert_ignore(session, AddressKey, {"day": day, "key_id": key_id,
                                            "wrapped": _new_wrapped(config, day, key_id)})
        _delete_before(session, day)
        wrapped = session.scalars(select(AddressKey.wrapped).where(*kept)).one()
    return key_id, bytes(wrapped)


def _from_redis(redis: Redis, config: VaultConfig, day: str, now: datetime) -> tuple[str, bytes]:
    key_id = config.keyring.current["address"]
    name = f"{REDIS_DAY_KEY}{key_id}:{day}"
    stored = redis.get(name)
    if stored is None:
        wrapped = _new_wrapped(config, day, key_id)
        ends = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1) + REDIS_GRACE
        redis.set(name, wrapped, nx=True, ex=_seconds_until(ends, now))
        stored = redis.get(name)
    if not isinstance(stored, bytes):  # Not kept, or a client that decodes answers as text.
        raise RedisError("the key of the day was not kept")
    return key_id, stored


def _seconds_until(when: datetime, now: datetime) -> int:
    """An expiry from the request's own clock, as every other time here: Redis's clock may
    differ from it."""
    return max(1, int((when - now).total_seconds()) + 1)


def _unwrap(config: VaultConfig, day: str, key_id: str, wrapped: bytes) -> bytes:
    """:raises DecryptionFailed: for a stored key that is not this keyring's, or not the day's."""
    found = _unwrapped.get((key_id, day, wrapped))
    if found is None:
        _, wrap_key = config.keyring.address_wrap_key(key_id)
        found = day_keys.unwrap(wrap_key, wrapped, day=day, key_id=key_id)
        if len(_unwrapped) >= 8:
            _unwrapped.clear()
        _unwrapped[(key_id, day, wrapped)] = found
    return found


def _answering(redis: Redis | None) -> Redis | None:
    if redis is None or _redis_down_until.get(id(redis), 0.0) > time.monotonic():
        return None
    return redis


def _note_down(redis: Redis) -> None:
    _redis_down_until[id(redis)] = time.monotonic() + REDIS_RETRY_AFTER
