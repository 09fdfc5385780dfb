"""Share links: their rows, their encrypted copies, and the atomic counters of the manifest.

What a link holds, and the checks when it is opened, are decided in ``consent.sharing``; this
module keeps them. The share key is wrapped by the record key only, so only a full-scope
member (or the link's holder) can read a copy, and the server alone never can.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.orm import Session, defer

from keys import envelope, share, tokens
from keys.errors import InvalidKeyMaterial
from keys.hierarchy import SHARE_KEY, record_metadata_binding
from vault import addresses, payloads
from vault.config import VaultConfig
from vault.db import insert_ignore, run_prepared, upsert_statement
from vault.errors import InvalidEntry, NotFound
from vault.keychain import Keychain
from vault.models import LinkClient, Person, ShareLink, ShareLinkFile, new_id
from vault.record_metadata import seal_author

PASSCODE_BUDGET = 10
MAX_LIFETIME = timedelta(days=366)  # "within 12 months", whatever the calendar does.
MAX_PASSCODE = 200
MAX_RECIPIENT = 200
# One client may ask for a link's manifest this often in a window; more is polling too often
# (429) for that client only: nobody can stop a link for everyone else by polling it.
WINDOW = timedelta(minutes=10)
WINDOW_REQUESTS = 60
FILE_LIFETIME = timedelta(hours=1)
# A viewer fetches a copy once; a few more allow for a dropped connection, and no more, so a
# location address is not a second way into the link for its hour.
MAX_FILE_FETCHES = 3
FILE_LOOKUP_KIND = "link-file"


def _meta_binding(person: Person, link_id: str, epoch: int) -> bytes:
    return record_metadata_binding(person=person.id, what=f"link:{link_id}", epoch=epoch)


def _share_key(keychain: Keychain, person: Person, link: ShareLink) -> bytes:
    return SHARE_KEY.unwrap(keychain.record_key(person), link.share_key_wrap, share=link.id,
                            person=person.id, epoch=link.epoch)


def check_expiry(expires_at: datetime, now: datetime) -> None:
    """:raises InvalidEntry: for an end in the past or more than 12 months away."""
    if not now < expires_at <= now + MAX_LIFETIME:
        raise InvalidEntry("Choose an end date from tomorrow up to 12 months from now.",
                           field="expires_at")


def _passcode_digest(config: VaultConfig, link_id: str, passcode: str,
                     key_id: str | None = None) -> tuple[str, bytes]:
    kid, _ = config.keyring.secret("passcode", key_id)
    return kid, config.keyring.hmac_digest("passcode", share.passcode_message(link_id, passcode),
                                           kid)


def create(
    session: Session, config: VaultConfig, keychain: Keychain, person: Person, *,
    meta: dict[str, Any], copy: bytes, expires_at: datetime, passcode: str | None,
    max_openings: int | None, notify_on_open: bool, now: datetime,
) -> ShareLink:
    """Store a new link with its first copy; ``meta`` is sealed under the record key."""
    check_expiry(expires_at, now)
    manifest_id, share_key = share.new_secrets()
    link = ShareLink(id=new_id(), person_id=person.id, lookup=share.lookup(manifest_id),
                     epoch=person.epoch, created_at=now,
                     expires_at=expires_at, max_openings=max_openings, openings=0,
                     notify_on_open=notify_on_open, passcode_failures=0,
                     passcode_budget=PASSCODE_BUDGET, copy_updated_at=now)
    seal_author(keychain, person, link, account_id=keychain.account_id)  # Decision 0013.
    record_key = keychain.record_key(person)
    link.share_key_wrap = SHARE_KEY.wrap(record_key, share_key, share=link.id,
                                         person=person.id, epoch=person.epoch)
    sealed_meta = {**meta, "manifest_id": share.b64url(manifest_id)}
    link.meta_sealed = envelope.seal(record_key, payloads.encode(sealed_meta),
                                     aad=_meta_binding(person, link.id, person.epoch))
    link.copy_jwe = share.seal_copy(share_key, copy)
    if passcode:
        link.passcode_key_id, link.passcode_digest = _passcode_digest(config, link.id, passcode)
    session.add(link)
    session.flush()
    return link


def meta(keychain: Keychain, person: Person, link: ShareLink) -> dict[str, Any]:
    """What the link is for, as ``create`` was given it, with its manifest id."""
    opened: dict[str, Any] = payloads.decode(envelope.open_sealed(
        keychain.record_key(person), link.meta_sealed,
        aad=_meta_binding(person, link.id, link.epoch)))
    return opened


def secrets_of(keychain: Keychain, person: Person, link: ShareLink) -> tuple[bytes, bytes]:
    """The link's manifest id and share key, opened from their wraps: the same every time, so
    the link and its QR code never change."""
    manifest_id = share.unb64url(meta(keychain, person, link)["manifest_id"])
    return manifest_id, _share_key(keychain, person, link)


def replace_copy(keychain: Keychain, person: Person, link: ShareLink, copy: bytes,
                 now: datetime) -> None:
    """A new copy under the same share key: the link and its QR code stay the same."""
    link.copy_jwe = share.seal_copy(_share_key(keychain, person, link), copy)
    link.copy_updated_at = now
    link.stale_since = None


def pad_old_copies(session: Session, keychain: Keychain, person: Person) -> int:
    """Seal again, padded, every copy sealed before decision 0008: the same bytes and date,
    only their length no longer tells what is shared. How many were."""
    padded = 0
    for link in person_links(session, person):
        if link.copy_jwe and not share.copy_is_padded(link.copy_jwe):
            link.copy_jwe = share.seal_copy(_share_key(keychain, person, link),
                                            read_copy(keychain, person, link).rstrip(b" "))
            padded += 1
    return padded


def mark_stale(link: ShareLink, now: datetime) -> None:
    """The link's copy could not follow the record: it keeps the one it has, from then on."""
    if link.stale_since is None:
        link.stale_since = now


