"""Rules that moved from the pages into consent hold for the JSON API too, and the API answers
every address under /api/v1 in its own shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from tests.factories import PASSPHRASE, Person, make_person

API = "/api/v1/people"


def _signed_in(client: FlaskClient, person: Person) -> None:
    assert client.post("/api/v1/sessions", json={"login": person.login,
                                                 "passphrase": PASSPHRASE}).status_code == 201


def _link_body(**extra: object) -> dict[str, object]:
    return {"template": "gp", "label": "For my GP",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}


def test_a_session_gives_the_passphrase_again_to_make_a_link(client: FlaskClient) -> None:
    amy = make_person(client)
    _signed_in(client, amy)
    url = f"{API}/{amy.person_id}/links"
    needed = client.post(url, json=_link_body())
    assert needed.status_code == 403
    assert needed.json["error"] == "passphrase_needed"
    wrong = client.post(url, json=_link_body(passphrase="not the passphrase at all"))
    assert wrong.status_code == 401
    assert client.get(url).json == []  # Nothing was made.
    assert client.post(url, json=_link_body(passphrase=PASSPHRASE)).status_code == 201


@pytest.mark.parametrize(("method", "path"), [("GET", "/export"), ("DELETE", "")])
def test_a_session_cannot_copy_out_or_delete_the_record_through_the_api(
        client: FlaskClient, method: str, path: str) -> None:
    amy = make_person(client)
    _signed_in(client, amy)
    refused = client.open(f"{API}/{amy.person_id}{path}", method=method)
    assert refused.status_code == 403
    assert refused.json["error"] == "passphrase_needed"
    client.delete("/api/v1/sessions")
    # A personal API token was made with the passphrase: it stands for itself.
    allowed = client.open(f"{API}/{amy.person_id}{path}", method=method, headers=amy.auth)
    assert allowed.status_code in (200, 202)


def test_a_token_signs_the_person_out_everywhere_only_with_the_manage_permission(
        client: FlaskClient, other_client: FlaskClient) -> None:
    amy = make_person(client, scopes=("read", "write", "share"))
    _signed_in(other_client, amy)
    refused = client.delete("/api/v1/sessions?everywhere=true", headers=amy.auth)
    assert refused.status_code == 403
    assert other_client.get("/api/v1/people").status_code == 200  # Still signed in there.
    manager = make_person(client, login=None, scopes=("read", "write", "manage"))
    _signed_in(other_client, manager)
    assert client.delete("/api/v1/sessions?everywhere=true",
                         headers=manager.auth).status_code == 204
    assert other_client.get("/api/v1/people").status_code == 401


def test_a_session_gives_the_passphrase_again_to_sign_out_everywhere(
        client: FlaskClient, other_client: FlaskClient) -> None:
    amy = make_person(client)
    _signed_in(client, amy)
    _signed_in(other_client, amy)
    assert client.delete("/api/v1/sessions?everywhere=true").status_code == 403
    assert client.delete("/api/v1/sessions?everywhere=true",
                         json={"passphrase": "not the passphrase at all"}).status_code == 401
    assert other_client.get("/api/v1/people").status_code == 200
    assert client.delete("/api/v1/sessions?everywhere=true",
                         json={"passphrase": PASSPHRASE}).status_code == 204
    assert other_client.get("/api/v1/people").status_code == 401


@pytest.mark.parametrize(("scopes", "allowed"), [
    (("read",), set()), (("read", "write"), set()), (("read", "write", "share"), {"link"}),
    (("read", "write", "manage"), {"export", "delete"}),
])
def test_a_token_does_what_its_permissions_name_and_nothing_more(
        client: FlaskClient, scopes: tuple[str, ...], allowed: set[str]) -> None:
    amy = make_person(client, scopes=scopes)
    base = f"{API}/{amy.person_id}"
    answers = {
        "link": client.post(f"{base}/links", json=_link_body(), headers=amy.auth),
        "export": client.get(f"{base}/export", headers=amy.auth),
        "delete": client.delete(base, headers=amy.auth),
    }
    assert {what for what, answer in answers.items() if answer.status_code < 400} == allowed
    assert all(answer.status_code == 403 for what, answer in answers.items()
               if what not in allowed)


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v1/people/x/y/z", "/api/v1/"])
def test_an_address_no_route_takes_is_the_apis_own_404(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.mimetype == "application/json"
    assert answer.json["error"] == "not_found"


def test_a_method_a_route_does_not_take_is_the_apis_own_405(client: FlaskClient) -> None:
    answer = client.patch("/api/v1/people")
    assert answer.status_code == 405
    assert answer.mimetype == "application/json"
    assert answer.json["error"] == "method_not_allowed"
    assert "GET" in answer.headers["Allow"]


def test_a_page_address_no_route_takes_is_a_page(client: FlaskClient) -> None:
    answer = client.get("/nowhere")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
