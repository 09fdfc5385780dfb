"""Attachments through the JSON API: upload, list, download, delete, and refuse what is unsafe."""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, text, update
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from tests.factories import Person, make_person
from tests.unit.vault.test_vault_attachments import (
    CANARY,
    jpeg_markers,
    jpeg_with_metadata,
    pdf_bytes,
    png_chunk_types,
    png_declaring,
    png_with_text,
)
from vault.models import Attachment, AuditEvent

MB = 1024 * 1024


def url(person: Person, *rest: str) -> str:
    return "/".join([f"/api/v1/people/{person.person_id}/attachments", *rest])


def upload(client: FlaskClient, person: Person, content: bytes, *, filename: str = "scan.pdf",
           section: str = "health_plan", **form: str) -> TestResponse:
    # Encoded in memory here: for a body over 500 KB the test client would otherwise write a
    # temporary file of its own (and leave it unclosed when the app refuses the request).
    boundary, body = encode_multipart(MultiDict({
        "section": section, "file": FileStorage(io.BytesIO(content), filename), **form}))
    return client.post(url(person), data=body, headers=person.auth,
                       content_type=f"multipart/form-data; boundary={boundary}")


def uploaded(client: FlaskClient, person: Person, content: bytes, **kw: Any) -> dict[str, Any]:
    response = upload(client, person, content, **kw)
    assert response.status_code == 201, response.json
    assert response.json is not None
    return response.json


def listed(client: FlaskClient, person: Person, query: str = "") -> list[dict[str, Any]]:
    response = client.get(url(person) + query, headers=person.auth)
    assert response.status_code == 200, response.json
    assert isinstance(response.json, list)
    return response.json


def test_upload_list_describe_download_delete(client: FlaskClient) -> None:
    amy = make_person(client)
    made = uploaded(client, amy, pdf_bytes(), filename="Zoë’s letter.pdf")
    assert set(made) == {"id", "person_id", "section", "tier", "media_type", "size", "filename",
                         "created_at", "author_account_id"}
    assert (made["media_type"], made["tier"], made["filename"]) == (
        "application/pdf", "C", "Zoë’s letter.pdf")
    assert made["author_account_id"] == amy.account_id
    assert listed(client, amy) == [made]
    assert client.get(url(amy, made["id"]), headers=amy.auth).json == made
    content = client.get(url(amy, made["id"], "content"), headers=amy.auth)
    assert content.status_code == 200
    assert content.data == pdf_bytes()
    assert content.headers["Content-Type"] == "application/pdf"
    assert content.headers["Content-Disposition"] == (
        "attachment; filename=\"Zoes letter.pdf\"; "
        "filename*=UTF-8''Zo%C3%AB%E2%80%99s%20letter.pdf")
    assert content.headers["Cache-Control"] == "no-store"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert client.delete(url(amy, made["id"]), headers=amy.auth).status_code == 204
    assert listed(client, amy) == []


def test_jpeg_download_has_no_exif_and_no_canary(client: FlaskClient) -> None:
    amy = make_person(client)
    made = uploaded(client, amy, jpeg_with_metadata(), filename="holiday.jpg")
    assert made["media_type"] == "image/jpeg"
    body = client.get(url(amy, made["id"], "content"), headers=amy.auth)
    assert body.headers["Content-Type"] == "image/jpeg"
    assert made["size"] == len(body.data)
    assert CANARY.encode() not in body.data
    assert not {0xE1, 0xE2, 0xFE} & set(jpeg_markers(body.data))
    image = Image.open(io.BytesIO(body.data))
    assert len(image.getexif()) == 0
    assert "exif" not in image.info


