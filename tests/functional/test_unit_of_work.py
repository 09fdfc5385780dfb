"""A refused request writes nothing, except what must stay although it was refused.

The request's unit of work rolls back every answer of 400 or more (web/unit_of_work.py); the
writes that must stay go through ``vault.db.keep_even_if_refused`` (decision 0003). For each
kind of refusal this checks both halves: every commit made while the request ran was the
helper's, and the tables that changed are exactly those the helper is for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.factories import PASSPHRASE, Person, add_entry, make_person
from tests.functional.api.test_links import make_link, open_link
from vault.db import Base, Database, is_keeping
from vault.models import SignInSession

# When a credential was last used: the one write a refused request makes besides the
# helper's own, and made through it too (checked on its own below).
VOLATILE_COLUMNS = {("api_tokens", "last_used_at"), ("sessions", "last_seen_at")}
COUNTED = {"sign_in_throttles", "audit_events", "audit_heads"}


def snapshot(database: Database) -> dict[str, list[str]]:
    out = {}
    with database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            out[table.name] = sorted(repr(tuple(row)) for row in session.execute(select(*columns)))
    return out


@pytest.fixture
def commits() -> Iterator[list[bool]]:
    """Each commit made by any session, and whether ``keep_even_if_refused`` made it."""
    seen: list[bool] = []

    def record(session: Session) -> None:
        seen.append(is_keeping(session))

    event.listen(Session, "after_commit", record)
    yield seen
    event.remove(Session, "after_commit", record)


@dataclass
class Refusal:
    """A request that is refused, and the tables it must change all the same."""

    send: Callable[[], Any]
    kept: set[str]


def _signed_in(client: FlaskClient, person: Person) -> None:
    signed = client.post("/api/v1/sessions", json={"login": person.login,
                                                   "passphrase": PASSPHRASE})
    assert signed.status_code == 201


def wrong_passcode(client: FlaskClient) -> Refusal:
    amy = make_person(client)
    link = make_link(client, amy, template="gp", label="For my GP", passcode="blue-kettle-42")
    return Refusal(lambda: open_link(client, link["url"], passcode="not the passcode"),
                   {"share_links"})


def wrong_passphrase(client: FlaskClient) -> Refusal:
    amy = make_person(client)
    return Refusal(lambda: client.post("/api/v1/sessions", json={
        "login": amy.login, "passphrase": "not the passphrase at all"}), COUNTED)


def wrong_passphrase_asked_again(client: FlaskClient) -> Refusal:
    amy = make_person(client)
    _signed_in(client, amy)
    return Refusal(lambda: client.put("/api/v1/account/passphrase", json={
        "passphrase": "not the passphrase at all", "new_passphrase": "fresh meadow copper violin"}),
        COUNTED)


def wrong_one_time_code(client: FlaskClient) -> Refusal:
    amy = make_person(client)
    _signed_in(client, amy)
    secret = client.post("/api/v1/account/totp", json={"passphrase": PASSPHRASE}).json["secret"]
    totp = pyotp.TOTP(secret)
    assert client.post("/api/v1/account/totp/confirm",
                       json={"code": totp.now()}).status_code == 204
    client.delete("/api/v1/sessions")
    assert client.post("/api/v1/sessions", json={"login": amy.login,
                                                 "passphrase": PASSPHRASE}).status_code == 202
    wrong = "000000" if totp.now() != "000000" else "111111"
    return Refusal(lambda: client.post("/api/v1/sessions/second-factor", json={"code": wrong}),
                   {"pending_sign_ins", "audit_events", "audit_heads"})


def entry_not_valid(client: FlaskClient) -> Refusal:
    amy = make_person(client)
    return Refusal(lambda: client.post(
        f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth,
        json={"section": "medicines", "data": {"name": "x", "next_review": "not a date"}}), set())


def someone_elses_record(client: FlaskClient) -> Refusal:
    amy, bob = make_person(client), make_person(client, name="Bob")
    return Refusal(lambda: client.post(f"/api/v1/people/{bob.person_id}/entries",
                                       headers=amy.auth,
                                       json={"section": "journal", "data": {"text": "Hi"}}),
                   set())


def read_only_token_writing(client: FlaskClient) -> Refusal:
    amy = make_person(client, scopes=("read",))
    return Refusal(lambda: client.post(f"/api/v1/people/{amy.person_id}/entries",
                                       headers=amy.auth,
                                       json={"section": "journal", "data": {"text": "Hi"}}),
                   set())


def link_without_the_passphrase(client: FlaskClient) -> Refusal:
    amy = make_person(client)
    add_entry(client, amy, "communication", {"text": "I use Makaton."})
    _signed_in(client, amy)
    body = {"template": "gp", "label": "For my GP",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    return Refusal(lambda: client.post(f"/api/v1/people/{amy.person_id}/links", json=body),
                   set())


REFUSALS = [wrong_passcode, wrong_passphrase, wrong_passphrase_asked_again, wrong_one_time_code,
            entry_not_valid, someone_elses_record, read_only_token_writing,
            link_without_the_passphrase]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda f: f.__name__)
def test_a_refused_request_writes_only_what_must_stay(
    client: FlaskClient, database: Database, commits: list[bool],
    refusal: Callable[[FlaskClient], Refusal],
) -> None:
    made = refusal(client)
    before = snapshot(database)
    commits.clear()
    answer = made.send()
    assert answer.status_code >= 400, answer.status_code
    assert all(commits), f"a refused request committed other than to keep: {commits}"
    after = snapshot(database)
    assert {name for name in before if before[name] != after[name]} == made.kept


def test_a_refused_form_still_starts_the_idle_time_again(
    client: FlaskClient, database: Database, runtime: Any, commits: list[bool],
) -> None:
    amy = make_person(client)
    _signed_in(client, amy)
    later = datetime.now(UTC) + timedelta(minutes=5)
    runtime.set_clock(lambda: later)
    commits.clear()
    refused = client.post(f"/api/v1/people/{amy.person_id}/entries", json={
        "section": "medicines", "data": {"name": "x", "next_review": "not a date"}})
    assert refused.status_code == 422
    assert commits
    assert all(commits)
    with database.transaction() as session:
        seen = session.scalars(select(SignInSession.last_seen_at)).all()
    # The time-out warning counts from every page shown, refused or not.
    assert later in seen
