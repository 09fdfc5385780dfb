"""Schema migrations with Alembic, driven from code so no ini file is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from keys.keyring import Keyring

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
    )
    return config


def upgrade(engine: Engine, *, keyring: Keyring | None = None) -> None:
    """Bring the schema to the newest revision. A revision that must sign or MAC existing
    rows (decision 0004) reads ``keyring``, and refuses to run on rows without it."""
    config = alembic_config(str(engine.url))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        config.attributes["keyring"] = keyring
        command.upgrade(config, "head")
    if engine.dialect.name == "sqlite":
        # A revision may have sealed what was plain. The WAL keeps the pages as they were
        # until it is overwritten: fold it into the database (which overwrites what it
        # frees, secure_delete) and empty it, so no copy of the file holds the old text.
        with engine.connect() as conn:
            # On the driver's connection: a checkpoint cannot run inside a transaction.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA wal_checkpoint(TRUNCATE)")


def keyring_for(what: str) -> Keyring:
    """The keyring ``upgrade`` was given, for a revision that must ``what`` existing rows.

    :raises RuntimeError: without one, so the revision changes nothing rather than leaving
        rows that something later might sign or seal for an attacker.
    """
    config = op.get_context().config  # The one upgrade() made, while a migration runs.
    keyring: Keyring | None = None if config is None else config.attributes.get("keyring")
    if keyring is None:
        raise RuntimeError(f"This upgrade {what} and needs the server's keyring: run "
                           "`tellonce init`.")
    return keyring


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
