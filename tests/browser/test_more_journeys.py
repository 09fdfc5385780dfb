"""More whole journeys in real Chromium: photos and documents, an entry's history, printing,
the recovery code, deleting the record and undoing it, and a record filled from the demo.

Every page a journey visits, empty and filled, goes through ``check_axe``
(tests/browser/conftest.py): axe-core at 320 px and 1280 px wide, no sideways scrolling at
320 px, no console error, no CSP violation, no failed request and nothing from another origin.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

Check = Callable[[Page], None]


@dataclass(frozen=True)
class Person:
    login: str
    passphrase: str
    recovery_code: str


def _heading(page: Page, words: str | re.Pattern[str]) -> None:
    """The page with this heading, loaded with its scripts.

    Going on before the page's scripts have loaded would stop them loading (net::ERR_ABORTED),
    which check_axe rightly counts as a failed request, and the test would go on from a page no
    person sees: one without its scripts.
    """
    expect(page.get_by_role("heading", level=1)).to_have_text(words)
    page.wait_for_load_state("load")


def _sign_up(page: Page, check: Check | None = None) -> Person:
    """Sign up through the form with the passphrase the page suggests; keep the recovery code.

    The home and sign-up pages are checked by test_journeys.py; ``check`` checks the recovery
    code page here too, for journeys that come back to it.
    """
    login = f"bo-{secrets.token_hex(4)}"
    page.goto("/sign-up")
    hint = page.locator("#passphrase-hint").inner_text()
    passphrase = hint.split("for example: ", 1)[1].strip()
    page.get_by_label("The name you like to be called").fill("Bo")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_label("I understand that if I lose my passphrase").check()
    page.get_by_role("button", name="Start my record").click()
    _heading(page, "Your recovery code")
    code = page.locator("#recovery-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{35}", code), code
    if check:
        check(page)
    page.get_by_label("I have kept my recovery code somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    _heading(page, "My record")
    return Person(login, passphrase, code)


def _sign_in(page: Page, login: str, passphrase: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Login or email address").fill(login)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Sign in").click()
    _heading(page, "My record")


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    _heading(page, "You have signed out")


def _to_record(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My record").click()
    _heading(page, "My record")


def _open_section(page: Page, title: str) -> None:
    _to_record(page)
    page.get_by_role("link", name=title, exact=True).click()
    _heading(page, title)


def _shown(page: Page, label: str) -> Any:
    """The values a page shows beside a box's label, one for each entry or version."""
    row = page.locator(".nhsuk-summary-list__row").filter(
        has=page.get_by_role("term").get_by_text(label, exact=True))
    return row.get_by_role("definition")


def _write_communication(page: Page, words: str) -> None:
    _open_section(page, "How to communicate with me")
    page.get_by_role("link", name="Add to how to communicate with me").click()
    page.get_by_label("In your own words", exact=True).fill(words)
    page.get_by_role("button", name="Save").click()
    _heading(page, "How to communicate with me")
    expect(_shown(page, "In your own words")).to_have_text(words)


def _downloaded(page: Page, click: Callable[[], None]) -> tuple[str, bytes]:
    """Click something that downloads a file; its suggested name and its bytes."""
    with page.expect_download() as info:
        click()
    download = info.value
    assert download.failure() is None
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_add_see_download_and_delete_a_photo(page: Page, check_axe: Check,
                                             tmp_path: Path) -> None:
    _sign_up(page)
    _open_section(page, "How to communicate with me")
    page.get_by_role("link", name="Photos and documents").click()
    _heading(page, "Photos and documents")
    expect(page.get_by_text("There are no photos or documents here yet.")).to_be_visible()
    check_axe(page)  # Empty.

    # Upload with no file chosen: the page says what to do, and its link leads to the box.
    page.get_by_role("button", name="Upload").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Choose a photo or a PDF to upload.")
    check_axe(page)
    summary.get_by_role("link", name="Choose a photo or a PDF to upload.").click()
    # The NHS.UK script puts a button in the file box's place, labelled by the box's label.
    expect(page.get_by_role("button", name=re.compile("^Choose a photo or a PDF"))).to_be_focused()

    photo = tmp_path / "my signs.png"
    Image.new("RGB", (48, 32), (0, 94, 184)).save(photo)
    # The file box itself is hidden behind that button: the file goes to the box.
    page.locator("input[type=file][name=file]").set_input_files(photo)
    expect(page.locator(".nhsuk-file-upload__status")).to_have_text("my signs.png")
    check_axe(page)  # The file chosen, its name shown on the button.
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Your file was added.")
    card = page.locator(".nhsuk-card").filter(has=page.get_by_role("link", name="my signs.png"))
    expect(card).to_contain_text("Photo (PNG), 1 KB.")
    check_axe(page)  # Filled.

    # From the list, the download is the photo as it was kept: a PNG of the same size.
    name, content = _downloaded(page, card.get_by_role("link", name="Download my signs.png").click)
    assert name == "my signs.png"
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    check_axe(page)  # The download left no failure and no error behind.

    card.get_by_role("link", name="my signs.png", exact=True).click()
    _heading(page, "my signs.png")
    image = page.get_by_role("img", name="Photo: my signs.png")
    # decode() fails for an image that did not load; then its pixels are there to count.
    assert image.evaluate("(img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight])") \
        == [48, 32]
    check_axe(page)
    name, content = _downloaded(page, page.get_by_role("link", name="Download", exact=True).click)
    assert name == "my signs.png"
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    check_axe(page)

    page.get_by_role("link", name="Delete this file").click()
    _heading(page, "Delete my signs.png?")
    check_axe(page)
    page.get_by_role("button", name="Yes, delete it").click()
    _heading(page, "Photos and documents")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("The file was deleted.")
    expect(page.get_by_text("There are no photos or documents here yet.")).to_be_visible()
    check_axe(page)


