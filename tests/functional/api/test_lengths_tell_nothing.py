"""Lengths tell nothing (decision 0004): what the database stores sealed about a link is the
same size whatever the link's template, label or recipient.

Enumerated, not sampled by hand: every template the server offers, and recipients' names of 1
to 200 characters in one-, two-, three- and four-byte UTF-8.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select

from consent.templates import TEMPLATES
from tests.factories import make_person
from tests.functional.api.test_links import _payload
from vault import audit
from vault.db import Database
from vault.models import AuditEvent, ShareLink

NAME_LENGTHS = (1, 2, 17, 100, 199, 200)
SCRIPTS = ("a", "é", "私", "😀")


def _sealed_sizes(database: Database, chain: str, kind: str) -> set[int]:
    with database.transaction() as session:
        return {len(sealed) for sealed in session.scalars(
            select(AuditEvent.sealed).where(AuditEvent.chain == chain, AuditEvent.kind == kind))}


def test_every_template_and_label_seals_to_one_size(client: FlaskClient, database: Database) -> None:
    amy = make_person(client)
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for n, name in enumerate(TEMPLATES):
        label = ("My link", "L" * 80)[n % 2]  # The shortest label and the longest.
        made = client.post(f"/api/v1/people/{amy.person_id}/links", headers=amy.auth,
                           json={"template": name, "label": label, "expires_at": expires})
        assert made.status_code == 201, (name, made.json)
    chain = audit.person_chain(amy.person_id)
    assert len(_sealed_sizes(database, chain, "link_created")) == 1
    with database.transaction() as session:
        metas = {len(m) for m in session.scalars(
            select(ShareLink.meta_sealed).where(ShareLink.person_id == amy.person_id))}
        copies = {len(c) for c in session.scalars(
            select(ShareLink.copy_jwe).where(ShareLink.person_id == amy.person_id))}
    assert len(metas) == 1
    # Every template's copy of a short record is one bucket long too (decision 0008).
    assert len(copies) == 1


def test_every_recipients_name_seals_to_one_size(client: FlaskClient, database: Database) -> None:
    amy = make_person(client)
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    made = client.post(f"/api/v1/people/{amy.person_id}/links", headers=amy.auth,
                       json={"template": "emergency", "label": "Card", "expires_at": expires})
    path = urlsplit(_payload(made.json["url"])["url"]).path
    names = [ch * n for ch in SCRIPTS for n in NAME_LENGTHS]
    for i, name in enumerate(names):  # Each from its own address: each is a new opening.
        opened = client.post(path, json={"recipient": name},
                             environ_overrides={"REMOTE_ADDR": f"10.0.{i // 250}.{i % 250 + 1}"})
        assert opened.status_code == 200, opened.json
    chain = audit.person_chain(amy.person_id)
    with database.transaction() as session:
        openings = session.scalars(select(AuditEvent.sealed).where(
            AuditEvent.chain == chain, AuditEvent.kind == "link_opened")).all()
    assert len(openings) == len(names)
    assert {len(sealed) for sealed in openings} == {1137 + 1024}  # Sealed v1 of one bucket.
