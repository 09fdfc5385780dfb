"""The catalogue: the 18 sections of the record, each field with its type, tier, summary flag and FHIR target.

RECORD.md is the source of truth for what each section holds; this module describes it as data.

Labels and hints are the words the person sees. They are this project's own, written to be short and
plain; they deliberately do not copy ReSPECT, "This is me" or commercial one-page profile templates.
"""

from __future__ import annotations

from vault.errors import UnknownSection
from vault.sections.schema import Field, FieldType, Section, Tier


def _qr(section: str, name: str) -> str:
    """FHIR target for narrative answers that have no element of their own in a clinical resource."""
    return f"QuestionnaireResponse.item.answer.valueString (linkId={section}.{name})"


_T, _S, _D, _B, _I, _C, _SS, _L = (
    FieldType.TEXT,
    FieldType.STRING,
    FieldType.DATE,
    FieldType.BOOLEAN,
    FieldType.INTEGER,
    FieldType.CHOICE,
    FieldType.STRINGS,
    FieldType.LIST,
)
_E, _CT, _ST, _P = Tier.E, Tier.C, Tier.S, Tier.P

# Section names in RECORD.md order; "please do not talk to X about Y" points at one of them, so the
# list is needed before the sections themselves are built.
SECTION_NAMES: tuple[str, ...] = (
    "identity",
    "about_me",
    "communication",
    "adjustments",
    "upsets",
    "daily_living",
    "conditions",
    "allergies",
    "medicines",
    "health_plan",
    "support_plan",
    "future_plans",
    "people",
    "legal",
    "good_life",
    "missing_person",
    "journal",
    "sensitive_history",
)


# Narrative text of a whole section goes into the matching section of an IPS-shaped Composition.
_FUNCTIONAL_STATUS = "Composition.section.text (Functional status, LOINC 47420-5)"
_ADVANCE_DIRECTIVES = "Composition.section.text (Advance directives, LOINC 42348-3)"
_PATIENT_STORY = "Composition.section.text (Patient story, LOINC 81338-6)"
_ALERTS = "Composition.section.text (Alerts, LOINC 104605-1)"


def _own_words(label: str, hint: str, tier: Tier, fhir: str) -> Field:
    return Field("text", _T, label, hint, tier=tier, fhir=fhir)


_IDENTITY = Section(
    "identity",
    1,
    "Who I am",
    "My names, date of birth, NHS number, the languages I use and my GP practice. "
    "Photos of me are added as attachments.",
    (
        # E: an emergency team must be able to tell who I am before anything else.
        _own_words(
            "Anything else about who I am",
            "For example, if I use a different name at home, or how to say my name.",
            _E,
            "Patient.text (narrative)",
        ),
        Field("legal_name", _S, "My full legal name", "As it is on official letters.", tier=_E,
              fhir="Patient.name.text (use=official)"),
        Field("preferred_name", _S, "Name I like to be called", tier=_E, summary=True,
              fhir="Patient.name.text (use=usual)"),
        Field("date_of_birth", _D, "My date of birth", tier=_E, summary=True, fhir="Patient.birthDate"),
        # Stored as typed; the format and check digit are checked where numbers are entered.
        Field("nhs_number", _S, "My NHS number", "Ten digits. It is on letters from your GP or hospital.",
              tier=_E, summary=True, fhir="Patient.identifier (system=https://fhir.nhs.uk/Id/nhs-number)"),
        # C, not E: pronouns can say something about a person that they may not want every stranger
        # to see. The person can raise it to E in one step.
        Field("pronouns", _S, "My pronouns", "For example: she/her, he/him, they/them.", tier=_CT,
              fhir="Patient.extension:individual-pronouns"),
        Field("languages", _SS, "Languages I use", "Put the one I use most first.", tier=_E,
              fhir="Patient.communication.language.text"),
        Field("interpreter_needed", _B, "I need an interpreter", tier=_E,
              fhir="Patient.extension:patient-interpreterRequired"),
        # C: the GP practice says roughly where I live; emergency services find it from the NHS number.
        Field("gp_practice", _S, "My GP practice", "Its name and town.", tier=_CT,
              fhir="Patient.generalPractitioner.display"),
    ),
    repeating=False,
)

