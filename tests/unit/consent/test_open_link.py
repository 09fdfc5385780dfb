"""Every rule of ``consent.sharing.open_link``, the checks at a link's manifest, in their order.

- A link that is not live is not found, whatever else the request says, and costs nothing.
- A wrong passcode is refused with the attempts left, counted against the link's lifetime
  budget and kept although the request is refused; the last one stops the link.
- A right passcode (or none needed) then takes a place in the link's polling window; a full
  window says how long to wait; a wrong passcode never takes one.
- Each opening is counted, and a maximum of openings ends the link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consent import records, sharing
from consent.errors import LinkNotLive, TooOften, WrongPasscode
from consent.sharing import LinkAddresses, LinkChoices
from keys import share
from tests.unit.consent.conftest import NOW, Someone, token_actor
from vault import links as vault_links
from vault.config import VaultConfig
from vault.errors import InvalidEntry
from vault.links import PASSCODE_BUDGET, WINDOW_REQUESTS
from vault.models import AuditEvent, LinkClient, Person, ShareLink

MakeSomeone = Callable[..., Someone]
ADDRESSES = LinkAddresses.at("https://tellonce.test", viewer_path="/view", manifest_path="/shl/")
PASSCODE = "blue-kettle-42"


def _link(session: Session, config: VaultConfig, someone: Someone, **choices: object) -> str:
    """A new link's manifest id, as a viewer reads it from the link."""
    actor = token_actor(session, config, someone)
    made = sharing.create_link(session, config, actor, person_id=someone.person_id, now=NOW,
                               choices=LinkChoices(**{"template": "gp", "label": "For my GP",
                                                      "expires_at": NOW + timedelta(days=30),
                                                      **choices}))  # type: ignore[arg-type]
    url = sharing.read_link(session, actor, person_id=someone.person_id, link_id=made.id,
                            addresses=ADDRESSES, now=NOW)["url"]
    return str(share.parse_shlink(url)["url"]).rsplit("/", 1)[1]


def _open(session: Session, config: VaultConfig, manifest_id: str, passcode: str | None = None,
          *, minutes: int = 0, address: str = "192.0.2.1") -> sharing.OpenedLink:
    return sharing.open_link(session, config, manifest_id=manifest_id, passcode=passcode,
                             recipient="Dr A Patel", address=address,
                             now=NOW + timedelta(minutes=minutes))


def _row(session: Session) -> ShareLink:
    """The test's one link, as the database has it now."""
    return session.scalars(select(ShareLink).execution_options(populate_existing=True)).one()


def test_a_link_that_is_not_live_is_not_found_whatever_the_passcode(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, passcode=PASSCODE)
    sharing.stop_all_sharing(session, config, amy.session_actor, person_id=amy.person_id, now=NOW)
    for passcode in (None, "wrong", PASSCODE):
        with pytest.raises(LinkNotLive):
            _open(session, config, manifest_id, passcode)
    assert _row(session).passcode_failures == 0  # Costs nothing.
    for made_up in ("", "x" * 43, "A" * 43):
        with pytest.raises(LinkNotLive):
            _open(session, config, made_up)


def test_a_wrong_passcode_is_counted_and_the_last_one_stops_the_link(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, passcode=PASSCODE)
    left = []
    for _ in range(PASSCODE_BUDGET):
        with pytest.raises(WrongPasscode) as wrong:
            _open(session, config, manifest_id, "not the passcode")
        left.append(wrong.value.remaining_attempts)
    assert left == list(range(PASSCODE_BUDGET - 1, -1, -1))
    with pytest.raises(LinkNotLive):
        _open(session, config, manifest_id, PASSCODE)  # Stopped: even the right one.


def test_a_wrong_passcode_never_takes_a_place_in_the_window(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, passcode=PASSCODE)
    with pytest.raises(WrongPasscode):
        _open(session, config, manifest_id, "not the passcode")
    assert session.scalar(select(func.count()).select_from(LinkClient)) == 0


def test_a_full_window_says_how_long_to_wait_after_the_passcode_is_checked(
        counting: str | None, session: Session, config: VaultConfig,
        make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, passcode=PASSCODE)
    for _ in range(WINDOW_REQUESTS):
        _open(session, config, manifest_id, PASSCODE)
    with pytest.raises(WrongPasscode):  # The passcode is checked before the window.
        _open(session, config, manifest_id, "not the passcode")
    with pytest.raises(TooOften) as waiting:
        _open(session, config, manifest_id, PASSCODE)
    assert 1 <= waiting.value.retry_after <= 601  # The rest of the 10 minutes, rounded up.
    _open(session, config, manifest_id, PASSCODE, minutes=11)  # A new window.


