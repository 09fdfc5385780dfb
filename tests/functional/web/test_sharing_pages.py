"""The sharing pages: make a link after seeing what it shows, its QR code, stop it, stop all.

Among the rules guarded here: every QR code of a link (on its page, its PNG and SVG files,
its wallet card and its A4 sheet, each found from the link's page) decodes to exactly the
link, with error correction M, as the SMART Health Links specification recommends.
"""

from __future__ import annotations

import base64
import html
import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from tests.factories import PASSPHRASE, markup_entry
from tests.functional.api.test_links import _payload
from tests.functional.web.test_pages import csrf, person_url, sign_up
from vault.models import ShareLink
from vault.sections import SECTIONS, Tier
from web import qr

XSS = "<img src=x onerror=alert(1)>"
DATA_IMAGE = re.compile(r'<img src="data:image/png;base64,([^"]+)"')
# qrcode's SvgPathImage draws one path of unit squares, "Mx,yHx+1Vy+1Hxz" for each module.
SVG_MODULE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\1z")


def codes_in(image: Image.Image) -> list[Any]:
    """The two-dimensional codes a scanner finds in an image.

    Only matrix formats are looked for: a row of a QR code's modules can, for some links, also
    read as a one-dimensional UPC-E barcode, which no phone's camera app would offer as a link.
    """
    return list(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.AllMatrix))


def person_id(client: FlaskClient) -> str:
    return person_url(client).rstrip("/").rsplit("/", 1)[1]


def write_medicine(client: FlaskClient, pid: str, name: str = "Sodium valproate") -> None:
    made = client.post(f"/api/v1/people/{pid}/entries", json={
        "section": "medicines", "data": {"name": name, "dose": "500 mg", "reason": "Epilepsy"}})
    assert made.status_code == 201, made.json


STEP_ONE = {"template": "gp", "label": "For Dr Patel", "duration": "month",
            "passcode": "blue-kettle-42", "max_openings": "", "notify": ""}


def make_link(client: FlaskClient, pid: str, **changes: str) -> str:
    """Both steps of the wizard; returns the link page's path."""
    token = csrf(client, f"/people/{pid}/sharing/new")
    checked = client.post(f"/people/{pid}/sharing/new", data={"csrf_token": token,
                                                              **STEP_ONE, **changes})
    assert checked.status_code == 200, checked.get_data(as_text=True)[-2000:]
    made = client.post(f"/people/{pid}/sharing/make", data={
        "csrf_token": token, **STEP_ONE, **changes, "passphrase": PASSPHRASE})
    assert made.status_code == 303, made.get_data(as_text=True)[-2000:]
    return urlsplit(made.headers["Location"]).path


def count_links(runtime: Any) -> int:
    with runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(ShareLink)) or 0)


# A link whose QR code has a row that a scanner of every format also reads as a UPC-E barcode
# (seen once in CI); the scanner above must find the one QR code in it and nothing else.
LINK_WITH_A_UPC_E_ROW = (
    "https://tellonce.test/view#shlink:/eyJ1cmwiOiJodHRwczovL3RlbGxvbmNlLnRlc3Qvc2hsL0JEVjBRX2ZF"
    "a0N1MUpLNGI3ckZpYXpsc3dISUhraWVNWDBzNU4xS1NMOXciLCJrZXkiOiJjMVZ2aGdPem1mU2VMZWhILVJxYm5UTnk2"
    "enBXSWJmSzNRNFprNzlZamlNIiwiZmxhZyI6IkxQIiwibGFiZWwiOiJGb3IgRHIgUGF0ZWwiLCJ2IjoxfQ")


def test_the_scanner_finds_only_the_qr_code_where_a_row_looks_like_a_barcode() -> None:
    image = Image.open(io.BytesIO(qr.png(LINK_WITH_A_UPC_E_ROW)))
    assert [(r.format.name, r.text) for r in codes_in(image)] == [("QRCode",
                                                                   LINK_WITH_A_UPC_E_ROW)]


