"""Tagging the slots an account sealed before slot tags existed (decision 0005).

Run at a full sign-in, when the account key is in hand. Each untagged slot is checked as far
as anything stored can vouch for it, tagged if it passes, and then the account's marker is
deleted: from that moment an untagged slot is refused. A slot that fails is left untagged,
so its first use after the upgrade raises ``SlotForged``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import hybrid, slots
from keys.binding import BindValue
from keys.errors import DecryptionFailed, KeysError
from keys.hierarchy import ACCOUNT_AUDIT_KEY, AUDIT_KEY, DATA_KEY, PRIVATE_KEY, RECORD_KEY, Sealed
from vault.accounts import Unlocked, audit_key_of
from vault.config import VaultConfig
from vault.credentials import token_name_info
from vault.models import (
    Account,
    ApiToken,
    EntryPart,
    Passkey,
    Person,
    PrivateKeySlot,
    RecordKeySlot,
    SecondFactor,
)
from vault.passkeys import name_info
from vault.people import audit_public_key
from vault.second_factor import secret_info
from vault.sections import SECTION_NAMES
from vault.slots import carries_marker

Check = Callable[[bytes], bool]


def tag_untagged_slots(session: Session, config: VaultConfig, unlocked: Unlocked) -> int:
    """Check and tag every untagged slot of the account, then drop its marker; the number tagged."""
    account = session.get(Account, unlocked.account_id)
    if account is None or account.untagged_slots_signature is None:
        return 0
    if not carries_marker(config, account):
        return 0  # A marker nobody signed lets nothing open: leave it for `tellonce check`.
    upgrade = _Upgrade(unlocked)
    upgrade.key_slots(session, config)
    upgrade.account_slots(session, config, account)
    account.untagged_slots_key_id = None
    account.untagged_slots_signature = None
    session.flush()
    return upgrade.tagged


class _Upgrade:
    def __init__(self, unlocked: Unlocked) -> None:
        self.unlocked = unlocked
        self.mac_key = slots.slot_mac_key(unlocked.private_key, unlocked.account_id)
        self.tagged = 0

    def tag(self, row: Any, sealed: bytes, tag_column: str, info: bytes,
            check: Check | None = None) -> None:
        """Tag one slot when it opens and passes ``check``; leave it untagged otherwise."""
        try:
            opened = hybrid.open_from(self.unlocked.private_key, sealed, info=info)
            if check is not None and not check(opened):
                return
        except KeysError:
            return
        setattr(row, tag_column, slots.slot_tag(self.mac_key, info=info, sealed=sealed))
        self.tagged += 1

    def kind(self, kind: Sealed, row: Any, sealed: bytes, tag_column: str,
             ids: dict[str, BindValue], check: Check | None = None) -> None:
        def sized(opened: bytes) -> bool:
            return len(opened) == kind.key_length and (check is None or check(opened))

        self.tag(row, sealed, tag_column, kind.binding(ids), sized)

    def key_slots(self, session: Session, config: VaultConfig) -> None:
        account_id = self.unlocked.account_id
        for record_slot in session.scalars(select(RecordKeySlot).where(
                RecordKeySlot.account_id == account_id, RecordKeySlot.tag.is_(None))):
            person = session.get(Person, record_slot.person_id)
            if person is None:
                continue
            check = (_opens_audit_key(config, person) if record_slot.epoch == person.epoch
                     else None)
            self.kind(RECORD_KEY, record_slot, record_slot.sealed, "tag",
                      {"person": person.id, "member": account_id, "epoch": record_slot.epoch},
                      check)
        for private_slot in session.scalars(select(PrivateKeySlot).where(
                PrivateKeySlot.account_id == account_id, PrivateKeySlot.tag.is_(None))):
            self.kind(PRIVATE_KEY, private_slot, private_slot.sealed, "tag",
                      {"person": private_slot.person_id, "member": account_id},
                      _opens_a_p_part(session, private_slot.person_id))

    def account_slots(self, session: Session, config: VaultConfig, account: Account) -> None:
        if account.audit_private_tag is None:
            trusted = audit_key_of(config, account).raw
            self.kind(ACCOUNT_AUDIT_KEY, account, account.audit_private_sealed,
                      "audit_private_tag", {"account": account.id},
                      lambda raw: _public_half_is(raw, trusted))
        # One-time code secrets and names vouch for nothing: trusted on first use (0005).
        for factor in session.scalars(select(SecondFactor).where(
                SecondFactor.account_id == account.id, SecondFactor.secret_tag.is_(None))):
            self.tag(factor, factor.secret_sealed, "secret_tag", secret_info(account.id, factor.id))
        for passkey in session.scalars(select(Passkey).where(
                Passkey.account_id == account.id, Passkey.name_tag.is_(None))):
            self.tag(passkey, passkey.name_sealed, "name_tag", name_info(account.id, passkey.id))
        for token in session.scalars(select(ApiToken).where(
                ApiToken.account_id == account.id, ApiToken.name_tag.is_(None))):
            self.tag(token, token.name_sealed, "name_tag", token_name_info(token.id))


def _public_half_is(private_raw: bytes, trusted_public: bytes) -> bool:
    public = hybrid.PrivateKey.from_bytes(private_raw).public_key().raw
    return hmac.compare_digest(public, trusted_public)


def _opens_audit_key(config: VaultConfig, person: Person) -> Check:
    """A record key must open the audit key whose public half the keyring vouches for."""
    trusted = audit_public_key(config, person).raw

    def check(record_key: bytes) -> bool:
        try:
            raw = AUDIT_KEY.unwrap(record_key, person.audit_private_wrapped, person=person.id,
                                   epoch=person.epoch)
        except DecryptionFailed:
            return False
        return _public_half_is(raw, trusted)

    return check


def _opens_a_p_part(session: Session, person_id: str) -> Check | None:
    """A P key must open a P part already written, where there is one (else first use)."""
    part = session.scalars(select(EntryPart).where(EntryPart.person_id == person_id,
                                                   EntryPart.tier == "P").limit(1)).first()
    if part is None:
        return None
    # A part from before decision 0012 names its section; a later one's is sealed on its
    # entry, so each section is tried: the wrap opens under the one it was made in only.
    sections = [part.section] if part.section is not None else list(SECTION_NAMES)

    def check(p_key: bytes) -> bool:
        for section in sections:
            try:
                DATA_KEY.unwrap(p_key, part.wrapped_data_key, person=person_id,
                                entry=part.entry_id, version=part.version, section=section,
                                tier=part.tier)
            except DecryptionFailed:
                continue
            return True
        return False

    return check


UNTAGGED = ((RecordKeySlot.account_id, RecordKeySlot.tag),
            (PrivateKeySlot.account_id, PrivateKeySlot.tag),
            (Account.id, Account.audit_private_tag),
            (SecondFactor.account_id, SecondFactor.secret_tag),
            (Passkey.account_id, Passkey.name_tag),
            (ApiToken.account_id, ApiToken.name_tag))


def untagged_slots(session: Session, config: VaultConfig) -> tuple[int, int]:
    """Untagged slots as ``(waiting, refused)``: of accounts whose marker lets them wait for
    their next sign-in, and of accounts without one, which every use refuses."""
    by_account: dict[str, int] = {}
    for account_column, tag_column in UNTAGGED:
        for account_id in session.scalars(select(account_column).where(tag_column.is_(None))):
            by_account[account_id] = by_account.get(account_id, 0) + 1
    waiting = refused = 0
    for account_id, count in by_account.items():
        if carries_marker(config, session.get(Account, account_id)):
            waiting += count
        else:
            refused += count
    return waiting, refused
