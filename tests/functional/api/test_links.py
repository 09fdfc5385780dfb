"""Share links end to end through the API: made by the owner, opened as any SHL viewer would.

Copies are decrypted with jwcrypto, a JOSE library independent of the one that made them,
with the key taken from the link itself, as a recipient's viewer does.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from jwcrypto import jwe, jwk
from sqlalchemy import select

from tests.factories import Person, make_person
from tests.ips_checks import check_ips_shape
from vault.links import MAX_FILE_FETCHES, WINDOW, window_of
from vault.models import AuditEvent, LinkClient, ShareLink

CANARY_S = "CANARY-SENSITIVE-7f3a"
CANARY_P = "CANARY-PRIVATE-91c2"


def _payload(url: str) -> dict[str, Any]:
    fragment = url.split("#shlink:/", 1)[1]
    return json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))


def make_link(client: FlaskClient, amy: Person, **fields: Any) -> dict[str, Any]:
    body = {"template": "emergency", "label": "My emergency card",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **fields}
    made = client.post(f"/api/v1/people/{amy.person_id}/links", json=body, headers=amy.auth)
    assert made.status_code == 201, made.json
    return made.json  # type: ignore[no-any-return]


def open_link(client: FlaskClient, url: str, **body: Any) -> Any:
    payload = _payload(url)
    path = urlsplit(payload["url"]).path
    return client.post(path, json={"recipient": "Dr A Patel, Leeds Road Surgery", **body})


def decrypt(url: str, manifest: dict[str, Any]) -> dict[str, Any]:
    key = jwk.JWK(kty="oct", k=_payload(url)["key"])
    token = jwe.JWE()
    token.deserialize(manifest["files"][0]["embedded"], key=key)
    assert json.loads(token.objects["protected"]) == {
        "alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json"}
    return json.loads(token.payload)  # type: ignore[no-any-return]


def shared_text(bundle: dict[str, Any]) -> str:
    """The bundle and the record inside its DocumentReference, as one searchable text."""
    inner = [base64.b64decode(e["resource"]["content"][0]["attachment"]["data"]).decode()
             for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
    return json.dumps(bundle) + "".join(inner)


def write(client: FlaskClient, amy: Person, section: str, data: dict[str, Any],
          tiers: dict[str, str] | None = None) -> dict[str, Any]:
    made = client.post(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth,
                       json={"section": section, "data": data, "tiers": tiers})
    assert made.status_code == 201, made.json
    return made.json  # type: ignore[no-any-return]


def test_an_emergency_link_opens_in_any_viewer_and_shows_only_emergency_parts(
    client: FlaskClient,
) -> None:
    amy = make_person(client)
    write(client, amy, "medicines", {"name": "Sodium valproate", "dose": "500 mg",
                                     "reason": "Epilepsy"})
    write(client, amy, "journal", {"text": CANARY_P})
    write(client, amy, "communication", {"text": "I use Makaton. " + CANARY_S},
          tiers={"text": "S"})
    link = make_link(client, amy)
    assert link["state"] == "live"
    assert _payload(link["url"])["flag"] == "L"
    opened = open_link(client, link["url"])
    assert opened.status_code == 200
    assert opened.headers["Access-Control-Allow-Origin"] == "*"
    assert opened.headers["Cache-Control"] == "no-store"
    bundle = decrypt(link["url"], opened.json)
    check_ips_shape(bundle)
    text = shared_text(bundle)
    assert "Sodium valproate" in text
    assert "Epilepsy" not in text  # A reason is C: above the emergency ceiling.
    assert CANARY_P not in text
    assert CANARY_S not in text  # Not ticked for this link.


def test_the_manifest_key_is_never_in_the_database(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    link = make_link(client, amy)
    payload = _payload(link["url"])
    manifest_id = payload["url"].rsplit("/", 1)[1]
    with runtime.db.transaction() as s:
        row = s.scalars(select(ShareLink)).one()
        stored = b"".join(v if isinstance(v, bytes) else str(v).encode()
                          for v in vars(row).values())
    for secret in (manifest_id, payload["key"]):
        assert secret.encode() not in stored
        assert base64.urlsafe_b64decode(secret + "=") not in stored


def test_a_ticked_sensitive_item_is_shared_and_an_edit_shows_on_the_next_request(
    client: FlaskClient,
) -> None:
    amy = make_person(client)
    entry = write(client, amy, "communication", {"text": "Makaton " + CANARY_S},
                  tiers={"text": "S"})
    gp = make_link(client, amy, template="gp", label="Dr Patel", s_items=[entry["id"]])
    emergency = make_link(client, amy)
    assert CANARY_S in shared_text(decrypt(gp["url"], open_link(client, gp["url"]).json))
    edited = client.put(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                        headers=amy.auth, json={"data": {"text": "Now I use BSL."},
                                                "tiers": {"text": "S"}})
    assert edited.status_code == 200
    after = shared_text(decrypt(gp["url"], open_link(client, gp["url"]).json))
    assert "Now I use BSL." in after
    assert CANARY_S not in after
    never = shared_text(decrypt(emergency["url"], open_link(client, emergency["url"]).json))
    assert "BSL" not in never  # S, and not ticked for the emergency link.


def test_a_wrong_passcode_counts_down_then_the_link_is_gone(client: FlaskClient) -> None:
    amy = make_person(client)
    link = make_link(client, amy, template="gp", label="GP", passcode="blue-kettle-7")
    assert _payload(link["url"])["flag"] == "LP"
    assert open_link(client, link["url"]).status_code == 401  # None given: counted.
    for left in range(8, -1, -1):
        wrong = open_link(client, link["url"], passcode="not it")
        assert wrong.status_code == 401
        assert wrong.json["remainingAttempts"] == left
    assert open_link(client, link["url"], passcode="blue-kettle-7").status_code == 404
    listed = client.get(f"/api/v1/people/{amy.person_id}/links", headers=amy.auth).json
    assert listed[0]["state"] == "too_many_wrong_passcodes"
    assert listed[0]["url"] is None


def test_the_right_passcode_opens_and_the_opening_is_shown_to_the_person(
    client: FlaskClient,
) -> None:
    amy = make_person(client)
    link = make_link(client, amy, template="gp", label="GP", passcode="blue-kettle-7")
    assert open_link(client, link["url"], passcode="blue-kettle-7").status_code == 200
    seen = client.get(f"/api/v1/people/{amy.person_id}/links/{link['id']}/openings",
                      headers=amy.auth)
    assert seen.status_code == 200
    assert [o["recipient"] for o in seen.json] == ["Dr A Patel, Leeds Road Surgery"]


def test_revoked_expired_and_used_up_links_are_404(client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    revoked = make_link(client, amy)
    once = make_link(client, amy, template="gp", label="Once", max_openings=1)
    assert client.delete(f"/api/v1/people/{amy.person_id}/links/{revoked['id']}",
                         headers=amy.auth).status_code == 204
    assert open_link(client, revoked["url"]).status_code == 404
    assert open_link(client, once["url"]).status_code == 200
    assert open_link(client, once["url"]).status_code == 404
    later = datetime.now(UTC) + timedelta(days=31)
    runtime.set_clock(lambda: later)
    ending = make_link(client, amy, template="gp", label="Later",
                       expires_at=(later + timedelta(days=1)).isoformat())
    runtime.set_clock(lambda: later + timedelta(days=2))
    assert open_link(client, ending["url"]).status_code == 404


def test_renewing_keeps_the_address(client: FlaskClient) -> None:
    amy = make_person(client)
    link = make_link(client, amy)
    renewed = client.post(f"/api/v1/people/{amy.person_id}/links/{link['id']}/renew",
                          headers=amy.auth, json={
                              "expires_at": (datetime.now(UTC) + timedelta(days=300)).isoformat()})
    assert renewed.status_code == 200
    assert renewed.json["url"] == link["url"]
    assert renewed.json["expires_at"] != link["expires_at"]


def test_stop_all_sharing_ends_every_link(client: FlaskClient) -> None:
    amy = make_person(client)
    urls = [make_link(client, amy)["url"], make_link(client, amy, template="gp",
                                                     label="GP")["url"]]
    stopped = client.post(f"/api/v1/people/{amy.person_id}/links/stop-all", headers=amy.auth)
    assert stopped.json == {"stopped": 2}
    assert [open_link(client, url).status_code for url in urls] == [404, 404]


@pytest.mark.parametrize(("body", "box"), [
    ({"template": "emergency", "max_openings": 3}, "max_openings"),
    ({"template": "nobody"}, "template"),
    ({"expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
    ({"expires_at": "2040-01-01T00:00:00+00:00"}, "expires_at"),
    ({"passcode": "abc"}, "passcode"),
    ({"ceiling": "S"}, "ceiling"),
    ({"sections": {"journal": "full"}}, "sections"),
    ({"surprise": True}, "surprise"),
])
def test_bad_link_requests_say_what_to_fix_and_make_nothing(
    client: FlaskClient, runtime: Any, body: dict[str, Any], box: str
) -> None:
    amy = make_person(client)
    full = {"template": "gp", "label": "GP",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **body}
    refused = client.post(f"/api/v1/people/{amy.person_id}/links", json=full, headers=amy.auth)
    assert refused.status_code == 422, refused.json
    assert box in json.dumps(refused.json)
    with runtime.db.transaction() as s:
        assert s.scalars(select(ShareLink)).all() == []


def test_someone_elses_links_are_404(client: FlaskClient) -> None:
    amy = make_person(client)
    ben = make_person(client, name="Ben")
    link = make_link(client, amy)
    for method, path in [("get", f"/api/v1/people/{amy.person_id}/links"),
                         ("get", f"/api/v1/people/{ben.person_id}/links/{link['id']}"),
                         ("delete", f"/api/v1/people/{ben.person_id}/links/{link['id']}"),
                         ("get", f"/api/v1/people/{ben.person_id}/links/{link['id']}/openings")]:
        assert getattr(client, method)(path, headers=ben.auth).status_code == 404
    assert open_link(client, link["url"]).status_code == 200  # Still live for Amy.


@pytest.mark.parametrize("whose", ["bob", "amy"])
def test_renewing_someone_elses_link_is_404_and_leaves_it_as_it_was(
    client: FlaskClient, runtime: Any, whose: str
) -> None:
    """Rule: only the link's own person renews it, whether the path names Bob's record (which
    Amy's token may not reach) or Amy's own record with Bob's link in it."""
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    link = make_link(client, bob)
    person_id = bob.person_id if whose == "bob" else amy.person_id
    renewed = client.post(f"/api/v1/people/{person_id}/links/{link['id']}/renew",
                          headers=amy.auth, json={
                              "expires_at": (datetime.now(UTC) + timedelta(days=300)).isoformat()})
    assert renewed.status_code == 404
    with runtime.db.transaction() as s:
        row = s.get(ShareLink, link["id"])
        assert row is not None
        assert row.expires_at == datetime.fromisoformat(link["expires_at"])


@pytest.mark.parametrize("body", [[], "x", {}, {"recipient": ""}, {"recipient": 7},
                                  {"recipient": "Dr A", "passcode": 5},
                                  {"recipient": "Dr A", "embeddedLengthMax": "big"}])
def test_a_malformed_manifest_request_is_400_and_counts_nothing(
    client: FlaskClient, runtime: Any, body: Any
) -> None:
    amy = make_person(client)
    link = make_link(client, amy, template="gp", label="GP", passcode="blue-kettle-7")
    path = urlsplit(_payload(link["url"])["url"]).path
    refused = client.post(path, json=body)
    assert refused.status_code == 400
    with runtime.db.transaction() as s:
        row = s.scalars(select(ShareLink)).one()
        assert (row.passcode_failures, row.openings) == (0, 0)


def test_unknown_fields_are_ignored_and_a_small_limit_gives_a_location(
    client: FlaskClient, runtime: Any
) -> None:
    amy = make_person(client)
    link = make_link(client, amy)
    answer = open_link(client, link["url"], embeddedLengthMax=10, future_field={"a": 1})
    assert answer.status_code == 200
    (entry,) = answer.json["files"]
    assert "embedded" not in entry
    fetched = client.get(urlsplit(entry["location"]).path)
    assert fetched.status_code == 200
    bundle = decrypt(link["url"], {"files": [{"embedded": fetched.get_data(as_text=True)}]})
    check_ips_shape(bundle)
    client.delete(f"/api/v1/people/{amy.person_id}/links/{link['id']}", headers=amy.auth)
    assert client.get(urlsplit(entry["location"]).path).status_code == 404


def test_a_location_is_fetched_a_few_times_each_recorded_with_its_opening(
    client: FlaskClient, runtime: Any
) -> None:
    amy = make_person(client)
    link = make_link(client, amy)
    answer = open_link(client, link["url"], embeddedLengthMax=10)
    path = urlsplit(answer.json["files"][0]["location"]).path
    fetches = [client.get(path).status_code for _ in range(MAX_FILE_FETCHES + 1)]
    assert fetches == [200] * MAX_FILE_FETCHES + [404]
    with runtime.db.transaction() as s:
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.chain == f"person:{amy.person_id}").order_by(AuditEvent.seq)).all()
    kinds = [e.kind for e in events]
    opening = kinds.index("link_opened")
    # Each fetch is in the person's history, after the opening that gave its address.
    assert kinds[opening + 1:] == ["link_file_fetched"] * MAX_FILE_FETCHES
    history = client.get(f"/api/v1/people/{amy.person_id}/history", headers=amy.auth).json
    fetched = [e for e in history["events"] if e["kind"] == "link_file_fetched"]
    assert {e["details"]["opening"] for e in fetched} == {events[opening].seq}
    assert {e["details"]["link"] for e in fetched} == {link["id"]}


