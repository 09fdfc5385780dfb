"""Import in the vault: bad documents name the problem and change nothing; the schema covers every section."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.unit.vault.records import MAX_BYTES, NOW, Vault, fill_record
from vault.errors import InvalidEntry
from vault.export import FORMAT, VERSION, export_person
from vault.export_schema import document_schema
from vault.imports import import_person
from vault.models import Attachment, Entry, EntryVersion
from vault.sections import SECTIONS


def bad_documents(good: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(what is wrong, the document, the field path the error must name)."""
    def changed(edit: Any) -> dict[str, Any]:
        doc = copy.deepcopy(good)
        edit(doc)
        return doc

    yield "not an object", [good], ""
    yield "wrong format", changed(lambda d: d.update(format="other-export")), "format"
    yield "wrong version", changed(lambda d: d.update(version=2)), "version"
    yield "true as version", changed(lambda d: d.update(version=True)), "version"
    yield "unknown key", changed(lambda d: d.update(extra=1)), "extra"
    yield "missing key", changed(lambda d: d.pop("entries")), "entries"
    yield "unknown entry key", changed(lambda d: d["entries"][0].update(colour="red")), \
        "entries[0].colour"
    yield "bad entry data", changed(
        lambda d: d["entries"][0]["versions"][0]["data"].update(nmae="x")), \
        "entries[0].versions[0].data.nmae"
    yield "wrong type in data", changed(
        lambda d: d["entries"][0]["versions"][0]["data"].update(psychotropic="yes")), \
        "entries[0].versions[0].data.psychotropic"
    yield "bad tier", changed(
        lambda d: d["entries"][0]["versions"][0]["tiers"].update(name="Z")), \
        "entries[0].versions[0].tiers.name"
    yield "unknown section", changed(lambda d: d["entries"][0].update(section="nope")), \
        "entries[0].section"
    yield "versions out of order", changed(
        lambda d: d["entries"][0]["versions"][1].update(version=3)), "entries[0].versions[1].version"
    yield "deleted flag that disagrees", changed(lambda d: d["entries"][0].update(deleted=True)), \
        "entries[0].deleted"
    yield "string for deleted", changed(lambda d: d["entries"][0].update(deleted="no")), \
        "entries[0].deleted"
    yield "time without zone", changed(
        lambda d: d["entries"][0].update(created_at="2026-03-01T09:01:00")), "entries[0].created_at"
    yield "time in the future", changed(lambda d: d.update(exported_at="2099-01-01T00:00:00+00:00")), \
        "exported_at"
    yield "huge provenance", changed(
        lambda d: d["entries"][0]["versions"][0].update(provenance="x" * 100_000)), \
        "entries[0].versions[0].provenance"
    yield "huge text", changed(
        lambda d: d["entries"][0]["versions"][0]["data"].update(name="x" * 1_000_000)), \
        "entries[0].versions[0].data.name"
    yield "bad author role", changed(
        lambda d: d["entries"][0]["versions"][0].update(author_role="doctor")), \
        "entries[0].versions[0].author_role"
    yield "not base64", changed(lambda d: d["attachments"][0].update(content_base64="***")), \
        "attachments[0].content_base64"
    yield "file too big", changed(lambda d: d["attachments"][0].update(
        content_base64=base64.b64encode(b"%PDF-" + b"x" * MAX_BYTES).decode())), \
        "attachments[0].content_base64"
    yield "not a kept file type", changed(lambda d: d["attachments"][0].update(
        content_base64=base64.b64encode(b"MZ an executable").decode())), "attachments[0].file"
    yield "empty name", changed(lambda d: d["person"].update(preferred_name=" ")), \
        "person.preferred_name"


def test_bad_documents_name_the_problem_and_write_nothing(vault: Vault) -> None:
    keys_a, amy = vault.new_record("amybad", "Amy")
    fill_record(vault.session, keys_a, amy)
    good = export_person(vault.session, keys_a, amy, now=NOW)
    keys_b, fresh = vault.new_record("amybadtarget", "Fresh")
    vault.session.commit()
    for what, document, path in bad_documents(good):
        with pytest.raises(InvalidEntry) as caught:
            import_person(vault.session, keys_b, fresh, document, now=NOW, max_bytes=MAX_BYTES)
        assert (caught.value.field or "") == path, (what, caught.value.field, caught.value.message)
        assert caught.value.message, what
        assert len(caught.value.message) < 400, what  # Never the whole payload echoed back.
        vault.session.rollback()
        for model in (Entry, EntryVersion, Attachment):
            assert vault.count(model, fresh) == 0, what


