"""Running the real `tellonce init` and `tellonce serve` for a test, as an operator would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from sqlalchemy import create_engine, text

from vault.db import sqlite_binding

STARTUP_SECONDS = 20
TEST_WORKERS = 2
T = TypeVar("T")


def server_env() -> dict[str, str]:
    """The environment for a server a test starts: none of the caller's TELLONCE_ settings,
    except which SQLite the suite runs on (CI runs it on the system's too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLONCE_")}
    if "TELLONCE_SQLITE_BINDING" in os.environ:
        env["TELLONCE_SQLITE_BINDING"] = os.environ["TELLONCE_SQLITE_BINDING"]
    return env


def suite_sqlite() -> str:
    """The SQLite binding this run of the suite uses: a test's own connections to a server's
    database use the same one, so that both keep the same locking (vault/db.py)."""
    return os.environ.get("TELLONCE_SQLITE_BINDING", "bundled")


def serves_one_process(env: dict[str, str]) -> bool:
    """True when a server with this environment runs one worker: on a SQLite before the
    WAL fix, which takes the lock for every transaction (vault/db.py)."""
    if env.get("TELLONCE_DATABASE_URL"):
        return False
    return not sqlite_binding(env.get("TELLONCE_SQLITE_BINDING", "bundled")).fixed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tellonce_command(*args: str) -> list[str]:
    """The installed console script beside this Python, or the same entry point without it."""
    script = Path(sys.executable).with_name("tellonce")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "import sys; from web.cli import main; sys.exit(main())", *args]


@contextmanager
def serving(env: dict[str, str], port: int, log: Path, *,
            must_stop_cleanly: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """Init, serve on 127.0.0.1:``port`` until /healthz answers, yield; stop it after.

    With ``must_stop_cleanly``, fail unless SIGTERM alone stopped the server in time.
    """
    init = subprocess.run(tellonce_command("init"), env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert init.returncode == 0, init.stdout + init.stderr
    with log.open("w") as log_file:
        # A session of its own, so the whole process group can be killed if SIGTERM is not enough.
        proc = subprocess.Popen(tellonce_command("serve", "--host", "127.0.0.1", "--port", str(port),
                                                 *_workers(env)),
                                env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_until_healthy(proc, f"http://127.0.0.1:{port}", log)
        yield proc
    finally:
        stopped = stop(proc)
    assert stopped or not must_stop_cleanly, "tellonce serve did not stop within 10 s of SIGTERM"


def _workers(env: dict[str, str]) -> list[str]:
    """Two workers where several may serve: enough for every check across processes, and on
    two cores, beside the other tests, five boot and stop too slowly to be fair."""
    return [] if serves_one_process(env) else ["--workers", str(TEST_WORKERS)]


def _wait_until_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"tellonce serve exited with {proc.returncode}:\n{log.read_text()}")
        with suppress(requests.ConnectionError):
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"tellonce serve did not answer /healthz in {STARTUP_SECONDS} s:\n"
                f"{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> bool:
    """SIGTERM to gunicorn's arbiter, which stops its workers; then kill whatever is left.

    Quick shutdown (SIGINT), or a signal to the whole group first, can leave a gthread worker
    stuck in its exit handler.
    """
    with suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
        stopped = True
    except subprocess.TimeoutExpired:
        stopped = False
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return stopped


@contextmanager
def fresh_database(prefix: str, worker_id: str) -> Iterator[str | None]:
    """A new PostgreSQL database for a server when the suite runs on PostgreSQL, else None.

    Named by prefix, worker and process, so neither another worker nor another run of the
    suite shares it; dropped afterwards even when the test failed.
    """
    base = os.environ.get("TELLONCE_TEST_DATABASE_URL")
    if not base:
        yield None
        return

    name = f"{prefix}_{worker_id}_{os.getpid()}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def server_home(tmp_path: Path, worker_id: str, prefix: str
                ) -> Iterator[tuple[dict[str, str], int]]:
    """A test server's environment and port: the test clock's settings, an instance in
    ``tmp_path``, and on PostgreSQL a database of its own (``fresh_database``) that outlives
    the server, so the test can read it after."""
    port = free_port()
    env = server_env() | {
        "TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(tmp_path / "instance"),
        "TELLONCE_BASE_URL": f"http://127.0.0.1:{port}", "HOME": str(tmp_path)}
    with fresh_database(prefix, worker_id) as pg_url:
        if pg_url:
            env["TELLONCE_DATABASE_URL"] = pg_url
        yield env, port


def burst(count: int, send: Callable[[], T]) -> list[T]:
    """Call ``send`` from ``count`` threads released at once through a barrier."""
    barrier = threading.Barrier(count)
    answers: list[T] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            answers.append(send())
        except BaseException as exc:  # Reported below, in the test's own thread.
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    return answers


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``, from /proc: a server's workers."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the parent id follows it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out
