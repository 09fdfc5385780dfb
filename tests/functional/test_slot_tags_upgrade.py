"""Upgrading an instance made before decision 0005: its accounts keep opening their slots.

The migration that adds slot tags cannot tag anything (that needs each account's key), so it
gives every account that exists then a marker the keyring signs; without the keyring it refuses
and changes nothing. A new, empty instance needs no keyring for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from keys.keyring import Keyring
from vault.config import VaultConfig
from vault.db import Database
from vault.migrate import alembic_config, current_revision, head_revision, upgrade
from vault.models import Account
from vault.slots import carries_marker

BEFORE_0005 = "b7e3c1a90d42"
ACCOUNTS = ("5d1e9f0a-2b3c-4d5e-8f70-8192a3b4c5d6", "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d")


def _old_accounts(db: Database) -> None:
    """Account rows as the schema before 0005 held them; their bytes do not matter here."""
    with db.engine.begin() as conn:
        columns = [row for row in conn.execute(text("PRAGMA table_info(accounts)"))
                   if row[1] != "id"]
        for n, account_id in enumerate(ACCOUNTS):
            values = {"id": account_id}
            for _, name, kind, *_ in columns:
                kind = kind.upper()
                values[name] = (datetime(2026, 11, 23, tzinfo=UTC) if "DATETIME" in kind
                                else b"\x01" if "BLOB" in kind else f"{name}-{n}")
            # The column names come from the schema itself, never from input.
            insert = (f"INSERT INTO accounts ({', '.join(values)}) "  # noqa: S608
                      f"VALUES ({', '.join(':' + k for k in values)})")
            conn.execute(text(insert), values)


@pytest.fixture
def old_database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(str(db.engine.url))
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, BEFORE_0005)
    return db


def test_the_upgrade_marks_each_existing_account_with_this_keyrings_signature(
    old_database: Database,
) -> None:
    _old_accounts(old_database)
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


def test_without_the_keyring_the_upgrade_refuses_and_changes_nothing(
    old_database: Database,
) -> None:
    _old_accounts(old_database)
    with pytest.raises(RuntimeError, match="needs the server's keyring"):
        upgrade(old_database.engine)
    assert current_revision(old_database.engine) == BEFORE_0005
    with old_database.engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(accounts)"))]
    assert "untagged_slots_signature" not in columns
    old_database.dispose()


def test_an_instance_with_no_accounts_upgrades_without_the_keyring(
    old_database: Database,
) -> None:
    upgrade(old_database.engine)
    assert current_revision(old_database.engine) == head_revision()
    old_database.dispose()
