"""An independent reader of the v1 formats, written from docs/decisions/0001 alone.

It imports nothing from the project (``keys``, ``vault``, ...): if a change altered a format in
the project's writer and its reader alike, the project's own tests could still pass, but this
reader would not.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def bind(label: str, *ids: str | int | bytes) -> bytes:
    out = b"tellonce.v1"
    for element in (label, *ids):
        raw = element if isinstance(element, bytes) else str(element).encode("utf-8")
        out += len(raw).to_bytes(2, "big") + raw
    return out


def open_envelope(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """0x01 | nonce 12 | ciphertext | tag 16, AES-256-GCM."""
    if blob[:1] != b"\x01" or len(key) != 32:
        raise ValueError("not an envelope v1")
    return AESGCM(key).decrypt(blob[1:13], blob[13:], aad)


def _private_parts(private: bytes) -> tuple[mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey]:
    """0x01 | ML-KEM-768 seed 64 | X25519 private 32."""
    if private[:1] != b"\x01" or len(private) != 97:
        raise ValueError("not a private key v1")
    ml = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[1:65])
    return ml, x25519.X25519PrivateKey.from_private_bytes(private[65:])


def public_key(private: bytes) -> bytes:
    """0x01 | ML-KEM-768 public 1184 | X25519 public 32."""
    ml, xk = _private_parts(private)
    return b"\x01" + ml.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()


def open_sealed(private: bytes, blob: bytes, info: bytes) -> bytes:
    """0x01 | HPKE single-shot enc || ct, empty aad, ``info`` = bind(...)."""
    if blob[:1] != b"\x01":
        raise ValueError("not a sealed v1")
    return SUITE.decrypt(blob[1:], hpke.MLKEM768X25519PrivateKey(*_private_parts(private)), info=info)


def decode_payload(raw: bytes) -> Any:
    """Payload v1: 0x01 | UTF-8 JSON."""
    if raw[:1] != b"\x01":
        raise ValueError("not a payload v1")
    return json.loads(raw[1:].decode("utf-8"))


def content_scope(section: str, item: str, tier: str) -> str:
    """E and C share one content key per section; each S entry or attachment has its own."""
    return f"item:{item}" if tier == "S" else f"section:{section}"


def open_content_key(
    record_key: bytes, wrapped: bytes, *, person: str, scope: str, tier: str, epoch: int
) -> bytes:
    return open_envelope(record_key, wrapped, bind("content-key", person, scope, tier, epoch))


def open_entry_part(
    content_key: bytes, wrapped_data_key: bytes, ciphertext: bytes,
    *, person: str, entry: str, version: int, section: str, tier: str,
) -> Any:
    """``content_key``: the content key of the part's scope, or for P the person's private key."""
    ids = (person, entry, version, section, tier)
    data_key = open_envelope(content_key, wrapped_data_key, bind("data-key", *ids))
    return decode_payload(open_envelope(data_key, ciphertext, bind("part", *ids)))


def open_attachment(
    content_key: bytes, wrapped_key: bytes, ciphertext: bytes,
    *, person: str, attachment: str, section: str, tier: str,
) -> tuple[Any, bytes]:
    """The header ({"filename", "media_type"}) and the content of an attachment."""
    ids = (person, attachment, section, tier)
    data_key = open_envelope(content_key, wrapped_key, bind("attachment-key", *ids))
    plaintext = open_envelope(data_key, ciphertext, bind("attachment", *ids))
    if plaintext[:1] != b"\x01" or len(plaintext) < 5:
        raise ValueError("not an attachment v1")
    end = 5 + int.from_bytes(plaintext[1:5], "big")
    return json.loads(plaintext[5:end].decode("utf-8")), plaintext[end:]