def test_change_an_entry_and_put_its_earlier_version_back(page: Page, check_axe: Check) -> None:
    _sign_up(page)
    before = "I use Makaton and some words."
    after = "I use pictures now."
    _write_communication(page, before)
    expect(page.get_by_role("link", name=re.compile("^See earlier versions"))).to_have_count(0)

    page.get_by_role("link", name=re.compile("^Change")).click()
    _heading(page, "Change how to communicate with me")
    expect(page.get_by_label("In your own words", exact=True)).to_have_value(before)
    check_axe(page)  # The form with the entry in it.
    page.get_by_label("In your own words", exact=True).fill(after)
    page.get_by_role("button", name="Save").click()
    _heading(page, "How to communicate with me")
    expect(_shown(page, "In your own words")).to_have_text(after)
    check_axe(page)

    page.get_by_role("link", name=re.compile("^See earlier versions")).click()
    _heading(page, re.compile("^Earlier versions"))
    versions = page.get_by_role("heading", level=2, name=re.compile("^Version"))
    expect(versions).to_have_text(["Version 2 (now)", "Version 1"])
    expect(_shown(page, "In your own words")).to_have_text([after, before])
    check_axe(page)

    page.get_by_role("button", name="Restore this version (version 1)").click()
    _heading(page, "How to communicate with me")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "The earlier version was put back.")
    expect(_shown(page, "In your own words")).to_have_text(before)
    check_axe(page)

    page.get_by_role("link", name=re.compile("^See earlier versions")).click()
    expect(versions).to_have_text(["Version 3 (now)", "Version 2", "Version 1"])
    expect(_shown(page, "In your own words")).to_have_text([before, after, before])
    check_axe(page)


# What a printed page must not show: the header with its name and menu, the buttons, the links
# back. Each is looked for on the page first, so a selector that matches nothing cannot pass.
NOT_PRINTED = (".tellonce-header", ".tellonce-header__nav", "#leave-quickly",
               ".nhsuk-back-link", "#print-page", ".nhsuk-button")


def test_print_chosen_parts_and_download_the_pdf(page: Page, check_axe: Check) -> None:
    _sign_up(page)
    _write_communication(page, "Give me time to answer.")
    _to_record(page)
    page.get_by_role("link", name="Print my record").click()
    _heading(page, "Print my record")
    check_axe(page)

    # Choose two parts: untick the rest, as a person would.
    choices = page.get_by_role("group", name="Which parts do you want to print?")
    for box in choices.get_by_role("checkbox").all():
        box.uncheck()
    page.get_by_role("button", name="Show my record to print").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Choose at least one part of your record to print.")
    check_axe(page)
    choices.get_by_label("How to communicate with me").check()
    choices.get_by_label("My medicines").check()
    page.get_by_role("button", name="Show my record to print").click()

    _heading(page, "Bo")
    parts = page.locator(".tellonce-printed").get_by_role("heading", level=2)
    expect(parts).to_have_text(["How to communicate with me", "My medicines"])
    printed = page.locator(".tellonce-printed")
    expect(printed).to_contain_text("Give me time to answer.")
    expect(printed).to_contain_text("Written by me on ")
    expect(printed).to_contain_text("Nothing has been written in this part yet.")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    check_axe(page)

    name, pdf = _downloaded(page, page.get_by_role("link", name="Download as PDF").click)
    assert name == "my-record.pdf"
    assert pdf.startswith(b"%PDF-")
    check_axe(page)

    # What the printer gets: the record without the header, the menu and the buttons.
    page.emulate_media(media="print")
    try:
        for selector in NOT_PRINTED:
            shown = page.locator(selector)
            assert shown.count() > 0, selector
            displays = shown.evaluate_all("(all) => all.map((e) => getComputedStyle(e).display)")
            assert set(displays) == {"none"}, (selector, displays)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(printed).to_contain_text("Give me time to answer.")
    finally:
        page.emulate_media(media="screen")

    # The PDF straight from the choosing page, with the parts chosen kept.
    page.get_by_role("link", name="Change what to print").click()
    _heading(page, "Print my record")
    expect(choices.get_by_role("checkbox", checked=True)).to_have_count(2)
    name, pdf = _downloaded(page, page.get_by_role("button", name="Download as PDF").click)
    assert name == "my-record.pdf"
    assert pdf.startswith(b"%PDF-")
    check_axe(page)


