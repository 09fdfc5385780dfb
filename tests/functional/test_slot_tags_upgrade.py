"""Upgrading an instance made before decision 0005: its accounts keep opening their slots.

The migration that adds slot tags cannot tag anything (that needs each account's key), so it
gives every account that exists then a marker the keyring signs; without the keyring it refuses
and changes nothing. A new, empty instance needs no keyring for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from keys.keyring import Keyring
from tests.functional.old_schema import add_accounts, database_at
from vault.config import VaultConfig
from vault.db import Database
from vault.migrate import current_revision, head_revision, upgrade
from vault.models import Account
from vault.slots import carries_marker

BEFORE_0005 = "b7e3c1a90d42"
ACCOUNTS = ("5d1e9f0a-2b3c-4d5e-8f70-8192a3b4c5d6", "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d")


@pytest.fixture
def old_database(tmp_path: Path) -> Database:
    return database_at(tmp_path, BEFORE_0005)


def test_the_upgrade_marks_each_existing_account_with_this_keyrings_signature(
    old_database: Database,
) -> None:
    add_accounts(old_database, ACCOUNTS)
    ring = Keyring.generate()
    upgrade(old_database.engine, keyring=ring)
    assert current_revision(old_database.engine) == head_revision()
    with old_database.transaction() as session:
        for account_id in ACCOUNTS:
            account = session.get(Account, account_id)
            assert carries_marker(VaultConfig(keyring=ring), account)
            # Another server's keyring does not take it.
            assert not carries_marker(VaultConfig(keyring=Keyring.generate()), account)
    old_database.dispose()



def test_an_instance_with_no_accounts_upgrades_without_the_keyring(
    old_database: Database,
) -> None:
    upgrade(old_database.engine)
    assert current_revision(old_database.engine) == head_revision()
    old_database.dispose()
