"""The slots an account seals for itself, each sealed with a tag and opened only with it
(decision 0005).

Every self-sealed slot of the vault (record-key and P key slots, the account's audit key, the
one-time code secret, passkey and token names) is made by ``seal_own`` and read by
``open_own``. An untagged slot opens only while its account carries the marker the migration
signed; anything else that fails is ``SlotForged``, never a fallback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from keys import slots
from keys.binding import BindValue
from keys.errors import DecryptionFailed, InvalidKeyMaterial
from keys.hierarchy import Sealed
from vault.config import VaultConfig
from vault.models import Account

if TYPE_CHECKING:  # vault.accounts seals with this module: import its type only.
    from vault.accounts import Unlocked


def seal_own(unlocked: Unlocked, plaintext: bytes, *, info: bytes) -> tuple[bytes, bytes]:
    """Seal ``plaintext`` to the unlocked account itself; return the sealed bytes and tag."""
    return slots.seal_own(unlocked.private_key, unlocked.account_id, plaintext, info=info)


def carries_marker(config: VaultConfig, account: Account | None) -> bool:
    """Whether the account may still hold untagged slots: a marker the keyring signed."""
    if account is None or account.untagged_slots_signature is None:
        return False
    try:
        config.keyring.verify_signature(slots.untagged_marker_message(account.id),
                                        bytes(account.untagged_slots_signature),
                                        account.untagged_slots_key_id or "")
    except DecryptionFailed:
        return False
    return True


def open_own(session: Session, config: VaultConfig, unlocked: Unlocked, sealed: bytes,
             tag: bytes | None, *, info: bytes, kind: str) -> bytes:
    """Open a slot the unlocked account sealed for itself, checking its tag first.

    :raises SlotForged: for a wrong tag, or none on an account without a marker.
    :raises DecryptionFailed: for a slot whose tag is right but which does not open.
    """
    allowed = tag is None and carries_marker(config, session.get(Account, unlocked.account_id))
    return slots.open_own(unlocked.private_key, unlocked.account_id, sealed, tag, info=info,
                          kind=kind, untagged_allowed=allowed)


def seal_own_key(unlocked: Unlocked, kind: Sealed, key: bytes,
                 **ids: BindValue) -> tuple[bytes, bytes]:
    """A key of ``kind`` sealed to the unlocked account itself, with its tag."""
    if len(key) != kind.key_length:
        raise InvalidKeyMaterial
    return seal_own(unlocked, key, info=kind.binding(ids))
