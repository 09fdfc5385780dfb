"""What goes inside an envelope: a version byte, then UTF-8 JSON, padded to a bucket.

The envelope's own version byte describes the cryptography; this one describes the
plaintext, so the shape of what is sealed (an entry part, audit details, a name) can change
later while every older payload stays readable.

- v1 (decision 0001): ``0x01 | UTF-8 JSON``. Read, no longer written: its length is the
  JSON's, so a ciphertext told a template or a name's length.
- v2 (decision 0004): ``0x02 | BE32(n) | JSON (n bytes) | zeros`` up to the smallest power of
  two of at least 1 KiB, so everything short seals to the same length.
"""

from __future__ import annotations

import json
from typing import Any

from keys.errors import DecryptionFailed

PAYLOAD_V1 = b"\x01"
PAYLOAD_V2 = b"\x02"
SMALLEST_BUCKET = 1024
_HEADER_LEN = 5  # The version byte and the 4-byte length.


def _json(value: Any) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and another reader would refuse them.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True, allow_nan=False).encode()


def bucket(length: int) -> int:
    """The padded size of a payload whose header and JSON take ``length`` bytes."""
    size = SMALLEST_BUCKET
    while size < length:
        size *= 2
    return size


def encode(value: Any) -> bytes:
    """Payload v2, which every writer uses."""
    body = _json(value)
    used = _HEADER_LEN + len(body)
    return PAYLOAD_V2 + len(body).to_bytes(4, "big") + body + bytes(bucket(used) - used)


def encode_v1(value: Any) -> bytes:
    """Payload v1, kept only to check the v1 known answers."""
    return PAYLOAD_V1 + _json(value)


def _v2_body(raw: bytes) -> bytes:
    if len(raw) < _HEADER_LEN:
        raise DecryptionFailed
    length = int.from_bytes(raw[1:_HEADER_LEN], "big")
    end = _HEADER_LEN + length
    # Only the writer above makes a v2 payload, so anything it would not write is damage.
    if len(raw) != bucket(end) or raw[end:].strip(b"\x00"):
        raise DecryptionFailed
    return raw[_HEADER_LEN:end]


def decode(raw: bytes) -> Any:
    """:raises DecryptionFailed: for an unknown version, bad padding or damaged JSON, like
    any other payload that does not open."""
    if raw[:1] == PAYLOAD_V2:
        body = _v2_body(raw)
    elif raw[:1] == PAYLOAD_V1:
        body = raw[1:]
    else:
        raise DecryptionFailed
    try:
        return json.loads(body)
    except ValueError:
        raise DecryptionFailed from None
