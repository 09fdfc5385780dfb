"""Browser fixtures: a real ``tellonce serve`` per test worker, driven by Debian's Chromium.

Each xdist worker starts its own server (session fixtures are per worker), on SQLite, or on a
fresh PostgreSQL database when TELLONCE_TEST_DATABASE_URL is set. Pages are opened at
http://localhost: Chromium treats localhost as a secure context, so the ``__Host-`` cookies,
which are Secure, work over plain http as they would over https in production.

``check_page`` is the check every page a journey visits must pass: axe-core finds no WCAG 2.2
A or AA violation at 320 px and at 1280 px wide, nothing scrolls sideways at 320 px (which is
also what 400% zoom of a 1280 px window gives), and the browser saw no console error, no
Content-Security-Policy violation and no request to another origin.

``demo_accounts`` runs ``tellonce demo --json`` against the worker's server, as an operator
would, for journeys that look at a record filled from the demo.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.live_server import free_port, fresh_database, server_env, serving, tellonce_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Reports CSP violations to the test. Playwright's init scripts and bindings are not page
# script, so the page's own policy (no inline script) does not block them.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.tellonceCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${event.documentURI}`);
});
"""

# axe leaves text the same colour as its background as "needs review", taking it to be hidden
# on purpose; on these pages it never is, so it counts as a violation here.
# With rules given, only those rules, on the element that has focus.
AXE_RUN = """async ([tags, rules]) => {
  const result = rules
    ? await axe.run(document.activeElement, {runOnly: {type: "rule", values: rules}})
    : await axe.run(document, {runOnly: {type: "tag", values: tags}});
  const describe = (v, nodes) => ({
    id: v.id, impact: v.impact, help: v.help, targets: nodes.map((n) => String(n.target[0])),
  });
  const invisible = result.incomplete
    .filter((v) => v.id === "color-contrast")
    .map((v) => describe(v, v.nodes.filter(
      (n) => n.any.some((check) => check.data && check.data.messageKey === "equalRatio"))))
    .filter((v) => v.targets.length);
  return result.violations.map((v) => describe(v, v.nodes)).concat(invisible);
}"""


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path
    # The environment the server runs with, for running other ``tellonce`` commands against it.
    env: dict[str, str] = field(default_factory=dict, hash=False, repr=False)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Watch:
    """What the browser saw go wrong on the pages of one test."""

    origin: str
    problems: list[str] = field(default_factory=list)
    # The pages themselves, whose 4xx answers are forms sent back, not faults.
    documents: set[str] = field(default_factory=set)
    # Files the browser saved, and navigations that stopped without showing a page.
    downloads: set[str] = field(default_factory=set)
    aborted: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        # Chromium logs a 4xx answer to a page as a console error. A form sent back with what to
        # fix (422) or a wrong passphrase (401) is the page working, not a fault of the page.
        if message.text.startswith("Failed to load resource: the server responded with a status "
                                   "of 4") and message.location.get("url", "") in self.documents:
            return
        self.problems.append(f"console error: {message.text} ({message.location.get('url')})")

    def on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.problems.append(f"request to another origin: {request.url}")
        if request.is_navigation_request():
            self.documents.add(request.url)

    def on_request_failed(self, request: Any) -> None:
        # A link or form whose answer is a file to save (Content-Disposition: attachment) is a
        # navigation Chromium stops with net::ERR_ABORTED once the download starts. Only such a
        # navigation is let off, and only when a download of that address was seen: see take().
        if request.failure == "net::ERR_ABORTED" and request.is_navigation_request():
            self.aborted.append(request.url)
            return
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def on_download(self, download: Any) -> None:
        self.downloads.add(download.url)

    def take(self) -> list[str]:
        """What went wrong since the last time, and start again."""
        problems = self.problems + [f"request failed: {url} (net::ERR_ABORTED)"
                                    for url in self.aborted if url not in self.downloads]
        self.problems = []
        self.aborted = []
        return problems

    def on_response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.status} for {response.url}")

    def on_csp_violation(self, _source: Any, detail: str) -> None:
        self.problems.append(f"CSP violation: {detail}")


@pytest.fixture(scope="session", autouse=True)
def _chromium() -> None:
    """Debian's Chromium, never one a test tool downloads; missing it fails CI."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package.")
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")


@pytest.fixture(scope="session")
def _server_database(worker_id: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database for this worker's server, when the suite runs on PostgreSQL."""
    with fresh_database("tellonce_browser", worker_id) as url:
        yield url


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory,
                _server_database: str | None) -> Iterator[LiveServer]:
    """``tellonce init`` and ``tellonce serve``, exactly as an operator runs them."""
    home = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    url = f"http://localhost:{port}"
    env = server_env()
    env |= {"TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(home / "instance"),
            "TELLONCE_BASE_URL": url,
            # gunicorn and anything else that writes to the home folder stays in this one.
            "HOME": str(home)}
    if _server_database:
        env["TELLONCE_DATABASE_URL"] = _server_database
    log = home / "server.log"
    with serving(env, port, log):
        yield LiveServer(url, log, env)


