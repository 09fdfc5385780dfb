"""The IPS document bundle a share carries: valid FHIR R4, the IPS shape, tiers, escaping, canaries."""

from __future__ import annotations

import base64
import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.ips import build_bundle, bundle_json, prepare_bundle, write_json
from consent.share_content import SharedItem, select_items, shared_record
from consent.templates import TEMPLATES, Inclusion, ShareScope
from tests.ips_checks import check_ips_shape
from tests.unit.consent.entry_views import (
    BUNDLE_ID,
    DEMO_LOGINS,
    MADE_AT,
    Planted,
    demo_views,
    planted_record,
    view,
    why_left_out,
)
from vault.entries import EntryView
from vault.sections import SECTIONS, Field, FieldType, Tier

ABSENT = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
NARRATIVE_TAGS = {"div", "p", "b", "ul", "li", "br"}
MARKUP = "<img src=x onerror=alert(1)>"


def bundle_for(
    entries: list[EntryView], share_scope: ShareScope, label: str = "Dr A Patel"
) -> dict[str, Any]:
    items = select_items(entries, share_scope)
    return build_bundle(items, label=label, made_at=MADE_AT, bundle_id=BUNDLE_ID)


def template_bundle(login: str, template: str) -> dict[str, Any]:
    return bundle_for(demo_views(login), ShareScope.from_template(TEMPLATES[template]))


def validate(bundle: dict[str, Any]) -> None:
    """Valid FHIR R4 (R4B models) and the Tell Once IPS shape."""
    Bundle.model_validate(bundle)
    check_ips_shape(bundle)


def resources(bundle: dict[str, Any], resource_type: str | None = None) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]
            if resource_type is None or e["resource"]["resourceType"] == resource_type]


def section(bundle: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in bundle["entry"][0]["resource"]["section"]
                if s.get("code", {}).get("coding", [{}])[0].get("code") == code)


def by_reference(bundle: dict[str, Any], reference: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference)


def tier_of(resource: dict[str, Any]) -> str:
    return str(next(c["code"] for c in resource["meta"]["security"] if c["system"] == "urn:tellonce:tier"))


def record_of(bundle: dict[str, Any]) -> dict[str, Any]:
    [doc] = [r for r in resources(bundle, "DocumentReference")
             if r["content"][0]["attachment"].get("contentType") == "application/vnd.tellonce.record+json"]
    decoded: dict[str, Any] = json.loads(base64.b64decode(doc["content"][0]["attachment"]["data"]))
    return decoded


def walk(value: Any, key: str) -> Iterator[Any]:
    """Every value stored under ``key``, anywhere in ``value``."""
    if isinstance(value, dict):
        for k, inner in value.items():
            if k == key:
                yield inner
            yield from walk(inner, key)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner, key)


def everything(bundle: dict[str, Any]) -> str:
    """The bundle's JSON and every attachment it carries, decoded."""
    decoded = [base64.b64decode(a["data"]).decode() for a in walk(bundle, "attachment") if "data" in a]
    return "\n".join([json.dumps(bundle, ensure_ascii=False), *decoded])


# ---------------------------------------------------------------------------------------------------
# Valid for every demo person, every template, and an empty record
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", list(TEMPLATES))
@pytest.mark.parametrize("login", DEMO_LOGINS)
def test_demo_bundles_are_valid(login: str, template: str) -> None:
    validate(template_bundle(login, template))


def test_an_empty_record_still_makes_a_valid_summary() -> None:
    bundle = bundle_for([], ShareScope.from_template(TEMPLATES["gp"]))
    validate(bundle)
    for code, absent in (("10160-0", "no-medication-info"), ("48765-2", "no-allergy-info"),
                         ("11450-4", "no-problem-info")):
        [ref] = section(bundle, code)["entry"]
        resource = by_reference(bundle, ref["reference"])
        assert absent in [c["code"] for c in walk(resource, "coding") for c in c if c["system"] == ABSENT]
    assert record_of(bundle)["sections"] == []
    assert not resources(bundle, "Patient")[0].get("name")


OTHER_BUNDLE_ID = "0e3b6a1c-9c4d-4f59-8f1e-2d3c4b5a6978"


def _points_at_its_own_patient(bundle: dict[str, Any]) -> bool:
    [patient] = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    return all(ref == {"reference": patient} for resource in resources(bundle)
               for key in ("subject", "patient") if (ref := resource.get(key)) is not None)


