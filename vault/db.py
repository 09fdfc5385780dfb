"""Database engine, sessions and SQLite safety.

SQLite before 3.51.3 can corrupt a WAL database when two connections write or checkpoint at
once. On SQLite every transaction therefore holds one lock, process-wide (a re-entrant
thread lock) and across processes (``flock`` on a lock file beside the database), from the
moment its connection is checked out of the pool until it is returned; automatic
checkpoints are off and the holder checkpoints before letting go. A command that writes
beside a running server waits for the lock, and after ``LOCK_WAIT_SECONDS`` refuses with a
clear message. PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool

from vault.errors import DatabaseBusy, VaultError

LOCK_WAIT_SECONDS = 30.0
# Checkpoint when the WAL passes this many pages (about 4 MiB), under the write lock.
CHECKPOINT_PAGES = 1000
# Versions at or after this have the WAL fix; older ones need the lock (DESIGN.md, Storage).
SQLITE_FIXED_VERSION = (3, 51, 3)


class Base(DeclarativeBase):
    pass


class ProcessWriteLock:
    """A re-entrant lock held by one thread of one process at a time, across processes."""

    def __init__(self, lock_path: Path, wait_seconds: float | None = None) -> None:
        self._path = lock_path
        self._wait = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> None:
        if not self._thread_lock.acquire(timeout=self._wait):
            raise DatabaseBusy
        try:
            if self._depth == 0:
                self._lock_file()
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def _lock_file(self) -> None:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self._wait
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy from None
                time.sleep(0.01)


def sqlite_version_tuple() -> tuple[int, ...]:
    return tuple(int(p) for p in sqlite3.sqlite_version.split("."))


def _configure_sqlite(engine: Engine, database_path: Path) -> None:
    lock = ProcessWriteLock(database_path.with_name(database_path.name + ".lock"))
    engine.info_lock = lock  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE itself (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "wal_autocheckpoint=0",
            "busy_timeout=30000",
            "secure_delete=ON",  # Deleted ciphertext is overwritten, not left in free pages.
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        lock.acquire()
        # Marked only once held: a checkout that timed out is checked in without the lock.
        record.info["tellonce_locked"] = True

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        if not record.info.pop("tellonce_locked", False):
            return
        try:
            if dbapi_connection is not None:
                _checkpoint_if_needed(dbapi_connection)
        finally:
            lock.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock of SQLite itself at the start, so a transaction never fails
        # half way when it first writes.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _checkpoint_if_needed(dbapi_connection: Any) -> None:
    try:
        cursor = dbapi_connection.cursor()
        row = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        # row = (busy, wal pages, checkpointed pages); truncate when it has grown.
        if row and row[1] > CHECKPOINT_PAGES:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    except Exception:  # noqa: S110 - a failed checkpoint is retried at the next checkin.
        pass


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite gets WAL, FULL sync and the write lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=QueuePool, pool_size=5, max_overflow=10)
        database = engine.url.database
        if not database or database == ":memory:":
            raise VaultError("Tell Once needs a SQLite file, not an in-memory database.")
        _configure_sqlite(engine, Path(database))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> None:
    """INSERT a row unless its primary key exists, atomically on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(model).values(**values).on_conflict_do_nothing())


# -- the unit of work ------------------------------------------------------------------------
#
# Operations flush and never commit: each front door (a request, a command) commits once at
# its end, or rolls back on any error. Two small hooks live here, below the front doors, so
# that operations in ``consent`` can use them without knowing any web framework. Decision
# 0003 (docs/decisions/) explains both.

AFTER_COMMIT = "tellonce.after_commit"
KEEPING = "tellonce.keeping"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once this unit of work's writes are committed; never if rolled back.

    For what must not happen unless the writes stay, and must not hold the database while it
    happens: an email saying a link was opened, for example.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(action)


def run_after_commit(session: Session) -> None:
    """Run the actions waiting for the commit that just happened, in the order given."""
    for action in session.info.pop(AFTER_COMMIT, []):
        action()


def discard_after_commit(session: Session) -> None:
    """Forget the waiting actions: their writes were rolled back."""
    session.info.pop(AFTER_COMMIT, None)


def keep_even_if_refused(session: Session) -> None:
    """Commit now what this unit of work has written, because it must stay even if the request
    is then refused: a wrong passcode or passphrase counted, a failure audited, a challenge
    used up. The one way an operation commits (decision 0003).

    It also ends the transaction, so slow work that follows (Argon2id) holds no connection
    and, on SQLite, no lock. Call it only when everything written so far must stay.
    """
    session.info[KEEPING] = True
    try:
        session.commit()
    finally:
        session.info.pop(KEEPING, None)
    run_after_commit(session)


def is_keeping(session: Session) -> bool:
    """True while ``keep_even_if_refused`` commits: lets a test tell its commits apart."""
    return bool(session.info.get(KEEPING))


class Database:
    """An engine and its session factory.

    ``transaction()`` is a unit of work of its own, for tools and tests; the server's front
    doors open theirs in one place each (``web/unit_of_work.py``, ``web/cli.py``).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def transaction(self) -> _Transaction:
        return _Transaction(self.sessions)

    def dispose(self) -> None:
        self.engine.dispose()


class _Transaction:
    """``with db.transaction() as s:`` commits on success and rolls back on any error; the
    actions waiting for the commit run after it."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._session: Session | None = None

    def __enter__(self) -> Session:
        self._session = self._factory()
        return self._session

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self._session is None:
            return
        try:
            if exc_type is None:
                self._session.commit()
                run_after_commit(self._session)
            else:
                self._session.rollback()
                discard_after_commit(self._session)
        finally:
            self._session.close()
