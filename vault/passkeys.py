"""Passkeys (WebAuthn) as the second step of signing in, verified by the ``webauthn`` package.

A passkey is a second lock, like a one-time code: the passphrase still has to unlock the
account key, because a passkey alone cannot decrypt anything. Each ceremony uses a fresh
challenge the server hands out and keeps by its digest for five minutes; the challenge comes
back inside the browser's signed answer and is used once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from keys.binding import bind
from vault import payloads, slots
from vault.accounts import Unlocked, account_event, row_account
from vault.config import VaultConfig
from vault.errors import InvalidEntry, NotFound, PasskeyFailed
from vault.keychain import Keychain
from vault.models import Passkey, PasskeyChallenge, new_id

PASSKEY = "passkey"
REGISTER = "register"
SIGN_IN = "sign_in"
CHALLENGE_LIFETIME = timedelta(minutes=5)
# Enough for a phone, a laptop and a spare security key, with room to spare.
MAX_PASSKEYS = 10
MAX_NAME = 60
# A browser's answer is a few hundred bytes; anything far bigger is not one.
MAX_CREDENTIAL_JSON = 16 * 1024


@dataclass(frozen=True)
class RelyingParty:
    """This server as WebAuthn sees it: passkeys are tied to its host name and origin."""

    id: str
    origin: str
    name: str = "Tell Once"

    @classmethod
    def from_base_url(cls, base_url: str) -> RelyingParty:
        parts = urlsplit(base_url)
        if not parts.hostname:
            raise ValueError("the server's base URL has no host name")
        return cls(id=parts.hostname, origin=f"{parts.scheme}://{parts.netloc}")


def _digest(challenge: bytes) -> bytes:
    return hashlib.sha256(challenge).digest()


def _new_challenge(session: Session, *, account_id: str, purpose: str, now: datetime) -> bytes:
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    challenge = secrets.token_bytes(32)
    session.add(PasskeyChallenge(digest=_digest(challenge), account_id=account_id,
                                 purpose=purpose, expires_at=now + CHALLENGE_LIFETIME))
    session.flush()
    return challenge


def _take_challenge(session: Session, *, client_data: bytes, account_id: str, purpose: str,
                    now: datetime) -> bytes:
    """The challenge this answer signs, used up now. :raises PasskeyFailed:"""
    try:
        challenge = parse_client_data_json(client_data).challenge
    except (WebAuthnException, ValueError, TypeError):
        raise PasskeyFailed from None
    row = session.get(PasskeyChallenge, _digest(challenge))
    if row is None:
        raise PasskeyFailed
    session.delete(row)
    if row.account_id != account_id or row.purpose != purpose or now >= row.expires_at:
        raise PasskeyFailed
    return challenge


def _credential_json(credential: object) -> str:
    if not isinstance(credential, str) or not credential or len(credential) > MAX_CREDENTIAL_JSON:
        raise PasskeyFailed
    return credential


def _account_passkeys(session: Session, account_id: str) -> list[Passkey]:
    return list(session.scalars(select(Passkey).where(Passkey.account_id == account_id)
                                .order_by(Passkey.created_at)))


def has_passkey(session: Session, *, account_id: str) -> bool:
    count = session.scalar(select(func.count()).select_from(Passkey)
                           .where(Passkey.account_id == account_id))
    return bool(count)


def check_name(name: object) -> str:
    """:raises InvalidEntry: unless a short, non-empty name."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise InvalidEntry(f"Give this passkey a name of up to {MAX_NAME} letters, such as "
                           "\"my phone\".", field="name")
    return name.strip()


# -- adding a passkey ---------------------------------------------------------------------------


