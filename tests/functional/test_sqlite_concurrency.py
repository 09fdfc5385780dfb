"""Concurrent writers cannot corrupt an embedded SQLite database or lose a write.

SQLite before 3.51.3 can corrupt a WAL database when two connections write or checkpoint
at once (DESIGN.md, "Storage and scale"). vault/db.py therefore runs on the SQLite the
pysqlite3 wheel bundles, which has the fix, and falls back to one lock for every transaction
on an older one. Each test here runs on both: the bundled SQLite and the system's (on this
project's machines, 3.40.1, before the fix). They write at once from threads and from a
second process, then ask SQLite itself whether the file is intact and count every row, and
show that a writer beside a long transaction waits or refuses clearly, and that on the fixed
SQLite a reader beside it waits for nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from tests.factories import Person, make_person
from vault import db as vault_db
from vault.db import (
    CHECKPOINT_PAGES,
    LOCK_WAIT_SECONDS,
    SQLITE_BINDINGS,
    Database,
    ProcessWriteLock,
    sqlite_binding,
)
from vault.errors import DatabaseBusy
from vault.migrate import upgrade
from vault.models import Entry, EntryVersion, SignInThrottle

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TELLONCE_TEST_DATABASE_URL")),
    reason="SQLite's own locking; PostgreSQL runs the same suite without it",
)

REPO = Path(__file__).resolve().parents[2]

# A second process: waits for "go", then writes rows, each in a transaction of its own.
# Halfway through it says so and waits until the threads are halfway too, so that the two
# processes' writes are interleaved by construction, however the scheduler runs them.
WRITER = """
import sys, time
from pathlib import Path
from vault.db import Database
from vault.models import SignInThrottle

url, ready, go, count = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
my_half, their_half, binding = Path(sys.argv[5]), Path(sys.argv[6]), sys.argv[7]
db = Database(url, binding)
ready.touch()
while not go.exists():
    time.sleep(0.002)
for i in range(count):
    if i == count // 2:
        my_half.touch()
        deadline = time.monotonic() + 60
        while not their_half.exists() and time.monotonic() < deadline:
            time.sleep(0.002)
    with db.transaction() as s:
        s.add(SignInThrottle(key_digest=b"proc" + i.to_bytes(28, "big"), failures=i))
db.dispose()
"""

# A second process that holds the write lock in one long transaction, until told to let go
# or for at most the seconds given.
HOLDER = """
import sys, time
from pathlib import Path
from vault.db import Database
from vault.models import SignInThrottle

url, held, seconds, binding = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
let_go = held.with_name("let-go")
db = Database(url, binding)
with db.transaction() as s:
    s.add(SignInThrottle(key_digest=b"holder".ljust(32, b"."), failures=1))
    s.flush()  # The write has begun, so the lock is held from here.
    held.touch()
    deadline = time.monotonic() + seconds
    while not let_go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
db.dispose()
"""

HOLDERS_ROW = b"holder".ljust(32, b".")


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def _wait_for(path: Path, proc: subprocess.Popen[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the helper process never got ready: {_finish(proc)}")
        time.sleep(0.01)


def _integrity(db: Database) -> str:
    with db.engine.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


@pytest.fixture(params=SQLITE_BINDINGS)
def binding(request: pytest.FixtureRequest) -> str:
    """Each test runs on the bundled SQLite (fixed) and on the system's (the lock)."""
    choice: str = request.param
    if choice == "bundled" and not sqlite_binding("bundled").fixed:
        pytest.skip("no fixed SQLite is bundled on this platform")
    if choice == "system" and sqlite_binding("system").fixed:
        pytest.skip("the system's SQLite is fixed here, so the lock is never used")
    return choice


@pytest.fixture
def fresh_db(tmp_path: Path, binding: str) -> Iterator[tuple[Database, str]]:
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    db = Database(url, binding)
    upgrade(db.engine)
    yield db, url
    db.dispose()


