"""Accounts and their ways in: passphrase, recovery code, sessions and API tokens.

Each way in wraps the account's hybrid private key. None of them is stored: the passphrase
key comes from Argon2id, the recovery key from a code shown once, and session and token
keys from bearer secrets the server keeps only as SHA-256 digests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from keys import hybrid, passphrase, tokens
from keys.errors import DecryptionFailed, InvalidKeyMaterial
from keys.hierarchy import ACCOUNT_AUDIT_KEY, ACCOUNT_KEY
from keys.passphrase import KdfParams
from vault import audit, contacts, slots
from vault.config import VaultConfig
from vault.errors import InvalidAccountDetails, LoginTaken, NotFound, SignInFailed
from vault.models import Account, Person, new_id
from vault.passphrases import check_passphrase

if TYPE_CHECKING:  # The keychain is built on Unlocked, defined here: import its type only.
    from vault.keychain import Keychain

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
SESSION_PREFIX = "tos"


@dataclass(frozen=True)
class Unlocked:
    """An account whose private key is open for the length of one request."""

    account_id: str
    private_key: hybrid.PrivateKey

    def __repr__(self) -> str:
        return f"Unlocked(account_id={self.account_id!r})"


def normalise_login(login: object) -> str:
    if not isinstance(login, str):
        raise InvalidAccountDetails("Type your login.", field="login")
    return login.strip().casefold()


def _check_new_login(login: object) -> str:
    value = normalise_login(login)
    if not LOGIN_PATTERN.fullmatch(value):
        raise InvalidAccountDetails(
            "A login needs 3 to 64 letters, numbers, dots, dashes or underscores, "
            "starting with a letter or number.",
            field="login",
        )
    return value


def _check_email(email: object) -> str | None:
    if email is None or email == "":
        return None
    if not isinstance(email, str) or not EMAIL_PATTERN.fullmatch(email.strip()):
        raise InvalidAccountDetails(
            "Type an email address like name@example.org, or leave it empty.", field="email"
        )
    return email.strip().casefold()


def audit_key_of(config: VaultConfig, account: Account) -> hybrid.PublicKey:
    return config.keyring.trusted_public_key(
        account.audit_public_key, owner=f"account-audit:{account.id}",
        key_id=account.audit_public_key_mac_id, mac=account.audit_public_key_mac)


def _pepper(config: VaultConfig, pepper_id: str | None = None) -> tuple[str, bytes]:
    return config.keyring.secret("pepper", pepper_id)


def _wrap_with_passphrase(
    config: VaultConfig, account: Account, private_key: hybrid.PrivateKey, secret: str
) -> None:
    pepper_id, pepper = _pepper(config)
    salt = passphrase.new_salt()
    key = passphrase.derive_passphrase_key(
        secret, salt=salt, params=config.kdf_params, pepper=pepper, account_id=account.id
    )
    account.kdf_params = config.kdf_params.to_json()
    account.kdf_salt = salt
    account.pepper_id = pepper_id
    account.passphrase_wrap = ACCOUNT_KEY.wrap(
        key, private_key.raw, account=account.id, wrapper="passphrase", wrapper_id=pepper_id
    )


def _new_recovery_code(account: Account, private_key: hybrid.PrivateKey) -> tuple[str, str,
                                                                                  bytes]:
    """A new code, its id, and the account key wrapped under it; the account is not changed."""
    code = tokens.new_recovery_code()
    code_id = new_id()
    key = tokens.recovery_key(code, account_id=account.id, code_id=code_id)
    wrap = ACCOUNT_KEY.wrap(key, private_key.raw, account=account.id, wrapper="recovery",
                            wrapper_id=code_id)
    return code, code_id, wrap


def _wrap_with_new_recovery_code(account: Account, private_key: hybrid.PrivateKey) -> str:
    code, account.recovery_code_id, account.recovery_wrap = _new_recovery_code(account,
                                                                               private_key)
    return code


def rewrap_for_new_key(config: VaultConfig, account: Account, private_key: hybrid.PrivateKey,
                       secret: str) -> str:
    """Give a new private key the account's public key, passphrase wrap and a new recovery
    code (returned, shown once); the old code cannot wrap it, having no stored key."""
    public_raw = private_key.public_key().raw
    account.public_key = public_raw
    account.public_key_mac_id, account.public_key_mac = config.keyring.mac_public_key(
        public_raw, owner=f"account:{account.id}")
    _wrap_with_passphrase(config, account, private_key, secret)
    return _wrap_with_new_recovery_code(account, private_key)


def audit_private_key(keychain: Keychain, account: Account) -> hybrid.PrivateKey:
    """The account's audit key: only the account itself can read its sign-in history."""
    raw = keychain.open_own(ACCOUNT_AUDIT_KEY, account.audit_private_sealed,
                            account.audit_private_tag, {"account": account.id})
    return hybrid.PrivateKey.from_bytes(raw)


