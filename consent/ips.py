"""The FHIR R4 International Patient Summary document that a share link carries.

``build_bundle`` turns shared items into a plain JSON-able Bundle of type "document": a Composition
first, then a Patient and one or more resources per item. The whole readable record also travels
inside, as a DocumentReference holding ``shared_record``'s JSON, so any SMART Health Links viewer can
open the link and Tell Once's own viewer can show everything.

Rules kept throughout:

- Values the person typed stay as text (``code.text``, ``note``, narrative); no code is invented for
  their content. The only codings are the structural ones FHIR and IPS define (LOINC section codes,
  statuses, the IPS "absent or unknown" codes, the emergency contact role).
- Every resource carries its tier in ``meta.security``, as an HL7 confidentiality code and as the
  project's own tier letter; a resource made from fields of several tiers carries the highest.
- Narrative is built from escaped text only: nothing from the record is ever markup.
- Output is a function of the input alone (ids are uuid5 of the entry id and version), so the same
  items give byte-identical JSON and an unchanged copy need not be rewritten.
"""

from __future__ import annotations

import base64
import html
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from consent.share_content import (
    WRITTEN_BY,
    SharedItem,
    record_around,
    record_sections,
    shared_record,
    utc_text,
)
from vault.sections import SECTIONS, TIER_RANK, Field, FieldType, Tier

__all__ = [
    "ABSENT_UNKNOWN",
    "CONFIDENTIALITY",
    "NHS_NUMBER_SYSTEM",
    "RECORD_CONTENT_TYPE",
    "TIER_SYSTEM",
    "PreparedBundle",
    "build_bundle",
    "bundle_json",
    "prepare_bundle",
    "shared_record",
    "write_json",
]

LOINC = "http://loinc.org"
ABSENT_UNKNOWN = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
TIER_SYSTEM = "urn:tellonce:tier"
RECORD_CONTENT_TYPE = "application/vnd.tellonce.record+json"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_DMD = "https://dmd.nhs.uk"
_FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
_DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
_XHTML = "http://www.w3.org/1999/xhtml"

# Fixed for ever: every id in a shared bundle is a uuid5 under it, so a rebuilt copy keeps its ids.
_ID_NAMESPACE = uuid.UUID("0b7c1a52-3c3e-4d56-9a43-5d0c8f1e7a21")

# E -> N(ormal), C -> R(estricted), S -> V(ery restricted). P has no entry: it is never shared.
_CONFIDENTIALITY_CODES = {
    Tier.E: ("N", "normal"),
    Tier.C: ("R", "restricted"),
    Tier.S: ("V", "very restricted"),
}
_TIER_WORDS = {Tier.E: "emergency", Tier.C: "care team", Tier.S: "sensitive"}

_WHO_WROTE_IT = (
    "This is a copy of a Tell Once record. The person it is about, and the people who support them, "
    "wrote it. No clinician wrote it or checked it: where an item says that a professional confirmed "
    "something, those are the words of the person or their supporters."
)


@dataclass(frozen=True)
class _Part:
    """A section of the Composition: its LOINC code as IPS uses it, and what to say when it is empty."""

    title: str
    code: str | None = None
    display: str = ""
    absent: tuple[str, str, str] | None = None  # (resource type, absent-unknown code, display)


