"""Share links for their owner: make, list, renew, stop; and keep every live copy up to date.

A link's copy is the IPS bundle of exactly what its scope allows (``share_content``, ``ips``),
encrypted under the link's share key. Whenever a full-scope member changes the record, the
copies of live links whose sections include the change are rebuilt in the same transaction,
so a GP reading the link on the next request sees the change (DESIGN.md, "Shared copies").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent import notices
from consent.errors import FileNotLive, LinkNotLive, TooOften, WrongPasscode
from consent.ips import PreparedBundle, bundle_json, prepare_bundle
from consent.notices import Mailer
from consent.policy import SHARE, SUBJECT_ONLY, Actor, check, confirm_if_needed
from consent.share_content import SharedItem, select_items
from consent.templates import TEMPLATES, Inclusion, ShareScope
from keys import share
from keys.errors import CopyTooLarge
from vault import accounts, addresses, audit, contacts, links, people
from vault import entries as vault_entries
from vault.config import VaultConfig
from vault.db import after_commit, keep_even_if_refused
from vault.errors import InvalidEntry
from vault.models import Person, ShareLink
from vault.sections import SECTIONS, Tier

MAX_LABEL = 80
MAX_OPENINGS = 1000
MIN_PASSCODE = 6
TOO_MUCH_FOR_A_LINK = ("That is more of your record than one link can hold. Choose fewer parts, "
                       "or make two links.")


@dataclass(frozen=True)
class LinkAddresses:
    """Where links point: the viewer page, and the prefix of every manifest's address.

    The front doors route both (``web/viewer.py``, ``api/shl.py``); the composition root
    tells consent where, so neither ``keys`` nor ``vault`` knows a path of this server.
    """

    viewer: str
    manifest_prefix: str

    @classmethod
    def at(cls, base_url: str, *, viewer_path: str, manifest_path: str) -> LinkAddresses:
        """The addresses under ``base_url``, with or without its trailing slash."""
        base = base_url.rstrip("/")
        return cls(viewer=base + viewer_path, manifest_prefix=base + manifest_path)

    def manifest(self, manifest_id: bytes) -> str:
        return self.manifest_prefix + share.b64url(manifest_id)


@dataclass(frozen=True)
class LinkChoices:
    """What the person chose in the share wizard (or sent to the API)."""

    template: str
    label: str
    expires_at: datetime
    passcode: str | None = None
    max_openings: int | None = None
    # None keeps the template's sections and ceiling.
    sections: Mapping[str, str] | None = None
    ceiling: str | None = None
    s_items: Sequence[str] = field(default_factory=tuple)
    notify_on_open: bool = False


def _invalid(message: str, box: str) -> InvalidEntry:
    return InvalidEntry(message, field=box)


def scope_for(choices: LinkChoices) -> ShareScope:
    """The scope of a new link. :raises InvalidEntry: naming the box to fix."""
    template = TEMPLATES.get(choices.template)
    if template is None:
        raise _invalid("Choose who this link is for.", "template")
    sections = template.sections
    if choices.sections is not None:
        try:
            sections = {name: Inclusion(how) for name, how in choices.sections.items()}
        except ValueError:
            raise _invalid("Choose all or a summary for each part.", "sections") from None
    if any(SECTIONS[name].fixed_tier is Tier.P for name in sections if name in SECTIONS):
        raise _invalid("Your journal is yours alone: it is never shared.", "sections")
    try:
        return ShareScope(sections=sections, ceiling=Tier(choices.ceiling or template.ceiling),
                          s_items=frozenset(choices.s_items))
    except ValueError:
        raise _invalid("Choose parts of your record that exist, and emergency or care team.",
                       "sections") from None


def check_choices(choices: LinkChoices, *, now: datetime) -> ShareScope:
    """Every choice checked, before anything is made. :raises InvalidEntry: naming the box."""
    _check_choices(choices)
    links.check_expiry(choices.expires_at, now)
    return scope_for(choices)


def _check_choices(choices: LinkChoices) -> None:
    if not choices.label.strip() or len(choices.label) > MAX_LABEL:
        raise _invalid(f"Give the link a name of up to {MAX_LABEL} letters, so you know what "
                       "it is for.", "label")
    template = TEMPLATES.get(choices.template)
    if choices.max_openings is not None:
        if template is not None and not template.allows_max_openings:
            raise _invalid("An emergency link cannot stop after a number of openings: it must "
                           "work for whoever needs it.", "max_openings")
        if not 1 <= choices.max_openings <= MAX_OPENINGS:
            raise _invalid(f"Choose from 1 to {MAX_OPENINGS} openings, or no limit.",
                           "max_openings")
    if choices.passcode is not None and not (
            MIN_PASSCODE <= len(choices.passcode) <= links.MAX_PASSCODE):
        raise _invalid(f"Make the passcode at least {MIN_PASSCODE} characters long.", "passcode")


def _meta(choices: LinkChoices, scope: ShareScope) -> dict[str, Any]:
    return {"label": choices.label.strip(), "template": choices.template,
            "sections": {name: str(how) for name, how in scope.sections.items()},
            "ceiling": str(scope.ceiling), "s_items": sorted(scope.s_items)}


def _scope_of(meta: Mapping[str, Any]) -> ShareScope:
    return ShareScope(sections={n: Inclusion(h) for n, h in meta["sections"].items()},
                      ceiling=Tier(meta["ceiling"]), s_items=frozenset(meta["s_items"]))


def _scope_key(meta: Mapping[str, Any]) -> tuple[Any, ...]:
    """Equal for two links exactly when they share the same items: their copies differ only
    in the bundle id, label and time."""
    return (tuple(sorted(meta["sections"].items())), meta["ceiling"], tuple(sorted(meta["s_items"])))


@dataclass(frozen=True)
class Preview:
    """What a link would show, and the sensitive items the person could tick for it."""

    items: list[SharedItem]
    sensitive: list[SharedItem]


def preview_link(session: Session, actor: Actor, *, person_id: str,
                 scope: ShareScope) -> Preview:
    """Exactly what a link with this scope would show, for the person to check first.

    The record is decrypted once for both lists.

    :raises NotFound, NotAllowed:
    """
    # Only the person makes a link (create_link), so only they see what one would show. As
    # READ, it let any member read the whole record here with no record_read in its history.
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    entries = vault_entries.list_entries(session, actor.keychain, person,
                                         sections=scope.sections)
    every_item = ShareScope(sections=scope.sections, ceiling=scope.ceiling,
                            s_items=frozenset(entry.id for entry in entries))
    sensitive = [item for item in select_items(entries, every_item)
                 if Tier.S in item.tiers.values()]
    return Preview(select_items(entries, scope), sensitive)


def create_link(
    session: Session, config: VaultConfig, actor: Actor, *, person_id: str,
    choices: LinkChoices, now: datetime, passphrase: object = None, address: str = "",
) -> ShareLink:
    """Make a link; a signed-in session gives the passphrase again (``confirm_if_needed``).

    :raises InvalidEntry, NotFound, NotAllowed: and changes nothing.
    :raises PassphraseNeeded, StepUpFailed, TooManyAttempts, AccountLocked: for the passphrase.
    """
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    scope = check_choices(choices, now=now)
    confirm_if_needed(session, config, actor, permission=SHARE, passphrase=passphrase,
                      address=address, now=now)
    entries = vault_entries.list_entries(session, actor.keychain, person,
                                         sections=scope.sections)
    meta = _meta(choices, scope)
    link = links.create(session, config, actor.keychain, person, meta=meta, copy=b"",
                        expires_at=choices.expires_at, passcode=choices.passcode,
                        max_openings=choices.max_openings,
                        notify_on_open=choices.notify_on_open, now=now)
    # The copy's bundle id is the link's own, so it is known only once the row exists.
    try:
        links.replace_copy(actor.keychain, person, link,
                           bundle_json(prepare_bundle(select_items(entries, scope)),
                                       label=meta["label"], made_at=now, bundle_id=link.id),
                           now)
    except CopyTooLarge:
        raise _invalid(TOO_MUCH_FOR_A_LINK, "sections") from None
    people.record_event(session, config, person, "link_created",
                        actor_account_id=actor.account_id, now=now,
                        details={"link": link.id, "template": choices.template})
    return link


def refresh_copies(session: Session, actor: Actor, person: Person, *, sections: set[str] | None,
                   now: datetime) -> int:
    """Rebuild the copy of every live link that shows any of ``sections`` (None: all).

    Decrypts the sections those links show, once for all of them, and builds the resources of
    each distinct scope once; returns how many copies were rebuilt. Every caller has appended
    to the person's history first, so the chain's head is locked (FOR UPDATE on PostgreSQL):
    two edits of one record at once build their copies one after the other, the second with
    the first's change in it.
    """
    due = []
    for link in links.person_links(session, person):
        if links.is_live(link, person, now):
            meta = links.meta(actor.keychain, person, link)
            if sections is None or sections & set(meta["sections"]):
                due.append((link, meta))
    if not due:
        return 0
    entries = vault_entries.list_entries(
        session, actor.keychain, person,
        sections=set().union(*(meta["sections"] for _, meta in due)))
    prepared: dict[tuple[Any, ...], PreparedBundle] = {}
    rebuilt = 0
    for link, meta in due:
        key = _scope_key(meta)
        if key not in prepared:
            prepared[key] = prepare_bundle(select_items(entries, _scope_of(meta)))
        try:
            links.replace_copy(actor.keychain, person, link,
                               bundle_json(prepared[key], label=meta["label"], made_at=now,
                                           bundle_id=link.id), now)
        except CopyTooLarge:
            # The record grew past what one link holds: the link keeps serving the copy it
            # has, with its date, and says so to the person; the edit itself stands.
            links.mark_stale(link, now)
            continue
        rebuilt += 1
    return rebuilt


def _state(link: ShareLink, person: Person, now: datetime) -> str:
    if link.revoked_at is not None:
        return "stopped"
    if link.disabled_at is not None:
        return "too_many_wrong_passcodes"
    if now >= link.expires_at:
        return "ended"
    if not links.is_live(link, person, now):
        return "used_up"
    return "live"


def _describe(actor: Actor, person: Person, link: ShareLink, *, addresses: LinkAddresses,
              now: datetime) -> dict[str, Any]:
    meta = links.meta(actor.keychain, person, link)
    state = _state(link, person, now)
    out = {"id": link.id, "label": meta["label"], "template": meta["template"],
           "sections": meta["sections"], "ceiling": meta["ceiling"],
           "s_items": meta["s_items"], "state": state, "created_at": link.created_at,
           "expires_at": link.expires_at, "openings": link.openings,
           "max_openings": link.max_openings, "has_passcode": link.passcode_digest is not None,
           "passcode_attempts_left": (link.passcode_budget - link.passcode_failures
                                      if link.passcode_digest is not None else None),
           "copy_updated_at": link.copy_updated_at, "stale_since": link.stale_since,
           "url": None}
    if state == "live":
        out["url"] = _address(actor, person, link, addresses=addresses, label=meta["label"])
    return out


def _address(actor: Actor, person: Person, link: ShareLink, *, addresses: LinkAddresses,
             label: str) -> str:
    """The link to share, rebuilt from its sealed secrets: the same every time it is asked."""
    manifest_id, share_key = links.secrets_of(actor.keychain, person, link)
    flags = "LP" if link.passcode_digest is not None else "L"
    return share.shlink(viewer_url=addresses.viewer, manifest_url=addresses.manifest(manifest_id),
                        share_key=share_key, label=label, flags=flags)


def list_links(session: Session, actor: Actor, *, person_id: str, addresses: LinkAddresses,
               now: datetime) -> list[dict[str, Any]]:
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    return [_describe(actor, person, link, addresses=addresses, now=now)
            for link in links.person_links(session, person)]


def read_link(session: Session, actor: Actor, *, person_id: str, link_id: str,
              addresses: LinkAddresses,
              now: datetime) -> dict[str, Any]:
    """:raises NotFound: for another person's link, as for one that does not exist."""
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    return _describe(actor, person, links.get_link(session, person, link_id),
                     addresses=addresses, now=now)


