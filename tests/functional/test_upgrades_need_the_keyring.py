"""Every migration that signs, marks or seals existing rows refuses without the keyring, and
then changes nothing: the schema stays at the revision before it, its columns as they were.

One case for each such revision; a new one belongs here too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.functional.old_schema import add_accounts, database_at
from tests.functional.test_audit_upgrade import BEFORE_0004, _v1_chain
from tests.functional.test_contacts_upgrade import BEFORE_0006
from tests.functional.test_slot_tags_upgrade import ACCOUNTS, BEFORE_0005
from vault.db import Database
from vault.migrate import current_revision, upgrade

# (revision before the migration, rows it must act on, a table and a column it would add)
CASES: dict[str, tuple[str, Callable[[Database], None], str, str]] = {
    "0004 signs audit heads": (BEFORE_0004, lambda db: _v1_chain(db, 3), "audit_heads",
                               "signature"),
    "0005 marks accounts": (BEFORE_0005, lambda db: add_accounts(db, ACCOUNTS), "accounts",
                            "untagged_slots_signature"),
    "0006 seals logins": (BEFORE_0006, lambda db: add_accounts(db, ACCOUNTS), "accounts",
                          "login_digest"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_without_the_keyring_the_upgrade_refuses_and_changes_nothing(tmp_path: Path,
                                                                     case: str) -> None:
    before, rows, table, column = CASES[case]
    db = database_at(tmp_path, before)
    rows(db)
    try:
        with pytest.raises(RuntimeError, match="needs the server's keyring"):
            upgrade(db.engine)
        assert current_revision(db.engine) == before
        with db.engine.connect() as conn:
            columns = [row[1] for row in conn.execute(text(f"PRAGMA table_info({table})"))]
        assert column not in columns
    finally:
        db.dispose()
