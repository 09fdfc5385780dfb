"""The shape every shared IPS bundle must have, checked from the bundle alone.

Tests of real links call this on whatever another library decrypted, so it takes only the bundle
dict and restates every constant itself rather than importing it from consent.ips: a typo on either
side then shows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

LOINC = "http://loinc.org"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
TIER_SYSTEM = "urn:tellonce:tier"
RECORD_CONTENT_TYPE = "application/vnd.tellonce.record+json"
# Medications, allergies and problems: the sections IPS requires in every summary.
REQUIRED_SECTIONS = ("10160-0", "48765-2", "11450-4")
# Tier letter -> HL7 confidentiality code. P is absent: nothing private is ever shared.
CONFIDENTIALITY_OF_TIER = {"E": "N", "C": "R", "S": "V"}
WRITTEN_BY = {"the person", "a supporter", "imported from a file"}
FIELD_KEYS = {"name", "label", "tier", "type", "value"}


def check_ips_shape(bundle: dict[str, Any]) -> None:
    """Assert that ``bundle`` is a Tell Once IPS document bundle; see the module docstring."""
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "document"
    resources = [entry["resource"] for entry in bundle["entry"]]
    composition = resources[0]
    assert composition["resourceType"] == "Composition"
    _check_required_sections(composition)
    _check_references(bundle)
    for resource in resources:
        _check_tier(resource)
    _check_record(resources)


def _check_required_sections(composition: dict[str, Any]) -> None:
    by_code = {
        coding["code"]: section
        for section in composition["section"]
        for coding in section.get("code", {}).get("coding", [])
        if coding.get("system") == LOINC
    }
    for code in REQUIRED_SECTIONS:
        section = by_code.get(code)
        assert section is not None, f"no section with LOINC {code}"
        assert section.get("entry") or section.get("emptyReason"), f"section {code} says nothing"


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference":
                yield inner
            else:
                yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def _check_references(bundle: dict[str, Any]) -> None:
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls), "fullUrls repeat"
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    for reference in _references(bundle):
        assert reference.startswith("urn:uuid:"), reference
        assert reference in full_urls, f"{reference} resolves to nothing in the bundle"


def _check_tier(resource: dict[str, Any]) -> None:
    security = resource.get("meta", {}).get("security", [])
    tiers = [c["code"] for c in security if c.get("system") == TIER_SYSTEM]
    labels = [c["code"] for c in security if c.get("system") == CONFIDENTIALITY]
    where = f"{resource['resourceType']}/{resource.get('id')}"
    assert len(tiers) == 1, f"{where} has no single tier"
    assert len(labels) == 1, f"{where} has no single confidentiality label"
    assert tiers[0] in CONFIDENTIALITY_OF_TIER, f"{where} has tier {tiers[0]}"
    assert labels[0] == CONFIDENTIALITY_OF_TIER[tiers[0]], f"{where}: {labels[0]} for tier {tiers[0]}"


def _check_record(resources: list[dict[str, Any]]) -> None:
    records = [
        content["attachment"]
        for resource in resources
        if resource["resourceType"] == "DocumentReference"
        for content in resource["content"]
        if content["attachment"].get("contentType") == RECORD_CONTENT_TYPE
    ]
    assert len(records) == 1, f"{len(records)} shared records in the bundle"
    check_shared_record(json.loads(base64.b64decode(records[0]["data"], validate=True)))


def check_shared_record(record: dict[str, Any]) -> None:
    """Assert the shape of the project's own shared-record JSON."""
    assert record["format"] == "tellonce-shared-record"
    assert record["version"] == 1
    assert isinstance(record["label"], str)
    assert record["made_at"].endswith("Z")
    names = [section["name"] for section in record["sections"]]
    assert len(set(names)) == len(names)
    if "future_plans" in names:
        assert names[0] == "future_plans", "emergency and future care plans must come first"
    rest = [section["number"] for section in record["sections"] if section["name"] != "future_plans"]
    assert rest == sorted(rest)
    for section in record["sections"]:
        assert {"name", "number", "title", "items"} <= set(section)
        for item in section["items"]:
            _check_record_item(item)


def _check_record_item(item: dict[str, Any]) -> None:
    assert {"id", "version", "written_by", "provenance", "updated_at", "fields"} <= set(item)
    assert item["written_by"] in WRITTEN_BY
    assert item["fields"], "an item with nothing in it is never shared"
    for field in item["fields"]:
        assert FIELD_KEYS <= set(field)
        assert field["tier"] in CONFIDENTIALITY_OF_TIER, f"field {field['name']} has tier {field['tier']}"
        if field["type"] == "list":
            assert all({"name", "label", "type"} <= set(sub) for sub in field["item_fields"])
            assert all(isinstance(row, dict) for row in field["value"])