# Composition sections in reading order. Advance directives come first, as they do in the record.
_PARTS: dict[str, _Part] = {
    "advance_directives": _Part("Emergency and future care plans", "42348-3", "Advance directives"),
    # IPS 2.0's Alerts section holds Flags that raise awareness of "obstacles to care": how to
    # communicate with me, reasonable adjustments and what upsets me are exactly that, and belong
    # where a clinician looks first rather than in functional status or social history.
    "alerts": _Part("How to communicate with me, and what helps", "104605-1", "Alert"),
    "medications": _Part("My medicines", "10160-0", "History of Medication use Narrative",
                         ("MedicationStatement", "no-medication-info", "No information about medications")),
    "allergies": _Part("Allergies", "48765-2", "Allergies and adverse reactions Document",
                       ("AllergyIntolerance", "no-allergy-info", "No information about allergies")),
    "problems": _Part("My health conditions", "11450-4", "Problem list - Reported",
                      ("Condition", "no-problem-info", "No information about problems")),
    "plan_of_care": _Part("My plans", "18776-5", "Plan of care note"),
    "functional_status": _Part("Daily living", "47420-5", "Functional status assessment note"),
    "social_history": _Part("About me", "29762-2", "Social history Narrative"),
    # IPS has no sections for these; they go under titles only, as FHIR documents allow.
    "people": _Part(SECTIONS["people"].title),
    "legal": _Part(SECTIONS["legal"].title),
    "missing_person": _Part(SECTIONS["missing_person"].title),
    "sensitive_history": _Part(SECTIONS["sensitive_history"].title),
    "record": _Part("The whole shared record"),
}

# Choice codes shown as words; anything not here is shown with its underscores as spaces.
_CHOICE_WORDS = {"respect": "ReSPECT", "dnacpr": "DNACPR"}


@dataclass(frozen=True)
class _Piece:
    """One resource made from an item: the fields it carries set its tier and its narrative."""

    kind: str
    part: str
    fields: tuple[str, ...]
    resource: dict[str, Any]


@dataclass(frozen=True)
class _Built:
    """A finished resource, with what its Composition section's narrative says about it."""

    uuid: str
    part: str
    fragment: str  # What its Composition section's narrative says about it.
    resource: dict[str, Any]


# ---------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(str(p) for p in parts)))


def _item_uuid(item: SharedItem, kind: str) -> str:
    return _uuid("entry", item.entry_id, item.version, kind)


def _ref(resource_uuid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_uuid}"}


def _compact(**elements: Any) -> dict[str, Any]:
    """The elements that have a value (False and 0 are values, so they stay)."""
    return {k: v for k, v in elements.items() if v is not None and v != [] and v != {} and v != ""}


def _resource(resource_type: str, **elements: Any) -> dict[str, Any]:
    return {"resourceType": resource_type, **_compact(**elements)}


def _text(value: str | None) -> dict[str, str] | None:
    return {"text": value} if value else None


