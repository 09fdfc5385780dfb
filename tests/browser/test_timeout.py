"""The time-out warning in real Chromium (WCAG 2.2.1 Timing Adjustable).

Two minutes before an idle session ends (15 minutes, vault/config.py) a warning says so and
offers to stay signed in; when the time is up, the person is signed out and their record
leaves the screen.

The page's clock is Playwright's, installed and stopped before the first page, so a test moves
it on by exactly the minutes it needs and nothing waits in real time. The server's clock is
real: "stay signed in" goes to the real server, and what it did shows in what the browser can
do next. How the server counts idle time, with an injected clock, is tested in
tests/functional/web/test_pages.py.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, expect

pytestmark = pytest.mark.browser

Check = Callable[[Page], None]

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
WARNING_AT = timedelta(minutes=13)
END_AT = timedelta(minutes=15)
A_SECOND = timedelta(seconds=1)
QUESTION = "Do you want to stay signed in?"
WORDS = "To keep your record safe, you will be signed out in 2 minutes if you do nothing."
SESSION_COOKIE = "__Host-tellonce-session"
OWN_WORDS = "I use Makaton and some words."


class PageClock:
    """Playwright's clock for the pages of one test, stopped: page time moves when a test says.

    With the clock stopped, a page's timers start at a known moment: ``restarted`` marks it
    (a page loaded, or "stay" answered), and ``at`` moves to a time counted from there.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.now = START
        self.timers_from = START
        page.clock.install(time=START - A_SECOND)
        page.clock.pause_at(START)

    def restarted(self) -> None:
        self.timers_from = self.now

    def at(self, since_restart: timedelta) -> None:
        """Jump to this long after the timers started, firing the timers due on the way."""
        self.now = self.timers_from + since_restart
        self.page.clock.pause_at(self.now)

    def check(self, check_axe: Check) -> None:
        """check_axe, with page time running: axe hands back its results through setTimeout.

        It runs for seconds; every timer of these pages is minutes away.
        """
        self.page.clock.resume()
        check_axe(self.page)
        ran_to = self.page.evaluate("() => Date.now()") / 1000
        # A second on from where it ran to, so as never to ask the clock to go back.
        self.now = datetime.fromtimestamp(math.ceil(ran_to) + 1, UTC)
        self.page.clock.pause_at(self.now)


@pytest.fixture
def clock(page: Page) -> PageClock:
    return PageClock(page)