@pytest.mark.parametrize("with_identity", [True, False], ids=["identified", "unidentified"])
@pytest.mark.parametrize("login", DEMO_LOGINS)
def test_one_prepared_bundle_writes_each_links_own_bundle(login: str, with_identity: bool) -> None:
    """An edit builds the items of a scope once for all its links (consent.sharing): each link's
    bundle is exactly the one built for it alone, whichever bundles were written before it."""
    sections = {name: Inclusion.FULL for name in SECTIONS if SECTIONS[name].fixed_tier is not Tier.P}
    if not with_identity:
        del sections["identity"]
    items = select_items(demo_views(login), ShareScope(sections=sections, ceiling=Tier.C))
    prepared = prepare_bundle(items)
    written = [(bundle_id, label, bundle_json(prepared, label=label, made_at=MADE_AT, bundle_id=bundle_id))
               for bundle_id, label in ((BUNDLE_ID, "GP"), (OTHER_BUNDLE_ID, "Ward 7"), (BUNDLE_ID, "GP"))]
    for bundle_id, label, data in written:
        alone = bundle_json(prepare_bundle(items), label=label, made_at=MADE_AT, bundle_id=bundle_id)
        assert data == alone
        assert _points_at_its_own_patient(json.loads(data))
    assert written[0][2] != written[1][2]


