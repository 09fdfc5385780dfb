"""The share-link viewer page through the app: static, strict, and open to anyone.

What the page does with a link happens in the browser (tests/browser/test_viewer.py); here,
what the server sends: the same page for everyone, under the strict policy, never stored.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.factories import PASSPHRASE, make_person

SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)


def _check_strict(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    assert "Tell Once is not an NHS service" in page
    assert "style=" not in page
    # Every script is a file from this server; none has a body of its own.
    scripts = SCRIPT_RE.findall(page)
    assert scripts, "the viewer needs its script"
    for attributes, body in scripts:
        assert body.strip() == "", attributes
        assert re.search(r'\bsrc="/static/[a-z]+\.js"', attributes), attributes
    # Only "Leave this site quickly", shown to someone signed in, goes to another site.
    assert not re.search(r'(src|href)="https?://(?!www\.bbc\.co\.uk)', page)
    return page


@pytest.mark.parametrize("path", ["/view", "/view?cleared"])
def test_the_viewer_is_a_strict_static_page_for_anyone(client: FlaskClient, path: str) -> None:
    page = _check_strict(client, path)
    assert "Sign out" not in page  # Nobody is signed in, and nothing asked anyone to be.


def test_the_viewer_loads_its_own_script_and_says_it_needs_javascript(client: FlaskClient) -> None:
    page = _check_strict(client, "/view")
    assert '<script type="module" src="/static/viewer.js">' in page
    noscript = re.search(r"<noscript>(.*?)</noscript>", page, re.DOTALL)
    assert noscript is not None
    assert "needs JavaScript to open the record securely" in noscript.group(1)
    # The form is shown by the script only, so without it nothing can be half-used.
    assert re.search(r'<div id="viewer-start" hidden>', page)
    assert 'id="viewer-passcode-group" hidden' in page
    assert 'autocomplete="off"' in page  # The passcode is never remembered by the browser.
    # The page never asks the server for the record: no form posts anywhere.
    assert 'method="post"' not in page.split('id="viewer"', 1)[1]


def test_the_cleared_page_says_so_plainly(client: FlaskClient) -> None:
    page = _check_strict(client, "/view?cleared")
    assert "The record is cleared from this page" in page
    assert "You can close this tab." in page
    assert 'id="viewer-form"' not in page


def test_the_viewer_sets_no_cookie_and_works_for_someone_signed_in_too(
    client: FlaskClient,
) -> None:
    # Signed out: the page has no form to protect and no one to remember.
    assert "Set-Cookie" not in client.get("/view").headers
    amy = make_person(client)
    signed = client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    assert signed.status_code == 201
    page = _check_strict(client, "/view")
    assert "Sign out" in page  # Still the same viewer, under the person's own header.
    assert 'id="viewer-form"' in page


def test_the_viewer_script_is_served_from_this_site(client: FlaskClient) -> None:
    script = client.get("/static/viewer.js")
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    source = script.get_data(as_text=True)
    script.close()
    # Text only, and no browser storage (DESIGN.md): the rules the viewer keeps, by its source.
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                      "localStorage", "sessionStorage", "indexedDB", "document.cookie", "eval("):
        assert forbidden not in source, forbidden
