"""Running the real `tellonce init` and `tellonce serve` for a test, as an operator would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests

STARTUP_SECONDS = 20


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
        proc = subprocess.Popen(tellonce_command("serve", "--host", "127.0.0.1", "--port", str(port)),
                                env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_until_healthy(proc, f"http://127.0.0.1:{port}", log)
        yield proc
    finally:
        stopped = stop(proc)
    assert stopped or not must_stop_cleanly, "tellonce serve did not stop within 10 s of SIGTERM"


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