def account_event(
    session: Session,
    config: VaultConfig,
    account: Account,
    kind: str,
    *,
    now: datetime,
    details: dict[str, object] | None = None,
) -> None:
    audit.append_event(
        session,
        config.keyring,
        chain=audit.account_chain(account.id),
        kind=kind,
        actor_account_id=account.id,
        public_key=audit_key_of(config, account),
        details=details,
        now=now,
    )


def create_account(
    session: Session,
    config: VaultConfig,
    *,
    login: object,
    email: object,
    passphrase_text: object,
    now: datetime,
) -> tuple[Account, Unlocked, str]:
    """Create an account; return it, its unlocked key and the recovery code (shown once).

    :raises InvalidAccountDetails, WeakPassphrase: for bad input.
    :raises Conflict: when the login or email is taken.
    """
    login_value = _check_new_login(login)
    email_value = _check_email(email)
    secret = check_passphrase(passphrase_text, user_inputs=(login_value, email_value or ""))
    clash = [Account.login_digest.in_(contacts.digests(config, contacts.LOGIN, login_value))]
    if email_value is not None:
        clash.append(Account.email_digest.in_(
            contacts.digests(config, contacts.EMAIL, email_value)))
    taken = session.scalar(select(func.count()).select_from(Account).where(or_(*clash)))
    if taken:
        raise LoginTaken

    private_key = hybrid.PrivateKey.generate()
    audit_private = hybrid.PrivateKey.generate()
    account = Account(id=new_id(), created_at=now)
    contacts.set_contact(config, account, login=login_value, email=email_value)
    public_raw = private_key.public_key().raw
    account.public_key = public_raw
    account.public_key_mac_id, account.public_key_mac = config.keyring.mac_public_key(
        public_raw, owner=f"account:{account.id}"
    )
    audit_public_raw = audit_private.public_key().raw
    account.audit_public_key = audit_public_raw
    account.audit_public_key_mac_id, account.audit_public_key_mac = (
        config.keyring.mac_public_key(audit_public_raw, owner=f"account-audit:{account.id}")
    )
    account.audit_private_sealed, account.audit_private_tag = slots.seal_own_key(
        Unlocked(account.id, private_key), ACCOUNT_AUDIT_KEY, audit_private.raw,
        account=account.id)
    _wrap_with_passphrase(config, account, private_key, secret)
    code = _wrap_with_new_recovery_code(account, private_key)
    session.add(account)
    session.flush()
    account_event(session, config, account, "account_created", now=now)
    return account, Unlocked(account.id, private_key), code


def find_account(session: Session, config: VaultConfig, login: object) -> Account | None:
    """Find by login or by email address, each by its keyring digest (decision 0006)."""
    value = normalise_login(login)
    return session.scalar(select(Account).where(contacts.matches(config, value)))


def unlock_with_passphrase(
    config: VaultConfig, account: Account | None, secret: object
) -> Unlocked:
    """Derive and unwrap; runs outside any transaction because Argon2id is slow.

    :raises SignInFailed: for an unknown login or a wrong passphrase alike, after the same
        amount of work.
    """
    text = secret if isinstance(secret, str) else ""
    if account is None:
        passphrase.dummy_derivation(text, params=config.kdf_params, pepper=_pepper(config)[1])
        raise SignInFailed
    try:
        params = KdfParams.from_json(account.kdf_params)
        key = passphrase.derive_passphrase_key(
            text,
            salt=account.kdf_salt,
            params=params,
            pepper=_pepper(config, account.pepper_id)[1],
            account_id=account.id,
        )
        raw = ACCOUNT_KEY.unwrap(
            key,
            account.passphrase_wrap,
            account=account.id,
            wrapper="passphrase",
            wrapper_id=account.pepper_id,
        )
    except (DecryptionFailed, InvalidKeyMaterial):
        raise SignInFailed from None
    return Unlocked(account.id, hybrid.PrivateKey.from_bytes(raw))


