"""The server killed (SIGKILL, no chance to tidy up) while links are being opened: every
opening that was answered is in the person's history, and the history holds an opening for
exactly the openings the links counted, no more (issue 11).

A recipient is answered only after the unit of work has committed, and the opening's count
and its audit event are one transaction: so whatever moment the kill comes, the database
holds both or neither, and nothing that was answered is missing. The server is then started
again on the same database, which must open, verify its history, and serve.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from tests.functional.test_link_concurrency import (
    Owner,
    Server,
    _audit_verifies,
    _make_link,
    _manifest_url,
    _open,
    _sign_up,
)
from tests.live_server import server_home, serving, suite_sqlite
from vault.db import Database
from vault.models import AuditEvent, ShareLink
from web.settings import load_settings

pytestmark = pytest.mark.server

LINKS = 80
SENDERS = 8
# The kill comes once this many openings were answered: well inside the run, with others
# in flight on every sender.
KILL_AFTER = 20


@pytest.fixture
def home(tmp_path: Path, worker_id: str) -> Iterator[tuple[dict[str, str], int]]:
    """A server's environment and port, on a database of its own that outlives the server."""
    with server_home(tmp_path, worker_id, "tellonce_crash") as (env, port):
        yield env, port


def _open_until_killed(manifests: list[str], proc_pid: int) -> set[str]:
    """Open each link once, from SENDERS threads; SIGKILL the server (arbiter and workers)
    once KILL_AFTER were answered. The links whose opening was answered with 200."""
    answered: set[str] = set()
    lock = threading.Lock()
    queue = list(manifests)
    killed = threading.Event()

    def send() -> None:
        while not killed.is_set():
            with lock:
                if not queue:
                    return
                manifest = queue.pop()
            try:
                reply = _open(manifest)
            except requests.RequestException:
                continue  # Cut off by the kill: it may or may not have been counted.
            if reply.status_code == 200:
                with lock:
                    answered.add(manifest)
                    if len(answered) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        os.killpg(proc_pid, signal.SIGKILL)

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert killed.is_set(), "every link opened before the kill: make more links"
    return answered


def _counted(env: dict[str, str], owner: Owner) -> tuple[dict[str, int], int]:
    """Each link's count of openings by its manifest path's id, and how many openings the
    person's history holds: read from the database the server left."""
    db = Database(load_settings(env).database_url, suite_sqlite())
    try:
        with db.transaction() as session:
            counts = {row.id: row.openings for row in session.execute(
                select(ShareLink.id, ShareLink.openings)
                .where(ShareLink.person_id == owner.person_id))}
            events = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.chain == f"person:{owner.person_id}",
                AuditEvent.kind == "link_opened"))
    finally:
        db.dispose()
    return counts, int(events or 0)


def test_a_kill_mid_openings_loses_no_answered_opening_and_invents_none(
        home: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, port = home
    url = f"http://127.0.0.1:{port}"
    with serving(env, port, tmp_path / "first.log") as proc:
        srv = Server(url, proc.pid, env, tmp_path / "first.log", env.get("TELLONCE_DATABASE_URL"))
        owner = _sign_up(srv)
        made: dict[str, Any] = {}
        for n in range(LINKS):
            link = _make_link(srv, owner, template="emergency", label=f"Card {n}")
            made[_manifest_url(srv, link)] = link["id"]
        answered = _open_until_killed(list(made), proc.pid)

    counts, events = _counted(env, owner)
    answered_ids = {made[m] for m in answered}
    assert all(counts[link_id] == 1 for link_id in answered_ids), "an answered opening was lost"
    assert set(counts.values()) <= {0, 1}
    # One event per counted opening: none lost with its count, none without one.
    assert events == sum(counts.values())
    assert events >= len(answered_ids) >= KILL_AFTER

    with serving(env, port, tmp_path / "again.log") as proc:
        srv = Server(url, proc.pid, env, tmp_path / "again.log", env.get("TELLONCE_DATABASE_URL"))
        _audit_verifies(srv)
        unopened = next(m for m, link_id in made.items() if counts[link_id] == 0)
        assert _open(unopened).status_code == 200