def read_copy(keychain: Keychain, person: Person, link: ShareLink) -> bytes:
    return share.open_copy(_share_key(keychain, person, link), link.copy_jwe)


def is_live(link: ShareLink, person: Person | None, now: datetime, *,
            openings_left: bool = True) -> bool:
    """Stopped, disabled, ended or the record deleted: not live. ``openings_left=False`` skips
    the maximum, for a file whose opening was already counted."""
    return (person is not None and person.hidden_at is None and link.revoked_at is None
            and link.disabled_at is None and now < link.expires_at
            and (not openings_left or link.max_openings is None
                 or link.openings < link.max_openings))


def person_links(session: Session, person: Person) -> list[ShareLink]:
    """The person's links, newest first. Their copies (tens of KiB each) are loaded only if
    read: an edit replaces them, and a list shows none."""
    return list(session.scalars(select(ShareLink).where(ShareLink.person_id == person.id)
                                .options(defer(ShareLink.copy_jwe))
                                .order_by(ShareLink.created_at.desc())))


def get_link(session: Session, person: Person, link_id: str) -> ShareLink:
    """:raises NotFound: for another person's link, as for one that does not exist."""
    link = session.get(ShareLink, link_id)
    if link is None or link.person_id != person.id:
        raise NotFound
    return link


def revoke(link: ShareLink, now: datetime) -> None:
    if link.revoked_at is None:
        link.revoked_at = now


def renew(link: ShareLink, *, expires_at: datetime, now: datetime) -> None:
    """A new end date for a link that is not revoked; its address stays the same."""
    if link.revoked_at is not None:
        raise NotFound
    check_expiry(expires_at, now)
    link.expires_at = expires_at


# -- the manifest --------------------------------------------------------------------------------
#
# The rows and atomic counters behind the checks at the manifest; the checks themselves, their
# order and who is told are in ``consent.sharing.open_link``.


