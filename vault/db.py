"""Database engine, sessions and SQLite safety.

SQLite before 3.51.3 can corrupt a WAL database when two connections write or checkpoint at
once (the WAL-reset bug). The embedded mode therefore prefers the SQLite that the
``pysqlite3`` wheel bundles (3.51.3 or later), used through SQLAlchemy's own SQLite dialect:
with it, readers never wait on a writer, several processes may serve, and writers meet only
SQLite's own write lock (``BEGIN IMMEDIATE``), queued in each process by a thread lock so
that they wait in turn instead of in SQLite's sleeping busy loop.

On an older SQLite (the system's, when the wheel is missing or ``TELLONCE_SQLITE_BINDING`` is
``system``) every transaction holds one lock, process-wide (a re-entrant thread lock) and
across processes (``flock`` on a lock file beside the database), from the moment its
connection is checked out of the pool until it is returned; automatic checkpoints are off and
the holder checkpoints, by the WAL's size, before letting go. A command that writes beside a
running server waits for the lock, and after ``LOCK_WAIT_SECONDS`` refuses with a clear
message. PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool

from vault.errors import DatabaseBusy, VaultError

LOCK_WAIT_SECONDS = 30.0
# How often a writer tries again for SQLite's write lock while another process holds it.
WRITER_POLL_SECONDS = 0.0005
# Checkpoint when the WAL passes this many 4 KiB pages (about 4 MiB): SQLite's own default.
CHECKPOINT_PAGES = 1000
# An execution option: the unit of work only reads (a snapshot that waits for no writer).
READ_ONLY = "tellonce_read_only"
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


# The two ways to reach SQLite: the one the pysqlite3 wheel bundles, or the system's.
SQLITE_BINDINGS = ("bundled", "system")


@dataclass(frozen=True)
class SqliteBinding:
    """Which SQLite the embedded mode runs on, and whether it needs the lock."""

    module: ModuleType
    name: str  # "pysqlite3" or "sqlite3", as the module is imported
    version: str

    @property
    def fixed(self) -> bool:
        """True when this SQLite has the WAL-reset fix, so no lock is needed."""
        return _version_tuple(self.version) >= SQLITE_FIXED_VERSION

    def describe(self) -> str:
        how = ("readers never wait, several workers may serve" if self.fixed
               else "before the WAL fix of 3.51.3: one lock for every transaction, one worker")
        return f"SQLite {self.version} through {self.name} ({how})"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def sqlite_binding(choice: str = "bundled") -> SqliteBinding:
    """The SQLite to use: the bundled one when the wheel is installed, else the system's."""
    if choice not in SQLITE_BINDINGS:
        raise VaultError(f"The SQLite binding must be one of {', '.join(SQLITE_BINDINGS)}.")
    if choice == "bundled":
        try:
            from pysqlite3 import dbapi2 as bundled
        except ImportError:  # No wheel for this platform: the system's SQLite, with the lock.
            pass
        else:
            return SqliteBinding(bundled, "pysqlite3", bundled.sqlite_version)
    return SqliteBinding(sqlite3, "sqlite3", sqlite3.sqlite_version)


def _configure_sqlite(engine: Engine, database_path: Path, binding: SqliteBinding) -> None:
    engine.info_binding = binding  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _pragmas(binding):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    if binding.fixed:
        _queue_writers(engine, binding.module.OperationalError,
                       GroupSync(database_path.with_name(database_path.name + "-wal")))
    else:
        _lock_every_transaction(engine, database_path)

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # Another process held SQLite's write lock for longer than busy_timeout: say so
        # plainly, as the lock does, rather than as a database error.
        error = context.original_exception
        if (isinstance(error, binding.module.OperationalError)
                and str(error) == "database is locked"):
            raise DatabaseBusy from error


def _pragmas(binding: SqliteBinding) -> list[str]:
    pragmas = [
        "journal_mode=WAL",
        # The fixed SQLite commits without a sync, and GroupSync makes each commit durable
        # before its caller goes on; before the fix, SQLite syncs every commit itself.
        "synchronous=NORMAL" if binding.fixed else "synchronous=FULL",
        "foreign_keys=ON",
        # A writer from another process waits this long for SQLite's write lock.
        f"busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}",
        "secure_delete=ON",  # Deleted ciphertext is overwritten, not left in free pages.
        # A WAL reset keeps its file; this trims it back once it has grown past the limit.
        f"journal_size_limit={CHECKPOINT_PAGES * 4096}",
    ]
    if not binding.fixed:
        pragmas.append("wal_autocheckpoint=0")  # The lock holder checkpoints instead.
    return pragmas


