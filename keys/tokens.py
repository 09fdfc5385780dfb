"""Bearer secrets (session, API token, link id) and recovery codes.

A bearer secret is 256 random bits. The server stores only ``lookup_digest`` (SHA-256), and
derives from the same secret, with HKDF under another label, the key that wraps the
account key: so the secret itself is both the way in and the key, and a copy of the
database holds neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.binding import bind
from keys.errors import InvalidKeyMaterial

SECRET_LEN = 32
# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
RECOVERY_CODE_CHARS = 30  # 150 bits: the design asks for at least 128.
RECOVERY_GROUP = 5


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise InvalidKeyMaterial from None


def new_bearer(prefix: str) -> tuple[str, bytes]:
    """Return ``(token_text, secret)``; the prefix tells a leaked token's kind at a glance."""
    secret = os.urandom(SECRET_LEN)
    return f"{prefix}_{_b64(secret)}", secret


def parse_bearer(prefix: str, token: str) -> bytes:
    """Return the secret inside ``token``; :raises InvalidKeyMaterial: if it is malformed."""
    head, sep, body = token.partition("_")
    if sep != "_" or head != prefix or len(body) != 43:
        raise InvalidKeyMaterial
    secret = _unb64(body)
    if len(secret) != SECRET_LEN:
        raise InvalidKeyMaterial
    return secret


def lookup_digest(kind: str, secret: bytes) -> bytes:
    """SHA-256 of a 256-bit secret, separated by kind: the only form the database keeps."""
    return hashlib.sha256(bind("lookup", kind) + secret).digest()


def account_lookup_digest(kind: str, account_id: str, secret: bytes) -> bytes:
    """SHA-256 of a secret that one browser shows to several accounts (a device cookie),
    bound to the account too, so two accounts' rows never share a digest (decision 0010)."""
    return hashlib.sha256(bind("lookup", kind, account_id) + secret).digest()


def wrapping_key(kind: str, secret: bytes) -> bytes:
    """The key a bearer secret contributes, independent of its lookup digest."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=bind("bearer-key", kind)
    ).derive(secret)


def new_recovery_code() -> str:
    """A fresh recovery code: 30 Crockford base32 characters, in groups of five."""
    chars = "".join(secrets.choice(CROCKFORD) for _ in range(RECOVERY_CODE_CHARS))
    return "-".join(
        chars[i : i + RECOVERY_GROUP] for i in range(0, RECOVERY_CODE_CHARS, RECOVERY_GROUP)
    )


def normalise_recovery_code(code: str) -> str:
    """Accept the code however it was copied: any case, spaces or dashes, O for 0."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -\t\n")
    cleaned = cleaned.translate(_CROCKFORD_ALIASES)
    if len(cleaned) != RECOVERY_CODE_CHARS or any(ch not in CROCKFORD for ch in cleaned):
        raise InvalidKeyMaterial("That recovery code is not the right length or shape.")
    return cleaned


def recovery_key(code: str, *, account_id: str, code_id: str) -> bytes:
    """The key a recovery code gives. The code has 150 bits, so no slow hash is needed."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=bind("recovery-key", account_id, code_id),
    ).derive(normalise_recovery_code(code).encode("ascii"))


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison for every secret the server checks."""
    return hmac.compare_digest(a, b)
