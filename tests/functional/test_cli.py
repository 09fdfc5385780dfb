"""The ``tellonce`` command: init, check, demo and audit verify, on a fresh instance each.

Each test gets its own instance folder and SQLite database, configured only through the
environment, as an operator would. The commands run in this process through click's runner
(fast), and once through the installed console script, so exit codes are the real ones.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fhir.resources.R4B.bundle import Bundle

from keys.keyring import Keyring
from tests.canary import files_under, occurrences
from tests.functional.api.test_links import decrypt
from tests.ips_checks import check_ips_shape
from tests.live_server import server_env
from vault import db
from vault.db import sqlite_binding
from web.app import create_app
from web.cli import main
from web.demo import DEMO_LINKS
from web.demo_data import DEMO_ACCOUNTS

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TELLONCE_TEST_DATABASE_URL")),
    reason="the commands are run against a fresh SQLite instance of their own",
)

HTTPS = "https://tellonce.example"


class Instance:
    """One instance folder, and the environment that points the command at it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def keyring(self) -> Path:
        return self.path / "keyring.json"

    @property
    def database(self) -> Path:
        return self.path / "tellonce.db"

    def env(self, tellonce_env: str, **extra: str) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "TELLONCE_ENV": tellonce_env, "TELLONCE_INSTANCE_PATH": str(self.path),
            "TELLONCE_BASE_URL": None, "TELLONCE_DATABASE_URL": None, "TELLONCE_REDIS_URL": None,
        }
        env.update({f"TELLONCE_{k.upper()}": v for k, v in extra.items()})
        return env

    def run(self, args: list[str], tellonce_env: str, **extra: str) -> Result:
        return CliRunner().invoke(main, args, env=self.env(tellonce_env, **extra))

    def check(self, tellonce_env: str, **extra: str) -> tuple[int, list[str]]:
        """Exit code and the FAIL lines of ``tellonce check``."""
        result = self.run(["check"], tellonce_env, **extra)
        fails = [line for line in result.stderr.splitlines() if line.startswith("FAIL: ")]
        return result.exit_code, fails


def _sqlite(instance: Instance) -> Any:
    """A connection to the instance's database through the SQLite the server uses: two copies
    of SQLite in one process must never open the same file (their POSIX locks would clash)."""
    return sqlite_binding(os.environ.get("TELLONCE_SQLITE_BINDING", "bundled")).module.connect(
        instance.database)


@pytest.fixture
def instance(tmp_path: Path) -> Instance:
    # Not created yet: `tellonce init` makes it, as on a new server.
    return Instance(tmp_path / "instance")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _init(instance: Instance, tellonce_env: str) -> None:
    result = instance.run(["init"], tellonce_env)
    assert result.exit_code == 0, result.output


# -- init ---------------------------------------------------------------------------------


def test_init_is_idempotent_and_private(instance: Instance) -> None:
    first = instance.run(["init"], "development")
    assert first.exit_code == 0, first.output
    assert "Created a new keyring" in first.output
    keyring = instance.keyring.read_bytes()
    assert _mode(instance.keyring) == 0o600
    assert _mode(instance.path) == 0o700

    second = instance.run(["init"], "development")
    assert second.exit_code == 0, second.output
    assert "Created a new keyring" not in second.output
    assert instance.keyring.read_bytes() == keyring
    assert _mode(instance.keyring) == 0o600


def test_check_passes_on_a_fresh_development_instance(instance: Instance) -> None:
    _init(instance, "development")
    result = instance.run(["check"], "development")
    assert result.exit_code == 0, result.output
    assert "All checks passed." in result.stdout


def test_check_passes_on_a_fresh_production_instance(instance: Instance) -> None:
    """The baseline for the failures below: each of them is one change away from this."""
    _init(instance, "production")
    assert instance.check("production", base_url=HTTPS) == (0, [])


