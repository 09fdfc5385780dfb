"""HPKE sealing to ML-KEM-768 + X25519 hybrid key pairs.

Formats v1 (docs/decisions/0001-key-hierarchy-and-formats.md):

- private key: ``0x01 | ML-KEM-768 seed (64) | X25519 private (32)``, 97 bytes. It is only
  ever stored wrapped (``keys.envelope.wrap_key``).
- public key: ``0x01 | ML-KEM-768 public (1184) | X25519 public (32)``, 1217 bytes; stored
  openly, with a MAC under the server keyring so a swapped key is noticed.
- sealed: ``0x01 | HPKE single-shot output (enc | ciphertext)`` with suite
  (ML-KEM-768+X25519, HKDF-SHA256, AES-256-GCM) and ``info = bind(...)``. The single-shot
  API of ``cryptography`` takes no associated data, so every binding goes in ``info``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from keys.errors import DecryptionFailed, InvalidKeyMaterial

FORMAT_V1 = b"\x01"
MLKEM_SEED_LEN = 64
MLKEM_PUBLIC_LEN = 1184
X25519_LEN = 32
PRIVATE_LEN = 1 + MLKEM_SEED_LEN + X25519_LEN
PUBLIC_LEN = 1 + MLKEM_PUBLIC_LEN + X25519_LEN

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw


@dataclass(frozen=True)
class PublicKey:
    """A hybrid public key; ``raw`` is its stored v1 form."""

    raw: bytes

    def _hpke(self) -> hpke.MLKEM768X25519PublicKey:
        return _parsed_public(self.raw)

    def fingerprint(self) -> str:
        """A short, human-comparable fingerprint: SHA-256 of the key, 5 groups of 4 hex."""
        digest = sha256(self.raw).hexdigest()[:20].upper()
        return " ".join(digest[i : i + 4] for i in range(0, 20, 4))


@lru_cache(maxsize=4096)
def _parsed_public(raw: bytes) -> hpke.MLKEM768X25519PublicKey:
    """A public key parsed once: every event of a person's history is sealed to the same
    audit key, and parsing ML-KEM-768's 1,184 bytes is a good part of sealing one. Public
    keys only; a private key is never kept beyond its use."""
    if len(raw) != PUBLIC_LEN or raw[:1] != FORMAT_V1:
        raise InvalidKeyMaterial
    body = raw[1:]
    try:
        ml = mlkem.MLKEM768PublicKey.from_public_bytes(body[:MLKEM_PUBLIC_LEN])
        xk = x25519.X25519PublicKey.from_public_bytes(body[MLKEM_PUBLIC_LEN:])
    except ValueError:
        raise InvalidKeyMaterial from None
    return hpke.MLKEM768X25519PublicKey(ml, xk)


@dataclass(frozen=True)
class PrivateKey:
    """A hybrid private key; ``raw`` is its stored v1 form (97 bytes)."""

    raw: bytes

    def __repr__(self) -> str:  # Never print key bytes into a log or traceback.
        return "PrivateKey(<hidden>)"

    @classmethod
    def generate(cls) -> PrivateKey:
        ml = mlkem.MLKEM768PrivateKey.generate()
        xk = x25519.X25519PrivateKey.generate()
        seed = ml.private_bytes_raw()
        xraw = xk.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return cls(FORMAT_V1 + seed + xraw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> PrivateKey:
        """Check the stored form; :raises DecryptionFailed: when it is not a v1 key."""
        if len(raw) != PRIVATE_LEN or raw[:1] != FORMAT_V1:
            raise DecryptionFailed
        return cls(raw)

    def _parts(self) -> tuple[mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey]:
        body = self.raw[1:]
        try:
            ml = mlkem.MLKEM768PrivateKey.from_seed_bytes(body[:MLKEM_SEED_LEN])
            xk = x25519.X25519PrivateKey.from_private_bytes(body[MLKEM_SEED_LEN:])
        except ValueError:
            raise DecryptionFailed from None
        return ml, xk

    def _hpke(self) -> hpke.MLKEM768X25519PrivateKey:
        ml, xk = self._parts()
        return hpke.MLKEM768X25519PrivateKey(ml, xk)

    def public_key(self) -> PublicKey:
        ml, xk = self._parts()
        return PublicKey(
            FORMAT_V1
            + ml.public_key().public_bytes_raw()
            + xk.public_key().public_bytes(_RAW, _RAW_PUB)
        )


def seal_to(public_key: PublicKey, plaintext: bytes, *, info: bytes) -> bytes:
    """Seal ``plaintext`` so only the holder of the matching private key opens it."""
    return FORMAT_V1 + SUITE.encrypt(plaintext, public_key._hpke(), info=info)


def open_from(private_key: PrivateKey, blob: bytes, *, info: bytes) -> bytes:
    """Open a blob made by ``seal_to``.

    :raises DecryptionFailed: for every failure, including a different ``info``.
    """
    if blob[:1] != FORMAT_V1:
        raise DecryptionFailed
    try:
        return SUITE.decrypt(blob[1:], private_key._hpke(), info=info)
    except Exception:
        # cryptography raises InvalidTag or ValueError by cause; one opaque error for all.
        raise DecryptionFailed from None
