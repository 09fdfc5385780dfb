"""Databases as an older release left them, for the tests of each upgrading migration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from vault.db import Database
from vault.migrate import alembic_config


def database_at(folder: Path, revision: str) -> Database:
    """A new SQLite database in ``folder`` with the schema of ``revision`` and no rows."""
    db = Database(f"sqlite:///{folder / 'old.db'}")
    config = alembic_config(str(db.engine.url))
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return db


def add_accounts(db: Database, account_ids: tuple[str, ...]) -> None:
    """Account rows with every column the schema of the moment has; their bytes do not matter."""
    with db.engine.begin() as conn:
        columns = [row for row in conn.execute(text("PRAGMA table_info(accounts)"))
                   if row[1] != "id"]
        for n, account_id in enumerate(account_ids):
            values: dict[str, object] = {"id": account_id}
            for _, name, kind, *_ in columns:
                kind = kind.upper()
                values[name] = (datetime(2026, 11, 23, tzinfo=UTC) if "DATETIME" in kind
                                else b"\x01" if "BLOB" in kind else f"{name}-{n}")
            # The column names come from the schema itself, never from input.
            insert = (f"INSERT INTO accounts ({', '.join(values)}) "  # noqa: S608
                      f"VALUES ({', '.join(':' + k for k in values)})")
            conn.execute(text(insert), values)
