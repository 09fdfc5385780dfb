"""Slot tags (decision 0005): a slot an account seals for itself carries a tag only it can make.

HPKE base mode lets anyone seal to a public key, so a database writer could put a key they
chose in place of a person's slot. The tag is an HMAC under a key derived from the account's
private key, over the slot's HPKE ``info`` and a digest of the sealed bytes: without the
private key no one can make one, and a tag cannot move to another slot, row or account.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys import hybrid
from keys.binding import bind
from keys.errors import SlotForged

TAG_LEN = 32


def slot_mac_key(private_key: hybrid.PrivateKey, account_id: str) -> bytes:
    """HKDF-SHA256 of the account's private key, bound to the account."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=bind("slot-mac-key", account_id)).derive(private_key.raw)


def slot_tag(mac_key: bytes, *, info: bytes, sealed: bytes) -> bytes:
    message = bind("slot-tag", info, hashlib.sha256(sealed).digest())
    return hmac.new(mac_key, message, hashlib.sha256).digest()


def check_tag(mac_key: bytes, *, info: bytes, sealed: bytes, tag: bytes | None,
              kind: str) -> None:
    """:raises SlotForged: for a missing or wrong tag; compared in constant time."""
    expected = slot_tag(mac_key, info=info, sealed=sealed)
    if tag is None or not hmac.compare_digest(expected, bytes(tag)):
        raise SlotForged(kind=kind)


def seal_own(private_key: hybrid.PrivateKey, account_id: str, plaintext: bytes, *,
             info: bytes) -> tuple[bytes, bytes]:
    """Seal to the account's own public key (derived, never the stored one); return it and its tag."""
    sealed = hybrid.seal_to(private_key.public_key(), plaintext, info=info)
    return sealed, slot_tag(slot_mac_key(private_key, account_id), info=info, sealed=sealed)


def open_own(private_key: hybrid.PrivateKey, account_id: str, sealed: bytes,
             tag: bytes | None, *, info: bytes, kind: str, untagged_allowed: bool = False) -> bytes:
    """Check the tag, then open. An untagged slot opens only when the caller allows it.

    :raises SlotForged: for a wrong tag, or a missing one that is not allowed.
    :raises DecryptionFailed: when a slot with a right tag still does not open (damage).
    """
    if tag is not None or not untagged_allowed:
        check_tag(slot_mac_key(private_key, account_id), info=info, sealed=sealed, tag=tag,
                  kind=kind)
    return hybrid.open_from(private_key, sealed, info=info)


def untagged_marker_message(account_id: str) -> bytes:
    """What the keyring signs to let an account made before slot tags keep untagged slots."""
    return bind("untagged-slots", account_id)
