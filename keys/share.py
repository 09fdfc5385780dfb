"""Share links as SMART Health Links: the link's two secrets, its passcode digest, its JWE copy.

A link is ``VIEWER#shlink:/PAYLOAD`` where the payload names the manifest's URL and the
share key; which addresses those are is the server's to say (``consent.sharing``), not this
module's. ``ID`` (256 random bits) is looked up by its SHA-256 only;
the key travels after ``#``, so the server never receives it. The copy a link serves is a
compact JWE, ``dir`` + ``A256GCM`` under the share key, sealed with AES-GCM and opened by
joserfc. The formats are fixed by docs/decisions/0002-share-links.md, with vectors in
tests/unit/keys/vectors/share_v1.json.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import unicodedata
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import OctKey

from keys import tokens
from keys.binding import bind
from keys.errors import CopyTooLarge, DecryptionFailed, InvalidKeyMaterial

SECRET_LEN = 32
# The most a link's copy may hold, before encryption: thousands of entries, and few enough for
# any SHL viewer to fetch and decrypt on a phone (DESIGN.md, "Share links").
MAX_COPY_BYTES = 16 * 1024 * 1024
# Copies are padded with spaces to a power of two of at least this (decision 0008).
MIN_COPY_BUCKET = 32 * 1024
JWE_HEADER = {"alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json"}
# The SMART Health Links specification caps a link's label at 80 characters.
MAX_LABEL = 80
SHLINK_PREFIX = "shlink:/"
LOOKUP_KIND = "link"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url(data: bytes | memoryview) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """:raises InvalidKeyMaterial: for anything but unpadded base64url."""
    # The standard library's decoder skips characters outside the alphabet; a damaged link
    # must be refused, not read as something else.
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidKeyMaterial
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidKeyMaterial from None


def new_secrets() -> tuple[bytes, bytes]:
    """A new link's manifest id and share key, each 32 random bytes."""
    return os.urandom(SECRET_LEN), os.urandom(SECRET_LEN)


def parse_manifest_id(text: str) -> bytes:
    """The 32-byte id in a manifest URL. :raises InvalidKeyMaterial: if it is not one."""
    if len(text) != 43:
        raise InvalidKeyMaterial
    secret = unb64url(text)
    if len(secret) != SECRET_LEN or b64url(secret) != text:
        raise InvalidKeyMaterial
    return secret


def lookup(manifest_id: bytes) -> bytes:
    """The only form of the manifest id the database keeps."""
    return tokens.lookup_digest(LOOKUP_KIND, manifest_id)


def passcode_message(link_id: str, passcode: str) -> bytes:
    """What the keyring's ``passcode`` key MACs: the link's row id and the NFC passcode.

    Bound to the link, so a digest copied to another link's row does not match there.
    """
    return bind("link-passcode", link_id) + unicodedata.normalize("NFC", passcode).encode()