_ABOUT_ME = Section(
    "about_me",
    2,
    "About me, my story",
    "What people should know about me as a person: what matters to me, my good and bad days, "
    "my history and the things I love.",
    (
        _own_words("In your own words", "Write as much or as little as you like.", _CT,
                   _PATIENT_STORY),
        # E, not C: this is the one part of "about me" that the emergency template shows (as the
        # section's summary), so it must be readable at the emergency tier.
        Field("most_important", _T, "The most important things to know about me",
              "Two or three things. These are shown first, even in an emergency.",
              tier=_E, summary=True, fhir=_qr("about_me", "most_important")),
        Field("appreciated", _T, "What people like about me",
              "What do people thank me for? What am I proud of?",
              fhir=_qr("about_me", "appreciated")),
        Field("what_matters", _T, "What matters to me", fhir=_qr("about_me", "what_matters")),
        Field("good_day", _T, "A good day for me", fhir=_qr("about_me", "good_day")),
        Field("bad_day", _T, "A bad day for me", fhir=_qr("about_me", "bad_day")),
        # S: a life story out of context can cause harm or distress (RECORD.md: "C, life history S").
        Field("life_history", _T, "My life story", "Where I grew up, work I did, big events. "
              "This is kept sensitive: it is only shared when I choose.", tier=_ST,
              fhir=_qr("about_me", "life_history")),
        Field("family", _T, "My family, friends and pets", fhir=_qr("about_me", "family")),
        Field("faith_and_culture", _T, "My faith, culture and beliefs",
              fhir=_qr("about_me", "faith_and_culture")),
        Field("routines", _T, "Routines that matter to me", fhir=_qr("about_me", "routines")),
        Field("interests", _T, "Things I love doing", fhir=_qr("about_me", "interests")),
        Field("hopes", _T, "My hopes", fhir=_qr("about_me", "hopes")),
        Field("worries", _T, "My worries", fhir=_qr("about_me", "worries")),
    ),
    repeating=False,
)

_COMMUNICATION = Section(
    "communication",
    3,
    "How to communicate with me",
    "How I communicate, how to check I understand, and how I show pain, worry, illness, hunger "
    "or tiredness. Also what I am like when I am well, so people notice a change.",
    (
        _own_words("In your own words", "", _E, _FUNCTIONAL_STATUS),
        Field("how_i_communicate", _T, "How I communicate",
              "For example: speech, signs, Makaton, pictures, a tablet or other device.",
              tier=_E, summary=True, fhir=_qr("communication", "how_i_communicate")),
        Field("how_to_talk_with_me", _T, "How to talk with me", "Short sentences? Show me? Give me time?",
              tier=_E, fhir=_qr("communication", "how_to_talk_with_me")),
        Field("check_understanding", _T, "How to check I understand", tier=_E,
              fhir=_qr("communication", "check_understanding")),
        Field("making_choices", _T, "How I make choices and say no", tier=_E,
              fhir=_qr("communication", "making_choices")),
        Field("hearing_and_sight", _T, "My hearing and eyesight",
              "Hearing aids, glasses, which side to speak to.",
              tier=_E, summary=True, fhir="DeviceUseStatement.device.display (Medical devices section)"),
        Field("shows_pain", _T, "How I show pain", "Including signs without words.", tier=_E, summary=True,
              fhir=_qr("communication", "shows_pain")),
        Field("shows_distress", _T, "How I show I am upset or frightened", tier=_E,
              fhir=_qr("communication", "shows_distress")),
        Field("shows_illness", _T, "How I show I am ill", tier=_E,
              fhir=_qr("communication", "shows_illness")),
        Field("shows_hunger", _T, "How I show I am hungry or thirsty", tier=_E,
              fhir=_qr("communication", "shows_hunger")),
        Field("shows_tiredness", _T, "How I show I am tired", tier=_E,
              fhir=_qr("communication", "shows_tiredness")),
        Field("when_well", _T, "What I am like when I am well",
              "So people can tell when something has changed.",
              tier=_E, fhir=_qr("communication", "when_well")),
    ),
    repeating=False,
)

_RAF = "Flag.code.text (Reasonable Adjustment Flag)"

_ADJUSTMENTS = Section(
    "adjustments",
    4,
    "Changes that help me (reasonable adjustments)",
    "Changes that make appointments, tests and hospital stays work for me.",
    (
        _own_words("In your own words", "", _E, _ALERTS),
        Field("longer_appointment", _B, "I need a longer appointment", tier=_E, summary=True, fhir=_RAF),
        Field("quiet_space", _B, "I need a quiet place to wait", tier=_E, summary=True, fhir=_RAF),
        Field("first_appointment", _B, "The first appointment of the day works best for me", tier=_E,
              summary=True, fhir=_RAF),
        Field("someone_stays", _B, "I need someone I know to stay with me", tier=_E, summary=True,
              fhir=_RAF),
        Field("information_format", _S, "How I like information given to me",
              "For example: easy read, large print, pictures, British Sign Language.",
              tier=_E, summary=True, fhir=_RAF),
        Field("blood_tests", _T, "How to take blood or do tests with me", tier=_E, fhir=_RAF),
        Field("other_adjustments", _SS, "Other changes that help me", "One change on each line.", tier=_E,
              summary=True, fhir=_RAF),
        # C, not E: naming the disability or condition behind the adjustments is more than a stranger
        # needs; the adjustments themselves are what matter in an emergency.
        Field("why_i_need_them", _T, "Why I need these changes, if I want to say",
              "For example, a disability or a condition.", tier=_CT,
              fhir="Condition.code.text (impairment named on the Reasonable Adjustment Flag)"),
    ),
    repeating=False,
)

