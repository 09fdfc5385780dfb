"""Finding a record's content keys (vault.keychain): by its scope's index first, then by the
plain scope of a row from before decision 0012; made once, and found again by the next
request."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keys import envelope
from keys.hierarchy import CONTENT_KEY
from keys.keyring import Keyring
from tests.unit.vault.test_vault_attachments import Owner, make_owner
from vault import entries as vault_entries
from vault.errors import NotFound
from vault.keychain import Keychain, section_scope
from vault.models import ContentKey
from vault.sections import Tier

SCOPE = section_scope("communication")


@pytest.fixture
def amy(session: Session, keyring: Keyring, now: datetime) -> Owner:
    return make_owner(session, keyring, now, "amy")


def _next_request(amy: Owner) -> Keychain:
    """A keychain with nothing cached, as the next request of the same account has."""
    return Keychain(amy.keychain.session, amy.keychain.config, amy.keychain.unlocked)


def _rows(session: Session, amy: Owner) -> int:
    return session.scalar(select(func.count()).select_from(ContentKey).where(
        ContentKey.person_id == amy.person.id)) or 0


def test_a_key_by_its_index_wins_over_a_plain_row_of_the_same_scope(
        session: Session, amy: Owner, now: datetime) -> None:
    entry = vault_entries.create_entry(session, amy.keychain, amy.person,
                                       section="communication", data={"text": "Makaton."},
                                       now=now)
    epoch = amy.person.epoch
    # A plain row for the same scope, as a row written meanwhile by an older server would be,
    # holding another key: the entry opens only with the one found by the index.
    other = envelope.new_key()
    session.add(ContentKey(person_id=amy.person.id, scope=SCOPE, tier=Tier.E.value, epoch=epoch,
                           wrapped=CONTENT_KEY.wrap(amy.keychain.record_key(amy.person), other,
                                                    person=amy.person.id, scope=SCOPE,
                                                    tier=Tier.E.value, epoch=epoch)))
    session.flush()
    keychain = _next_request(amy)
    assert keychain.content_key(amy.person, SCOPE, Tier.E, epoch) != other
    read = vault_entries.read_entry(session, keychain, amy.person, entry.id)
    assert read.data == {"text": "Makaton."}


def test_a_key_is_made_once_and_found_by_the_next_request(
        session: Session, amy: Owner) -> None:
    epoch = amy.person.epoch
    with pytest.raises(NotFound):
        amy.keychain.content_key(amy.person, SCOPE, Tier.C, epoch)
    before = _rows(session, amy)
    made = amy.keychain.content_key(amy.person, SCOPE, Tier.C, epoch, create=True)
    assert amy.keychain.content_key(amy.person, SCOPE, Tier.C, epoch, create=True) == made
    assert _next_request(amy).content_key(amy.person, SCOPE, Tier.C, epoch) == made
    assert _rows(session, amy) == before + 1
