"""Every route that changes record content leaves each live link's copy right.

For each route, a person with a GP link and an emergency link changes their record one way;
then both links are opened as a recipient's viewer would, decrypted with jwcrypto, and the
copies must show exactly what each link's scope allows of the record as it is now.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from jwcrypto import jwe, jwk
from PIL import Image

from consent import sharing
from consent.ips import bundle_json, prepare_bundle
from consent.policy import actor_for_account
from consent.share_content import select_items
from consent.templates import TEMPLATES, Inclusion, ShareScope
from keys import share
from tests.factories import PASSPHRASE, Person, make_person
from tests.functional.api.test_links import decrypt, make_link, open_link, shared_text, write
from tests.functional.web.test_pages import csrf
from vault import accounts
from vault import entries as vault_entries
from vault.keychain import Keychain
from vault.people import require_person
from vault.sections import Tier

Change = Callable[[FlaskClient, Person, dict[str, Any]], None]

BEFORE = "Tea with two sugars, please."
AFTER = "Coffee now, no sugar."


def _api_edit(client: FlaskClient, amy: Person, entry: dict[str, Any], data: dict[str, Any],
              tiers: dict[str, str] | None = None) -> None:
    changed = client.put(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                         headers=amy.auth, json={"data": data, "tiers": tiers})
    assert changed.status_code == 200, changed.json


def api_edit(client: FlaskClient, amy: Person, entry: dict[str, Any]) -> None:
    _api_edit(client, amy, entry, {"text": AFTER})


def api_tier_change(client: FlaskClient, amy: Person, entry: dict[str, Any]) -> None:
    # The words stay; only their tier changes, to one neither link may show.
    _api_edit(client, amy, entry, {"text": BEFORE}, {"text": "S"})


def api_delete(client: FlaskClient, amy: Person, entry: dict[str, Any]) -> None:
    gone = client.delete(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                         headers=amy.auth)
    assert gone.status_code == 204


def api_new_entry(client: FlaskClient, amy: Person, _entry: dict[str, Any]) -> None:
    write(client, amy, "daily_living", {"text": AFTER})


def web_edit(client: FlaskClient, amy: Person, entry: dict[str, Any]) -> None:
    path = f"/people/{amy.person_id}/entries/{entry['id']}/edit"
    saved = client.post(path, data={"csrf_token": csrf(client, path), "f.text": AFTER,
                                    "tier.text": "C"})
    assert saved.status_code == 303, saved.get_data(as_text=True)[-1500:]


def web_restore(client: FlaskClient, amy: Person, entry: dict[str, Any]) -> None:
    _api_edit(client, amy, entry, {"text": AFTER})
    _api_edit(client, amy, entry, {"text": "A third version."})
    path = f"/people/{amy.person_id}/entries/{entry['id']}/versions/2/restore"
    token = csrf(client, f"/people/{amy.person_id}/entries/{entry['id']}/history")
    assert client.post(path, data={"csrf_token": token}).status_code == 303


def api_upload(client: FlaskClient, amy: Person, _entry: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    sent = client.post(f"/api/v1/people/{amy.person_id}/attachments", headers=amy.auth,
                       data={"section": "daily_living", "file": (io.BytesIO(buffer.getvalue()),
                                                                 "plate.png")},
                       content_type="multipart/form-data")
    assert sent.status_code == 201, sent.json


# (change, words the copies must show, words they must not show)
ROUTES: dict[str, tuple[Change, list[str], list[str]]] = {
    "API edit": (api_edit, [AFTER], [BEFORE]),
    "API tier change": (api_tier_change, [], [BEFORE]),
    "API delete": (api_delete, [], [BEFORE]),
    "API new entry": (api_new_entry, [AFTER, BEFORE], []),
    "page edit": (web_edit, [AFTER], [BEFORE]),
    "page restore": (web_restore, [AFTER], [BEFORE, "A third version."]),
    "API upload": (api_upload, [BEFORE], []),
}


@pytest.mark.parametrize("route", ROUTES)
def test_each_change_shows_in_the_gp_link_on_the_next_request(
    client: FlaskClient, route: str
) -> None:
    change, shown, hidden = ROUTES[route]
    amy = make_person(client)
    # Daily living at C: in the GP link (in full) but above the emergency link's ceiling.
    entry = write(client, amy, "daily_living", {"text": BEFORE}, tiers={"text": "C"})
    gp = make_link(client, amy, template="gp", label="GP")
    emergency = make_link(client, amy)
    assert BEFORE in shared_text(decrypt(gp["url"], open_link(client, gp["url"]).json))
    _sign_in_pages(client, amy)
    change(client, amy, entry)
    copy = shared_text(decrypt(gp["url"], open_link(client, gp["url"]).json))
    for words in shown:
        assert words in copy, route
    for words in hidden:
        assert words not in copy, route
    never = shared_text(decrypt(emergency["url"], open_link(client, emergency["url"]).json))
    for words in (BEFORE, AFTER, "A third version."):
        assert words not in never  # C is above the emergency link's ceiling, whatever changes.


def _opened_bytes(client: FlaskClient, link: dict[str, Any]) -> bytes:
    """The link's copy as its recipient decrypts it, with jwcrypto: the exact bytes."""
    key = share.parse_shlink(link["url"])["key"]
    token = jwe.JWE()
    token.deserialize(open_link(client, link["url"]).json["files"][0]["embedded"],
                      key=jwk.JWK(kty="oct", k=key))
    return bytes(token.payload)


