"""Tables of the vault. Every column a person typed into is ciphertext (``*_ct``, ``sealed``,
``ciphertext``); what stays plain is listed in DESIGN.md ("What stays in plaintext")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps go in and come out timezone-aware in UTC on every database.

    SQLite has no time zones, so there the value is stored as naive UTC; a naive datetime
    handed in is refused, because it would be ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


Bytes = LargeBinary


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # No login or address in the clear (decision 0006): each is found by a keyring digest and
    # sealed under the keyring's contact key, named by contact_key_id.
    login_digest: Mapped[bytes] = mapped_column(Bytes(32), unique=True)
    login_sealed: Mapped[bytes] = mapped_column(Bytes)
    email_digest: Mapped[bytes | None] = mapped_column(Bytes(32), unique=True)
    email_sealed: Mapped[bytes | None] = mapped_column(Bytes)
    contact_key_id: Mapped[str] = mapped_column(String(80))
    kdf_params: Mapped[str] = mapped_column(String(200))
    kdf_salt: Mapped[bytes] = mapped_column(Bytes)
    pepper_id: Mapped[str] = mapped_column(String(80))
    passphrase_wrap: Mapped[bytes] = mapped_column(Bytes)
    recovery_code_id: Mapped[str] = mapped_column(String(36))
    recovery_wrap: Mapped[bytes] = mapped_column(Bytes)
    public_key: Mapped[bytes] = mapped_column(Bytes)
    public_key_mac: Mapped[bytes] = mapped_column(Bytes)
    public_key_mac_id: Mapped[str] = mapped_column(String(80))
    audit_public_key: Mapped[bytes] = mapped_column(Bytes)
    audit_public_key_mac: Mapped[bytes] = mapped_column(Bytes)
    audit_public_key_mac_id: Mapped[str] = mapped_column(String(80))
    audit_private_sealed: Mapped[bytes] = mapped_column(Bytes)
    audit_private_tag: Mapped[bytes | None] = mapped_column(Bytes(32))
    # Set only by the migration that brought slot tags, for accounts that existed then: a
    # keyring signature letting their untagged slots open until the next sign-in tags them.
    untagged_slots_key_id: Mapped[str | None] = mapped_column(String(80))
    untagged_slots_signature: Mapped[bytes | None] = mapped_column(Bytes(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInThrottle(Base):
    """Consecutive sign-in failures per login and per address, keyed by an HMAC."""

    __tablename__ = "sign_in_throttles"

    key_digest: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AddressKey(Base):
    """The key of one UTC day under which client addresses are counted (decision 0011),
    wrapped under the keyring's address key; deleted once its day is over. Not kept here when
    Redis is configured: it lives there only."""

    __tablename__ = "address_keys"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2026-12-07", in UTC.
    # The keyring's address key that wraps it: a new current key starts a new key of the day.
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(Bytes(61))


class SignInSession(Base):
    __tablename__ = "sessions"

    id_digest: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    account_key_wrap: Mapped[bytes] = mapped_column(Bytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    id_digest: Mapped[bytes] = mapped_column(Bytes(32), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The name a person gave the token is theirs: sealed to their account key.
    name_sealed: Mapped[bytes] = mapped_column(Bytes)
    name_tag: Mapped[bytes | None] = mapped_column(Bytes(32))
    scopes: Mapped[str] = mapped_column(String(40))
    person_ids: Mapped[str] = mapped_column(String(4000))
    account_key_wrap: Mapped[bytes] = mapped_column(Bytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    subject_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    display_name_ct: Mapped[bytes] = mapped_column(Bytes)
    audit_public_key: Mapped[bytes] = mapped_column(Bytes)
    audit_public_key_mac: Mapped[bytes] = mapped_column(Bytes)
    audit_public_key_mac_id: Mapped[str] = mapped_column(String(80))
    audit_private_wrapped: Mapped[bytes] = mapped_column(Bytes)
    # Seals each entry's and file's section and keys content-key scopes (decision 0012);
    # wrapped under the record key of its epoch. None for a record not upgraded yet.
    metadata_key_wrapped: Mapped[bytes | None] = mapped_column(Bytes)
    metadata_key_epoch: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    destroy_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("person_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordKeySlot(Base):
    __tablename__ = "record_key_slots"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    sealed: Mapped[bytes] = mapped_column(Bytes)
    # Slot tag (decision 0005): only the account that sealed the slot can make it.
    tag: Mapped[bytes | None] = mapped_column(Bytes(32))


class PrivateKeySlot(Base):
    __tablename__ = "private_key_slots"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[bytes] = mapped_column(Bytes)
    # Slot tag (decision 0005): only the account that sealed the slot can make it.
    tag: Mapped[bytes | None] = mapped_column(Bytes(32))


class ContentKey(Base):
    __tablename__ = "content_keys"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    # The scope's HMAC under the record's index key (decision 0012), or on a row of a record
    # not upgraded yet, the scope itself; the wrap binds the plain scope either way.
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    tier: Mapped[str] = mapped_column(String(1), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(Bytes)


class Entry(Base):
    __tablename__ = "entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # Which sections have entries is visible on purpose (SECURITY.md); what they say is not.
    # Sealed under the record's metadata key (decision 0012); the plain name only on a row
    # of a record not upgraded yet.
    section: Mapped[str | None] = mapped_column(String(40))
    section_sealed: Mapped[bytes | None] = mapped_column(Bytes)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EntryVersion(Base):
    __tablename__ = "entry_versions"

    entry_id: Mapped[str] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Plain only on a version from before decision 0013; sealed on every other.
    author_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    author_role: Mapped[str | None] = mapped_column(String(20))
    author_sealed: Mapped[bytes | None] = mapped_column(Bytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when this version marks the entry deleted, so deletion is itself a version.
    deleted: Mapped[int] = mapped_column(Integer, default=0)


class EntryPart(Base):
    __tablename__ = "entry_parts"

    entry_id: Mapped[str] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Keyed per row (decision 0014); one letter only on a part from before.
    tier: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Only on a part from before decision 0012: the AAD binds its entry's section.
    section: Mapped[str | None] = mapped_column(String(40))
    key_epoch: Mapped[int] = mapped_column(Integer)
    wrapped_data_key: Mapped[bytes] = mapped_column(Bytes)
    ciphertext: Mapped[bytes] = mapped_column(Bytes)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # As for entries (decision 0012).
    section: Mapped[str | None] = mapped_column(String(40))
    section_sealed: Mapped[bytes | None] = mapped_column(Bytes)
    tier: Mapped[str] = mapped_column(String(64))  # Keyed, as for parts (decision 0014).
    key_epoch: Mapped[int] = mapped_column(Integer)
    # Kept only by rows written before decision 0009; newer ones seal both in the header.
    media_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)
    # As for versions (decision 0013).
    author_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    author_sealed: Mapped[bytes | None] = mapped_column(Bytes)
    wrapped_key: Mapped[bytes] = mapped_column(Bytes)
    # The file name and the content are sealed together.
    ciphertext: Mapped[bytes] = mapped_column(Bytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditHead(Base):
    """The newest link of each chain; locked while an event is appended."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(60), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[bytes] = mapped_column(Bytes(32))
    # Ed25519 over bind("audit-head", chain, seq, hash) by the keyring's signing key
    # (decision 0004); NULL only in a database that the migration has not yet signed.
    key_id: Mapped[str | None] = mapped_column(String(60))
    signature: Mapped[bytes | None] = mapped_column(Bytes(64))


