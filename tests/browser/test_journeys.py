"""Whole journeys in real Chromium: sign up, write the record, sign out and back in.

Every page a journey visits goes through ``check_axe`` (tests/browser/conftest.py): axe-core at
320 px and 1280 px wide, no sideways scrolling at 320 px, no console error, no CSP violation
and nothing loaded from another origin.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

Check = Callable[[Page], None]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def _login() -> str:
    # One server serves every test of a worker: each test's person has a login of their own.
    return f"amy-{secrets.token_hex(4)}"


def _make_account(server_url: str, login: str, passphrase: str) -> None:
    """An account made through the JSON API, for journeys that start at signing in."""
    made = requests.post(f"{server_url}/api/v1/accounts", timeout=30, json={
        "login": login, "passphrase": passphrase, "preferred_name": "Amy"})
    assert made.status_code == 201, made.text


def _press_until_focused(page: Page, selector: str, limit: int = 10) -> None:
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _sign_up(page: Page, check: Check, login: str) -> str:
    """Sign up through the form, using the passphrase the page suggests; return it."""
    page.goto("/")
    check(page)
    page.get_by_role("link", name="Start my record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start your record")
    check(page)

    hint = page.locator("#passphrase-hint").inner_text()
    passphrase = hint.split("for example: ", 1)[1].strip()
    page.get_by_label("The name you like to be called").fill("Amy")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_label("I understand that if I lose my passphrase").check()
    check(page)
    page.get_by_role("button", name="Start my record").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery code")
    expect(page.locator("#recovery-code")).to_have_text(re.compile(r"^[0-9A-Z-]{35}$"))
    check(page)
    page.get_by_label("I have kept my recovery code somewhere safe").check()
    check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My record")
    return passphrase


def _open_section(page: Page, title: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My record")
    # Let the record page finish loading its scripts before leaving it, or the browser
    # aborts them and the watcher rightly reports a failed request.
    page.wait_for_load_state("load")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def _shown(page: Page, label: str) -> Any:
    """The value a section page shows beside a box's label."""
    row = page.locator(".nhsuk-summary-list__row").filter(
        has=page.get_by_role("term").get_by_text(label, exact=True))
    return row.get_by_role("definition")


