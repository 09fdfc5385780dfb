"""A read is read-only (issue 11): a token used again within the minute writes nothing, so a
service or a person reading a record many times a minute makes no write transaction; its last
use is still kept, to the minute, for "Who can see my record"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from tests.factories import Person, make_person
from tests.functional.api.test_reads_by_others import (
    _filled,
    _record_reads_in_the_document,
    _something_of_everything,
)
from vault.credentials import TOKEN_USE_RESOLUTION
from vault.models import ApiToken

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def writes(runtime: Any) -> Iterator[list[str]]:
    """Every statement that writes, as the database is sent it, while the test runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(runtime.db.engine, "before_cursor_execute", note)


def _last_used(runtime: Any, amy: Person) -> datetime | None:
    with runtime.db.transaction() as session:
        return session.scalars(select(ApiToken.last_used_at)
                               .where(ApiToken.account_id == amy.account_id)).one()


def test_reading_again_within_the_minute_writes_nothing(
        client: FlaskClient, runtime: Any, writes: list[str]) -> None:
    """Every GET of the record in the API document, by the person with their token."""
    moment = datetime.now(UTC)
    runtime.set_clock(lambda: moment)
    amy = make_person(client)
    ids = _something_of_everything(client, amy)
    paths = ["/api/v1/people", *(_filled(p, ids) for p in _record_reads_in_the_document(client))]
    assert client.get(paths[0], headers=amy.auth).status_code == 200
    assert _last_used(runtime, amy) == moment

    runtime.set_clock(lambda: moment + TOKEN_USE_RESOLUTION - timedelta(seconds=1))
    written = {}
    for path in paths:
        writes.clear()
        assert client.get(path, headers=amy.auth).status_code == 200, path
        if writes:
            written[path] = writes[:]
    # Only a copy of the whole record is itself in the history, as the person's own act.
    assert set(written) == {f"/api/v1/people/{amy.person_id}/export"}, written
    assert _last_used(runtime, amy) == moment

    later = moment + TOKEN_USE_RESOLUTION
    runtime.set_clock(lambda: later)
    assert client.get(paths[0], headers=amy.auth).status_code == 200
    assert _last_used(runtime, amy) == later  # Kept, to the minute.
