"""Accounts, sessions, recovery codes, tokens and throttling, through the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from keys.passphrase import KdfParams
from tests.factories import PASSPHRASE, add_entry, make_person
from vault import throttle
from vault.models import Account, AuditEvent, SignInSession, SignInThrottle
from web.app import SESSION_COOKIE


def sign_in(client: FlaskClient, login: str, passphrase: str = PASSPHRASE) -> Any:
    return client.post("/api/v1/sessions", json={"login": login, "passphrase": passphrase})


def at(runtime: Any, moment: datetime) -> None:
    runtime.set_clock(lambda: moment)


# -- sign up ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"login": "ab", "passphrase": PASSPHRASE, "preferred_name": "A"}, "login"),
    ({"login": "amy", "passphrase": "short words", "preferred_name": "A"}, "passphrase"),
    ({"login": "amy", "passphrase": "passwordpassword", "preferred_name": "A"}, "passphrase"),
    ({"login": "amy", "passphrase": "aaaaaaaaaaaaaaaaaaaa", "preferred_name": "A"}, "passphrase"),
    ({"login": "amy", "passphrase": PASSPHRASE, "preferred_name": " "}, "preferred_name"),
    ({"login": "amy", "passphrase": PASSPHRASE, "preferred_name": "A", "email": "no"}, "email"),
])
def test_sign_up_refuses_bad_details_and_creates_nothing(
    client: FlaskClient, runtime: Any, body: dict[str, str], field: str
) -> None:
    response = client.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    assert response.json["field"] == field
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0


def test_login_and_email_are_unique(client: FlaskClient) -> None:
    body = {"login": "amy", "email": "amy@example.org", "passphrase": PASSPHRASE,
            "preferred_name": "Amy"}
    assert client.post("/api/v1/accounts", json=body).status_code == 201
    again = client.post("/api/v1/accounts", json={**body, "login": "amy2"})
    assert again.status_code == 409
    assert client.post("/api/v1/accounts", json={**body, "email": None}).status_code == 409


def test_passphrase_suggestion_is_four_words(client: FlaskClient) -> None:
    words = client.get("/api/v1/passphrase-suggestion").json["passphrase"].split()
    assert len(words) == 4
    assert all(w.isalpha() for w in words)


# -- sessions --------------------------------------------------------------------------------


def test_session_cookie_is_host_prefixed_secure_and_strict(client: FlaskClient) -> None:
    amy = make_person(client)
    response = sign_in(client, amy.login)
    assert response.status_code == 201
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=tos_")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert client.get("/api/v1/people").status_code == 200


def test_sign_in_by_email_works(client: FlaskClient) -> None:
    client.post("/api/v1/accounts", json={"login": "amy", "email": "Amy@Example.org",
                                          "passphrase": PASSPHRASE, "preferred_name": "Amy"})
    assert sign_in(client, "amy@example.org").status_code == 201


def test_wrong_passphrase_and_unknown_login_look_the_same(client: FlaskClient) -> None:
    amy = make_person(client)
    wrong = sign_in(client, amy.login, "not the right passphrase at all")
    unknown = sign_in(client, "nobody-here", PASSPHRASE)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_session_ends_after_idle_and_absolute_limits(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    start = datetime.now(UTC)
    at(runtime, start)
    assert sign_in(client, amy.login).status_code == 201
    at(runtime, start + timedelta(minutes=14))
    assert client.get("/api/v1/people").status_code == 200
    # Activity moved the idle window on: 14 more minutes is still inside it.
    at(runtime, start + timedelta(minutes=28))
    assert client.get("/api/v1/people").status_code == 200
    at(runtime, start + timedelta(minutes=44))
    assert client.get("/api/v1/people").status_code == 401
    # Absolute: even a session used every 10 minutes ends after 12 hours.
    at(runtime, start)
    sign_in(client, amy.login)
    moment = start
    while moment < start + timedelta(hours=11, minutes=50):
        moment += timedelta(minutes=10)
        at(runtime, moment)
        assert client.get("/api/v1/people").status_code == 200
    at(runtime, start + timedelta(hours=12, minutes=1))
    assert client.get("/api/v1/people").status_code == 401


def test_sign_out_here_and_everywhere(client: FlaskClient, app: Any, runtime: Any) -> None:
    amy = make_person(client)
    other = app.test_client()
    other.environ_base.update(client.environ_base)
    sign_in(client, amy.login)
    sign_in(other, amy.login)
    assert client.delete("/api/v1/sessions").status_code == 204
    assert client.get("/api/v1/people").status_code == 401
    assert other.get("/api/v1/people").status_code == 200
    sign_in(client, amy.login)
    # Signing out everywhere takes the passphrase again.
    assert client.delete("/api/v1/sessions?everywhere=true",
                         json={"passphrase": PASSPHRASE}).status_code == 204
    assert other.get("/api/v1/people").status_code == 401
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SignInSession)) == 0


def test_forged_or_malformed_session_cookie_is_refused(client: FlaskClient) -> None:
    make_person(client)
    for value in ("tos_" + "A" * 43, "garbage", "tot_" + "A" * 43, ""):
        client.set_cookie(SESSION_COOKIE, value, domain="tellonce.test")
        response = client.get("/api/v1/people")
        assert response.status_code == 401
        assert response.json["error"] == "not_signed_in"


# -- recovery ----------------------------------------------------------------------------------


def test_recovery_code_restores_the_same_record(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    entry = add_entry(client, amy, "communication", {"text": "I nod for yes."})
    new_pass = "fresh meadow copper violin"
    wrong = client.post("/api/v1/recovery", json={
        "login": amy.login, "recovery_code": "0" * 30, "new_passphrase": new_pass})
    assert wrong.status_code == 401
    assert sign_in(client, amy.login).status_code == 201  # The wrong code changed nothing.
    client.delete("/api/v1/sessions")

    used = client.post("/api/v1/recovery", json={
        "login": amy.login, "recovery_code": amy.recovery_code.lower(),
        "new_passphrase": new_pass})
    assert used.status_code == 201
    new_code = used.json["recovery_code"]
    assert new_code != amy.recovery_code
    read = client.get(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}")
    assert read.json["data"] == {"text": "I nod for yes."}
    client.delete("/api/v1/sessions")
    assert sign_in(client, amy.login).status_code == 401
    assert sign_in(client, amy.login, new_pass).status_code == 201

    again = client.post("/api/v1/recovery", json={
        "login": amy.login, "recovery_code": amy.recovery_code, "new_passphrase": new_pass})
    assert again.status_code == 401  # A used code no longer works.


def test_recovery_refuses_a_weak_new_passphrase_without_spending_the_code(
    client: FlaskClient,
) -> None:
    amy = make_person(client)
    weak = client.post("/api/v1/recovery", json={
        "login": amy.login, "recovery_code": amy.recovery_code, "new_passphrase": "short"})
    assert weak.status_code == 422
    ok = client.post("/api/v1/recovery", json={
        "login": amy.login, "recovery_code": amy.recovery_code,
        "new_passphrase": "fresh meadow copper violin"})
    assert ok.status_code == 201


# -- throttling --------------------------------------------------------------------------------


def test_failures_bring_rising_delays_then_a_lock_the_code_lifts(
    client: FlaskClient, runtime: Any
) -> None:
    amy = make_person(client)
    moment = datetime.now(UTC)
    at(runtime, moment)
    for _ in range(throttle.FREE_FAILURES_PER_LOGIN):
        assert sign_in(client, amy.login, "wrong wrong wrong wrong").status_code == 401
    refused = sign_in(client, amy.login)  # Even the right passphrase waits its turn.
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    failures = throttle.FREE_FAILURES_PER_LOGIN
    while failures < throttle.MAX_CONSECUTIVE_FAILURES:
        moment += throttle.MAX_DELAY + timedelta(seconds=1)
        at(runtime, moment)
        # A fresh address each time, so only the per-login budget is tested here.
        response = client.post("/api/v1/sessions", json={
            "login": amy.login, "passphrase": "wrong wrong wrong wrong"},
            environ_base={"REMOTE_ADDR": f"10.0.{failures // 250}.{failures % 250}"})
        assert response.status_code == 401
        failures += 1
    moment += throttle.MAX_DELAY + timedelta(seconds=1)
    at(runtime, moment)
    locked = sign_in(client, amy.login)
    assert locked.status_code == 423
    assert locked.json["error"] == "account_locked"
    recovered = client.post("/api/v1/recovery", json={
        "login": amy.login, "recovery_code": amy.recovery_code,
        "new_passphrase": "fresh meadow copper violin"})
    assert recovered.status_code == 201
    client.delete("/api/v1/sessions")
    assert sign_in(client, amy.login, "fresh meadow copper violin").status_code == 201
    with runtime.db.transaction() as s:
        kinds = s.scalars(select(AuditEvent.kind).where(
            AuditEvent.chain == f"account:{amy.account_id}")).all()
    assert kinds.count("sign_in_failed") == throttle.MAX_CONSECUTIVE_FAILURES
    assert "account_locked" in kinds
    assert "account_recovered" in kinds


def test_parameters_are_upgraded_at_sign_in(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    stronger = KdfParams(16, 2, 1)
    runtime.config = type(runtime.config)(keyring=runtime.config.keyring, kdf_params=stronger)
    assert sign_in(client, amy.login).status_code == 201
    with runtime.db.transaction() as s:
        account = s.get(Account, amy.account_id)
        assert KdfParams.from_json(account.kdf_params) == stronger
    client.delete("/api/v1/sessions")
    assert sign_in(client, amy.login).status_code == 201


# -- tokens --------------------------------------------------------------------------------------


def test_read_only_token_cannot_write(client: FlaskClient) -> None:
    amy = make_person(client, scopes=("read",))
    response = client.post(f"/api/v1/people/{amy.person_id}/entries",
                           json={"section": "journal", "data": {"text": "x"}}, headers=amy.auth)
    assert response.status_code == 403
    assert client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth).json == []


def test_revoked_and_expired_tokens_stop_at_once(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    sign_in(client, amy.login)
    tokens = client.get("/api/v1/tokens").json
    assert [t["name"] for t in tokens] == ["tests"]
    assert "token" not in tokens[0]
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}").status_code == 204
    assert client.get("/api/v1/people", headers=amy.auth).status_code == 401

    expires = datetime.now(UTC) + timedelta(days=1)
    made = client.post("/api/v1/tokens", json={
        "name": "short", "scopes": ["read"], "person_ids": [amy.person_id],
        "expires_at": expires.isoformat()}).json
    headers = {"Authorization": f"Bearer {made['token']}"}
    client.delete("/api/v1/sessions")
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    at(runtime, expires + timedelta(seconds=1))
    assert client.get("/api/v1/people", headers=headers).status_code == 401


def test_token_cannot_name_someone_elses_record(client: FlaskClient) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    sign_in(client, amy.login)
    response = client.post("/api/v1/tokens", json={
        "name": "x", "scopes": ["read"], "person_ids": [bob.person_id],
        "expires_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()})
    assert response.status_code == 404
    other = client.delete(f"/api/v1/tokens/{bob.person_id}")
    assert other.status_code == 404


def test_token_expiry_must_be_within_a_year(client: FlaskClient) -> None:
    amy = make_person(client)
    sign_in(client, amy.login)
    response = client.post("/api/v1/tokens", json={
        "name": "x", "scopes": ["read"], "person_ids": [amy.person_id],
        "expires_at": (datetime.now(UTC) + timedelta(days=400)).isoformat()})
    assert response.status_code == 422
    assert response.json["field"] == "expires_at"


# -- history ---------------------------------------------------------------------------------------


def test_history_shows_writes_with_a_chain_head(client: FlaskClient) -> None:
    amy = make_person(client)
    add_entry(client, amy, "allergies", {"text": "Penicillin"})
    history = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json
    kinds = [e["kind"] for e in history["events"]]
    assert kinds == ["entry_created", "record_created"]
    assert history["events"][0]["details"]["section"] == "allergies"
    assert history["head"]["seq"] == 2
    assert len(history["head"]["hash"]) == 64


# -- changing the passphrase and the recovery code ------------------------------------------------


def test_change_passphrase_signs_out_other_sessions(client: FlaskClient, app: Any) -> None:
    amy = make_person(client)
    other = app.test_client()
    other.environ_base.update(client.environ_base)
    sign_in(other, amy.login)
    sign_in(client, amy.login)
    new = "fresh meadow copper violin"
    wrong = client.put("/api/v1/account/passphrase",
                       json={"passphrase": "not my passphrase at all", "new_passphrase": new})
    assert wrong.status_code == 401
    weak = client.put("/api/v1/account/passphrase",
                      json={"passphrase": PASSPHRASE, "new_passphrase": "short"})
    assert weak.status_code == 422
    assert other.get("/api/v1/people").status_code == 200  # Nothing changed yet.
    changed = client.put("/api/v1/account/passphrase",
                         json={"passphrase": PASSPHRASE, "new_passphrase": new})
    assert changed.status_code == 204
    assert client.get("/api/v1/people").status_code == 200
    assert other.get("/api/v1/people").status_code == 401
    client.delete("/api/v1/sessions")
    assert sign_in(client, amy.login).status_code == 401
    assert sign_in(client, amy.login, new).status_code == 201


def test_new_recovery_code_replaces_the_old(client: FlaskClient) -> None:
    amy = make_person(client)
    sign_in(client, amy.login)
    assert client.post("/api/v1/account/recovery-code",
                       json={"passphrase": "wrong wrong wrong wrong"}).status_code == 401
    made = client.post("/api/v1/account/recovery-code", json={"passphrase": PASSPHRASE})
    assert made.status_code == 201
    new_code = made.json["recovery_code"]
    client.delete("/api/v1/sessions")
    body = {"login": amy.login, "new_passphrase": "fresh meadow copper violin"}
    assert client.post("/api/v1/recovery", json={**body, "recovery_code": amy.recovery_code}
                       ).status_code == 401
    assert client.post("/api/v1/recovery", json={**body, "recovery_code": new_code}
                       ).status_code == 201


def test_account_history_shows_sign_ins_and_failures(client: FlaskClient) -> None:
    amy = make_person(client)
    sign_in(client, amy.login, "wrong wrong wrong wrong")
    sign_in(client, amy.login)
    history = client.get("/api/v1/account/history").json
    kinds = [e["kind"] for e in history["events"]]
    assert kinds[:2] == ["signed_in", "sign_in_failed"]
    assert "token_created" in kinds
    assert kinds[-1] == "account_created"
    assert history["head"]["seq"] == len(kinds)


def test_a_rotated_pepper_reaches_the_account_at_its_next_sign_in(
    client: FlaskClient, runtime: Any
) -> None:
    amy = make_person(client)
    old = runtime.config.keyring.current["pepper"]
    new = runtime.config.keyring.rotate("pepper")
    try:
        assert sign_in(client, amy.login).status_code == 201
        with runtime.db.transaction() as s:
            assert s.get(Account, amy.account_id).pepper_id == new
        client.delete("/api/v1/sessions")
        assert sign_in(client, amy.login).status_code == 201
    finally:
        runtime.config.keyring.current["pepper"] = old


def test_login_and_email_share_one_failure_count(client: FlaskClient, runtime: Any) -> None:
    made = client.post("/api/v1/accounts", json={"login": "amy", "email": "amy@example.org",
                                                 "passphrase": PASSPHRASE, "preferred_name": "Amy"})
    key = runtime.config.keyring.account_login_digest(made.json["account_id"])
    for login in ("amy", "amy@example.org", "AMY@example.org"):
        assert sign_in(client, login, "wrong wrong wrong wrong").status_code == 401
    with runtime.db.transaction() as s:
        assert throttle.failures_for(s, key=key) == 3
    assert sign_in(client, "amy@example.org").status_code == 201
    with runtime.db.transaction() as s:
        assert throttle.failures_for(s, key=key) == 0


def test_people_signing_in_from_one_address_never_slow_each_other(
    client: FlaskClient, runtime: Any
) -> None:
    """A care home or surgery shares one address: right passphrases must not add up there,
    while wrong ones still do."""
    people = [make_person(client) for _ in range(3)]
    at(runtime, datetime.now(UTC))
    for _ in range(throttle.FREE_FAILURES_PER_ADDRESS + 5):
        for person in people:
            assert sign_in(client, person.login).status_code == 201
            client.delete("/api/v1/sessions")
    for n in range(throttle.FREE_FAILURES_PER_ADDRESS):
        # Each wrong passphrase is counted at the address, whoever it was for.
        assert sign_in(client, f"nobody{n}", "wrong wrong wrong wrong").status_code == 401
    assert sign_in(client, people[0].login).status_code == 429


def test_logins_and_addresses_stay_found_and_unique_across_a_contact_key_rotation(
        client: FlaskClient, runtime: Any) -> None:
    """Decision 0006: an account keeps the contact key it was sealed under; lookups try all."""
    made = client.post("/api/v1/accounts", json={"login": "amy", "email": "amy@example.org",
                                                 "passphrase": PASSPHRASE, "preferred_name": "Amy"})
    assert made.status_code == 201
    ring = runtime.config.keyring
    old = ring.current["contact"]
    new = ring.rotate("contact")
    try:
        for typed in ("amy", "AMY@example.org"):
            assert sign_in(client, typed).status_code == 201
            client.delete("/api/v1/sessions")
        for taken in ({"login": "amy"}, {"login": "amy2", "email": "Amy@Example.org"}):
            again = client.post("/api/v1/accounts", json={
                **taken, "passphrase": PASSPHRASE, "preferred_name": "Another Amy"})
            assert again.status_code == 409, taken
        bob = client.post("/api/v1/accounts", json={"login": "bob", "passphrase": PASSPHRASE,
                                                    "preferred_name": "Bob"})
        assert bob.status_code == 201
        assert sign_in(client, "bob").status_code == 201
        with runtime.db.transaction() as s:
            assert s.get(Account, made.json["account_id"]).contact_key_id == old
            assert s.get(Account, bob.json["account_id"]).contact_key_id == new
    finally:
        ring.current["contact"] = old
        del ring.keys["contact"][new]


def test_sign_in_counters_go_after_a_quiet_day_and_a_reset_leaves_no_row(
        client: FlaskClient, runtime: Any) -> None:
    """A counter row keyed by an address must not stay for ever (with the keyring, an IPv4
    address can be found from its digest): one with no try for a day goes at the next sign-in."""
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)
    amy = make_person(client)
    ring = runtime.config.keyring
    assert sign_in(client, "nobody.here", "wrong wrong wrong wrong").status_code == 401
    assert sign_in(client, amy.login, "wrong wrong wrong wrong").status_code == 401

    def counters() -> set[bytes]:
        with runtime.db.transaction() as s:
            return set(s.scalars(select(SignInThrottle.key_digest)))

    assert {ring.login_digest("nobody.here"),
            ring.account_login_digest(amy.account_id)} <= counters()
    later = now + throttle.FORGET_AFTER + timedelta(minutes=1)
    runtime.set_clock(lambda: later)
    assert sign_in(client, amy.login).status_code == 201
    left = counters()
    assert ring.login_digest("nobody.here") not in left  # Quiet for a day: forgotten.
    assert ring.account_login_digest(amy.account_id) not in left  # Reset by the right one.
