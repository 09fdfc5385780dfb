"""The owner's pages through the app: forms, CSRF, Origin checks, escaping, headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.factories import PASSPHRASE
from vault.models import Account

NAME_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = NAME_RE.search(page.get_data(as_text=True))
    assert match is not None, "the form has no CSRF token"
    return match.group(1)


def sign_up(client: FlaskClient, login: str = "amy", name: str = "Amy") -> Any:
    token = csrf(client, "/sign-up")
    return client.post("/sign-up", data={
        "csrf_token": token, "preferred_name": name, "login": login, "email": "",
        "passphrase": PASSPHRASE, "understood": "yes"})


def person_url(client: FlaskClient) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 303
    return response.headers["Location"]


def test_sign_up_shows_the_code_once_and_signs_in(client: FlaskClient) -> None:
    response = sign_up(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = re.search(r'id="recovery-code">([0-9A-Z-]{35})<', page)
    assert code is not None
    assert response.headers["Cache-Control"] == "no-store"
    token = NAME_RE.search(page).group(1)  # type: ignore[union-attr]
    refused = client.post("/recovery-code/kept", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "Tick the box" in refused.get_data(as_text=True)
    kept = client.post("/recovery-code/kept", data={"csrf_token": token, "kept": "yes"})
    assert kept.status_code == 303
    assert client.get(person_url(client)).status_code == 200


def test_forms_without_a_csrf_token_or_from_another_site_change_nothing(
    client: FlaskClient, runtime: Any
) -> None:
    body = {"preferred_name": "Amy", "login": "amy", "email": "", "passphrase": PASSPHRASE,
            "understood": "yes"}
    missing = client.post("/sign-up", data=body)
    assert missing.status_code == 400
    assert "Nothing was saved" in missing.get_data(as_text=True)
    token = csrf(client, "/sign-up")
    foreign = client.post("/sign-up", data={**body, "csrf_token": token},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    cross = client.post("/sign-up", data={**body, "csrf_token": token},
                        headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0


@pytest.mark.parametrize(("field", "value", "words"), [
    ("passphrase", "short", "at least 15"),
    ("login", "a", "3 to 64"),
    ("understood", "", "Tick the box"),
])
def test_sign_up_says_what_to_fix(client: FlaskClient, field: str, value: str,
                                  words: str) -> None:
    token = csrf(client, "/sign-up")
    body = {"csrf_token": token, "preferred_name": "Amy", "login": "amy", "email": "",
            "passphrase": PASSPHRASE, "understood": "yes", field: value}
    if not value:
        body.pop(field)
    response = client.post("/sign-up", data=body)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert words in page
    assert page.count("<title>Error: ") == 1


def test_write_an_entry_and_see_it_escaped(client: FlaskClient) -> None:
    sign_up(client)
    base = person_url(client)
    token = csrf(client, f"{base}/sections/communication/new")
    saved = client.post(f"{base}/sections/communication/new", data={
        "csrf_token": token, "f.text": "I use <b>Makaton</b>.\nAsk me to show you.",
        "tier.text": "E"})
    assert saved.status_code == 303
    page = client.get(f"{base}/sections/communication").get_data(as_text=True)
    assert "I use &lt;b&gt;Makaton&lt;/b&gt;.<br>Ask me to show you." in page
    assert "<b>Makaton</b>" not in page


def test_entry_form_errors_name_the_box(client: FlaskClient) -> None:
    sign_up(client)
    base = person_url(client)
    token = csrf(client, f"{base}/sections/identity/new")
    response = client.post(f"{base}/sections/identity/new", data={
        "csrf_token": token, "f.date_of_birth.day": "31", "f.date_of_birth.month": "2",
        "f.date_of_birth.year": "19"})
    assert response.status_code == 422
    assert 'href="#f-date_of_birth"' in response.get_data(as_text=True)
    empty = client.post(f"{base}/sections/identity/new", data={"csrf_token": token})
    assert empty.status_code == 422
    assert "Write something in your own words" in empty.get_data(as_text=True)


def test_signed_out_pages_go_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sign-in")


def test_sign_in_and_out(client: FlaskClient) -> None:
    sign_up(client)
    token = csrf(client, "/sign-in")
    client.post("/sign-out", data={"csrf_token": token})
    assert client.get("/dashboard").status_code == 303
    wrong = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "login": "amy",
                                          "passphrase": "not it at all, sorry"})
    assert wrong.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    right = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "login": "amy",
                                          "passphrase": PASSPHRASE})
    assert right.status_code == 303


@pytest.mark.parametrize("path", ["/", "/sign-in", "/sign-up", "/nope"])
def test_pages_carry_a_strict_policy_and_are_not_stored(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Tell Once is not an NHS service" in page
    assert "style=" not in page
    assert "<script>" not in page
    assert not re.search(r'(src|href)="https?://(?!www\.bbc\.co\.uk)', page)


def test_sign_in_with_a_one_time_code(client: FlaskClient, runtime: Any) -> None:
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)
    sign_up(client)
    secret = client.post("/api/v1/account/totp", json={"passphrase": PASSPHRASE}).json["secret"]
    totp = pyotp.TOTP(secret)
    assert client.post("/api/v1/account/totp/confirm",
                       json={"code": totp.at(now)}).status_code == 204
    client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")})
    later = now + timedelta(minutes=1)
    runtime.set_clock(lambda: later)
    asked = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"),
                                          "login": "amy", "passphrase": PASSPHRASE})
    assert asked.status_code == 200
    assert "Type your code" in asked.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 303  # Not signed in yet.
    token = NAME_RE.search(asked.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    wrong = client.post("/sign-in/code", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401
    assert "did not work" in wrong.get_data(as_text=True)
    right = client.post("/sign-in/code", data={"csrf_token": token, "code": totp.at(later)})
    assert right.status_code == 303
    assert client.get(person_url(client)).status_code == 200


def test_origin_null_is_accepted_only_from_the_same_site(client: FlaskClient) -> None:
    """With Referrer-Policy no-referrer, Chromium sends "Origin: null" on our own forms; it
    is accepted only when Fetch-Metadata says the form came from this site."""
    token = csrf(client, "/sign-in")
    body = {"csrf_token": token, "login": "nobody", "passphrase": "not right, not at all"}
    same = client.post("/sign-in", data=body, headers={"Origin": "null",
                                                       "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 401  # Reached the sign-in check: the form was accepted.
    for headers in ({"Origin": "null"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
        refused = client.post("/sign-in", data=body, headers=headers)
        assert refused.status_code == 403


def test_empty_sign_up_names_every_box_to_fill(client: FlaskClient) -> None:
    token = csrf(client, "/sign-up")
    response = client.post("/sign-up", data={"csrf_token": token, "preferred_name": "",
                                             "login": "", "email": "", "passphrase": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for box in ("#preferred_name", "#login", "#passphrase", "#understood"):
        assert f'href="{box}"' in page


def test_one_time_codes_set_up_and_switched_off_in_the_account_pages(
    client: FlaskClient, runtime: Any
) -> None:
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)
    sign_up(client)
    token = csrf(client, "/account/codes")
    wrong = client.post("/account/codes/start", data={"csrf_token": token,
                                                      "passphrase": "not it, not at all"})
    assert wrong.status_code == 422
    started = client.post("/account/codes/start", data={"csrf_token": token,
                                                        "passphrase": PASSPHRASE})
    page = started.get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page
    key = re.search(r'class="tellonce-key">([A-Z2-7 ]+)<', page)
    assert key is not None
    totp = pyotp.TOTP(key.group(1).replace(" ", ""))
    bad = client.post("/account/codes/confirm", data={"csrf_token": token, "code": "000000"})
    assert bad.status_code == 422
    on = client.post("/account/codes/confirm", data={"csrf_token": token, "code": totp.at(now)})
    assert on.status_code == 303
    assert "One-time codes are on" in client.get(on.headers["Location"]).get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": token})
    later = now + timedelta(minutes=1)
    runtime.set_clock(lambda: later)
    asked = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"),
                                          "login": "amy", "passphrase": PASSPHRASE})
    assert "Type your code" in asked.get_data(as_text=True)
    client.post("/sign-in/code", data={"csrf_token": token, "code": totp.at(later)})
    off = client.post("/account/codes/remove", data={"csrf_token": csrf(client, "/account/codes"),
                                                     "passphrase": PASSPHRASE})
    assert off.status_code == 303
    assert "One-time codes are off" in client.get(off.headers["Location"]).get_data(as_text=True)


def test_the_record_page_shows_notices_in_plain_words(client: FlaskClient, app: Any) -> None:
    sign_up(client)
    other = app.test_client()
    other.environ_base.update(client.environ_base)
    signed = other.post("/sign-in", data={"csrf_token": csrf(other, "/sign-in"),
                                          "login": "amy", "passphrase": PASSPHRASE})
    assert signed.status_code == 303
    page = client.get(person_url(client)).get_data(as_text=True)
    assert "Notices" in page
    assert "Someone signed in to your account on a new device." in page


def test_the_time_out_warning_can_extend_the_session(client: FlaskClient, runtime: Any) -> None:
    start = datetime.now(UTC)
    runtime.set_clock(lambda: start)
    sign_up(client)
    page = client.get(person_url(client)).get_data(as_text=True)
    assert 'id="timeout-warning"' in page
    assert 'data-idle-seconds="900"' in page
    token = NAME_RE.search(page).group(1)  # type: ignore[union-attr]
    # Thirteen minutes in, the warning shows; "stay" uses the session, so it lasts on.
    runtime.set_clock(lambda: start + timedelta(minutes=13))
    assert client.post("/session/stay", data={"csrf_token": token}).status_code == 204
    runtime.set_clock(lambda: start + timedelta(minutes=27))
    assert client.get(person_url(client)).status_code == 200
    runtime.set_clock(lambda: start + timedelta(minutes=43))
    assert client.post("/session/stay", data={"csrf_token": token}).status_code == 303
