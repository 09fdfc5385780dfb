"""The record's own pages through the app: history and restore, attachments, printing."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import browser_client
from tests.functional.web.test_pages import csrf, person_url, sign_up
from vault.models import Attachment, EntryVersion
from vault.sections import SECTIONS
from web.print_pages import NOT_PRINTED_UNLESS_CHOSEN

ENTRY_RE = re.compile(r"/entries/([0-9a-f-]{36})/edit")
FILE_RE = re.compile(r"/attachments/([0-9a-f-]{36})/download")


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(out, "PNG")
    return out.getvalue()


def write_entry(client: FlaskClient, base: str, section: str, text: str) -> str:
    token = csrf(client, f"{base}/sections/{section}/new")
    saved = client.post(f"{base}/sections/{section}/new",
                        data={"csrf_token": token, "f.text": text})
    assert saved.status_code == 303
    page = client.get(f"{base}/sections/{section}").get_data(as_text=True)
    return ENTRY_RE.findall(page)[-1]


def change_entry(client: FlaskClient, base: str, entry_id: str, text: str) -> None:
    token = csrf(client, f"{base}/entries/{entry_id}/edit")
    saved = client.post(f"{base}/entries/{entry_id}/edit",
                        data={"csrf_token": token, "f.text": text})
    assert saved.status_code == 303


def count(runtime: Any, model: Any, **where: Any) -> int:
    with runtime.db.transaction() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query))


def upload(client: FlaskClient, base: str, content: bytes, filename: str,
           section: str = "identity", **extra: str) -> Any:
    page = f"{base}/sections/{section}/attachments"
    token = csrf(client, page)
    response = client.post(page, data={"csrf_token": token, **extra,
                                       "file": (io.BytesIO(content), filename)},
                           content_type="multipart/form-data")
    # Werkzeug's test client spools a large body to a temporary file of its own, and does
    # not close it unless it follows redirects; the app itself keeps every upload in memory.
    response.request.input_stream.close()
    return response


# -- history ---------------------------------------------------------------------------------


def test_history_shows_every_version_and_restore_makes_a_new_one(
    client: FlaskClient, runtime: Any
) -> None:
    sign_up(client)
    base = person_url(client)
    entry_id = write_entry(client, base, "communication", "I use Makaton.")
    section = client.get(f"{base}/sections/communication").get_data(as_text=True)
    assert "See earlier versions" not in section  # Nothing earlier yet.
    change_entry(client, base, entry_id, "I use <b>BSL</b> now.")
    section = client.get(f"{base}/sections/communication").get_data(as_text=True)
    assert f"{base}/entries/{entry_id}/history" in section
    assert "See earlier versions" in section

    history = client.get(f"{base}/entries/{entry_id}/history")
    assert history.status_code == 200
    assert history.headers["Cache-Control"] == "no-store"
    page = history.get_data(as_text=True)
    assert page.index("Version 2 (now)") < page.index("Version 1")
    assert "I use &lt;b&gt;BSL&lt;/b&gt; now." in page
    assert "<b>BSL</b>" not in page
    assert "I use Makaton." in page
    assert page.count("Written by me") == 2
    assert page.count("Restore this version") == 1  # Only the older version.
    restore_path = f"{base}/entries/{entry_id}/versions/1/restore"
    assert restore_path in page

    token = csrf(client, f"{base}/entries/{entry_id}/history")
    restored = client.post(restore_path, data={"csrf_token": token})
    assert restored.status_code == 303
    assert restored.headers["Location"] == f"{base}/sections/communication?restored=1"
    shown = client.get(restored.headers["Location"]).get_data(as_text=True)
    assert "The earlier version was put back" in shown
    assert "I use Makaton." in shown
    # The later version's words, not "BSL" alone: a random CSRF token can hold those letters.
    assert "I use &lt;b&gt;BSL&lt;/b&gt; now." not in shown
    assert count(runtime, EntryVersion, entry_id=entry_id) == 3

    page = client.get(f"{base}/entries/{entry_id}/history").get_data(as_text=True)
    assert page.index("Version 3 (now)") < page.index("Version 2") < page.index("Version 1")
    assert "I use &lt;b&gt;BSL&lt;/b&gt; now." in page  # Nothing was lost.
    assert page.count("Restore this version") == 2


def test_restore_keeps_the_old_versions_tiers(client: FlaskClient) -> None:
    sign_up(client)
    base = person_url(client)
    token = csrf(client, f"{base}/sections/upsets/new")
    client.post(f"{base}/sections/upsets/new",
                data={"csrf_token": token, "f.text": "Loud rooms.", "tier.text": "S"})
    page = client.get(f"{base}/sections/upsets").get_data(as_text=True)
    entry_id = ENTRY_RE.findall(page)[-1]
    token = csrf(client, f"{base}/entries/{entry_id}/edit")
    client.post(f"{base}/entries/{entry_id}/edit",
                data={"csrf_token": token, "f.text": "Crowds.", "tier.text": "C"})
    client.post(f"{base}/entries/{entry_id}/versions/1/restore", data={"csrf_token": token})
    form = client.get(f"{base}/entries/{entry_id}/edit").get_data(as_text=True)
    assert "Loud rooms." in form
    assert re.search(r'<option value="S" selected', form)


def test_a_deleted_entry_shows_as_deleted_and_cannot_be_restored(
    client: FlaskClient, runtime: Any
) -> None:
    sign_up(client)
    base = person_url(client)
    entry_id = write_entry(client, base, "communication", "I use Makaton.")
    assert client.delete(f"/api/v1{base}/entries/{entry_id}").status_code == 204
    page = client.get(f"{base}/entries/{entry_id}/history").get_data(as_text=True)
    assert "Deleted" in page
    assert "I use Makaton." in page
    assert "Restore this version" not in page
    token = csrf(client, f"{base}/entries/{entry_id}/history")
    refused = client.post(f"{base}/entries/{entry_id}/versions/1/restore",
                          data={"csrf_token": token})
    assert refused.status_code == 404
    assert count(runtime, EntryVersion, entry_id=entry_id) == 2


def test_restore_without_a_token_or_from_another_site_changes_nothing(
    client: FlaskClient, runtime: Any
) -> None:
    sign_up(client)
    base = person_url(client)
    entry_id = write_entry(client, base, "communication", "I use Makaton.")
    change_entry(client, base, entry_id, "I use BSL.")
    path = f"{base}/entries/{entry_id}/versions/1/restore"
    missing = client.post(path)
    assert missing.status_code == 400
    assert "Nothing was saved" in missing.get_data(as_text=True)
    token = csrf(client, f"{base}/entries/{entry_id}/history")
    foreign = client.post(path, data={"csrf_token": token},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert count(runtime, EntryVersion, entry_id=entry_id) == 2
    unknown = client.post(f"{base}/entries/{entry_id}/versions/9/restore",
                          data={"csrf_token": token})
    assert unknown.status_code == 404
    assert count(runtime, EntryVersion, entry_id=entry_id) == 2


# -- photos and documents --------------------------------------------------------------------


def test_upload_list_view_download_and_delete_a_photo(client: FlaskClient, runtime: Any) -> None:
    sign_up(client)
    base = person_url(client)
    section = client.get(f"{base}/sections/identity").get_data(as_text=True)
    assert f"{base}/sections/identity/attachments" in section
    empty = client.get(f"{base}/sections/identity/attachments")
    assert empty.status_code == 200
    page = empty.get_data(as_text=True)
    assert "There are no photos or documents here yet." in page
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/jpeg,image/png,application/pdf"' in page

    added = upload(client, base, png_bytes(), "My <face>.png", tier="C")
    assert added.status_code == 303
    assert added.headers["Location"] == f"{base}/sections/identity/attachments?added=1"
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Your file was added." in page
    assert "My &lt;face&gt;.png" in page
    assert "Photo (PNG)" in page
    assert "1 KB" in page
    attachment_id = FILE_RE.search(page).group(1)  # type: ignore[union-attr]

    view = client.get(f"{base}/attachments/{attachment_id}").get_data(as_text=True)
    assert f'src="{base}/attachments/{attachment_id}/image"' in view
    assert 'alt="Photo: My &lt;face&gt;.png"' in view

    image = client.get(f"{base}/attachments/{attachment_id}/image")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.headers["Cache-Control"] == "no-store"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline")

    download = client.get(f"{base}/attachments/{attachment_id}/download")
    assert download.status_code == 200
    assert download.data == image.data
    assert download.headers["Cache-Control"] == "no-store"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''My%20%3Cface%3E.png" in disposition

    confirm = client.get(f"{base}/attachments/{attachment_id}/delete")
    assert confirm.status_code == 200
    assert "Yes, delete it" in confirm.get_data(as_text=True)
    token = csrf(client, f"{base}/attachments/{attachment_id}/delete")
    deleted = client.post(f"{base}/attachments/{attachment_id}/delete",
                          data={"csrf_token": token})
    assert deleted.status_code == 303
    assert deleted.headers["Location"] == f"{base}/sections/identity/attachments?deleted=1"
    page = client.get(deleted.headers["Location"]).get_data(as_text=True)
    assert "The file was deleted." in page
    assert "&lt;face&gt;" not in page  # Its name, not "face", which a token can hold.
    assert client.get(f"{base}/attachments/{attachment_id}/download").status_code == 404
    assert count(runtime, Attachment, deleted_at=None) == 0


def test_a_pdf_is_downloaded_never_shown_in_the_page(client: FlaskClient) -> None:
    sign_up(client)
    base = person_url(client)
    assert upload(client, base, b"%PDF-1.4\n% a letter\n", "letter.pdf",
                  section="future_plans").status_code == 303
    page = client.get(f"{base}/sections/future_plans/attachments").get_data(as_text=True)
    assert "PDF document" in page
    attachment_id = FILE_RE.search(page).group(1)  # type: ignore[union-attr]
    view = client.get(f"{base}/attachments/{attachment_id}").get_data(as_text=True)
    assert "<img" not in view
    assert client.get(f"{base}/attachments/{attachment_id}/image").status_code == 404
    download = client.get(f"{base}/attachments/{attachment_id}/download")
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(("content", "filename", "words"), [
    (b"just some words", "notes.txt", "This file is not one of those"),
    (b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), "big.pdf", "This file is too big"),
    (b"", "empty.png", "This file is empty"),
    (b"", "", "Choose a photo or a PDF to upload."),
])
def test_uploads_that_cannot_be_kept_say_what_to_do_and_store_nothing(
    client: FlaskClient, runtime: Any, content: bytes, filename: str, words: str
) -> None:
    sign_up(client)
    base = person_url(client)
    response = upload(client, base, content, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#file"' in page
    assert words in page
    assert count(runtime, Attachment) == 0


def test_a_file_bigger_than_any_request_says_what_to_do(client: FlaskClient,
                                                         runtime: Any) -> None:
    sign_up(client)
    base = person_url(client)
    response = upload(client, base, b"%PDF-" + b"0" * (13 * 1024 * 1024), "huge.pdf")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "This file is too big. Tell Once keeps files of up to 10 MB." in page
    assert 'href="#file"' in page
    assert count(runtime, Attachment) == 0


def test_a_wrong_tier_is_refused(client: FlaskClient, runtime: Any) -> None:
    sign_up(client)
    base = person_url(client)
    response = upload(client, base, png_bytes(), "face.png", tier="X")
    assert response.status_code == 422
    assert "Choose who can see this file." in response.get_data(as_text=True)
    assert count(runtime, Attachment) == 0


def test_attachment_forms_without_a_token_or_from_another_site_change_nothing(
    client: FlaskClient, runtime: Any
) -> None:
    sign_up(client)
    base = person_url(client)
    page = f"{base}/sections/identity/attachments"
    missing = client.post(page, data={"file": (io.BytesIO(png_bytes()), "face.png")},
                          content_type="multipart/form-data")
    assert missing.status_code == 400
    token = csrf(client, page)
    foreign = client.post(page, data={"csrf_token": token,
                                      "file": (io.BytesIO(png_bytes()), "face.png")},
                          content_type="multipart/form-data",
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert count(runtime, Attachment) == 0

    assert upload(client, base, png_bytes(), "face.png").status_code == 303
    listing = client.get(page).get_data(as_text=True)
    attachment_id = FILE_RE.search(listing).group(1)  # type: ignore[union-attr]
    delete = f"{base}/attachments/{attachment_id}/delete"
    assert client.post(delete).status_code == 400
    assert client.post(delete, data={"csrf_token": token},
                       headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert count(runtime, Attachment, deleted_at=None) == 1


# -- another person's record -----------------------------------------------------------------


def test_another_persons_record_is_not_found(app: Flask, client: FlaskClient) -> None:
    sign_up(client)
    base = person_url(client)
    entry_id = write_entry(client, base, "communication", "I use Makaton.")
    change_entry(client, base, entry_id, "I use BSL.")
    assert upload(client, base, png_bytes(), "face.png").status_code == 303
    listing = client.get(f"{base}/sections/identity/attachments").get_data(as_text=True)
    attachment_id = FILE_RE.search(listing).group(1)  # type: ignore[union-attr]

    other = browser_client(app)
    sign_up(other, login="bea", name="Bea")
    own = person_url(other)
    token = csrf(other, f"{own}/sections/identity/attachments")
    for path in (f"{base}/entries/{entry_id}/history",
                 f"{base}/sections/identity/attachments",
                 f"{base}/attachments/{attachment_id}",
                 f"{base}/attachments/{attachment_id}/image",
                 f"{base}/attachments/{attachment_id}/download",
                 f"{base}/attachments/{attachment_id}/delete",
                 f"{base}/print",
                 f"{base}/print/record?sections=communication",
                 f"{base}/print/my-record.pdf?sections=communication",
                 f"{own}/entries/{entry_id}/history",
                 f"{own}/attachments/{attachment_id}"):
        assert other.get(path).status_code == 404, path
    for path in (f"{base}/entries/{entry_id}/versions/1/restore",
                 f"{base}/attachments/{attachment_id}/delete",
                 f"{own}/attachments/{attachment_id}/delete"):
        assert other.post(path, data={"csrf_token": token}).status_code == 404, path
    stolen = other.post(f"{base}/sections/identity/attachments",
                        data={"csrf_token": token, "file": (io.BytesIO(png_bytes()), "x.png")},
                        content_type="multipart/form-data")
    assert stolen.status_code == 404
    assert client.get(f"{base}/attachments/{attachment_id}/download").status_code == 200
    assert "I use BSL." in client.get(f"{base}/sections/communication").get_data(as_text=True)


# -- printing --------------------------------------------------------------------------------


@pytest.fixture
def fixed_clock(runtime: Any, now: datetime) -> Callable[[], datetime]:
    runtime.set_clock(lambda: now)
    return runtime.clock  # type: ignore[no-any-return]


def test_the_print_choices_leave_private_parts_unticked(client: FlaskClient) -> None:
    sign_up(client)
    base = person_url(client)
    dashboard = client.get(base).get_data(as_text=True)
    assert f'href="{base}/print"' in dashboard
    assert "Print my record" in dashboard
    page = client.get(f"{base}/print").get_data(as_text=True)
    ticked = set(re.findall(r'value="(\w+)" checked', page))
    assert "communication" in ticked
    assert "medicines" in ticked
    assert not ticked & {"journal", "sensitive_history", "good_life", "missing_person"}
    assert len(re.findall(r'name="sections"', page)) == 18
    # The hint says "the last 4 are not ticked".
    assert set(list(SECTIONS)[-4:]) == NOT_PRINTED_UNLESS_CHOSEN
    assert "The last 4 are not ticked" in page


def test_the_printed_record_shows_the_chosen_sections_only(
    client: FlaskClient, fixed_clock: Any
) -> None:
    sign_up(client, name="Amy Ødegård")
    base = person_url(client)
    write_entry(client, base, "communication", "I use <i>Makaton</i>.")
    write_entry(client, base, "journal", "A private note.")
    response = client.get(f"{base}/print/record?sections=communication&sections=allergies")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "<h1>Amy Ødegård</h1>" in page
    assert "I use &lt;i&gt;Makaton&lt;/i&gt;." in page
    assert "Written by me on 23 November 2026." in page
    assert "Allergies" in page
    assert "Nothing has been written in this part yet." in page
    assert "A private note." not in page
    assert "My medicines" not in page
    assert 'id="print-page"' in page
    assert f"{base}/print/my-record.pdf?sections=communication&amp;sections=allergies" in page


@pytest.mark.parametrize("query", ["", "?sections=nonsense"])
def test_printing_nothing_says_what_to_do(client: FlaskClient, query: str) -> None:
    sign_up(client)
    base = person_url(client)
    for path in (f"{base}/print/record{query}", f"{base}/print/my-record.pdf{query}"):
        response = client.get(path)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "There is a problem" in page
        assert 'href="#sections"' in page


def pdf_text(data: bytes) -> str:
    """The text of a PDF made by fpdf2: each run of text is decoded through the ToUnicode
    map of the font it is set in. Enough for these tests; not a general PDF reader."""
    objects = {int(m.group(1)): m.group(2)
               for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}

    def stream(body: bytes) -> bytes:
        raw = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S).group(1)  # type: ignore[union-attr]
        return zlib.decompress(raw) if b"/FlateDecode" in body else raw

    maps: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)])
            cmap = stream(objects[int(to_unicode.group(1))])  # type: ignore[union-attr]
            maps[name] = {int(code, 16): chr(int(char, 16)) for code, char in
                          re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", cmap)}
    text = []
    for body in objects.values():
        if b"/Type /Page\n" not in body:
            continue
        content = stream(objects[int(re.search(rb"/Contents (\d+) 0 R", body).group(1))])  # type: ignore[union-attr]
        font: dict[int, str] = {}
        for token in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)", content, re.S):
            if token.group(1):
                font = maps[token.group(1)]
                continue
            raw = re.sub(rb"\\(.)", lambda m: {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(
                m.group(1), m.group(1)), token.group(2), flags=re.S)
            text.append("".join(font.get(int.from_bytes(raw[i:i + 2], "big"), "")
                                for i in range(0, len(raw), 2)))
        text.append("\n")
    return "".join(text)


def test_the_pdf_is_a_real_pdf_of_the_chosen_sections(
    client: FlaskClient, fixed_clock: Any
) -> None:
    sign_up(client, name="Amy Ødegård")
    base = person_url(client)
    write_entry(client, base, "communication", "I use Makaton (signs).")
    write_entry(client, base, "journal", "A private note.")
    response = client.get(f"{base}/print/my-record.pdf?sections=communication")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-record.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    assert "Amy Ødegård" in text
    assert "How to communicate with me" in text
    assert "I use Makaton (signs)." in text
    assert "Written by me on 23 November 2026." in text
    assert "A private note." not in text
    assert "cannot be shown" not in text


def test_letters_the_pdf_font_lacks_become_question_marks_and_it_says_so(
    client: FlaskClient, fixed_clock: Any
) -> None:
    sign_up(client, name="Amy")
    base = person_url(client)
    write_entry(client, base, "communication", "My name in Chinese is 艾米.")
    text = pdf_text(client.get(f"{base}/print/my-record.pdf?sections=communication").data)
    assert "My name in Chinese is ??." in text
    assert "cannot be shown in this PDF" in text
