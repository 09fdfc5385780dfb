"""What a share includes, field by field, and the shared-record JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from consent.share_content import SharedItem, select_items, shared_record, utc_text
from consent.templates import TEMPLATES, Inclusion, ShareScope
from tests.ips_checks import check_shared_record
from tests.unit.consent.entry_views import (
    MADE_AT,
    T0,
    Planted,
    demo_views,
    planted_record,
    view,
    why_left_out,
)
from vault.entries import EntryView
from vault.sections import Tier

FULL, SUMMARY = Inclusion.FULL, Inclusion.SUMMARY
PROPERTY = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def scope(sections: dict[str, Inclusion], ceiling: Tier = Tier.C, ticked: frozenset[str] = frozenset()
          ) -> ShareScope:
    return ShareScope(sections=sections, ceiling=ceiling, s_items=ticked)


def as_json(items: list[SharedItem]) -> str:
    return json.dumps([dataclasses.asdict(item) for item in items], default=str)


def medicine(**tiers: str) -> EntryView:
    return view("medicines", {"name": "Sertraline", "dose": "50 mg", "reason": "Low mood",
                              "text": "Every morning."}, tiers or None)


def test_a_c_field_stays_out_under_an_e_ceiling() -> None:
    [item] = select_items([medicine()], scope({"medicines": FULL}, Tier.E))
    assert item.data == {"text": "Every morning.", "name": "Sertraline", "dose": "50 mg"}
    assert set(item.tiers.values()) == {Tier.E}


def test_c_fields_are_in_under_a_c_ceiling() -> None:
    [item] = select_items([medicine()], scope({"medicines": FULL}))
    assert item.data["reason"] == "Low mood"
    assert item.tiers["reason"] is Tier.C


def test_summary_keeps_only_the_summary_fields_and_never_the_own_words() -> None:
    [item] = select_items([medicine()], scope({"medicines": SUMMARY}))
    assert item.data == {"name": "Sertraline", "dose": "50 mg"}


def test_p_is_never_shared_even_when_ticked() -> None:
    entry = medicine(reason="P", dose="S")
    [item] = select_items([entry], scope({"medicines": FULL}, ticked=frozenset({entry.id})))
    assert "reason" not in item.data
    assert item.data["dose"] == "50 mg"


def test_s_needs_a_tick_for_this_share() -> None:
    entry = medicine(reason="S")
    [unticked] = select_items([entry], scope({"medicines": FULL}))
    assert "reason" not in unticked.data
    [ticked] = select_items([entry], scope({"medicines": FULL}, Tier.E, frozenset({entry.id})))
    assert ticked.data["reason"] == "Low mood"
    assert ticked.tiers["reason"] is Tier.S
    # A tick only lifts S: a C field stays out under an E ceiling.
    assert "text" in ticked.data


def test_a_tick_for_another_item_does_nothing() -> None:
    entry = medicine(reason="S")
    [item] = select_items([entry], scope({"medicines": FULL}, ticked=frozenset({"someone-else"})))
    assert "reason" not in item.data


def test_the_journal_never_appears_whatever_its_stored_tiers_say() -> None:
    # A damaged or forged entry claiming E for a journal note is still P, the journal's fixed tier.
    note = dataclasses.replace(view("journal", {"text": "Mine alone."}), tiers={"text": "E"})
    assert select_items([note], scope({"journal": FULL}, ticked=frozenset({note.id}))) == []


@pytest.mark.parametrize("stored", [{}, {"name": "X"}, {"name": "p"}])
def test_a_field_with_a_missing_or_unknown_tier_is_left_out(stored: dict[str, str]) -> None:
    entry = dataclasses.replace(view("medicines", {"name": "Sertraline", "dose": "50 mg"}),
                                tiers={"dose": "E", **stored})
    [item] = select_items([entry], scope({"medicines": FULL}))
    assert item.data == {"dose": "50 mg"}


def test_deleted_entries_unscoped_sections_and_empty_items_are_dropped() -> None:
    entries = [
        view("medicines", {"name": "Gone"}, deleted=True, entry_id="deleted"),
        view("allergies", {"substance": "Nuts"}, entry_id="unscoped"),
        view("medicines", {"reason": "Only a reason"}, entry_id="nothing-left"),
        view("medicines", {"name": "Kept"}, entry_id="kept"),
    ]
    items = select_items(entries, scope({"medicines": FULL}, Tier.E))
    assert [i.entry_id for i in items] == ["kept"]


def test_order_is_section_number_then_time() -> None:
    entries = [
        view("medicines", {"name": "Later"}, minutes=5, entry_id="m2"),
        view("identity", {"preferred_name": "Rosie"}, minutes=9, entry_id="id"),
        view("medicines", {"name": "Earlier"}, minutes=1, entry_id="m1"),
        view("future_plans", {"kind": "dnacpr"}, minutes=0, entry_id="plan"),
    ]
    items = select_items(entries, scope({"identity": FULL, "medicines": FULL, "future_plans": FULL}))
    assert [i.entry_id for i in items] == ["id", "m1", "m2", "plan"]


def test_the_support_worker_template_leaves_the_money_out_unless_ticked() -> None:
    plan = view("support_plan", {"outcomes": "Drama every week", "budget_amount": "£250 a week",
                                 "money_manager": "Mum"})
    template_scope = ShareScope.from_template(TEMPLATES["support_worker"])
    [item] = select_items([plan], template_scope)
    assert item.data == {"outcomes": "Drama every week"}
    ticked = dataclasses.replace(template_scope, s_items=frozenset({plan.id}))
    [item] = select_items([plan], ticked)
    assert item.data["budget_amount"] == "£250 a week"


def test_a_shared_item_is_a_copy() -> None:
    entry = view("medicines", {"name": "Lamotrigine",
                               "reviews": [{"date": "2026-01-10", "outcome": "Keep it."}]})
    [item] = select_items([entry], scope({"medicines": FULL}))
    entry.data["reviews"][0]["outcome"] = "Changed afterwards"
    assert item.data["reviews"][0]["outcome"] == "Keep it."


def test_a_shared_item_refuses_p_and_untiered_fields() -> None:
    fields: dict[str, Any] = dict(entry_id="e", section="journal", version=1, provenance=None,
                                  author_role="subject", created_at=T0, updated_at=T0)
    with pytest.raises(ValueError, match="private"):
        SharedItem(data={"text": "x"}, tiers={"text": Tier.P}, **fields)
    with pytest.raises(ValueError, match="tier"):
        SharedItem(data={"text": "x"}, tiers={}, **fields)
    with pytest.raises(ValueError, match="author role"):
        SharedItem(data={"text": "x"}, tiers={"text": Tier.E}, **{**fields, "author_role": "admin"})


def test_rosies_emergency_share_holds_no_c_or_s_field() -> None:
    items = select_items(demo_views("rosie"), ShareScope.from_template(TEMPLATES["emergency"]))
    assert items
    assert {tier for item in items for tier in item.tiers.values()} == {Tier.E}
    sections = {item.section for item in items}
    assert sections <= set(TEMPLATES["emergency"].sections)
    assert not sections & {"good_life", "journal", "sensitive_history"}


# ---------------------------------------------------------------------------------------------------
# Canaries: every rule at once, on random records and scopes
# ---------------------------------------------------------------------------------------------------


def check_canaries(planted: list[Planted], scope: ShareScope, haystack: str) -> None:
    """Each canary appears exactly when the rules say its field is shared."""
    for p in planted:
        for name, canaries in p.canaries.items():
            reason = why_left_out(p.entry, name, scope)
            for canary in canaries:
                if reason is None:
                    assert canary in haystack, f"{p.entry.section}.{name} should be shared"
                else:
                    assert canary not in haystack, f"{p.entry.section}.{name} leaked: {reason}"


@PROPERTY
@given(planted_record())
def test_canaries_in_shared_items(record: tuple[list[Planted], ShareScope]) -> None:
    planted, share_scope = record
    items = select_items([p.entry for p in planted], share_scope)
    check_canaries(planted, share_scope, as_json(items))
    assert all(Tier.P not in item.tiers.values() for item in items)


@PROPERTY
@given(planted_record())
def test_canaries_in_the_shared_record(record: tuple[list[Planted], ShareScope]) -> None:
    planted, share_scope = record
    document = shared_record(select_items([p.entry for p in planted], share_scope), label="GP",
                             made_at=MADE_AT)
    check_shared_record(document)
    check_canaries(planted, share_scope, json.dumps(document))


# ---------------------------------------------------------------------------------------------------
# The shared record
# ---------------------------------------------------------------------------------------------------


def test_shared_record_puts_future_plans_first_and_labels_every_field() -> None:
    entries = [
        view("identity", {"preferred_name": "Dennis"}, entry_id="id", provenance="Typed by Dennis"),
        view("medicines", {"name": "Lamotrigine", "reviews": [{"date": "2026-01-10", "outcome": "Keep"}]},
             entry_id="med", author_role="delegate", minutes=3),
        view("future_plans", {"kind": "respect", "original_location": "Kitchen drawer"}, entry_id="plan",
             author_role="imported"),
    ]
    items = select_items(entries, scope({"identity": FULL, "medicines": FULL, "future_plans": FULL}))
    document = shared_record(items, label="For my GP", made_at=MADE_AT)
    check_shared_record(document)
    assert document["made_at"] == "2026-11-23T14:02:00Z"
    assert [s["name"] for s in document["sections"]] == ["future_plans", "identity", "medicines"]
    identity = document["sections"][1]
    assert identity == {
        "name": "identity", "number": 1, "title": "Who I am",
        "items": [{"id": "id", "version": 1, "written_by": "the person", "provenance": "Typed by Dennis",
                   "updated_at": "2026-11-02T09:30:00Z",
                   "fields": [{"name": "preferred_name", "label": "Name I like to be called", "tier": "E",
                               "type": "string", "value": "Dennis"}]}],
    }
    med = document["sections"][2]["items"][0]
    assert med["written_by"] == "a supporter"
    reviews = next(f for f in med["fields"] if f["name"] == "reviews")
    assert reviews["value"] == [{"date": "2026-01-10", "outcome": "Keep"}]
    assert {"name": "outcome", "label": "What was decided, and why", "type": "text"} in reviews["item_fields"]
    assert document["sections"][0]["items"][0]["written_by"] == "imported from a file"


def test_utc_text_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        utc_text(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose.