def test_the_real_command_exits_with_the_checks_verdict(instance: Instance) -> None:
    command = Path(sys.executable).with_name("tellonce")
    assert command.exists(), "the console script web.cli:main is not installed"
    env = server_env()
    env |= {"TELLONCE_ENV": "development", "TELLONCE_INSTANCE_PATH": str(instance.path)}
    init = subprocess.run([command, "init"], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert init.returncode == 0, init.stderr
    passed = subprocess.run([command, "check"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert passed.returncode == 0, passed.stderr
    instance.keyring.chmod(0o644)
    failed = subprocess.run([command, "check"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert failed.returncode == 1
    assert "FAIL: The keyring file must be mode 600" in failed.stderr


# -- check: one problem at a time ----------------------------------------------------------


def test_check_refuses_a_keyring_others_can_read(instance: Instance) -> None:
    _init(instance, "development")
    instance.keyring.chmod(0o644)
    code, fails = instance.check("development")
    assert code == 1
    assert fails == ["FAIL: The keyring file must be mode 600 (readable by its owner only)."]


def test_check_refuses_an_instance_folder_others_can_read(instance: Instance) -> None:
    _init(instance, "development")
    instance.path.chmod(0o755)
    code, fails = instance.check("development")
    assert code == 1
    assert fails == ["FAIL: The instance folder must be readable by its owner only (mode 700)."]


def test_check_refuses_http_in_production(instance: Instance) -> None:
    _init(instance, "production")
    code, fails = instance.check("production", base_url="http://tellonce.example")
    assert code == 1
    assert fails == ["FAIL: TELLONCE_BASE_URL must be an https:// address outside development."]


def test_check_refuses_a_development_keyring_in_production(instance: Instance) -> None:
    _init(instance, "development")
    assert Keyring.load(instance.keyring).development
    code, fails = instance.check("production", base_url=HTTPS)
    assert code == 1
    assert fails == ["FAIL: The keyring is a development keyring, and this is not development."]


def test_check_refuses_a_database_that_was_never_migrated(instance: Instance) -> None:
    instance.path.mkdir(mode=0o700)
    Keyring.generate(development=True).save(instance.keyring)
    code, fails = instance.check("development")
    assert code == 1
    assert fails == ["FAIL: The database is not at the latest migration: run 'tellonce init'."]


def test_check_refuses_redis_that_does_not_answer(instance: Instance) -> None:
    _init(instance, "development")
    code, fails = instance.check("development", redis_url="redis://127.0.0.1:1/0")
    assert code == 1
    assert fails == ["FAIL: Redis is configured (TELLONCE_REDIS_URL) but does not answer."]


# -- demo and the audit history -------------------------------------------------------------


def _demo(instance: Instance) -> list[dict[str, Any]]:
    result = instance.run(["demo", "--json"], "test")
    assert result.exit_code == 0, result.output
    accounts: list[dict[str, Any]] = json.loads(result.stdout)["accounts"]
    return accounts


def _app_of(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app that `tellonce serve` would build from the same environment."""
    for key, value in instance.env("test", base_url=HTTPS).items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    return create_app()


def _get(instance: Instance, monkeypatch: pytest.MonkeyPatch, url: str, token: str) -> Any:
    """GET through the app that `tellonce serve` would build from the same environment."""
    app = _app_of(instance, monkeypatch)
    try:
        client = app.test_client()
        response = client.get(url, headers={"Authorization": f"Bearer {token}"},
                              base_url=HTTPS)
        assert response.status_code == 200, (url, response.json)
        return response.json
    finally:
        app.extensions["tellonce"].db.dispose()


def test_demo_is_idempotent_and_issues_fresh_working_tokens(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    _init(instance, "test")
    first, second = _demo(instance), _demo(instance)
    assert len(first) >= 3
    same = [(a["login"], a["person_id"]) for a in first]
    assert [(a["login"], a["person_id"]) for a in second] == same
    assert len(set(same)) == len(same)
    tokens = [a["api_token"] for a in first + second]
    assert len(set(tokens)) == len(tokens)

    for account in first + second:
        people = _get(instance, monkeypatch, "/api/v1/people", account["api_token"])
        assert [p["id"] for p in people] == [account["person_id"]]
    rosie = first[0]
    entries = _get(instance, monkeypatch, f"/api/v1/people/{rosie['person_id']}/entries",
                   rosie["api_token"])
    assert len({e["section"] for e in entries}) >= 5
    # A second run adds no entries: the same record, not a copy.
    with closing(_sqlite(instance)) as conn:
        per_person = dict(conn.execute(
            "SELECT person_id, count(*) FROM entries GROUP BY person_id").fetchall())
    assert per_person[rosie["person_id"]] == len(entries)
    assert set(per_person) == {a["person_id"] for a in first}


def test_a_tampered_audit_history_fails_verify_and_check(instance: Instance) -> None:
    _init(instance, "test")
    _demo(instance)
    verified = instance.run(["audit", "verify"], "test")
    assert verified.exit_code == 0, verified.output
    assert "all verify" in verified.stdout
    assert instance.check("test", base_url=HTTPS) == (0, [])

    with closing(_sqlite(instance)) as conn, conn:
        chain, seq = conn.execute(
            "SELECT chain, seq FROM audit_events WHERE chain LIKE 'account:%' "
            "ORDER BY chain, seq LIMIT 1").fetchone()
        conn.execute("UPDATE audit_events SET kind = 'signed_in' WHERE chain = ? AND seq = ?",
                     (chain, seq))

    broken = instance.run(["audit", "verify"], "test")
    assert broken.exit_code == 1
    assert f"FAIL: The audit history {chain} was changed at event {seq}." in broken.stderr
    code, fails = instance.check("test", base_url=HTTPS)
    assert code == 1
    assert fails == [f"FAIL: The audit history {chain} was changed at event {seq}."]


def _short_forms(text: str) -> list[bytes]:
    """A short word raw and in UTF-16: base64 of a few bytes has no stable middle to look for."""
    return [text.encode(), text.encode("utf-16-le"), text.encode("utf-16-be")]


RECIPIENT, VIEWER_ADDRESS = "Dr Temitope Okafor-Canary", "203.0.113.77"
# Every role a writer or a delegate can have (RECORD.md, Delegation; decision 0013).
ROLES = ("subject", "delegate", "imported", "supporter", "family carer", "Shared Lives carer",
         "independent advocate", "attorney", "deputy", "parent")


def _open_the_demo_links(instance: Instance, monkeypatch: pytest.MonkeyPatch,
                         links: list[dict[str, Any]]) -> None:
    """Each demo link opened once by a named recipient, from one address."""
    app = _app_of(instance, monkeypatch)
    try:
        client = app.test_client()
        for link in links:
            body = {"recipient": RECIPIENT,
                    **({"passcode": link["passcode"]} if link["passcode"] else {})}
            opened = client.post(_shl_payload(link["url"])["url"].removeprefix(HTTPS), json=body,
                                 base_url=HTTPS, environ_base={"REMOTE_ADDR": VIEWER_ADDRESS})
            assert opened.status_code == 200, opened.json
    finally:
        app.extensions["tellonce"].db.dispose()


def test_a_demo_database_names_no_one_and_nothing_they_shared(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the keyring, a copy of the database holds no demo login, address, name, link
    label, passcode, template, recipient, client address, section or role in any form (0004,
    0006, 0011 to 0015)."""
    _init(instance, "test")
    accounts = _demo(instance)
    _open_the_demo_links(instance, monkeypatch,
                         json.loads(instance.run(["demo", "--json"], "test").stdout)["links"])
    stored = b"".join(path.read_bytes() for path in files_under(instance.path)
                      if path != instance.keyring)
    for long in (RECIPIENT, VIEWER_ADDRESS):
        assert occurrences(stored, long) == 0, long
    for spec in DEMO_ACCOUNTS:
        legal_name = next(e["data"]["legal_name"] for e in spec["entries"]
                          if e["section"] == "identity")
        for short in (spec["login"], spec["preferred_name"]):
            assert sum(stored.count(form) for form in _short_forms(short)) == 0, short
        for long in (spec["email"], legal_name):
            assert occurrences(stored, long) == 0, long
    for link in DEMO_LINKS:
        for typed in (link["label"], link["passcode"] or "", link["template"]):
            if len(typed) > 3:  # "gp" is two letters: any binary holds it by chance.
                assert sum(stored.count(form) for form in _short_forms(typed)) == 0, typed
    # A section the schema names (a table called "people") is in every database: the rest are
    # in none, unless a row names one.
    with closing(_sqlite(instance)) as conn:
        schema = " ".join(sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master") if sql)
    sections = {e["section"] for spec in DEMO_ACCOUNTS for e in spec["entries"]}
    looked_for = {name for name in {*sections, *ROLES} if name not in schema}
    assert {"sensitive_history", "communication", "medicines", "delegate"} <= looked_for
    for name in looked_for:
        assert sum(stored.count(form) for form in _short_forms(name)) == 0, name
    assert {a["login"] for a in accounts} == {spec["login"] for spec in DEMO_ACCOUNTS}


def test_account_rotate_key_gives_a_new_key_and_ends_the_old_tokens(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    _init(instance, "test")
    rosie = _demo(instance)[0]
    with closing(_sqlite(instance)) as conn:
        (account_id,) = conn.execute("SELECT subject_account_id FROM people WHERE id = ?",
                                     (rosie["person_id"],)).fetchone()
        before = conn.execute("SELECT public_key FROM accounts WHERE id = ?",
                              (account_id,)).fetchone()[0]
    wrong = instance.run(["account", "rotate-key", rosie["login"], "--passphrase", "not it"],
                         "test")
    assert wrong.exit_code == 1
    # The passphrase is asked for, never echoed, when it is not given.
    rotated = CliRunner().invoke(main, ["account", "rotate-key", rosie["login"]],
                                 input=rosie["passphrase"] + "\n", env=instance.env("test"))
    assert rotated.exit_code == 0, rotated.output
    assert "New recovery code (shown once): " in rotated.output
    with closing(_sqlite(instance)) as conn:
        after = conn.execute("SELECT public_key FROM accounts WHERE id = ?",
                             (account_id,)).fetchone()[0]
    assert after != before
    app = _app_of(instance, monkeypatch)
    try:
        refused = app.test_client().get("/api/v1/people", base_url=HTTPS,
                                        headers={"Authorization": f"Bearer {rosie['api_token']}"})
        assert refused.status_code == 401
    finally:
        app.extensions["tellonce"].db.dispose()
    # The demo, run again, unlocks the account with its passphrase under the new key.
    assert _demo(instance)[0]["person_id"] == rosie["person_id"]


def test_account_rotate_key_refuses_a_planted_slot_and_changes_nothing(
        instance: Instance) -> None:
    _init(instance, "test")
    rosie = _demo(instance)[0]
    with closing(_sqlite(instance)) as conn, conn:
        conn.execute("UPDATE private_key_slots SET tag = NULL WHERE person_id = ?",
                     (rosie["person_id"],))
        before = conn.execute("SELECT public_key FROM accounts").fetchall()
    refused = instance.run(["account", "rotate-key", rosie["login"], "--passphrase",
                            rosie["passphrase"]], "test")
    assert refused.exit_code == 1
    assert "changed outside Tell Once" in refused.output
    with closing(_sqlite(instance)) as conn:
        assert conn.execute("SELECT public_key FROM accounts").fetchall() == before


def test_check_counts_slots_that_lost_their_tag(instance: Instance) -> None:
    """A slot with no tag, on an account the keyring never marked, is refused (decision 0005)."""
    _init(instance, "test")
    _demo(instance)
    assert instance.check("test", base_url=HTTPS) == (0, [])
    with closing(_sqlite(instance)) as conn, conn:
        conn.execute("UPDATE private_key_slots SET tag = NULL")
        cleared = conn.execute("SELECT count(*) FROM private_key_slots").fetchone()[0]
    code, fails = instance.check("test", base_url=HTTPS)
    assert code == 1
    assert fails == [f"FAIL: {cleared} key slot(s) have no slot tag and their account no marker "
                     "from the keyring: they were planted or damaged, and Tell Once refuses to "
                     "use them. Restore them from a backup."]


def test_check_notes_records_whose_sections_are_still_plain(instance: Instance) -> None:
    """A record from before decision 0012 is no failure: it is sealed at the next sign-in."""
    _init(instance, "test")
    _demo(instance)
    passed = instance.run(["check"], "test", base_url=HTTPS)
    assert passed.exit_code == 0, passed.output
    assert "still name their sections" not in passed.stdout
    with closing(_sqlite(instance)) as conn, conn:
        conn.execute("UPDATE people SET metadata_key_wrapped = NULL")
        people = conn.execute("SELECT count(*) FROM people").fetchone()[0]
    noted = instance.run(["check"], "test", base_url=HTTPS)
    assert noted.exit_code == 0, noted.output
    assert (f"NOTE: {people} record(s) still name their sections, authors or tiers in the "
            "clear: each is sealed when its subject next signs in (decisions 0012 to 0014). "
            "Nothing needs doing.") in noted.stdout


def test_audit_verify_against_a_head_the_person_kept(
    instance: Instance, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The export's signed head checks the history; a history cut short below it fails."""
    _init(instance, "test")
    rosie = _demo(instance)[0]
    export = _get(instance, monkeypatch, f"/api/v1/people/{rosie['person_id']}/export",
                  rosie["api_token"])
    kept = tmp_path / "export.json"
    kept.write_text(json.dumps(export))
    head = export["audit"]["head"]
    assert head["chain"] == f"person:{rosie['person_id']}"
    assert head["signature"]
    verified = instance.run(["audit", "verify", "--against", str(kept)], "test")
    assert verified.exit_code == 0, verified.output

    with closing(_sqlite(instance)) as conn, conn:
        conn.execute("DELETE FROM audit_events WHERE chain = ? AND seq >= ?",
                     (head["chain"], head["seq"]))
    broken = instance.run(["audit", "verify", "--against", str(kept)], "test")
    assert broken.exit_code == 1
    assert (f"FAIL: The audit history {head['chain']} was cut short: event {head['seq']}, "
            "which you kept, is gone.") in broken.stderr

    kept.write_text("not json")
    refused = instance.run(["audit", "verify", "--against", str(kept)], "test")
    assert refused.exit_code == 1
    assert "The kept head is not JSON." in refused.output
    kept.write_text("[1, 2]")
    refused = instance.run(["audit", "verify", "--against", str(kept)], "test")
    assert refused.exit_code == 1
    assert "The kept head is not a signed head of a Tell Once history." in refused.output


def test_init_gives_an_older_keyring_the_purposes_it_lacks(instance: Instance) -> None:
    _init(instance, "development")
    data = json.loads(instance.keyring.read_text())
    for purpose in ("login", "address"):
        del data["keys"][purpose], data["current"][purpose]
    instance.keyring.write_text(json.dumps(data))
    lacking = "FAIL: The keyring has no key for login, address: run 'tellonce init'."
    assert lacking in instance.check("development")[1]
    served = instance.run(["audit", "verify"], "development")  # Anything that needs the keyring.
    assert served.exit_code == 1
    assert "run 'tellonce init', which adds them" in served.output

    added = instance.run(["init"], "development")
    assert added.exit_code == 0, added.output
    assert "Added keyring keys for login, address." in added.stdout
    assert _mode(instance.keyring) == 0o600
    assert lacking not in instance.check("development")[1]
    assert "Added" not in instance.run(["init"], "development").stdout  # Only once.


def test_keyring_rotate_keeps_old_keys_and_sign_in_working(tmp_path: Path) -> None:
    env = {"TELLONCE_ENV": "development", "TELLONCE_INSTANCE_PATH": str(tmp_path / "inst")}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    path = tmp_path / "inst" / "keyring.json"
    before = Keyring.load(path)
    result = runner.invoke(main, ["keyring", "rotate", "pepper"], env=env)
    assert result.exit_code == 0, result.output
    after = Keyring.load(path)
    assert after.current["pepper"] != before.current["pepper"]
    assert set(before.keys["pepper"]) < set(after.keys["pepper"])
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(main, ["keyring", "rotate", "nonsense"], env=env).exit_code != 0


def test_check_says_which_sqlite_serves(instance: Instance) -> None:
    _init(instance, "test")
    passed = instance.run(["check"], "test", base_url=HTTPS)
    assert passed.exit_code == 0, passed.output
    binding = sqlite_binding(os.environ.get("TELLONCE_SQLITE_BINDING", "bundled"))
    assert f"NOTE: The database is {binding.describe()}." in passed.stdout
    assert ("several workers may serve" in passed.stdout) == binding.fixed


def test_serve_refuses_several_workers_on_a_sqlite_before_the_fix(instance: Instance) -> None:
    """Before any server starts: the lock would make a second worker only wait."""
    _init(instance, "test")
    if sqlite_binding("system").fixed:
        pytest.skip("the system's SQLite is fixed here")
    refused = instance.run(["serve", "--workers", "3"], "test", sqlite_binding="system")
    assert refused.exit_code == 1
    assert "This SQLite is before the WAL fix of 3.51.3, so the server runs one worker." in (
        refused.output)
    wrong = instance.run(["serve", "--workers", "0"], "test")
    assert wrong.exit_code == 2
    assert "--workers" in wrong.output


def _holder_of_the_write_lock(database: Path) -> str:
    """A script that holds what a writer waits for, then lets go after 3 s: SQLite's own
    write lock on a fixed SQLite, the lock file before the fix (vault/db.py)."""
    binding = sqlite_binding(os.environ.get("TELLONCE_SQLITE_BINDING", "bundled"))
    if binding.fixed:
        return (f"import time\nfrom {binding.module.__name__} import connect\n"
                f"conn = connect({str(database)!r}, isolation_level=None)\n"
                "conn.execute('BEGIN IMMEDIATE')\n"
                "print('held', flush=True)\n"
                "time.sleep(3)\n")
    lock_file = database.with_name(database.name + ".lock")
    return ("import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock_file)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(3)\n")


def test_a_command_beside_a_busy_writer_says_so_plainly(tmp_path: Path,
                                                        monkeypatch: Any) -> None:
    env = {"TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(tmp_path / "inst")}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", _holder_of_the_write_lock(tmp_path / "inst" / "tellonce.db")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(db, "LOCK_WAIT_SECONDS", 0.2)
        result = runner.invoke(main, ["demo"], env=env)
        assert result.exit_code == 1
        assert "Another Tell Once process is writing" in result.output
        assert "Traceback" not in result.output
    finally:
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def test_every_demo_link_opens_and_decrypts_with_another_library(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each link of ``tellonce demo --json`` is opened as a viewer would, decrypted with
    jwcrypto, and its bundle passes fhir.resources (R4B) and the IPS shape checks."""


    _init(instance, "test")
    result = instance.run(["demo", "--json"], "test")
    links = json.loads(result.stdout)["links"]
    again = json.loads(instance.run(["demo", "--json"], "test").stdout)["links"]
    assert [link["url"] for link in again] == [link["url"] for link in links]  # Kept.
    assert {link["label"] for link in links} == {"Emergency card", "For my GP"}
    assert any(link["passcode"] is None for link in links)
    assert any(link["passcode"] for link in links)
    app = _app_of(instance, monkeypatch)
    try:
        client = app.test_client()
        for link in links:
            payload = _shl_payload(link["url"])
            body = {"recipient": "Test viewer", **({"passcode": link["passcode"]}
                                                   if link["passcode"] else {})}
            opened = client.post(payload["url"].removeprefix(HTTPS), json=body, base_url=HTTPS)
            assert opened.status_code == 200, (link["label"], opened.json)
            bundle = decrypt(link["url"], opened.json)
            Bundle.model_validate(bundle)
            check_ips_shape(bundle)
    finally:
        app.extensions["tellonce"].db.dispose()


def _shl_payload(url: str) -> dict[str, Any]:
    fragment = url.split("#shlink:/", 1)[1]
    raw = base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4))
    payload: dict[str, Any] = json.loads(raw)
    return payload


def test_notices_runs_on_a_fresh_instance_and_after_the_demo(instance: Instance) -> None:
    """The daily timer's command: links that end in months give no notice yet."""
    _init(instance, "test")
    first = instance.run(["notices"], "test")
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "0 notices given."
    _demo(instance)
    assert instance.run(["notices"], "test").stdout.strip() == "0 notices given."
