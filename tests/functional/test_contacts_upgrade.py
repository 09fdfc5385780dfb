"""Upgrading an instance made before decision 0006: every login and address is sealed.

The migration keys and seals each plain login and notice address under the keyring's contact
key and drops the plain columns; people still sign in by either, and notices still find the
address. Without the keyring it refuses and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from keys.keyring import Keyring
from tests.functional.old_schema import add_accounts, database_at
from tests.functional.test_slot_tags_upgrade import ACCOUNTS
from vault import accounts, contacts
from vault.config import VaultConfig
from vault.db import Database
from vault.migrate import current_revision, head_revision, upgrade

BEFORE_0006 = "c4a9e2f17b30"
PLAIN = {ACCOUNTS[0]: ("rosie.smith", "rosie.smith@example.org"), ACCOUNTS[1]: ("dennis", None)}


@pytest.fixture
def old_database(tmp_path: Path) -> Database:
    db = database_at(tmp_path, BEFORE_0006)
    add_accounts(db, tuple(PLAIN))
    with db.engine.begin() as conn:
        for account_id, (login, email) in PLAIN.items():
            conn.execute(text("UPDATE accounts SET login = :l, email = :e WHERE id = :i"),
                         {"l": login, "e": email, "i": account_id})
    return db


def _columns(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [row[1] for row in conn.execute(text("PRAGMA table_info(accounts)"))]


def test_the_upgrade_seals_every_login_and_address_and_drops_the_plain_columns(
    old_database: Database,
) -> None:
    ring = Keyring.generate()
    upgrade(old_database.engine, keyring=ring)
    assert current_revision(old_database.engine) == head_revision()
    assert "login" not in _columns(old_database)
    assert "email" not in _columns(old_database)
    config = VaultConfig(keyring=ring)
    with old_database.transaction() as session:
        for account_id, (login, email) in PLAIN.items():
            for typed in (login, email):
                if typed is not None:
                    found = accounts.find_account(session, config, typed.upper())
                    assert found is not None
                    assert found.id == account_id
            account = session.get(accounts.Account, account_id)
            assert contacts.login_of(config, account) == login
            assert contacts.email_of(config, account) == email
    raw = b"".join(p.read_bytes() for p in Path(str(old_database.engine.url.database)).parent
                   .iterdir())
    assert b"rosie.smith" not in raw
    old_database.dispose()
