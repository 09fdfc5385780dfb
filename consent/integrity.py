"""What `tellonce check` asks of stored keys: slots that will be refused (decision 0005), and
records whose sections are still plain (decision 0012)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from keys.keyring import Keyring
from vault import metadata_upgrade, slot_upgrade
from vault.config import VaultConfig


def refused_slots(session: Session, keyring: Keyring) -> int:
    """Key slots with no tag on accounts without the keyring's marker: planted or damaged."""
    return slot_upgrade.untagged_slots(session, VaultConfig(keyring=keyring))[1]


def records_not_upgraded(session: Session) -> int:
    """Records whose subject has not signed in since sections were sealed (decision 0012)."""
    return metadata_upgrade.count_not_upgraded(session)
