"""Every key of DESIGN.md's table, each bound to exactly the ids that own it.

A ``Wrapped`` kind wraps a key under a symmetric key (AES-256-GCM, ids in the associated
data); a ``Sealed`` kind seals it to a hybrid public key (HPKE, ids in ``info``). Each kind
names the ids it binds, in order, and refuses a call that gives other ids, so a wrap can
never be made or opened with a binding missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from keys import envelope, hybrid
from keys.binding import BindValue, bind
from keys.errors import DecryptionFailed, InvalidKeyMaterial


@dataclass(frozen=True)
class _Kind:
    label: str
    ids: tuple[str, ...]
    key_length: int = envelope.KEY_LEN

    def binding(self, ids: dict[str, BindValue]) -> bytes:
        if set(ids) != set(self.ids):
            raise InvalidKeyMaterial(f"{self.label} is bound to {', '.join(self.ids)}")
        return bind(self.label, *(ids[name] for name in self.ids))


@dataclass(frozen=True)
class Wrapped(_Kind):
    def wrap(self, wrapping_key: bytes, key: bytes, **ids: BindValue) -> bytes:
        if len(key) != self.key_length:
            raise InvalidKeyMaterial
        return envelope.wrap_key(wrapping_key, key, aad=self.binding(ids))

    def unwrap(self, wrapping_key: bytes, blob: bytes, **ids: BindValue) -> bytes:
        """:raises DecryptionFailed: wrong key, tampered, or bound to other ids."""
        return envelope.unwrap_key(
            wrapping_key, blob, aad=self.binding(ids), length=self.key_length
        )


@dataclass(frozen=True)
class Sealed(_Kind):
    def seal(self, public_key: hybrid.PublicKey, key: bytes, **ids: BindValue) -> bytes:
        if len(key) != self.key_length:
            raise InvalidKeyMaterial
        return hybrid.seal_to(public_key, key, info=self.binding(ids))

    def open(self, private_key: hybrid.PrivateKey, blob: bytes, **ids: BindValue) -> bytes:
        """:raises DecryptionFailed: wrong key, tampered, or bound to other ids."""
        key = hybrid.open_from(private_key, blob, info=self.binding(ids))
        if len(key) != self.key_length:
            raise DecryptionFailed
        return key


# The record key of one epoch, sealed to each full-scope member (the subject, full managers).
RECORD_KEY = Sealed("record-key", ("person", "member", "epoch"))
# Content keys: per section and tier for E and C (scope "section:NAME"), per item for S
# (scope "item:ENTRY_ID"); wrapped by the record key, or sealed to a scoped delegate.
CONTENT_KEY = Wrapped("content-key", ("person", "scope", "tier", "epoch"))
CONTENT_KEY_FOR_DELEGATE = Sealed("content-key", ("person", "scope", "tier", "epoch", "member"))
# The person's private key for P parts: sealed only to the subject (or, in a managed
# record, its managers), never wrapped by the record key, so no share can reach it.
PRIVATE_KEY = Sealed("private-key", ("person", "member"))
# Data keys: one per entry version part and per attachment, wrapped by a content key.
DATA_KEY = Wrapped("data-key", ("person", "entry", "version", "section", "tier"))
ATTACHMENT_KEY = Wrapped("attachment-key", ("person", "attachment", "section", "tier"))
# Audit key pairs: the private half of a person's under the record key, of an account's
# sealed to the account key.
AUDIT_KEY = Wrapped("audit-key", ("person", "epoch"), key_length=hybrid.PRIVATE_LEN)
ACCOUNT_AUDIT_KEY = Sealed("account-audit-key", ("account",), key_length=hybrid.PRIVATE_LEN)
# The household key, sealed to each household manager.
HOUSEHOLD_KEY = Sealed("household-key", ("household", "member"))
# Share keys for links and grants: only ever under the record key, never a narrower key.
SHARE_KEY = Wrapped("share-key", ("share", "person", "epoch"))
# The account's private key, wrapped by each way in: passphrase, recovery code,
# social-recovery key, each session and each API token.
ACCOUNT_KEY = Wrapped("account-key", ("account", "wrapper", "wrapper_id"), hybrid.PRIVATE_LEN)
# A share of a social-recovery key, sealed to one trusted person.
SOCIAL_SHARE = Sealed("social-share", ("account", "share_set", "holder"))

# Parts of entries and attachments are data, not keys: envelope.seal under a data key.
PART = "part"
ATTACHMENT = "attachment"


def part_binding(*, person: str, entry: str, version: int, section: str, tier: str) -> bytes:
    return bind(PART, person, entry, version, section, tier)


def attachment_binding(*, person: str, attachment: str, section: str, tier: str) -> bytes:
    return bind(ATTACHMENT, person, attachment, section, tier)


def record_metadata_binding(*, person: str, what: str, epoch: int) -> bytes:
    """Small sensitive metadata under the record key: a display name, a link label."""
    return bind("record-metadata", person, what, epoch)


def audit_event_binding(*, chain: str, seq: int) -> bytes:
    return bind("audit-event", chain, seq)
