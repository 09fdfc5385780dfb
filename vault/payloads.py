"""What goes inside an envelope: a version byte, then UTF-8 JSON.

The envelope's own version byte describes the cryptography; this one describes the
plaintext, so the shape of what is sealed (an entry part, audit details, a name) can change
later while every older payload stays readable. Format v1: ``0x01 | UTF-8 JSON``.
"""

from __future__ import annotations

import json
from typing import Any

from keys.errors import DecryptionFailed

PAYLOAD_V1 = b"\x01"


def encode(value: Any) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and another reader would refuse them.
    return PAYLOAD_V1 + json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                   sort_keys=True, allow_nan=False).encode()


def decode(raw: bytes) -> Any:
    """:raises DecryptionFailed: for an unknown version or damaged JSON, like any other
    payload that does not open."""
    if raw[:1] != PAYLOAD_V1:
        raise DecryptionFailed
    try:
        return json.loads(raw[1:])
    except ValueError:
        raise DecryptionFailed from None
