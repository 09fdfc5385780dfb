"""Records from before decisions 0012 to 0014 (plain sections, scopes, authors and tiers) read
as before, and are sealed at their subject's next sign-in; after it, no row names a section, a
scope, an author or a tier in the clear.

A record of today is taken back to the old format by statement, which is exactly what the old
code wrote: the same rows, with the section in `entries`, `entry_parts` and `attachments`,
the scope in `content_keys`, and no metadata key (the part and key vectors of 0001 pin it).
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update

from keys import share
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from tests.functional.api.test_attachments import listed, uploaded
from tests.functional.api.test_links import decrypt, make_link, open_link
from tests.functional.old_formats import take_back_to_before_0012
from tests.unit.vault.test_vault_attachments import pdf_bytes
from vault.metadata_upgrade import needs_upgrade
from vault.models import Attachment, ContentKey, Entry, EntryPart, EntryVersion, ShareLink
from vault.models import Person as PersonRow

WRITTEN = [("communication", {"text": "Speak slowly, one thing at a time"}, None),
           ("medicines", {"name": "Lamotrigine", "dose": "100 mg"}, {"dose": "C"}),
           ("sensitive_history", {"text": "CANARY-S-HISTORY"}, {"text": "S"}),
           ("journal", {"text": "CANARY-P-JOURNAL"}, None)]


def _a_record(client: FlaskClient) -> tuple[Person, list[str], list[str]]:
    amy = make_person(client)
    entries = [add_entry(client, amy, section, data, **({"tiers": tiers} if tiers else {}))["id"]
               for section, data, tiers in WRITTEN]
    files = [uploaded(client, amy, pdf_bytes(), section="legal", tier=tier)["id"]
             for tier in ("C", "S")]
    return amy, entries, files


def _everything(client: FlaskClient, amy: Person) -> tuple[Any, Any]:
    """The whole record and its files, as the API gives them."""
    record = client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth)
    assert record.status_code == 200, record.json
    return record.json, listed(client, amy)


def _plain_names(runtime: Any, amy: Person) -> set[str]:
    """Every section or scope named in the clear in the record's rows."""
    with runtime.db.transaction() as session:
        found = set(session.scalars(select(Entry.section).where(Entry.person_id == amy.person_id)))
        found |= set(session.scalars(select(EntryPart.section)
                                     .where(EntryPart.person_id == amy.person_id)))
        found |= set(session.scalars(select(Attachment.section)
                                     .where(Attachment.person_id == amy.person_id)))
        found |= {s for s in session.scalars(select(ContentKey.scope)
                                             .where(ContentKey.person_id == amy.person_id))
                  if ":" in s}
        return found - {None}


def _plain_tiers(runtime: Any, amy: Person) -> set[str]:
    """Every tier the record's parts and files show as a letter."""
    with runtime.db.transaction() as session:
        return ({t for t in session.scalars(select(EntryPart.tier).where(
                    EntryPart.person_id == amy.person_id)) if len(t) == 1}
                | {t for t in session.scalars(select(Attachment.tier).where(
                    Attachment.person_id == amy.person_id)) if len(t) == 1})


def _lengths_that_tell(runtime: Any, amy: Person) -> int:
    """How many copies are unpadded, and files keep a plain type or size (0008, 0009)."""
    with runtime.db.transaction() as session:
        copies = session.scalars(select(ShareLink.copy_jwe)
                                 .where(ShareLink.person_id == amy.person_id)).all()
        files = session.scalars(select(Attachment).where(
            Attachment.person_id == amy.person_id, Attachment.media_type.is_not(None))).all()
        return sum(not share.copy_is_padded(c) for c in copies) + len(files)


def _plain_authors(runtime: Any, amy: Person) -> int:
    """How many versions, files and links of the record name their author in the clear."""
    with runtime.db.transaction() as session:
        return sum(len(session.scalars(select(model).where(model.person_id == amy.person_id,
                                                          column.is_not(None))).all())
                   for model, column in ((EntryVersion, EntryVersion.author_role),
                                         (Attachment, Attachment.author_account_id),
                                         (ShareLink, ShareLink.created_by_account_id)))