_JSON_TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["</script>", "\u2028\u2029", "\x00\x1f\x7f", "é ü 汉字 😀", '"quoted" \\ back', "\n\t\r"])
# Whole numbers only: a record holds no floats (vault.sections validates every number).
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None, database=None)
@given(_JSON)
def test_copies_are_written_as_the_standard_library_writes_them(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert write_json(value) == expected


def test_a_whole_demo_bundle_is_written_as_the_standard_library_writes_it() -> None:
    bundle = template_bundle("rosie", "gp")
    expected = json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert write_json(bundle) == expected


def test_the_bundle_is_deterministic() -> None:
    entries = demo_views("dennis")
    first = json.dumps(template_bundle("dennis", "hospital_ward"), sort_keys=True)
    again = bundle_for(list(reversed(entries)), ShareScope.from_template(TEMPLATES["hospital_ward"]))
    assert json.dumps(again, sort_keys=True) == first


def test_entry_resource_ids_follow_the_entry_and_its_version() -> None:
    entries = demo_views("rosie")
    share_scope = ShareScope.from_template(TEMPLATES["gp"])
    items = select_items(entries, share_scope)
    first = build_bundle(items, label="GP", made_at=MADE_AT, bundle_id=BUNDLE_ID)
    later = build_bundle(items, label="GP", made_at=datetime(2027, 1, 1, tzinfo=MADE_AT.tzinfo),
                         bundle_id=OTHER_BUNDLE_ID)
    meds = {r["id"] for r in resources(first, "MedicationStatement")}
    assert meds == {r["id"] for r in resources(later, "MedicationStatement")}
    edited = [dataclasses.replace(i, version=i.version + 1) for i in items]
    rebuilt = build_bundle(edited, label="GP", made_at=MADE_AT, bundle_id=BUNDLE_ID)
    assert meds.isdisjoint({r["id"] for r in resources(rebuilt, "MedicationStatement")})


@pytest.mark.parametrize("bundle_id", ["not-a-uuid", ""])
def test_the_bundle_id_must_be_a_uuid(bundle_id: str) -> None:
    with pytest.raises(ValueError, match="hexadecimal UUID"):
        build_bundle([], label="GP", made_at=MADE_AT, bundle_id=bundle_id)


def test_made_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_bundle([], label="GP", made_at=datetime(2026, 1, 1), bundle_id=BUNDLE_ID)  # noqa: DTZ001


# ---------------------------------------------------------------------------------------------------
# The document and the person
# ---------------------------------------------------------------------------------------------------


def test_composition_names_the_person_as_author_and_claims_no_clinician() -> None:
    bundle = template_bundle("rosie", "gp")
    composition = bundle["entry"][0]["resource"]
    patient_url = bundle["entry"][1]["fullUrl"]
    assert composition["status"] == "final"
    assert composition["type"]["coding"][0] == {
        "system": "http://loinc.org", "code": "60591-5", "display": "Patient summary Document"}
    assert composition["subject"] == {"reference": patient_url}
    assert composition["author"] == [{"reference": patient_url}]
    assert composition["title"] == "Tell Once record shared with Dr A Patel"
    assert "No clinician wrote it or checked it" in composition["text"]["div"]
    assert bundle["identifier"]["value"] == f"urn:uuid:{BUNDLE_ID}"
    assert bundle["timestamp"] == composition["date"] == "2026-11-23T14:02:00Z"


def test_patient_details_come_from_the_shared_identity() -> None:
    patient = resources(template_bundle("rosie", "gp"), "Patient")[0]
    assert patient["name"] == [{"use": "official", "text": "Rosie Grace Adebayo"},
                               {"use": "usual", "text": "Rosie"}]
    assert patient["birthDate"] == "2004-05-14"
    assert patient["identifier"] == [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9994127381"}]
    assert [c["language"]["text"] for c in patient["communication"]] == ["English", "Makaton (some signs)"]
    assert patient["generalPractitioner"] == [{"display": "Fernlea Surgery, Ashby Vale"}]
    assert tier_of(patient) == "C"  # Pronouns and the GP practice are C.


def test_an_emergency_patient_holds_only_e_fields() -> None:
    bundle = template_bundle("rosie", "emergency")
    patient = resources(bundle, "Patient")[0]
    assert tier_of(patient) == "E"
    assert "generalPractitioner" not in patient
    assert "she/her" not in everything(bundle)
    assert {tier_of(r) for r in resources(bundle)} == {"E"}


def test_without_identity_the_patient_says_nothing_about_who_it_is() -> None:
    share_scope = ShareScope(sections={"medicines": Inclusion.FULL}, ceiling=Tier.C)
    bundle = bundle_for(demo_views("rosie"), share_scope)
    validate(bundle)
    patient = resources(bundle, "Patient")[0]
    assert set(patient) == {"resourceType", "id", "meta", "text"}
    for detail in ("9994127381", "Adebayo", "2004-05-14", "Fernlea"):
        assert detail not in everything(bundle)


# ---------------------------------------------------------------------------------------------------
# Sections and resources
# ---------------------------------------------------------------------------------------------------


def test_none_known_and_not_known_allergies_are_told_apart() -> None:
    share_scope = ShareScope(sections={"allergies": Inclusion.FULL}, ceiling=Tier.E)
    for status, code in (("none_known", "no-known-allergies"), ("not_known", "no-allergy-info")):
        bundle = bundle_for([view("allergies", {"status": status})], share_scope)
        validate(bundle)
        [ref] = section(bundle, "48765-2")["entry"]
        [coding] = by_reference(bundle, ref["reference"])["code"]["coding"]
        assert (coding["system"], coding["code"]) == (ABSENT, code)


def test_helen_has_no_known_allergies() -> None:
    bundle = template_bundle("helen", "gp")
    [ref] = section(bundle, "48765-2")["entry"]
    allergy = by_reference(bundle, ref["reference"])
    assert allergy["code"]["coding"][0]["code"] == "no-known-allergies"
    assert allergy["note"] == [{"text": "No allergies that I or my GP know of."}]


def test_a_known_allergy_keeps_the_persons_words() -> None:
    bundle = template_bundle("rosie", "hospital_ward")
    [ref] = section(bundle, "48765-2")["entry"]
    allergy = by_reference(bundle, ref["reference"])
    assert allergy["code"] == {"text": "Penicillin"}
    assert allergy["reaction"] == [{"manifestation": [{"text": "Itchy red rash all over my body"}],
                                    "severity": "moderate"}]


def test_medicines_keep_name_dose_reason_and_plans_as_text() -> None:
    bundle = template_bundle("rosie", "gp")
    statements = {r["medicationCodeableConcept"]["text"]: r for r in resources(bundle, "MedicationStatement")}
    risperidone = statements["Risperidone"]
    assert "coding" not in risperidone["medicationCodeableConcept"]
    assert risperidone["reasonCode"][0]["text"].startswith("Started at school when I was hitting out")
    assert "How much I take: 0.5 mg" in risperidone["dosage"][0]["text"]
    midazolam = statements["Buccal midazolam"]
    assert "asNeededCodeableConcept" in midazolam["dosage"][0]
    refs = {ref["reference"] for ref in section(bundle, "10160-0")["entry"]}
    assert refs == {f"urn:uuid:{r['id']}" for r in statements.values()}


def test_an_emergency_plan_is_a_care_plan_for_its_condition() -> None:
    bundle = template_bundle("rosie", "emergency")
    [plan] = [r for r in resources(bundle, "CarePlan") if r.get("addresses")]
    condition = by_reference(bundle, plan["addresses"][0]["reference"])
    assert condition["code"] == {"text": "Epilepsy"}
    assert "buccal midazolam" in plan["description"]
    assert {"reference": f"urn:uuid:{plan['id']}"} in section(bundle, "18776-5")["entry"]


def test_future_plans_come_first_as_advance_directives() -> None:
    bundle = template_bundle("dennis", "gp")
    composition = bundle["entry"][0]["resource"]
    assert composition["section"][0]["code"]["coding"][0]["code"] == "42348-3"
    documents = [by_reference(bundle, ref["reference"]) for ref in composition["section"][0]["entry"]]
    assert {d["resourceType"] for d in documents} == {"DocumentReference"}
    assert all(d["content"][0]["attachment"].get("contentType") != "application/vnd.tellonce.record+json"
               for d in documents)
    assert record_of(bundle)["sections"][0]["name"] == "future_plans"


def test_communication_adjustments_and_upsets_are_flags_in_one_section() -> None:
    bundle = template_bundle("rosie", "gp")
    alerts = [by_reference(bundle, ref["reference"]) for ref in section(bundle, "104605-1")["entry"]]
    assert {r["resourceType"] for r in alerts} == {"Flag"}
    categories = {r["category"][0]["coding"][0]["code"] for r in alerts}
    assert {"contact", "behavioral", "safety", "diet"} <= categories
    choking = [r for r in alerts if "I am at risk of choking" in r["code"]["text"]]
    assert choking
    assert tier_of(choking[0]) == "E"


def test_other_sections_appear_when_shared() -> None:
    bundle = template_bundle("rosie", "gp")
    codes = {s.get("code", {}).get("coding", [{}])[0].get("code") for s in
             bundle["entry"][0]["resource"]["section"]}
    assert {"47420-5", "29762-2", "18776-5"} <= codes
    titles = {s["title"] for s in bundle["entry"][0]["resource"]["section"]}
    assert {"People in my life", "The whole shared record"} <= titles


def test_every_section_has_generated_narrative() -> None:
    bundle = template_bundle("dennis", "hospital_ward")
    for part in bundle["entry"][0]["resource"]["section"]:
        assert part["text"]["status"] == "generated"
        assert part["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')


# ---------------------------------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------------------------------


def test_a_resource_carries_its_highest_tier() -> None:
    bundle = template_bundle("rosie", "gp")
    adjustments = next(r for r in resources(bundle, "Flag") if "Easy read" in r["code"]["text"])
    assert tier_of(adjustments) == "C"  # Everything is E but "why I need these changes".
    security = {c["system"]: c["code"] for c in adjustments["meta"]["security"]}
    assert security == {"http://terminology.hl7.org/CodeSystem/v3-Confidentiality": "R",
                        "urn:tellonce:tier": "C"}


def test_a_ticked_sensitive_item_is_labelled_very_restricted() -> None:
    entries = demo_views("rosie")
    [history] = [e for e in entries if e.section == "sensitive_history"]
    share_scope = ShareScope(sections={"sensitive_history": Inclusion.FULL}, ceiling=Tier.C,
                             s_items=frozenset({history.id}))
    bundle = bundle_for(entries, share_scope)
    validate(bundle)
    [part] = [s for s in bundle["entry"][0]["resource"]["section"] if s["title"] == "Sensitive history"]
    [condition] = [by_reference(bundle, ref["reference"]) for ref in part["entry"]]
    assert condition["resourceType"] == "Condition"
    assert tier_of(condition) == "S"
    assert bundle["entry"][0]["resource"]["confidentiality"] == "V"
    assert tier_of(bundle) == "S"


def test_unticked_sensitive_history_is_nowhere() -> None:
    entries = demo_views("rosie")
    [history] = [e for e in entries if e.section == "sensitive_history"]
    share_scope = ShareScope(sections={"sensitive_history": Inclusion.FULL}, ceiling=Tier.C)
    text = everything(bundle_for(entries, share_scope))
    assert all(str(value) not in text for value in history.data.values())


# ---------------------------------------------------------------------------------------------------
# Markup from the record is only ever text
# ---------------------------------------------------------------------------------------------------


def marked_up(section_name: str) -> dict[str, Any]:
    """Every text a section can hold set to markup; other fields get plain valid values."""
    def value(f: Field) -> Any:
        if f.type in (FieldType.TEXT, FieldType.STRING):
            return MARKUP
        if f.type is FieldType.STRINGS:
            return [MARKUP]
        if f.type is FieldType.LIST:
            return [{sub.name: value(sub) for sub in f.item_fields}]
        if f.type is FieldType.CHOICE:
            return f.choices[0]
        return {FieldType.DATE: "2026-01-01", FieldType.BOOLEAN: True, FieldType.INTEGER: 3}[f.type]

    data = {f.name: value(f) for f in SECTIONS[section_name].fields}
    return {k: v for k, v in data.items() if k != "nhs_number"}


def test_markup_in_every_field_is_escaped_in_every_narrative() -> None:
    shared = [name for name, s in SECTIONS.items() if s.fixed_tier is None]
    entries = [
        view(name, marked_up(name), {f.name: "E" for f in SECTIONS[name].fields}, entry_id=f"e{i}")
        for i, name in enumerate(shared)
    ]
    entries.append(view("sensitive_history", marked_up("sensitive_history"), entry_id="s"))
    share_scope = ShareScope(sections=dict.fromkeys(SECTIONS, Inclusion.FULL), ceiling=Tier.C,
                             s_items=frozenset({"s"}))
    bundle = bundle_for(entries, share_scope, label=MARKUP)
    validate(bundle)
    divs = list(walk(bundle, "div"))
    assert len(divs) > len(entries)
    for div in divs:
        assert "<img" not in div
        tags = {element.tag.split("}")[-1] for element in ET.fromstring(div).iter()}  # noqa: S314
        assert tags <= NARRATIVE_TAGS
    assert all("&lt;img src=x onerror=alert(1)&gt;" in div for div in
               (bundle["entry"][0]["resource"]["text"]["div"], *(s["text"]["div"] for s in
                bundle["entry"][0]["resource"]["section"] if s["title"] != "The whole shared record")))


# ---------------------------------------------------------------------------------------------------
# Canaries through the whole bundle
# ---------------------------------------------------------------------------------------------------


CANARY = "cnryfixed01"


@pytest.mark.parametrize(
    ("tier", "inclusion", "ceiling", "ticked", "shared"),
    [
        ("P", Inclusion.FULL, Tier.C, True, False),
        ("S", Inclusion.FULL, Tier.C, False, False),
        ("S", Inclusion.FULL, Tier.E, True, True),
        ("C", Inclusion.FULL, Tier.E, False, False),
        ("C", Inclusion.FULL, Tier.C, False, True),
        ("E", Inclusion.SUMMARY, Tier.C, True, False),
    ],
)
def test_one_canary_through_the_bundle(
    tier: str, inclusion: Inclusion, ceiling: Tier, ticked: bool, shared: bool
) -> None:
    entry = view("medicines", {"name": "Sertraline", "reason": f"Because {CANARY}"}, {"reason": tier})
    share_scope = ShareScope(sections={"medicines": inclusion}, ceiling=ceiling,
                             s_items=frozenset({entry.id} if ticked else ()))
    bundle = bundle_for([entry], share_scope)
    validate(bundle)
    assert (CANARY in everything(bundle)) is shared


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_record())
def test_canaries_through_the_whole_bundle(record: tuple[list[Planted], ShareScope]) -> None:
    planted, share_scope = record
    items = select_items([p.entry for p in planted], share_scope)
    bundle = build_bundle(items, label="GP", made_at=MADE_AT, bundle_id=BUNDLE_ID)
    validate(bundle)
    haystack = everything(bundle)
    for p in planted:
        for name, canaries in p.canaries.items():
            reason = why_left_out(p.entry, name, share_scope)
            for canary in canaries:
                assert (canary in haystack) is (reason is None), f"{p.entry.section}.{name}: {reason}"
    assert record_of(bundle) == shared_record(items, label="GP", made_at=MADE_AT)
    assert all(tier_of(r) != "P" for r in resources(bundle))


def test_shared_items_from_a_list_in_any_order_give_one_bundle() -> None:
    items: list[SharedItem] = select_items(demo_views("helen"), ShareScope.from_template(TEMPLATES["gp"]))
    once = build_bundle(items, label="GP", made_at=MADE_AT, bundle_id=BUNDLE_ID)
    twice = build_bundle(list(items), label="GP", made_at=MADE_AT, bundle_id=BUNDLE_ID)
    assert json.dumps(once, sort_keys=True) == json.dumps(twice, sort_keys=True)
