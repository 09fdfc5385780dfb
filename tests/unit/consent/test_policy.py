"""Every rule of ``consent.policy``, one test (or more) for each, named after the rule.

- ``check``: someone else's record is not found; a token reaches only the people it names;
  an action outside the credential's scopes is not allowed; ``SUBJECT_ONLY`` needs the
  person themselves with full access; a deleted record is found only to undo its deletion.
- ``audit_read``: a read by anyone but the subject goes in the person's history.
- ``confirm_if_needed``: a signed-in session gives the passphrase again, and a wrong one is
  refused and counted; a token needs the permission named for the action (share, manage);
  the command line has just given the passphrase.

Rules of the other consent topics are indexed the same way in ``test_sessions.py``,
``test_tokens.py`` and ``test_open_link.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent import lifecycle
from consent.errors import NotAllowed, PassphraseNeeded
from consent.policy import (
    MANAGE,
    READ,
    SHARE,
    SUBJECT_ONLY,
    WRITE,
    actor_for_account,
    audit_read,
    check,
    confirm_if_needed,
)
from tests.factories import PASSPHRASE
from tests.unit.consent.conftest import NOW, Someone, token_actor
from vault import audit
from vault.config import VaultConfig
from vault.errors import NotFound, StepUpFailed
from vault.models import AuditEvent, Member

MakeSomeone = Callable[..., Someone]


# -- check ---------------------------------------------------------------------------------------


def test_check_someone_elses_record_is_not_found(session: Session,
                                                 make_someone: MakeSomeone) -> None:
    amy, bob = make_someone("amy"), make_someone("bob", "Bob")
    with pytest.raises(NotFound):
        check(session, amy.session_actor, bob.person_id, READ)


def test_check_a_record_that_does_not_exist_is_not_found_alike(
        session: Session, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    with pytest.raises(NotFound):
        check(session, amy.session_actor, "00000000-0000-4000-8000-000000000000", READ)


def test_check_a_token_reaches_only_the_people_it_names(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    nobody = token_actor(session, config, amy, person_ids=[])
    with pytest.raises(NotFound):
        check(session, nobody, amy.person_id, READ)
    check(session, token_actor(session, config, amy), amy.person_id, READ)


def test_check_an_action_outside_the_scopes_is_not_allowed(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    read_only = token_actor(session, config, amy, scopes=("read",))
    check(session, read_only, amy.person_id, READ)
    with pytest.raises(NotAllowed):
        check(session, read_only, amy.person_id, WRITE)


def test_check_subject_only_needs_the_person_with_full_access(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    check(session, amy.session_actor, amy.person_id, SUBJECT_ONLY)
    check(session, token_actor(session, config, amy), amy.person_id, SUBJECT_ONLY)
    with pytest.raises(NotAllowed):
        check(session, token_actor(session, config, amy, scopes=("read",)), amy.person_id,
              SUBJECT_ONLY)


def test_check_a_deleted_record_is_found_only_to_undo_it(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    lifecycle.delete_record(session, config, amy.session_actor, person_id=amy.person_id,
                            now=NOW, passphrase=PASSPHRASE, address="192.0.2.1")
    with pytest.raises(NotFound):
        check(session, amy.session_actor, amy.person_id, READ)
    check(session, amy.session_actor, amy.person_id, SUBJECT_ONLY, include_hidden=True)


# -- audit_read ------------------------------------------------------------------------------------


def _reads(session: Session, person_id: str) -> int:
    return len(session.scalars(select(AuditEvent).where(
        AuditEvent.chain == audit.person_chain(person_id),
        AuditEvent.kind == "record_read")).all())


def test_audit_read_records_a_read_by_anyone_but_the_subject(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    person, member = check(session, amy.session_actor, amy.person_id, READ)
    audit_read(session, config, amy.session_actor, person, member, "entries:all", NOW)
    assert _reads(session, amy.person_id) == 0
    supporter = Member(person_id=person.id, account_id=amy.account_id, role="delegate")
    audit_read(session, config, amy.session_actor, person, supporter, "entries:all", NOW)
    assert _reads(session, amy.person_id) == 1


# -- confirm_if_needed -------------------------------------------------------------------------


def test_confirm_if_needed_a_session_gives_the_passphrase_again(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    with pytest.raises(PassphraseNeeded):
        confirm_if_needed(session, config, amy.session_actor, permission=SHARE,
                          passphrase=None, address="192.0.2.1", now=NOW)
    with pytest.raises(StepUpFailed):
        confirm_if_needed(session, config, amy.session_actor, permission=SHARE,
                          passphrase="not it at all, no", address="192.0.2.1", now=NOW)
    confirm_if_needed(session, config, amy.session_actor, permission=SHARE,
                          passphrase=PASSPHRASE, address="192.0.2.1", now=NOW)


def test_confirm_if_needed_a_token_needs_the_permission_the_command_line_none(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    sharer = token_actor(session, config, amy, scopes=("read", "write", "share"))
    confirm_if_needed(session, config, sharer, permission=SHARE, passphrase=None,
                      address="192.0.2.1", now=NOW)
    with pytest.raises(NotAllowed):
        confirm_if_needed(session, config, sharer, permission=MANAGE, passphrase=None,
                          address="192.0.2.1", now=NOW)
    at_command_line = actor_for_account(session, config, amy.session_actor.unlocked)
    confirm_if_needed(session, config, at_command_line, permission=MANAGE, passphrase=None,
                      address="", now=NOW)
