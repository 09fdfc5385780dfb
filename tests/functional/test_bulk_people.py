"""The people bench/scale.py makes in bulk are real: every link opens and decrypts through a
running server, every record reads through the API, every chain verifies; and the scale
check fails when one link or one record does not answer."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench import _bulk as bulk
from bench import scale
from consent import accounts, records, sharing
from consent.runtime import Runtime
from keys import passphrase
from tests.live_server import server_home, serving, tellonce_command
from vault import accounts as vault_accounts
from vault.models import AuditEvent, Entry, EntryVersion, Person, ShareLink
from web.app import build_runtime
from web.settings import load_settings

pytestmark = pytest.mark.server

PEOPLE = 3


@pytest.fixture
def made(tmp_path: Path, worker_id: str) -> Iterator[tuple[str, Runtime, bulk.Made, dict[str, str]]]:
    """A running server, and PEOPLE bulk people made beside it with every link picked."""
    with server_home(tmp_path, worker_id, "tellonce_bulk") as (env, port), \
            serving(env, port, tmp_path / "server.log"):
        rt = build_runtime(load_settings(env))
        try:
            everything = set(range(PEOPLE * len(bulk.TEMPLATES)))
            yield (f"http://127.0.0.1:{port}", rt,
                   bulk.make_people(rt, range(PEOPLE), everything), env)
        finally:
            rt.db.dispose()


def test_bulk_people_are_whole_and_the_check_opens_every_link_and_record(
        made: tuple[str, Runtime, bulk.Made, dict[str, str]]) -> None:
    base, rt, result, env = made
    assert (result.people, result.entries, result.links) == (
        PEOPLE, PEOPLE * bulk.ENTRIES, PEOPLE * len(bulk.TEMPLATES))
    with rt.db.transaction() as session:
        def count(model: type) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0
        assert count(Person) == PEOPLE
        assert count(Entry) == PEOPLE * bulk.ENTRIES
        assert count(EntryVersion) == PEOPLE * (bulk.ENTRIES + bulk.EDITS)
        assert count(ShareLink) == PEOPLE * len(bulk.TEMPLATES)
        assert count(AuditEvent) == PEOPLE * bulk.EVENTS_PER_PERSON
    assert scale.counted(rt)["audit events"] == PEOPLE * bulk.EVENTS_PER_PERSON
    verified = subprocess.run(tellonce_command("audit", "verify"), env=env, capture_output=True,
                              text=True, timeout=120, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert scale.check(base, rt, result.links_picked, list(range(PEOPLE))) == []


def _unlock(rt: Runtime, session: Any, number: int) -> tuple[Any, str]:
    actor = accounts.unlock_at_command_line(session, rt.config, login=bulk.login_of(number),
                                            passphrase=bulk.PASSPHRASE)
    return actor, accounts.require_own_record(session, actor).person_id


def test_the_check_fails_for_a_link_that_does_not_open(
        made: tuple[str, Runtime, bulk.Made, dict[str, str]]) -> None:
    base, rt, result, _ = made
    with bulk.shared_passphrase(), rt.db.transaction() as session:
        actor, person_id = _unlock(rt, session, 1)
        stopped = sharing.list_links(session, actor, person_id=person_id,
                                     addresses=rt.addresses, now=rt.now())[0]
        sharing.revoke_link(session, rt.config, actor, person_id=person_id,
                            link_id=stopped["id"], now=rt.now())
    failures = scale.check(base, rt, result.links_picked, list(range(PEOPLE)))
    (number,) = [n for n, url in result.links_picked.items() if url == stopped["url"]]
    assert failures == [f"link {number}: HTTPError: HTTP Error 404: NOT FOUND"], failures


def test_the_check_fails_for_a_record_that_does_not_read_whole(
        made: tuple[str, Runtime, bulk.Made, dict[str, str]]) -> None:
    base, rt, _, _ = made
    with bulk.shared_passphrase(), rt.db.transaction() as session:
        actor, person_id = _unlock(rt, session, 2)
        entry = records.list_entries(session, rt.config, actor, person_id=person_id,
                                     section=None, now=rt.now())[0]
        records.delete_entry(session, rt.config, actor, person_id=person_id,
                             entry_id=entry.id, now=rt.now())
    failures = scale.check(base, rt, {}, list(range(PEOPLE)))
    assert failures == [f"record {person_id}: 200, {bulk.ENTRIES - 1} entries"], failures


def test_the_shared_passphrase_is_shared_only_while_it_lasts() -> None:
    real = passphrase.new_salt, passphrase.stretch, vault_accounts.check_passphrase
    with bulk.shared_passphrase():
        assert passphrase.new_salt() == passphrase.new_salt()
        stretched = passphrase.stretch(bulk.PASSPHRASE, salt=b"s" * 16,
                                       params=passphrase.TEST_PARAMS)
        assert passphrase.stretch(bulk.PASSPHRASE, salt=b"s" * 16,
                                  params=passphrase.TEST_PARAMS) is stretched
    assert (passphrase.new_salt, passphrase.stretch, vault_accounts.check_passphrase) == real
    assert passphrase.new_salt() != passphrase.new_salt()