def test_each_opening_is_counted_and_a_maximum_ends_the_link(
        session: Session, config: VaultConfig, make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, max_openings=2)
    _open(session, config, manifest_id)
    _open(session, config, manifest_id)
    with pytest.raises(LinkNotLive):
        _open(session, config, manifest_id)
    assert _row(session).openings == 2


def test_a_record_too_big_for_one_link_is_refused_then_leaves_a_live_link_as_it_was(
        session: Session, config: VaultConfig, make_someone: MakeSomeone,
        monkeypatch: pytest.MonkeyPatch) -> None:
    amy = make_someone("amy")
    actor = token_actor(session, config, amy)
    sharing_choices = {"template": "custom", "label": "All of it",
                       "expires_at": NOW + timedelta(days=30),
                       "sections": {"communication": "full"}}
    manifest_id = _link(session, config, amy, **sharing_choices)
    kept = _open(session, config, manifest_id).jwe
    # A copy's limit, made small here so that a few words pass it.
    monkeypatch.setattr(share, "MAX_COPY_BYTES", len(kept) // 2 + 2_000)
    records.create_entry(session, config, actor, person_id=amy.person_id,
                         section="communication", data={"text": "x" * 19_000}, now=NOW)
    assert _open(session, config, manifest_id, minutes=1).jwe == kept  # The copy of before.
    assert _row(session).stale_since == NOW
    with pytest.raises(InvalidEntry) as refused:
        _link(session, config, amy, **sharing_choices)
    assert refused.value.field == "sections"


def test_one_client_polling_stops_the_link_for_itself_alone_and_is_one_entry(
        counting: str | None, session: Session, config: VaultConfig,
        make_someone: MakeSomeone) -> None:
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, template="emergency", label="Emergency")
    for _ in range(WINDOW_REQUESTS):
        _open(session, config, manifest_id, address="198.51.100.7")
    with pytest.raises(TooOften):
        _open(session, config, manifest_id, address="198.51.100.7")
    _open(session, config, manifest_id, address="203.0.113.9")  # Anyone else still opens it.
    openings = sharing.list_openings(session, amy.session_actor, person_id=amy.person_id)
    assert sorted(o["times"] for o in openings) == [1, WINDOW_REQUESTS]
    # Once the window has ended, its repeats are written to the history, and counted the same.
    _open(session, config, manifest_id, address="198.51.100.7", minutes=11)
    later = sharing.list_openings(session, amy.session_actor, person_id=amy.person_id)
    assert sorted(o["times"] for o in later) == [1, 1, WINDOW_REQUESTS]
    kinds = session.scalars(select(AuditEvent.kind).where(
        AuditEvent.chain == f"person:{amy.person_id}")).all()
    assert kinds.count("link_opened") == 3
    assert kinds.count("link_reopened") == 1
    # With Redis the requests were counted there alone; without it, here.
    counted_here = set(session.scalars(select(LinkClient.requests)))
    assert counted_here == ({0} if counting else {1})


@pytest.mark.parametrize("passcode", [None, PASSCODE])
def test_a_record_deleted_after_its_link_was_found_is_not_opened(
        session: Session, config: VaultConfig, make_someone: MakeSomeone,
        monkeypatch: pytest.MonkeyPatch, passcode: str | None) -> None:
    """The record is deleted between the lookup and the count, as a deletion committed by
    another request between two statements would be (PostgreSQL reads each statement afresh):
    the count checks the record again in its own statement, so nothing is opened or spent."""
    amy = make_someone("amy")
    manifest_id = _link(session, config, amy, passcode=passcode)
    find = vault_links.find_by_manifest_id

    def found_then_deleted(s: Session, text: str) -> tuple[ShareLink, Person] | None:
        found = find(s, text)
        s.execute(update(Person).where(Person.id == amy.person_id).values(hidden_at=NOW)
                  .execution_options(synchronize_session=False))  # What was loaded stays.
        return found

    monkeypatch.setattr(vault_links, "find_by_manifest_id", found_then_deleted)
    with pytest.raises(LinkNotLive):
        _open(session, config, manifest_id, passcode)
    row = _row(session)
    assert (row.openings, row.passcode_failures) == (0, 0)
