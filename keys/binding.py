"""Canonical encoding of what a ciphertext is bound to.

Every envelope's associated data and every HPKE ``info`` is ``bind(label, *ids)``.
The encoding is unambiguous: a fixed prefix, then each element as a 2-byte big-endian
length and its UTF-8 bytes. So ``bind("a", "bc")`` can never equal ``bind("ab", "c")``,
and moving a ciphertext to a row with any different id makes it fail to open.
"""

from __future__ import annotations

import struct
import uuid

PREFIX = b"tellonce.v1"
_LENGTH = struct.Struct(">H").pack

BindValue = str | int | bytes | uuid.UUID


def _as_bytes(value: BindValue) -> bytes:
    # The exact types first: this runs for every id of every binding, thousands of times
    # for a whole record, and a type lookup costs less than a chain of isinstance checks.
    kind = type(value)
    if kind is str:
        return value.encode("utf-8")  # type: ignore[union-attr]
    if kind is bytes:
        return value  # type: ignore[return-value]
    if kind is int:
        return str(value).encode("ascii")
    if isinstance(value, bool):
        # A bool is an int in Python; refuse it so a flag is never bound by accident.
        raise TypeError("bind() takes no booleans")
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, int):
        return str(value).encode("ascii")
    return str(value).encode("utf-8")


def bind(label: str, *values: BindValue) -> bytes:
    """Return the canonical associated data for ``label`` and the ids it is bound to."""
    out = [PREFIX]
    for element in (label, *values):
        raw = _as_bytes(element)
        if len(raw) > 0xFFFF:
            raise ValueError("bound value too long")
        out.append(_LENGTH(len(raw)))
        out.append(raw)
    return b"".join(out)
