"""A real ``tellonce serve`` process under a burst of wrong passphrases sent at once.

The server is started exactly as an operator would: ``tellonce init`` then ``tellonce
serve`` with TELLONCE_* variables, on SQLite (one process) or on PostgreSQL (several
gunicorn workers). Twenty threads then send a wrong passphrase for one login at the same
instant. Sign-in throttling reserves each attempt in the database before deriving the key
(vault/throttle.py), so every attempt that was tried is counted and audited, and none gets
past the delay that the count calls for.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from keys.keyring import Keyring
from tests.factories import PASSPHRASE
from tests.live_server import (
    burst,
    children,
    free_port,
    fresh_database,
    server_env,
    serves_one_process,
    serving,
    suite_sqlite,
)
from vault import throttle
from vault.db import Database
from vault.models import AuditEvent, SignInThrottle
from web.settings import load_settings

pytestmark = pytest.mark.server

ATTEMPTS = 20
WRONG = "entirely wrong passphrase here"
NEW_PASSPHRASE = "fresh meadow copper violin"


@dataclass
class Server:
    url: str
    pid: int
    instance: Path
    database_url: str
    one_process: bool
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def server(tmp_path: Path, worker_id: str) -> Iterator[Server]:
    with fresh_database("tellonce_srv", worker_id) as pg_url:
        yield from _serve(tmp_path, pg_url)


def _serve(tmp_path: Path, pg_url: str | None) -> Iterator[Server]:
    instance = tmp_path / "instance"
    env = server_env()
    env |= {"TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(instance),
            # gunicorn puts a control socket under ~/.gunicorn: keep it in this test's folder.
            "HOME": str(tmp_path)}
    if pg_url:
        env["TELLONCE_DATABASE_URL"] = pg_url
    port = free_port()
    log = tmp_path / "server.log"
    url = f"http://127.0.0.1:{port}"
    # The URL the server itself resolves (web/settings.py), for this test's own reads.
    database_url = load_settings(env).database_url
    with serving(env, port, log, must_stop_cleanly=True) as proc:
        yield Server(url, proc.pid, instance, database_url, serves_one_process(env), log)


def _sign_in(srv: Server, login: str, passphrase: str) -> requests.Response:
    return requests.post(srv.url + "/api/v1/sessions", json={
        "login": login, "passphrase": passphrase}, timeout=60)


def _burst(srv: Server, login: str) -> list[requests.Response]:
    return burst(ATTEMPTS, lambda: _sign_in(srv, login, WRONG))


def test_a_burst_of_wrong_passphrases_is_counted_audited_and_held_back(server: Server) -> None:
    login = f"burst{os.getpid()}"
    made = requests.post(server.url + "/api/v1/accounts", json={
        "login": login, "passphrase": PASSPHRASE, "preferred_name": "Bea"}, timeout=60)
    assert made.status_code == 201, made.text
    account_id = made.json()["account_id"]
    key = Keyring.load(server.instance / "keyring.json").account_login_digest(account_id)
    db = Database(server.database_url, suite_sqlite())
    try:
        answers = _burst(server, login)
        statuses = [a.status_code for a in answers]
        assert len(statuses) == ATTEMPTS
        # Never a server error, never a sign-in: only "wrong" or "wait".
        assert set(statuses) <= {401, 429}, (statuses, server.log_text())
        codes = {401: "sign_in_failed", 429: "too_many_attempts"}
        for answer in answers:
            assert answer.json()["error"] == codes[answer.status_code], answer.json()
        wrong = statuses.count(401)
        # Attempts sent at once cannot all be tried: no more than the free ones (plus the
        # one a delay of a second may let through) were ever derived.
        assert 1 <= wrong <= throttle.FREE_FAILURES_PER_LOGIN + 1, statuses
        refused = [a for a in answers if a.status_code == 429]
        assert refused
        assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)

        # Sent one after another, wrong passphrases are tried until the delay starts (on
        # PostgreSQL a burst can be refused while fewer than the free attempts were counted).
        answer = _sign_in(server, login, WRONG)
        while answer.status_code == 401:
            wrong += 1
            assert wrong <= throttle.FREE_FAILURES_PER_LOGIN + 1
            answer = _sign_in(server, login, WRONG)
        assert answer.status_code == 429, answer.text

        # The right passphrase is refused too while the delay lasts, and says for how long.
        right = _sign_in(server, login, PASSPHRASE)
        assert right.status_code == 429, right.text
        assert right.json()["error"] == "too_many_attempts"

        with db.transaction() as session:
            failures = session.scalar(
                select(SignInThrottle.failures).where(SignInThrottle.key_digest == key))
            audited = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.chain == f"account:{account_id}", AuditEvent.kind == "sign_in_failed"))
        # Every attempt that was tried was counted, and each is in the account's history.
        assert failures == wrong
        assert audited == wrong
        delay = throttle.delay_after(failures, throttle.FREE_FAILURES_PER_LOGIN)
        assert delay >= timedelta(seconds=1)
        retry_after = int(right.headers["Retry-After"])
        assert 1 <= retry_after <= delay.total_seconds() + 1

        # Once the delay has passed, the right passphrase signs in and the count starts again.
        time.sleep(retry_after)
        signed = _sign_in(server, login, PASSPHRASE)
        assert signed.status_code == 201, signed.text
        with db.transaction() as session:
            assert throttle.failures_for(session, key=key) == 0  # The row is gone.
    finally:
        db.dispose()

    if server.one_process:
        # On a SQLite before the WAL fix the server runs one process (DESIGN.md, "Storage
        # and scale"): the gunicorn arbiter and a single worker.
        assert len(children(server.pid)) == 1, server.log_text()
    else:
        assert len(children(server.pid)) > 1, server.log_text()


def test_sign_ins_sent_at_once_from_one_address_are_each_counted(server: Server) -> None:
    answers = burst(ATTEMPTS, lambda: _sign_in(server, f"nobody{secrets.token_hex(6)}", WRONG))
    assert [a.status_code for a in answers] == [401] * ATTEMPTS, server.log_text()
    db = Database(server.database_url, suite_sqlite())
    try:
        with db.transaction() as session:
            counts = sorted(session.scalars(select(SignInThrottle.failures)))
    finally:
        db.dispose()
    # One counter for each login tried, once each, and the address's: every attempt in it.
    assert counts == [1] * ATTEMPTS + [ATTEMPTS]


def test_a_recovery_code_sent_at_once_works_once_and_its_new_code_works(server: Server) -> None:
    login = f"recover{os.getpid()}"
    made = requests.post(server.url + "/api/v1/accounts", json={
        "login": login, "passphrase": PASSPHRASE, "preferred_name": "Ray"}, timeout=60)
    assert made.status_code == 201, made.text
    code = made.json()["recovery_code"]

    answers = burst(5, lambda: requests.post(server.url + "/api/v1/recovery", json={
        "login": login, "recovery_code": code, "new_passphrase": NEW_PASSPHRASE}, timeout=60))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 401, 401, 401, 401], (statuses, server.log_text())
    [used] = [a for a in answers if a.status_code == 201]
    again = requests.post(server.url + "/api/v1/recovery", json={
        "login": login, "recovery_code": used.json()["recovery_code"],
        "new_passphrase": NEW_PASSPHRASE}, timeout=60)
    assert again.status_code == 201, again.text
