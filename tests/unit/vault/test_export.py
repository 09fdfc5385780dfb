"""Export in the vault: a round trip through an import keeps the content."""

from __future__ import annotations

import base64
import copy

from tests.unit.vault.records import MAX_BYTES, NOW, PDF, Vault, fill_record
from vault.export import ID_KEYS, comparable, export_person
from vault.imports import import_person


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