class AuditEvent(Base):
    __tablename__ = "audit_events"

    chain: Mapped[str] = mapped_column(String(60), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor_account_id: Mapped[str | None] = mapped_column(String(36))
    # Details that could say anything about the person are sealed to the chain's audit key.
    sealed: Mapped[bytes | None] = mapped_column(Bytes)
    prev_hash: Mapped[bytes] = mapped_column(Bytes(32))
    # v1 (key_id NULL): SHA-256 of the chain. v2: HMAC under the keyring's audit sub-key
    # named by key_id, so no one without the keyring can recompute it (decision 0004).
    hash: Mapped[bytes] = mapped_column(Bytes(32))
    key_id: Mapped[str | None] = mapped_column(String(60))
    # 3: the actor is sealed with the details and the column above is empty (decision 0015);
    # NULL: v1 or v2, told apart by key_id.
    format: Mapped[int | None] = mapped_column(Integer)


class SecondFactor(Base):
    """A one-time-code (TOTP) secret, sealed to the account's own key.

    The secret can only be opened after the passphrase has unlocked the account key, so a
    copy of the database cannot make codes, and the code is checked as a second step.
    """

    __tablename__ = "second_factors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(20))
    secret_sealed: Mapped[bytes] = mapped_column(Bytes)
    secret_tag: Mapped[bytes | None] = mapped_column(Bytes(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The newest time step accepted, so a code seen over someone's shoulder works once only.
    last_used_step: Mapped[int] = mapped_column(Integer, default=0)


class PendingSignIn(Base):
    """A sign-in whose passphrase was right and whose second factor is still to come."""

    __tablename__ = "pending_sign_ins"

    id_digest: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    account_key_wrap: Mapped[bytes] = mapped_column(Bytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Passkey(Base):
    """A passkey (WebAuthn credential) that a person uses as the second step of signing in.

    A passkey cannot replace the passphrase: the passphrase is what unlocks the account key.
    The credential id and public key are not secrets; the name the person gave it is sealed
    to the account's own key, like an API token's name.
    """

    __tablename__ = "passkeys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    credential_id: Mapped[bytes] = mapped_column(Bytes(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(Bytes)
    # The authenticator's signature counter: one that goes backwards means a cloned key.
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name_sealed: Mapped[bytes] = mapped_column(Bytes)
    name_tag: Mapped[bytes | None] = mapped_column(Bytes(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasskeyChallenge(Base):
    """A WebAuthn challenge the server handed out, usable once, for five minutes.

    Kept by its digest: the challenge itself comes back inside the browser's signed answer.
    """

    __tablename__ = "passkey_challenges"

    digest: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class KnownDevice(Base):
    """A browser that has signed in to an account before, known by a cookie's digest."""

    __tablename__ = "known_devices"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShareLink(Base):
    """A SMART Health Link to a copy of part of one person's record.

    The manifest id is kept only as its SHA-256 (``lookup``); the share key only wrapped by
    the record key. What the link is for (its label, template, sections, ceiling, ticked S
    items, and the manifest id to rebuild its address) is sealed under the record key in
    ``meta_sealed``. ``copy_jwe`` is the copy itself, readable only with the share key.
    """

    __tablename__ = "share_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    # Who made it: sealed (decision 0013); plain only on a link from before.
    created_by_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"))
    created_by_sealed: Mapped[bytes | None] = mapped_column(Bytes)
    lookup: Mapped[bytes] = mapped_column(Bytes(32), unique=True)
    epoch: Mapped[int] = mapped_column(Integer)
    share_key_wrap: Mapped[bytes] = mapped_column(Bytes)
    meta_sealed: Mapped[bytes] = mapped_column(Bytes)
    copy_jwe: Mapped[str] = mapped_column(Text)
    copy_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when someone who cannot rebuild the copy changed what it holds (DESIGN.md).
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    passcode_digest: Mapped[bytes | None] = mapped_column(Bytes(32))
    passcode_key_id: Mapped[str | None] = mapped_column(String(80))
    passcode_failures: Mapped[int] = mapped_column(Integer, default=0)
    passcode_budget: Mapped[int] = mapped_column(Integer, default=10)
    max_openings: Mapped[int | None] = mapped_column(Integer)
    openings: Mapped[int] = mapped_column(Integer, default=0)
    notify_on_open: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the wrong-passcode budget ran out.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the person was told the link ends within 30, and within 7, days.
    warned_30_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned_7_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkClient(Base):
    """One client's use of one link in one window of ten minutes.

    How often it asked (over the limit it is told to wait, and nobody else is), and the
    opening it made first, so that its repeats are one entry of the person's history. The
    client is its address's HMAC under a key of that window only (``vault.links``); the row
    goes once its window has ended and its repeats are in the history.
    """

    __tablename__ = "link_clients"

    link_id: Mapped[str] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"),
                                         primary_key=True)
    client: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    # The client's first opening in the window (its event in the person's chain), and how
    # many more it made there.
    opening_seq: Mapped[int | None] = mapped_column(Integer)
    repeats: Mapped[int] = mapped_column(Integer, default=0)


class ShareLinkFile(Base):
    """A ``location`` URL of a manifest, good for at most an hour, kept by its digest."""

    __tablename__ = "share_link_files"

    lookup: Mapped[bytes] = mapped_column(Bytes(32), primary_key=True)
    link_id: Mapped[str] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"),
                                         index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The opening that gave the address (its event in the person's chain), and how many times
    # the copy was fetched with it: each fetch is part of that opening's record.
    opening_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    fetches: Mapped[int] = mapped_column(Integer, server_default="0")
