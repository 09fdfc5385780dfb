"""One-time codes (TOTP) as a second step of signing in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import PASSPHRASE, make_person
from vault import throttle
from vault.models import AuditEvent


def _at(runtime: Any, moment: datetime) -> None:
    runtime.set_clock(lambda: moment)


def _sign_in(client: FlaskClient, login: str) -> Any:
    return client.post("/api/v1/sessions", json={"login": login, "passphrase": PASSPHRASE})


def _set_up(client: FlaskClient, runtime: Any, now: datetime) -> tuple[Any, pyotp.TOTP]:
    amy = make_person(client)
    _at(runtime, now)
    _sign_in(client, amy.login)
    started = client.post("/api/v1/account/totp", json={"passphrase": PASSPHRASE})
    assert started.status_code == 201
    assert started.json["uri"].startswith("otpauth://totp/Tell%20Once:")
    totp = pyotp.TOTP(started.json["secret"])
    wrong = client.post("/api/v1/account/totp/confirm", json={"code": "000000"})
    assert wrong.status_code == 401
    assert wrong.json["error"] == "wrong_code"
    assert client.post("/api/v1/account/totp/confirm",
                       json={"code": totp.at(now)}).status_code == 204
    client.delete("/api/v1/sessions")
    return amy, totp


def test_sign_in_asks_for_the_code_and_accepts_each_code_once(client: FlaskClient,
                                                               runtime: Any) -> None:
    now = datetime.now(UTC)
    amy, totp = _set_up(client, runtime, now)
    later = now + timedelta(minutes=2)
    _at(runtime, later)
    first = _sign_in(client, amy.login)
    assert first.status_code == 202
    assert first.json == {"second_factor": "totp", "second_factors": ["totp"]}
    assert "__Host-tellonce-session" not in first.headers.get("Set-Cookie", "")
    assert client.get("/api/v1/people").status_code == 401  # Not signed in yet.
    assert client.post("/api/v1/sessions/second-factor",
                       json={"code": "123456"}).status_code == 401
    done = client.post("/api/v1/sessions/second-factor", json={"code": totp.at(later)})
    assert done.status_code == 201
    assert client.get("/api/v1/people").status_code == 200
    client.delete("/api/v1/sessions")
    # The same code again, in the same half minute, is refused: it has been used.
    _sign_in(client, amy.login)
    replay = client.post("/api/v1/sessions/second-factor", json={"code": totp.at(later)})
    assert replay.status_code == 401


def test_five_wrong_codes_end_the_attempt(client: FlaskClient, runtime: Any) -> None:
    now = datetime.now(UTC)
    amy, totp = _set_up(client, runtime, now)
    later = now + timedelta(minutes=2)
    _at(runtime, later)
    assert _sign_in(client, amy.login).status_code == 202
    for _ in range(5):
        assert client.post("/api/v1/sessions/second-factor",
                           json={"code": "000000"}).status_code == 401
    used_up = client.post("/api/v1/sessions/second-factor", json={"code": totp.at(later)})
    assert used_up.status_code == 401
    assert used_up.json["error"] == "not_signed_in"
    history_kinds = _account_kinds(runtime, amy.account_id)
    assert history_kinds.count("second_factor_failed") == 5
    # The passphrase step counted a failure that only a right code would have reset.
    with runtime.db.transaction() as s:
        key = runtime.config.keyring.account_login_digest(amy.account_id)
        assert throttle.failures_for(s, key=key) == 1


def test_a_pending_sign_in_expires_after_five_minutes(client: FlaskClient, runtime: Any) -> None:
    now = datetime.now(UTC)
    amy, totp = _set_up(client, runtime, now)
    start = now + timedelta(minutes=2)
    _at(runtime, start)
    _sign_in(client, amy.login)
    late = start + timedelta(minutes=5, seconds=1)
    _at(runtime, late)
    assert client.post("/api/v1/sessions/second-factor",
                       json={"code": totp.at(late)}).status_code == 401


def test_removing_codes_needs_the_passphrase(client: FlaskClient, runtime: Any) -> None:
    now = datetime.now(UTC)
    amy, totp = _set_up(client, runtime, now)
    later = now + timedelta(minutes=1)
    _at(runtime, later)
    _sign_in(client, amy.login)
    client.post("/api/v1/sessions/second-factor", json={"code": totp.at(later)})
    assert client.post("/api/v1/account/totp/remove",
                       json={"passphrase": "not the passphrase, no"}).status_code == 401
    assert client.post("/api/v1/account/totp/remove",
                       json={"passphrase": PASSPHRASE}).status_code == 204
    client.delete("/api/v1/sessions")
    assert _sign_in(client, amy.login).status_code == 201


def _account_kinds(runtime: Any, account_id: str) -> list[str]:
    with runtime.db.transaction() as s:
        return list(s.scalars(select(AuditEvent.kind).where(
            AuditEvent.chain == f"account:{account_id}")))
