"""The share-link viewer in real Chromium, as a GP or social worker with no account opens it.

The person and their links are made over HTTP against the live server, as any API client
would. The recipient's browser then opens each link in a fresh context and is watched: the
key must leave the address bar at once, never be sent anywhere, and nothing may be kept in
browser storage; the record must show as text only, however it was written.

Every page state goes through ``check_axe`` (tests/browser/conftest.py). The manifest's
expected refusals (401, 404) are taken off the watch's list first, one by one: each is the
page working, and any other problem still fails the check.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import LiveServer, Watch
from tests.factories import markup_entry
from vault.links import WINDOW, WINDOW_REQUESTS, window_of
from vault.sections import SECTIONS, Tier

pytestmark = pytest.mark.browser

Check = Callable[[Page], None]

PASSPHRASE = "quiet harbour lantern seventeen"
PASSCODE = "blue-kettle-7"
MEDICINE = "Sodium valproate"
# Written by the person: it must show as these very characters, and never run.
MARKUP = "<img src=x onerror=alert(1)>"
SESSION_COOKIE = "__Host-tellonce-session"
LINK_GONE = ("This link is not available. It may have ended, or the person may have stopped "
             "sharing it.")
NOT_COMPLETE = "This link is not complete. Ask the person to send it again."
UK_MOMENT = r"[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}:\d\d(am|pm)"
# What the browser holds for this site: storage of every kind, and cookies it can see.
STORAGE = """async () => ({
  local: localStorage.length,
  session: sessionStorage.length,
  cookie: document.cookie,
  databases: (await indexedDB.databases()).length,
  caches: (await caches.keys()).length,
})"""
EMPTY_STORAGE = {"local": 0, "session": 0, "cookie": "", "databases": 0, "caches": 0}


@dataclass
class Owner:
    """A person with a record, acting through the API with a personal token."""

    url: str
    person_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def write(self, section: str, data: dict[str, Any], **extra: Any) -> None:
        made = requests.post(f"{self.url}/api/v1/people/{self.person_id}/entries",
                             json={"section": section, "data": data, **extra}, headers=self.auth,
                             timeout=30)
        assert made.status_code == 201, made.text

    def link(self, template: str, label: str, **extra: Any) -> dict[str, Any]:
        body = {"template": template, "label": label,
                "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}
        made = requests.post(f"{self.url}/api/v1/people/{self.person_id}/links", json=body,
                             headers=self.auth, timeout=30)
        assert made.status_code == 201, made.text
        made_link: dict[str, Any] = made.json()
        return made_link

    def revoke(self, link: dict[str, Any]) -> None:
        gone = requests.delete(f"{self.url}/api/v1/people/{self.person_id}/links/{link['id']}",
                               headers=self.auth, timeout=30)
        assert gone.status_code == 204, gone.text


def _owner(live_server: LiveServer, name: str = "Sam") -> Owner:
    """Sign up and make a personal token over HTTP, as an API client would."""
    url = live_server.url
    login = f"viewer-{secrets.token_hex(4)}"
    made = requests.post(f"{url}/api/v1/accounts", timeout=30,
                         json={"login": login, "passphrase": PASSPHRASE, "preferred_name": name})
    assert made.status_code == 201, made.text
    signed = requests.post(f"{url}/api/v1/sessions", json={"login": login, "passphrase": PASSPHRASE},
                           timeout=30)
    assert signed.status_code == 201, signed.text
    # The session cookie is __Host- and Secure: a cookie jar will not send it back over the
    # live server's plain http://localhost, so it goes back by hand.
    cookie = {"Cookie": f"{SESSION_COOKIE}={signed.cookies[SESSION_COOKIE]}"}
    token = requests.post(f"{url}/api/v1/tokens", headers=cookie, timeout=30, json={
        "name": "viewer tests", "scopes": ["read", "write", "share"], "passphrase": PASSPHRASE,
        "person_ids": [made.json()["person_id"]],
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert token.status_code == 201, token.text
    requests.delete(f"{url}/api/v1/sessions", headers=cookie, timeout=30)
    return Owner(url, made.json()["person_id"], token.json()["token"])


@pytest.fixture(scope="module")
def sam(live_server: LiveServer) -> Owner:
    """Sam's record: a name, a plan, a medicine with a review, and words with markup in them."""
    owner = _owner(live_server)
    owner.write("identity", {"preferred_name": "Sam", "date_of_birth": "1990-04-02"})
    owner.write("communication", {"text": f"I use Makaton.\nNot this: {MARKUP}"})
    owner.write("medicines", {
        "name": MEDICINE, "dose": "500 mg", "when": "Morning and night", "reason": "Epilepsy",
        "psychotropic": False,
        "reviews": [{"date": "2026-03-01", "who_took_part": "Me and Dr Patel",
                     "outcome": "Keep it the same"}]},
        provenance="From the label on the box")
    owner.write("future_plans", {"kind": "respect", "original_location": "In the kitchen drawer"})
    return owner


