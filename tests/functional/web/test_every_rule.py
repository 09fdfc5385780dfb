"""Rules that hold for every route of the URL map, found by enumerating it.

The rules guarded here:

- every POST rule of the pages refuses a signed-in request without its CSRF token (400), and
  one with a token from another site's Origin (403), and either changes nothing stored;
- every GET rule of the pages, signed in, answers with the strict page headers: a
  Content-Security-Policy with no ``unsafe-inline``, nosniff, no referrer, no-store, an
  opener policy and HSTS (web/security.py);
- every GET rule of the API answers with the API's own policy, which allows nothing.

A rule whose path has a parameter with no value below fails the tests, rather than being
skipped, so a new route is covered as soon as it exists.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from api.front_door import API_POLICY, BLUEPRINTS
from tests.factories import PASSPHRASE
from tests.functional.web.test_pages import csrf, person_url, sign_up
from vault.db import Base

API_BLUEPRINTS = frozenset(blueprint.name for blueprint in BLUEPRINTS)
PARAMETER = re.compile(r"<(?:[^:<>]+(?:\([^)]*\))?:)?(\w+)>")
FOREIGN = {"Origin": "https://evil.example"}


def is_api(rule: Rule) -> bool:
    """The API's, by its blueprint, or by its address (the OpenAPI document's own blueprint)."""
    return rule.endpoint.split(".")[0] in API_BLUEPRINTS or rule.rule.startswith("/api/")


def page_rules(app: Flask, method: str) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if method in (rule.methods or ()) and not is_api(rule) and rule.endpoint != "static"]


def addresses(rule: Rule, values: dict[str, list[str]]) -> Iterator[str]:
    """The rule's path with every combination of the values its parameters may take."""
    names = PARAMETER.findall(rule.rule)
    missing = [name for name in names if name not in values]
    # A new route with a parameter of its own must be given a value here, not skipped.
    assert not missing, f"no value for {missing} in {rule.rule}"
    for chosen in itertools.product(*(values[name] for name in names)):
        yield _fill(rule.rule, dict(zip(names, chosen, strict=True)))


def _fill(path: str, given: dict[str, str]) -> str:
    return PARAMETER.sub(lambda m: given[m.group(1)], path)


@pytest.fixture
def amy(client: FlaskClient, runtime: Any) -> dict[str, list[str]]:
    """Signed in, with one of everything; the values each path parameter takes.

    The clock stands still: a refused page still counts as use of the session (decision
    0003), and so writes its last_seen_at again, but with the time it already has.
    """
    now = datetime.now(UTC)
    runtime.set_clock(lambda: now)
    sign_up(client)
    pid = person_url(client).rstrip("/").rsplit("/", 1)[1]
    record = f"/api/v1/people/{pid}"
    later = (now + timedelta(days=30)).isoformat()
    entry = client.post(f"{record}/entries", json={"section": "communication",
                                                   "data": {"text": "I use Makaton."}})
    attachment = client.post(f"{record}/attachments", content_type="multipart/form-data",
                             data={"section": "communication",
                                   "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "plan.pdf")})
    link = client.post(f"{record}/links", json={"template": "gp", "label": "GP",
                                                "expires_at": later, "passphrase": PASSPHRASE})
    token = client.post("/api/v1/tokens", json={"name": "mine", "scopes": ["read"],
                                                "person_ids": [pid], "expires_at": later,
                                                "passphrase": PASSPHRASE})
    made = (entry, attachment, link, token)
    assert [answer.status_code for answer in made] == [201] * 4, [a.json for a in made]
    layouts = sorted(_rule(client, "sharing.printable")._converters["layout"].items)
    return {"person_id": [pid], "entry_id": [entry.json["id"]],
            "attachment_id": [attachment.json["id"]], "link_id": [link.json["id"]],
            "token_id": [token.json["id"]], "passkey_id": [str(uuid.uuid4())],
            "version": ["1"], "name": ["communication"], "layout": layouts,
            "kind": ["png", "svg"], "manifest_id": ["nothing-here"], "token": ["nothing-here"],
            "rest": ["nothing/here"]}


def _rule(client: FlaskClient, endpoint: str) -> Rule:
    return next(iter(client.application.url_map.iter_rules(endpoint)))


def stored(runtime: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    with runtime.db.transaction() as session:
        return {table.name: sorted(map(tuple, session.execute(select(table))), key=repr)
                for table in Base.metadata.sorted_tables}


def test_every_page_form_needs_its_token_and_this_site(
    app: Flask, client: FlaskClient, runtime: Any, amy: dict[str, list[str]]
) -> None:
    """Rule: every page POST without a CSRF token is 400, and with one from another site's
    Origin is 403, and neither changes anything stored."""
    token = csrf(client, "/account")
    before = stored(runtime)
    answers = {}
    for rule in page_rules(app, "POST"):
        for path in addresses(rule, amy):
            answers[path] = (client.post(path, data={"passphrase": PASSPHRASE}).status_code,
                             client.post(path, data={"csrf_token": token,
                                                     "passphrase": PASSPHRASE},
                                         headers=FOREIGN).status_code)
    assert len(answers) >= 25, answers
    assert {path: codes for path, codes in answers.items() if codes != (400, 403)} == {}
    assert stored(runtime) == before


PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin"}


def test_every_page_carries_the_strict_headers(
    app: Flask, client: FlaskClient, amy: dict[str, list[str]]
) -> None:
    """Rule: every page, signed in, whatever its status, carries the strict page headers."""
    wrong = {}
    for rule in page_rules(app, "GET"):
        for path in addresses(rule, amy):
            headers = client.get(path).headers
            policy = headers.get("Content-Security-Policy", "")
            problems = [name for name, value in PAGE_HEADERS.items()
                        if headers.get(name) != value]
            if not policy.startswith("default-src 'none'") or "unsafe-inline" in policy:
                problems.append("Content-Security-Policy")
            if not headers.get("Strict-Transport-Security", "").startswith("max-age="):
                problems.append("Strict-Transport-Security")
            if problems:
                wrong[path] = problems
    assert wrong == {}


def test_every_api_read_carries_the_apis_own_policy(
    app: Flask, client: FlaskClient, amy: dict[str, list[str]]
) -> None:
    """Rule: nothing the API sends may bring script, style or frames with it."""
    policies = {path: client.get(path).headers.get("Content-Security-Policy")
                for rule in app.url_map.iter_rules()
                if is_api(rule) and "GET" in (rule.methods or ())
                for path in addresses(rule, amy)}
    assert len(policies) >= 15, policies
    assert {path: policy for path, policy in policies.items() if policy != API_POLICY} == {}