def _copy_registry() -> JWERegistry:
    """joserfc's checks, with the size of a copy set to this project's own limit.

    joserfc refuses a ciphertext over 64 KiB unless told otherwise, and a record's copy is
    often bigger (a hundred entries make about 110 KiB): the limit is ``MAX_COPY_BYTES``, the
    same for sealing and opening, so every copy the server makes opens.
    """
    registry = JWERegistry(algorithms=["dir", "A256GCM"])
    # joserfc checks the whole compact text against the sum of its parts' limits, and the text
    # is base64url, a third longer than the bytes: the limit is the encoded size of the most.
    registry.max_ciphertext_length = -(-MAX_COPY_BYTES // 3) * 4
    return registry


_REGISTRY = _copy_registry()
_PROTECTED = base64.urlsafe_b64encode(
    json.dumps(JWE_HEADER, separators=(",", ":")).encode()).rstrip(b"=")
_IV_LEN, _TAG_LEN = 12, 16  # A256GCM's (RFC 7518, 5.3)


def pad_copy(plaintext: bytes) -> bytes:
    """The copy's JSON followed by spaces to its bucket (decision 0008), which JSON allows,
    so its length tells only the power of two above the size of what is shared.

    :raises CopyTooLarge: for more than ``MAX_COPY_BYTES``.
    """
    if len(plaintext) > MAX_COPY_BYTES:
        raise CopyTooLarge
    bucket = MIN_COPY_BUCKET
    while bucket < len(plaintext):
        bucket *= 2
    return plaintext + b" " * (bucket - len(plaintext))


def copy_is_padded(token: str) -> bool:
    """Whether a stored copy was sealed padded (decision 0008), from its length alone: with
    AES-GCM the ciphertext is as long as the padded plaintext, a power of two."""
    parts = token.split(".")
    if len(parts) != 5:
        return False
    try:
        length = len(unb64url(parts[3]))
    except InvalidKeyMaterial:
        return False
    return length >= MIN_COPY_BUCKET and length & (length - 1) == 0


def seal_copy(share_key: bytes, plaintext: bytes) -> str:
    """The compact JWE of a shared copy, padded: a fresh 96-bit IV each time, no compression.

    Sealed with AES-GCM itself (RFC 7516, 5.1): with ``dir`` there is no key to wrap, and the
    header is fixed, so a JWE is its encoded header, an empty key, the IV, the ciphertext and
    the tag. An edit seals one copy per live link: joserfc took twice as long for a copy of
    32 KiB, the size of most, and a quarter longer at 128 KiB. joserfc still opens every copy
    (``open_copy``), and the tests open them with jwcrypto too.

    :raises CopyTooLarge: for more than ``MAX_COPY_BYTES``.
    """
    if len(share_key) != SECRET_LEN:
        raise InvalidKeyMaterial
    iv = os.urandom(_IV_LEN)
    # The associated data is the encoded protected header, as ASCII (RFC 7516, 5.1, step 14).
    sealed = memoryview(AESGCM(share_key).encrypt(iv, pad_copy(plaintext), _PROTECTED))
    return ".".join((_PROTECTED.decode("ascii"), "", b64url(iv), b64url(sealed[:-_TAG_LEN]),
                     b64url(sealed[-_TAG_LEN:])))


def open_copy(share_key: bytes, token: str) -> bytes:
    """:raises DecryptionFailed: wrong key, tampered, too large, or not exactly this project's
    header."""
    if len(share_key) != SECRET_LEN:
        raise DecryptionFailed
    try:
        result = jwe.decrypt_compact(token, OctKey.import_key(share_key), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError):
        raise DecryptionFailed from None
    if result.protected != JWE_HEADER or result.plaintext is None:
        raise DecryptionFailed
    return result.plaintext


def shlink(*, viewer_url: str, manifest_url: str, share_key: bytes, label: str,
           flags: str) -> str:
    """The link the person shares: the viewer's address with the SHL payload after ``#``.

    No ``exp`` in the payload: the server's expiry decides, so renewing keeps the same link
    and the same printed QR code (DESIGN.md).
    """
    payload: dict[str, Any] = {
        "url": manifest_url,
        "key": b64url(share_key),
        "flag": "".join(sorted(set(flags))),
        "label": label[:MAX_LABEL],
        "v": 1,
    }
    encoded = b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{viewer_url}#{SHLINK_PREFIX}{encoded}"


def parse_shlink(link: str) -> dict[str, Any]:
    """The payload of a link, with or without a viewer prefix.

    :raises InvalidKeyMaterial: when the text is not a SMART Health Link.
    """
    _, _, rest = link.rpartition("#") if "#" in link else ("", "", link)
    if not rest.startswith(SHLINK_PREFIX):
        raise InvalidKeyMaterial
    try:
        payload = json.loads(unb64url(rest[len(SHLINK_PREFIX):]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidKeyMaterial from None
    if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
        raise InvalidKeyMaterial
    key = unb64url(payload.get("key", ""))
    if len(key) != SECRET_LEN:
        raise InvalidKeyMaterial
    return payload
