"""Sharing, the whole way round, in real Chromium: the person makes a GP link with a passcode,
the GP opens it in another browser with no account, the person sees who looked and stops it.

Every page both of them see goes through ``check_axe``, empty and filled: the wizard, the
check page, the link page, the sharing page and the viewer.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, Watch, watched_page
from tests.browser.test_more_journeys import _heading, _sign_up

pytestmark = pytest.mark.browser

Check = Callable[[Page], None]
MEDICINE = "Sodium valproate"
PASSCODE = "blue-kettle-42"
GONE = "This link is not available"


@pytest.fixture
def gp(browser: Any, live_server: LiveServer, watch: Watch) -> Iterator[Page]:
    """The GP's own browser: another context, no cookies, watched like the person's."""
    with watched_page(browser, live_server, watch) as page:
        yield page


def _refused(watch: Watch, status: int) -> None:
    """The manifest said ``status``, as it should; nothing else went wrong."""
    problems = watch.take()
    expected = [p for p in problems if re.fullmatch(
        rf"({status} for .*/shl/.*|console error: Failed to load resource: the server responded "
        rf"with a status of {status} .*)", p)]
    assert expected, problems
    assert len(expected) == len(problems), problems


def _write_medicine(page: Page) -> str:
    """Through the JSON API with the browser's own session, as the record's pages would."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My record").click()
    _heading(page, "My record")
    person_id = page.url.rstrip("/").rsplit("/", 1)[1]
    made = page.request.post(f"/api/v1/people/{person_id}/entries", data={
        "section": "medicines", "data": {"name": MEDICINE, "dose": "500 mg",
                                         "when": "Morning and night"}})
    assert made.status == 201, made.text()
    return person_id


def _make_link(page: Page, check: Check | None, *, person_id: str, who: str, label: str,
               passphrase: str, passcode: str = "") -> str:
    """From the sharing page, as the person would find it, to the new link's page."""
    page.goto(f"/people/{person_id}/sharing")
    _heading(page, "Who can see my record")
    page.get_by_role("link", name="Share my record").click()
    _heading(page, "Share my record")
    if check:
        check(page)
    page.get_by_label(who).check()
    page.get_by_label("A name for this link").fill(label)
    page.get_by_label("1 month").check()
    page.get_by_label("Passcode (if you want one)").fill(passcode)
    page.get_by_role("button", name="Continue").click()
    _heading(page, "Check what the link shows")
    if check:
        check(page)
    expect(page.get_by_text(MEDICINE)).to_be_visible()
    page.get_by_label("Your passphrase").fill(passphrase)
    page.get_by_role("button", name="Make the link").click()
    _heading(page, label)
    if check:
        check(page)
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    return page.locator("#link-address").input_value()


def test_a_gp_opens_a_link_the_person_sees_it_and_stops_it(
    page: Page, gp: Page, check_axe: Check, watch: Watch, live_server: LiveServer
) -> None:
    person = _sign_up(page)
    person_id = _write_medicine(page)
    page.goto(f"/people/{person_id}/sharing")
    _heading(page, "Who can see my record")
    check_axe(page)  # Empty: no links, nobody has looked.
    link = _make_link(page, check_axe, person_id=person_id, who="A GP or practice nurse",
                      label="For Dr Patel", passphrase=person.passphrase, passcode=PASSCODE)
    assert "#shlink:/" in link
    link_page = page.url

    gp.goto(link)
    _heading(gp, "Open a shared record")
    assert "#" not in gp.url  # The key left the address bar at once.
    check_axe(gp)
    gp.get_by_label("Your name").fill("Dr A Patel")
    gp.get_by_label("Your role or organisation").fill("GP, Leeds Road Surgery")
    gp.get_by_label("Passcode").fill(PASSCODE)
    gp.get_by_role("button", name="Open the record").click()
    expect(gp.get_by_role("heading", name=MEDICINE)).to_be_visible()
    expect(gp.get_by_text("500 mg").first).to_be_visible()
    check_axe(gp)
    pdf = gp.pdf()
    assert pdf.startswith(b"%PDF")

    page.goto(link_page)
    _heading(page, "For Dr Patel")
    expect(page.get_by_text("Someone who said they were “Dr A Patel, GP, Leeds Road Surgery”"
                            )).to_be_visible()
    page.goto(f"/people/{person_id}/sharing")
    _heading(page, "Who can see my record")
    expect(page.get_by_text("Dr A Patel, GP, Leeds Road Surgery", exact=False)).to_be_visible()
    check_axe(page)  # Filled: a live link, and who opened it.
    page.get_by_role("button", name=re.compile("^Stop this link")).click()
    _heading(page, "For Dr Patel")
    expect(page.get_by_text("The link is stopped.")).to_be_visible()
    check_axe(page)

    gp.goto(link)
    _heading(gp, "Open a shared record")
    gp.get_by_label("Your name").fill("Dr A Patel")
    gp.get_by_label("Your role or organisation").fill("GP, Leeds Road Surgery")
    gp.get_by_label("Passcode").fill(PASSCODE)
    gp.get_by_role("button", name="Open the record").click()
    expect(gp.locator(".nhsuk-error-summary")).to_contain_text(GONE)
    _refused(watch, 404)
    check_axe(gp)
    # The key after "#" never reached the server: none of its output holds it. (There is no
    # access log by design, see web/cli.py; this is everything the server wrote.)
    fragment = link.split("#shlink:/", 1)[1]
    key = json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))["key"]
    log = live_server.log.read_text(errors="replace")
    assert "Tell Once is serving" in log
    assert key not in log


def test_stop_all_sharing_ends_every_link_at_once(
    page: Page, gp: Page, check_axe: Check, watch: Watch
) -> None:
    person = _sign_up(page)
    person_id = _write_medicine(page)
    links = [_make_link(page, None, person_id=person_id, who=who, label=label, passphrase=person.passphrase)
             for who, label in (("Anyone helping me in an emergency", "Emergency card"),
                                ("A social worker", "For my social worker"))]
    page.goto(f"/people/{person_id}/sharing")
    _heading(page, "Who can see my record")
    page.get_by_role("button", name="Stop all sharing now").click()
    _heading(page, "Who can see my record")
    expect(page.get_by_text("All sharing is stopped.")).to_be_visible()
    expect(page.get_by_text("No links work now.")).to_be_visible()
    check_axe(page)
    for link in links:
        # From another page: a link typed over /view itself changes only the fragment, and the
        # viewer then loads afresh, which would race the form below.
        gp.goto("about:blank")
        gp.goto(link)
        _heading(gp, "Open a shared record")
        gp.get_by_label("Your name").fill("Pat")
        gp.get_by_label("Your role or organisation").fill("Paramedic")
        gp.get_by_role("button", name="Open the record").click()
        expect(gp.locator(".nhsuk-error-summary")).to_contain_text(GONE)
        _refused(watch, 404)