@dataclass
class Seen:
    """What the recipient's browser sent, and any dialog a page tried to open."""

    requests: list[Request] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def sent(self) -> str:
        """Every address, body and header of every request, as one text to search."""
        return "\n".join(
            f"{r.url}\n{r.post_data or ''}\n{json.dumps(r.all_headers())}" for r in self.requests)


@pytest.fixture
def seen(page: Page) -> Iterator[Seen]:
    seen = Seen()

    def on_request(request: Request) -> None:
        seen.requests.append(request)

    page.on("request", on_request)

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield seen
    assert seen.dialogs == [], "a page opened a dialog: something from the record ran"


def _payload(link_url: str) -> dict[str, Any]:
    fragment = link_url.split("#shlink:/", 1)[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))
    return payload


def _heading(page: Page, words: str | re.Pattern[str]) -> None:
    """The page or state with this heading, with the page's scripts loaded."""
    expect(page.get_by_role("heading", level=1)).to_have_text(words)
    page.wait_for_load_state("load")


def _open(page: Page, link_url: str) -> None:
    page.goto(link_url)
    _heading(page, "Open a shared record")
    # The key left the address bar as the page loaded; the history entry holds no fragment.
    assert "#" not in page.url, page.url
    assert page.evaluate("() => location.hash") == ""
    assert page.url.endswith("/view")


def _identify(page: Page, passcode: str | None = None) -> None:
    page.get_by_label("Your name").fill("Dr A Patel")
    page.get_by_label("Your role or organisation").fill("GP, Leeds Road Surgery")
    if passcode is not None:
        page.get_by_label("Passcode").fill(passcode)
    page.get_by_role("button", name="Open the record").click()


def _summary(page: Page, words: str) -> None:
    """The error summary says this, and has focus, so it is read out."""
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text(words)
    expect(summary).to_be_focused()
    expect(summary.get_by_role("alert")).to_contain_text(words)


def _refused(watch: Watch, manifest_url: str, status: int) -> None:
    """The manifest's answer was ``status``, as expected; nothing else went wrong."""
    problems = watch.take()
    assert f"{status} for {manifest_url}" in problems, problems
    for problem in problems:
        assert problem == f"{status} for {manifest_url}" or re.fullmatch(
            rf"console error: Failed to load resource: the server responded with a status of "
            rf"{status} \(.*\) \({re.escape(manifest_url)}\)", problem), problems


def _storage_is_empty(page: Page) -> None:
    assert page.evaluate(STORAGE) == EMPTY_STORAGE
    assert page.context.cookies() == []