def _heading(page: Page, words: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(words)
    # A page left before its scripts load aborts them, which the watcher rightly reports.
    page.wait_for_load_state("load")


def _sign_up(page: Page) -> str:
    """Sign up as a new person, with the passphrase the page suggests; return My record's address.

    The pages of signing up are checked in test_journeys.py.
    """
    page.goto("/sign-up")
    hint = page.locator("#passphrase-hint").inner_text()
    passphrase = hint.split("for example: ", 1)[1].strip()
    page.get_by_label("The name you like to be called").fill("Amy")
    page.get_by_label("Login", exact=True).fill(f"amy-{secrets.token_hex(4)}")
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_label("I understand that if I lose my passphrase").check()
    page.get_by_role("button", name="Start my record").click()
    _heading(page, "Your recovery code")
    page.get_by_label("I have kept my recovery code somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    _heading(page, "My record")
    return page.url


def _write_communication(page: Page) -> str:
    """Something personal on the screen: return the address of the page that shows it."""
    page.get_by_role("link", name="How to communicate with me", exact=True).click()
    _heading(page, "How to communicate with me")
    page.get_by_role("link", name="Add to how to communicate with me").click()
    page.get_by_label("In your own words", exact=True).fill(OWN_WORDS)
    page.get_by_role("button", name="Save").click()
    _heading(page, "How to communicate with me")
    expect(page.get_by_role("definition").filter(has_text=OWN_WORDS)).to_be_visible()
    return page.url


def _warning(page: Page) -> Locator:
    return page.get_by_role("alertdialog", name=QUESTION)


def _stay_button(page: Page) -> Locator:
    return _warning(page).get_by_role("button", name="Stay signed in")


def _is_stay(request: Request) -> bool:
    return urlsplit(request.url).path == "/session/stay"


@contextmanager
def _staying(page: Page) -> Iterator[None]:
    """The key pressed inside sends "stay": a POST with the page's CSRF token, which works."""
    token = page.locator("#timeout-sign-out input[name=csrf_token]").input_value()
    with page.expect_request(_is_stay) as sent:
        yield
    request = sent.value
    assert request.method == "POST"
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(request.post_data or "") == {"csrf_token": [token]}
    answer = request.response()
    assert answer is not None
    assert answer.status == 204
    expect(_warning(page)).to_be_hidden()


def _still_on(page: Page, url: str) -> None:
    """Still on the page, signed in, with no warning."""
    expect(_warning(page)).to_be_hidden()
    assert page.url == url
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def _locked_out(page: Page, record_url: str) -> None:
    """Back, and the record page's own address, show the sign-in page, none of the record."""
    page.go_back()
    for again in (False, True):
        if again:
            page.goto(record_url)
        _heading(page, "Sign in")
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
        expect(page.locator("#timeout-warning")).to_have_count(0)
        expect(page.get_by_text(OWN_WORDS)).to_have_count(0)


def test_the_warning_comes_two_minutes_before_the_end_and_is_announced(
        page: Page, clock: PageClock, check_axe: Check) -> None:
    _sign_up(page)

    clock.at(WARNING_AT - A_SECOND)
    expect(page.locator("#timeout-warning")).to_be_hidden()
    clock.at(WARNING_AT)

    # An alert dialog, named by its question and described by how long is left, so a screen
    # reader says both as focus moves in; modal, so all behind it is out of reach meanwhile.
    warning = _warning(page)
    expect(warning).to_be_visible()
    expect(warning).to_have_accessible_description(WORDS)
    assert warning.evaluate("(dialog) => dialog.matches(':modal')")
    expect(warning.get_by_role("heading", level=2)).to_have_text(QUESTION)
    expect(_stay_button(page)).to_be_focused()
    clock.check(check_axe)
    # check_axe went to 320 px and back: the warning stayed open, with focus on its button.
    expect(_stay_button(page)).to_be_focused()


def test_stay_signed_in_with_the_keyboard_starts_the_time_again(
        page: Page, clock: PageClock, check_axe: Check) -> None:
    record_url = _sign_up(page)
    # Where the person was when the warning came is where they are back to after it.
    print_link = page.get_by_role("link", name="Print my record")
    print_link.focus()

    clock.at(WARNING_AT)
    expect(_stay_button(page)).to_be_focused()
    with _staying(page):
        page.keyboard.press("Enter")
    clock.restarted()
    expect(print_link).to_be_focused()

    # The page's own 15 minutes have passed, but staying started the time again: no sign-out,
    # and the warning again only after another full 13 minutes.
    clock.at(END_AT - WARNING_AT + A_SECOND)
    _still_on(page, record_url)
    clock.at(WARNING_AT - A_SECOND)
    _still_on(page, record_url)
    clock.at(WARNING_AT)
    expect(_stay_button(page)).to_be_focused()
    with _staying(page):
        page.keyboard.press("Space")
    clock.restarted()
    expect(print_link).to_be_focused()
    clock.check(check_axe)

    # The server kept the session on too: the next page is still the record.
    page.reload()
    _heading(page, "My record")
    _still_on(page, record_url)


def test_escape_counts_as_staying(page: Page, clock: PageClock) -> None:
    """Escape closes the warning: it must not leave the person to be signed out unwarned."""
    record_url = _sign_up(page)

    clock.at(WARNING_AT)
    expect(_stay_button(page)).to_be_focused()
    with _staying(page):
        page.keyboard.press("Escape")
    clock.restarted()

    clock.at(END_AT - WARNING_AT + A_SECOND)
    _still_on(page, record_url)
    clock.at(WARNING_AT)
    expect(_stay_button(page)).to_be_focused()


def test_someone_who_walked_away_is_signed_out(
        page: Page, clock: PageClock, check_axe: Check) -> None:
    _sign_up(page)
    words_url = _write_communication(page)
    clock.restarted()

    clock.at(WARNING_AT)
    expect(_warning(page)).to_be_visible()
    clock.at(END_AT - A_SECOND)
    expect(_warning(page)).to_be_visible()
    assert page.url == words_url

    # The time is up: the session ends on the server whatever its own count says, and the
    # page says so in plain words, with nothing of the record left on the screen.
    with page.expect_request(lambda r: urlsplit(r.url).path == "/sign-out") as sent:
        clock.at(END_AT)
    assert sent.value.method == "POST"
    _heading(page, "You have signed out")
    expect(page.get_by_text("because nothing happened for 15 minutes")).to_be_visible()
    expect(page.get_by_text("Your record is locked again.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
    expect(page.get_by_text(OWN_WORDS)).to_have_count(0)
    clock.check(check_axe)

    _locked_out(page, words_url)


def test_staying_once_the_session_has_ended_does_not_pretend(
        page: Page, clock: PageClock, check_axe: Check) -> None:
    """When the server has already ended the session, "stay" must not look as if it worked."""
    record_url = _sign_up(page)
    # As when the server's limit was reached first, or the person signed out in another tab.
    page.context.clear_cookies(name=SESSION_COOKIE)

    clock.at(WARNING_AT)
    expect(_stay_button(page)).to_be_focused()
    with page.expect_request(_is_stay) as sent:
        page.keyboard.press("Enter")
    answer = sent.value.response()
    assert answer is not None
    assert answer.status == 303  # To the sign-in page.
    _heading(page, "You have signed out")
    clock.check(check_axe)
    _locked_out(page, record_url)


def test_a_page_loaded_in_another_tab_starts_the_time_again(page: Page, clock: PageClock) -> None:
    """Tabs share one session: an idle tab must not warn, or sign out, someone busy in another."""
    record_url = _sign_up(page)

    clock.at(timedelta(minutes=10))
    other = page.context.new_page()
    other.goto(record_url)
    _heading(other, "My record")
    clock.restarted()

    # 13 and 15 minutes after the first tab's page loaded, but not after the other tab's.
    clock.at(WARNING_AT - timedelta(minutes=10))
    expect(_warning(page)).to_be_hidden()
    clock.at(END_AT - timedelta(minutes=10) + A_SECOND)
    _still_on(page, record_url)

    # Both warn once the other tab's page has been idle long enough; staying in one is enough.
    clock.at(WARNING_AT)
    expect(_warning(page)).to_be_visible()
    expect(_stay_button(other)).to_be_focused()
    with _staying(other):
        other.keyboard.press("Enter")
    clock.restarted()
    expect(_warning(page)).to_be_hidden()
    clock.at(END_AT - WARNING_AT + A_SECOND)
    _still_on(page, record_url)
    _still_on(other, record_url)
    other.close()


def test_no_warning_for_someone_not_signed_in(page: Page) -> None:
    page.goto("/sign-in")
    _heading(page, "Sign in")
    expect(page.locator("#timeout-warning")).to_have_count(0)
