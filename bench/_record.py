"""A person with a record of ENTRIES entries, made through the API, for the benchmarks."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench._server import call
from vault.sections import SECTIONS

PASSPHRASE = "maple orbit lantern quietly"
ENTRIES = 100


@dataclass
class FilledRecord:
    person_id: str
    token: str
    cookie: str  # "name=value" of the session cookie, sent by hand (it is Secure, on http)
    entries: dict[str, list[str]] = field(default_factory=dict)  # entry ids by section

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def fill_record(base: str, login: str = "bench") -> FilledRecord:
    """An account, a session, an API token, and ENTRIES entries across every section."""
    status, made = call(base, "POST", "/api/v1/accounts", {
        "login": login, "passphrase": PASSPHRASE, "preferred_name": "Bench"})
    assert status == 201, made
    person_id = made["person_id"]  # type: ignore[index]

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    request = urllib.request.Request(
        base + "/api/v1/sessions", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"login": login, "passphrase": PASSPHRASE}).encode())
    response = opener.open(request)
    # The session cookie is __Host- and Secure; on plain http the bench reads it by hand.
    cookie = response.headers["Set-Cookie"].split(";")[0]
    expires = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    status, token = call(base, "POST", "/api/v1/tokens", {
        "name": "bench", "scopes": ["read", "write", "share"], "person_ids": [person_id],
        "expires_at": expires, "passphrase": PASSPHRASE}, headers={"Cookie": cookie})
    assert status == 201, token
    filled = FilledRecord(person_id, token["token"], cookie)  # type: ignore[index]
    names = list(SECTIONS)
    for i in range(ENTRIES):
        section = names[i % len(names)]
        text = f"Entry {i}: " + "I like my tea with milk and no sugar. " * 8
        status, body = call(base, "POST", f"/api/v1/people/{person_id}/entries",
                            {"section": section, "data": {"text": text}}, headers=filled.bearer)
        assert status == 201, body
        filled.entries.setdefault(section, []).append(body["id"])  # type: ignore[index]
    return filled
