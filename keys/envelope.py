"""The versioned AES-256-GCM envelope, and keys wrapped in it.

Format v1 (see docs/decisions/0001-key-hierarchy-and-formats.md)::

    0x01 | nonce (12 bytes, random) | ciphertext | tag (16 bytes)

The associated data is never stored: the reader rebuilds it from the row's ids with
``keys.binding.bind``, which is what makes a moved part fail to open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keys.errors import DecryptionFailed, InvalidKeyMaterial

FORMAT_V1 = b"\x01"
KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
MIN_SEALED_LEN = 1 + NONCE_LEN + TAG_LEN


def new_key() -> bytes:
    """Return 32 fresh random bytes from the operating system."""
    return os.urandom(KEY_LEN)


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_LEN:
        raise InvalidKeyMaterial


def seal(key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``key`` with a fresh nonce, bound to ``aad``."""
    _check_key(key)
    nonce = os.urandom(NONCE_LEN)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def seal_with_nonce(key: bytes, plaintext: bytes, *, aad: bytes, nonce: bytes) -> bytes:
    """Deterministic form of ``seal``, only for writing known-answer vectors."""
    _check_key(key)
    if len(nonce) != NONCE_LEN:
        raise InvalidKeyMaterial
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, *, aad: bytes) -> bytes:
    """Decrypt an envelope made by ``seal``.

    :raises DecryptionFailed: for every failure, deliberately indistinguishable.
    """
    if not isinstance(key, bytes) or len(key) != KEY_LEN:
        raise DecryptionFailed
    if blob[:1] != FORMAT_V1 or len(blob) < MIN_SEALED_LEN:
        raise DecryptionFailed
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + NONCE_LEN], blob[1 + NONCE_LEN :], aad)
    except InvalidTag:
        raise DecryptionFailed from None


def wrap_key(wrapping_key: bytes, key: bytes, *, aad: bytes) -> bytes:
    """Wrap a 32-byte key (or a private key's stored bytes) under another key."""
    return seal(wrapping_key, key, aad=aad)


def unwrap_key(wrapping_key: bytes, blob: bytes, *, aad: bytes, length: int = KEY_LEN) -> bytes:
    """Unwrap a key made by ``wrap_key``; a result of the wrong length is a failure too.

    :raises DecryptionFailed: for every failure.
    """
    key = open_sealed(wrapping_key, blob, aad=aad)
    if len(key) != length:
        raise DecryptionFailed
    return key