def test_the_bundled_sqlite_is_fixed() -> None:
    """The pinned wheel is there on this platform, and its SQLite has the WAL-reset fix:
    without it the embedded mode would fall back to the lock without a word."""
    bundled = sqlite_binding("bundled")
    assert bundled.name == "pysqlite3"
    assert bundled.fixed, bundled.describe()


def test_connections_use_wal_and_their_sync(fresh_db: tuple[Database, str], binding: str) -> None:
    db, _ = fresh_db
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # Fixed: NORMAL, with the commits synced in groups (GroupSync). The lock: FULL.
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == (
            1 if binding == "bundled" else 2)
        version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
        automatic = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert version == sqlite_binding(binding).version
    # Fixed: SQLite checkpoints by itself. The lock: only its holder does, by the WAL's size.
    assert automatic == (CHECKPOINT_PAGES if binding == "bundled" else 0)


def test_the_wal_is_folded_back_as_it_grows(
    fresh_db: tuple[Database, str], tmp_path: Path
) -> None:
    """Checkpoints, SQLite's own or the lock holder's, keep the WAL near its limit."""
    db, _ = fresh_db
    wal = tmp_path / "concurrent.db-wal"
    with db.engine.connect() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    limit = CHECKPOINT_PAGES * page_size
    sizes = []
    for n in range(80):
        with db.transaction() as session:
            session.add(SignInThrottle(key_digest=os.urandom(32), failures=n))
            # A big row: each transaction adds about 100 KB to the WAL, 8 MB in all.
            session.execute(text("CREATE TABLE IF NOT EXISTS ballast (b BLOB)"))
            session.execute(text("INSERT INTO ballast VALUES (randomblob(100000))"))
        sizes.append(wal.stat().st_size)
    assert sizes[0] > 0
    assert max(sizes) <= limit + 300_000  # Never much past the limit, though 8 MB went by.
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottle)) == 80


@pytest.mark.commits  # Threads of their own: each needs its own connection.
def test_threads_writing_entries_through_the_app_lose_nothing(
    app: Flask, database: Database
) -> None:
    threads_count, per_thread = 8, 25
    setup = app.test_client()
    people = [make_person(setup, name=f"Writer {n}") for n in range(threads_count)]
    barrier = threading.Barrier(threads_count)
    failures: list[str] = []

    def write(person: Person) -> None:
        client = app.test_client()
        url = f"/api/v1/people/{person.person_id}/entries"
        barrier.wait()
        for n in range(per_thread):
            response = client.post(url, json={"section": "journal",
                                              "data": {"text": f"Note {n}."}},
                                   headers=person.auth)
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.get_json(silent=True)}")

    workers = [threading.Thread(target=write, args=(p,)) for p in people]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not failures, failures[:5]
    assert _integrity(database) == "ok"
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == threads_count * per_thread
        assert session.scalar(
            select(func.count()).select_from(EntryVersion)) == threads_count * per_thread
    for person in people:
        listed = setup.get(f"/api/v1/people/{person.person_id}/entries", headers=person.auth)
        assert sorted(e["data"]["text"] for e in listed.json) == sorted(
            f"Note {n}." for n in range(per_thread))


