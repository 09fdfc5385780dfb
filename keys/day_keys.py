"""Keys of one day, under which client addresses are counted (decision 0011).

A counter kept by a client's address is an HMAC under the key of the day it counts in, and
that key is deleted once its day is over: with the keyring, a copy of the database (or of
Redis) taken later finds no address behind a counter, where a key that never changed would let
anyone holding it try every IPv4 address against every backup ever taken.
"""

from __future__ import annotations

import hashlib
import hmac

from keys import envelope
from keys.binding import bind


def _aad(day: str, key_id: str) -> bytes:
    return bind("address-day-key", day, key_id)


def wrap(wrap_key: bytes, day_key: bytes, *, day: str, key_id: str) -> bytes:
    """The day key as stored: sealed under the keyring's address wrap key, bound to its day."""
    return envelope.wrap_key(wrap_key, day_key, aad=_aad(day, key_id))


def unwrap(wrap_key: bytes, wrapped: bytes, *, day: str, key_id: str) -> bytes:
    """:raises DecryptionFailed: for a key changed, moved to another day, or not ours."""
    return envelope.unwrap_key(wrap_key, wrapped, aad=_aad(day, key_id))


def digest(day_key: bytes, label: str, *values: str) -> bytes:
    """What a counter is kept by: never the address, and unlike any other day's."""
    return hmac.new(day_key, bind(label, *values), hashlib.sha256).digest()
