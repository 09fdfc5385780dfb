"""An independent reader of the stored formats, written from docs/decisions/0001, 0002 and 0004.

It imports nothing from the project (``keys``, ``vault``, ...): if a change altered a format in
the project's writer and its reader alike, the project's own tests could still pass, but this
reader would not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
from typing import Any

from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwe, jwk

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
    """Payload v1: 0x01 | UTF-8 JSON. Payload v2 (0004): 0x02 | BE32(n) | JSON | zeros to the
    smallest power of two of at least 1024 bytes."""
    if raw[:1] == b"\x01":
        return json.loads(raw[1:].decode("utf-8"))
    if raw[:1] != b"\x02" or len(raw) < 5:
        raise ValueError("not a payload v1 or v2")
    end = 5 + int.from_bytes(raw[1:5], "big")
    size = 1024
    while size < end:
        size *= 2
    if len(raw) != size or any(raw[end:]):
        raise ValueError("a payload v2 is padded with zeros to its bucket")
    return json.loads(raw[5:end].decode("utf-8"))


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
    """The header ({"filename", "media_type"}, and "size" in v2) and the content."""
    ids = (person, attachment, section, tier)
    data_key = open_envelope(content_key, wrapped_key, bind("attachment-key", *ids))
    return parse_attachment(open_envelope(data_key, ciphertext, bind("attachment", *ids)))


def attachment_bucket(n: int) -> int:
    """0009: a power of two of at least 64 KiB up to 1 MiB; above, a multiple of an eighth of
    the largest power of two not above n."""
    if n <= 1 << 20:
        size = 1 << 16
        while size < n:
            size *= 2
        return size
    step = (1 << (n.bit_length() - 1)) // 8
    return -(-n // step) * step


def parse_attachment(plaintext: bytes) -> tuple[Any, bytes]:
    """v1 (0001): 0x01 | BE32(h) | header | content. v2 (0009): 0x02 | BE32(h) | header |
    content | zeros to the bucket of everything before the zeros."""
    if plaintext[:1] not in (b"\x01", b"\x02") or len(plaintext) < 5:
        raise ValueError("not an attachment v1 or v2")
    end = 5 + int.from_bytes(plaintext[1:5], "big")
    header = json.loads(plaintext[5:end].decode("utf-8"))
    if plaintext[:1] == b"\x01":
        return header, plaintext[end:]
    used = end + header["size"]
    if len(plaintext) != attachment_bucket(used) or any(plaintext[used:]):
        raise ValueError("an attachment v2 is padded with zeros to its bucket")
    return header, plaintext[end:used]


# -- Share links, from docs/decisions/0002-share-links.md alone --------------------------------
# The copy is opened with jwcrypto, not joserfc (which keys/share.py uses), so a JOSE quirk
# shared by the project's writer and reader cannot hide here.

SHLINK_PREFIX = "shlink:/"
COPY_HEADER = {"alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json"}
_B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url only: no "=", no "+" or "/", nothing outside the alphabet."""
    if not set(text) <= _B64URL or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_shlink(link: str) -> dict[str, Any]:
    """The payload after the last "#" (a viewer prefix is allowed): shlink:/ base64url(JSON)."""
    fragment = link.rsplit("#", 1)[-1]
    if not fragment.startswith(SHLINK_PREFIX):
        raise ValueError("not a shlink")
    payload = json.loads(b64url_decode(fragment[len(SHLINK_PREFIX) :]).decode("utf-8"))
    if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
        raise ValueError("not a shlink payload")
    if len(b64url_decode(payload["key"])) != 32:
        raise ValueError("a share key is 32 bytes")
    return payload


def lookup_digest(kind: str, secret: bytes) -> bytes:
    """What the database keeps of a bearer secret: SHA-256(bind("lookup", kind) | secret)."""
    return hashlib.sha256(bind("lookup", kind) + secret).digest()


def device_digest(account_id: str, secret: bytes) -> bytes:
    """0010: SHA-256(bind("lookup", "device", account) | secret)."""
    return hashlib.sha256(bind("lookup", "device", account_id) + secret).digest()


def open_share_key(record_key: bytes, blob: bytes, *, link_id: str, person: str, epoch: int) -> bytes:
    """share_key_wrap: an envelope v1 under the record key, bound to the link, person and epoch."""
    key = open_envelope(record_key, blob, bind("share-key", link_id, person, epoch))
    if len(key) != 32:
        raise ValueError("a share key is 32 bytes")
    return key