def test_a_gp_opens_a_link_with_its_passcode_and_the_record_shows_as_text_only(
    page: Page, check_axe: Check, watch: Watch, seen: Seen, sam: Owner,
) -> None:
    link = sam.link("gp", "Dr Patel", passcode=PASSCODE)
    payload = _payload(link["url"])
    _open(page, link["url"])
    expect(page.get_by_text("The person called this link “Dr Patel”.")).to_be_visible()
    expect(page.get_by_text("The person will see who opened their record.")).to_be_visible()
    expect(page.get_by_label("Passcode")).to_be_visible()
    _storage_is_empty(page)
    check_axe(page)  # The form.

    # Nothing filled in: each box says what it needs, and the summary's links lead to them.
    page.get_by_role("button", name="Open the record").click()
    _summary(page, "Enter your name")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter your role or organisation")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the passcode")
    expect(page.get_by_label("Passcode")).to_have_accessible_description(re.compile("Enter the passcode"))
    expect(page).to_have_title(re.compile("^Error: "))
    check_axe(page)
    page.locator(".nhsuk-error-summary").get_by_role("link", name="Enter your name").click()
    expect(page.get_by_label("Your name")).to_be_focused()
    assert "#" not in page.url

    # A wrong passcode: the page says how many tries are left, by the box and in the summary.
    _identify(page, "not-the-passcode")
    _summary(page, "That passcode is not right. You have 9 tries left.")
    expect(page.locator(".nhsuk-error-message")).to_have_count(1)
    _refused(watch, payload["url"], 401)
    check_axe(page)

    _identify(page, PASSCODE)
    _heading(page, "Sam")
    record = page.locator("#viewer-record")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    # Not the person's name: a tab's title goes into the browser's history.
    expect(page).to_have_title("Shared record – Tell Once")
    expect(record).to_contain_text("Written by the person and their supporters. "
                                   "This is not a clinical record.")
    expect(record).to_contain_text("The person called this link “Dr Patel”.")
    expect(record).to_contain_text(re.compile(f"This copy was last updated on {UK_MOMENT}\\."))
    # Emergency and future care plans come first, then the rest in the record's own order.
    parts = page.locator("#viewer-sections").get_by_role("heading", level=2)
    expect(parts.first).to_have_text("Emergency and future care plans")
    expect(record.get_by_role("heading", level=3, name="ReSPECT")).to_be_visible()
    medicine = record.locator(".tellonce-print-entry").filter(
        has=page.get_by_role("heading", level=3, name=MEDICINE))
    expect(medicine).to_contain_text("How much I take500 mg")
    expect(medicine).to_contain_text("Why I take itEpilepsy")  # C: a GP link shows it.
    expect(medicine).to_contain_text("This medicine acts on mood, behaviour or the mindNo")
    expect(medicine.locator("dd ul li ul li")).to_have_text(
        ["Date of the review: 1 March 2026", "Who took part: Me and Dr Patel",
         "What was decided, and why: Keep it the same"])
    expect(medicine).to_contain_text(
        re.compile(r"Written by the person, updated \d{1,2} [A-Z][a-z]+ \d{4}\."))
    expect(medicine).to_contain_text("Where this came from: “From the label on the box”")
    expect(record).to_contain_text("My date of birth2 April 1990")
    # The markup is there as its own characters, and nothing of it became an element.
    words = record.locator(".nhsuk-summary-list__value").filter(has_text="I use Makaton.")
    expect(words).to_have_text(f"I use Makaton.Not this: {MARKUP}")
    assert words.locator("br").count() == 1  # The line break, kept as a line break.
    assert page.locator("img").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    check_axe(page)  # The record.

    # Printing: the buttons stay off the paper, the record is on it.
    page.emulate_media(media="print")
    try:
        for button in ("#viewer-print", "#viewer-clear"):
            assert page.locator(button).evaluate("(b) => getComputedStyle(b).display") == "none"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    finally:
        page.emulate_media(media="screen")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 5_000

    # The key never left the browser: not in an address, a body or a header, and nothing kept.
    sent = seen.sent()
    assert payload["key"] not in sent
    assert link["url"].split("#", 1)[1] not in sent
    assert [r.url for r in seen.requests if r.method == "POST"] == [payload["url"]] * 2
    _storage_is_empty(page)

    page.get_by_role("button", name="Close and clear").click()
    _heading(page, "The record is cleared from this page")
    expect(page.get_by_text("You can close this tab.")).to_be_visible()
    content = page.content()
    for words_left in (MEDICINE, "Makaton", "Sam", "Dr Patel", "Epilepsy"):
        assert words_left not in content, words_left
    assert page.url.endswith("/view?cleared")
    check_axe(page)
    _storage_is_empty(page)
    # The record's page was replaced, not left behind in the history: back is the blank tab.
    page.go_back()
    assert page.url == "about:blank"
    assert MEDICINE not in page.content()

    # The person stops the link: the same address, opened again, says so plainly.
    sam.revoke(link)
    _open(page, link["url"])
    _identify(page, PASSCODE)
    _heading(page, "This record cannot be opened")
    _summary(page, LINK_GONE)
    expect(page.get_by_role("button", name="Open the record")).to_be_hidden()
    _refused(watch, payload["url"], 404)
    check_axe(page)
    assert payload["key"] not in seen.sent()


