"""Share links against a real ``tellonce serve``: the passcode budget and stopping, under load.

The server is started as an operator would (``tellonce init``, then ``tellonce serve``), on
SQLite (one process) or, when TELLONCE_TEST_DATABASE_URL is set, on PostgreSQL, where
``tellonce serve`` runs several gunicorn workers. Everything goes over HTTP, as a person and a
recipient would; the only direct reads are of PostgreSQL's own view of which worker asked it
something, to show that the requests were spread over several workers.

- Fifty wrong passcodes released at once take exactly the link's lifetime budget: ten 401s
  counting down 9..0, each once, and forty 404s. The wrong-passcode count is one conditional
  UPDATE ... RETURNING (vault/links.py), so it holds across threads and across processes.
- A link stopped by its owner, one at a time or all at once, is 404 on every following
  request, whichever worker answers it: no worker keeps its own idea of whether a link is live.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select, text

from tests.factories import PASSPHRASE
from tests.live_server import (
    STARTUP_SECONDS,
    burst,
    children,
    free_port,
    fresh_database,
    server_env,
    serves_one_process,
    serving,
    suite_sqlite,
    tellonce_command,
)
from vault.db import Database
from vault.links import PASSCODE_BUDGET
from vault.models import AuditEvent
from web.app import SESSION_COOKIE
from web.settings import load_settings

pytestmark = pytest.mark.server

SENDERS = 50
RIGHT = "blue-kettle-7"
WRONG = "not-the-passcode"
IN_A_ROW = 40
RECIPIENT = "Dr A Patel, Leeds Road Surgery"


@dataclass
class Server:
    url: str
    pid: int
    env: dict[str, str] = field(repr=False)
    log: Path
    pg_url: str | None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Owner:
    person_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Server]:
    # One server for the module: each test signs up a person of its own, so they share nothing.
    home = tmp_path_factory.mktemp("link-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env()
    env |= {"TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(home / "instance"),
            # Links then point at this server, so a test opens them exactly as they are.
            "TELLONCE_BASE_URL": url,
            # gunicorn puts a control socket under ~/.gunicorn: keep it in this test's folder.
            "HOME": str(home)}
    with fresh_database("tellonce_links", worker_id) as pg_url:
        if pg_url:
            env["TELLONCE_DATABASE_URL"] = pg_url
        log = home / "server.log"
        with serving(env, port, log, must_stop_cleanly=True) as proc:
            srv = Server(url, proc.pid, env, log, pg_url)
            # A SQLite before the WAL fix: the arbiter and one worker (DESIGN.md, "Storage and
            # scale"). Otherwise several workers, so the checks below hold across processes.
            if serves_one_process(env):
                assert len(children(proc.pid)) == 1, srv.log_text()
            else:
                _wait_for_workers(srv)
            yield srv


def _wait_for_workers(srv: Server) -> None:
    """/healthz answers once the first worker is up; gunicorn boots the others just after."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while len(children(srv.pid)) < 2:
        assert time.monotonic() < deadline, srv.log_text()
        time.sleep(0.05)


def _sign_up(srv: Server) -> Owner:
    """An account and its record, a session, then a personal API token: all over HTTP."""
    login = f"links{secrets.token_hex(4)}"
    made = requests.post(srv.url + "/api/v1/accounts", json={
        "login": login, "passphrase": PASSPHRASE, "preferred_name": "Amy"}, timeout=60)
    assert made.status_code == 201, made.text
    signed = requests.post(srv.url + "/api/v1/sessions", json={
        "login": login, "passphrase": PASSPHRASE}, timeout=60)
    assert signed.status_code == 201, signed.text
    # The cookie is Secure, so requests would not send it back over http: send it by hand.
    cookie = {"Cookie": f"{SESSION_COOKIE}={signed.cookies[SESSION_COOKIE]}"}
    person_id = made.json()["person_id"]
    token = requests.post(srv.url + "/api/v1/tokens", headers=cookie, timeout=60, json={
        "name": "tests", "scopes": ["read", "write", "share"], "passphrase": PASSPHRASE,
        "person_ids": [person_id],
        "expires_at": (datetime.now(UTC) + timedelta(days=300)).isoformat()})
    assert token.status_code == 201, token.text
    return Owner(person_id, token.json()["token"])


def _make_link(srv: Server, owner: Owner, **fields: Any) -> dict[str, Any]:
    body = {"template": "gp", "label": "GP",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **fields}
    made = requests.post(f"{srv.url}/api/v1/people/{owner.person_id}/links", json=body,
                         headers=owner.auth, timeout=60)
    assert made.status_code == 201, made.text
    link: dict[str, Any] = made.json()
    assert link["state"] == "live"
    return link