def _loinc(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": display}]}


def _absent_coding(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": ABSENT_UNKNOWN, "code": code, "display": display}]}


def _highest(tiers: Iterable[Tier]) -> Tier:
    return max(tiers, key=lambda t: TIER_RANK[t], default=Tier.E)


def _security(tier: Tier) -> list[dict[str, str]]:
    code, display = _CONFIDENTIALITY_CODES[tier]  # KeyError for P: it must never get this far.
    return [
        {"system": CONFIDENTIALITY, "code": code, "display": display},
        {"system": TIER_SYSTEM, "code": tier.value, "display": _TIER_WORDS[tier]},
    ]


def _field(item: SharedItem, name: str) -> Field:
    return SECTIONS[item.section].field(name)


def _words(f: Field, value: Any) -> str:
    """A field's value as plain words, for narrative, notes and flag text."""
    if f.type is FieldType.BOOLEAN:
        return "yes" if value else "no"
    if f.type is FieldType.CHOICE:
        return str(_CHOICE_WORDS.get(value, str(value).replace("_", " ")))
    if f.type is FieldType.STRINGS:
        return "; ".join(value)
    if f.type is FieldType.LIST:
        rows = ([(sub, row[sub.name]) for sub in f.item_fields if sub.name in row] for row in value)
        return "; ".join(", ".join(f"{sub.label}: {_words(sub, v)}" for sub, v in row) for row in rows)
    return str(value)


def _labelled(item: SharedItem, name: str) -> str:
    return f"{_field(item, name).label}: {_words(_field(item, name), item.data[name])}"


def _exported(item: SharedItem) -> tuple[str, ...]:
    """The item's fields that go into FHIR: a field with no FHIR target (see the catalogue) does not."""
    return tuple(name for name in item.data if _field(item, name).fhir)


def _notes(item: SharedItem, mapped: Iterable[str]) -> list[dict[str, str]]:
    """Every field no element took: the own words as they are, the others with their labels."""
    taken = set(mapped)
    return [
        {"text": item.data[name] if name == "text" else _labelled(item, name)}
        for name in _exported(item)
        if name not in taken
    ]


def _flag_text(item: SharedItem, names: Iterable[str]) -> str:
    """What a flag says: yes-or-no boxes by their label when ticked, the rest as label and value."""
    said = []
    for name in names:
        value = item.data.get(name)
        if value is None or value is False:
            continue
        said.append(_field(item, name).label if value is True else _labelled(item, name))
    return "; ".join(said)


# ---------------------------------------------------------------------------------------------------
# Narrative: escaped text in a few plain XHTML elements
# ---------------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br/>")


def _fragment(heading: str, lines: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<li><b>{_escape(label)}</b>: {_escape(value)}</li>" for label, value in lines)
    return f"<p><b>{_escape(heading)}</b></p>" + (f"<ul>{rows}</ul>" if rows else "")


def _narrative(inner: str) -> dict[str, str]:
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}">{inner}</div>'}


def _lines(item: SharedItem, names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    lines = [(_field(item, n).label, _words(_field(item, n), item.data[n])) for n in names]
    lines.append(("Written by", WRITTEN_BY[item.author_role]))
    if item.provenance:
        lines.append(("Where this came from", item.provenance))
    return tuple(lines)


# ---------------------------------------------------------------------------------------------------
# One builder per section. An item becomes one main resource that carries all its fields, plus a
# resource for each part FHIR models on its own (a condition's emergency plan, a risk flag).
# ---------------------------------------------------------------------------------------------------

_Builder = Callable[[SharedItem, dict[str, str]], list[_Piece]]
_UNKNOWN = {"extension": [{"url": _DATA_ABSENT, "valueCode": "unknown"}]}


def _main(item: SharedItem, part: str, resource: dict[str, Any]) -> _Piece:
    return _Piece("main", part, _exported(item), resource)


def _flag(item: SharedItem, patient: dict[str, str], category: str, names: Sequence[str]) -> dict[str, Any]:
    return _resource(
        "Flag", status="active",
        category=[{"coding": [{"system": _FLAG_CATEGORY, "code": category}]}],
        code={"text": _flag_text(item, names) or SECTIONS[item.section].title}, subject=patient,
    )


def _extra_flags(
    item: SharedItem, patient: dict[str, str], flags: Sequence[tuple[str, tuple[str, ...]]]
) -> list[_Piece]:
    """One flag per (category, fields) that has something to say; a risk ticked "no" raises none."""
    pieces = []
    for category, names in flags:
        present = tuple(name for name in names if name in item.data)
        if _flag_text(item, present):
            pieces.append(_Piece(category, "alerts", present, _flag(item, patient, category, present)))
    return pieces


def _contact_flag(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    # Flag category "contact" is for "coming into contact with the patient": how to communicate with
    # me and the changes that help me are exactly that, so a clinician meets them as alerts.
    return [_main(item, "alerts", _flag(item, patient, "contact", _exported(item)))]


def _upsets(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    # "behavioral": what upsets me and what calms me; "please never do this" is a safety precaution.
    main = _main(item, "alerts", _flag(item, patient, "behavioral", _exported(item)))
    return [main, *_extra_flags(item, patient, (("safety", ("never_do",)),))]


def _answer(f: Field, value: Any) -> list[dict[str, Any]]:
    if f.type is FieldType.BOOLEAN:
        return [{"valueBoolean": value}]
    if f.type is FieldType.INTEGER:
        return [{"valueInteger": value}]
    if f.type is FieldType.DATE:
        return [{"valueDate": value}]
    if f.type is FieldType.STRINGS:
        return [{"valueString": v} for v in value]
    return [{"valueString": _words(f, value)}]


def _answers(item: SharedItem, patient: dict[str, str]) -> dict[str, Any]:
    """Answers in the person's words that no clinical resource has an element for (the catalogue's hints)."""
    questions = [
        {"linkId": f"{item.section}.{name}", "text": _field(item, name).label,
         "answer": _answer(_field(item, name), item.data[name])}
        for name in _exported(item)
        # No section answered this way has a list field; its rows stay in the narrative.
        if _field(item, name).type is not FieldType.LIST
    ]
    return _resource("QuestionnaireResponse", status="completed", subject=patient,
                     authored=utc_text(item.updated_at), item=questions)


def _answers_in(part: str) -> _Builder:
    def build(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
        return [_main(item, part, _answers(item, patient))]

    return build


def _daily_living(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    # The risks an emergency team must see at once are raised as flags as well (the catalogue's hints).
    risks = (("safety", ("choking_risk", "moving_risks", "other_risks")),
             ("diet", ("food_texture", "eating_risks")))
    return [_main(item, "functional_status", _answers(item, patient)), *_extra_flags(item, patient, risks)]


def _patient(item: SharedItem) -> dict[str, Any]:
    d = item.data
    names = [_compact(use=use, text=d.get(name)) for use, name in
             (("official", "legal_name"), ("usual", "preferred_name")) if name in d]
    languages = [_compact(language={"text": language}, preferred=True if i == 0 else None)
                 for i, language in enumerate(d.get("languages", []))]
    return _resource(
        "Patient",
        extension=[{"url": _INTERPRETER, "valueBoolean": d["interpreter_needed"]}]
        if "interpreter_needed" in d else None,
        identifier=[{"system": NHS_NUMBER_SYSTEM, "value": d["nhs_number"]}] if "nhs_number" in d else None,
        name=names, birthDate=d.get("date_of_birth"), communication=languages,
        generalPractitioner=[{"display": d["gp_practice"]}] if "gp_practice" in d else None,
    )


_PLAN_FIELDS = ("emergency_plan", "rescue_medicine", "rescue_medicine_kept")


def _conditions(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    status = {"current": "active", "past": "resolved"}.get(d.get("status", ""))
    condition = _resource(
        "Condition",
        clinicalStatus={"coding": [{"system": _CONDITION_CLINICAL, "code": status}]} if status else None,
        code=_text(d.get("name")), subject=patient, onsetString=d.get("since"),
        # The emergency plan has a CarePlan of its own, which points at this condition.
        note=_notes(item, ("name", "status", "since", *_PLAN_FIELDS)),
    )
    return [_main(item, "problems", condition), *_emergency_plan(item, patient)]


def _emergency_plan(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    names = tuple(n for n in _PLAN_FIELDS if n in d)
    if not names:
        return []
    kept = _labelled(item, "rescue_medicine_kept") if "rescue_medicine_kept" in d else None
    activity = _compact(status="unknown", productCodeableConcept=_text(d.get("rescue_medicine")),
                        description=kept)
    plan = _resource(
        "CarePlan", status="active", intent="plan", title=_field(item, "emergency_plan").label,
        description=d.get("emergency_plan"), subject=patient, addresses=[_ref(_item_uuid(item, "main"))],
        activity=[{"detail": activity}] if len(activity) > 1 else None,
    )
    return [_Piece("plan", "plan_of_care", names, plan)]


# R4's ait-1 needs a clinical status on every allergy; "active" says the statement holds, as the IPS
# examples do for "no known allergies" too.
_ALLERGY_ACTIVE = {"coding": [{"system": _ALLERGY_CLINICAL, "code": "active"}]}

_ALLERGY_ABSENT = {
    "none_known": ("no-known-allergies", "No known allergies"),
    "not_known": ("no-allergy-info", "No information about allergies"),
}


def _allergies(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    # RECORD.md: "none known" differs from "not known"; IPS has a code for each.
    absent = _ALLERGY_ABSENT.get(d.get("status", ""))
    code = _absent_coding(*absent) if absent else _text(d.get("substance"))
    mapped = ["status", "reaction", "first_noticed"] + ([] if absent else ["substance"])
    severity = d.get("severity") if d.get("severity") in ("mild", "moderate", "severe") else None
    if severity and "reaction" in d:
        mapped.append("severity")
    allergy = _resource(
        "AllergyIntolerance",
        clinicalStatus=_ALLERGY_ACTIVE,
        code=code, patient=patient, onsetString=d.get("first_noticed"),
        reaction=[_compact(manifestation=[{"text": d["reaction"]}], severity=severity)]
        if "reaction" in d else None,
        note=_notes(item, mapped),
    )
    return [_main(item, "allergies", allergy)]


_DOSAGE_WORDS = ("dose", "when", "how_taken", "prn_dose", "prn_max_24h", "prn_min_gap")
_PRN_INSTRUCTIONS = ("prn_signs", "prn_try_first")
_MEDICINE_MAPPED = (
    "name", "dmd_code", "start_date", "stopped_date", "how_i_like_to_take_it", "prn", "prn_when",
    "reason", "target_symptom", *_DOSAGE_WORDS, *_PRN_INSTRUCTIONS,
)


def _dosage(item: SharedItem) -> dict[str, Any]:
    d = item.data
    as_needed: dict[str, Any] = {}
    if "prn_when" in d:
        as_needed["asNeededCodeableConcept"] = {"text": d["prn_when"]}
    elif "prn" in d:
        as_needed["asNeededBoolean"] = d["prn"]
    return _compact(
        # R4 Dosage has no element for a minimum gap and the person's amounts are free text, so the
        # amounts go into the dosage text, each with its label.
        text="; ".join(_labelled(item, n) for n in _DOSAGE_WORDS if n in d),
        timing={"code": {"text": d["when"]}} if "when" in d else None,
        route=_text(d.get("how_taken")), patientInstruction=d.get("how_i_like_to_take_it"),
        additionalInstruction=[{"text": _labelled(item, n)} for n in _PRN_INSTRUCTIONS if n in d],
        **as_needed,
    )


def _medicines(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    medicine = _compact(
        text=d.get("name", "No name was given for this medicine"),
        coding=[{"system": _DMD, "code": d["dmd_code"]}] if "dmd_code" in d else None,
    )
    period = _compact(start=d.get("start_date"), end=d.get("stopped_date"))
    dosage = _dosage(item)
    statement = _resource(
        "MedicationStatement", status="stopped" if "stopped_date" in d else "active",
        medicationCodeableConcept=medicine, subject=patient,
        # IPS needs effective[x]; when no date is known it says so with a data-absent reason.
        effectivePeriod=period or None, _effectiveDateTime=None if period else _UNKNOWN,
        dosage=[dosage] if dosage else None,
        reasonCode=[{"text": d[n]} for n in ("reason", "target_symptom") if n in d],
        note=_notes(item, _MEDICINE_MAPPED),
    )
    return [_main(item, "medications", statement)]


def _care_plan(
    item: SharedItem, patient: dict[str, str], *, activity: str, mapped: tuple[str, ...] = (), **elements: Any
) -> dict[str, Any]:
    d = item.data
    return _resource(
        "CarePlan", status="active", intent="plan", title=SECTIONS[item.section].title,
        description=d.get("text"), subject=patient,
        activity=[{"detail": {"status": "unknown", "description": d[activity]}}] if activity in d else None,
        note=_notes(item, ("text", activity, *mapped)), **elements,
    )


def _health_plan(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    return [_main(item, "plan_of_care", _care_plan(item, patient, activity="action"))]


def _support_plan(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    review = item.data.get("review_date")
    # The money boxes (S) have no FHIR home, so they travel as notes, and only when the person ticks them.
    plan = _care_plan(item, patient, activity="how_met", mapped=("review_date",),
                      period={"end": review} if review else None)
    return [_main(item, "plan_of_care", plan)]


def _future_plans(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    kind = _words(_field(item, "kind"), d["kind"]) if "kind" in d else None
    summary = d.get("what_it_says")
    attachment = _compact(
        title=d.get("name") or kind or SECTIONS[item.section].title,
        contentType="text/plain; charset=utf-8" if summary else None,
        data=base64.b64encode(summary.encode()).decode() if summary else None,
    )
    # The record holds the person's copy; whether the plan is still in use is their statement.
    status = "superseded" if d.get("status") in ("replaced", "withdrawn") else "current"
    document = _resource(
        "DocumentReference", status=status,
        type=_text(kind), subject=patient,
        description=_labelled(item, "original_location") if "original_location" in d else None,
        authenticator={"display": d["signed_by"]} if "signed_by" in d else None,
        context={"period": {"end": d["review_date"]}} if "review_date" in d else None,
        content=[{"attachment": attachment}],
    )
    # A crisis plan is a plan of care; the others are the documents IPS calls advance directives.
    part = "plan_of_care" if d.get("kind") == "crisis_plan" else "advance_directives"
    return [_main(item, part, document)]


def _related_person(
    item: SharedItem, patient: dict[str, str], part: str, relationship: list[dict[str, Any]],
    telecom: list[dict[str, str]],
) -> list[_Piece]:
    name = item.data.get("name")
    person = _resource("RelatedPerson", patient=patient, relationship=relationship,
                       name=[{"text": name}] if name else None, telecom=telecom)
    return [_main(item, part, person)]


_EMERGENCY_CONTACT = {"system": _CONTACT_ROLE, "code": "C", "display": "Emergency Contact"}


def _people(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    relationship: list[dict[str, Any]] = [{"text": d["relationship"]}] if "relationship" in d else []
    if d.get("emergency_contact") is True:
        relationship.append({"coding": [_EMERGENCY_CONTACT]})
    telecom = [{"system": system, "value": d[system]} for system in ("phone", "email") if system in d]
    return _related_person(item, patient, "people", relationship, telecom)


def _legal(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    kind = _text(_words(_field(item, "kind"), d["kind"])) if "kind" in d else None
    # "How to contact them" may be a phone number or an email, so its system is "other".
    telecom = [{"system": "other", "value": d["contact"]}] if "contact" in d else []
    return _related_person(item, patient, "legal", [kind] if kind else [], telecom)


def _sensitive_history(item: SharedItem, patient: dict[str, str]) -> list[_Piece]:
    d = item.data
    topic = _text(_words(_field(item, "topic"), d["topic"])) if "topic" in d else None
    condition = _resource("Condition", category=[topic] if topic else None, code=topic, subject=patient,
                          onsetString=d.get("when"), note=_notes(item, ("topic", "when")))
    return [_main(item, "sensitive_history", condition)]


# Identity becomes the Patient (see build_bundle); the journal has no builder, as it is P always and
# SharedItem refuses P fields.
_BUILDERS: dict[str, _Builder] = {
    "about_me": _answers_in("social_history"),
    "communication": _contact_flag,
    "adjustments": _contact_flag,
    "upsets": _upsets,
    "daily_living": _daily_living,
    "conditions": _conditions,
    "allergies": _allergies,
    "medicines": _medicines,
    "health_plan": _health_plan,
    "support_plan": _support_plan,
    "future_plans": _future_plans,
    "people": _people,
    "legal": _legal,
    "good_life": _answers_in("social_history"),
    "missing_person": _answers_in("missing_person"),
    "sensitive_history": _sensitive_history,
}


# ---------------------------------------------------------------------------------------------------
# The bundle
# ---------------------------------------------------------------------------------------------------


# The field that names an item in a narrative heading, where it is not "name".
_NAMED_BY = {"allergies": "substance", "sensitive_history": "topic"}


def _finish(item: SharedItem, piece: _Piece, resource_uuid: str) -> _Built:
    """Give a piece its id, its tier label and its narrative, from the fields it carries."""
    tier = _highest(item.tiers[name] for name in piece.fields)
    # The heading may name the item only by a field this resource carries, or the narrative could
    # show a field above the resource's tier.
    named_by = _NAMED_BY.get(item.section, "name")
    heading = (_words(_field(item, named_by), item.data[named_by]) if named_by in piece.fields
               else SECTIONS[item.section].title)
    return _finished(resource_uuid, piece.part, tier, heading, _lines(item, piece.fields), piece.resource)


def _finished(
    resource_uuid: str, part: str, tier: Tier, heading: str, lines: tuple[tuple[str, str], ...],
    resource: dict[str, Any],
) -> _Built:
    fragment = _fragment(heading, lines)
    full = {
        "resourceType": resource["resourceType"],
        "id": resource_uuid,
        "meta": {"security": _security(tier)},
        "text": _narrative(fragment),
        **resource,
    }
    return _Built(resource_uuid, part, fragment, full)


def _build_item(item: SharedItem, patient: dict[str, str]) -> list[_Built]:
    pieces = _BUILDERS[item.section](item, patient)
    return [_finish(item, piece, _item_uuid(item, piece.kind)) for piece in pieces]


def _identified(items: Sequence[SharedItem]) -> _Built | None:
    """The Patient from the identity item, when the share includes one."""
    identity = [item for item in items if item.section == "identity"]
    if not identity:
        return None
    # The identity section holds one entry. Were there ever more, the latest describes the person;
    # every one of them still travels in the whole record.
    item = identity[-1]
    return _finish(item, _Piece("main", "", _exported(item), _patient(item)), _item_uuid(item, "main"))


def _unidentified(bundle_uuid: str) -> _Built:
    # It carries no field, so it is E.
    return _finished(_uuid("bundle", bundle_uuid, "patient"), "", Tier.E,
                     "This shared copy does not say who the person is", (), {"resourceType": "Patient"})


def _absent(key: str, absent: tuple[str, str, str], patient: dict[str, str], bundle_uuid: str) -> _Built:
    """The resource IPS asks for when a required section has nothing: it says "no information"."""
    resource_type, code, display = absent
    coding = _absent_coding(code, display)
    elements: dict[str, Any] = {"code": coding, "subject": patient}
    if resource_type == "MedicationStatement":
        elements = {"status": "unknown", "medicationCodeableConcept": coding, "subject": patient,
                    "_effectiveDateTime": _UNKNOWN}
    elif resource_type == "AllergyIntolerance":
        elements = {"clinicalStatus": _ALLERGY_ACTIVE, "code": coding, "patient": patient}
    # It carries no field, so it is E.
    return _finished(_uuid("bundle", bundle_uuid, code), key, Tier.E, f"{display} in this shared copy", (),
                     _resource(resource_type, **elements))


def _record(
    prepared: PreparedBundle, *, label: str, made_at: datetime, patient: dict[str, str],
    bundle_uuid: str,
) -> _Built:
    """The whole readable record, in the project's own JSON, as a DocumentReference."""
    record = record_around(prepared.record_sections, label=label, made_at=made_at)
    heading = "The whole shared record, for viewers that read Tell Once's own format"
    lines = (("Parts of the record", "; ".join(s["title"] for s in record["sections"]) or "none"),)
    attachment = {"contentType": RECORD_CONTENT_TYPE, "title": "Tell Once shared record",
                  "data": base64.b64encode(write_json(record)).decode()}
    resource = _resource("DocumentReference", status="current", type={"text": "Tell Once shared record"},
                         subject=patient, date=utc_text(made_at), content=[{"attachment": attachment}])
    # It holds every shared field, so it carries the highest tier among them.
    return _finished(_uuid("bundle", bundle_uuid, "record"), "record", prepared.tier, heading, lines,
                     resource)


def _section(key: str, group: Sequence[_Built]) -> dict[str, Any]:
    part = _PARTS[key]
    return _compact(
        title=part.title,
        code=_loinc(part.code, part.display) if part.code else None,
        text=_narrative("".join(b.fragment for b in group)),
        entry=[_ref(b.uuid) for b in group],
    )


def _composition(
    bundle_uuid: str, *, title: str, made_at: datetime, patient: dict[str, str], tier: Tier,
    sections: list[dict[str, Any]],
) -> dict[str, Any]:
    code, _display = _CONFIDENTIALITY_CODES[tier]
    return {
        "resourceType": "Composition",
        "id": _uuid("bundle", bundle_uuid, "composition"),
        # Its sections' narratives repeat every shared field, so it carries the highest tier.
        "meta": {"security": _security(tier)},
        "text": _narrative(f"<p><b>{_escape(title)}</b></p><p>{_escape(_WHO_WROTE_IT)}</p>"),
        "status": "final",
        "type": _loinc("60591-5", "Patient summary Document"),
        "subject": patient,
        "date": utc_text(made_at),
        # The record is written by the person and their supporters, so the person is its author;
        # it never names a clinician as one.
        "author": [patient],
        "title": title,
        "confidentiality": code,
        "section": sections,
    }


def write_json(data: Any) -> bytes:
    """JSON as every copy is written: keys sorted, no spaces, UTF-8 (not ASCII escapes).

    orjson writes what ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
    writes, several times faster (a test holds them equal); a copy is written for every live
    link its section's edit touches.
    """
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class PreparedBundle:
    """What the bundles of every link sharing the same items have in common, built once.

    Links of one scope differ only in their bundle id, label and time, so an edit builds the
    items' resources and the record's sections once, and ``bundle_json`` puts each link's own
    parts around them. Without the identity item the Patient's id comes from the bundle id, so
    every item resource holds the one ``patient`` reference, which ``bundle_json`` sets for
    each bundle before it writes it.
    """

    identified: _Built | None
    patient: dict[str, str]
    groups: dict[str, tuple[_Built, ...]]
    tier: Tier
    record_sections: list[dict[str, Any]]


def prepare_bundle(items: Sequence[SharedItem]) -> PreparedBundle:
    """The resources of ``items``, for ``bundle_json`` to write into any number of bundles."""
    identified = _identified(items)
    patient = _ref(identified.uuid) if identified else {"reference": ""}
    groups: dict[str, list[_Built]] = {key: [] for key in _PARTS}
    for item in items:
        if item.section != "identity":
            for built in _build_item(item, patient):
                groups[built.part].append(built)
    return PreparedBundle(
        identified=identified, patient=patient,
        groups={key: tuple(group) for key, group in groups.items()},
        tier=_highest(t for item in items for t in item.tiers.values()),
        record_sections=record_sections(items),
    )


def bundle_json(prepared: PreparedBundle, *, label: str, made_at: datetime, bundle_id: str) -> bytes:
    """The FHIR R4 IPS document bundle of one link, written as JSON (``write_json``).

    :raises ValueError: if ``bundle_id`` is not a UUID or ``made_at`` is naive.
    """
    bundle_uuid = str(uuid.UUID(bundle_id))
    person = prepared.identified or _unidentified(bundle_uuid)
    # The items' resources hold this very dict: set here, written below, before any other bundle.
    prepared.patient["reference"] = f"urn:uuid:{person.uuid}"
    patient = _ref(person.uuid)
    groups = {key: list(group) for key, group in prepared.groups.items()}
    for key, part in _PARTS.items():
        if part.absent and not groups[key]:
            groups[key].append(_absent(key, part.absent, patient, bundle_uuid))
    groups["record"].append(_record(prepared, label=label, made_at=made_at, patient=patient,
                                    bundle_uuid=bundle_uuid))
    composition = _composition(
        bundle_uuid, title=f"Tell Once record shared with {label}", made_at=made_at, patient=patient,
        tier=prepared.tier, sections=[_section(key, group) for key, group in groups.items() if group],
    )
    resources = [composition, person.resource, *(b.resource for group in groups.values() for b in group)]
    return write_json({
        "resourceType": "Bundle",
        "id": bundle_uuid,
        "meta": {"security": _security(prepared.tier)},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_uuid}"},
        "type": "document",
        "timestamp": utc_text(made_at),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    })


def build_bundle(
    items: Sequence[SharedItem], *, label: str, made_at: datetime, bundle_id: str
) -> dict[str, Any]:
    """The FHIR R4 IPS document bundle of the shared items, as plain JSON-able data: what
    ``bundle_json`` writes, read back.

    :raises ValueError: if ``bundle_id`` is not a UUID or ``made_at`` is naive.
    """
    built: dict[str, Any] = orjson.loads(
        bundle_json(prepare_bundle(items), label=label, made_at=made_at, bundle_id=bundle_id))
    return built