_UPSETS = Section(
    "upsets",
    5,
    "What upsets me, what helps",
    "The things that upset me and what calms me, in short, for anyone. A fuller story can go in its own "
    "box, which is kept sensitive.",
    (
        # E, like the short lists: "own words first" means this box may be all there is. The hint
        # steers the long story into the sensitive box below.
        _own_words("In your own words",
                   "Keep this short. There is a separate box for the fuller story.", _E,
                   _PATIENT_STORY),
        Field("triggers", _SS, "Things that upset me", "Short phrases, one on each line.",
              tier=_E, summary=True, fhir=_qr("upsets", "triggers")),
        Field("sensory", _T, "Noise, light, touch and smells", tier=_E, fhir=_qr("upsets", "sensory")),
        Field("what_helps", _T, "What calms me", tier=_E, summary=True, fhir=_qr("upsets", "what_helps")),
        Field("never_do", _SS, "Please never do this", tier=_E, summary=True,
              fhir="Flag.code.text (category=safety)"),
        # S: the detail (often why these things upset me) can cause distress or stigma out of context.
        Field("detail", _T, "The fuller story", "Why these things upset me, what happened before. "
              "This is only shared when I choose.", tier=_ST, fhir=_qr("upsets", "detail")),
    ),
    repeating=False,
)

_DAILY_LIVING = Section(
    "daily_living",
    6,
    "Daily living",
    "Eating and drinking, washing and dressing, sleep, moving about and the toilet. Risks are shown "
    "in an emergency; the rest goes to people who support me.",
    (
        # C: the emergency-relevant risks have their own E boxes; free text here is "the rest".
        _own_words("In your own words", "", _CT, _FUNCTIONAL_STATUS),
        Field("choking_risk", _B, "I am at risk of choking", tier=_E, summary=True,
              fhir="Flag.code.text (category=safety)"),
        Field("food_texture", _S, "How soft my food and drink need to be",
              "For example: soft and bite-sized, or thickened drinks.",
              tier=_E, summary=True, fhir="Flag.code.text (category=diet)"),
        Field("eating_risks", _T, "Risks when I eat or drink, and what to do", tier=_E, summary=True,
              fhir="Flag.code.text (category=diet)"),
        Field("eating_drinking", _T, "How I eat and drink", "What I like, what help I need, how I sit.",
              fhir=_qr("daily_living", "eating_drinking")),
        Field("personal_care", _T, "Washing and dressing", fhir=_qr("daily_living", "personal_care")),
        Field("continence", _T, "Using the toilet", fhir=_qr("daily_living", "continence")),
        Field("sleep", _T, "Sleep", fhir=_qr("daily_living", "sleep")),
        Field("moving", _T, "Moving about", fhir=_qr("daily_living", "moving")),
        Field("moving_risks", _T, "Risks when I move, like falls, and how to help", tier=_E, summary=True,
              fhir="Flag.code.text (category=safety)"),
        Field("equipment", _SS, "Equipment I use", "For example: a wheelchair, a hoist, a walking frame.",
              fhir="DeviceUseStatement.device.display"),
        Field("other_risks", _T, "Other risks people must know straight away", tier=_E, summary=True,
              fhir="Flag.code.text (category=safety)"),
    ),
    repeating=False,
)

_CONDITIONS = Section(
    "conditions",
    7,
    "My health conditions",
    "One entry for each condition: what it is, since when, how it affects my day, and what to do "
    "if it suddenly gets worse.",
    (
        # E: with no other box filled in, these words are the only way an emergency team learns of it.
        _own_words("In my words", "What this condition is like for me.", _E, "Condition.note.text"),
        Field("name", _S, "What the condition is called", tier=_E, summary=True,
              fhir="Condition.code.text"),
        Field("status", _C, "Do I still have it?", tier=_E, choices=("current", "past"),
              fhir="Condition.clinicalStatus (current=active, past=resolved)"),
        Field("since", _S, "Since when", "A year, a date, or 'since I was born'.",
              fhir="Condition.onsetString"),
        Field("how_it_affects_me", _T, "How it affects my day", summary=True, fhir="Condition.note.text"),
        Field("emergency_plan", _T, "What to do if it suddenly gets worse",
              "For example, a seizure plan: what my seizures look like, how long to wait, "
              "when to call 999.",
              tier=_E, fhir="CarePlan.description (addresses this Condition)"),
        Field("rescue_medicine", _S, "My rescue medicine, if I have one", "Its name and how it is given.",
              tier=_E, fhir="CarePlan.activity.detail.productCodeableConcept.text"),
        Field("rescue_medicine_kept", _S, "Where my rescue medicine is kept", tier=_E,
              fhir="CarePlan.activity.detail.description"),
        Field("who_looks_after_it", _S, "Who looks after this condition",
              "For example, my epilepsy nurse or a clinic.", fhir="CarePlan.contributor.display"),
    ),
    repeating=True,
)