def test_another_process_and_threads_writing_at_once(
    fresh_db: tuple[Database, str], tmp_path: Path, binding: str
) -> None:
    db, url = fresh_db
    per_process, threads_count, per_thread = 200, 4, 50
    ready, go = tmp_path / "ready", tmp_path / "go"
    process_half, threads_half = tmp_path / "process-half", tmp_path / "threads-half"
    proc = _python(WRITER, url, str(ready), str(go), str(per_process),
                   str(process_half), str(threads_half), binding)
    _wait_for(ready, proc)
    barrier = threading.Barrier(threads_count + 1)
    halfway = threading.Barrier(threads_count, action=threads_half.touch)

    def write(thread: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            if i == per_thread // 2:
                halfway.wait(timeout=60)
                _wait_for(process_half, proc, seconds=60)
            with db.transaction() as s:
                key = b"thread" + bytes([thread]) + i.to_bytes(25, "big")
                s.add(SignInThrottle(key_digest=key, failures=i))

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads_count)]
    for worker in workers:
        worker.start()
    go.touch()
    barrier.wait()
    for worker in workers:
        worker.join(timeout=120)
    _finish(proc)

    # The two processes really did write at the same time: in the order the rows were
    # written, each process wrote some of its rows after some of the other's. The halfway
    # meeting makes this so; the check shows the meeting worked.
    with db.transaction() as s:
        order = [key.startswith(b"proc") for key in s.scalars(
            select(SignInThrottle.key_digest).order_by(text("rowid")))]
    first_of_the_process, first_of_a_thread = order.index(True), order.index(False)
    assert True in order[first_of_a_thread:]
    assert False in order[first_of_the_process:]
    assert _integrity(db) == "ok"
    with db.transaction() as s:
        keys = set(s.scalars(select(SignInThrottle.key_digest)))
    assert len(keys) == per_process + threads_count * per_thread
    assert {b"proc" + i.to_bytes(28, "big") for i in range(per_process)} <= keys


def test_a_writer_beside_a_long_transaction_refuses_or_waits(
    fresh_db: tuple[Database, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    binding: str,
) -> None:
    db, url = fresh_db
    hold = 3.0
    held = tmp_path / "held"
    proc = _python(HOLDER, url, str(held), str(hold), binding)
    _wait_for(held, proc)

    # A short wait gives up with the clear message while the holder still holds the lock.
    if binding == "system":
        # The lock file: after waiting the whole of its wait, not at once. Its clock is moved
        # by each of its sleeps rather than waited for (the standard library's time).
        impatient = ProcessWriteLock(Path(db.engine.url.database + ".lock"), wait_seconds=0.2)
        clock = _SteppedClock()
        monkeypatch.setattr(vault_db, "time", clock)
        with pytest.raises(DatabaseBusy) as refused:
            impatient.acquire()
        monkeypatch.undo()
        assert 0.2 <= clock.slept < 0.2 + 2 * POLL_SECONDS  # Given up within a poll of it.
    else:
        # SQLite's own write lock, tried for as long as LOCK_WAIT_SECONDS.
        monkeypatch.setattr(vault_db, "LOCK_WAIT_SECONDS", 0.2)
        impatient_db = Database(url, binding)
        with pytest.raises(DatabaseBusy) as refused, impatient_db.transaction() as s:
            s.add(SignInThrottle(key_digest=b"impatient".ljust(32, b"."), failures=3))
        impatient_db.dispose()
        monkeypatch.undo()
    assert proc.poll() is None  # The holder has not let go.
    assert "Another Tell Once process is writing" in refused.value.message
    assert refused.value.code == "database_busy"

    # The default wait is long enough: the write goes through once the holder commits, so
    # its transaction begins with the holder's row already there.
    assert LOCK_WAIT_SECONDS > hold
    with db.transaction() as s:
        assert s.scalars(select(SignInThrottle.key_digest)).all() == [HOLDERS_ROW]
        s.add(SignInThrottle(key_digest=b"patient".ljust(32, b"."), failures=2))
    _finish(proc)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SignInThrottle)) == 2
    assert _integrity(db) == "ok"


def test_on_the_fixed_sqlite_a_reader_waits_for_no_writer(
    fresh_db: tuple[Database, str], tmp_path: Path, binding: str
) -> None:
    if binding != "bundled":
        pytest.skip("before the fix every transaction takes the lock, reads included")
    db, url = fresh_db
    with db.transaction() as s:
        s.add(SignInThrottle(key_digest=b"before".ljust(32, b"."), failures=0))
    held = tmp_path / "held"
    proc = _python(HOLDER, url, str(held), "60", binding)
    _wait_for(held, proc)
    try:
        # The holder keeps its write open until told, so this read ran beside it, and sees
        # what was committed before it, not the holder's row.
        with db.read_sessions() as s:
            seen = s.scalars(select(SignInThrottle.key_digest)).all()
        assert proc.poll() is None
        assert seen == [b"before".ljust(32, b".")]
    finally:
        (tmp_path / "let-go").touch()
    _finish(proc)