def _manifest_url(srv: Server, link: dict[str, Any]) -> str:
    # The payload's own manifest URL, checked to be this server's (TELLONCE_BASE_URL).
    fragment = link["url"].split("#shlink:/", 1)[1]
    payload = json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))
    assert payload["url"].startswith(srv.url + "/shl/")
    return str(payload["url"])


def _open(manifest: str, **body: str) -> requests.Response:
    # requests.post opens a new connection each time, so gunicorn hands each to any worker.
    return requests.post(manifest, json={"recipient": RECIPIENT, **body}, timeout=60)


def _links(srv: Server, owner: Owner) -> list[dict[str, Any]]:
    listed = requests.get(f"{srv.url}/api/v1/people/{owner.person_id}/links",
                          headers=owner.auth, timeout=60)
    assert listed.status_code == 200, listed.text
    return listed.json()  # type: ignore[no-any-return]


def _burst(manifest: str) -> list[requests.Response]:
    return burst(SENDERS, lambda: _open(manifest, passcode=WRONG))


def _audit_verifies(srv: Server) -> str:
    """``tellonce audit verify`` with the server's own environment: same database and keys."""
    done = subprocess.run(tellonce_command("audit", "verify"), env=srv.env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _pg_now(srv: Server) -> datetime:
    assert srv.pg_url
    engine = create_engine(srv.pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            now: datetime = conn.scalar(text("SELECT clock_timestamp()"))
    finally:
        engine.dispose()
    return now


def _workers_that_asked_since(srv: Server, since: datetime) -> set[int]:
    """The gunicorn workers whose database connections ran a query after ``since``.

    PostgreSQL knows each connection's client port and when it last ran something; /proc
    knows which process owns the socket on that port. Each worker keeps its own pool, so a
    worker that answered a request since then owns a connection that was used since then.
    """
    assert srv.pg_url
    engine = create_engine(srv.pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            ports = set(conn.scalars(text(
                "SELECT client_port FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state_change >= :since"), {"since": since}))
    finally:
        engine.dispose()
    inode_of_port = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            inode_of_port[int(fields[1].rsplit(":", 1)[1], 16)] = fields[9]
    wanted = {f"socket:[{inode_of_port[p]}]": p for p in ports if p in inode_of_port}
    answered = set()
    for worker in children(srv.pid):
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            try:
                if os.readlink(fd) in wanted:
                    answered.add(worker)
            except OSError:
                continue  # Closed while we looked.
    return answered


def test_fifty_wrong_passcodes_at_once_take_exactly_the_budget(server: Server) -> None:
    owner = _sign_up(server)
    link = _make_link(server, owner, passcode=RIGHT)
    assert link["passcode_attempts_left"] == PASSCODE_BUDGET
    manifest = _manifest_url(server, link)

    answers = _burst(manifest)

    statuses = [a.status_code for a in answers]
    assert len(statuses) == SENDERS
    # Only "wrong passcode" or "not available": never a server error, never an opening.
    assert set(statuses) <= {401, 404}, (statuses, server.log_text())
    wrong = [a.json() for a in answers if a.status_code == 401]
    assert len(wrong) == PASSCODE_BUDGET, statuses
    assert statuses.count(404) == SENDERS - PASSCODE_BUDGET
    assert all(w["error"] == "wrong_passcode" for w in wrong)
    # Each attempt took one step off the budget: every count from 9 down to 0, each once.
    assert sorted(w["remainingAttempts"] for w in wrong) == list(range(PASSCODE_BUDGET))

    # The budget is spent for good: even the right passcode is now "not available".
    assert _open(manifest, passcode=RIGHT).status_code == 404
    [listed] = _links(server, owner)
    assert listed["state"] == "too_many_wrong_passcodes"
    assert listed["passcode_attempts_left"] == 0
    assert listed["openings"] == 0
    assert listed["url"] is None
    # The link_disabled event, written with the last attempt, keeps the chain whole.
    assert "all verify" in _audit_verifies(server)


def test_fifty_openings_at_once_of_a_link_for_five_open_it_five_times(server: Server) -> None:
    """The maximum holds against openings that read the link before another was counted: the
    count's own UPDATE checks it (vault.links.count_opening). On PostgreSQL two workers'
    openings can read the link at once; on SQLite a writer holds the write lock from its
    first statement, so there it holds by that alone."""
    owner = _sign_up(server)
    link = _make_link(server, owner, max_openings=5)
    manifest = _manifest_url(server, link)

    answers = burst(SENDERS, lambda: _open(manifest))

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 404}, (statuses, server.log_text())
    assert statuses.count(200) == 5, statuses
    [listed] = _links(server, owner)
    assert listed["openings"] == 5
    assert listed["state"] == "used_up"
    assert "all verify" in _audit_verifies(server)


def _open_in_a_row(srv: Server, manifest: str, expected: int) -> set[int]:
    """IN_A_ROW openings, one after another; the workers that answered them, on PostgreSQL."""
    since = _pg_now(srv) if srv.pg_url else None
    statuses = [_open(manifest).status_code for _ in range(IN_A_ROW)]
    assert statuses == [expected] * IN_A_ROW, (statuses, srv.log_text())
    return _workers_that_asked_since(srv, since) if since else set()


def test_a_stopped_link_is_404_on_the_next_request_on_every_worker(server: Server) -> None:
    owner = _sign_up(server)
    one = _make_link(server, owner, label="Stopped on its own")
    every = _make_link(server, owner, label="Stopped with all sharing")

    # Stopped on its own, through the owner API.
    manifest = _manifest_url(server, one)
    live_workers = _open_in_a_row(server, manifest, 200)
    revoked = requests.delete(f"{server.url}/api/v1/people/{owner.person_id}/links/{one['id']}",
                              headers=owner.auth, timeout=60)
    assert revoked.status_code == 204, revoked.text
    stopped_workers = _open_in_a_row(server, manifest, 404)

    # Stopped with "stop all sharing". Expiry cannot be tried here, since the clock of
    # `tellonce serve` cannot be moved; it is checked on every request by the same
    # vault.links.is_live as stopping, and is tested with a moved clock in
    # tests/functional/api/test_links.py.
    manifest = _manifest_url(server, every)
    live_workers |= _open_in_a_row(server, manifest, 200)
    stop_all = requests.post(f"{server.url}/api/v1/people/{owner.person_id}/links/stop-all",
                             headers=owner.auth, timeout=60)
    assert stop_all.status_code == 200, stop_all.text
    assert stop_all.json() == {"stopped": 1}  # The first was stopped already.
    stopped_workers |= _open_in_a_row(server, manifest, 404)

    states = {link["label"]: link["state"] for link in _links(server, owner)}
    assert states == {"Stopped on its own": "stopped", "Stopped with all sharing": "stopped"}
    assert {link["openings"] for link in _links(server, owner)} == {IN_A_ROW}
    if server.pg_url:
        # The openings and the refusals were answered by more than one process, and at least
        # one worker that had served a link while live refused it once stopped.
        assert len(live_workers) > 1, live_workers
        assert len(stopped_workers) > 1, stopped_workers
        assert live_workers & stopped_workers
    # Forty openings each and two stops, all in the person's chain, which still verifies.
    assert "all verify" in _audit_verifies(server)


def _person_kinds(srv: Server, person_id: str) -> list[str]:
    """The kinds of the person's audit events, in the order the chain has them."""
    db = Database(load_settings(srv.env).database_url, suite_sqlite())
    try:
        with db.transaction() as session:
            return list(session.scalars(select(AuditEvent.kind).where(
                AuditEvent.chain == f"person:{person_id}").order_by(AuditEvent.seq)))
    finally:
        db.dispose()


def test_right_and_wrong_passcodes_at_once_never_open_a_link_after_its_budget(
        server: Server) -> None:
    owner = _sign_up(server)
    manifest = _manifest_url(server, _make_link(server, owner, passcode=RIGHT))
    guesses = iter([RIGHT, WRONG] * 15)

    answers = burst(30, lambda: _open(manifest, passcode=next(guesses)))

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 401, 404}, (statuses, server.log_text())
    # Spend whatever budget is left, one wrong passcode at a time, until the link stops.
    while (answer := _open(manifest, passcode=WRONG)).status_code == 401:
        pass
    assert answer.status_code == 404
    assert _open(manifest, passcode=RIGHT).status_code == 404
    kinds = _person_kinds(server, owner.person_id)
    assert kinds.count("link_disabled") == 1
    # Each try is taken from the budget before the guess is compared, and each count checks
    # the link is still live: nothing is opened once the last wrong passcode stopped it.
    assert "link_opened" not in kinds[kinds.index("link_disabled"):]
    # Every opening came from this test's one address: one client, one entry of the history.
    assert kinds.count("link_opened") == (1 if 200 in statuses else 0)