_ALLERGIES = Section(
    "allergies",
    8,
    "Allergies",
    "One entry for each allergy. If I have none, say so: \"none known\" is different from "
    "\"nobody has found out yet\".",
    (
        _own_words("In your own words", "", _E, "AllergyIntolerance.note.text"),
        Field("status", _C, "What this entry says",
              "Pick 'known' for an allergy I have, 'none known' if I have no allergies that anyone "
              "knows of, or 'not known' if nobody has checked yet.",
              tier=_E, summary=True, choices=("known", "none_known", "not_known"),
              fhir="AllergyIntolerance.code or Composition.section.emptyReason (known: the substance; "
                   "none_known: SNOMED 716186003 No known allergy; not_known: emptyReason=unavailable)"),
        Field("substance", _S, "What I am allergic to", tier=_E, summary=True,
              fhir="AllergyIntolerance.code.text"),
        Field("reaction", _S, "What happens to me", tier=_E, summary=True,
              fhir="AllergyIntolerance.reaction.manifestation.text"),
        Field("severity", _C, "How bad the reaction is", tier=_E, summary=True,
              choices=("mild", "moderate", "severe", "not_sure"),
              fhir="AllergyIntolerance.reaction.severity (not_sure: left out)"),
        Field("confirmed_by", _S, "Who confirmed it",
              "For example: my GP after a test, or 'I noticed it myself'.",
              tier=_E, fhir="AllergyIntolerance.asserter.display"),
        Field("first_noticed", _S, "When it was first noticed", fhir="AllergyIntolerance.onsetString"),
    ),
    repeating=True,
)

_MS = "MedicationStatement"

