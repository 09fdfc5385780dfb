"""Made-up people in bulk, through the same services as the demo and the API.

Every account, record, entry, link and audit event is made by the code that makes them for a
real person (consent.accounts.sign_up, records.create_entry, sharing.create_link and
open_link), so every record opens, every link opens, and every chain verifies. What the bulk
people share is their passphrase: one Argon2id derivation with one salt (the HKDF step still
binds each key to its account) and one strength check, or a hundred thousand sign-ups would
take a day of derivations.

Each person has, in one unit of work: an account and a record (2 events), ENTRIES entries
from the demo records (one event each), EDITS of them (one each), a link of each of
TEMPLATES (one each), opened OPENINGS times (one each): 20 audit events a person.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from sqlalchemy.orm import Session

from consent import accounts, records, sharing
from consent.policy import Actor
from consent.runtime import Runtime
from keys import passphrase, share
from vault import passphrases
from web.demo_data import DEMO_ACCOUNTS

PASSPHRASE = "maple orbit lantern quietly"
ENTRIES = 10
EDITS = 3
TEMPLATES = ("emergency", "gp")
OPENINGS = 3
EVENTS_PER_PERSON = 2 + ENTRIES + EDITS + len(TEMPLATES) + OPENINGS
PEOPLE_PER_COMMIT = 20
LINK_LIFETIME = timedelta(days=180)
EDIT_TEXT = "Updated at my review: this is still right."
# Every demo entry, so that records differ in their sections and sizes, as real ones do.
_DEMO_ENTRIES = [entry for spec in DEMO_ACCOUNTS for entry in spec["entries"]]


def login_of(number: int) -> str:
    return f"bulk{number:06d}"


@contextlib.contextmanager
def shared_passphrase() -> Iterator[None]:
    """One salt, one Argon2id and one strength check for every bulk account made or unlocked
    in this process, while it lasts."""
    salt = passphrase.new_salt()
    with mock.patch.object(passphrase, "new_salt", return_value=salt), \
            mock.patch.object(passphrase, "stretch",
                              functools.lru_cache(maxsize=2)(passphrase.stretch)), \
            mock.patch("vault.accounts.check_passphrase", _checked_once()):
        yield


def _checked_once() -> Any:
    """vault.passphrases.check_passphrase, run once: its answer for the shared passphrase
    does not depend on the login, which none of the bulk logins resembles."""
    answer = passphrases.check_passphrase(PASSPHRASE)

    def check(text: object, *, user_inputs: tuple[str, ...] = ()) -> str:
        assert text == PASSPHRASE, "bulk accounts share one passphrase"
        return answer
    return check


@dataclass
class Made:
    """What a batch made: counts, and the addresses of the links picked for the check."""

    people: int = 0
    entries: int = 0
    links: int = 0
    links_picked: dict[int, str] = field(default_factory=dict)  # by link number

    def add(self, other: Made) -> None:
        self.people += other.people
        self.entries += other.entries
        self.links += other.links
        self.links_picked.update(other.links_picked)


def make_people(rt: Runtime, numbers: range, picked_links: set[int]) -> Made:
    """The people ``numbers``, PEOPLE_PER_COMMIT in each unit of work; the addresses of the
    links whose numbers (person number × len(TEMPLATES) + template) are in ``picked_links``."""
    made = Made()
    with shared_passphrase():
        for start in range(numbers.start, numbers.stop, PEOPLE_PER_COMMIT):
            with rt.db.transaction() as session:
                for number in range(start, min(start + PEOPLE_PER_COMMIT, numbers.stop)):
                    _make_person(session, rt, number, picked_links, made)
    return made


def _make_person(session: Session, rt: Runtime, number: int, picked_links: set[int],
                 made: Made) -> None:
    now = rt.now()
    login = login_of(number)
    person_id = accounts.sign_up(session, rt.config, login=login, email=None,
                                 passphrase=PASSPHRASE, preferred_name=f"Person {number}",
                                 now=now).person_id
    actor = accounts.unlock_at_command_line(session, rt.config, login=login,
                                            passphrase=PASSPHRASE)
    entry_ids = _write_entries(session, rt, actor, person_id, number, now)
    for entry_id in itertools.islice(itertools.cycle(entry_ids), EDITS):
        records.update_entry(session, rt.config, actor, person_id=person_id, entry_id=entry_id,
                             data={"text": EDIT_TEXT}, now=now)
    for position, template in enumerate(TEMPLATES):
        link = sharing.create_link(session, rt.config, actor, person_id=person_id, now=now,
                                   choices=sharing.LinkChoices(
                                       template=template, label=f"For my {template}",
                                       expires_at=now + LINK_LIFETIME))
        url = sharing.read_link(session, actor, person_id=person_id, link_id=link.id,
                                addresses=rt.addresses, now=now)["url"]
        if position == 0:
            _open(session, rt, url, number, now)
        link_number = number * len(TEMPLATES) + position
        if link_number in picked_links:
            made.links_picked[link_number] = url
        made.links += 1
    made.people += 1
    made.entries += ENTRIES


def _write_entries(session: Session, rt: Runtime, actor: Actor, person_id: str, number: int,
                   now: datetime) -> list[str]:
    """ENTRIES demo entries, starting at a place of the person's own, in sections that differ
    from person to person; the ids of those whose text may be edited."""
    start = (number * 7) % len(_DEMO_ENTRIES)
    editable = []
    for position in range(ENTRIES):
        entry = _DEMO_ENTRIES[(start + position) % len(_DEMO_ENTRIES)]
        view = records.create_entry(
            session, rt.config, actor, person_id=person_id, section=entry["section"],
            data=entry["data"], tiers=entry.get("tiers"), provenance=entry.get("provenance"),
            now=now + timedelta(microseconds=position))
        if "text" in entry["data"] and not entry.get("tiers"):
            editable.append(view.id)
    return editable or [view.id]


def _open(session: Session, rt: Runtime, url: str, number: int, now: datetime) -> None:
    """Open the link OPENINGS times, as a clinician's browser would, from one address: 11
    minutes apart, so that each is an event of its own (a client's repeats within its window
    of 10 minutes are one entry of the person's history)."""
    manifest_id = share.parse_shlink(url)["url"].rsplit("/", 1)[1]
    address = f"198.51.100.{number % 250 + 1}"
    for opening in range(OPENINGS):
        sharing.open_link(session, rt.config, manifest_id=manifest_id, passcode=None,
                          recipient="Dr Bulk", address=address,
                          now=now + timedelta(minutes=opening * 11))


def pick(count: int, among: int) -> set[int]:
    """``count`` numbers of ``range(among)`` at random, to check after the run."""
    return set(secrets.SystemRandom().sample(range(among), min(count, among)))

