"""The account pages through the app: passphrase, sessions, tokens, recovery code, the whole
record (export, import, delete and undo), and getting back in with the recovery code."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import PASSPHRASE
from vault.models import Account, ApiToken, Entry, Passkey, Person, SignInSession
from web.helpers import uk_time

NEW_PASSPHRASE = "harbour pebble sunrise gently"
NAME_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE_RE = re.compile(r'id="recovery-code">([0-9A-Z-]{35})<')
TOKEN_RE = re.compile(r'id="token"[^>]*>(tot_[^<]+)</textarea>')


# -- helpers (as in test_pages.py) -------------------------------------------------------------


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = NAME_RE.search(page.get_data(as_text=True))
    assert match is not None, "the form has no CSRF token"
    return match.group(1)


def sign_up(client: FlaskClient, login: str = "amy", name: str = "Amy") -> str:
    """Sign up through the pages; return the recovery code shown."""
    response = client.post("/sign-up", data={
        "csrf_token": csrf(client, "/sign-up"), "preferred_name": name, "login": login,
        "email": "", "passphrase": PASSPHRASE, "understood": "yes"})
    assert response.status_code == 200
    code = CODE_RE.search(response.get_data(as_text=True))
    assert code is not None
    return code.group(1)


def sign_in(client: FlaskClient, login: str = "amy", passphrase: str = PASSPHRASE) -> int:
    return client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "login": login,
                                         "passphrase": passphrase}).status_code


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def person_url(client: FlaskClient) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 303
    return str(response.headers["Location"])


def write_entry(client: FlaskClient, text: str) -> None:
    path = f"{person_url(client)}/sections/communication/new"
    saved = client.post(path, data={"csrf_token": csrf(client, path), "f.text": text,
                                    "tier.text": "E"})
    assert saved.status_code == 303


def make_token(client: FlaskClient, access: str = "read_write", name: str = "my app") -> str:
    made = client.post("/account/tokens/new", data={
        "csrf_token": csrf(client, "/account/tokens/new"), "name": name, "access": access,
        "days": "30"})
    assert made.status_code == 200
    match = TOKEN_RE.search(made.get_data(as_text=True))
    assert match is not None
    return match.group(1)


def export(client: FlaskClient) -> Any:
    return client.post("/account/record/export", data={
        "csrf_token": csrf(client, "/account/record/export"), "passphrase": PASSPHRASE})


def upload(client: FlaskClient, content: bytes, token: str | None = None) -> Any:
    token = token or csrf(client, "/account/record/import")
    return client.post("/account/record/import", content_type="multipart/form-data", data={
        "csrf_token": token, "record_file": (io.BytesIO(content), "tellonce-record.json")})


def delete_record(client: FlaskClient) -> Any:
    return client.post("/account/record/delete", data={
        "csrf_token": csrf(client, "/account/record/delete"), "passphrase": PASSPHRASE,
        "understood": "yes"})


def snapshot(runtime: Any) -> dict[str, Any]:
    """What any account form could change: compared before and after a refused form."""
    with runtime.db.transaction() as s:
        return {
            "accounts": [(a.passphrase_wrap, a.recovery_wrap, a.locked_at)
                         for a in s.scalars(select(Account).order_by(Account.id))],
            "sessions": sorted(r.id for r in s.scalars(select(SignInSession))),
            "tokens": [(t.id, t.revoked_at) for t in s.scalars(select(ApiToken).order_by(ApiToken.id))],
            "people": [(p.id, p.hidden_at) for p in s.scalars(select(Person).order_by(Person.id))],
            "entries": len(s.scalars(select(Entry)).all()),
            "passkeys": sorted((p.id, p.sign_count) for p in s.scalars(select(Passkey))),
        }


# -- every page ---------------------------------------------------------------------------------

PAGES = ["/account", "/account/passphrase", "/account/sessions", "/account/tokens",
         "/account/tokens/new", "/account/recovery-code", "/account/record",
         "/account/record/export", "/account/record/import", "/account/record/delete",
         "/account/passkeys", "/account/passkeys/new"]


@pytest.mark.parametrize("path", PAGES)
def test_each_account_page_renders_safely(client: FlaskClient, path: str) -> None:
    sign_up(client)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "Tell Once is not an NHS service" in page
    assert "style=" not in page
    assert "<script>" not in page
    assert page.count("<h1") == 1
    if "<form" in page:
        assert page.count('name="csrf_token"') >= page.count("<form")


@pytest.mark.parametrize("path", PAGES)
def test_account_pages_need_a_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sign-in")


def test_the_account_page_links_to_each_thing(client: FlaskClient) -> None:
    sign_up(client)
    page = client.get("/account").get_data(as_text=True)
    for path in ("/account/passphrase", "/account/sessions", "/account/tokens",
                 "/account/recovery-code", "/account/record", "/account/passkeys"):
        assert f'href="{path}"' in page


def test_recover_page_renders_signed_out(client: FlaskClient) -> None:
    response = client.get("/recover")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "I forgot my passphrase" in page
    assert 'id="recovery_code"' in page


# -- every form refuses a missing token, another site, and bad input --------------------------


def _token_id(runtime: Any) -> str:
    with runtime.db.transaction() as s:
        return str(s.scalars(select(ApiToken.id)).one())


FORMS: dict[str, tuple[Callable[[FlaskClient, Any], str], dict[str, Any]]] = {
    "passphrase": (lambda c, rt: "/account/passphrase",
                   {"passphrase": PASSPHRASE, "new_passphrase": NEW_PASSPHRASE}),
    "end sessions": (lambda c, rt: "/account/sessions/end-others", {}),
    "new token": (lambda c, rt: "/account/tokens/new",
                  {"name": "app", "access": "read", "days": "30"}),
    "revoke token": (lambda c, rt: (make_token(c), f"/account/tokens/{_token_id(rt)}/revoke")[1],
                     {}),
    "recovery code": (lambda c, rt: "/account/recovery-code", {"passphrase": PASSPHRASE}),
    "export": (lambda c, rt: "/account/record/export", {"passphrase": PASSPHRASE}),
    "delete": (lambda c, rt: "/account/record/delete",
               {"passphrase": PASSPHRASE, "understood": "yes"}),
    "undo": (lambda c, rt: (delete_record(c), "/account/record/undo")[1], {}),
    "new passkey": (lambda c, rt: "/account/passkeys/new",
                    {"name": "my phone", "passphrase": PASSPHRASE}),
    "finish passkey": (lambda c, rt: "/account/passkeys/finish",
                       {"credential": "{}", "name": "my phone"}),
    "recover": (lambda c, rt: "/recover",
                {"login": "amy", "recovery_code": "", "new_passphrase": NEW_PASSPHRASE}),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("attack", ["no token", "other origin", "cross site"])
def test_forms_refuse_missing_tokens_and_other_sites(
    client: FlaskClient, other_client: FlaskClient, runtime: Any, form: str, attack: str
) -> None:
    code = sign_up(client)
    sign_in(other_client)  # A second session, which "sign out everywhere else" would end.
    how, body = FORMS[form]
    path = how(client, runtime)
    body = {k: (code if k == "recovery_code" else v) for k, v in body.items()}
    before = snapshot(runtime)
    if attack == "no token":
        response = client.post(path, data=body)
        assert response.status_code == 400
        assert "Nothing was saved" in response.get_data(as_text=True)
    else:
        headers = ({"Origin": "https://evil.example"} if attack == "other origin"
                   else {"Sec-Fetch-Site": "cross-site"})
        response = client.post(path, data={**body, "csrf_token": csrf(client, "/sign-in")},
                               headers=headers)
        assert response.status_code == 403
        assert "another website" in response.get_data(as_text=True)
    assert "Content-Disposition" not in response.headers
    assert snapshot(runtime) == before


def test_the_import_form_refuses_missing_tokens_and_other_sites(
    client: FlaskClient, other_client: FlaskClient, runtime: Any
) -> None:
    sign_up(other_client, login="ben", name="Ben")
    write_entry(other_client, "I like tea.")
    document = export(other_client).get_data()
    sign_up(client)
    before = snapshot(runtime)
    missing = client.post("/account/record/import", content_type="multipart/form-data",
                          data={"record_file": (io.BytesIO(document), "r.json")})
    assert missing.status_code == 400
    foreign = client.post("/account/record/import", content_type="multipart/form-data",
                          headers={"Origin": "https://evil.example"},
                          data={"csrf_token": csrf(client, "/account/record/import"),
                                "record_file": (io.BytesIO(document), "r.json")})
    assert foreign.status_code == 403
    assert snapshot(runtime) == before


BAD_INPUT = [
    ("/account/passphrase", {"passphrase": PASSPHRASE}, "new_passphrase", "Type a new passphrase"),
    ("/account/passphrase", {"passphrase": PASSPHRASE, "new_passphrase": "short"},
     "new_passphrase", "at least 15"),
    ("/account/passphrase", {"passphrase": "not my passphrase at all", "new_passphrase":
                             NEW_PASSPHRASE}, "passphrase", "That is not your passphrase"),
    ("/account/passphrase", {"new_passphrase": NEW_PASSPHRASE}, "passphrase",
     "Type the passphrase you use now"),
    ("/account/tokens/new", {"name": "  ", "access": "read", "days": "30"}, "name",
     "Type a name for the token"),
    ("/account/tokens/new", {"name": "app", "access": "everything", "days": "30"}, "access",
     "Choose what the token can do"),
    ("/account/tokens/new", {"name": "app", "access": "read", "days": "3650"}, "days",
     "Choose how long the token works"),
    ("/account/recovery-code", {"passphrase": "not my passphrase at all"}, "passphrase",
     "That is not your passphrase"),
    ("/account/recovery-code", {"passphrase": ""}, "passphrase", "Type your passphrase"),
    ("/account/record/export", {"passphrase": ""}, "passphrase", "Type your passphrase"),
    ("/account/record/export", {"passphrase": "not my passphrase at all"}, "passphrase",
     "That is not your passphrase"),
    ("/account/record/delete", {"passphrase": PASSPHRASE}, "understood", "Tick the box"),
    ("/account/record/delete", {"passphrase": "not my passphrase at all", "understood": "yes"},
     "passphrase", "That is not your passphrase"),
    ("/account/sessions/end-others", {"everything": "yes"}, "everything", "Remove anything"),
    ("/account/passkeys/new", {"name": " ", "passphrase": PASSPHRASE}, "name",
     "Give this passkey a name"),
    ("/account/passkeys/new", {"name": "my phone", "passphrase": "not my passphrase at all"},
     "passphrase", "That is not your passphrase"),
    ("/account/passkeys/finish", {"credential": '{"id": "x"}', "name": "my phone"}, "add",
     "Your passkey was not saved"),
    ("/account/passkeys/finish", {"name": "my phone"}, "add", "Your passkey was not saved"),
    ("/recover", {"login": "amy", "new_passphrase": NEW_PASSPHRASE}, "recovery_code",
     "Type your recovery code"),
    ("/recover", {"login": "amy", "recovery_code": "CODE", "new_passphrase": "short"},
     "new_passphrase", "at least 15"),
]


@pytest.mark.parametrize(("path", "body", "box", "words"), BAD_INPUT)
def test_bad_input_says_what_to_fix_and_changes_nothing(
    client: FlaskClient, other_client: FlaskClient, runtime: Any, path: str,
    body: dict[str, str], box: str, words: str
) -> None:
    code = sign_up(client)
    sign_in(other_client)
    body = {k: (code if v == "CODE" else v) for k, v in body.items()}
    before = snapshot(runtime)
    response = client.post(path, data={**body, "csrf_token": csrf(client, "/sign-in")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert words in page
    assert f'href="#{box}"' in page
    if box != "everything":
        assert f'id="{box}"' in page  # The summary's link reaches the box.
    assert page.count("<title>Error: ") == 1
    assert "Content-Disposition" not in response.headers
    assert snapshot(runtime) == before
    assert sign_in(other_client) == 303  # The passphrase still works.


def test_a_wrong_recovery_code_changes_nothing(client: FlaskClient, runtime: Any) -> None:
    sign_up(client)
    before = snapshot(runtime)
    response = client.post("/recover", data={
        "csrf_token": csrf(client, "/recover"), "login": "amy",
        "recovery_code": "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", "new_passphrase": NEW_PASSPHRASE})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "do not match" in page
    assert 'href="#recovery_code"' in page
    assert 'value="amy"' in page  # The login is kept; the code and passphrase are not.
    assert NEW_PASSPHRASE not in page
    assert snapshot(runtime) == before


def test_asking_for_the_passphrase_again_is_throttled(client: FlaskClient, runtime: Any) -> None:
    sign_up(client)
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)  # Every try at the same moment: no delay has passed.
    token = csrf(client, "/account/record/export")
    statuses = [client.post("/account/record/export", data={
        "csrf_token": token, "passphrase": "not my passphrase at all"}) for _ in range(6)]
    assert [r.status_code for r in statuses[:5]] == [422] * 5
    assert statuses[5].status_code == 429
    assert int(statuses[5].headers["Retry-After"]) >= 1
    assert "Too many tries" in statuses[5].get_data(as_text=True)
    # Even the right passphrase waits its turn.
    right = client.post("/account/record/export", data={"csrf_token": token,
                                                        "passphrase": PASSPHRASE})
    assert right.status_code == 429
    assert "Content-Disposition" not in right.headers


# -- what each form does ------------------------------------------------------------------------


def test_change_passphrase_signs_out_the_other_devices(
    client: FlaskClient, other_client: FlaskClient
) -> None:
    sign_up(client)
    assert sign_in(other_client) == 303
    changed = client.post("/account/passphrase", data={
        "csrf_token": csrf(client, "/account/passphrase"), "passphrase": PASSPHRASE,
        "new_passphrase": NEW_PASSPHRASE})
    assert changed.status_code == 303
    page = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "Your passphrase is changed. You were signed out on your other devices." in page
    assert signed_in(client)
    assert not signed_in(other_client)
    assert sign_in(other_client, passphrase=PASSPHRASE) == 401
    assert sign_in(other_client, passphrase=NEW_PASSPHRASE) == 303


def test_sessions_are_listed_and_the_others_signed_out(
    client: FlaskClient, other_client: FlaskClient
) -> None:
    sign_up(client)
    sign_in(other_client)
    page = client.get("/account/sessions").get_data(as_text=True)
    assert page.count("This device") == 1
    assert page.count("Another device") == 1
    assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ \w+ \d{4} "
                     r"at \d+:\d\d[ap]m", page)
    ended = client.post("/account/sessions/end-others",
                        data={"csrf_token": csrf(client, "/account/sessions"),
                              "passphrase": PASSPHRASE})
    assert ended.status_code == 303
    page = client.get(ended.headers["Location"]).get_data(as_text=True)
    assert "You are signed out on every other device" in page
    assert "Another device" not in page
    assert signed_in(client)
    assert not signed_in(other_client)


def test_a_token_is_shown_once_works_and_stops_when_revoked(client: FlaskClient) -> None:
    sign_up(client)
    write_entry(client, "I use Makaton.")
    person_id = person_url(client).rsplit("/", 1)[1]
    token = make_token(client, access="read")
    bearer = {"Authorization": f"Bearer {token}"}
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "my app" in listing
    assert "Read only" in listing
    assert "Amy" in listing
    assert token not in listing
    read = client.get(f"/api/v1/people/{person_id}/entries", headers=bearer)
    assert read.status_code == 200
    assert read.json[0]["data"]["text"] == "I use Makaton."  # type: ignore[index]
    write = client.post(f"/api/v1/people/{person_id}/entries", headers=bearer,
                        json={"section": "communication", "data": {"text": "No."}})
    assert write.status_code == 403  # Read only means read only.
    assert "Never" not in client.get("/account/tokens").get_data(as_text=True)

    revoke_path = re.search(r'href="(/account/tokens/[0-9a-f-]+/revoke)"', listing)
    assert revoke_path is not None
    confirm = client.get(revoke_path.group(1))
    assert "Revoke the token “my app”?" in confirm.get_data(as_text=True)
    revoked = client.post(revoke_path.group(1),
                          data={"csrf_token": NAME_RE.search(  # type: ignore[union-attr]
                              confirm.get_data(as_text=True)).group(1)})
    assert revoked.status_code == 303
    page = client.get(revoked.headers["Location"]).get_data(as_text=True)
    assert "The token is revoked" in page
    assert "Revoked on" in page
    assert client.get(f"/api/v1/people/{person_id}/entries", headers=bearer).status_code == 401


def test_someone_elses_token_cannot_be_revoked(
    client: FlaskClient, other_client: FlaskClient, runtime: Any
) -> None:
    sign_up(other_client, login="ben", name="Ben")
    make_token(other_client)
    theirs = _token_id(runtime)
    sign_up(client)
    assert client.get(f"/account/tokens/{theirs}/revoke").status_code == 404
    before = snapshot(runtime)
    refused = client.post(f"/account/tokens/{theirs}/revoke",
                          data={"csrf_token": csrf(client, "/account/tokens")})
    assert refused.status_code == 404
    assert snapshot(runtime) == before


def test_a_new_recovery_code_replaces_the_old_one(
    client: FlaskClient, other_client: FlaskClient
) -> None:
    old = sign_up(client)
    made = client.post("/account/recovery-code", data={
        "csrf_token": csrf(client, "/account/recovery-code"), "passphrase": PASSPHRASE})
    assert made.status_code == 200
    page = made.get_data(as_text=True)
    new = CODE_RE.search(page)
    assert new is not None
    assert new.group(1) != old
    assert "Your old recovery code does not work any more" in page
    assert 'action="/recovery-code/kept"' in page

    def recover(code: str) -> Any:
        return other_client.post("/recover", data={
            "csrf_token": csrf(other_client, "/recover"), "login": "amy", "recovery_code": code,
            "new_passphrase": NEW_PASSPHRASE})

    assert recover(old).status_code == 401
    assert recover(new.group(1)).status_code == 200


def test_export_downloads_the_whole_record(client: FlaskClient) -> None:
    sign_up(client)
    write_entry(client, "I use Makaton.")
    response = export(client)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tellonce-')
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data())
    assert document["format"] == "tellonce-export"
    assert document["person"]["preferred_name"] == "Amy"
    assert [e["versions"][-1]["data"]["text"] for e in document["entries"]] == ["I use Makaton."]


def test_import_into_an_empty_record_and_not_into_a_full_one(
    client: FlaskClient, other_client: FlaskClient, runtime: Any
) -> None:
    sign_up(other_client, login="ben", name="Ben")
    write_entry(other_client, "I like tea with two sugars.")
    document = export(other_client).get_data()
    sign_up(client)
    brought = upload(client, document)
    assert brought.status_code == 303
    assert "Your record file is brought in" in client.get(
        brought.headers["Location"]).get_data(as_text=True)
    section = client.get(f"{person_url(client)}/sections/communication")
    assert "I like tea with two sugars." in section.get_data(as_text=True)

    before = snapshot(runtime)
    again = upload(client, document)
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert "Your record already has things in it" in page
    assert 'href="#record_file"' in page
    assert snapshot(runtime) == before


@pytest.mark.parametrize(("content", "detail"), [
    (b"\x89PNG not json at all", False),
    (b'{"hello": "world"}', True),
    (b'{"format": "tellonce-export", "version": 1}', True),
])
def test_import_says_plainly_when_a_file_is_not_a_record(
    client: FlaskClient, runtime: Any, content: bytes, detail: bool
) -> None:
    sign_up(client)
    before = snapshot(runtime)
    response = upload(client, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This file is not a Tell Once record" in page
    assert 'href="#record_file"' in page
    assert ("for someone helping you" in page) is detail
    assert snapshot(runtime) == before


def test_import_asks_for_a_file(client: FlaskClient) -> None:
    sign_up(client)
    response = client.post("/account/record/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf(client, "/account/record/import")})
    assert response.status_code == 422
    assert "Choose the record file" in response.get_data(as_text=True)


def test_delete_shows_the_undo_page_and_undo_brings_the_record_back(
    client: FlaskClient, runtime: Any
) -> None:
    sign_up(client)
    write_entry(client, "I use Makaton.")
    record = person_url(client)
    explained = client.get("/account/record/delete").get_data(as_text=True)
    assert "hidden straight away" in explained
    assert "After 14 days it is destroyed" in explained

    deleted = delete_record(client)
    assert deleted.status_code == 303
    assert deleted.headers["Location"].endswith("/dashboard")
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200  # Still signed in: the undo page, not sign-in.
    page = dashboard.get_data(as_text=True)
    assert "Your record is deleted" in page
    with runtime.db.transaction() as s:
        destroy_after = s.scalars(select(Person.destroy_after)).one()
    assert destroy_after is not None
    assert uk_time(destroy_after) in page
    assert "Undo: keep my record" in page
    assert client.get(record).status_code == 404
    assert client.get("/account/record/export").headers["Location"].endswith("/dashboard")

    undone = client.post("/account/record/undo", data={"csrf_token": NAME_RE.findall(page)[-1]})
    assert undone.status_code == 303
    assert undone.headers["Location"] == record
    assert "I use Makaton." in client.get(f"{record}/sections/communication").get_data(
        as_text=True)
    assert client.get("/dashboard").headers["Location"] == record


def test_recover_with_the_code_signs_in_and_shows_a_new_code(client: FlaskClient) -> None:
    old = sign_up(client)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")})
    assert not signed_in(client)
    response = client.post("/recover", data={
        "csrf_token": csrf(client, "/recover"), "login": "AMY",
        "recovery_code": old.lower().replace("-", " "), "new_passphrase": NEW_PASSPHRASE})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    new = CODE_RE.search(page)
    assert new is not None
    assert new.group(1) != old
    assert "Your passphrase is changed and you are signed in" in page
    kept = client.post("/recovery-code/kept", data={"csrf_token": NAME_RE.findall(page)[-1],
                                                    "kept": "yes"})
    assert kept.status_code == 303
    assert signed_in(client)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")})
    assert sign_in(client, passphrase=PASSPHRASE) == 401
    assert sign_in(client, passphrase=NEW_PASSPHRASE) == 303


def test_a_record_file_may_be_bigger_than_other_forms_only_when_signed_in(
    client: FlaskClient, other_client: FlaskClient
) -> None:
    def send(who: FlaskClient, token: str) -> Any:
        # Encoded here: the test client would spool a big body to a file it never closes.
        boundary, body = encode_multipart({"csrf_token": token, "record_file": FileStorage(
            io.BytesIO(b" " * (13 * 1024 * 1024)), "tellonce-record.json")})
        return who.post("/account/record/import", data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")

    # Over the app's usual 12 MiB and under the import's 64 MiB: read, checked, and refused
    # for what it is, not for its size.
    sign_up(client)
    read = send(client, csrf(client, "/account/record/import"))
    assert read.status_code == 422
    assert "This file is not a Tell Once record" in read.get_data(as_text=True)
    # Nobody signed in may make the server hold that much.
    assert send(other_client, csrf(other_client, "/sign-in")).status_code == 413


def test_changing_the_passphrase_says_which_tokens_work_and_can_stop_them(
    client: FlaskClient
) -> None:
    sign_up(client)
    token = make_token(client, name="my app")
    page = client.get("/account/passphrase").get_data(as_text=True)
    assert "These still work: my app." in page
    changed = client.post("/account/passphrase", data={
        "csrf_token": csrf(client, "/account/passphrase"), "passphrase": PASSPHRASE,
        "new_passphrase": NEW_PASSPHRASE, "stop_tokens": "yes"})
    assert changed.status_code == 303
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/people", headers=bearer).status_code == 401
    assert "These still work" not in client.get("/account/passphrase").get_data(as_text=True)
