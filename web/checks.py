"""``tellonce check``: everything that would make this server unsafe to run."""

from __future__ import annotations

from collections.abc import Callable

import redis
from sqlalchemy.orm import Session

from consent.history import verify_history
from consent.integrity import records_not_upgraded, refused_slots
from keys.keyring import Keyring, file_mode_is_private
from vault.db import CHECKPOINT_PAGES, Database, sqlite_binding
from vault.migrate import current_revision, head_revision
from web.settings import Settings

Check = Callable[[Settings], str | None]


def _keyring(settings: Settings) -> str | None:
    path = settings.keyring_path
    if not path.exists():
        return "There is no keyring: run 'tellonce init'."
    if not file_mode_is_private(path):
        return "The keyring file must be mode 600 (readable by its owner only)."
    try:
        ring = Keyring.load(path)
    except Exception as exc:
        return f"The keyring cannot be read: {exc}"
    if ring.development and settings.env != "development":
        return "The keyring is a development keyring, and this is not development."
    if ring.missing_purposes():
        return (f"The keyring has no key for {', '.join(ring.missing_purposes())}: "
                "run 'tellonce init'.")
    return None


def _base_url(settings: Settings) -> str | None:
    if settings.env != "development" and not settings.base_url.startswith("https://"):
        return "TELLONCE_BASE_URL must be an https:// address outside development."
    return None


def _database(settings: Settings) -> str | None:
    db = Database(settings.database_url, settings.sqlite_binding)
    try:
        current = current_revision(db.engine)
    except Exception:
        return "The database cannot be reached."
    finally:
        db.dispose()
    if current != head_revision():
        return "The database is not at the latest migration: run 'tellonce init'."
    return None


def _sqlite(settings: Settings) -> str | None:
    if not settings.is_sqlite:
        return None

    db = Database(settings.database_url, settings.sqlite_binding)
    try:
        with db.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            auto = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        binding = db.sqlite
    finally:
        db.dispose()
    # A fixed SQLite checkpoints by itself, and its commits are synced in groups (NORMAL);
    # before the fix only the lock's holder may checkpoint, and SQLite syncs each commit.
    fixed = binding is not None and binding.fixed
    expected_auto, expected_sync = (CHECKPOINT_PAGES, 1) if fixed else (0, 2)
    if mode != "wal" or sync != expected_sync or auto != expected_auto:
        return ("SQLite must run with WAL, the sync and checkpoints as vault/db.py sets them.")
    folder_mode = settings.instance_path.stat().st_mode & 0o077
    if folder_mode:
        return "The instance folder must be readable by its owner only (mode 700)."
    return None


def _redis(settings: Settings) -> str | None:
    if not settings.redis_url:
        return None

    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
    except Exception:
        return "Redis is configured (TELLONCE_REDIS_URL) but does not answer."
    return None


def _cryptography(_settings: Settings) -> str | None:
    # Imported here on purpose: a library that lacks these must be reported, not crash the
    # whole command when it starts.
    try:
        from cryptography.hazmat.primitives import hpke
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        from keys.hybrid import PrivateKey, open_from, seal_to

        key = PrivateKey.generate()
        if open_from(key, seal_to(key.public_key(), b"check", info=b"i"), info=b"i") != b"check":
            return "HPKE does not round-trip."
        Argon2id(salt=b"0" * 16, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"x")
        del hpke
    except Exception:
        return "This cryptography library lacks the ML-KEM-768 + X25519 HPKE or Argon2id."
    return None


def _read_only(settings: Settings, read: Callable[[Session, Keyring], str | None],
               unreadable: str) -> str | None:
    """Run ``read`` in a session that is closed, and so rolled back, whatever happens."""
    db = Database(settings.database_url, settings.sqlite_binding)
    try:
        with db.sessions() as session:
            return read(session, Keyring.load(settings.keyring_path))
    except Exception:
        return unreadable
    finally:
        db.dispose()


def _audit(settings: Settings) -> str | None:
    def first_break(session: Session, keyring: Keyring) -> str | None:
        verified = verify_history(session, keyring)
        return verified.broken[0] if verified.broken else None

    return _read_only(settings, first_break, "The audit history could not be read.")


def _slots(settings: Settings) -> str | None:
    def refused(session: Session, keyring: Keyring) -> str | None:
        count = refused_slots(session, keyring)
        if not count:
            return None
        return (f"{count} key slot(s) have no slot tag and their account no marker from the "
                "keyring: they were planted or damaged, and Tell Once refuses to use them. "
                "Restore them from a backup.")

    return _read_only(settings, refused, "The key slots could not be read.")


CHECKS: tuple[Check, ...] = (_keyring, _base_url, _cryptography, _database, _sqlite, _redis,
                             _audit, _slots)


def _records_not_upgraded(settings: Settings) -> str | None:
    def pending(session: Session, _keyring: Keyring) -> str | None:
        count = records_not_upgraded(session)
        if not count:
            return None
        return (f"{count} record(s) still name their sections, authors or tiers in the "
                "clear: each is sealed when its subject next signs in (decisions 0012 to "
                "0014). Nothing needs doing.")

    return _read_only(settings, pending, "The records could not be read.")


def _sqlite_in_use(settings: Settings) -> str | None:
    """Which SQLite serves, so that an operator knows whether several workers may."""
    if not settings.is_sqlite:
        return None
    binding = sqlite_binding(settings.sqlite_binding)
    note = f"The database is {binding.describe()}."
    if not binding.fixed:
        note += (" Install the pysqlite3 wheel (it bundles a fixed SQLite) and unset "
                 "TELLONCE_SQLITE_BINDING to serve with several workers.")
    return note


# What an operator should know, that is not wrong: printed after the checks, never failing.
NOTES: tuple[Check, ...] = (_sqlite_in_use, _records_not_upgraded)


def run_notes(settings: Settings) -> list[str]:
    return [note for check in NOTES if (note := check(settings))]


def run_checks(settings: Settings) -> list[str]:
    problems = []
    for check in CHECKS:
        problem = check(settings)
        if problem:
            problems.append(problem)
            if check is _database:
                break  # Later checks need the database.
    return problems