_MEDICINES = Section(
    "medicines",
    9,
    "My medicines",
    "One entry for each medicine: what I take and how, why, who prescribed it, when it is reviewed, "
    "and any plan to reduce or stop it.",
    (
        # E, like the list itself: if these words are all there is, an emergency team needs them.
        # The hint steers reasons and plans into their own care-team boxes.
        _own_words("In your own words",
                   "What I take and how, in my words. Reasons and plans have their own boxes.", _E,
                   f"{_MS}.note.text"),
        Field("name", _S, "Name of the medicine", "As it is on the box or the label.",
              tier=_E, summary=True, fhir=f"{_MS}.medicationCodeableConcept.text"),
        Field("dmd_code", _S, "dm+d code, if I know it",
              "A number from the NHS dictionary of medicines. You can leave this empty.", tier=_E,
              fhir=f"{_MS}.medicationCodeableConcept.coding (system=https://dmd.nhs.uk)"),
        Field("dose", _S, "How much I take", "For example: 200 mg, or 2 tablets.", tier=_E, summary=True,
              fhir=f"{_MS}.dosage.doseAndRate.doseQuantity (or dosage.text)"),
        Field("when", _S, "When I take it", "For example: morning and night.", tier=_E, summary=True,
              fhir=f"{_MS}.dosage.timing.code.text"),
        Field("how_taken", _S, "How it is taken",
              "For example: tablet by mouth, liquid, patch, into the cheek.",
              tier=_E, fhir=f"{_MS}.dosage.route.text"),
        # E: a hospital ward giving a first dose needs to know this as much as the dose.
        Field("how_i_like_to_take_it", _T, "How I like to take it",
              "For example: crushed in yoghurt, one at a time, with a drink of squash.", tier=_E,
              fhir=f"{_MS}.dosage.patientInstruction"),
        Field("who_supports_me", _S, "Who helps me take it", fhir=f"{_MS}.note.text"),
        Field("reason", _T, "Why I take it", "What the doctor said it is for.",
              fhir=f"{_MS}.reasonCode.text"),
        Field("prescriber", _S, "Who prescribed it", "A name, or the surgery or clinic.",
              fhir=f"{_MS}.basedOn (MedicationRequest.requester.display)"),
        Field("start_date", _D, "When I started it", fhir=f"{_MS}.effectivePeriod.start"),
        Field("last_change", _D, "When it last changed", "The dose, the time or the kind.",
              fhir=f"{_MS}.extension:MedicationDosageLastChanged (UK Core)"),
        Field("stopped_date", _D, "When I stopped it", "Only if I no longer take it.",
              fhir=f"{_MS}.effectivePeriod.end (status=stopped)"),
        Field("next_review", _D, "When it is next reviewed",
              fhir="CarePlan.activity.detail.scheduledPeriod.start (medication review)"),
        Field("reduction_plan", _T, "The plan to reduce or stop it",
              "If nobody has made a plan, leave this empty: the record will show 'no plan recorded'.",
              fhir="Goal.description.text (CarePlan to reduce or stop this medicine)"),
        # No FHIR R4 or UK Core element says "psychotropic"; the class can be derived from the dm+d
        # code on export, and the flag itself is not exported.
        Field("psychotropic", _B, "This medicine acts on mood, behaviour or the mind",
              "Doctors call these psychotropic medicines: for example antipsychotics, antidepressants, "
              "sleeping tablets."),
        Field("target_symptom", _T, "What it is meant to change",
              "For medicines that act on the mind: the behaviour or feeling it is meant to help.",
              fhir=f"{_MS}.reasonCode.text (target behaviour or symptom)"),
        Field("before_starting", _T, "How I was before I started it",
              fhir=f"{_MS}.reasonReference (Observation.valueString, baseline)"),
        Field("side_effects", _T, "Side effects I or others have noticed",
              fhir="Observation.valueString (side effect, focus=MedicationStatement)"),
        Field("monitoring", _T, "Checks I need", "For example: blood tests, weight.",
              fhir="CarePlan.activity.detail.description (monitoring)"),
        # The "when required" protocol is E: whoever is with me in a crisis must be able to follow it.
        Field("prn", _B, "I take this only when I need it", "Sometimes called 'PRN' or 'when required'.",
              tier=_E, fhir=f"{_MS}.dosage.asNeededBoolean"),
        Field("prn_when", _T, "When to give it", tier=_E,
              fhir=f"{_MS}.dosage.asNeededCodeableConcept.text"),
        Field("prn_signs", _T, "Signs I need it, including signs without words", tier=_E,
              fhir=f"{_MS}.dosage.additionalInstruction.text (signs)"),
        Field("prn_try_first", _T, "What to try first", tier=_E,
              fhir=f"{_MS}.dosage.additionalInstruction.text (try first)"),
        Field("prn_dose", _S, "How much to give", tier=_E, fhir=f"{_MS}.dosage.doseAndRate.doseQuantity"),
        Field("prn_max_24h", _S, "The most I can have in 24 hours", "For example: 2 doses, or 8 tablets.",
              tier=_E, fhir=f"{_MS}.dosage.maxDosePerPeriod (period 24 h)"),
        # R4 Dosage has no element for a minimum gap between doses; the export writes it into the
        # dosage text.
        Field("prn_min_gap", _S, "The shortest time between doses", "For example: 4 hours.", tier=_E,
              fhir=f"{_MS}.dosage.text (minimum gap; R4 Dosage has no element for it)"),
        Field("reviews", _L, "Reviews of this medicine",
              "Each time someone looked at whether I still need it.",
              fhir="Procedure (medication review), one per item",
              item_fields=(
                  Field("date", _D, "Date of the review", required=True,
                        fhir="Procedure.performedDateTime"),
                  Field("who_took_part", _S, "Who took part", "Including me, my family or an advocate.",
                        fhir="Procedure.performer.actor.display"),
                  Field("my_views", _T, "What I said", fhir="Procedure.note.text"),
                  Field("outcome", _T, "What was decided, and why",
                        "Keep it, lower it, stop it, change it.",
                        fhir="Procedure.outcome.text"),
                  Field("next_date", _D, "Date of the next review", fhir="Procedure.followUp.text"),
              )),
    ),
    repeating=True,
)

_HEALTH_PLAN = Section(
    "health_plan",
    10,
    "My health plan and checks",
    "Things I want to do about my health, who helps, and when we check how it is going. Also my "
    "annual health check and what came of it.",
    (
        _own_words("In your own words", "", _CT, "CarePlan.description"),
        Field("need", _T, "What I need help with", summary=True, fhir="Goal.description.text"),
        Field("action", _T, "What we will do", summary=True, fhir="CarePlan.activity.detail.description"),
        Field("who_helps", _S, "Who helps", fhir="CarePlan.activity.detail.performer.display"),
        Field("review_date", _D, "When we check how it is going", summary=True, fhir="Goal.target.dueDate"),
        Field("health_check_date", _D, "Date of my annual health check",
              fhir="Procedure.performedDateTime (annual health check)"),
        Field("health_check_outcome", _T, "What came of the health check",
              fhir="Procedure.outcome.text (annual health check)"),
    ),
    repeating=True,
)