def test_an_emergency_link_opens_with_no_passcode(
    page: Page, check_axe: Check, seen: Seen, sam: Owner,
) -> None:
    link = sam.link("emergency", "If I am found unwell")
    _open(page, link["url"])
    expect(page.get_by_label("Passcode")).to_be_hidden()
    check_axe(page)
    _identify(page)
    _heading(page, "Sam")
    record = page.locator("#viewer-record")
    expect(record).to_contain_text(MEDICINE)
    expect(record).to_contain_text("500 mg")
    expect(record).not_to_contain_text("Epilepsy")  # C: above what an emergency link shows.
    check_axe(page)
    assert [json.loads(r.post_data or "{}") for r in seen.requests if r.method == "POST"] == [
        {"recipient": "Dr A Patel, GP, Leeds Road Surgery"}]
    _storage_is_empty(page)


def test_a_link_to_an_empty_record_says_there_is_nothing_yet(
    page: Page, check_axe: Check, live_server: LiveServer, seen: Seen,
) -> None:
    owner = _owner(live_server, name="Kit")
    link = owner.link("gp", "Practice nurse")
    _open(page, link["url"])
    check_axe(page)
    _identify(page)
    _heading(page, "Shared record")
    expect(page.locator("#viewer-record")).to_contain_text(
        "Nothing has been written yet in the parts of the record this link shares.")
    check_axe(page)


@pytest.mark.parametrize(("fragment", "words"), [
    ("", NOT_COMPLETE),
    ("#shlink:/", NOT_COMPLETE),
    ("#shlink:/eyJ1cmwiOiJodHRwOi8v", NOT_COMPLETE),  # Cut short in an email.
    ("#shlink:/%%%", NOT_COMPLETE),
    ("#other", NOT_COMPLETE),
    ("other-site", "This link is for another website, so it cannot be opened on this page."),
    ("bad-key", NOT_COMPLETE),
])
def test_a_link_that_cannot_be_used_says_why(
    page: Page, check_axe: Check, live_server: LiveServer, seen: Seen, fragment: str, words: str,
) -> None:
    if fragment in ("other-site", "bad-key"):
        payload = {"url": "https://tellonce.example/shl/" + "A" * 43 if fragment == "other-site"
                   else f"{live_server.url}/shl/{'A' * 43}",
                   "key": base64.urlsafe_b64encode(bytes(32 if fragment == "other-site" else 16))
                   .rstrip(b"=").decode(), "flag": "L"}
        fragment = "#shlink:/" + base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(
            b"=").decode()
    page.goto(f"/view{fragment}")
    _heading(page, "This record cannot be opened")
    _summary(page, words)
    expect(page.get_by_role("button", name="Open the record")).to_be_hidden()
    assert page.url.endswith("/view")
    check_axe(page)
    # Nothing was asked of any server for it: only the page and its own files.
    assert all("/static/" in r.url or r.url.endswith("/view" + fragment) or r.url.endswith("/view")
               for r in seen.requests), [r.url for r in seen.requests]


