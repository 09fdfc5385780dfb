"""Canonical encoding of what a ciphertext is bound to.

Every envelope's associated data and every HPKE ``info`` is ``bind(label, *ids)``.
The encoding is unambiguous: a fixed prefix, then each element as a 2-byte big-endian
length and its UTF-8 bytes. So ``bind("a", "bc")`` can never equal ``bind("ab", "c")``,
and moving a ciphertext to a row with any different id makes it fail to open.
"""

from __future__ import annotations

import uuid

PREFIX = b"tellonce.v1"

BindValue = str | int | bytes | uuid.UUID


def _as_bytes(value: BindValue) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        # A bool is an int in Python; refuse it so a flag is never bound by accident.
        raise TypeError("bind() takes no booleans")
    if isinstance(value, int):
        return str(value).encode("ascii")
    return str(value).encode("utf-8")


def bind(label: str, *values: BindValue) -> bytes:
    """Return the canonical associated data for ``label`` and the ids it is bound to."""
    out = bytearray(PREFIX)
    for element in (label, *values):
        raw = _as_bytes(element)
        if len(raw) > 0xFFFF:
            raise ValueError("bound value too long")
        out += len(raw).to_bytes(2, "big") + raw
    return bytes(out)