def revoke_link(session: Session, config: VaultConfig, actor: Actor, *, person_id: str,
                link_id: str, now: datetime) -> None:
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    links.revoke(links.get_link(session, person, link_id), now)
    people.record_event(session, config, person, "link_revoked",
                        actor_account_id=actor.account_id, now=now, details={"link": link_id})


def renew_link(session: Session, config: VaultConfig, actor: Actor, *, person_id: str,
               link_id: str, expires_at: datetime, now: datetime) -> None:
    """A new end date; the address and QR code stay the same. :raises InvalidEntry:"""
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    links.renew(links.get_link(session, person, link_id), expires_at=expires_at, now=now)
    people.record_event(session, config, person, "link_renewed",
                        actor_account_id=actor.account_id, now=now, details={"link": link_id})


def stop_all_sharing(session: Session, config: VaultConfig, actor: Actor, *, person_id: str,
                     now: datetime) -> int:
    """End every link at once; returns how many were still working."""
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    stopped = 0
    for link in links.person_links(session, person):
        if links.is_live(link, person, now):
            stopped += 1
        links.revoke(link, now)
    people.record_event(session, config, person, "all_sharing_stopped",
                        actor_account_id=actor.account_id, now=now,
                        details={"links": stopped})
    return stopped


def list_openings(session: Session, actor: Actor, *, person_id: str,
                  link_id: str | None = None) -> list[dict[str, Any]]:
    """Who opened the person's links, as they described themselves, newest first.

    :raises NotFound: for a link of another person, as for one that does not exist.
    """
    person, _ = check(session, actor, person_id, SUBJECT_ONLY)
    if link_id is not None:
        links.get_link(session, person, link_id)
    private = people.audit_private_key(actor.keychain, person)
    events = audit.read_events(session, chain=audit.person_chain(person.id),
                               private_key=private)
    # A client's repeats within its window count with its first opening: those written to
    # the history when the window ended, and those of windows still open.
    times = dict.fromkeys((e.seq for e in events if e.kind == "link_opened"), 1)
    for e in events:
        if e.kind == "link_reopened" and e.details.get("opening") in times:
            times[e.details["opening"]] += int(e.details.get("times", 0))
    for seq, repeats in links.pending_repeats(session, person).items():
        if seq in times:
            times[seq] += repeats
    return [{"at": e.at, "link": e.details.get("link"), "recipient": e.details.get("recipient"),
             "times": times[e.seq]}
            for e in sorted(events, key=lambda e: e.seq, reverse=True)
            if e.kind == "link_opened" and (link_id is None or e.details.get("link") == link_id)]