def test_a_copy_too_big_to_embed_is_fetched_from_its_location(
    page: Page, check_axe: Check, seen: Seen, sam: Owner,
) -> None:
    link = sam.link("emergency", "Bag tag")
    manifest_url = _payload(link["url"])["url"]

    # As a viewer with a small limit would ask: the manifest answers with a location instead.
    def ask_for_a_location(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "embeddedLengthMax": 10}))

    page.route(manifest_url, ask_for_a_location)
    _open(page, link["url"])
    _identify(page)
    _heading(page, "Sam")
    expect(page.locator("#viewer-record")).to_contain_text(MEDICINE)
    check_axe(page)
    files = [r for r in seen.requests if "/shl/file/" in r.url]
    assert [r.method for r in files] == ["GET"]
    assert _payload(link["url"])["key"] not in seen.sent()


def _not_near_the_end_of_a_window(margin: timedelta = timedelta(seconds=20)) -> None:
    """Wait for the next polling window if this one ends within ``margin``: the polls and the
    viewer's own request must all fall in one window, or the viewer's is the first of a new
    one and is answered (the server and the test share this machine's clock)."""
    now = datetime.now(UTC)
    left = window_of(now) + WINDOW - now
    if left < margin:
        time.sleep(left.total_seconds() + 1)


def test_a_link_asked_for_too_often_says_how_long_to_wait(
    page: Page, check_axe: Check, watch: Watch, seen: Seen, sam: Owner,
) -> None:
    link = sam.link("emergency", "Polled")
    manifest_url = _payload(link["url"])["url"]
    _not_near_the_end_of_a_window()
    # Another viewer polls the link until the server asks it to wait.
    for _ in range(WINDOW_REQUESTS):
        polled = requests.post(manifest_url, json={"recipient": "A poller"}, timeout=30)
        assert polled.status_code == 200, polled.text
    _open(page, link["url"])
    _identify(page)
    _summary(page, "Please wait ")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        re.compile(r"Please wait \d+ seconds, then try again\."))
    # The form stays, to try again after the wait.
    expect(page.get_by_role("button", name="Open the record")).to_be_visible()
    _refused(watch, manifest_url, 429)
    check_axe(page)


def test_without_javascript_the_page_says_it_needs_it(browser: Any, live_server: LiveServer,
                                                       sam: Owner) -> None:
    link = sam.link("emergency", "No script")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto(link["url"])
        expect(page.get_by_role("heading", level=1)).to_have_text("This page needs JavaScript")
        # Playwright's text matching skips <noscript>, so its paragraph is looked at directly.
        said = page.locator("noscript p").first
        expect(said).to_be_visible()
        assert "needs JavaScript to open the record securely" in said.inner_html()
        expect(page.get_by_role("button", name="Open the record")).to_be_hidden()
    finally:
        context.close()


def test_markup_in_every_field_of_every_section_stays_text(
    page: Page, check_axe: Check, seen: Seen, live_server: LiveServer,
) -> None:
    """Whatever box a person writes markup in, the viewer shows it as text and runs nothing."""

    owner = _owner(live_server, name="Mo")
    shared = [s for s in SECTIONS.values() if s.fixed_tier is not Tier.P]
    for section in shared:
        data, tiers = markup_entry(section, MARKUP)
        if section.fixed_tier is Tier.S:
            tiers = {name: "S" for name in data}
        owner.write(section.name, data, tiers=tiers)
    entries = requests.get(f"{owner.url}/api/v1/people/{owner.person_id}/entries",
                           headers=owner.auth, timeout=30).json()
    link = owner.link("custom", "Everything", sections={s.name: "full" for s in shared},
                      s_items=[e["id"] for e in entries])
    _open(page, link["url"])
    _identify(page)
    _heading(page, f"preferred_name: {MARKUP}")  # The name they go by, markup and all, as text.
    record = page.locator("#viewer-record")
    for section in shared:
        expect(record).to_contain_text(section.title)
    # Each box's markup is on the page as the very characters the person typed.
    assert record.inner_text().count(MARKUP) >= len(shared)
    assert page.locator("#viewer-record img").count() == 0
    check_axe(page)