def test_a_late_failure_leaves_nothing_after_rollback(vault: Vault) -> None:
    """Entries are written before attachments; a bad file at the end still undoes them."""
    keys_a, amy = vault.new_record("amylate", "Amy")
    fill_record(vault.session, keys_a, amy)
    document = export_person(vault.session, keys_a, amy, now=NOW)
    # A PNG that starts right but cannot be decoded passes the document checks and fails
    # only when the vault cleans the picture, after every entry has been written.
    document["attachments"][0]["content_base64"] = base64.b64encode(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40).decode()
    keys_b, fresh = vault.new_record("amylatetarget", "Fresh")
    vault.session.commit()
    with pytest.raises(InvalidEntry):
        import_person(vault.session, keys_b, fresh, document, now=NOW, max_bytes=MAX_BYTES)
    vault.session.rollback()
    assert vault.count(Entry, fresh) == 0
    assert vault.count(Attachment, fresh) == 0


def one_entry(section: str, data: dict[str, Any], *, exported_at: str) -> dict[str, Any]:
    """A document of one entry in ``section``, with one version holding ``data``."""
    at = NOW.isoformat()
    version = {"version": 1, "created_at": at, "author_role": "subject", "provenance": None,
               "data": data, "tiers": {}, "deleted": False}
    return {"format": FORMAT, "version": VERSION, "exported_at": exported_at,
            "person": {"preferred_name": "Amy"},
            "entries": [{"section": section, "created_at": at, "deleted": False,
                         "versions": [version]}],
            "attachments": [], "audit": {"head": {"seq": 1, "hash": "0" * 64}}}


@pytest.mark.parametrize("section", list(SECTIONS))
def test_the_schema_refuses_an_unknown_box_in_every_section(vault: Vault, section: str) -> None:
    """The document's schema holds every section's data, not only the sections tried above.

    Each document also says it was exported tomorrow. That time is checked after the schema, and
    the section's own validate_entry after that, so a section the schema left out would be
    refused for the time instead.
    """
    keys, fresh = vault.new_record(f"amy{section.replace('_', '')}", "Amy")
    tomorrow = (NOW + timedelta(days=1)).isoformat()
    with pytest.raises(InvalidEntry) as caught:
        import_person(vault.session, keys, fresh, one_entry(section, {"text": "My words."},
                                                            exported_at=tomorrow),
                      now=NOW, max_bytes=MAX_BYTES)
    assert caught.value.field == "exported_at"  # The document is otherwise valid.

    document = one_entry(section, {"text": "My words.", "not_a_box": "x"}, exported_at=tomorrow)
    with pytest.raises(InvalidEntry) as caught:
        import_person(vault.session, keys, fresh, document, now=NOW, max_bytes=MAX_BYTES)
    assert caught.value.field == "entries[0].versions[0].data.not_a_box", caught.value.message
    assert caught.value.code == "invalid_entry"


@pytest.mark.parametrize(("edit", "path"), [
    pytest.param(lambda d: d.update(version=1.0), "version", id="version"),
    pytest.param(lambda d: d["audit"]["head"].update(seq=1.0), "audit.head.seq", id="seq"),
    pytest.param(lambda d: d["entries"][0]["versions"][0].update(version=1.0),
                 "entries[0].versions[0].version", id="version number"),
])
def test_a_number_with_a_decimal_point_is_not_a_whole_number(
    vault: Vault, edit: Any, path: str
) -> None:
    keys, fresh = vault.new_record("amywhole", "Amy")
    document = one_entry("journal", {"text": "My words."}, exported_at=NOW.isoformat())
    edit(document)
    with pytest.raises(InvalidEntry) as caught:
        import_person(vault.session, keys, fresh, document, now=NOW, max_bytes=MAX_BYTES)
    assert caught.value.field == path


def test_the_document_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(document_schema())