def test_lost_passphrase_get_back_in_with_the_recovery_code(page: Page, check_axe: Check) -> None:
    person = _sign_up(page, check_axe)
    _sign_out(page)
    page.goto("/sign-in")
    page.get_by_role("link", name="I forgot my passphrase").click()
    _heading(page, "I forgot my passphrase")
    check_axe(page)

    # A code that is not this person's: nothing changes, and the page says what to check.
    new_passphrase = "lantern otter meadow biscuit"
    page.get_by_label("Login or email address").fill(person.login)
    page.get_by_label("Recovery code").fill("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF")
    page.get_by_label("New passphrase").fill(new_passphrase)
    page.get_by_role("button", name="Get back in").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "That login and recovery code do not match.")
    expect(page.get_by_label("Login or email address")).to_have_value(person.login)
    check_axe(page)

    # The code as someone might type it from paper: small letters work too.
    page.get_by_label("Recovery code").fill(person.recovery_code.lower())
    page.get_by_label("New passphrase").fill(new_passphrase)
    page.get_by_role("button", name="Get back in").click()
    _heading(page, "Your new recovery code")
    new_code = page.locator("#recovery-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{35}", new_code), new_code
    assert new_code != person.recovery_code
    check_axe(page)
    page.get_by_label("I have kept my recovery code somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    _heading(page, "My record")

    _sign_out(page)
    _sign_in(page, person.login, new_passphrase)


def test_delete_the_record_and_undo_it(page: Page, check_axe: Check) -> None:
    person = _sign_up(page)
    words = "Talk to me, not to the person with me."
    _write_communication(page, words)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    _heading(page, "Your account")
    check_axe(page)
    page.get_by_role("link", name="Download, bring in or delete your record").click()
    _heading(page, "Download, bring in or delete your record")
    check_axe(page)
    # On the way, the page for bringing in a record file: its file box is the NHS.UK one too.
    page.get_by_role("link", name="Bring in a record file").click()
    _heading(page, "Bring in a record file")
    check_axe(page)
    page.get_by_role("link", name="Back", exact=True).click()
    _heading(page, "Download, bring in or delete your record")
    page.get_by_role("link", name="Delete your record").click()
    _heading(page, "Delete your record")
    check_axe(page)

    # Asked again: without the passphrase and the tick, nothing is deleted.
    page.get_by_role("button", name="Delete my record").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Type your passphrase.")
    expect(summary).to_contain_text("Tick the box to say you understand")
    check_axe(page)

    page.get_by_label("Your passphrase").fill(person.passphrase)
    page.get_by_label("I understand that my record will be destroyed").check()
    page.get_by_role("button", name="Delete my record").click()
    _heading(page, "Your record is deleted")
    check_axe(page)
    # Wherever the person goes next, the record is the page that says it is deleted.
    page.goto("/dashboard")
    _heading(page, "Your record is deleted")
    expect(page.get_by_role("link", name="How to communicate with me")).to_have_count(0)

    page.get_by_role("button", name="Undo: keep my record").click()
    _heading(page, "My record")
    expect(page.get_by_role("listitem").filter(has_text="How to communicate with me")) \
        .to_contain_text("1 entry")
    check_axe(page)
    page.get_by_role("link", name="How to communicate with me", exact=True).click()
    expect(_shown(page, "In your own words")).to_have_text(words)


def test_pages_filled_from_the_demo(page: Page, check_axe: Check,
                                    demo_accounts: list[dict[str, str]]) -> None:
    demo = demo_accounts[0]
    assert demo["login"] == "rosie"  # web/demo_data.py: Rosie's record has every part filled.
    _sign_in(page, demo["login"], demo["passphrase"])
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("About your medicines")
    check_axe(page)

    _open_section(page, "My medicines")
    medicines = page.get_by_role("heading", level=2)
    expect(medicines).to_have_count(3)
    check_axe(page)

    # The largest form: every medicines box, "when required" protocol and a review's rows.
    page.get_by_role("link", name="Change Risperidone").click()
    expect(page.get_by_label("Name of the medicine", exact=True)).to_have_value("Risperidone")
    expect(page.get_by_label("Who took part").first).to_have_value("Me, Mum, Helen, Dr Osei")
    check_axe(page)
    # Saved as it is, it is a new version, so the entry has a history to look at.
    page.get_by_role("button", name="Save").click()
    _heading(page, "My medicines")
    page.get_by_role("link", name="See earlier versions of Risperidone").click()
    _heading(page, "Earlier versions: Risperidone")
    expect(page.get_by_role("heading", level=2, name=re.compile("^Version"))) \
        .to_have_text(["Version 2 (now)", "Version 1"])
    check_axe(page)

    _to_record(page)
    page.get_by_role("link", name="Print my record").click()
    for box in page.get_by_role("checkbox").all():
        box.check()
    check_axe(page)  # Every part ticked.
    page.get_by_role("button", name="Show my record to print").click()
    _heading(page, "Rosie")
    expect(page.locator(".tellonce-printed").get_by_role("heading", level=2)).to_have_count(18)
    check_axe(page)


def test_set_up_a_one_time_code_and_sign_in_with_it(page: Page, check_axe: Check) -> None:
    bo = _sign_up(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    _heading(page, "Your account")
    page.get_by_role("link", name="One-time codes").click()
    _heading(page, "One-time codes")
    check_axe(page)
    page.get_by_label("Your passphrase").fill(bo.passphrase)
    page.get_by_role("button", name="Set up one-time codes").click()
    _heading(page, "Add Tell Once to your app")
    check_axe(page)
    assert page.get_by_role("img").evaluate("img => img.naturalWidth") > 0
    totp = pyotp.TOTP(page.locator(".tellonce-key").inner_text().replace(" ", ""))
    # The code of the half minute before: accepted (one step either side), and it leaves
    # the current step free for signing in below, since each step is accepted once only.
    page.get_by_label("Code from your app").fill(totp.at(time.time() - 30))
    page.get_by_role("button", name="Switch one-time codes on").click()
    _heading(page, "One-time codes")
    expect(page.get_by_text("One-time codes are on.", exact=False).first).to_be_visible()
    _sign_out(page)

    page.goto("/sign-in")
    page.get_by_label("Login or email address").fill(bo.login)
    page.get_by_label("Passphrase").fill(bo.passphrase)
    page.get_by_role("button", name="Sign in").click()
    _heading(page, "Type your code")
    check_axe(page)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    _heading(page, "Type your code")
    expect(page.get_by_role("alert")).to_contain_text("did not work")
    check_axe(page)
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    _heading(page, "My record")


def test_add_a_passkey_and_sign_in_with_it(page: Page, check_axe: Check) -> None:
    """Chromium's virtual authenticator plays the phone: a real WebAuthn ceremony each time."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    device = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})["authenticatorId"]
    bo = _sign_up(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    _heading(page, "Your account")
    page.get_by_role("link", name="Passkeys").click()
    _heading(page, "Passkeys")
    check_axe(page)
    page.get_by_role("link", name="Add a passkey").click()
    _heading(page, "Add a passkey")
    check_axe(page)
    page.get_by_label("A name for this passkey").fill("Bo's phone")
    page.get_by_label("Your passphrase").fill(bo.passphrase)
    page.get_by_role("button", name="Continue").click()
    _heading(page, "Make your passkey")
    check_axe(page)
    page.get_by_role("button", name="Make my passkey").click()
    _heading(page, "Passkeys")
    expect(page.get_by_text("Your passkey is added.", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Bo's phone")).to_be_visible()
    check_axe(page)
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": device})["credentials"]) == 1
    _sign_out(page)

    page.goto("/sign-in")
    page.get_by_label("Login or email address").fill(bo.login)
    page.get_by_label("Passphrase").fill(bo.passphrase)
    page.get_by_role("button", name="Sign in").click()
    _heading(page, "Use your passkey")
    check_axe(page)
    # The person does not unlock the phone: the page says so by the button, and nothing is sent.
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": device, "isUserVerified": False})
    page.get_by_role("button", name="Use my passkey").click()
    problem = page.get_by_text("Your passkey was not used.")
    expect(problem).to_be_visible()
    expect(problem).to_be_focused()
    check_axe(page)
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": device, "isUserVerified": True})
    page.get_by_role("button", name="Use my passkey").click()
    _heading(page, "My record")