def test_the_check_page_shows_everything_the_link_will_show(client: FlaskClient) -> None:
    sign_up(client)
    pid = person_id(client)
    write_medicine(client, pid, name=XSS)
    token = csrf(client, f"/people/{pid}/sharing/new")
    page = client.post(f"/people/{pid}/sharing/new", data={
        "csrf_token": token, **STEP_ONE, "template": "emergency", "passcode": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.escape(XSS) in text or "&lt;img src=x onerror=alert(1)&gt;" in text
    assert XSS not in text
    assert "500 mg" in text
    assert "Epilepsy" not in text  # The reason is for the care team: not in an emergency link.
    assert 'name="passphrase"' in text


def test_make_a_link_and_its_qr_code_holds_exactly_the_link(client: FlaskClient,
                                                             runtime: Any) -> None:
    sign_up(client)
    pid = person_id(client)
    write_medicine(client, pid)
    page = client.get(make_link(client, pid))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    url = html.unescape(re.search(r'id="link-address" type="text" value="([^"]+)"', text)
                        .group(1))  # type: ignore[union-attr]
    assert "#shlink:/" in url
    assert "blue-kettle-42" not in text  # The passcode is never shown again.
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', text)
                           .group(1))  # type: ignore[union-attr]
    assert [r.text for r in codes_in(Image.open(io.BytesIO(png)))] == [url]
    download = client.get(urlsplit(page.request.url).path + "/qr.png")
    assert [r.text for r in codes_in(Image.open(io.BytesIO(download.data)))] == [url]
    svg = client.get(urlsplit(page.request.url).path + "/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    for layout in ("card", "sheet"):
        printed = client.get(urlsplit(page.request.url).path + f"/{layout}")
        assert printed.status_code == 200
        assert "Ask me or my supporter for" in printed.get_data(as_text=True)
    listed = client.get(f"/people/{pid}/sharing").get_data(as_text=True)
    assert "For Dr Patel" in listed
    assert "Stop all sharing now" in listed
    assert count_links(runtime) == 1


@pytest.mark.parametrize(("changes", "box", "words"), [
    ({"template": ""}, "template", "Choose who this link is for"),
    ({"label": " "}, "label", "Give the link a name"),
    ({"duration": "forever"}, "duration", "Choose how long"),
    ({"passcode": "abc"}, "passcode", "at least 6"),
    ({"max_openings": "lots"}, "max_openings", "Type a number"),
    ({"template": "emergency", "passcode": "", "max_openings": "3"}, "max_openings",
     "emergency link"),
    ({"surprise": "yes"}, "surprise", "Remove anything"),
])
def test_step_one_says_what_to_fix(client: FlaskClient, runtime: Any, changes: dict[str, str],
                                   box: str, words: str) -> None:
    sign_up(client)
    pid = person_id(client)
    token = csrf(client, f"/people/{pid}/sharing/new")
    page = client.post(f"/people/{pid}/sharing/new", data={"csrf_token": token, **STEP_ONE,
                                                           **changes})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert words in text
    assert f'href="#{box}"' in text
    assert count_links(runtime) == 0


@pytest.mark.parametrize(("passphrase", "status"), [("", 422), ("not it, not at all", 422)])
def test_making_a_link_needs_the_passphrase(client: FlaskClient, runtime: Any,
                                            passphrase: str, status: int) -> None:
    sign_up(client)
    pid = person_id(client)
    token = csrf(client, f"/people/{pid}/sharing/new")
    refused = client.post(f"/people/{pid}/sharing/make", data={
        "csrf_token": token, **STEP_ONE, "passphrase": passphrase})
    assert refused.status_code == status
    assert 'href="#passphrase"' in refused.get_data(as_text=True)
    assert count_links(runtime) == 0


def test_forms_without_a_token_or_from_another_site_change_nothing(client: FlaskClient,
                                                                   runtime: Any) -> None:
    sign_up(client)
    pid = person_id(client)
    path = make_link(client, pid)
    for form in (f"/people/{pid}/sharing/make", f"{path}/stop", f"/people/{pid}/sharing/stop-all"):
        body = {**STEP_ONE, "passphrase": PASSPHRASE}
        assert client.post(form, data=body).status_code == 400
        foreign = client.post(form, data={**body, "csrf_token": csrf(client, "/sign-in")},
                              headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
    assert count_links(runtime) == 1
    assert "Stop this link" in client.get(path).get_data(as_text=True)  # Still working.


def test_stop_one_link_then_all(client: FlaskClient, runtime: Any) -> None:
    sign_up(client)
    pid = person_id(client)
    first = make_link(client, pid)
    make_link(client, pid, label="Emergency", template="emergency", passcode="")
    token = csrf(client, first)
    stopped = client.post(f"{first}/stop", data={"csrf_token": token})
    assert stopped.status_code == 303
    assert "The link is stopped" in client.get(stopped.headers["Location"]).get_data(
        as_text=True)
    everything = client.post(f"/people/{pid}/sharing/stop-all", data={"csrf_token": token})
    page = client.get(everything.headers["Location"]).get_data(as_text=True)
    assert "All sharing is stopped" in page
    assert "No links work now" in page
    with runtime.db.transaction() as s:
        assert all(link.revoked_at is not None for link in s.scalars(select(ShareLink)))


def test_someone_elses_links_are_not_found(client: FlaskClient, other_client: FlaskClient,
                                          runtime: Any) -> None:
    sign_up(client)
    pid = person_id(client)
    path = make_link(client, pid)
    sign_up(other_client, login="ben", name="Ben")
    for suffix in ("", "/qr.png", "/qr.svg", "/card", "/sheet"):
        assert other_client.get(path + suffix).status_code == 404
    token = csrf(other_client, "/account")
    assert other_client.post(f"{path}/stop", data={"csrf_token": token}).status_code == 404
    assert other_client.post(f"/people/{pid}/sharing/stop-all",
                             data={"csrf_token": token}).status_code == 404
    assert "Stop this link" in client.get(path).get_data(as_text=True)


def test_renew_keeps_the_same_link(client: FlaskClient) -> None:
    sign_up(client)
    pid = person_id(client)
    path = make_link(client, pid)
    before = client.get(path).get_data(as_text=True)
    token = csrf(client, path)
    renewed = client.post(f"{path}/renew", data={"csrf_token": token, "duration": "year"})
    assert renewed.status_code == 303
    after = client.get(renewed.headers["Location"]).get_data(as_text=True)
    link_re = r'id="link-address" type="text" value="([^"]+)"'
    assert re.search(link_re, after).group(1) == re.search(link_re, before).group(1)  # type: ignore[union-attr]
    assert "same link and the same QR code" in after
    bad = client.post(f"{path}/renew", data={"csrf_token": token, "duration": "forever"})
    assert bad.status_code == 422


def test_the_person_changes_which_parts_a_link_shows(client: FlaskClient, runtime: Any) -> None:
    sign_up(client)
    pid = person_id(client)
    write_medicine(client, pid)
    made = client.post(f"/api/v1/people/{pid}/entries", json={
        "section": "communication", "data": {"text": "I use Makaton."}})
    assert made.status_code == 201
    token = csrf(client, f"/people/{pid}/sharing/new")
    first = client.post(f"/people/{pid}/sharing/new", data={"csrf_token": token, **STEP_ONE})
    assert 'name="section.medicines"' in first.get_data(as_text=True)
    assert 'name="section.journal"' not in first.get_data(as_text=True)
    changed = client.post(f"/people/{pid}/sharing/new", data={
        "csrf_token": token, **STEP_ONE, "section.medicines": "out",
        "section.communication": "full"})
    page = changed.get_data(as_text=True)
    assert "I use Makaton." in page
    assert "Sodium valproate" not in page
    link = client.post(f"/people/{pid}/sharing/make", data={
        "csrf_token": token, **STEP_ONE, "section.medicines": "out",
        "section.communication": "full", "passphrase": PASSPHRASE})
    assert link.status_code == 303
    listed = client.get(f"/api/v1/people/{pid}/links").json
    assert listed[0]["sections"] == {"communication": "full"}
    tampered = client.post(f"/people/{pid}/sharing/new", data={
        "csrf_token": token, **STEP_ONE, "section.journal": "full"})
    assert tampered.status_code == 422
    assert count_links(runtime) == 1


def test_a_recipient_name_with_markup_is_only_text_on_the_owners_pages(
    client: FlaskClient,
) -> None:
    sign_up(client)
    pid = person_id(client)
    path = make_link(client, pid, passcode="")
    text = client.get(path).get_data(as_text=True)
    url = html.unescape(re.search(r'id="link-address" type="text" value="([^"]+)"', text)
                        .group(1))  # type: ignore[union-attr]
    opened = client.post(urlsplit(_payload(url)["url"]).path, json={"recipient": XSS})
    assert opened.status_code == 200
    for page in (client.get(path), client.get(f"/people/{pid}/sharing")):
        shown = page.get_data(as_text=True)
        assert XSS not in shown
        assert "&lt;img src=x onerror=alert(1)&gt;" in shown


def test_markup_in_every_field_is_only_text_on_the_check_page(client: FlaskClient) -> None:
    sign_up(client)
    pid = person_id(client)
    shared = [s for s in SECTIONS.values() if s.fixed_tier is not Tier.P]
    for section in shared:
        data, tiers = markup_entry(section, XSS)
        made = client.post(f"/api/v1/people/{pid}/entries", json={
            "section": section.name, "data": data,
            "tiers": {n: "S" for n in tiers} if section.fixed_tier is Tier.S else tiers})
        assert made.status_code == 201, made.json
    token = csrf(client, f"/people/{pid}/sharing/new")
    page = client.post(f"/people/{pid}/sharing/new", data={
        "csrf_token": token, **STEP_ONE, **{f"section.{s.name}": "full" for s in shared}})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert XSS not in text
    assert text.count("&lt;img src=x onerror=alert(1)&gt;") >= len(shared) - 1


def test_someone_else_starts_with_nothing_and_the_person_chooses_each_part(
    client: FlaskClient,
) -> None:
    sign_up(client)
    pid = person_id(client)
    write_medicine(client, pid)
    token = csrf(client, f"/people/{pid}/sharing/new")
    assert 'value="custom"' in client.get(f"/people/{pid}/sharing/new").get_data(as_text=True)
    empty = client.post(f"/people/{pid}/sharing/new", data={
        "csrf_token": token, **STEP_ONE, "template": "custom"}).get_data(as_text=True)
    assert "choose the parts it shows below" in empty
    assert "Sodium valproate" not in empty
    chosen = client.post(f"/people/{pid}/sharing/new", data={
        "csrf_token": token, **STEP_ONE, "template": "custom",
        "section.medicines": "summary"}).get_data(as_text=True)
    assert "Sodium valproate" in chosen
    assert "Epilepsy" not in chosen  # The reason is not one of the main points.


def svg_pixels(svg: bytes, scale: int = 8) -> Image.Image:
    """The QR code's SVG drawn to pixels, as a printer would: every module a black square.

    Only the one shape qrcode writes is understood; anything else in the path fails here, so a
    change of how codes are drawn is seen rather than drawn wrongly.
    """
    text = svg.decode()
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', text)
    path = re.findall(r' d="([^"]*)"', text)
    assert view is not None, text[:300]
    assert len(path) == 1, text[:300]
    assert SVG_MODULE.sub("", path[0]) == "", "the SVG's path is not only unit squares"
    width, height = (int(n) * scale for n in view.groups())
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for x, y, right, bottom in SVG_MODULE.findall(path[0]):
        draw.rectangle((int(x) * scale, int(y) * scale, int(right) * scale - 1,
                        int(bottom) * scale - 1), fill=0)
    return image


def qr_codes(client: FlaskClient, page_path: str) -> dict[str, list[Image.Image]]:
    """Every QR code of the link's page and of each page and file it links to of the link."""
    page = client.get(page_path).get_data(as_text=True)
    found = {}
    for path in [page_path, *sorted(set(re.findall(rf'href="({re.escape(page_path)}/[^"#?]+)"',
                                                   page)))]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        if answer.mimetype == "image/png":
            found[path] = [Image.open(io.BytesIO(answer.data))]
        elif answer.mimetype == "image/svg+xml":
            found[path] = [svg_pixels(answer.data)]
        else:
            found[path] = [Image.open(io.BytesIO(base64.b64decode(data)))
                           for data in DATA_IMAGE.findall(answer.get_data(as_text=True))]
    return found


def test_every_qr_code_of_a_link_is_exactly_the_link_with_error_correction_m(
    client: FlaskClient,
) -> None:
    """Rule: each QR code holds the link and nothing else, at error correction level M."""
    sign_up(client)
    pid = person_id(client)
    path = make_link(client, pid)
    text = client.get(path).get_data(as_text=True)
    url = html.unescape(re.search(r'id="link-address" type="text" value="([^"]+)"', text)
                        .group(1))  # type: ignore[union-attr]
    codes = qr_codes(client, path)
    assert sorted(codes) == sorted([path, f"{path}/card", f"{path}/sheet", f"{path}/qr.png",
                                    f"{path}/qr.svg"])
    read = {where: [(r.format.name, r.text, r.ec_level) for image in images
                    for r in codes_in(image)] for where, images in codes.items()}
    assert read == {where: [("QRCode", url, "M")] for where in codes}