# -- opening a link ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedLink:
    """A link that passed every check at its manifest: its copy, as its share key sealed it."""

    link_id: str
    jwe: str
    updated_at: datetime
    # The opening's event in the person's chain: a location fetch is recorded as part of it.
    opening_seq: int


def open_link(
    session: Session, config: VaultConfig, *, manifest_id: str, passcode: object,
    recipient: str, address: str, now: datetime, mailer: Mailer | None = None,
) -> OpenedLink:
    """The checks at a link's manifest, in DESIGN.md's order, and the opening's audit event.

    The polling limit is the client's own (``address``, counted under a key of the window
    only): one client asking too often is told to wait, and everyone else still opens the
    link. A client's repeats within its window are one entry of the person's history.

    :raises LinkNotLive: for a link that is not live, or never was (404).
    :raises WrongPasscode: with the attempts left; the try stays counted (401).
    :raises TooOften: when this client asked for the link too often in its window (429).
    """
    found = links.find_by_manifest_id(session, manifest_id)
    if found is None or not links.is_live(*found, now):
        raise LinkNotLive
    link, person = found
    if link.passcode_digest is not None:
        _check_passcode(session, config, link, person, passcode, now=now, mailer=mailer)
    use = links.count_client(session, config, link, address=address, now=now)
    if use.requests > links.WINDOW_REQUESTS:
        raise TooOften(use.retry_after)
    if not links.count_opening(session, link, now):
        raise LinkNotLive  # Stopped, or at its maximum, by another request meanwhile.
    _record_ended_repeats(session, config, person, now=now, link=link)
    if use.opening_seq is not None:
        links.count_client_repeat(session, link, use)
        return OpenedLink(link.id, link.copy_jwe, link.copy_updated_at, use.opening_seq)
    # The name the recipient typed is sealed to the person's audit key with the event.
    seq = people.record_event(session, config, person, "link_opened", actor_account_id=None,
                              now=now, details={"link": link.id,
                                                "recipient": recipient[:links.MAX_RECIPIENT]})
    links.note_client_opening(session, link, use, seq)
    if link.notify_on_open:
        _tell_subject(session, config, person, "link_opened", link.id, now=now, mailer=mailer)
    return OpenedLink(link.id, link.copy_jwe, link.copy_updated_at, seq)