@pytest.fixture(scope="session")
def browser(_chromium: None) -> Iterator[Any]:
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def watch(live_server: LiveServer) -> Watch:
    return Watch(origin=live_server.url)


@pytest.fixture
def page(browser: Any, live_server: LiveServer, watch: Watch) -> Iterator[Any]:
    """A fresh browser context per test: no cookie or cache carries over between tests."""
    # No bypass_csp: axe is loaded from this server, so the tests run under the page's own policy.
    with watched_page(browser, live_server, watch) as the_page:
        yield the_page


@contextmanager
def watched_page(browser: Any, live_server: LiveServer, watch: Watch) -> Iterator[Any]:
    """A page in a context of its own, reporting what goes wrong to ``watch``."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(10_000)
    context.expose_binding("tellonceCspViolation", watch.on_csp_violation)
    context.add_init_script(script=CSP_LISTENER)
    the_page = context.new_page()
    the_page.on("console", watch.on_console)
    the_page.on("request", watch.on_request)
    the_page.on("requestfailed", watch.on_request_failed)
    the_page.on("download", watch.on_download)
    the_page.on("response", watch.on_response)
    try:
        yield the_page
    finally:
        context.close()


# How the element with focus shows it: the NHS.UK styles use an outline or a box shadow.
FOCUS_STYLE = """() => {
  const element = document.activeElement;
  if (element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    element: element.outerHTML.slice(0, 100),
    shown: outline || style.boxShadow !== "none",
  };
}"""


def axe_violations(page: Any, origin: str, rules: list[str] | None = None) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # By URL, from this server: the page's policy allows script from 'self' only, which is
        # what the real pages load too.
        page.add_script_tag(url=f"{origin}/static/build/axe.min.js")
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, [AXE_TAGS, rules])
    return violations


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n"
        + "".join(f"    at {target}\n" for target in v["targets"])
        for v in violations)


@pytest.fixture
def check_axe(live_server: LiveServer, watch: Watch) -> Callable[[Any], None]:
    """Check the page now shown: axe at 320 and 1280 px, reflow at 320 px, and what was seen."""

    def check(page: Any) -> None:
        # After a click the heading can be there before the stylesheet: axe must see the page
        # as a person does.
        page.wait_for_load_state("load")
        where = urlsplit(page.url).path
        failures = []
        try:
            for size in (NARROW, DESKTOP):
                page.set_viewport_size(size)
                violations = axe_violations(page, live_server.url)
                if violations:
                    failures.append(f"axe at {size['width']} px on {where}:\n"
                                    f"{_describe(violations)}")
                if size is NARROW:
                    wide = page.evaluate("() => document.documentElement.scrollWidth")
                    if wide > NARROW["width"]:
                        failures.append(f"{where} scrolls sideways at 320 px: {wide} px wide")
        finally:
            page.set_viewport_size(DESKTOP)
        failures += watch.take()
        assert not failures, "\n".join(failures)

    return check


@pytest.fixture
def check_focus(live_server: LiveServer) -> Callable[[Any], int]:
    """Tab through the page from the top: each stop shows its focus, and its words stay readable.

    Returns how many stops there were.
    """

    def check(page: Any) -> int:
        page.wait_for_load_state("load")
        page.evaluate("() => document.activeElement.blur()")
        failures = []
        seen: set[str] = set()
        for _ in range(200):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_STYLE)
            if focus is None or focus["element"] in seen:
                break  # Past the last stop.
            seen.add(focus["element"])
            if not focus["shown"]:
                failures.append(f"no visible focus on {focus['element']}")
            violations = axe_violations(page, live_server.url, ["color-contrast"])
            if violations:
                failures.append(f"with focus on {focus['element']}:\n{_describe(violations)}")
        assert not failures, "\n".join(failures)
        return len(seen)

    return check


@pytest.fixture(scope="session")
def demo_accounts(live_server: LiveServer) -> list[dict[str, str]]:
    """``tellonce demo --json`` on this worker's server: each demo login, passphrase and record.

    With the server's own environment, so the same database and keys. On SQLite the command
    waits for the write lock while the server holds it.
    """
    done = subprocess.run(tellonce_command("demo", "--json"), env=live_server.env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    accounts: list[dict[str, str]] = json.loads(done.stdout)["accounts"]
    return accounts