def open_link_meta(record_key: bytes, blob: bytes, *, person: str, link_id: str, epoch: int) -> Any:
    """meta_sealed: payload v1 in an envelope v1, bound as record-metadata "link:<id>"."""
    aad = bind("record-metadata", person, f"link:{link_id}", epoch)
    return decode_payload(open_envelope(record_key, blob, aad))


def open_copy(share_key: bytes, token: str) -> tuple[bytes, bytes]:
    """The raw protected header and the plaintext of a copy; any other header is refused."""
    header = b64url_decode(token.split(".", 1)[0])
    if json.loads(header) != COPY_HEADER:
        raise ValueError("not the copy header of 0002")
    key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(share_key).rstrip(b"=").decode("ascii"))
    opened = jwe.JWE()
    opened.allowed_algs = ["dir", "A256GCM"]
    opened.deserialize(token, key=key)
    return header, opened.payload


def passcode_digest(key: bytes, link_id: str, passcode: str) -> bytes:
    """HMAC-SHA256(key, bind("link-passcode", link_id) | UTF-8(NFC(passcode)))."""
    message = bind("link-passcode", link_id) + unicodedata.normalize("NFC", passcode).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


# -- The keyed history, from docs/decisions/0004 alone -----------------------------------------


def audit_chain_key(signing_secret: bytes) -> bytes:
    """HKDF-SHA256(signing secret, no salt, info = bind("audit-chain-key"), 32 bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=bind("audit-chain-key")).derive(signing_secret)


def audit_event_hash(event: dict[str, Any], *, chain: str, prev: bytes, signing_secret: bytes) -> bytes:
    """v1 (no key id): SHA-256 over bind("audit", ...); v2: HMAC under the chain key; v3
    (format 3, decision 0015): HMAC over a label of its own, with no actor column."""
    sealed = bytes.fromhex(event["sealed"]) if event["sealed"] else None
    digest = hashlib.sha256(sealed).digest() if sealed is not None else b""
    if event.get("format") == 3:  # Decision 0015: the actor is inside the sealed bytes.
        material = bind("audit-event-mac-v3", chain, event["seq"], event["at"], event["kind"],
                        digest, event["key_id"])
        return hmac.new(audit_chain_key(signing_secret), prev + material, hashlib.sha256).digest()
    common = (chain, event["seq"], event["at"], event["kind"], event["actor_account_id"] or "", digest)
    if event["key_id"] is None:
        return hashlib.sha256(prev + bind("audit", *common)).digest()
    material = bind("audit-event-mac", *common, event["key_id"])
    return hmac.new(audit_chain_key(signing_secret), prev + material, hashlib.sha256).digest()


def verify_kept_head(kept: dict[str, Any], signing_secret: bytes) -> None:
    """Ed25519 over bind("audit-head", chain, seq, hash); raises InvalidSignature if not."""
    message = bind("audit-head", kept["chain"], kept["seq"], bytes.fromhex(kept["hash"]))
    public = Ed25519PrivateKey.from_private_bytes(signing_secret).public_key()
    public.verify(b64url_decode(kept["signature"]), message)


# -- Slot tags, from docs/decisions/0005 alone -------------------------------------------------


def slot_mac_key(private: bytes, account_id: str) -> bytes:
    """HKDF-SHA256(account private key v1, no salt, info = bind("slot-mac-key", account), 32)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=bind("slot-mac-key", account_id)).derive(private)


def slot_tag(mac_key: bytes, info: bytes, sealed: bytes) -> bytes:
    """HMAC-SHA256(slot MAC key, bind("slot-tag", info, SHA-256(sealed)))."""
    return hmac.new(mac_key, bind("slot-tag", info, hashlib.sha256(sealed).digest()),
                    hashlib.sha256).digest()


def verify_untagged_marker(account_id: str, signature: bytes, signing_secret: bytes) -> None:
    """Ed25519 over bind("untagged-slots", account); raises InvalidSignature if not."""
    public = Ed25519PrivateKey.from_private_bytes(signing_secret).public_key()
    public.verify(signature, bind("untagged-slots", account_id))


