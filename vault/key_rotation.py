"""Giving an account a new key pair, while it is unlocked (issue 10, credential hygiene).

Everything sealed to the old key is opened (its slot tag checked) and sealed again to the new
one with a new tag: record-key and P key slots, the account's audit key, one-time code secrets,
passkey and token names. The passphrase wraps the new key, and a new recovery code is made,
because the old code's key cannot be re-derived without it. Sessions, tokens and pending
sign-ins wrap the old key under secrets the server never keeps, so they all end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keys import hybrid
from keys.binding import BindValue
from keys.hierarchy import ACCOUNT_AUDIT_KEY, PRIVATE_KEY, RECORD_KEY
from vault import credentials, passkeys, second_factor, slot_upgrade, slots
from vault.accounts import Unlocked, account_event, rewrap_for_new_key
from vault.config import VaultConfig
from vault.keychain import Keychain
from vault.models import (
    Account,
    ApiToken,
    Passkey,
    PendingSignIn,
    PrivateKeySlot,
    RecordKeySlot,
    SecondFactor,
)


def rotate_account_key(session: Session, config: VaultConfig, *, account: Account,
                       unlocked: Unlocked, passphrase: str, now: datetime) -> tuple[Unlocked, str]:
    """Re-seal every slot to a new key pair; return it unlocked and the new recovery code.

    :raises SlotForged: when a slot fails its tag: nothing planted is carried over.
    """
    slot_upgrade.tag_untagged_slots(session, config, unlocked)
    old = Keychain(session, config, unlocked)
    new = Unlocked(account.id, hybrid.PrivateKey.generate())
    _reseal_key_slots(session, old, new)
    _reseal_account_data(session, old, new, account)
    code = rewrap_for_new_key(config, account, new.private_key, passphrase)
    session.flush()
    credentials.end_sessions(session, account_id=account.id)
    stopped = credentials.revoke_api_tokens(session, account_id=account.id, now=now)
    session.execute(delete(PendingSignIn).where(PendingSignIn.account_id == account.id))
    account_event(session, config, account, "account_key_rotated", now=now,
                  details={"tokens": stopped})
    return new, code


def _reseal_key_slots(session: Session, old: Keychain, new: Unlocked) -> None:
    member = new.account_id
    for record_slot in session.scalars(select(RecordKeySlot).where(
            RecordKeySlot.account_id == member)):
        ids: dict[str, BindValue] = {"person": record_slot.person_id, "member": member,
                                     "epoch": record_slot.epoch}
        key = old.open_own(RECORD_KEY, record_slot.sealed, record_slot.tag, ids)
        record_slot.sealed, record_slot.tag = slots.seal_own_key(new, RECORD_KEY, key, **ids)
    for private_slot in session.scalars(select(PrivateKeySlot).where(
            PrivateKeySlot.account_id == member)):
        p_ids: dict[str, BindValue] = {"person": private_slot.person_id, "member": member}
        key = old.open_own(PRIVATE_KEY, private_slot.sealed, private_slot.tag, p_ids)
        private_slot.sealed, private_slot.tag = slots.seal_own_key(new, PRIVATE_KEY, key, **p_ids)


def _reseal_account_data(session: Session, old: Keychain, new: Unlocked,
                         account: Account) -> None:
    audit_ids: dict[str, BindValue] = {"account": account.id}
    audit_key = old.open_own(ACCOUNT_AUDIT_KEY, account.audit_private_sealed,
                             account.audit_private_tag, audit_ids)
    account.audit_private_sealed, account.audit_private_tag = slots.seal_own_key(
        new, ACCOUNT_AUDIT_KEY, audit_key, **audit_ids)
    for factor in session.scalars(select(SecondFactor).where(
            SecondFactor.account_id == account.id)):
        info = second_factor.secret_info(account.id, factor.id)
        secret = old.open_own_data(factor.secret_sealed, factor.secret_tag, info=info,
                                   kind="totp-secret")
        factor.secret_sealed, factor.secret_tag = slots.seal_own(new, secret, info=info)
    for passkey in session.scalars(select(Passkey).where(Passkey.account_id == account.id)):
        info = passkeys.name_info(account.id, passkey.id)
        name = old.open_own_data(passkey.name_sealed, passkey.name_tag, info=info,
                                 kind="passkey-name")
        passkey.name_sealed, passkey.name_tag = slots.seal_own(new, name, info=info)
    for token in session.scalars(select(ApiToken).where(ApiToken.account_id == account.id)):
        info = credentials.token_name_info(token.id)
        name = old.open_own_data(token.name_sealed, token.name_tag, info=info, kind="token-name")
        token.name_sealed, token.name_tag = slots.seal_own(new, name, info=info)
