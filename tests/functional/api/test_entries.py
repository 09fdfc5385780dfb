"""Entries through the JSON API: write, read, version, delete, and refuse bad input."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import add_entry, make_person
from web.demo_data import DEMO_ACCOUNTS


def test_write_read_update_and_versions(client: FlaskClient) -> None:
    amy = make_person(client)
    made = add_entry(client, amy, "communication", {"text": "I use Makaton signs."},
                     provenance="Amy wrote this herself.")
    assert made["version"] == 1
    assert made["tiers"] == {"text": "E"}
    url = f"/api/v1/people/{amy.person_id}/entries/{made['id']}"
    changed = client.put(url, json={"data": {"text": "I use Makaton and a picture board."}},
                         headers=amy.auth)
    assert changed.status_code == 200
    assert changed.json["version"] == 2
    current = client.get(url, headers=amy.auth).json
    assert current["data"] == {"text": "I use Makaton and a picture board."}
    versions = client.get(url + "/versions", headers=amy.auth).json
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["data"] == {"text": "I use Makaton signs."}
    assert versions[1]["provenance"] == "Amy wrote this herself."


def test_list_by_section_and_delete_keeps_history(client: FlaskClient) -> None:
    amy = make_person(client)
    med = add_entry(client, amy, "medicines", {"name": "Lamotrigine", "dose": "100 mg"})
    add_entry(client, amy, "allergies", {"text": "Penicillin gives me a rash."})
    meds = client.get(f"/api/v1/people/{amy.person_id}/entries?section=medicines",
                      headers=amy.auth).json
    assert [m["id"] for m in meds] == [med["id"]]
    url = f"/api/v1/people/{amy.person_id}/entries/{med['id']}"
    assert client.delete(url, headers=amy.auth).status_code == 204
    assert client.get(url, headers=amy.auth).status_code == 404
    everything = client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth).json
    assert [e["section"] for e in everything] == ["allergies"]


def test_people_lists_own_record(client: FlaskClient) -> None:
    amy = make_person(client, name="Amy")
    people = client.get("/api/v1/people", headers=amy.auth).json
    assert people == [{"id": amy.person_id, "preferred_name": "Amy", "role": "subject"}]


def test_preferred_name_follows_identity(client: FlaskClient) -> None:
    amy = make_person(client, name="Amelia")
    add_entry(client, amy, "identity", {"preferred_name": "Amy", "legal_name": "Amelia Brown"})
    assert client.get("/api/v1/people", headers=amy.auth).json[0]["preferred_name"] == "Amy"


def test_another_persons_ids_are_404(client: FlaskClient) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    entry = add_entry(client, bob, "journal", {"text": "Private."})
    for url in (f"/api/v1/people/{bob.person_id}/entries",
                f"/api/v1/people/{bob.person_id}/entries/{entry['id']}",
                f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                f"/api/v1/people/{bob.person_id}/medicines/indicators"):
        response = client.get(url, headers=amy.auth)
        assert response.status_code == 404, url
        assert response.json["error"] == "not_found"


def test_bad_input_changes_nothing(client: FlaskClient) -> None:
    amy = make_person(client)
    url = f"/api/v1/people/{amy.person_id}/entries"
    cases = [
        ({"section": "medicines", "data": {"text": "x"}, "extra": 1}, "invalid_input"),
        ({"section": "nope", "data": {"text": "x"}}, "invalid_input"),
        ({"section": "medicines", "data": {"nmae": "x"}}, "invalid_entry"),
        ({"section": "medicines", "data": {"psychotropic": "yes"}}, "invalid_entry"),
        ({"section": "medicines", "data": {}}, "invalid_entry"),
        ({"section": "medicines", "data": "text"}, "invalid_input"),
        ({"section": "journal", "data": {"text": "x"}, "tiers": {"text": "E"}}, "invalid_entry"),
    ]
    for body, code in cases:
        response = client.post(url, json=body, headers=amy.auth)
        assert response.status_code == 422, body
        assert response.json["error"] == code, body
        assert response.json["message"]
    malformed = client.post(url, data=b"{not json", headers={**amy.auth,
                            "Content-Type": "application/json"})
    assert malformed.status_code in (400, 422)
    assert "error" in malformed.json
    assert client.get(url, headers=amy.auth).json == []


def test_indicators(client: FlaskClient) -> None:
    amy = make_person(client)
    add_entry(client, amy, "medicines", {"name": "Risperidone", "psychotropic": True,
                                         "next_review": "2025-01-01"})
    add_entry(client, amy, "medicines", {"name": "Lamotrigine", "reason": "Epilepsy",
                                         "next_review": "2099-01-01"})
    out = client.get(f"/api/v1/people/{amy.person_id}/medicines/indicators",
                     headers=amy.auth).json
    assert out["count"] == 2
    assert out["reviews_overdue"] == 1
    assert out["psychotropic_without_reason"] == 1
    assert out["psychotropic_without_reduction_plan"] == 1


def test_the_list_written_without_marshmallow_is_what_the_schema_dumps(
        client: FlaskClient) -> None:
    """The list is written by orjson (api.blueprint.written); each entry in it must be what
    the schema dumps for the same entry read alone, for every demo entry: every section,
    tiers, provenance, lists, dates, non-ASCII text."""
    amy = make_person(client)
    demo = [entry for spec in DEMO_ACCOUNTS for entry in spec["entries"]]
    for entry in demo:
        add_entry(client, amy, entry["section"], entry["data"],
                  **{k: entry[k] for k in ("tiers", "provenance") if k in entry})
    add_entry(client, amy, "journal", {"text": "Café, naïve, 日本語, «quotes» and an emoji 🙂."})
    listed = client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth)
    assert listed.status_code == 200
    assert listed.mimetype == "application/json"
    assert len(listed.json) == len(demo) + 1
    for entry in listed.json:
        alone = client.get(f"/api/v1/people/{amy.person_id}/entries/{entry['id']}",
                           headers=amy.auth)
        assert entry == alone.json
