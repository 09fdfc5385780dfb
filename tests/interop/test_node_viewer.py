"""Every demo link, opened over HTTP by a SMART Health Links viewer this project did not write.

A real ``tellonce serve`` runs on SQLite and ``tellonce demo --json`` fills it, as an operator
would. Each link is then opened by ``tests/interop/open_link.mjs``, which hands it to
kill-the-clipboard's ``SHLViewer`` (npm, pinned in package.json): the library parses the link,
POSTs the manifest request with a recipient and the passcode, fetches the ``location`` file when
there is one, and decrypts the JWE with its own JOSE code. What it prints must be a valid R4B
Bundle of the shape tests/ips_checks.py describes. So the link format, the manifest request and
response, the ``location`` files and the JWE of decision 0002 are checked against a second,
independent implementation, not only against this project's own reader. (Node's fetch sends no
Origin, so the CORS headers a browser viewer needs are not what this checks.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.ips_checks import check_ips_shape
from tests.live_server import free_port, server_env, serving, tellonce_command

NODE = shutil.which("node")
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "interop" / "open_link.mjs"
LIBRARY = "kill-the-clipboard"
NODE_SECONDS = 30

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: these tests open links with "
                                            "an npm SHL viewer library (CI installs Node)"),
]


@dataclass(frozen=True)
class DemoServer:
    url: str
    log: Path
    links: list[dict[str, Any]]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _check_library_installed() -> None:
    """The pinned viewer library is in node_modules; if not, say how to get it, and fail."""
    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"][LIBRARY]
    installed = ROOT / "node_modules" / LIBRARY / "package.json"
    if not installed.exists():
        pytest.fail(f"{LIBRARY} is not installed: run `npm ci` in {ROOT}")
    version = json.loads(installed.read_text())["version"]
    if version != wanted:
        pytest.fail(f"{LIBRARY} {version} is installed but package.json pins {wanted}: run `npm ci`")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """``tellonce init``, ``serve`` and ``demo --json`` with the browser tests' environment."""
    _check_library_installed()
    home = tmp_path_factory.mktemp("interop-server")
    port = free_port()
    # localhost, not 127.0.0.1: the links carry this base URL, and the viewer follows them.
    url = f"http://localhost:{port}"
    env = server_env()
    env |= {"TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(home / "instance"),
            "TELLONCE_BASE_URL": url, "HOME": str(home)}
    log = home / "server.log"
    with serving(env, port, log):
        done = subprocess.run(tellonce_command("demo", "--json"), env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        yield DemoServer(url, log, json.loads(done.stdout)["links"])


def open_link(link: str, passcode: str | None, *options: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(SCRIPT), link, passcode or "", *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=NODE_SECONDS, check=False)


@pytest.mark.parametrize("delivery", ["embedded", "location"])
def test_every_demo_link_opens_in_kill_the_clipboard(demo_server: DemoServer, delivery: str) -> None:
    """Embedded in the manifest, or (``embeddedLengthMax`` 0) fetched from its ``location``.

    Every link embedded; for ``location``, the first link with a passcode and the first without,
    since the file path does not depend on whose record it is and each Node run costs time.
    """

    links = demo_server.links
    with_passcode = [link for link in links if link["passcode"]]
    without = [link for link in links if not link["passcode"]]
    assert with_passcode, "no demo link has a passcode"
    assert without, "every demo link has a passcode"
    options: list[str] = []
    if delivery == "location":
        links = [with_passcode[0], without[0]]
        options = ["--embedded-length-max", "0"]
    for link in links:
        assert link["url"].startswith(demo_server.url + "/view#shlink:/")
        opened = open_link(link["url"], link["passcode"], *options)
        assert opened.returncode == 0, (f"{link['label']}: {opened.stderr}\n"
                                        f"server log:\n{demo_server.log_text()}")
        bundle = json.loads(opened.stdout)
        Bundle.model_validate(bundle)
        check_ips_shape(bundle)


def test_a_wrong_passcode_is_refused_as_the_viewer_expects(demo_server: DemoServer) -> None:
    """The server's 401 is what the library reads as a wrong passcode, and nothing decrypts."""
    link = next(link for link in demo_server.links if link["passcode"])
    refused = open_link(link["url"], link["passcode"] + "-wrong")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith("SHLInvalidPasscodeError:"), refused.stderr