def find_by_manifest_id(session: Session, manifest_id_text: str) -> tuple[ShareLink, Person] | None:
    """The link a manifest URL names, and its person; None for anything else."""
    try:
        manifest_id = share.parse_manifest_id(manifest_id_text)
    except InvalidKeyMaterial:
        return None
    # One lookup for both: the link and its person.
    found = session.execute(
        select(ShareLink, Person).join(Person, Person.id == ShareLink.person_id)
        .where(ShareLink.lookup == share.lookup(manifest_id))).one_or_none()
    return None if found is None else (found[0], found[1])


def passcode_matches(config: VaultConfig, link: ShareLink, passcode: object) -> bool:
    """Compared in constant time under the keyring's passcode key, bound to this link."""
    if not isinstance(passcode, str) or not passcode or len(passcode) > MAX_PASSCODE:
        return False
    assert link.passcode_digest is not None  # noqa: S101 - only called for links with one
    _, digest = _passcode_digest(config, link.id, passcode, link.passcode_key_id)
    return hmac.compare_digest(digest, link.passcode_digest)


# The conditions, for a counter's UPDATE, that the link is still live as it is counted. A
# request read the link before another may have stopped it, or deleted its record; every
# counter re-checks, so nothing is counted, and nothing served, once a link is stopped,
# disabled or ended, or its record deleted. The counters are on the path of every opening,
# so their statements are built once (vault.db.run_prepared) and take the link's id and the
# time as parameters.
_STILL_LIVE = (ShareLink.id == bindparam("the_link"), ShareLink.revoked_at.is_(None),
               ShareLink.disabled_at.is_(None), ShareLink.expires_at > bindparam("now"),
               exists().where(Person.id == ShareLink.person_id, Person.hidden_at.is_(None)))
_RESERVE_TRY = (update(ShareLink)
                .where(*_STILL_LIVE, ShareLink.passcode_failures < ShareLink.passcode_budget)
                .values(passcode_failures=ShareLink.passcode_failures + 1)
                .returning(ShareLink.passcode_failures))
_REFUND_TRY = (update(ShareLink)
               .where(ShareLink.id == bindparam("the_link"), ShareLink.passcode_failures > 0)
               .values(passcode_failures=ShareLink.passcode_failures - 1))


def reserve_passcode_try(session: Session, link: ShareLink, now: datetime) -> int | None:
    """One try off the lifetime budget, taken before the guess is compared, atomically.

    The tries left once this one is taken; None when none was left, or the link stopped,
    meanwhile. A right passcode gives its try back (``refund_passcode_try``): so a right one
    that arrives while the last wrong one is in flight is never served after the budget is
    spent.
    """
    failures = run_prepared(session, _RESERVE_TRY, {"the_link": link.id, "now": now}).scalar()
    return None if failures is None else link.passcode_budget - failures


def refund_passcode_try(session: Session, link: ShareLink) -> None:
    """Give back the try a right passcode took: only wrong ones spend the budget."""
    run_prepared(session, _REFUND_TRY, {"the_link": link.id})


def disable(session: Session, link: ShareLink, now: datetime) -> None:
    """Stop a link whose passcode budget is spent."""
    session.execute(update(ShareLink).where(ShareLink.id == link.id).values(disabled_at=now))


@dataclass(frozen=True)
class ClientUse:
    """One client's use of a link in the current window, once this request is counted."""

    client: bytes
    requests: int
    opening_seq: int | None
    retry_after: int  # Seconds until the window ends.


