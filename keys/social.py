"""Splitting a social-recovery key among trusted people.

1 of n: each trusted person holds the key itself (sealed to them).
2 of 3: for each pair, a fresh random value goes to one and its XOR with the key to the
other, so any two together rebuild it and any one alone learns nothing. This is a one-time
pad over a random key, not a home-made cipher: each pad is used once.
"""

from __future__ import annotations

import os
from itertools import combinations

from keys.envelope import KEY_LEN
from keys.errors import InvalidKeyMaterial


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def split_one_of_n(key: bytes, n: int) -> list[bytes]:
    if len(key) != KEY_LEN or n < 1:
        raise InvalidKeyMaterial
    return [key] * n


def split_two_of_three(key: bytes) -> dict[tuple[int, int], tuple[bytes, bytes]]:
    """Return for each pair ``(i, j)`` of holders 0..2 the shares ``(for_i, for_j)``."""
    if len(key) != KEY_LEN:
        raise InvalidKeyMaterial
    shares: dict[tuple[int, int], tuple[bytes, bytes]] = {}
    for pair in combinations(range(3), 2):
        pad = os.urandom(KEY_LEN)
        shares[pair] = (pad, _xor(pad, key))
    return shares


def combine_pair(share_i: bytes, share_j: bytes) -> bytes:
    if len(share_i) != KEY_LEN or len(share_j) != KEY_LEN:
        raise InvalidKeyMaterial
    return _xor(share_i, share_j)
