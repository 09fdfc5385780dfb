"""The server keyring: secrets the server holds, each with a key id, for rotation.

Purposes:

- ``cookie``: signs cookies that are not themselves secrets (the session cookie's value is
  a bearer secret and needs no signature).
- ``passcode``: HMAC for looking up guessable secrets (link passcodes).
- ``login``: HMAC of a login, for the sign-in counters that must not list logins.
- ``address``: wraps the key of each day under which a client's address is counted, for the
  sign-in and link-polling counters (decision 0011). Apart from the others (decision 0004) so
  that each can be rotated, or destroyed, on its own.
- ``contact``: keys the lookup of logins and notice addresses and seals them (decision 0006),
  through two HKDF sub-keys, because the server finds accounts and sends notices with no one
  signed in.
- ``pepper``: mixed into every passphrase key, so the database alone cannot be attacked.
- ``public-key-mac``: MAC on each stored public key, so a key swapped in the database is
  refused rather than sealed to.
- ``signing``: Ed25519, signs consent receipts and each audit chain's head; an HKDF sub-key
  of it MACs every audit event (decision 0004), so the chain needs no purpose of its own.

Rotation adds a key and makes it current; old keys stay to verify and unwrap what they
made, and an account's passphrase key moves to the current pepper at its next sign-in.
The file is JSON, mode 600. ``development: true`` marks a keyring made by the
development set-up; the app refuses to start with it outside development.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys import hybrid
from keys.binding import bind
from keys.errors import DecryptionFailed, KeyringError

PURPOSES = ("cookie", "passcode", "pepper", "public-key-mac", "signing", "login", "address",
            "contact")
# Purposes added after the first keyrings were written (decision 0004): a file without them
# still loads, and `tellonce init` adds them; the server refuses to start until it has.
ADDED_PURPOSES = ("login", "address", "contact")
FORMAT_VERSION = 1


@dataclass
class Keyring:
    """Keys by purpose and id; ``current`` names the id used for new work per purpose."""

    keys: dict[str, dict[str, bytes]] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)
    development: bool = False

    @classmethod
    def generate(cls, *, development: bool = False, now: datetime | None = None) -> Keyring:
        ring = cls(development=development)
        for purpose in PURPOSES:
            ring.rotate(purpose, now=now)
        return ring

    def rotate(self, purpose: str, *, now: datetime | None = None) -> str:
        """Add a fresh key for ``purpose`` and make it current; return its id."""
        if purpose not in PURPOSES:
            raise KeyringError(f"Unknown keyring purpose {purpose!r}.")
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
        key_id = f"{purpose}-{stamp}-{os.urandom(3).hex()}"
        if purpose == "signing":
            secret = Ed25519PrivateKey.generate().private_bytes_raw()
        else:
            secret = os.urandom(32)
        self.keys.setdefault(purpose, {})[key_id] = secret
        self.current[purpose] = key_id
        return key_id

    def missing_purposes(self) -> list[str]:
        return [p for p in PURPOSES if p not in self.current]

    def add_missing_purposes(self, *, now: datetime | None = None) -> list[str]:
        """Give every purpose this keyring lacks a key; return the purposes added."""
        missing = self.missing_purposes()
        for purpose in missing:
            self.rotate(purpose, now=now)
        return missing

    def secret(self, purpose: str, key_id: str | None = None) -> tuple[str, bytes]:
        """Return ``(key_id, secret)``: the current one, or the named one."""
        kid = key_id or self.current.get(purpose, "")
        try:
            return kid, self.keys[purpose][kid]
        except KeyError:
            raise KeyringError(f"The keyring has no {purpose} key {kid!r}.") from None

    # -- uses ------------------------------------------------------------------

    def hmac_digest(self, purpose: str, message: bytes, key_id: str | None = None) -> bytes:
        _, secret = self.secret(purpose, key_id)
        return hmac.new(secret, message, hashlib.sha256).digest()

    def login_digest(self, login: str) -> bytes:
        """Keyed digest of a login, for throttling counters that must not list logins."""
        return self.hmac_digest("login", bind("login", login.strip().casefold()))

    def account_login_digest(self, account_id: str) -> bytes:
        """The sign-in counter of a known account, reached by login or address (decision 0006)."""
        return self.hmac_digest("login", bind("login-account", account_id))

    def address_wrap_key(self, key_id: str | None = None) -> tuple[str, bytes]:
        """``(key_id, key)`` wrapping the keys of each day that count addresses (decision 0011).

        :raises KeyringError: for a key id the keyring does not hold.
        """
        kid, secret = self.secret("address", key_id)
        return kid, _sub_key(secret, "address-day-key-wrap")

    def mac_public_key(self, public_raw: bytes, *, owner: str) -> tuple[str, bytes]:
        kid, secret = self.secret("public-key-mac")
        return kid, hmac.new(secret, bind("public-key", owner) + public_raw, "sha256").digest()

    def verify_public_key(self, public_raw: bytes, *, owner: str, key_id: str, mac: bytes) -> None:
        """:raises DecryptionFailed: if the stored public key was changed or moved."""
        try:
            _, secret = self.secret("public-key-mac", key_id)
        except KeyringError:
            raise DecryptionFailed from None
        expected = hmac.new(secret, bind("public-key", owner) + public_raw, "sha256").digest()
        if not hmac.compare_digest(expected, mac):
            raise DecryptionFailed

    def trusted_public_key(
        self, public_raw: bytes, *, owner: str, key_id: str, mac: bytes
    ) -> hybrid.PublicKey:
        """The stored public key, once its MAC shows nobody changed or moved it.

        :raises DecryptionFailed: otherwise, so nothing is ever sealed to a swapped key.
        """
        self.verify_public_key(public_raw, owner=owner, key_id=key_id, mac=mac)
        return hybrid.PublicKey(public_raw)

    def sign(self, message: bytes) -> tuple[str, bytes]:
        kid, secret = self.secret("signing")
        return kid, Ed25519PrivateKey.from_private_bytes(secret).sign(message)

    def verify_signature(self, message: bytes, signature: bytes, key_id: str) -> None:
        """:raises DecryptionFailed: if the signature does not verify."""
        try:
            _, secret = self.secret("signing", key_id)
            Ed25519PrivateKey.from_private_bytes(secret).public_key().verify(signature, message)
        except (KeyringError, InvalidSignature):
            raise DecryptionFailed from None

    def audit_chain_key(self, key_id: str | None = None) -> tuple[str, bytes]:
        """The key that MACs audit events: a sub-key of a signing key, named by its id.

        :raises KeyringError: for a key id the keyring does not hold.
        """
        kid, secret = self.secret("signing", key_id)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=bind("audit-chain-key")).derive(secret)
        return kid, key

    def contact_keys(self, key_id: str | None = None) -> tuple[str, bytes, bytes]:
        """``(key_id, digest_key, seal_key)`` of a contact key: the current one, or the named.

        :raises KeyringError: for a key id the keyring does not hold.
        """
        kid, secret = self.secret("contact", key_id)
        return kid, _sub_key(secret, "contact-digest"), _sub_key(secret, "contact-seal")

    def key_ids(self, purpose: str) -> list[str]:
        """Every key id of ``purpose``, the current one first."""
        current = self.current.get(purpose)
        others = sorted(k for k in self.keys.get(purpose, {}) if k != current)
        return ([current] if current else []) + others

    def signing_public_keys(self) -> dict[str, bytes]:
        """Every signing key's raw Ed25519 public half by key id, the current one first:
        old heads stay verifiable after a rotation."""
        return {kid: Ed25519PrivateKey.from_private_bytes(self.keys["signing"][kid]).public_key()
                .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                for kid in self.key_ids("signing")}

    def signing_public_key(self) -> bytes:
        _, secret = self.secret("signing")
        return (
            Ed25519PrivateKey.from_private_bytes(secret)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    # -- storage ---------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "development": self.development,
                "current": self.current,
                "keys": {
                    purpose: {kid: base64.b64encode(s).decode() for kid, s in by_id.items()}
                    for purpose, by_id in self.keys.items()
                },
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            data = json.loads(text)
            if data["format"] != FORMAT_VERSION:
                raise KeyringError("The keyring file is of an unknown format.")
            ring = cls(
                keys={
                    purpose: {
                        kid: base64.b64decode(s, validate=True) for kid, s in by_id.items()
                    }
                    for purpose, by_id in data["keys"].items()
                },
                current=dict(data["current"]),
                development=bool(data.get("development", False)),
            )
        # AttributeError: a list or number where an object belongs; all garbage is one error.
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyringError("The keyring file could not be read.") from None
        missing = [p for p in ring.missing_purposes() if p not in ADDED_PURPOSES]
        if missing:
            raise KeyringError(f"The keyring has no current key for {', '.join(missing)}.")
        return ring

    def save(self, path: Path) -> None:
        """Write atomically with mode 600: the file never exists with wider permissions."""
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # O_CREAT's mode applies only to a new file: a stale .tmp left with a wider mode
        # would keep it, so narrow it before a single secret is written.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        return cls.from_json(path.read_text())


def _sub_key(secret: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=bind(label)).derive(secret)


def file_mode_is_private(path: Path) -> bool:
    """True when only the owner can read or write the file (mode 600 or stricter)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode & 0o077 == 0