def _queue_writers(engine: Engine, binding_error: type[Exception], durable: GroupSync) -> None:
    """On a fixed SQLite: a read takes a snapshot and waits for nobody; a write begins with
    SQLite's write lock (so it never fails half way when it first writes), which this
    process's writers take in turn through a thread lock. Once a write's connection is back
    (committed, or rolled back), the lock is let go and the WAL is synced before its caller
    goes on: group commit, outside the lock."""
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        record_info = conn.connection.info
        if conn.get_execution_options().get(READ_ONLY):
            _set_query_only(conn, record_info, True)
            conn.exec_driver_sql("BEGIN")
            return
        _set_query_only(conn, record_info, False)
        if not writers.acquire(timeout=LOCK_WAIT_SECONDS):
            raise DatabaseBusy
        record_info["tellonce_writing"] = True
        try:
            _begin_immediate(conn.connection.driver_connection, binding_error)
        except BaseException:
            record_info.pop("tellonce_writing", None)
            writers.release()
            raise

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop("tellonce_writing", False):
            writers.release()
            durable.wait()


class GroupSync:
    """Group commit for the WAL: a writer's commit is durable once this returns.

    SQLite with ``synchronous=NORMAL`` commits by writing its frames to the WAL, and syncs
    the WAL only before a checkpoint (and the database after one), so a commit survives a
    crash of the process at once, and a power cut once the WAL is synced. Syncing here, after
    the write lock is let go, lets the next writer in meanwhile, and lets one sync serve every
    writer of this process that committed before it began: what SQLite's ``FULL`` gives, a
    commit on disk before anyone is answered, at the cost of one sync for many commits.

    Each process syncs for its own writers; a sync of the file covers whatever any process
    wrote to it.
    """

    def __init__(self, wal: Path) -> None:
        self._wal = wal
        self._turn = threading.Condition()
        self._committed = 0  # Commits of this process, in the order they were made.
        self._synced = 0  # Every commit up to this one is on disk.
        self._syncing = False
        self._folder_synced = False

    def wait(self) -> None:
        """Return once every commit this process made until now is on disk.

        :raises OSError: when the sync fails; the commit may then be lost to a power cut, so
            the caller must not answer as if it had been kept.
        """
        with self._turn:
            self._committed += 1
            mine = self._committed
            while self._synced < mine:
                if self._syncing:
                    self._turn.wait()
                    continue
                self._sync_for_everyone_until(self._committed)

    def _sync_for_everyone_until(self, target: int) -> None:
        """One sync, outside the condition's lock, for every commit up to ``target``."""
        self._syncing = True
        synced = False
        self._turn.release()
        try:
            self._sync()
            synced = True
        finally:
            self._turn.acquire()
            self._syncing = False
            if synced:
                self._synced = max(self._synced, target)
            self._turn.notify_all()

    def _sync(self) -> None:
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            # The last connection checkpointed the WAL into the database, synced it, and
            # removed it: what it held is on disk already.
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if not self._folder_synced:
            # Once, for the WAL's own name in its folder: a new file is not on disk until then.
            folder = os.open(self._wal.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
            self._folder_synced = True


def _begin_immediate(driver: Any, busy: type[Exception]) -> None:
    """Take SQLite's write lock, trying again every WRITER_POLL_SECONDS while another process
    holds it. SQLite's own busy handler would wait too, but it backs off to 100 ms sleeps, so
    a writer behind a writer of a few milliseconds could wait a tenth of a second or more."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    driver.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                driver.execute("BEGIN IMMEDIATE")
                return
            except busy as error:
                if str(error) != "database is locked":
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseBusy from error
                time.sleep(WRITER_POLL_SECONDS)
    finally:
        driver.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}")


def _set_query_only(conn: Any, record_info: dict[str, Any], on: bool) -> None:
    """A read-only unit of work cannot write by mistake: SQLite itself refuses the write."""
    if record_info.get("tellonce_query_only", False) != on:
        conn.exec_driver_sql(f"PRAGMA query_only={int(on)}")
        record_info["tellonce_query_only"] = on


def _lock_every_transaction(engine: Engine, database_path: Path) -> None:
    """Before the WAL fix: one transaction at a time, across threads and processes."""
    lock = ProcessWriteLock(database_path.with_name(database_path.name + ".lock"))
    wal = database_path.with_name(database_path.name + "-wal")

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
                _checkpoint_if_grown(dbapi_connection, wal)
        finally:
            lock.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Under the lock nobody else is in a transaction: a write begins as one at once.
        read_only = bool(conn.get_execution_options().get(READ_ONLY))
        _set_query_only(conn, conn.connection.info, read_only)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _checkpoint_if_grown(dbapi_connection: Any, wal: Path) -> None:
    """Fold the WAL back once it passes CHECKPOINT_PAGES. Every checkpoint here truncates
    the WAL, so its file size counts the pages written since: a stat, not a checkpoint, at
    each checkin."""
    try:
        if wal.stat().st_size <= CHECKPOINT_PAGES * 4096:
            return
    except FileNotFoundError:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    except Exception:  # noqa: S110 - a failed checkpoint is retried at the next checkin.
        pass


def make_engine(url: str, sqlite: str = "bundled") -> Engine:
    """Create the engine for ``url``. SQLite gets WAL, and either queued writers with group
    commit (a fixed SQLite) or FULL sync and the lock (an older one); ``sqlite`` picks the
    binding."""
    if url.startswith("sqlite"):
        binding = sqlite_binding(sqlite)
        engine = create_engine(url, module=binding.module, poolclass=QueuePool,
                               pool_size=5, max_overflow=10)
        database = engine.url.database
        if not database or database == ":memory:":
            raise VaultError("Tell Once needs a SQLite file, not an in-memory database.")
        _configure_sqlite(engine, Path(database), binding)
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


def run_prepared(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """Run a statement built once (with ``bindparam``s) on the unit of work's connection,
    after flushing what the unit of work holds, as ``session.execute`` would.

    For the few statements on the path of every link opening: built for each call and run
    through the ORM, a statement costs several times what running it does.
    """
    session.flush()
    return session.connection().execute(statement, params)


def upsert_statement(dialect: str, model: type[Base], *, keys: tuple[str, ...],
                     changes: dict[str, Any], returning: tuple[Any, ...]) -> Any:
    """INSERT a row, or apply ``changes`` to the one with the same ``keys``: one atomic
    statement on SQLite and PostgreSQL, returning the ``returning`` columns as the row now
    is. Built once per dialect; run with the row's values (``run_prepared``)."""
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (dialect_insert(model).on_conflict_do_update(index_elements=list(keys), set_=changes)
            .returning(*returning))


# -- reading only ----------------------------------------------------------------------------

# In a read-only unit of work's info: the execution options that turn it into a writing one.
READING = "tellonce.reading"


def begin_writing(session: Session) -> bool:
    """Turn a read-only unit of work into one that writes; True if it was read-only.

    For a read that finds, before it has done anything else, that it must write after all (a
    token's last use, a credential found past its end). Its snapshot ends, so what it loaded
    is loaded again as it is used, and a write transaction begins; on SQLite it waits its turn
    with every writer.
    """
    writing = session.info.pop(READING, None)
    if writing is None:
        return False
    session.rollback()
    session.connection(execution_options=writing)
    return True


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

    def __init__(self, url: str, sqlite: str = "bundled") -> None:
        self.url = url
        self.engine = make_engine(url, sqlite)
        self.sessions = make_session_factory(self.engine)
        # For a unit of work that only reads: on SQLite a snapshot that waits for no writer;
        # on both databases a write in it is refused by the database itself.
        key = READ_ONLY if is_sqlite(self.engine) else "postgresql_readonly"
        self.read_sessions = sessionmaker(
            bind=self.engine.execution_options(**{key: True}), expire_on_commit=False,
            info={READING: {key: False}})

    @property
    def sqlite(self) -> SqliteBinding | None:
        """The SQLite in use, or None on PostgreSQL."""
        binding: SqliteBinding | None = getattr(self.engine, "info_binding", None)
        return binding

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