def _fresh_copy(runtime: Any, amy: Person, scope: ShareScope, *, label: str, link_id: str,
                made_at: datetime) -> bytes:
    """What a build of this scope alone gives from the record as it is now, padded."""
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, amy.login)
        unlocked = accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE)
        keychain = actor_for_account(session, runtime.config, unlocked).keychain
        person = require_person(session, amy.person_id)
        items = select_items(vault_entries.list_entries(session, keychain, person), scope)
    return share.pad_copy(bundle_json(prepare_bundle(items), label=label, made_at=made_at,
                                      bundle_id=link_id))


@pytest.mark.parametrize("route", ROUTES)
def test_every_copy_is_byte_for_byte_a_fresh_build_of_its_scope(
    client: FlaskClient, runtime: Any, route: str
) -> None:
    """After each kind of change, the copy of a link of every template is exactly what a
    build of that template's scope alone gives: building a scope once for many links, and
    decrypting only the sections they show, changes no byte."""
    change = ROUTES[route][0]
    amy = make_person(client)
    entry = write(client, amy, "daily_living", {"text": BEFORE}, tiers={"text": "C"})
    secret = write(client, amy, "daily_living", {"text": "Mine alone, unless I tick it."},
                   tiers={"text": "S"})
    write(client, amy, "medicines", {"name": "Sodium valproate", "dose": "500 mg"})
    write(client, amy, "communication", {"text": "Speak slowly, and wait for me."})
    scopes = {name: ShareScope.from_template(TEMPLATES[name]) for name in TEMPLATES}
    # Links with the same sections that differ only in how much, the ceiling or a ticked
    # item: each is a scope of its own, never built as another's.
    variants = {"C full": ("full", "C", ()), "E full": ("full", "E", ()),
                "C summary": ("summary", "C", ()), "C ticked": ("full", "C", (secret["id"],))}
    for name, (how, ceiling, ticked) in variants.items():
        scopes[name] = ShareScope(sections={"daily_living": Inclusion(how)},
                                  ceiling=Tier(ceiling), s_items=frozenset(ticked))
    made = {name: make_link(client, amy, template=name, label=f"For {name}")
            for name in TEMPLATES}
    made |= {name: make_link(client, amy, template="custom", label=f"For {name}",
                             sections={"daily_living": how}, ceiling=ceiling,
                             s_items=list(ticked))
             for name, (how, ceiling, ticked) in variants.items()}
    _sign_in_pages(client, amy)
    change(client, amy, entry)
    for name, link in made.items():
        opened = _opened_bytes(client, link)
        made_at = datetime.fromisoformat(json.loads(opened)["timestamp"])
        fresh = _fresh_copy(runtime, amy, scopes[name], label=f"For {name}",
                            link_id=link["id"], made_at=made_at)
        assert opened == fresh, (route, name)