def test_one_client_polling_an_emergency_link_a_thousand_times_blocks_nobody_else(
    counting: str | None, client: FlaskClient, runtime: Any
) -> None:
    # In the middle of one ten-minute window: a run that crossed the window's end would see
    # the poller let in again, rightly, by the next window's count.
    moment = window_of(datetime.now(UTC)) + WINDOW / 2
    runtime.set_clock(lambda: moment)
    amy = make_person(client)
    link = make_link(client, amy)
    path = urlsplit(_payload(link["url"])["url"]).path
    poller = {"REMOTE_ADDR": "198.51.100.7"}
    answers = [client.post(path, json={"recipient": "A poller"}, environ_overrides=poller)
               for _ in range(1_000)]
    assert [a.status_code for a in answers[:60]] == [200] * 60
    assert {a.status_code for a in answers[60:]} == {429}
    for address in ("203.0.113.9", "203.0.113.10"):  # Every other client still opens it.
        other = client.post(path, json={"recipient": "Dr A Patel"},
                            environ_overrides={"REMOTE_ADDR": address})
        assert other.status_code == 200
    openings = client.get(f"/api/v1/people/{amy.person_id}/links/{link['id']}/openings",
                          headers=amy.auth).json
    # One entry for each client, with its count: the poller's sixty, and each other's one.
    assert sorted((o["recipient"], o["times"]) for o in openings) == [
        ("A poller", 60), ("Dr A Patel", 1), ("Dr A Patel", 1)]
    # With Redis, the poller's thousand requests were counted there, and not one here.
    with runtime.db.sessions() as session:
        counted_here = sorted(session.scalars(select(LinkClient.requests)))
    assert counted_here == ([0, 0, 0] if counting else [1, 1, 60])


def test_a_location_works_for_an_hour_and_then_is_404(client: FlaskClient, runtime: Any) -> None:
    """Rule: a copy too big to embed is given at an address that lives one hour."""
    start = datetime.now(UTC)
    runtime.set_clock(lambda: start)
    amy = make_person(client)
    answer = open_link(client, make_link(client, amy)["url"], embeddedLengthMax=0)
    location = urlsplit(answer.json["files"][0]["location"]).path
    runtime.set_clock(lambda: start + timedelta(minutes=59, seconds=59))
    assert client.get(location).status_code == 200
    runtime.set_clock(lambda: start + timedelta(hours=1))
    assert client.get(location).status_code == 404


def test_a_recipients_name_is_kept_cut_to_200_characters(client: FlaskClient) -> None:
    """Rule: the name a recipient types is kept to its first 200 characters (MAX_RECIPIENT)."""
    amy = make_person(client)
    link = make_link(client, amy)
    name = "Dr " + "Ng" * 150
    assert open_link(client, link["url"], recipient=name).status_code == 200
    openings = client.get(f"/api/v1/people/{amy.person_id}/links/{link['id']}/openings",
                          headers=amy.auth)
    assert [opening["recipient"] for opening in openings.json] == [name[:200]]