# RECORD.md: "C, money S". No FHIR R4 resource describes a social care budget (Coverage and Account
# are about insurance and billing), so the money boxes export as CarePlan notes, and only when an S
# item is ticked for that export.
_BUDGET_NOTE = "CarePlan.note.text (personal budget)"

_SUPPORT_PLAN = Section(
    "support_plan",
    11,
    "My support plan and budget",
    "What I want from my support and how it happens. The money part is kept sensitive.",
    (
        _own_words("In your own words", "", _CT, "CarePlan.description"),
        Field("outcomes", _T, "What I want from my support", summary=True, fhir="Goal.description.text"),
        Field("how_met", _T, "How my support makes that happen", summary=True,
              fhir="CarePlan.activity.detail.description"),
        Field("who_supports", _S, "Who provides my support", fhir="CarePlan.careTeam.display"),
        Field("risks", _T, "Risks, and how we keep them small",
              fhir="CarePlan.activity.detail.description (risk)"),
        Field("contingency", _T, "What happens if my support cannot come",
              fhir="CarePlan.activity.detail.description (contingency)"),
        Field("budget_type", _C, "What kind of budget I have", tier=_ST,
              choices=("direct_payment", "notional", "third_party", "none", "other"), fhir=_BUDGET_NOTE),
        Field("budget_amount", _S, "How much the budget is", "For example: £250 a week.", tier=_ST,
              fhir=_BUDGET_NOTE),
        Field("money_manager", _S, "Who manages the money", tier=_ST, fhir=_BUDGET_NOTE),
        Field("review_date", _D, "When the plan is next reviewed", summary=True,
              fhir="CarePlan.period.end"),
    ),
    repeating=False,
)

_DOC = "DocumentReference"

_FUTURE_PLANS = Section(
    "future_plans",
    12,
    "Emergency and future care plans",
    "One entry for each plan or document about my care in an emergency or in the future. The record "
    "holds my copy and says where the original is; it never changes what a plan says.",
    (
        # C: existence and location have their own E boxes; the own-words text is the detail.
        _own_words("In your own words", "", _CT, _ADVANCE_DIRECTIVES),
        Field("kind", _C, "What kind of plan", tier=_E, summary=True,
              choices=("respect", "dnacpr", "advance_decision", "advance_statement", "crisis_plan",
                       "organ_donation", "other"),
              fhir=f"{_DOC}.type.text"),
        Field("name", _S, "What it is called", "Only needed if it is another kind, or has its own name.",
              tier=_E, fhir=f"{_DOC}.content.attachment.title"),
        Field("status", _C, "Is it still in use?", tier=_E, choices=("current", "replaced", "withdrawn"),
              fhir=f"{_DOC}.status (current; replaced and withdrawn: superseded)"),
        Field("original_location", _S, "Where the original is kept",
              "For example: in the kitchen drawer, or with my GP.",
              tier=_E, summary=True, fhir=f"{_DOC}.description (where the original is)"),
        Field("what_it_says", _T, "What it says, in short",
              "The main points, copied or in your own words. "
              "For a DNACPR, you can write the reason it gives.",
              fhir=f"{_DOC}.content.attachment.data (text/plain summary)"),
        Field("signed_by", _S, "Who signed it", fhir=f"{_DOC}.authenticator.display"),
        Field("signed_date", _D, "When it was signed", fhir=f"{_DOC}.date"),
        Field("review_date", _D, "When it should be looked at again", fhir=f"{_DOC}.context.period.end"),
        Field("i_was_asked", _C, "For a DNACPR: was I asked about it?", choices=("yes", "no", "not_sure"),
              fhir="Consent.verification.verified (verifiedWith=Patient)"),
        Field("representative_was_asked", _C, "For a DNACPR: was someone who speaks for me asked?",
              choices=("yes", "no", "not_sure", "no_representative"),
              fhir="Consent.verification.verified (verifiedWith=RelatedPerson)"),
    ),
    repeating=True,
)


def _topic_items(fhir: str) -> tuple[Field, ...]:
    return (
        Field("about", _S, "What about", "In my words.", required=True, fhir=f"{fhir}.code.text"),
        # A section code is what lets the record keep a topic away from someone; words alone cannot.
        Field("section", _C, "The part of my record this is about",
              "Pick one so the record can keep it from them.", choices=SECTION_NAMES,
              fhir=f"{fhir}.class (resource types of that section)"),
    )