def test_a_deleted_record_closes_its_links_and_undo_opens_them(client: FlaskClient) -> None:
    amy = make_person(client)
    link = make_link(client, amy)
    assert client.delete(f"/api/v1/people/{amy.person_id}",
                         headers=amy.auth).status_code == 202
    assert open_link(client, link["url"]).status_code == 404
    assert client.post(f"/api/v1/people/{amy.person_id}/restore",
                       headers=amy.auth).status_code == 200
    assert open_link(client, link["url"]).status_code == 200


def _sign_in_pages(client: FlaskClient, amy: Person) -> None:
    """The page routes need a browser session: sign in as the person would."""
    signed = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"),
                                           "login": amy.login, "passphrase": amy.passphrase})
    assert signed.status_code == 303


def test_an_import_fills_the_copies_of_links_made_before_it(client: FlaskClient) -> None:
    amy = make_person(client)
    write(client, amy, "daily_living", {"text": BEFORE}, tiers={"text": "C"})
    document = client.get(f"/api/v1/people/{amy.person_id}/export", headers=amy.auth).json
    ben = make_person(client, name="Ben")
    link = make_link(client, ben, template="gp", label="GP")
    assert BEFORE not in shared_text(decrypt(link["url"], open_link(client, link["url"]).json))
    imported = client.post(f"/api/v1/people/{ben.person_id}/import", headers=ben.auth,
                           json=document)
    assert imported.status_code in (200, 201), imported.json
    assert BEFORE in shared_text(decrypt(link["url"], open_link(client, link["url"]).json))


def test_one_edit_rebuilds_each_scope_from_all_its_own_sections(client: FlaskClient) -> None:
    """An edit builds each distinct scope once and decrypts only what the live links show:
    each copy still holds every section of its own scope, its own label, and nothing more."""
    amy = make_person(client)
    said = write(client, amy, "communication", {"text": BEFORE})
    write(client, amy, "medicines", {"name": "Sodium valproate"})

    def custom(label: str, *sections: str) -> dict[str, Any]:
        return make_link(client, amy, template="custom", label=label,
                         sections=dict.fromkeys(sections, "full"))

    speech = custom("Speech", "communication")
    pharmacies = [custom(f"Pharmacy {n}", "communication", "medicines") for n in (1, 2)]
    medicines_only = custom("Medicines", "medicines")
    gp = make_link(client, amy, template="gp", label="GP")
    api_edit(client, amy, said)

    def copy(link: dict[str, Any]) -> str:
        return shared_text(decrypt(link["url"], open_link(client, link["url"]).json))

    def words(link: dict[str, Any]) -> dict[str, bool]:
        text = copy(link)
        return {w: w in text for w in (BEFORE, AFTER, "Sodium valproate", "Pharmacy 1",
                                        "Pharmacy 2")}

    nothing = dict.fromkeys((BEFORE, AFTER, "Sodium valproate", "Pharmacy 1", "Pharmacy 2"),
                            False)
    assert words(speech) == {**nothing, AFTER: True}
    for n, pharmacy in enumerate(pharmacies, start=1):
        assert words(pharmacy) == {**nothing, AFTER: True, "Sodium valproate": True,
                                   f"Pharmacy {n}": True}
    assert words(medicines_only) == {**nothing, "Sodium valproate": True}
    assert words(gp) == {**nothing, AFTER: True, "Sodium valproate": True}


def _two_entries_and_a_link(client: FlaskClient) -> tuple[Person, list[dict[str, Any]],
                                                          dict[str, Any]]:
    """A record with two entries of one section, and a live link that shows them."""
    amy = make_person(client)
    entries = [write(client, amy, "communication", {"text": f"Entry {n}, first."})
               for n in range(2)]
    link = make_link(client, amy, template="custom", label="Both",
                     sections={"communication": "full"})
    return amy, entries, link


