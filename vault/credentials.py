"""Sessions and personal API tokens: bearer secrets that carry a wrap of the account key.

The server stores only a SHA-256 digest of each secret, and the account key wrapped under a
key derived from it, so a copy of the database can neither sign in nor unwrap anything.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from keys import hybrid, tokens
from keys.binding import bind
from keys.errors import DecryptionFailed, InvalidKeyMaterial
from keys.hierarchy import ACCOUNT_KEY
from vault import addresses, payloads, slots, throttle
from vault.accounts import Unlocked, account_event, row_account
from vault.config import VaultConfig
from vault.db import begin_writing
from vault.errors import InvalidAccountDetails, NotFound, NotSignedIn
from vault.keychain import Keychain
from vault.models import Account, ApiToken, PendingSignIn, SignInSession, new_id

SESSION_PREFIX = "tos"
TOKEN_PREFIX = "tot"  # noqa: S105 - a token prefix, not a password
TOKEN_SCOPES = frozenset({"read", "write", "share", "manage"})

# A token's last use is kept to the minute: a read then writes nothing to the database (a
# service reading a record many times a minute would otherwise make every read a write).
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


# -- sessions -------------------------------------------------------------------------


def create_session(
    session: Session, config: VaultConfig, *, unlocked: Unlocked, now: datetime
) -> tuple[str, SignInSession]:
    """Return the cookie value (shown once) and the stored session.

    Each new session first erases every credential, of any account, that can no longer be
    used (``sweep_expired``): sign-ins are frequent enough that nothing needs a timer.
    """
    sweep_expired(session, config, now=now)
    token, secret = tokens.new_bearer(SESSION_PREFIX)
    digest = tokens.lookup_digest("session", secret)
    row = SignInSession(
        id_digest=digest,
        id=new_id(),
        account_id=unlocked.account_id,
        account_key_wrap=ACCOUNT_KEY.wrap(
            tokens.wrapping_key("session", secret),
            unlocked.private_key.raw,
            account=unlocked.account_id,
            wrapper="session",
            wrapper_id=digest.hex(),
        ),
        created_at=now,
        last_seen_at=now,
        expires_at=now + config.session_absolute,
    )
    session.add(row)
    session.flush()
    return token, row


def _unlock(secret: bytes, kind: str, wrap: bytes, account_id: str, wrapper_id: str) -> Unlocked:
    """Open the account key with the key a bearer secret gives. :raises NotSignedIn:"""
    try:
        raw = ACCOUNT_KEY.unwrap(tokens.wrapping_key(kind, secret), wrap, account=account_id,
                                 wrapper=kind, wrapper_id=wrapper_id)
    except DecryptionFailed:
        raise NotSignedIn from None
    return Unlocked(account_id, hybrid.PrivateKey.from_bytes(raw))


def resume_session(
    session: Session, config: VaultConfig, *, token: str, now: datetime
) -> tuple[Unlocked, SignInSession]:
    """:raises NotSignedIn: for a malformed, unknown, idle or expired session."""
    try:
        secret = tokens.parse_bearer(SESSION_PREFIX, token)
    except InvalidKeyMaterial:
        raise NotSignedIn from None
    digest = tokens.lookup_digest("session", secret)
    begin_writing(session)  # Every use of a session moves its idle time on.
    row = session.get(SignInSession, digest)
    if row is None:
        raise NotSignedIn
    if now >= row.expires_at or now >= row.last_seen_at + config.session_idle:
        session.delete(row)
        session.flush()
        raise NotSignedIn
    unlocked = _unlock(secret, "session", row.account_key_wrap, row.account_id, digest.hex())
    row.last_seen_at = now
    return unlocked, row


def end_session(session: Session, *, token: str) -> None:
    try:
        secret = tokens.parse_bearer(SESSION_PREFIX, token)
    except InvalidKeyMaterial:
        return
    session.execute(
        delete(SignInSession).where(
            SignInSession.id_digest == tokens.lookup_digest("session", secret)
        )
    )


def end_sessions(session: Session, *, account_id: str, keep: bytes | None = None) -> int:
    """Sign the account out everywhere, except the session ``keep`` when one is given."""
    stmt = delete(SignInSession).where(SignInSession.account_id == account_id)
    if keep is not None:
        stmt = stmt.where(SignInSession.id_digest != keep)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def sweep_expired(session: Session, config: VaultConfig, *, now: datetime) -> None:
    """Erase every credential that can no longer be used, of every account: sessions idle or
    past their end, pending sign-ins out of time or tries, and the wraps of ended tokens; and
    sign-in counters with no try for a day, and the keys of earlier days that counted addresses.

    A wrap is how a bearer secret reaches an account's key; once the credential has ended it
    only helps someone who holds an old cookie or token and a copy of the database.
    """
    session.execute(delete(SignInSession).where(
        (SignInSession.expires_at <= now)
        | (SignInSession.last_seen_at <= now - config.session_idle))
        .execution_options(synchronize_session=False))
    session.execute(delete(PendingSignIn).where(
        (PendingSignIn.expires_at <= now) | (PendingSignIn.attempts >= PENDING_ATTEMPTS))
        .execution_options(synchronize_session=False))
    session.execute(update(ApiToken).where(ApiToken.expires_at <= now,
                                           ApiToken.account_key_wrap != b"")
                    .values(account_key_wrap=b"").execution_options(synchronize_session=False))
    throttle.forget_quiet_counters(session, now=now)
    addresses.forget_earlier_days(session, now)


def touch_session(session: Session, *, digest: bytes, now: datetime) -> None:
    """Mark the session used now, by statement: for a request whose own writes were undone."""
    session.execute(update(SignInSession).where(SignInSession.id_digest == digest)
                    .values(last_seen_at=now))


def list_sessions(session: Session, *, account_id: str) -> list[SignInSession]:
    return list(
        session.scalars(
            select(SignInSession)
            .where(SignInSession.account_id == account_id)
            .order_by(SignInSession.created_at)
        )
    )


# -- personal API tokens ----------------------------------------------------------------


def create_api_token(
    session: Session,
    config: VaultConfig,
    *,
    unlocked: Unlocked,
    name: str,
    scopes: list[str],
    person_ids: list[str],
    expires_at: datetime,
    now: datetime,
) -> tuple[str, ApiToken]:
    """Return the token text (shown once) and its row. Callers check ``person_ids``.

    :raises VaultError: for bad scopes or an expiry in the past or too far ahead.
    """
    if not scopes or not set(scopes) <= TOKEN_SCOPES:
        raise InvalidAccountDetails("Scopes must be some of read, write, share and manage.",
                                    field="scopes")
    if expires_at <= now or expires_at > now + config.token_max_lifetime:
        raise InvalidAccountDetails(
            "Choose an end date in the future and within a year.", field="expires_at"
        )
    account = session.get(Account, unlocked.account_id)
    if account is None:
        raise NotFound
    token, secret = tokens.new_bearer(TOKEN_PREFIX)
    digest = tokens.lookup_digest("api-token", secret)
    row = ApiToken(
        id=new_id(),
        id_digest=digest,
        account_id=account.id,
        scopes=" ".join(sorted(set(scopes))),
        person_ids=json.dumps(sorted(set(person_ids))),
        created_at=now,
        expires_at=expires_at,
    )
    row.name_sealed, row.name_tag = slots.seal_own(
        unlocked, payloads.encode(name), info=token_name_info(row.id))
    row.account_key_wrap = ACCOUNT_KEY.wrap(
        tokens.wrapping_key("api-token", secret),
        unlocked.private_key.raw,
        account=account.id,
        wrapper="api-token",
        wrapper_id=row.id,
    )
    session.add(row)
    session.flush()
    account_event(session, config, account, "token_created", now=now, details={"name": name})
    return token, row


def token_name_info(token_id: str) -> bytes:
    return bind("token-name", token_id)


def token_name(keychain: Keychain, row: ApiToken) -> str:
    name: str = payloads.decode(keychain.open_own_data(
        row.name_sealed, row.name_tag, info=token_name_info(row.id), kind="token-name"))
    return name


def resume_api_token(session: Session, *, token: str, now: datetime) -> tuple[Unlocked, ApiToken]:
    """:raises NotSignedIn: for a malformed, unknown, expired or revoked token."""
    try:
        secret = tokens.parse_bearer(TOKEN_PREFIX, token)
    except InvalidKeyMaterial:
        raise NotSignedIn from None
    row = _working_token(session, secret)
    if (now >= row.expires_at or _use_due(row, now)) and begin_writing(session):
        row = _working_token(session, secret)  # The same row, read again to be written.
    if now >= row.expires_at:
        row.account_key_wrap = b""  # The only way the token reached the key: gone with it.
        session.flush()
        raise NotSignedIn
    unlocked = _unlock(secret, "api-token", row.account_key_wrap, row.account_id, row.id)
    if _use_due(row, now):
        row.last_used_at = now
    return unlocked, row


def _working_token(session: Session, secret: bytes) -> ApiToken:
    row = session.scalar(
        select(ApiToken).where(ApiToken.id_digest == tokens.lookup_digest("api-token", secret))
    )
    if row is None or row.revoked_at is not None:
        raise NotSignedIn
    return row


def _use_due(row: ApiToken, now: datetime) -> bool:
    """A token's last use is kept to the minute, so most reads by token write nothing."""
    return row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION


def touch_api_token(session: Session, *, token_id: str, now: datetime) -> None:
    """Mark the token used now, by statement, like ``touch_session``: to the minute."""
    session.execute(update(ApiToken).where(
        ApiToken.id == token_id,
        ApiToken.last_used_at.is_(None) | (ApiToken.last_used_at <= now - TOKEN_USE_RESOLUTION))
        .values(last_used_at=now))


def revoke_api_tokens(session: Session, *, account_id: str, now: datetime) -> int:
    """Revoke every working token of the account, destroying each wrap; how many there were."""
    return int(session.execute(  # type: ignore[attr-defined]
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now, account_key_wrap=b"")
        .execution_options(synchronize_session=False)).rowcount)


def list_api_tokens(session: Session, *, account_id: str) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.created_at)
        )
    )


def revoke_api_token(
    session: Session, config: VaultConfig, *, account_id: str, token_id: str, now: datetime
) -> ApiToken:
    """:raises NotFound: for a token of another account, so none is revealed."""
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound
    if row.revoked_at is None:
        row.revoked_at = now
        # The wrap is the only way the token reached the key: destroy it with the token.
        row.account_key_wrap = b""
        account_event(session, config, row_account(session, account_id), "token_revoked", now=now)
    return row


# -- sign-ins waiting for their second factor ---------------------------------------------

