"""Start a real `tellonce serve` on a fresh instance for a benchmark, and stop it after."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from api.shl import MANIFEST_PATH
from keys import share


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    pid: int
    instance: Path
    env: dict[str, str]

    def worker_peak_memory_mb(self) -> float:
        """The largest peak resident size (VmHWM) of the server's worker processes."""
        peaks = []
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or int((entry / "stat").read_text().rsplit(
                        ")", 1)[1].split()[1]) != self.pid:
                    continue
                status = (entry / "status").read_text()
            except OSError:
                continue
            kb = next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmHWM:"))
            peaks.append(kb / 1024)
        return max(peaks, default=float("nan"))


@contextlib.contextmanager
def serving(env_name: str = "development", workers: int | None = None,
            threads: int | None = None, database_url: str | None = None) -> Iterator[Server]:
    """A real ``tellonce serve`` on a fresh instance, with the real Argon2id parameters: on
    SQLite, or on ``database_url``; ``tellonce serve``'s own number of workers unless one is
    given."""
    instance = Path(tempfile.mkdtemp(prefix="tellonce-bench-"))
    port = free_port()
    env = {**os.environ, "TELLONCE_ENV": env_name, "TELLONCE_INSTANCE_PATH": str(instance)}
    env.pop("TELLONCE_DATABASE_URL", None)
    if database_url:
        env["TELLONCE_DATABASE_URL"] = database_url
    tellonce = shutil.which("tellonce") or str(Path(".venv/bin/tellonce").resolve())
    subprocess.run([tellonce, "init"], env=env, check=True, capture_output=True)
    serve = [tellonce, "serve", "--port", str(port)]
    if workers is not None:
        serve += ["--workers", str(workers)]
    if threads is not None:
        serve += ["--threads", str(threads)]
    server = subprocess.Popen(serve, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answered(base + "/healthz", server, seconds=15)
        yield Server(base, server.pid, instance, env)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)  # gunicorn finishes the requests it holds.
        shutil.rmtree(instance, ignore_errors=True)


def wait_until_answered(url: str, proc: subprocess.Popen[bytes], *, seconds: float) -> None:
    """Return once ``url`` answers 200; refuse if ``proc`` exits or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@contextlib.contextmanager
def running_server(env_name: str = "development", workers: int | None = None,
                   threads: int | None = None) -> Iterator[str]:
    """Yield the base URL of a server on SQLite (``serving``)."""
    with serving(env_name, workers, threads) as server:
        yield server.base


def manifest_path(link: str) -> str:
    """The path of a share link's manifest (``/shl/{id}``), from the link the person shares."""
    url: str = share.parse_shlink(link)["url"]
    return url[url.index(MANIFEST_PATH):]


def call(base: str, method: str, path: str, body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
