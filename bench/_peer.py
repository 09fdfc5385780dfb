"""A Solid pod beside Tell Once, for the benchmark's side-by-side row (``--peer``).

The Community Solid Server from its npm package, installed once beside the virtual
environment, on its file backend with the root open to everyone (its own ``file-root.json``),
serving one plain resource as large as what a link opening answers. Its plain read is what a
personal data store does for one request; an opening does that and more (checks, counts, an
audit event committed), so their ratio says what the rest costs.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench._server import free_port, wait_until_answered

VERSION = "7.2.0"
PACKAGE = f"@solid/community-server@{VERSION}"
HOME = Path(__file__).resolve().parent.parent / ".venv" / f"solid-community-server-{VERSION}"
RESOURCE = "/bench/resource.txt"
STARTUP_SECONDS = 60


def install() -> Path:
    """The server's command, installed from npm the first time."""
    command = HOME / "node_modules" / ".bin" / "community-solid-server"
    if not command.exists():
        if not shutil.which("npm"):
            raise SystemExit("--peer needs npm, to install the Community Solid Server")
        HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(HOME), "--no-audit", "--no-fund",
                        "--loglevel=error", PACKAGE], check=True)
    return command


@contextlib.contextmanager
def solid_pod(size: int) -> Iterator[tuple[str, str]]:
    """A running pod serving a public resource of ``size`` bytes: its base URL and path."""
    command = install()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = Path(tempfile.mkdtemp(prefix="tellonce-pod-"))
    log = (data.parent / f"{data.name}.log").open("w")
    proc = subprocess.Popen([str(command), "--port", str(port), "--baseUrl", base + "/",
                             "--config", "@css:config/file-root.json", "--rootFilePath",
                             str(data), "--loggingLevel", "warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_answered(base + "/", proc, seconds=STARTUP_SECONDS)
        put = urllib.request.Request(base + RESOURCE, method="PUT", data=b"x" * size,
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(put, timeout=30) as answer:
            assert answer.status in (200, 201, 205), answer.status
        yield base, RESOURCE
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(data, ignore_errors=True)
