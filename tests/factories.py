"""Factories that build what tests need through the public API, as a person would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from vault.sections import FIELD_CHECKS, FieldType

PASSPHRASE = "correct orbit lantern quietly"


@dataclass
class Person:
    login: str
    passphrase: str
    account_id: str
    person_id: str
    recovery_code: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_person(
    client: FlaskClient, *, login: str | None = None, name: str = "Amy",
    scopes: tuple[str, ...] = ("read", "write", "share", "manage"),
) -> Person:
    """Sign up, sign in, and make a personal API token for the new record."""
    login = login or f"user{secrets.token_hex(4)}"
    made = client.post("/api/v1/accounts", json={
        "login": login, "passphrase": PASSPHRASE, "preferred_name": name})
    assert made.status_code == 201, made.json
    body = made.json
    assert body is not None
    signed = client.post("/api/v1/sessions", json={"login": login, "passphrase": PASSPHRASE})
    assert signed.status_code == 201, signed.json
    expires = (datetime.now(UTC) + timedelta(days=300)).isoformat()
    # Made with the session cookie, so the passphrase comes again for share and manage.
    token = client.post("/api/v1/tokens", json={
        "name": "tests", "scopes": list(scopes), "person_ids": [body["person_id"]],
        "expires_at": expires, "passphrase": PASSPHRASE})
    assert token.status_code == 201, token.json
    client.delete("/api/v1/sessions")
    return Person(login, PASSPHRASE, body["account_id"], body["person_id"],
                  body["recovery_code"], token.json["token"])  # type: ignore[index]


def add_entry(client: FlaskClient, person: Person, section: str, data: dict[str, Any],
              **extra: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/people/{person.person_id}/entries",
                           json={"section": section, "data": data, **extra}, headers=person.auth)
    assert response.status_code == 201, response.json
    assert response.json is not None
    return response.json


def markup_entry(section: Any, markup: str) -> tuple[dict[str, Any], dict[str, str]]:
    """An entry with ``markup`` in every free text box of ``section``, each shareable (C).

    Other boxes get a valid value, so every list item is complete; boxes with a check of their
    own (an NHS number) cannot hold markup at all and are left out.
    """

    def value(field: Any) -> Any:
        if field.type in (FieldType.TEXT, FieldType.STRING):
            return f"{field.name}: {markup}"
        if field.type is FieldType.STRINGS:
            return [markup]
        if field.type is FieldType.LIST:
            return [{sub.name: value(sub) for sub in field.item_fields}]
        return {FieldType.DATE: "2026-01-01", FieldType.BOOLEAN: True,
                FieldType.INTEGER: 1}.get(field.type, field.choices[0] if field.choices else None)

    data = {f.name: value(f) for f in section.fields if (section.name, f.name) not in FIELD_CHECKS}
    return data, {name: "C" for name in data}