def registration_options(session: Session, *, rp: RelyingParty, account_id: str, login: str,
                         now: datetime) -> str:
    """The options for ``navigator.credentials.create``, as JSON for the page's script."""
    existing = _account_passkeys(session, account_id)
    if len(existing) >= MAX_PASSKEYS:
        raise InvalidEntry(f"You have {MAX_PASSKEYS} passkeys already. Remove one you no "
                           "longer use first.", field="name")
    challenge = _new_challenge(session, account_id=account_id, purpose=REGISTER, now=now)
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=login, user_display_name=login,
        # An opaque handle: the account id is random and says nothing about the person.
        user_id=account_id.encode(), challenge=challenge,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id)
                             for p in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED))
    return options_to_json(options)


def name_info(account_id: str, passkey_id: str) -> bytes:
    return bind("passkey-name", account_id, passkey_id)


def add_passkey(session: Session, config: VaultConfig, *, rp: RelyingParty, unlocked: Unlocked,
                credential: object, name: object, now: datetime) -> Passkey:
    """Check the browser's answer to the registration challenge and keep the new passkey.

    :raises PasskeyFailed: for an answer that does not verify, or a passkey already added.
    :raises InvalidEntry: for a missing or too long name.
    """
    account_id = unlocked.account_id
    label = check_name(name)
    try:
        parsed = parse_registration_credential_json(_credential_json(credential))
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyFailed from None
    challenge = _take_challenge(session, client_data=parsed.response.client_data_json,
                                account_id=account_id, purpose=REGISTER, now=now)
    try:
        verified = verify_registration_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyFailed from None
    if session.scalar(select(Passkey).where(Passkey.credential_id == verified.credential_id)):
        raise PasskeyFailed("This passkey is already added.")
    account = row_account(session, account_id)
    passkey = Passkey(id=new_id(), account_id=account_id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      created_at=now)
    passkey.name_sealed, passkey.name_tag = slots.seal_own(
        unlocked, payloads.encode(label), info=name_info(account_id, passkey.id))
    session.add(passkey)
    account_event(session, config, account, "passkey_added", now=now)
    session.flush()
    return passkey


# -- signing in with a passkey ------------------------------------------------------------------


def authentication_options(session: Session, *, rp: RelyingParty, account_id: str,
                           now: datetime) -> str | None:
    """Options for ``navigator.credentials.get``, or None when the account has no passkey."""
    existing = _account_passkeys(session, account_id)
    if not existing:
        return None
    challenge = _new_challenge(session, account_id=account_id, purpose=SIGN_IN, now=now)
    options = generate_authentication_options(
        rp_id=rp.id, challenge=challenge,
        allow_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
        user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options)


def check_passkey(session: Session, *, rp: RelyingParty, account_id: str, credential: object,
                  now: datetime) -> None:
    """Check a signed answer to this account's sign-in challenge. :raises PasskeyFailed:"""
    try:
        parsed = parse_authentication_credential_json(_credential_json(credential))
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyFailed from None
    challenge = _take_challenge(session, client_data=parsed.response.client_data_json,
                                account_id=account_id, purpose=SIGN_IN, now=now)
    passkey = session.scalar(select(Passkey).where(Passkey.credential_id == parsed.raw_id,
                                                   Passkey.account_id == account_id))
    if passkey is None:
        raise PasskeyFailed
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        # This includes a signature counter that went backwards: a sign of a copied key.
        raise PasskeyFailed from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now


# -- the account page -----------------------------------------------------------------------------


def list_passkeys(keychain: Keychain) -> list[dict[str, Any]]:
    out = []
    for passkey in _account_passkeys(keychain.session, keychain.account_id):
        name = payloads.decode(keychain.open_own_data(
            passkey.name_sealed, passkey.name_tag,
            info=name_info(passkey.account_id, passkey.id), kind="passkey-name"))
        out.append({"id": passkey.id, "name": name, "created_at": passkey.created_at,
                    "last_used_at": passkey.last_used_at})
    return out


def remove_passkey(session: Session, config: VaultConfig, *, account_id: str, passkey_id: str,
                   now: datetime) -> None:
    """:raises NotFound: for another account's passkey as for one that does not exist."""
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.account_id != account_id:
        raise NotFound
    session.delete(passkey)
    account_event(session, config, row_account(session, account_id), "passkey_removed", now=now)

