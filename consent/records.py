"""Reading and writing records: the only way web and api reach entries.

Each write goes through vault and appends its audit event in the same transaction; each
read by anyone other than the subject is audited too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from consent.indicators import medicine_indicators
from consent.policy import READ, WRITE, Actor, audit_read, check
from consent.sharing import refresh_copies
from vault import entries as vault_entries
from vault import people
from vault.config import VaultConfig

# What the front doors show of an entry, re-exported so they reach the vault through consent.
from vault.entries import EntryView as EntryView
from vault.models import Member, Person
from vault.record_metadata import section_of
from vault.sections import get_section


def list_people(session: Session, actor: Actor) -> list[dict[str, str]]:
    out = []
    for person, member in people.people_of(session, account_id=actor.account_id):
        if actor.person_ids is not None and person.id not in actor.person_ids:
            continue
        if person.hidden_at is not None:
            continue
        out.append({"id": person.id, "preferred_name": people.display_name(actor.keychain, person),
                    "role": member.role})
    return out


def list_entries(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str,
    section: str | None, now: datetime,
) -> list[EntryView]:
    person, member = check(session, actor, person_id, READ)
    if section is not None:
        get_section(section)
    views = vault_entries.list_entries(session, actor.keychain, person, section=section)
    audit_read(session, config, actor, person, member, f"entries:{section or 'all'}", now)
    return views


def read_entry(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, entry_id: str,
    now: datetime,
) -> EntryView:
    person, member = check(session, actor, person_id, READ)
    view = vault_entries.read_entry(session, actor.keychain, person, entry_id)
    audit_read(session, config, actor, person, member, f"entry:{entry_id}", now)
    return view


def read_entry_section(session: Session, actor: Actor, *, person_id: str,
                       entry_id: str) -> str:
    """Which section an entry of a record the actor may write belongs to; only its sealed
    section is opened, none of what it says.

    For a form that must know an entry's boxes before it can read what was sent.

    :raises NotFound, NotAllowed:
    """
    person, _ = check(session, actor, person_id, WRITE)
    return section_of(actor.keychain, person, vault_entries.get_entry(session, person, entry_id))


def list_versions(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, entry_id: str,
    now: datetime,
) -> list[EntryView]:
    person, member = check(session, actor, person_id, READ)
    views = vault_entries.list_versions(session, actor.keychain, person, entry_id)
    audit_read(session, config, actor, person, member, f"versions:{entry_id}", now)
    return views


def _author_role(member: Member) -> str:
    return "subject" if member.role == people.ROLE_SUBJECT else "delegate"


def _sync_display_name(actor: Actor, person: Person, view: EntryView) -> None:
    # The name shown in lists follows "Name I like to be called" in the identity section.
    if view.section == "identity" and view.data.get("preferred_name"):
        people.set_display_name(actor.keychain, person, view.data["preferred_name"])


def create_entry(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, section: object,
    data: object, tiers: object = None, provenance: object = None, now: datetime,
) -> EntryView:
    """:raises NotFound, NotAllowed, InvalidEntry, UnknownSection: and changes nothing."""
    person, member = check(session, actor, person_id, WRITE)
    view = vault_entries.create_entry(
        session, actor.keychain, person, section=section, data=data, tiers=tiers,
        provenance=provenance, author_role=_author_role(member), now=now)
    _sync_display_name(actor, person, view)
    people.record_event(session, config, person, "entry_created",
                        actor_account_id=actor.account_id, now=now,
                        details={"entry": view.id, "section": view.section, "version": 1})
    _refresh_links(session, actor, person, view.section, now)
    return view


def update_entry(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, entry_id: str,
    data: object, tiers: object = None, provenance: object = None, now: datetime,
) -> EntryView:
    person, member = check(session, actor, person_id, WRITE)
    view = vault_entries.update_entry(
        session, actor.keychain, person, entry_id=entry_id, data=data, tiers=tiers,
        provenance=provenance, author_role=_author_role(member), now=now)
    _sync_display_name(actor, person, view)
    people.record_event(session, config, person, "entry_updated",
                        actor_account_id=actor.account_id, now=now,
                        details={"entry": view.id, "section": view.section,
                                 "version": view.version})
    _refresh_links(session, actor, person, view.section, now)
    return view


def delete_entry(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, entry_id: str,
    now: datetime,
) -> None:
    person, _ = check(session, actor, person_id, WRITE)
    entry = vault_entries.delete_entry(session, actor.keychain, person, entry_id=entry_id, now=now)
    section = section_of(actor.keychain, person, entry)
    people.record_event(session, config, person, "entry_deleted",
                        actor_account_id=actor.account_id, now=now,
                        details={"entry": entry.id, "section": section})
    _refresh_links(session, actor, person, section, now)


def _refresh_links(session: Session, actor: Actor, person: Person, section: str,
                   now: datetime) -> None:
    refresh_copies(session, actor, person, sections={section}, now=now)


def read_medicine_indicators(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str, now: datetime,
    today: date,
) -> dict[str, Any]:
    views = list_entries(session, config, actor, person_id=person_id, section="medicines",
                         now=now)
    return medicine_indicators(views, today=today)
