"""Share templates: who usually needs which sections, and the scope of one share.

The templates follow RECORD.md's table "Who usually needs what". A template is only a starting point:
the person edits the sections, and ticks S items one by one, before anything is shared. A scope says
what one share may include; ``consent.share_content.select_items`` applies it to the entries.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vault.sections import SECTIONS, Tier

__all__ = ["TEMPLATES", "Inclusion", "ShareScope", "Template"]


class Inclusion(enum.StrEnum):
    """How much of a section a share includes: every field, or the section's summary fields only."""

    FULL = "full"
    SUMMARY = "summary"


# Only these ceilings make sense for a share: S fields go only when ticked item by item, and P never.
_CEILINGS = (Tier.E, Tier.C)


def _check_sections(sections: Mapping[str, Inclusion]) -> Mapping[str, Inclusion]:
    """Return a read-only copy, so a template or scope cannot be widened after it was checked."""
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise ValueError(f"no such sections: {', '.join(sorted(map(str, unknown)))}")
    if any(not isinstance(inclusion, Inclusion) for inclusion in sections.values()):
        raise ValueError("each section needs an Inclusion")
    return MappingProxyType(dict(sections))


def _check_ceiling(ceiling: Tier) -> Tier:
    """Return the ceiling as a Tier, so "C" given as text compares as Tier.C everywhere."""
    if ceiling not in _CEILINGS:
        raise ValueError(f"a share's ceiling is E or C, not {ceiling!r}")
    return Tier(ceiling)


@dataclass(frozen=True)
class Template:
    """A starting point for a share: who it is for, which sections, and the highest tier it may show."""

    name: str
    label: str
    sections: Mapping[str, Inclusion]
    ceiling: Tier
    allows_max_openings: bool
    description: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "ceiling", _check_ceiling(self.ceiling))
        object.__setattr__(self, "sections", _check_sections(self.sections))


@dataclass(frozen=True)
class ShareScope:
    """What one share may include: sections, the tier ceiling, and the S items ticked for it."""

    sections: Mapping[str, Inclusion]
    ceiling: Tier
    s_items: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ceiling", _check_ceiling(self.ceiling))
        object.__setattr__(self, "sections", _check_sections(self.sections))
        object.__setattr__(self, "s_items", frozenset(self.s_items))

    @classmethod
    def from_template(cls, template: Template) -> ShareScope:
        """The scope a template gives before the person changes anything: no S item is ticked."""
        return cls(sections=template.sections, ceiling=template.ceiling)


_F, _S = Inclusion.FULL, Inclusion.SUMMARY

# Columns of RECORD.md's table; "–" and "if chosen" cells are simply absent. Sections whose items are
# P by default (a good life, the missing-person pack) can be named: only items the person has moved to
# C or S are ever shared from them.
_EVERYDAY = {"identity": _F, "communication": _F, "adjustments": _F}

def _template(
    name: str, label: str, description: str, sections: Mapping[str, Inclusion], *,
    ceiling: Tier = Tier.C, allows_max_openings: bool = True,
) -> Template:
    return Template(name=name, label=label, sections=sections, ceiling=ceiling,
                    allows_max_openings=allows_max_openings, description=description)


_TEMPLATE_LIST = (
    _template(
        "emergency", "Anyone helping me in an emergency",
        "For paramedics, A&E or anyone who finds me and has never met me.",
        {**_EVERYDAY, "about_me": _S, "upsets": _F, "daily_living": _S, "conditions": _F,
         "allergies": _F, "medicines": _F, "future_plans": _F, "people": _F, "legal": _F},
        # E only, and never a limit on openings: an emergency link must work for whoever finds it.
        ceiling=Tier.E, allows_max_openings=False,
    ),
    _template(
        "gp", "A GP or practice nurse",
        "For my doctor or nurse at my GP practice.",
        {**_EVERYDAY, "about_me": _F, "upsets": _F, "daily_living": _F, "conditions": _F,
         "allergies": _F, "medicines": _F, "health_plan": _F, "support_plan": _S, "future_plans": _F,
         "people": _F, "legal": _F},
    ),
    _template(
        "hospital_ward", "A hospital ward",
        "For the nurses and doctors looking after me while I stay in hospital.",
        {**_EVERYDAY, "about_me": _F, "upsets": _F, "daily_living": _F, "conditions": _F,
         "allergies": _F, "medicines": _F, "health_plan": _S, "future_plans": _F, "people": _F,
         "legal": _F},
    ),
    _template(
        "pharmacist", "A pharmacist",
        "For a pharmacist checking or reviewing my medicines.",
        {**_EVERYDAY, "daily_living": _S, "conditions": _F, "allergies": _F, "medicines": _F},
    ),
    _template(
        "social_worker", "A social worker",
        "For a social worker planning or reviewing my care and support.",
        {**_EVERYDAY, "about_me": _F, "upsets": _F, "daily_living": _F, "conditions": _S,
         "allergies": _S, "medicines": _S, "health_plan": _S, "support_plan": _F, "future_plans": _S,
         "people": _F, "legal": _F},
    ),
    _template(
        "support_worker", "A support worker or carer",
        "For someone who supports me day to day, at home or out and about.",
        # "✓ (no money)": the money fields are S, so they stay out unless the person ticks them.
        {**_EVERYDAY, "about_me": _F, "upsets": _F, "daily_living": _F, "conditions": _S,
         "allergies": _F, "medicines": _F, "health_plan": _F, "support_plan": _F, "future_plans": _F,
         "people": _F, "legal": _F},
    ),
    _template(
        "advocate", "An advocate",
        "For an advocate who helps me speak up and be heard.",
        {**_EVERYDAY, "about_me": _F, "upsets": _F, "daily_living": _S, "conditions": _S,
         "medicines": _S, "health_plan": _S, "support_plan": _F, "future_plans": _F, "people": _F,
         "legal": _F, "good_life": _F},
    ),
    _template(
        "missing_person", "The police, if I go missing",
        "For the police if I go missing, so they can find me and approach me the right way.",
        {"identity": _F, "missing_person": _F},
    ),
    _template("custom", "Someone else", "For anyone else: I choose each part myself.", {}),
)

TEMPLATES: dict[str, Template] = {t.name: t for t in _TEMPLATE_LIST}
