"""A canary written everywhere a person can type never reaches storage, logs or temp files.

The canary goes into every field of every section, an attachment and its file name, and the
body of requests that are refused. Then the database (file and WAL on SQLite, every row on
PostgreSQL), the instance folder, the logs captured at DEBUG and the system temporary
directory are searched for it in raw, UTF-16, base64 and deflated forms: zero times. Again
after an export, and again after the record is deleted and destroyed.

Canaries also go into what a link holds of its own: its label, its passcode (the right one,
and a wrong one tried), and the name a recipient types when they open it. None is stored or
logged in the clear, though the person reads the label and the name back.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from consent.lifecycle import destroy_due_records
from tests.canary import files_under, full_entries, occurrences
from tests.factories import Person, make_person
from tests.functional.api.test_links import _payload
from vault.db import Base


def _database_bytes(runtime: Any, instance_path: Path) -> bytes:
    if runtime.db.engine.dialect.name == "sqlite":
        return b"".join(p.read_bytes() for p in files_under(instance_path))
    chunks = []
    with runtime.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                chunks.append(repr(tuple(row)).encode())
    return b"".join(chunks)


def assert_nowhere(canaries: str | list[str], runtime: Any, instance_path: Path, caplog: Any,
                   started: float) -> None:
    places = {
        "database and instance folder": _database_bytes(runtime, instance_path),
        "logs": "\n".join(r.getMessage() + repr(r.args) + (r.exc_text or "")
                          for r in caplog.records).encode(),
    }
    for path in files_under(Path(tempfile.gettempdir()), newer_than=started):
        if instance_path in path.parents:
            continue  # Searched above as the instance folder.
        try:
            places[f"temporary file {path.name}"] = path.read_bytes()
        except OSError:
            continue  # Another test's file, removed between listing and reading.
    secrets_ = [canaries] if isinstance(canaries, str) else canaries
    found = {f"{where}: {secret[:8]}…": occurrences(data, secret)
             for where, data in places.items() for secret in secrets_}
    assert {where: n for where, n in found.items() if n} == {}
    assert caplog.records, "the log capture saw nothing, so it proves nothing"


def _write_everything(client: FlaskClient, amy: Person, canary: str) -> None:
    for section, data in full_entries(canary).items():
        response = client.post(f"/api/v1/people/{amy.person_id}/entries",
                               json={"section": section, "data": data,
                                     "provenance": f"{canary} provenance"}, headers=amy.auth)
        assert response.status_code == 201, (section, response.json)
        assert canary in str(response.json["data"])
    pdf = b"%PDF-1.4\n% " + canary.encode() + b"\n%%EOF\n"
    upload = client.post(f"/api/v1/people/{amy.person_id}/attachments", headers=amy.auth,
                         data={"section": "future_plans",
                               "file": (__import__("io").BytesIO(pdf), f"{canary}.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json


def _send_refused_requests(client: FlaskClient, amy: Person, canary: str) -> None:
    url = f"/api/v1/people/{amy.person_id}/entries"
    refused = [
        client.post(url, json={"section": "journal", "data": {"text": canary}, "extra": canary},
                    headers=amy.auth),
        client.post(url, json={"section": "journal", "data": {"nope": canary}},
                    headers=amy.auth),
        client.post(url, data=f'{{"section": "journal", "data": {{"text": "{canary}"',
                    headers={**amy.auth, "Content-Type": "application/json"}),
        client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": canary}),
    ]
    for response in refused:
        assert 400 <= response.status_code < 500
        # Refusals name the field that was wrong, never the value that was sent.
        assert canary not in response.get_data(as_text=True)


# Commits for real: the database's own files are searched, and the SQL log is captured, which
# needs connections made after the capture starts.
@pytest.mark.commits
@pytest.mark.usefixtures("app")
def test_canary_never_at_rest(client: FlaskClient, runtime: Any, instance_path: Path,
                              caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    started = time.time() - 1
    canary = "CANARY" + secrets.token_hex(12).upper()
    amy = make_person(client)
    try:
        _write_everything(client, amy, canary)
        _send_refused_requests(client, amy, canary)
        listed = client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth)
        assert canary in listed.get_data(as_text=True)  # The owner reads it back.
        assert_nowhere(canary, runtime, instance_path, caplog, started)
        _check_credentials_are_not_at_rest(client, amy, runtime, instance_path, caplog, started)

        exported = client.get(f"/api/v1/people/{amy.person_id}/export", headers=amy.auth)
        assert exported.status_code == 200
        assert canary in exported.get_data(as_text=True)
        assert_nowhere(canary, runtime, instance_path, caplog, started)

        assert client.delete(f"/api/v1/people/{amy.person_id}", headers=amy.auth).status_code \
            == 202

        later = runtime.now() + timedelta(days=15)
        with runtime.db.transaction() as session:
            destroy_due_records(session, now=later, shred_list=instance_path / "shred-list.txt")
        assert_nowhere(canary, runtime, instance_path, caplog, started)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def _check_credentials_are_not_at_rest(client: FlaskClient, amy: Person, runtime: Any,
                                       instance_path: Path, caplog: Any, started: float) -> None:
    """Passphrases, recovery codes, API tokens and session cookies are never stored either:
    only digests of the bearer secrets, and nothing at all of the others."""
    signed = client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": amy.passphrase})
    cookie = signed.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    code = amy.recovery_code
    totp = client.post("/api/v1/account/totp", json={"passphrase": amy.passphrase}).json
    secrets_ = [amy.passphrase, amy.token, amy.token.split("_", 1)[1], cookie,
                cookie.split("_", 1)[1], code, code.replace("-", ""), totp["secret"]]
    assert_nowhere(secrets_, runtime, instance_path, caplog, started)


# Commits for real, as the test above does, for the same reasons.
@pytest.mark.commits
@pytest.mark.usefixtures("app")
def test_what_a_link_holds_of_its_own_is_never_at_rest(
    client: FlaskClient, runtime: Any, instance_path: Path, caplog: Any
) -> None:
    """Rule: a link's label, its passcode and its recipients' names are never stored or logged
    in the clear: the label and the names are sealed, the passcode kept only as a keyed
    digest."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    started = time.time() - 1
    label, passcode, recipient = ("CANARY" + secrets.token_hex(12).upper() for _ in range(3))
    amy = make_person(client)
    try:
        made = client.post(f"/api/v1/people/{amy.person_id}/links", headers=amy.auth, json={
            "template": "gp", "label": label, "passcode": passcode,
            "expires_at": (runtime.now() + timedelta(days=30)).isoformat()})
        assert made.status_code == 201, made.json
        manifest = urlsplit(_payload(made.json["url"])["url"]).path
        wrong = client.post(manifest, json={"recipient": f"Dr {recipient}",
                                            "passcode": passcode[::-1]})
        assert wrong.status_code == 401
        opened = client.post(manifest, json={"recipient": f"Dr {recipient}",
                                             "passcode": passcode})
        assert opened.status_code == 200
        openings = client.get(f"/api/v1/people/{amy.person_id}/links/{made.json['id']}/openings",
                              headers=amy.auth)
        assert [o["recipient"] for o in openings.json] == [f"Dr {recipient}"]  # Read back.
        assert made.json["label"] == label
        assert_nowhere([label, passcode, passcode[::-1], recipient], runtime, instance_path,
                       caplog, started)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
