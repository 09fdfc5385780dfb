"""Every write to a record through the API is in the person's history.

The rules guarded here:

- each POST, PUT and DELETE under /people/{person_id} in the OpenAPI document, once it
  succeeds, has appended at least one event to the person's audit chain; a new write in the
  document fails the test until it is given a request below;
- the whole record copied out (the export, a GET) is in the history too.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.factories import Person, make_person
from tests.functional.api.test_reads_by_others import RECORD, _filled, _something_of_everything
from vault.audit import person_chain
from vault.models import AuditEvent

PDF = b"%PDF-1.4\n%%EOF\n"


def _later(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _deleted_first(client: FlaskClient, amy: Person) -> tuple[Person, dict[str, Any]]:
    assert client.delete(f"/api/v1/people/{amy.person_id}", headers=amy.auth).status_code == 202
    return amy, {}


def _into_an_empty_record(client: FlaskClient, amy: Person) -> tuple[Person, dict[str, Any]]:
    """Amy's record, exported, for Bea's new empty one: an import needs an empty record."""
    exported = client.get(f"/api/v1/people/{amy.person_id}/export", headers=amy.auth).json
    return make_person(client, name="Bea"), {"json": exported}


def _send(**request: Any) -> Callable[[FlaskClient, Person], tuple[Person, dict[str, Any]]]:
    return lambda client, amy: (amy, request)


# What each write sends to whose record, after what must come first (the deletion it undoes).
WRITES: dict[tuple[str, str], Callable[[FlaskClient, Person], tuple[Person, dict[str, Any]]]] = {
    ("post", "/entries"): _send(json={"section": "journal", "data": {"text": "x"}}),
    ("put", "/entries/{entry_id}"): _send(json={"data": {"name": "Lamotrigine",
                                                         "dose": "200 mg"}}),
    ("delete", "/entries/{entry_id}"): _send(),
    ("post", "/attachments"): lambda client, amy: (amy, {
        "data": {"section": "health_plan", "file": (io.BytesIO(PDF), "plan.pdf")},
        "content_type": "multipart/form-data"}),
    ("delete", "/attachments/{attachment_id}"): _send(),
    ("post", "/links"): lambda client, amy: (amy, {"json": {
        "template": "emergency", "label": "Card", "expires_at": _later(30)}}),
    ("post", "/links/stop-all"): _send(),
    ("delete", "/links/{link_id}"): _send(),
    ("post", "/links/{link_id}/renew"): lambda client, amy: (amy, {"json": {
        "expires_at": _later(200)}}),
    ("delete", ""): _send(),
    ("post", "/restore"): _deleted_first,
    ("post", "/import"): _into_an_empty_record,
}


def _events(runtime: Any, person_id: str) -> int:
    with runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.chain == person_chain(person_id))) or 0)


def _writes_in_the_document(client: FlaskClient) -> list[tuple[str, str]]:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    return [(method, path.removeprefix(RECORD)) for path, operations in paths.items()
            if path.startswith(RECORD) for method in operations
            if method in ("post", "put", "delete")]


def test_every_write_appends_to_the_persons_history(client: FlaskClient, runtime: Any) -> None:
    """Rule: every successful write under /people/{person_id} appends an audit event."""
    written = _writes_in_the_document(client)
    assert sorted(written) == sorted(WRITES), "give each new write a request in WRITES"
    unaudited = []
    for method, path in written:
        amy = make_person(client)
        ids = _something_of_everything(client, amy)
        whose, request = WRITES[(method, path)](client, amy)
        before = _events(runtime, whose.person_id)
        address = _filled(RECORD + path, {**ids, "person_id": whose.person_id})
        answer = getattr(client, method)(address, headers=whose.auth, **request)
        assert answer.status_code < 300, (method, path, answer.get_json(silent=True))
        if _events(runtime, whose.person_id) == before:
            unaudited.append((method, path))
    assert unaudited == []


def test_the_export_appends_to_the_persons_history(client: FlaskClient, runtime: Any) -> None:
    """Rule: copying out the whole record is recorded, though it changes nothing."""
    amy = make_person(client)
    before = _events(runtime, amy.person_id)
    assert client.get(f"/api/v1/people/{amy.person_id}/export",
                      headers=amy.auth).status_code == 200
    assert _events(runtime, amy.person_id) == before + 1