def test_png_download_has_no_text_chunks(client: FlaskClient) -> None:
    amy = make_person(client)
    made = uploaded(client, amy, png_with_text(), filename="x.pdf")
    assert made["media_type"] == "image/png"  # Sniffed from the bytes, not the name.
    body = client.get(url(amy, made["id"], "content"), headers=amy.auth)
    assert body.headers["Content-Type"] == "image/png"
    assert set(png_chunk_types(body.data)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert CANARY.encode() not in body.data


@pytest.mark.parametrize(("content", "filename", "words"), [
    (b"hello, this is text", "x.jpg", "Tell Once keeps photos (JPEG or PNG) and PDF documents."),
    (b"", "empty.pdf", "This file is empty."),
    (png_declaring(20000, 20000), "bomb.png", "million pixels"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "could not be read"),
    (pdf_bytes(b"x" * 10 * MB), "big.pdf", "up to 10 MB"),
], ids=["text", "empty", "bomb", "corrupt", "too-big"])
def test_unsafe_or_unreadable_files_are_refused(client: FlaskClient, content: bytes,
                                                filename: str, words: str) -> None:
    amy = make_person(client)
    response = upload(client, amy, content, filename=filename)
    assert response.status_code == 422, response.json
    assert response.json is not None
    assert response.json["error"] == "attachment_rejected"
    assert words in response.json["message"]
    assert listed(client, amy) == []


def test_a_body_over_the_request_limit_is_413_and_stores_nothing(client: FlaskClient) -> None:
    amy = make_person(client)
    response = upload(client, amy, pdf_bytes(b"x" * 13 * MB))
    assert response.status_code == 413
    assert response.json is not None
    assert response.json["error"] == "too_large"
    assert listed(client, amy) == []


@pytest.mark.parametrize(("data", "field"), [
    ({"section": "health_plan"}, "file"),
    ({"file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")}, "section"),
    ({"section": "nowhere", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")}, "section"),
    ({"section": "health_plan", "tier": "X", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")}, "tier"),
    ({"section": "journal", "tier": "E", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")}, "tier"),
    ({"section": "health_plan", "colour": "red", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
     "colour"),
], ids=["no-file", "no-section", "bad-section", "bad-tier", "fixed-tier", "unknown-field"])
def test_bad_forms_are_422_with_the_field(client: FlaskClient, data: dict[str, Any],
                                          field: str) -> None:
    amy = make_person(client)
    response = client.post(url(amy), data=data, headers=amy.auth,
                           content_type="multipart/form-data")
    assert response.status_code == 422, response.json
    assert response.json is not None
    assert response.json["field"] == field
    assert listed(client, amy) == []


def test_list_by_section(client: FlaskClient) -> None:
    amy = make_person(client)
    plan = uploaded(client, amy, pdf_bytes(), section="health_plan")
    allergy = uploaded(client, amy, pdf_bytes(), section="allergies")
    assert [a["id"] for a in listed(client, amy)] == [allergy["id"], plan["id"]]
    assert [a["id"] for a in listed(client, amy, "?section=health_plan")] == [plan["id"]]
    assert client.get(url(amy) + "?section=nowhere", headers=amy.auth).status_code == 422


def test_another_persons_attachment_is_404(client: FlaskClient) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    bobs = uploaded(client, bob, pdf_bytes())
    for path in (url(bob), url(bob, bobs["id"]), url(bob, bobs["id"], "content"),
                 url(amy, bobs["id"]), url(amy, bobs["id"], "content")):
        response = client.get(path, headers=amy.auth)
        assert response.status_code == 404, path
        assert response.json is not None
        assert response.json["error"] == "not_found"
    for path in (url(bob, bobs["id"]), url(amy, bobs["id"])):
        assert client.delete(path, headers=amy.auth).status_code == 404
    assert upload(client, amy, pdf_bytes(), filename="a.pdf").status_code == 201
    assert client.post(url(bob), headers=amy.auth, content_type="multipart/form-data", data={
        "section": "health_plan", "file": (io.BytesIO(pdf_bytes()), "a.pdf")}).status_code == 404
    assert [a["id"] for a in listed(client, bob)] == [bobs["id"]]


def test_read_only_token_cannot_upload_or_delete(client: FlaskClient) -> None:
    amy = make_person(client)
    made = uploaded(client, amy, pdf_bytes())
    reader = replace(amy, token=_token_for(client, amy, scopes=["read"]))
    assert upload(client, reader, pdf_bytes()).status_code == 403
    assert client.delete(url(reader, made["id"]), headers=reader.auth).status_code == 403
    assert client.get(url(reader, made["id"], "content"), headers=reader.auth).status_code == 200
    assert [a["id"] for a in listed(client, amy)] == [made["id"]]


def _token_for(client: FlaskClient, person: Person, *, scopes: list[str]) -> str:
    signed = client.post("/api/v1/sessions", json={"login": person.login,
                                                   "passphrase": person.passphrase})
    assert signed.status_code == 201
    made = client.post("/api/v1/tokens", json={
        "name": "read only", "scopes": scopes, "person_ids": [person.person_id],
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    client.delete("/api/v1/sessions")
    assert made.status_code == 201, made.json
    assert made.json is not None
    token: str = made.json["token"]
    return token


def test_deleted_is_404_and_its_bytes_are_gone(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    made = uploaded(client, amy, pdf_bytes())
    assert client.delete(url(amy, made["id"]), headers=amy.auth).status_code == 204
    for path in (url(amy, made["id"]), url(amy, made["id"], "content")):
        assert client.get(path, headers=amy.auth).status_code == 404
    assert client.delete(url(amy, made["id"]), headers=amy.auth).status_code == 404
    with runtime.db.transaction() as session:
        row = session.get(Attachment, made["id"])
        assert (row.ciphertext, row.wrapped_key) == (b"", b"")
        assert row.deleted_at is not None


def test_audit_events_name_no_file(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    made = uploaded(client, amy, pdf_bytes(), filename=f"{CANARY}.pdf")
    client.delete(url(amy, made["id"]), headers=amy.auth)
    with runtime.db.transaction() as session:
        kinds = session.scalars(select(AuditEvent.kind).order_by(AuditEvent.at, AuditEvent.seq))
        assert ["attachment_added", "attachment_deleted"] == [
            k for k in kinds if k.startswith("attachment")]


def test_a_row_moved_to_another_person_fails_to_open(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    uploaded(client, bob, pdf_bytes())  # Bob holds the content key of the same section and tier.
    amys = uploaded(client, amy, pdf_bytes(CANARY.encode()))
    with runtime.db.transaction() as session:
        session.execute(update(Attachment).where(Attachment.id == amys["id"])
                        .values(person_id=bob.person_id))
    response = client.get(url(bob, amys["id"], "content"), headers=bob.auth)
    assert response.status_code >= 400
    assert response.mimetype == "application/json"
    assert CANARY.encode() not in response.data


@pytest.mark.commits  # The database's own files are searched: the rows must be in them.
def test_the_file_name_never_reaches_the_database(client: FlaskClient, runtime: Any,
                                                  instance_path: Path) -> None:
    amy = make_person(client)
    photo = uploaded(client, amy, png_with_text(), filename=f"{CANARY} scan.png")
    uploaded(client, amy, pdf_bytes(), filename=f"{CANARY}.pdf")
    needle = CANARY.encode()
    if runtime.db.engine.dialect.name == "sqlite":
        files = [p for p in instance_path.iterdir() if p.name.startswith("tellonce.db")]
        # The search would prove nothing if the rows were not in these files.
        assert any(photo["id"].encode() in p.read_bytes() for p in files)
        found = [p.name for p in files if needle in p.read_bytes()]
        assert found == []
    else:
        with runtime.db.transaction() as session:
            rows = session.execute(text("SELECT * FROM attachments")).all()
            assert len(rows) == 2
            assert needle not in repr(rows).encode()
            assert all(needle not in bytes(value) for row in rows for value in row
                       if isinstance(value, bytes | memoryview))


def test_a_large_upload_never_touches_the_disk(client: FlaskClient, app: Flask,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Werkzeug would spool a 2 MB upload to a temporary file; the app keeps it in memory."""
    amy = make_person(client)
    opened: list[str] = []
    # A temporary file on Linux may have no name at all (O_TMPFILE), so a directory listing
    # alone could miss it: watch the calls too. The real functions still run.
    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        real = getattr(tempfile, name)
        monkeypatch.setattr(tempfile, name, _recording(real, name, opened))
    tmp = Path(tempfile.gettempdir())
    before = set(os.listdir(tmp))
    made = uploaded(client, amy, pdf_bytes(secrets.token_bytes(2 * MB)))
    assert made["size"] > 2 * MB
    assert opened == []
    assert set(os.listdir(tmp)) - before == set()
    assert app.request_class.__name__ == "InMemoryRequest"


def _recording(real: Any, name: str, opened: list[str]) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        opened.append(name)
        return real(*args, **kwargs)
    return call


def test_openapi_documents_the_upload(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc is not None
    post = doc["paths"]["/api/v1/people/{person_id}/attachments"]["post"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    schema = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]] if "$ref" in body \
        else body
    assert schema["properties"]["file"]["format"] == "binary"
    assert "section" in schema["properties"]
    assert {"401", "403", "404", "413", "422"} <= set(post["responses"])
    content = doc["paths"]["/api/v1/people/{person_id}/attachments/{attachment_id}/content"]
    assert set(content["get"]["responses"]["200"]["content"]) == {
        "application/pdf", "image/jpeg", "image/png"}