# Which people fields become E when the person is marked as an emergency contact: see validate_entry.
EMERGENCY_CONTACT_FIELDS: tuple[str, ...] = ("name", "relationship", "phone", "when_to_contact")

_PEOPLE = Section(
    "people",
    13,
    "People in my life",
    "One entry for each person who matters to me, the part I want them to play, and who to call in "
    "an emergency.",
    (
        _own_words("In your own words", "", _CT, "RelatedPerson.text (narrative)"),
        Field("name", _S, "Their name", summary=True, fhir="RelatedPerson.name.text"),
        Field("relationship", _S, "Who they are to me", "For example: mum, friend, Shared Lives carer.",
              summary=True, fhir="RelatedPerson.relationship.text"),
        Field("role_i_want", _T, "The part I want them to play",
              fhir="RelatedPerson.relationship.text (the part I want them to play)"),
        Field("phone", _S, "Their phone number", fhir="RelatedPerson.telecom (system=phone)"),
        Field("email", _S, "Their email address", fhir="RelatedPerson.telecom (system=email)"),
        Field("emergency_contact", _B, "Contact them in an emergency", tier=_E, summary=True,
              fhir="RelatedPerson.relationship (v2-0131 C, emergency contact)"),
        Field("when_to_contact", _S, "When to contact them",
              "For example: any time, or only if I go into hospital.",
              fhir="RelatedPerson.telecom.rank and period"),
        Field("circle_of_support", _B, "Part of my circle of support", fhir="CareTeam.participant.member"),
        Field("talk_about", _L, "Please talk to them about",
              "Things I am happy for them to know and help with.",
              fhir="Consent.provision (type=permit, actor=this person)",
              item_fields=_topic_items("Consent.provision")),
        Field("do_not_talk_about", _L, "Please do not talk to them about",
              "The record keeps these from them, and they are not told why.",
              fhir="Consent.provision (type=deny, actor=this person)",
              item_fields=_topic_items("Consent.provision")),
    ),
    repeating=True,
)

_LEGAL = Section(
    "legal",
    14,
    "People with legal power to decide for me",
    "Powers of attorney, deputies, parental responsibility and appointees: who they are, how to "
    "reach them, and what they may decide.",
    (
        _own_words("In your own words", "", _E, "RelatedPerson.text (narrative)"),
        # UK Core has no relationship code for an attorney or deputy; the export uses a local code.
        Field("kind", _C, "What kind of power", tier=_E, summary=True,
              choices=("health_and_welfare_attorney", "property_and_finance_attorney", "welfare_deputy",
                       "property_and_affairs_deputy", "parental_responsibility", "appointee", "none",
                       "other"),
              fhir="RelatedPerson.relationship (local code: no UK Core code for attorneys and deputies)"),
        Field("name", _S, "Their name", tier=_E, summary=True, fhir="RelatedPerson.name.text"),
        Field("contact", _S, "How to contact them", "A phone number or email.", tier=_E, summary=True,
              fhir="RelatedPerson.telecom"),
        Field("registered", _B, "Registered with the Office of the Public Guardian",
              "A lasting power of attorney can only be used once it is registered.", tier=_E,
              fhir="DocumentReference.authenticator (Office of the Public Guardian)"),
        Field("life_sustaining", _B, "May decide about life-sustaining treatment",
              "Only if the power of attorney says so clearly.", tier=_E,
              fhir="Consent.provision (life-sustaining treatment)"),
        # C: the reference lets anyone look the power up; an emergency team needs only the contact.
        Field("reference", _S, "Reference number",
              "For example, the Office of the Public Guardian reference or the court order number.",
              fhir="DocumentReference.masterIdentifier"),
        Field("what_they_decide", _T, "What they can and cannot decide",
              "Any limits, or what a court order covers.",
              fhir="Consent.provision.action.text"),
        Field("made_date", _D, "When it was made", fhir="DocumentReference.date"),
        Field("ends_date", _D, "When it ends, if it does", fhir="Consent.provision.period.end"),
        Field("original_location", _S, "Where the original is kept", fhir="DocumentReference.description"),
    ),
    repeating=True,
)

_SURVEY = "Observation (category=survey)"