def window_of(now: datetime) -> datetime:
    """The start of the ten-minute window ``now`` falls in: the same for every worker."""
    seconds = int(WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def client_digest(session: Session, config: VaultConfig, link: ShareLink, address: str,
                  window: datetime) -> bytes:
    """A client of a link in one window, as an HMAC of its address under the key of the day,
    bound to both: the rows of one window cannot be matched with another's, and go when it
    ends; once the day's key is gone, not even the keyring finds the address (decision 0011)."""
    return addresses.digest(session, config, window, "link-client", link.id, window.isoformat(),
                            address)


def count_client(session: Session, config: VaultConfig, link: ShareLink, *, address: str,
                 now: datetime) -> ClientUse:
    """Count this request for its client in the current window, atomically.

    With Redis the count is kept there, and a client over the limit is answered without a
    write to the database; without it, or while it does not answer, in ``link_clients``.
    """
    window = window_of(now)
    client = client_digest(session, config, link, address, window)
    retry_after = int((window + WINDOW - now).total_seconds()) + 1
    in_redis = addresses.count_in_redis(config, client, now=now,
                                        until=window + WINDOW + timedelta(minutes=1))
    if in_redis is not None and in_redis > WINDOW_REQUESTS:
        return ClientUse(client, in_redis, None, retry_after)
    row = {"link_id": link.id, "client": client, "window_start": window, "repeats": 0}
    if in_redis is not None:
        insert_ignore(session, LinkClient, {**row, "requests": 0})
        opening_seq = session.scalar(select(LinkClient.opening_seq).where(
            LinkClient.link_id == link.id, LinkClient.client == client))
        return ClientUse(client, in_redis, opening_seq, retry_after)
    # One statement: the client's row made with this request counted, or counted again.
    requests, opening_seq = run_prepared(session, _counting_client(session),
                                         {**row, "requests": 1}).one()
    return ClientUse(client, requests, opening_seq, retry_after)


@lru_cache(maxsize=2)
def _counting_client_for(dialect: str) -> Any:
    return upsert_statement(dialect, LinkClient, keys=("link_id", "client"),
                            changes={"requests": LinkClient.requests + 1},
                            returning=(LinkClient.requests, LinkClient.opening_seq))


def _counting_client(session: Session) -> Any:
    return _counting_client_for(session.get_bind().dialect.name)


_THE_CLIENT = (LinkClient.link_id == bindparam("the_link"),
               LinkClient.client == bindparam("the_client"))
_NOTE_OPENING = update(LinkClient).where(*_THE_CLIENT)
_COUNT_REPEAT = update(LinkClient).where(*_THE_CLIENT).values(repeats=LinkClient.repeats + 1)


def note_client_opening(session: Session, link: ShareLink, use: ClientUse, seq: int) -> None:
    """The client's first opening in its window: its later ones there are counted with it."""
    run_prepared(session, _NOTE_OPENING,
                 {"the_link": link.id, "the_client": use.client, "opening_seq": seq})


def count_client_repeat(session: Session, link: ShareLink, use: ClientUse) -> None:
    run_prepared(session, _COUNT_REPEAT, {"the_link": link.id, "the_client": use.client})


def pending_repeats(session: Session, person: Person) -> dict[int, int]:
    """Repeats not yet written to the person's history, by the opening they repeat."""
    rows = session.execute(
        select(LinkClient.opening_seq, LinkClient.repeats)
        .join(ShareLink, ShareLink.id == LinkClient.link_id)
        .where(ShareLink.person_id == person.id, LinkClient.repeats > 0,
               LinkClient.opening_seq.is_not(None)))
    return {seq: repeats for seq, repeats in rows if seq is not None}


def link_person(session: Session, link_id: str) -> Person | None:
    link = session.get(ShareLink, link_id)
    return None if link is None else session.get(Person, link.person_id)


def take_ended_client_windows(session: Session, now: datetime, *,
                              link: ShareLink | None = None) -> list[tuple[str, int, int]]:
    """Every client window that has ended (of one link, or of all): removed, and for each
    with repeats, (link id, the opening repeated, how many times) for the history."""
    if link is None:
        rows = run_prepared(session, _TAKE_ENDED, {"ended_by": now - WINDOW}).all()
    else:
        rows = run_prepared(session, _TAKE_ENDED_OF_LINK,
                            {"ended_by": now - WINDOW, "the_link": link.id}).all()
    return [(link_id, seq, repeats) for link_id, seq, repeats in rows
            if seq is not None and repeats > 0]


_ENDED = LinkClient.window_start <= bindparam("ended_by")
_TAKEN = (LinkClient.link_id, LinkClient.opening_seq, LinkClient.repeats)
_TAKE_ENDED = delete(LinkClient).where(_ENDED).returning(*_TAKEN)
_TAKE_ENDED_OF_LINK = (delete(LinkClient).where(_ENDED, LinkClient.link_id == bindparam("the_link"))
                       .returning(*_TAKEN))


def count_opening(session: Session, link: ShareLink, now: datetime) -> bool:
    """One more opening while the link is live and under any maximum; atomic against
    concurrent openings and against the link being stopped meanwhile."""
    query = _COUNT_OPENING if link.max_openings is None else _COUNT_OPENING_UNDER_MAXIMUM
    counted: int = run_prepared(session, query, {"the_link": link.id, "now": now}).rowcount
    return counted == 1


_COUNT_OPENING = update(ShareLink).where(*_STILL_LIVE).values(openings=ShareLink.openings + 1)
_COUNT_OPENING_UNDER_MAXIMUM = _COUNT_OPENING.where(ShareLink.openings < ShareLink.max_openings)


def file_address(session: Session, link_id: str, opening_seq: int, now: datetime) -> str:
    """A ``location`` token for a copy too big to embed, given by the opening ``opening_seq``
    (its event in the person's chain); good for an hour and ``MAX_FILE_FETCHES`` fetches."""
    secret = os.urandom(share.SECRET_LEN)
    session.execute(delete(ShareLinkFile).where(ShareLinkFile.expires_at <= now))
    session.add(ShareLinkFile(lookup=tokens.lookup_digest(FILE_LOOKUP_KIND, secret),
                              link_id=link_id, expires_at=now + FILE_LIFETIME,
                              opening_seq=opening_seq, fetches=0))
    return share.b64url(secret)


@dataclass(frozen=True)
class FetchedFile:
    """A ``location`` fetch that was counted: the copy, its link, and the opening it is of."""

    jwe: str
    link: ShareLink
    person: Person
    opening_seq: int


def open_file(session: Session, token: str, now: datetime) -> FetchedFile | None:
    """Count one fetch of the copy behind a ``location`` token, if the token is within its
    hour and its fetches, and its link still live; None otherwise."""
    try:
        secret = share.parse_manifest_id(token)
    except InvalidKeyMaterial:
        return None
    lookup = tokens.lookup_digest(FILE_LOOKUP_KIND, secret)
    row = session.execute(
        update(ShareLinkFile)
        .where(ShareLinkFile.lookup == lookup, ShareLinkFile.expires_at > now,
               ShareLinkFile.fetches < MAX_FILE_FETCHES)
        .values(fetches=ShareLinkFile.fetches + 1)
        .returning(ShareLinkFile.link_id, ShareLinkFile.opening_seq)).one_or_none()
    if row is None:
        return None
    link = session.get(ShareLink, row.link_id)
    person = None if link is None else session.get(Person, link.person_id)
    # The opening that gave this token already counted: reaching the maximum with it must
    # not stop the file it was given.
    if link is None or person is None or not is_live(link, person, now, openings_left=False):
        return None
    return FetchedFile(link.copy_jwe, link, person, row.opening_seq)


# -- links that end soon -------------------------------------------------------------------------

WARNINGS = ((timedelta(days=7), "warned_7_at"), (timedelta(days=30), "warned_30_at"))


def take_ending_warnings(session: Session, now: datetime) -> list[tuple[Person, ShareLink, int]]:
    """The live links ending within 30 and within 7 days whose person has not been told yet,
    with the days; each is marked told, so it is given once."""
    out = []
    for ahead, column in WARNINGS:
        due = session.scalars(select(ShareLink).where(
            ShareLink.revoked_at.is_(None), ShareLink.disabled_at.is_(None),
            ShareLink.expires_at > now, ShareLink.expires_at <= now + ahead,
            getattr(ShareLink, column).is_(None)))
        for link in due:
            person = session.get(Person, link.person_id)
            # A 7-day notice makes the 30-day one pointless if both are due at once.
            link.warned_30_at = link.warned_30_at or now
            setattr(link, column, now)
            if person is not None and is_live(link, person, now):
                out.append((person, link, ahead.days))
    return out