def test_a_read_only_unit_of_work_cannot_write(fresh_db: tuple[Database, str]) -> None:
    """A front door that says it only reads is held to it by SQLite itself; the connection
    then writes again for the next unit of work that may."""
    db, _ = fresh_db
    with db.read_sessions() as s:
        s.add(SignInThrottle(key_digest=b"sneaky".ljust(32, b"."), failures=1))
        with pytest.raises(OperationalError, match="readonly"):
            s.flush()
    with db.transaction() as s:
        s.add(SignInThrottle(key_digest=b"allowed".ljust(32, b"."), failures=1))
    with db.read_sessions() as s:
        assert s.scalars(select(SignInThrottle.key_digest)).all() == [
            b"allowed".ljust(32, b".")]


POLL_SECONDS = 0.01  # How long ProcessWriteLock sleeps between tries.


class _SteppedClock:
    """``time`` for vault.db: each sleep moves the clock on at once instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """Each WAL sync of GroupSync, as (began, ended); each takes 20 ms, as a slow disk's
    would, so that writers meet while one is under way."""
    seen: list[tuple[float, float]] = []
    real = vault_db.GroupSync._sync

    def slow(self: vault_db.GroupSync) -> None:
        began = time.monotonic()
        time.sleep(0.02)
        real(self)
        seen.append((began, time.monotonic()))

    monkeypatch.setattr(vault_db.GroupSync, "_sync", slow)
    return seen


def _fixed_only(binding: str) -> None:
    if binding != "bundled":
        pytest.skip("before the fix SQLite syncs each commit itself (synchronous=FULL)")


def test_a_write_is_synced_before_its_commit_returns_and_a_read_is_not(
    fresh_db: tuple[Database, str], binding: str, syncs: list[tuple[float, float]]
) -> None:
    _fixed_only(binding)
    db, _ = fresh_db
    with db.read_sessions() as session, session.begin():
        session.scalar(select(func.count()).select_from(SignInThrottle))
    assert syncs == []
    with db.transaction() as s:
        s.add(SignInThrottle(key_digest=b"one".ljust(32, b"."), failures=1))
        s.flush()
        written = time.monotonic()
    assert len(syncs) == 1
    assert syncs[0][0] >= written  # After the commit, and over before the caller went on.


def test_writers_at_once_share_syncs_and_each_waits_for_one_begun_after_its_commit(
    fresh_db: tuple[Database, str], binding: str, syncs: list[tuple[float, float]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Group commit: many commits, fewer syncs, and no writer goes on before a sync that
    began once its own commit was made has ended."""
    _fixed_only(binding)
    db, _ = fresh_db
    writers = 8
    waits: dict[int, tuple[float, float]] = {}
    committed = threading.Semaphore(0)
    real_wait, slow_sync = vault_db.GroupSync.wait, vault_db.GroupSync._sync

    def timed(self: vault_db.GroupSync) -> None:
        began = time.monotonic()  # The commit is made: the connection is being checked in.
        committed.release()
        real_wait(self)
        waits[threading.get_ident()] = (began, time.monotonic())

    first = threading.Event()

    def held_first(self: vault_db.GroupSync) -> None:
        # The first sync lasts until every writer has committed, however slowly the machine
        # runs them: the others then wait, and one more sync serves them all.
        if not first.is_set():
            first.set()
            for _ in range(writers):
                committed.acquire(timeout=30)
        slow_sync(self)

    monkeypatch.setattr(vault_db.GroupSync, "wait", timed)
    monkeypatch.setattr(vault_db.GroupSync, "_sync", held_first)
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        barrier.wait()
        with db.transaction() as s:
            s.add(SignInThrottle(key_digest=b"group" + bytes([n]) * 27, failures=n))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(waits) == writers
    assert len(syncs) == 2
    for committed, went_on in waits.values():
        assert any(committed <= began and ended <= went_on for began, ended in syncs)