def test_an_old_record_reads_as_before_and_is_sealed_at_the_next_sign_in(
        client: FlaskClient, runtime: Any) -> None:
    amy, entries, _ = _a_record(client)
    link = make_link(client, amy)
    before = _everything(client, amy)
    assert _plain_names(runtime, amy) == set()  # Written today: nothing in the clear.
    assert _lengths_that_tell(runtime, amy) == 0
    assert _plain_authors(runtime, amy) == 0
    assert _plain_tiers(runtime, amy) == set()

    take_back_to_before_0012(runtime, amy)
    assert {"communication", "sensitive_history", "legal",
            f"item:{entries[2]}"} <= _plain_names(runtime, amy)
    assert _plain_authors(runtime, amy) == len(WRITTEN) + 2 + 1  # Versions, files, the link.
    assert _plain_tiers(runtime, amy) == {"E", "C", "S", "P"}
    assert _lengths_that_tell(runtime, amy) == 1 + 2  # The link's copy, both files.
    copy_before = open_link(client, link["url"]).json
    assert _everything(client, amy) == before  # Read by a token, as before.
    # Written meanwhile by a token (no sign-in): a new entry gets the record its key, and is
    # sealed; the old rows stay plain, and every row still reads.
    # In a section no link shows, so no copy is rebuilt (and padded) by this write.
    late = add_entry(client, amy, "journal", {"text": "A quiet day"})["id"]
    meanwhile, _ = _everything(client, amy)
    assert [e for e in meanwhile if e["id"] != late] == before[0]
    assert [(e["section"], e["data"]) for e in meanwhile if e["id"] == late] == [
        ("journal", {"text": "A quiet day"})]
    with runtime.db.transaction() as session:
        assert session.get(Entry, late).section is None

    signed = client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    assert signed.status_code == 201
    assert _plain_names(runtime, amy) == set()
    assert _plain_authors(runtime, amy) == 0
    assert _plain_tiers(runtime, amy) == set()
    assert _lengths_that_tell(runtime, amy) == 0
    assert decrypt(link["url"], open_link(client, link["url"]).json) == decrypt(
        link["url"], copy_before)  # The same copy, only padded.
    record, attachments = _everything(client, amy)
    assert attachments == before[1]
    assert [e for e in record if e["id"] != late] == before[0]
    with runtime.db.transaction() as session:
        assert not needs_upgrade(session, session.get(PersonRow, amy.person_id))


def test_an_upgraded_record_is_not_upgraded_again(client: FlaskClient, runtime: Any) -> None:
    amy, _, _ = _a_record(client)
    with runtime.db.transaction() as session:
        sealed = dict(session.execute(select(Entry.id, Entry.section_sealed)
                                      .where(Entry.person_id == amy.person_id)).all())
    client.post("/api/v1/sessions", json={"login": amy.login, "passphrase": PASSPHRASE})
    with runtime.db.transaction() as session:
        assert dict(session.execute(select(Entry.id, Entry.section_sealed)
                                    .where(Entry.person_id == amy.person_id)).all()) == sealed


def test_a_sealed_section_moved_to_another_entry_is_refused(
        client: FlaskClient, runtime: Any) -> None:
    amy, entries, _ = _a_record(client)
    with runtime.db.transaction() as session:
        first, second = (session.get(Entry, i) for i in entries[:2])
        first.section_sealed, second.section_sealed = second.section_sealed, first.section_sealed
    for path in (f"entries/{entries[0]}", "entries", "entries?section=communication"):
        response = client.get(f"/api/v1/people/{amy.person_id}/{path}", headers=amy.auth)
        assert (response.status_code, response.json["error"]) == (500, "damaged"), path


def test_a_sealed_author_moved_to_another_version_is_refused(
        client: FlaskClient, runtime: Any) -> None:
    amy, entries, _ = _a_record(client)
    changed = client.put(f"/api/v1/people/{amy.person_id}/entries/{entries[0]}",
                         json={"data": {"text": "Speak slowly"}}, headers=amy.auth)
    assert changed.status_code == 200, changed.json
    with runtime.db.transaction() as session:
        first, second = (session.get(EntryVersion, (entries[0], n)) for n in (1, 2))
        first.author_sealed, second.author_sealed = second.author_sealed, first.author_sealed
    response = client.get(f"/api/v1/people/{amy.person_id}/entries/{entries[0]}/versions",
                          headers=amy.auth)
    assert (response.status_code, response.json["error"]) == (500, "damaged")


def test_a_tier_relabelled_is_refused_and_no_tier_tells_which_is_which(
        client: FlaskClient, runtime: Any) -> None:
    amy, entries, _ = _a_record(client)
    medicines = entries[1]  # Its name is E, its dose C: two parts of one version.
    with runtime.db.transaction() as session:
        stored = session.scalars(select(EntryPart.tier)
                                 .where(EntryPart.entry_id == medicines)).all()
    assert len(stored) == 2
    assert all(len(t) == 64 for t in stored)
    first, second = stored
    with runtime.db.transaction() as session:  # Each labelled as the other.
        for old, new in ((first, "x"), (second, first), ("x", second)):
            session.execute(update(EntryPart).where(EntryPart.entry_id == medicines,
                                                    EntryPart.tier == old).values(tier=new))
    response = client.get(f"/api/v1/people/{amy.person_id}/entries/{medicines}",
                          headers=amy.auth)
    assert (response.status_code, response.json["error"]) == (500, "damaged")