def needs_rehash(config: VaultConfig, account: Account) -> bool:
    """True when the account's parameters or pepper are older than the server's."""
    return (
        account.kdf_params != config.kdf_params.to_json()
        or account.pepper_id != config.keyring.current["pepper"]
    )


def rewrap_passphrase(
    session: Session, config: VaultConfig, *, account: Account, unlocked: Unlocked, secret: str
) -> None:
    """Upgrade parameters and pepper at sign-in, while the passphrase is at hand."""
    _wrap_with_passphrase(config, account, unlocked.private_key, secret)
    session.flush()


def unlock_with_recovery_code(account: Account | None, code: object) -> Unlocked:
    """:raises SignInFailed: for an unknown login or a wrong or used code alike."""
    if account is None or not isinstance(code, str):
        raise SignInFailed("That login and recovery code do not match.")
    try:
        key = tokens.recovery_key(
            code, account_id=account.id, code_id=account.recovery_code_id
        )
        raw = ACCOUNT_KEY.unwrap(
            key,
            account.recovery_wrap,
            account=account.id,
            wrapper="recovery",
            wrapper_id=account.recovery_code_id,
        )
    except (DecryptionFailed, InvalidKeyMaterial):
        raise SignInFailed("That login and recovery code do not match.") from None
    return Unlocked(account.id, hybrid.PrivateKey.from_bytes(raw))


def finish_recovery(
    session: Session,
    config: VaultConfig,
    *,
    account: Account,
    unlocked: Unlocked,
    used_code_id: str,
    new_passphrase: object,
    now: datetime,
) -> str:
    """Set the new passphrase, replace the used code and unlock the account.

    :raises WeakPassphrase: and changes nothing.
    :raises SignInFailed: when another request used the same code first.
    """
    secret = check_passphrase(new_passphrase, user_inputs=(contacts.login_of(config, account),))
    code = _replace_used_recovery_code(session, account, used_code_id, unlocked.private_key)
    _wrap_with_passphrase(config, account, unlocked.private_key, secret)
    account.locked_at = None
    account_event(session, config, account, "account_recovered", now=now)
    return code


def _replace_used_recovery_code(session: Session, account: Account, used_code_id: str,
                                private_key: hybrid.PrivateKey) -> str:
    """Replace the code just used (``used_code_id``, the one that unlocked the account) with a
    new one, if no other request did first; the new code.

    A code works once even when it is sent several times at once: the update holds only
    while the account still has the code that was used (the row is locked as it is written,
    so the second request finds it gone), and every new code handed out is the one stored.

    :raises SignInFailed: for every request but the first.
    """
    code, code_id, wrap = _new_recovery_code(account, private_key)
    replaced = session.execute(  # type: ignore[attr-defined]
        update(Account)
        .where(Account.id == account.id, Account.recovery_code_id == used_code_id)
        .values(recovery_code_id=code_id, recovery_wrap=wrap)
        .execution_options(synchronize_session=False)).rowcount
    if replaced != 1:
        raise SignInFailed("That login and recovery code do not match.")
    account.recovery_code_id, account.recovery_wrap = code_id, wrap
    return code


def change_passphrase(
    session: Session,
    config: VaultConfig,
    *,
    account: Account,
    unlocked: Unlocked,
    new_passphrase: object,
    now: datetime,
) -> None:
    """:raises WeakPassphrase: and changes nothing."""
    secret = check_passphrase(new_passphrase, user_inputs=(contacts.login_of(config, account),))
    _wrap_with_passphrase(config, account, unlocked.private_key, secret)
    account_event(session, config, account, "passphrase_changed", now=now)


def regenerate_recovery_code(
    session: Session, config: VaultConfig, *, account: Account, unlocked: Unlocked, now: datetime
) -> str:
    code = _wrap_with_new_recovery_code(account, unlocked.private_key)
    account_event(session, config, account, "recovery_code_replaced", now=now)
    return code


def subject_account(session: Session, person: Person) -> Account | None:
    """The account whose own record this is; None for a record managed for someone."""
    if person.subject_account_id is None:
        return None
    return session.get(Account, person.subject_account_id)


def row_account(session: Session, account_id: str) -> Account:
    """:raises NotFound: if the account is gone."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound
    return account