def _record_ended_repeats(session: Session, config: VaultConfig, person: Person | None, *,
                          now: datetime, link: ShareLink | None = None) -> None:
    """Write to the history how often each client opened a link again within a window that
    has ended (of ``link``, or of every link), one event for each window."""
    for link_id, opening, times in links.take_ended_client_windows(session, now, link=link):
        owner = person if person is not None else links.link_person(session, link_id)
        if owner is not None:
            people.record_event(session, config, owner, "link_reopened", actor_account_id=None,
                                now=now, details={"link": link_id, "opening": opening,
                                                  "times": times})


def _check_passcode(session: Session, config: VaultConfig, link: ShareLink, person: Person,
                    passcode: object, *, now: datetime, mailer: Mailer | None) -> None:
    """Take a try off the link's lifetime budget, then compare: a right passcode gives it
    back, a wrong one spends it, and the last one stops the link.

    :raises LinkNotLive: when no try was left, or the link stopped, meanwhile.
    :raises WrongPasscode: once the spent try is kept.
    """
    remaining = links.reserve_passcode_try(session, link, now)
    if remaining is None:
        raise LinkNotLive
    if links.passcode_matches(config, link, passcode):
        links.refund_passcode_try(session, link)
        return
    if remaining == 0:
        links.disable(session, link, now)
        people.record_event(session, config, person, "link_disabled", actor_account_id=None,
                            now=now, details={"link": link.id})
        _tell_subject(session, config, person, "link_disabled", link.id, now=now, mailer=mailer)
    # Kept although the request is refused: otherwise every guess would be free.
    keep_even_if_refused(session)
    raise WrongPasscode(remaining)


