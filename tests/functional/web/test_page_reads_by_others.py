"""The pages keep the rule of the API: a member's reads of someone's record are audited.

A second member is added as tests/functional/api/test_reads_by_others.py adds one, the way
delegation will. The rules guarded here:

- every page under /people/<person_id> that shows a member the record's words appends a
  ``record_read`` naming them to the person's chain;
- sharing is the person's alone: every form of the sharing pages is refused to a member,
  and none shows them the record (the check page of a new link shows all a link would).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Person, make_person
from tests.functional.api.test_reads_by_others import (
    WORDS,
    _record_reads,
    _something_of_everything,
    sam_signed_in_as_member,
)
from tests.functional.web.test_pages import csrf
from tests.functional.web.test_sharing_pages import STEP_ONE

PARAMETER = re.compile(r"<(?:[^:<>]+(?:\([^)]*\))?:)?(\w+)>")


def _member_of(client: FlaskClient, other_client: FlaskClient,
               runtime: Any) -> tuple[Person, dict[str, str], str]:
    amy = make_person(client)
    ids = _something_of_everything(client, amy)
    sam = sam_signed_in_as_member(runtime, other_client, amy)
    return amy, {**ids, "name": "medicines", "version": "1", "layout": "card", "kind": "png"}, \
        sam.account_id


def _path(rule: Any, ids: dict[str, str]) -> str:
    missing = [name for name in rule.arguments if name not in ids]
    # A new page with a parameter of its own must be given a value here, not skipped.
    assert not missing, f"no value for {missing} in {rule.rule}"
    return PARAMETER.sub(lambda m: ids[m.group(1)], rule.rule)


def _record_rules(app: Flask, method: str, blueprint: str | None = None) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules()
            if method in (rule.methods or ()) and "person_id" in rule.arguments
            and not rule.endpoint.startswith(("api.", "api_unknown."))
            and (blueprint is None or rule.endpoint.startswith(blueprint + "."))]


def test_every_page_that_shows_a_member_the_record_audits_it(
    app: Flask, client: FlaskClient, other_client: FlaskClient, runtime: Any
) -> None:
    """Rule: no page shows a member the record's words without a record_read naming them."""
    amy, ids, sam = _member_of(client, other_client, runtime)
    unaudited, shown = [], 0
    for rule in _record_rules(app, "GET"):
        before = _record_reads(runtime, amy)
        page = other_client.get(_path(rule, ids), query_string={"sections": "medicines"})
        added = _record_reads(runtime, amy)[len(before):]
        if WORDS.encode() in page.data:
            shown += 1
            if sam not in added:
                unaudited.append(rule.endpoint)
    assert shown >= 6, "the member saw the record on no page, so this proves nothing"
    assert unaudited == []


def test_a_member_can_use_no_form_of_the_sharing_pages(
    app: Flask, client: FlaskClient, other_client: FlaskClient, runtime: Any
) -> None:
    """Rule: sharing is the person's alone; the check page would show a member the record."""
    amy, ids, _sam = _member_of(client, other_client, runtime)
    token = csrf(other_client, "/account")
    # The wizard's own form: with no passphrase, making a link shows the check page again.
    form = {"csrf_token": token, **STEP_ONE}
    answers = {}
    for rule in _record_rules(app, "POST", "sharing"):
        answer = other_client.post(_path(rule, ids), data=form)
        answers[rule.endpoint] = answer.status_code
        assert WORDS.encode() not in answer.data, rule.endpoint
    assert len(answers) >= 5, answers
    assert all(status in (403, 404) for status in answers.values()), answers
    assert client.get(f"/api/v1/people/{amy.person_id}/links/{ids['link_id']}",
                      headers=amy.auth).json["state"] == "live"
