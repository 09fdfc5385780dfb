"""Passkeys in the pages: added after the passphrase, used as the second step of signing in.

A software passkey (tests/webauthn_device.py) plays the person's phone, so the server's real
WebAuthn checks run on every answer; the browser journey uses Chromium's own authenticator.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import BASE_URL
from tests.factories import PASSPHRASE
from tests.functional.web.test_pages import NAME_RE, csrf, sign_up
from tests.webauthn_device import SoftPasskey
from vault.models import Passkey, PasskeyChallenge

OPTIONS_RE = re.compile(r'data-passkey-options="([^"]+)"')


def options_in(page: str) -> str:
    match = OPTIONS_RE.search(page)
    assert match is not None, "the page offers no passkey"
    return html.unescape(match.group(1))


def add_passkey(client: FlaskClient, device: SoftPasskey, name: str = "my phone") -> Any:
    token = csrf(client, "/account/passkeys/new")
    asked = client.post("/account/passkeys/new", data={"csrf_token": token, "name": name,
                                                       "passphrase": PASSPHRASE})
    assert asked.status_code == 200, asked.get_data(as_text=True)
    answer = device.create(options_in(asked.get_data(as_text=True)))
    return client.post("/account/passkeys/finish", data={"csrf_token": token, "name": name,
                                                         "credential": answer})


def start_sign_in(client: FlaskClient, login: str = "amy") -> tuple[str, str]:
    """Sign out, then type the passphrase: the page asks for the passkey; its options and token."""
    client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")})
    asked = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"),
                                          "login": login, "passphrase": PASSPHRASE})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "<h1>Use your passkey</h1>" in page
    assert "Type the 6 numbers" not in page  # No one-time codes on this account.
    return options_in(page), NAME_RE.search(page).group(1)  # type: ignore[union-attr]


def passkey_rows(runtime: Any) -> list[Passkey]:
    with runtime.db.transaction() as s:
        rows = list(s.scalars(select(Passkey)))
        s.expunge_all()
        return rows


@pytest.fixture
def device() -> SoftPasskey:
    return SoftPasskey(origin=BASE_URL)


def test_add_a_passkey_and_sign_in_with_it(client: FlaskClient, runtime: Any,
                                           device: SoftPasskey) -> None:
    sign_up(client)
    added = add_passkey(client, device, name="Amy's phone")
    assert added.status_code == 303
    listed = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Your passkey is added" in listed
    assert "Amy&#39;s phone" in listed
    options, token = start_sign_in(client)
    assert client.get("/account").status_code == 303  # Not signed in yet.
    signed = client.post("/sign-in/passkey", data={"csrf_token": token,
                                                   "credential": device.get(options)})
    assert signed.status_code == 303
    assert signed.headers["Location"].endswith("/dashboard")
    assert client.get("/account").status_code == 200
    (row,) = passkey_rows(runtime)
    assert row.sign_count == 1
    assert row.last_used_at is not None
    assert b"Amy's phone" not in row.name_sealed  # The name is sealed to the account.


def test_the_second_step_offers_what_the_person_has(client: FlaskClient, runtime: Any,
                                                    device: SoftPasskey) -> None:
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)
    sign_up(client)
    add_passkey(client, device)
    secret = client.post("/api/v1/account/totp", json={"passphrase": PASSPHRASE}).json["secret"]
    client.post("/api/v1/account/totp/confirm", json={"code": pyotp.TOTP(secret).at(now)})
    runtime.set_clock(lambda: now + timedelta(minutes=1))
    client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")})
    page = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "login": "amy",
                                         "passphrase": PASSPHRASE}).get_data(as_text=True)
    assert "<h1>Finish signing in</h1>" in page
    assert "Or type a code" in page
    assert 'data-passkey="get"' in page
    assert 'name="code"' in page


def test_an_answer_works_once(client: FlaskClient, device: SoftPasskey) -> None:
    sign_up(client)
    add_passkey(client, device)
    options, token = start_sign_in(client)
    answer = device.get(options)
    assert client.post("/sign-in/passkey", data={"csrf_token": token,
                                                 "credential": answer}).status_code == 303
    _, token = start_sign_in(client)
    replayed = client.post("/sign-in/passkey", data={"csrf_token": token, "credential": answer})
    assert replayed.status_code == 401
    assert "That passkey did not work" in replayed.get_data(as_text=True)
    assert client.get("/account").status_code == 303


@pytest.mark.parametrize("fault", ["other device", "other origin", "made-up challenge",
                                   "register challenge", "counter went back", "not json",
                                   "empty"])
def test_bad_answers_are_refused_and_counted(client: FlaskClient, runtime: Any,
                                             device: SoftPasskey, fault: str) -> None:
    sign_up(client)
    add_passkey(client, device)
    options, token = start_sign_in(client)
    if fault == "other device":
        answer = SoftPasskey(origin=BASE_URL, credential_id=device.credential_id).get(options)
    elif fault == "other origin":
        answer = SoftPasskey(origin="https://evil.example", key=device.key,
                             credential_id=device.credential_id).get(options)
    elif fault == "made-up challenge":
        answer = device.get(options, challenge="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    elif fault == "register challenge":
        # A challenge handed out for adding a passkey cannot finish a sign-in.
        client.post("/sign-in/passkey", data={"csrf_token": token, "credential":
                                              device.get(options)})
        asked = client.post("/account/passkeys/new", data={
            "csrf_token": token, "name": "spare", "passphrase": PASSPHRASE})
        register = json.loads(options_in(asked.get_data(as_text=True)))["challenge"]
        options, token = start_sign_in(client)
        answer = device.get(options, challenge=register)
    elif fault == "counter went back":
        device.sign_count = 10
        client.post("/sign-in/passkey", data={"csrf_token": token, "credential":
                                              device.get(options)})
        options, token = start_sign_in(client)
        device.sign_count = 3
        answer = device.get(options)
    else:
        answer = "{not json" if fault == "not json" else ""
    refused = client.post("/sign-in/passkey", data={"csrf_token": token, "credential": answer})
    assert refused.status_code in (401, 422)
    page = refused.get_data(as_text=True)
    assert "That passkey did not work" in page
    assert 'href="#passkey"' in page  # The error summary leads to the button.
    assert client.get("/account").status_code == 303


def test_five_wrong_tries_end_the_sign_in(client: FlaskClient, device: SoftPasskey) -> None:
    sign_up(client)
    add_passkey(client, device)
    _, token = start_sign_in(client)
    for _ in range(5):
        client.post("/sign-in/passkey", data={"csrf_token": token, "credential": "{}"})
    over = client.post("/sign-in/passkey", data={"csrf_token": token,
                                                 "credential": "{}"})
    assert over.status_code == 401
    assert "Sign in again" in over.get_data(as_text=True)


def test_an_old_challenge_no_longer_works(client: FlaskClient, runtime: Any,
                                          device: SoftPasskey) -> None:
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)
    sign_up(client)
    add_passkey(client, device)
    options, token = start_sign_in(client)
    runtime.set_clock(lambda: now + timedelta(minutes=5, seconds=1))
    late = client.post("/sign-in/passkey", data={"csrf_token": token,
                                                 "credential": device.get(options)})
    assert late.status_code == 401
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PasskeyChallenge)) <= 1


def test_a_passkey_is_added_only_with_the_passphrase_and_once(
    client: FlaskClient, runtime: Any, device: SoftPasskey
) -> None:
    sign_up(client)
    token = csrf(client, "/account/passkeys/new")
    wrong = client.post("/account/passkeys/new", data={"csrf_token": token, "name": "phone",
                                                       "passphrase": "not it, not at all"})
    assert wrong.status_code == 422
    assert 'data-passkey=' not in wrong.get_data(as_text=True)
    assert add_passkey(client, device).status_code == 303
    again = add_passkey(client, device)  # The same device again: its answer is refused.
    assert again.status_code == 422
    assert len(passkey_rows(runtime)) == 1


def test_an_answer_to_someone_elses_challenge_is_refused(
    client: FlaskClient, other_client: FlaskClient, runtime: Any, device: SoftPasskey
) -> None:
    sign_up(client)
    sign_up(other_client, login="ben", name="Ben")
    token = csrf(other_client, "/account/passkeys/new")
    asked = other_client.post("/account/passkeys/new", data={
        "csrf_token": token, "name": "Ben's phone", "passphrase": PASSPHRASE})
    answer = device.create(options_in(asked.get_data(as_text=True)))
    stolen = client.post("/account/passkeys/finish", data={
        "csrf_token": csrf(client, "/account/passkeys"), "name": "x", "credential": answer})
    assert stolen.status_code == 422
    assert passkey_rows(runtime) == []


def test_take_off_a_passkey(client: FlaskClient, other_client: FlaskClient, runtime: Any,
                            device: SoftPasskey) -> None:
    sign_up(client)
    add_passkey(client, device)
    (row,) = passkey_rows(runtime)
    path = f"/account/passkeys/{row.id}/remove"
    sign_up(other_client, login="ben", name="Ben")
    assert other_client.get(path).status_code == 404  # Someone else's: as if not there.
    token = csrf(client, path)
    assert other_client.post(path, data={"csrf_token": csrf(other_client, "/account"),
                                         "passphrase": PASSPHRASE}).status_code == 404
    wrong = client.post(path, data={"csrf_token": token, "passphrase": "not it, not at all"})
    assert wrong.status_code == 422
    assert len(passkey_rows(runtime)) == 1
    gone = client.post(path, data={"csrf_token": token, "passphrase": PASSPHRASE})
    assert gone.status_code == 303
    assert passkey_rows(runtime) == []
    history = client.get("/api/v1/account/history").json
    kinds = [event["kind"] for event in history["events"]]
    assert "passkey_added" in kinds
    assert "passkey_removed" in kinds
    client.post("/sign-out", data={"csrf_token": token})
    signed = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"),
                                           "login": "amy", "passphrase": PASSPHRASE})
    assert signed.status_code == 303  # No second step any more.


def test_the_api_says_a_passkey_must_finish_in_the_pages(client: FlaskClient,
                                                         device: SoftPasskey) -> None:
    sign_up(client)
    add_passkey(client, device)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")})
    asked = client.post("/api/v1/sessions", json={"login": "amy", "passphrase": PASSPHRASE})
    assert asked.status_code == 202
    assert asked.json == {"second_factor": "passkey", "second_factors": ["passkey"]}
    assert client.get("/api/v1/people").status_code == 401