def give_location(session: Session, *, opened: OpenedLink, now: datetime) -> str:
    """A token for fetching an opened link's copy once it is too big to embed; an hour long."""
    return links.file_address(session, opened.link_id, opened.opening_seq, now)


def open_location(session: Session, config: VaultConfig, *, token: str, now: datetime) -> str:
    """The copy behind a location token, each fetch counted and recorded in the person's
    history as part of the opening that gave the token.

    :raises FileNotLive: when the token's hour or fetches are over, or the link ended.
    """
    fetched = links.open_file(session, token, now)
    if fetched is None:
        raise FileNotLive
    people.record_event(session, config, fetched.person, "link_file_fetched",
                        actor_account_id=None, now=now,
                        details={"link": fetched.link.id, "opening": fetched.opening_seq})
    return fetched.jwe


def _tell_subject(session: Session, config: VaultConfig, person: Person, kind: str,
                  link_id: str, *, now: datetime, mailer: Mailer | None) -> None:
    """A notice in the subject's account history, and by email once it is committed."""
    account = accounts.subject_account(session, person)
    if account is None:
        return
    accounts.account_event(session, config, account, kind, now=now, details={"link": link_id})
    email = contacts.email_of(config, account)
    if email:
        after_commit(session, lambda: notices.send(mailer, email, notices.link_email(kind, now)))


def send_ending_notices(session: Session, config: VaultConfig, mailer: Mailer | None,
                        now: datetime) -> int:
    """Notices for links that end within 30 and 7 days; run daily by the operator's timer.

    The emails go once the notices are committed, so a mail failure loses nothing and a second
    run sends nothing twice. Returns how many notices were given.
    """
    # The daily run also writes the repeats of every client window that has ended since, and
    # deletes the keys of earlier days that counted addresses (decision 0011).
    _record_ended_repeats(session, config, None, now=now)
    addresses.forget_earlier_days(session, now)
    given = 0
    for person, link, days in links.take_ending_warnings(session, now):
        _tell_subject(session, config, person, f"link_ends_in_{days}_days", link.id, now=now,
                      mailer=mailer)
        given += 1
    return given