# -- Logins and notice addresses, from docs/decisions/0006 alone -------------------------------


def contact_sub_key(secret: bytes, label: str) -> bytes:
    """HKDF-SHA256(contact secret, no salt, info = bind(label), 32): "contact-digest" or "-seal"."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=bind(label)).derive(secret)


def contact_digest(secret: bytes, label: str, typed: str) -> bytes:
    """HMAC-SHA256(digest key, bind(label, stripped and casefolded value))."""
    return hmac.new(contact_sub_key(secret, "contact-digest"), bind(label, typed.strip().casefold()),
                    hashlib.sha256).digest()


def open_contact(secret: bytes, blob: bytes, *, label: str, account: str, key_id: str) -> Any:
    """Envelope v1 under the seal key, aad = bind(label, account, key id); a payload v2."""
    key = contact_sub_key(secret, "contact-seal")
    return decode_payload(open_envelope(key, blob, bind(label, account, key_id)))


def copy_bucket(json_length: int) -> int:
    """Decision 0008: the smallest power of two of at least max(32768, the JSON's length)."""
    size = 32768
    while size < json_length:
        size *= 2
    return size


# -- Addresses under a key of the day, from docs/decisions/0011 alone ---------------------------


def open_address_day_key(address_secret: bytes, wrapped: bytes, *, day: str, key_id: str) -> bytes:
    """Envelope v1 under HKDF(address secret, info = bind("address-day-key-wrap")), aad =
    bind("address-day-key", day, key id): 32 bytes."""
    wrap_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=bind("address-day-key-wrap")).derive(address_secret)
    day_key = open_envelope(wrap_key, wrapped, bind("address-day-key", day, key_id))
    if len(day_key) != 32:
        raise ValueError("a day key is 32 bytes")
    return day_key


def address_digest(day_key: bytes, label: str, *values: str) -> bytes:
    """HMAC-SHA256(day key, bind(label, *values))."""
    return hmac.new(day_key, bind(label, *values), hashlib.sha256).digest()


# -- Sections and scopes under a record's metadata key, from docs/decisions/0012 alone ----------


def open_metadata_key(record_key: bytes, wrapped: bytes, *, person: str, epoch: int) -> bytes:
    """Envelope v1 under the record key, aad = bind("metadata-key", person, epoch)."""
    return open_envelope(record_key, wrapped, bind("metadata-key", person, epoch))


def metadata_sub_key(metadata_key: bytes, label: str) -> bytes:
    """HKDF-SHA256(M, no salt, info = bind(label)): "record-metadata-seal" or "-index"."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=bind(label)).derive(metadata_key)


def open_section(metadata_key: bytes, sealed: bytes, *, what: str, person: str, row_id: str) -> str:
    """Envelope v1 under the seal key, aad = bind(what, person, id); the name, zero-padded to 48."""
    padded = open_envelope(metadata_sub_key(metadata_key, "record-metadata-seal"), sealed,
                           bind(what, person, row_id))
    if len(padded) != 48:
        raise ValueError("a sealed section is 48 bytes")
    return padded.rstrip(b"\x00").decode("utf-8")


def scope_index(metadata_key: bytes, scope: str) -> str:
    """hex(HMAC-SHA256(index key, bind("scope", scope)))."""
    return hmac.new(metadata_sub_key(metadata_key, "record-metadata-index"), bind("scope", scope),
                    hashlib.sha256).hexdigest()


def open_author(metadata_key: bytes, sealed: bytes, *, what: str, ids: list[Any]) -> list[Any]:
    """Decision 0013: envelope v1 under the seal key, aad = bind(what, *ids); compact JSON
    [role, account id or null], zero-padded to 96 bytes."""
    padded = open_envelope(metadata_sub_key(metadata_key, "record-metadata-seal"), sealed,
                           bind(what, *ids))
    if len(padded) != 96:
        raise ValueError("a sealed author is 96 bytes")
    value: list[Any] = json.loads(padded.rstrip(b"\x00"))
    return value


def tier_index(metadata_key: bytes, label: str, *ids: Any) -> str:
    """Decision 0014: hex(HMAC-SHA256(index key, bind(label, *ids, tier)))."""
    return hmac.new(metadata_sub_key(metadata_key, "record-metadata-index"), bind(label, *ids),
                    hashlib.sha256).hexdigest()