def _write_communication(page: Page, check: Check) -> None:
    _open_section(page, "How to communicate with me")
    check(page)
    page.get_by_role("link", name="Add to how to communicate with me").click()
    check(page)
    page.get_by_label("In your own words", exact=True).fill(
        "I use Makaton and some words.\nGive me time to answer.")
    page.get_by_label("How I show pain", exact=True).fill("I hold my ear and go quiet.")
    check(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How to communicate with me")
    own_words = _shown(page, "In your own words")
    expect(own_words).to_contain_text("Give me time to answer.")
    # The line break typed is the line break shown.
    assert own_words.inner_text().splitlines() == ["I use Makaton and some words.",
                                                   "Give me time to answer."]
    expect(_shown(page, "How I show pain")).to_have_text("I hold my ear and go quiet.")
    check(page)


def _date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def _write_medicine(page: Page, check: Check) -> None:
    _open_section(page, "My medicines")
    check(page)
    page.get_by_role("link", name="Add to my medicines").click()
    check(page)
    page.get_by_label("Name of the medicine", exact=True).fill("Risperidone")
    page.get_by_label("How much I take", exact=True).fill("500 micrograms")
    page.get_by_label("When I take it", exact=True).fill("Morning and night")
    page.get_by_role("group", name="This medicine acts on mood, behaviour or the mind") \
        .get_by_label("Yes").check()
    # A date that cannot be read first: the form comes back saying what to fix.
    _date(page, "When it is next reviewed", "3", "1", "24")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check(page)
    # Everything typed is still there, and the problem's link puts the cursor where to fix it.
    expect(page.get_by_label("Name of the medicine", exact=True)).to_have_value("Risperidone")
    expect(page.get_by_role("group", name="This medicine acts on mood, behaviour or the mind")
           .get_by_label("Yes")).to_be_checked()
    review = page.get_by_role("group", name="When it is next reviewed", exact=True)
    expect(review.get_by_label("Year")).to_have_value("24")
    page.get_by_role("link", name=re.compile("needs a day, a month and a 4-digit year")).click()
    expect(review.get_by_label("Day")).to_be_focused()

    _date(page, "When it is next reviewed", "3", "1", "2024")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My medicines")
    expect(page.get_by_role("heading", level=2, name="Risperidone")).to_be_visible()
    for label, words in (("Name of the medicine", "Risperidone"),
                         ("How much I take", "500 micrograms"),
                         ("When I take it", "Morning and night"),
                         ("This medicine acts on mood, behaviour or the mind", "Yes"),
                         ("When it is next reviewed", "3 January 2024")):
        expect(_shown(page, label)).to_have_text(words)
    check(page)


def _expect_medicines_note(page: Page) -> None:
    note = page.locator(".nhsuk-warning-callout")
    expect(note.get_by_role("heading")).to_contain_text("About your medicines")
    expect(note).to_contain_text("1 medicine review date has passed")
    expect(note).to_contain_text("has no reason written down")
    expect(note).to_contain_text("no plan written down for reducing or stopping it")


def _screenshots(page: Page) -> None:
    """The pictures the README shows, taken only when asked, so CI never changes files."""
    if os.environ.get("TELLONCE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    record = page.url
    _open_section(page, "My medicines")
    medicines = page.url
    for name, url in (("dashboard", record), ("medicines", medicines)):
        page.goto(url)
        for size, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
            page.set_viewport_size(size)
            page.screenshot(path=SCREENSHOTS / f"{name}-{suffix}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto(record)


def test_sign_up_write_sign_out_and_find_it_again(page: Page, check_axe: Check) -> None:
    login = _login()
    passphrase = _sign_up(page, check_axe, login)
    check_axe(page)  # The record, empty.

    _write_communication(page, check_axe)
    _write_medicine(page, check_axe)

    page.get_by_role("link", name="Back to my record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My record")
    _expect_medicines_note(page)
    expect(page.get_by_role("listitem").filter(has_text="How to communicate with me")) \
        .to_contain_text("1 entry")
    check_axe(page)  # The record, filled.
    _screenshots(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    check_axe(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.get_by_label("Login or email address").fill(login)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My record")
    _expect_medicines_note(page)
    _open_section(page, "How to communicate with me")
    expect(_shown(page, "How I show pain")).to_have_text("I hold my ear and go quiet.")
    _open_section(page, "My medicines")
    expect(_shown(page, "How much I take")).to_have_text("500 micrograms")


def test_home_sign_in_and_sign_up_pages_with_their_errors(page: Page, check_axe: Check) -> None:
    page.goto("/")
    check_axe(page)
    page.get_by_role("link", name="I already have a record: sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_axe(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^Error: "))
    check_axe(page)

    page.goto("/sign-up")
    page.get_by_role("button", name="Start my record").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    check_axe(page)
    # Each message in the summary leads to its box.
    summary.get_by_role("link", name=re.compile("^Tick the box")).click()
    expect(page.get_by_label("I understand that if I lose my passphrase")).to_be_focused()


def test_keyboard_alone_signs_in(page: Page, live_server: Any, check_axe: Check,
                                 check_focus: Callable[[Page], int]) -> None:
    login = _login()
    passphrase = "correct horse battery staple"
    _make_account(live_server.url, login, passphrase)
    page.goto("/sign-in")
    check_axe(page)
    assert check_focus(page) >= 5

    page.goto("/sign-in")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    # Shown when it has focus: not the 1 px box it is otherwise.
    shown = skip.bounding_box()
    assert shown is not None
    assert shown["width"] > 100, shown
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_label("Login or email address")).to_be_focused()
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Passphrase")).to_be_focused()
    page.keyboard.type(passphrase)
    _press_until_focused(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My record")
    check_axe(page)
    # Every stop on the record and on a form: the header on blue, cards, boxes, lists of choices.
    assert check_focus(page) >= 20
    page.get_by_role("link", name="How to communicate with me").click()
    page.get_by_role("link", name="Add to how to communicate with me").click()
    assert check_focus(page) >= 20
