"""Export and import in the vault: a round trip keeps the content, bad documents change nothing."""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from vault import accounts
from vault import entries as vault_entries
from vault.attachments import store_attachment
from vault.config import VaultConfig
from vault.db import Database
from vault.errors import InvalidEntry
from vault.export import ID_KEYS, comparable, export_person, import_person
from vault.keychain import Keychain
from vault.models import Attachment, Entry, EntryVersion, Person
from vault.people import create_person

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)
MAX_BYTES = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Vault:
    session: Session
    config: VaultConfig

    def new_record(self, login: str, name: str) -> tuple[Keychain, Person]:
        account, unlocked, _code = accounts.create_account(
            self.session, self.config, login=login, email=None,
            passphrase_text="correct orbit lantern quietly", now=T0)
        person = create_person(self.session, self.config, subject=account, preferred_name=name,
                               now=T0)
        return Keychain(self.session, unlocked), person

    def count(self, model: Any, person: Person) -> int:
        return int(self.session.scalar(
            select(func.count()).select_from(model).where(model.person_id == person.id)) or 0)


@pytest.fixture
def vault(app: Flask, database: Database, keyring: Keyring) -> Iterator[Vault]:
    # ``app`` empties every table afterwards, so these rows never reach another test.
    session = database.sessions()
    try:
        yield Vault(session, VaultConfig(keyring=keyring, kdf_params=TEST_PARAMS))
        session.commit()
    finally:
        session.close()


def fill_record(session: Session, keychain: Keychain, person: Person) -> None:
    """Several sections, versions, a deletion, tier overrides, provenance, P and S, files."""
    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    med = vault_entries.create_entry(
        session, keychain, person, section="medicines",
        data={"name": "Lamotrigine", "dose": "100 mg", "reason": "Epilepsy",
              "psychotropic": False,
              "reviews": [{"date": "2026-01-10", "outcome": "Keep it."}]},
        tiers={"reason": "E"}, provenance="Amy says her GP confirmed this.", now=at(1))
    vault_entries.update_entry(
        session, keychain, person, entry_id=med.id,
        data={"name": "Lamotrigine", "dose": "150 mg", "reason": "Epilepsy"},
        tiers={"dose": "C"}, provenance=None, now=at(2))
    vault_entries.update_entry(
        session, keychain, person, entry_id=med.id,
        data={"name": "Lamotrigine", "dose": "200 mg"}, provenance="From the clinic letter.",
        now=at(3))
    gone = vault_entries.create_entry(session, keychain, person, section="allergies",
                                      data={"substance": "Penicillin", "reaction": "A rash"},
                                      now=at(4))
    vault_entries.delete_entry(session, keychain, person, entry_id=gone.id, now=at(5))
    vault_entries.create_entry(session, keychain, person, section="communication",
                               data={"text": "I use Makaton signs."}, now=at(6))
    vault_entries.create_entry(session, keychain, person, section="journal",
                               data={"text": "Private thoughts, mine alone."}, now=at(7))
    vault_entries.create_entry(session, keychain, person, section="sensitive_history",
                               data={"text": "Something hard.", "topic": "trauma"}, now=at(8))
    store_attachment(session, keychain, person, section="identity", tier="E",
                     filename="me.png", content=png(), max_bytes=MAX_BYTES, now=at(9))
    store_attachment(session, keychain, person, section="future_plans", tier="C",
                     filename="ReSPECT form.pdf", content=PDF, max_bytes=MAX_BYTES, now=at(10))


def test_round_trip_keeps_every_section_version_tier_and_file(vault: Vault) -> None:
    keys_a, amy = vault.new_record("amyexport", "Amy")
    fill_record(vault.session, keys_a, amy)
    first = export_person(vault.session, keys_a, amy, now=NOW)

    keys_b, fresh = vault.new_record("amynewhome", "Somebody else")
    counts = import_person(vault.session, keys_b, fresh, copy.deepcopy(first), now=NOW,
                           max_bytes=MAX_BYTES)
    assert counts == {"entries": 5, "versions": 8, "attachments": 2}
    second = export_person(vault.session, keys_b, fresh, now=NOW)

    assert comparable(second) == comparable(first)
    # The comparison is meaningful: it holds the content itself.
    meds = next(e for e in comparable(second)["entries"] if e["section"] == "medicines")
    assert [v["data"].get("dose") for v in meds["versions"]] == ["100 mg", "150 mg", "200 mg"]
    assert meds["versions"][0]["tiers"]["reason"] == "E"
    assert meds["versions"][1]["tiers"]["dose"] == "C"
    assert [v["provenance"] for v in meds["versions"]] == [
        "Amy says her GP confirmed this.", None, "From the clinic letter."]
    allergy = next(e for e in second["entries"] if e["section"] == "allergies")
    assert allergy["deleted"] is True
    assert [v["deleted"] for v in allergy["versions"]] == [False, True]
    files = {a["filename"]: base64.b64decode(a["content_base64"]) for a in second["attachments"]}
    assert files["ReSPECT form.pdf"] == PDF
    assert files["me.png"].startswith(b"\x89PNG")
    assert second["person"]["preferred_name"] == "Amy"
    # What an import must change, and only that.
    assert {v["author_role"] for e in second["entries"] for v in e["versions"]} == {"imported"}
    assert {e["id"] for e in second["entries"]}.isdisjoint({e["id"] for e in first["entries"]})
    assert second["audit"]["head"] != first["audit"]["head"]


def test_the_comparison_drops_only_the_listed_ids(vault: Vault) -> None:
    keys, amy = vault.new_record("amyids", "Amy")
    fill_record(vault.session, keys, amy)
    document = export_person(vault.session, keys, amy, now=NOW)
    assert ID_KEYS == ("person.id", "entries[].id", "attachments[].id")
    changed = copy.deepcopy(document)
    changed["entries"][0]["versions"][0]["data"]["dose"] = "1 g"
    assert comparable(changed) != comparable(document)
    changed = copy.deepcopy(document)
    changed["attachments"][0]["content_base64"] = base64.b64encode(b"%PDF-other").decode()
    assert comparable(changed) != comparable(document)


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
