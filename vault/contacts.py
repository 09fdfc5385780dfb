"""Logins and notice addresses: looked up by a keyring digest, kept sealed (decision 0006).

The database holds no login and no address in the clear. The server still finds an account by
what a person types and sends notices with no one signed in, because both are under the
keyring's ``contact`` key, never under a person's own key.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import ColumnElement, or_

from keys import envelope
from keys.binding import bind
from vault import payloads
from vault.config import VaultConfig
from vault.models import Account

LOGIN = "account-login"
EMAIL = "account-email"


def _digest(digest_key: bytes, label: str, value: str) -> bytes:
    return hmac.new(digest_key, bind(label, value), hashlib.sha256).digest()


def digests(config: VaultConfig, label: str, value: str) -> list[bytes]:
    """The digest of a normalised value under every contact key, the current one first."""
    ring = config.keyring
    return [_digest(ring.contact_keys(kid)[1], label, value) for kid in ring.key_ids("contact")]


def matches(config: VaultConfig, value: str, *, logins: bool = True,
            emails: bool = True) -> ColumnElement[bool]:
    """A condition on ``Account`` for an account whose login or address is ``value``."""
    conditions = []
    if logins:
        conditions.append(Account.login_digest.in_(digests(config, LOGIN, value)))
    if emails:
        conditions.append(Account.email_digest.in_(digests(config, EMAIL, value)))
    return or_(*conditions)


def _seal(seal_key: bytes, label: str, account_id: str, key_id: str, value: str) -> bytes:
    return envelope.seal(seal_key, payloads.encode(value), aad=bind(label, account_id, key_id))


def set_contact(config: VaultConfig, account: Account, *, login: str, email: str | None) -> None:
    """Key and seal a normalised login and address into the account, under the current key."""
    key_id, digest_key, seal_key = config.keyring.contact_keys()
    account.contact_key_id = key_id
    account.login_digest = _digest(digest_key, LOGIN, login)
    account.login_sealed = _seal(seal_key, LOGIN, account.id, key_id, login)
    account.email_digest = None if email is None else _digest(digest_key, EMAIL, email)
    account.email_sealed = None if email is None else _seal(seal_key, EMAIL, account.id, key_id,
                                                            email)


def _open(config: VaultConfig, account: Account, label: str, sealed: bytes) -> str:
    _, _, seal_key = config.keyring.contact_keys(account.contact_key_id)
    value: str = payloads.decode(envelope.open_sealed(
        seal_key, sealed, aad=bind(label, account.id, account.contact_key_id)))
    return value


def login_of(config: VaultConfig, account: Account) -> str:
    """:raises DecryptionFailed: when the sealed login was changed or moved."""
    return _open(config, account, LOGIN, account.login_sealed)


def email_of(config: VaultConfig, account: Account) -> str | None:
    """The notice address, or None; :raises DecryptionFailed: when it was changed or moved."""
    if account.email_sealed is None:
        return None
    return _open(config, account, EMAIL, account.email_sealed)
