"""Share templates follow RECORD.md's "Who usually needs what" table, and scopes refuse what cannot be."""

from __future__ import annotations

import pytest

from consent.templates import TEMPLATES, Inclusion, ShareScope, Template
from vault.sections import SECTIONS, Tier

# RECORD.md's table, copied cell by cell: ✓ included, ~ summary, – or "if chosen" left out.
COLUMNS = ("emergency", "gp", "hospital_ward", "pharmacist", "social_worker", "support_worker", "advocate")
TABLE = """
identity                   | ✓ | ✓ | ✓ | ✓ | ✓         | ✓            | ✓
about me                   | ~ | ✓ | ✓ | – | ✓         | ✓            | ✓
communication              | ✓ | ✓ | ✓ | ✓ | ✓         | ✓            | ✓
reasonable adjustments     | ✓ | ✓ | ✓ | ✓ | ✓         | ✓            | ✓
upsets and what helps      | ✓ | ✓ | ✓ | – | ✓         | ✓            | ✓
daily living               | ~ | ✓ | ✓ | ~ | ✓         | ✓            | ~
conditions                 | ✓ | ✓ | ✓ | ✓ | ~         | ~            | ~
allergies                  | ✓ | ✓ | ✓ | ✓ | ~         | ✓            | –
medicines                  | ✓ | ✓ | ✓ | ✓ | ~         | ✓            | ~
health action plan         | – | ✓ | ~ | – | ~         | ✓            | ~
support plan and budget    | – | ~ | – | – | ✓         | ✓ (no money) | ✓
emergency and future plans | ✓ | ✓ | ✓ | – | ~         | ✓            | ✓
people in my life          | ✓ | ✓ | ✓ | – | ✓         | ✓            | ✓
legal representatives      | ✓ | ✓ | ✓ | – | ✓         | ✓            | ✓
a good life                | – | – | – | – | if chosen | if chosen    | ✓
"""
ROWS = {
    "identity": "identity",
    "about me": "about_me",
    "communication": "communication",
    "reasonable adjustments": "adjustments",
    "upsets and what helps": "upsets",
    "daily living": "daily_living",
    "conditions": "conditions",
    "allergies": "allergies",
    "medicines": "medicines",
    "health action plan": "health_plan",
    "support plan and budget": "support_plan",
    "emergency and future plans": "future_plans",
    "people in my life": "people",
    "legal representatives": "legal",
    "a good life": "good_life",
}
CELLS = {"✓": Inclusion.FULL, "✓ (no money)": Inclusion.FULL, "~": Inclusion.SUMMARY, "–": None,
         "if chosen": None}


def cells() -> list[tuple[str, str, Inclusion | None]]:
    found = []
    for line in TABLE.strip().splitlines():
        row, *values = (part.strip() for part in line.split("|"))
        assert len(values) == len(COLUMNS), row
        found += [(COLUMNS[i], ROWS[row], CELLS[value]) for i, value in enumerate(values)]
    return found


def test_the_transcription_covers_every_row_once() -> None:
    rows = [line.split("|")[0].strip() for line in TABLE.strip().splitlines()]
    assert rows == list(ROWS)
    assert set(ROWS.values()) <= set(SECTIONS)


@pytest.mark.parametrize(("template", "section", "expected"), cells())
def test_each_cell_of_the_table(template: str, section: str, expected: Inclusion | None) -> None:
    assert TEMPLATES[template].sections.get(section) is expected


@pytest.mark.parametrize("template", COLUMNS)
def test_table_templates_name_no_section_the_table_leaves_out(template: str) -> None:
    expected = {section for column, section, inclusion in cells() if column == template and inclusion}
    assert set(TEMPLATES[template].sections) == expected


def test_the_templates_are_exactly_these() -> None:
    assert list(TEMPLATES) == [*COLUMNS, "missing_person", "custom"]
    for name, template in TEMPLATES.items():
        assert template.name == name
        assert template.label
        assert template.description.endswith(".")
        assert template.description.count(". ") == 0, "one short sentence"


def test_missing_person_template_holds_identity_and_the_pack() -> None:
    assert dict(TEMPLATES["missing_person"].sections) == {
        "identity": Inclusion.FULL, "missing_person": Inclusion.FULL}


def test_custom_starts_with_nothing_chosen() -> None:
    assert dict(TEMPLATES["custom"].sections) == {}
    assert TEMPLATES["custom"].ceiling is Tier.C


def test_only_the_emergency_template_is_e_and_never_runs_out() -> None:
    for name, template in TEMPLATES.items():
        emergency = name == "emergency"
        assert template.ceiling is (Tier.E if emergency else Tier.C), name
        assert template.allows_max_openings is not emergency, name


def test_no_template_names_the_journal_or_sensitive_history() -> None:
    for template in TEMPLATES.values():
        assert not {"journal", "sensitive_history"} & set(template.sections)


def test_template_sections_cannot_be_widened_after_the_check() -> None:
    with pytest.raises(TypeError):
        TEMPLATES["emergency"].sections["journal"] = Inclusion.FULL  # type: ignore[index]


def test_scope_from_template_ticks_nothing() -> None:
    scope = ShareScope.from_template(TEMPLATES["gp"])
    assert dict(scope.sections) == dict(TEMPLATES["gp"].sections)
    assert scope.ceiling is Tier.C
    assert scope.s_items == frozenset()


@pytest.mark.parametrize("ceiling", [Tier.S, Tier.P, "S", "X", None])
def test_scope_ceiling_is_e_or_c_only(ceiling: Tier) -> None:
    with pytest.raises(ValueError, match="ceiling"):
        ShareScope(sections={}, ceiling=ceiling)


def test_a_ceiling_given_as_text_becomes_a_tier() -> None:
    assert ShareScope(sections={}, ceiling="C").ceiling is Tier.C  # type: ignore[arg-type]


def test_template_ceiling_is_e_or_c_only() -> None:
    with pytest.raises(ValueError, match="ceiling"):
        Template(name="x", label="X", sections={}, ceiling=Tier.S, allows_max_openings=True,
                 description="X.")


@pytest.mark.parametrize("sections", [{"diary": Inclusion.FULL}, {"Identity": Inclusion.FULL}])
def test_scope_sections_must_exist(sections: dict[str, Inclusion]) -> None:
    with pytest.raises(ValueError, match="no such sections"):
        ShareScope(sections=sections, ceiling=Tier.C)


def test_scope_inclusions_must_be_inclusions() -> None:
    with pytest.raises(ValueError, match="Inclusion"):
        ShareScope(sections={"identity": "everything"}, ceiling=Tier.C)  # type: ignore[dict-item]


def test_scope_keeps_its_own_copy() -> None:
    sections = {"identity": Inclusion.FULL}
    ticked = {"entry-1"}
    scope = ShareScope(sections=sections, ceiling=Tier.C, s_items=ticked)  # type: ignore[arg-type]
    sections["medicines"] = Inclusion.FULL
    ticked.add("entry-2")
    assert dict(scope.sections) == {"identity": Inclusion.FULL}
    assert scope.s_items == frozenset({"entry-1"})