@pytest.mark.commits  # Threads of their own, each with its own connection, as workers are.
def test_edits_at_once_each_make_a_version_and_the_copy_keeps_every_one(app: Any) -> None:
    """Eight writers edit two entries of one record at once: every edit is a version of its
    own (none refused, none with another's number), and the link's copy, rebuilt by each,
    ends with both entries as they now are. On PostgreSQL, without the lock of
    ``vault.entries.get_entry``, two edits of one entry take the same number and one fails."""
    setup = app.test_client()
    amy, entries, link = _two_entries_and_a_link(setup)
    writers, edits = 8, 5
    barrier = threading.Barrier(writers)
    failures: list[str] = []

    def edit(writer: int) -> None:
        client = app.test_client()
        barrier.wait()
        for n in range(edits):
            entry = entries[(writer + n) % 2]
            changed = client.put(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                                 headers=amy.auth,
                                 json={"data": {"text": f"Writer {writer}, edit {n}."}})
            if changed.status_code != 200:
                failures.append(f"{changed.status_code} {changed.get_json(silent=True)}")

    threads = [threading.Thread(target=edit, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures[:3]
    versions = [setup.get(f"/api/v1/people/{amy.person_id}/entries/{e['id']}/versions",
                          headers=amy.auth).json for e in entries]
    assert sorted(len(v) for v in versions) == [1 + writers * edits // 2] * 2
    now = [setup.get(f"/api/v1/people/{amy.person_id}/entries/{e['id']}",
                     headers=amy.auth).json["data"]["text"] for e in entries]
    copy = shared_text(decrypt(link["url"], open_link(setup, link["url"]).json))
    assert all(text in copy for text in now), (now, copy[:400])


@pytest.mark.commits
def test_two_edits_building_copies_at_once_keep_both_changes(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two edits of two entries are made to build the link's copy at the same moment, if they
    can. Each appends to the person's history before it rebuilds, which locks the chain's
    head (PostgreSQL), so the second waits for the first and sees its change; were the
    history written after, each copy would leave out the other's change, and the one
    written last would win."""
    setup = app.test_client()
    amy, entries, link = _two_entries_and_a_link(setup)
    meeting = threading.Barrier(2, timeout=2)
    build = sharing.bundle_json

    def build_together(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait()  # Both at once, or (held) the first alone after the wait.
        return build(*args, **kwargs)

    monkeypatch.setattr(sharing, "bundle_json", build_together)
    statuses: list[int] = []

    def edit(entry: dict[str, Any]) -> None:
        statuses.append(app.test_client().put(
            f"/api/v1/people/{amy.person_id}/entries/{entry['id']}", headers=amy.auth,
            json={"data": {"text": f"{entry['id']} changed."}}).status_code)

    threads = [threading.Thread(target=edit, args=(e,)) for e in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.undo()
    assert statuses == [200, 200]
    copy = shared_text(decrypt(link["url"], open_link(setup, link["url"]).json))
    assert all(f"{e['id']} changed." in copy for e in entries)


@pytest.mark.commits
def test_a_whole_record_read_while_an_edit_commits_shows_every_entry(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit commits between the statements of a whole-record read (made to, here). On
    PostgreSQL each statement sees what was committed before it, so a read that asked for
    "the current version" twice found an entry without one, and answered 500."""
    setup = app.test_client()
    amy = make_person(setup)
    entry = write(setup, amy, "communication", {"text": "Before."})
    at_the_gap, committed = threading.Event(), threading.Event()
    preload = Keychain.preload_content_keys

    def pause_once(self: Keychain, person: Any) -> None:
        if threading.current_thread().name == "reader" and not at_the_gap.is_set():
            at_the_gap.set()
            committed.wait(timeout=5)  # On a SQLite before the fix, the edit waits for us.
        preload(self, person)

    monkeypatch.setattr(Keychain, "preload_content_keys", pause_once)
    answers: dict[str, int] = {}

    def read() -> None:
        answers["read"] = app.test_client().get(
            f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth).status_code

    def edit() -> None:
        at_the_gap.wait(timeout=5)
        answers["edit"] = app.test_client().put(
            f"/api/v1/people/{amy.person_id}/entries/{entry['id']}", headers=amy.auth,
            json={"data": {"text": "After."}}).status_code
        committed.set()

    threads = [threading.Thread(target=read, name="reader"), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == {"read": 200, "edit": 200}