PENDING_PREFIX = "top"
PENDING_LIFETIME = timedelta(minutes=5)
PENDING_ATTEMPTS = 5


def create_pending_sign_in(session: Session, *, unlocked: Unlocked, now: datetime) -> str:
    """Hold the unlocked account key for five minutes, wrapped under a new bearer secret."""
    token, secret = tokens.new_bearer(PENDING_PREFIX)
    digest = tokens.lookup_digest("pending", secret)
    session.add(PendingSignIn(
        id_digest=digest, account_id=unlocked.account_id, created_at=now,
        expires_at=now + PENDING_LIFETIME, attempts=0,
        account_key_wrap=ACCOUNT_KEY.wrap(tokens.wrapping_key("pending", secret),
                                          unlocked.private_key.raw, account=unlocked.account_id,
                                          wrapper="pending", wrapper_id=digest.hex())))
    session.flush()
    return token


def pending_sign_in_account(session: Session, *, token: str, now: datetime) -> str:
    """Whose pending sign-in this is, without counting a try. :raises NotSignedIn:"""
    row = _live_pending(session, token, now)[1]
    return row.account_id


def _live_pending(session: Session, token: str, now: datetime) -> tuple[bytes, PendingSignIn]:
    try:
        secret = tokens.parse_bearer(PENDING_PREFIX, token)
    except InvalidKeyMaterial:
        raise NotSignedIn from None
    row = session.get(PendingSignIn, tokens.lookup_digest("pending", secret))
    if row is None or now >= row.expires_at or row.attempts >= PENDING_ATTEMPTS:
        raise NotSignedIn
    return secret, row


def resume_pending_sign_in(session: Session, *, token: str, now: datetime) -> tuple[Unlocked,
                                                                                    PendingSignIn]:
    """Count one code attempt. :raises NotSignedIn: for a gone, expired or used-up sign-in."""
    secret, row = _live_pending(session, token, now)
    row.attempts += 1
    return _unlock(secret, "pending", row.account_key_wrap, row.account_id,
                   row.id_digest.hex()), row