_GOOD_LIFE = Section(
    "good_life",
    15,
    "A good life",
    "Notes, by date, about how life is going: what I enjoyed, who I saw, where I go, and what is working "
    "or not. Private unless I choose to share an entry.",
    (
        _own_words("In your own words", "", _P, f"{_SURVEY}.note.text"),
        Field("date", _D, "The date", tier=_P, summary=True, fhir=f"{_SURVEY}.effectiveDateTime"),
        Field("enjoyed", _T, "Things I did and enjoyed", tier=_P, summary=True,
              fhir=f"{_SURVEY}.valueString"),
        Field("friends_seen", _SS, "Friends I saw", tier=_P, fhir=f"{_SURVEY}.component.valueString"),
        Field("friends_seen_count", _I, "How many friends I saw this month", tier=_P,
              fhir=f"{_SURVEY}.component.valueInteger"),
        Field("places", _SS, "Places I go", tier=_P, fhir=f"{_SURVEY}.component.valueString"),
        Field("work_volunteering", _T, "Work and volunteering", tier=_P,
              fhir=f"{_SURVEY}.component.valueString"),
        Field("working", _T, "What is working", tier=_P, summary=True,
              fhir=f"{_SURVEY}.component.valueString"),
        Field("not_working", _T, "What is not working", tier=_P, summary=True,
              fhir=f"{_SURVEY}.component.valueString"),
    ),
    repeating=True,
)

_MISSING_PERSON = Section(
    "missing_person",
    16,
    "If I go missing",
    "What the police would need if I went missing. Private, and shared only through the missing-person "
    "share, box by box. Add a recent photo as an attachment.",
    (
        _own_words("In your own words", "", _P, _qr("missing_person", "text")),
        Field("description", _T, "What I look like", "Height, build, hair, marks, what I usually wear.",
              tier=_P, summary=True, fhir=_qr("missing_person", "description")),
        Field("photo_date", _D, "When my latest photo was taken", tier=_P,
              fhir=_qr("missing_person", "photo_date")),
        Field("places_i_might_go", _T, "Places I might go", tier=_P, summary=True,
              fhir=_qr("missing_person", "places_i_might_go")),
        Field("routines", _T, "My routines and the journeys I make", tier=_P,
              fhir=_qr("missing_person", "routines")),
        Field("how_to_approach_me", _T, "How to approach me", tier=_P, summary=True,
              fhir=_qr("missing_person", "how_to_approach_me")),
        Field("medical_essentials", _T, "Health needs if I am missing",
              "Medicines I must not miss, conditions, allergies.", tier=_P, summary=True,
              fhir=_qr("missing_person", "medical_essentials")),
    ),
    repeating=False,
)

# The journal is never exported as FHIR (P items go only to the person, in the project's own export
# format), so none of its fields has a FHIR target.
_JOURNAL = Section(
    "journal",
    17,
    "My journal",
    "Private notes and drafts. They are never shared.",
    (
        _own_words("My note", "", _P, ""),
        Field("title", _S, "Title", tier=_P, summary=True),
        Field("date", _D, "Date", tier=_P, summary=True),
    ),
    repeating=True,
    fixed_tier=_P,
)

_SENSITIVE = "Condition (meta.security=R)"

_SENSITIVE_HISTORY = Section(
    "sensitive_history",
    18,
    "Sensitive history",
    "Things from my past or present that could hurt me if seen out of context. Each one is shared only "
    "when I tick it for one share.",
    (
        _own_words("In your own words", "", _ST, f"{_SENSITIVE}.note.text"),
        Field("topic", _C, "What this is about", tier=_ST, summary=True,
              choices=("trauma", "safeguarding", "forensic", "sexual_health", "substance_use", "family",
                       "other"),
              fhir=f"{_SENSITIVE}.category.text"),
        Field("when", _S, "When it happened", "A date, a year, or 'when I was a child'.", tier=_ST,
              fhir=f"{_SENSITIVE}.onsetString"),
        Field("what_helps", _T, "What helps me, and what people should know", tier=_ST,
              fhir=f"{_SENSITIVE}.note.text"),
    ),
    repeating=True,
    fixed_tier=_ST,
)

SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        _IDENTITY,
        _ABOUT_ME,
        _COMMUNICATION,
        _ADJUSTMENTS,
        _UPSETS,
        _DAILY_LIVING,
        _CONDITIONS,
        _ALLERGIES,
        _MEDICINES,
        _HEALTH_PLAN,
        _SUPPORT_PLAN,
        _FUTURE_PLANS,
        _PEOPLE,
        _LEGAL,
        _GOOD_LIFE,
        _MISSING_PERSON,
        _JOURNAL,
        _SENSITIVE_HISTORY,
    )
}
if tuple(SECTIONS) != SECTION_NAMES or [s.number for s in SECTIONS.values()] != list(range(1, 19)):
    raise RuntimeError("SECTIONS must follow SECTION_NAMES, numbered 1 to 18")


def get_section(name: str) -> Section:
    """Return the section called ``name``.

    :raises UnknownSection: if there is none.
    """
    try:
        return SECTIONS[name]
    except (KeyError, TypeError):
        raise UnknownSection from None
