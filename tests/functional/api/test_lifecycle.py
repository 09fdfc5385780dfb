"""A whole record through the API: export, import, deletion, undo, destruction and the shred list."""

from __future__ import annotations

import copy
import io
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import String, func, or_, select

from consent import lifecycle
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from vault.audit import chain_head, person_chain, verify_chain
from vault.db import Base, Database
from vault.export import comparable
from vault.models import Person as PersonRow
from web.cli import main as cli

API = "/api/v1/people"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (20, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client: FlaskClient, who: Person, section: str, tier: str, name: str,
           content: bytes) -> None:
    response = client.post(f"{API}/{who.person_id}/attachments", headers=who.auth,
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), name), "section": section,
                                 "tier": tier})
    assert response.status_code == 201, response.json


def build_record(client: FlaskClient, who: Person) -> None:
    """Several sections, versions, a deleted entry, tier overrides, provenance, P and S, files."""
    med = add_entry(client, who, "medicines",
                    {"name": "Sertraline", "dose": "50 mg", "reason": "Low mood",
                     "psychotropic": True},
                    tiers={"reason": "E"}, provenance="Amy says her GP confirmed this.")
    url = f"{API}/{who.person_id}/entries/{med['id']}"
    for body in ({"data": {"name": "Sertraline", "dose": "100 mg", "psychotropic": True},
                  "tiers": {"dose": "C"}},
                 {"data": {"name": "Sertraline", "dose": "75 mg", "psychotropic": True,
                           "reduction_plan": "Lower by 25 mg each month."},
                  "provenance": "From the clinic letter of 3 March."}):
        assert client.put(url, json=body, headers=who.auth).status_code == 200
    gone = add_entry(client, who, "allergies", {"substance": "Latex", "reaction": "Itching"})
    assert client.delete(f"{API}/{who.person_id}/entries/{gone['id']}",
                         headers=who.auth).status_code == 204
    add_entry(client, who, "communication", {"text": "I use Makaton and a picture board."})
    add_entry(client, who, "journal", {"text": "A private note."})
    add_entry(client, who, "sensitive_history", {"text": "Something hard.", "topic": "trauma"})
    upload(client, who, "identity", "E", "me.png", png())
    upload(client, who, "future_plans", "C", "ReSPECT form.pdf", PDF)


def export_of(client: FlaskClient, who: Person) -> dict[str, Any]:
    response = client.get(f"{API}/{who.person_id}/export", headers=who.auth)
    assert response.status_code == 200, response.json
    assert response.json is not None
    return response.json


def rows_naming(database: Database, person_id: str) -> dict[str, int]:
    """How many rows of each table have the id in any text column."""
    out = {}
    with database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String)]
            if not columns:
                continue
            count = session.scalar(select(func.count()).select_from(table).where(
                or_(*[c.contains(person_id) for c in columns])))
            if count:
                out[table.name] = int(count)
    return out


# -- export and import ----------------------------------------------------------------------


def test_export_import_export_round_trip(client: FlaskClient) -> None:
    amy = make_person(client, name="Amy")
    build_record(client, amy)
    response = client.get(f"{API}/{amy.person_id}/export", headers=amy.auth)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    first = response.json
    assert first is not None

    moved = make_person(client, name="Amy B")
    imported = client.post(f"{API}/{moved.person_id}/import", json=first, headers=moved.auth)
    assert imported.status_code == 201, imported.json
    assert imported.json == {"entries": 5, "versions": 8, "attachments": 2}
    second = export_of(client, moved)

    assert comparable(second) == comparable(first)
    assert second["person"]["preferred_name"] == "Amy"
    listed = client.get(f"{API}/{moved.person_id}/entries", headers=moved.auth).json
    assert {e["section"] for e in listed} == {"medicines", "communication", "journal",
                                              "sensitive_history"}
    assert {e["author_role"] for e in listed} == {"imported"}


def bad_documents(good: dict[str, Any]) -> list[tuple[str, Any, str]]:
    def changed(path: list[Any], value: Any) -> dict[str, Any]:
        doc = copy.deepcopy(good)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc

    return [
        ("wrong format", changed(["format"], "someone-elses-export"), "format"),
        ("unknown key", {**good, "colour": "red"}, "colour"),
        ("bad entry data", changed(["entries", 0, "versions", 0, "data", "nmae"], "x"),
         "entries[0].versions[0].data.nmae"),
        ("wrong type", changed(["entries", 0, "versions"], "all of them"), "entries[0].versions"),
        ("wrong type of a field", changed(["entries", 0, "versions", 0, "data", "psychotropic"],
                                          "yes"), "entries[0].versions[0].data.psychotropic"),
        ("huge string", changed(["entries", 0, "versions", 0, "data", "text"], "x" * 2_000_000),
         "entries[0].versions[0].data.text"),
        ("huge provenance", changed(["entries", 0, "versions", 0, "provenance"], "x" * 50_000),
         "entries[0].versions[0].provenance"),
        ("not an object", [good], ""),
    ]


def test_bad_documents_are_422_and_change_nothing(client: FlaskClient, database: Database) -> None:
    amy = make_person(client)
    build_record(client, amy)
    good = export_of(client, amy)
    target = make_person(client, name="Target")
    with database.transaction() as session:
        head = chain_head(session, chain=person_chain(target.person_id))
    before = rows_naming(database, target.person_id)
    for what, document, path in bad_documents(good):
        response = client.post(f"{API}/{target.person_id}/import", json=document,
                               headers=target.auth)
        assert response.status_code == 422, (what, response.json)
        assert response.json["message"], what
        assert response.json.get("field", "") == path, (what, response.json)
        assert rows_naming(database, target.person_id) == before, what
    not_json = client.post(f"{API}/{target.person_id}/import", data=b"{not json",
                           content_type="application/json", headers=target.auth)
    assert not_json.status_code == 422
    with database.transaction() as session:
        assert chain_head(session, chain=person_chain(target.person_id)) == head
    assert client.get(f"{API}/{target.person_id}/entries", headers=target.auth).json == []


def test_import_into_a_record_with_entries_is_409(client: FlaskClient) -> None:
    amy = make_person(client)
    build_record(client, amy)
    document = export_of(client, amy)
    response = client.post(f"{API}/{amy.person_id}/import", json=document, headers=amy.auth)
    assert response.status_code == 409
    assert response.json["message"] == "Import into an empty record: this one already has entries."


def test_read_only_token_may_not_export_import_or_delete(client: FlaskClient) -> None:
    amy = make_person(client, scopes=("read",))
    url = f"{API}/{amy.person_id}"
    for method, path, body in (("GET", "/export", None), ("POST", "/import", {}),
                               ("DELETE", "", None), ("POST", "/restore", None)):
        response = client.open(url + path, method=method, json=body, headers=amy.auth)
        assert response.status_code == 403, (method, path, response.json)
        assert response.json["error"] == "not_allowed"


def sign_in(client: FlaskClient, who: Person) -> None:
    response = client.post("/api/v1/sessions", json={"login": who.login, "passphrase": PASSPHRASE})
    assert response.status_code == 201


def test_another_persons_record_is_404(client: FlaskClient) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    build_record(client, bob)
    url = f"{API}/{bob.person_id}"
    calls = (("GET", "/export", None), ("POST", "/import", {}), ("DELETE", "", None),
             ("POST", "/restore", None))
    for method, path, body in calls:
        response = client.open(url + path, method=method, json=body, headers=amy.auth)
        assert response.status_code == 404, (method, path)
    # A signed-in session is not limited to named people, so membership itself is checked.
    sign_in(client, amy)
    for method, path, body in calls:
        response = client.open(url + path, method=method, json=body)
        assert response.status_code == 404, (method, path)
    client.delete("/api/v1/sessions")
    assert client.get(f"{url}/entries", headers=bob.auth).status_code == 200


# -- deletion, undo and destruction ---------------------------------------------------------


def test_delete_hides_everything_and_restore_brings_it_back(client: FlaskClient) -> None:
    amy = make_person(client)
    build_record(client, amy)
    before = export_of(client, amy)
    url = f"{API}/{amy.person_id}"

    deleted = client.delete(url, headers=amy.auth)
    assert deleted.status_code == 202
    assert deleted.json["message"].startswith("Your record is hidden and will be destroyed on ")
    assert deleted.json["message"].endswith("You can undo this until then.")
    assert client.get(API, headers=amy.auth).json == []
    entry_id = before["entries"][0]["id"]
    for method, path in (("GET", "/entries"), ("GET", f"/entries/{entry_id}"), ("GET", "/export"),
                         ("POST", "/import"), ("DELETE", ""), ("GET", "/attachments"),
                         ("GET", "/history")):
        response = client.open(url + path, method=method, json={} if method == "POST" else None,
                               headers=amy.auth)
        assert response.status_code == 404, (method, path)

    restored = client.post(f"{url}/restore", headers=amy.auth)
    assert restored.status_code == 200
    assert [p["id"] for p in client.get(API, headers=amy.auth).json] == [amy.person_id]
    assert comparable(export_of(client, amy)) == comparable(before)
    again = client.post(f"{url}/restore", headers=amy.auth)
    assert again.status_code == 409


def test_after_the_undo_period_every_row_is_destroyed(
    client: FlaskClient, runtime: Any, database: Database, tmp_path: Path
) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    build_record(client, amy)
    build_record(client, bob)
    bob_before = export_of(client, bob)
    assert client.delete(f"{API}/{amy.person_id}", headers=amy.auth).status_code == 202
    assert len(rows_naming(database, amy.person_id)) > 5

    later = datetime.now(UTC) + timedelta(days=15)
    runtime.set_clock(lambda: later)
    too_late = client.post(f"{API}/{amy.person_id}/restore", headers=amy.auth)
    assert too_late.status_code == 409
    shred_list = tmp_path / "shred-list.txt"
    with database.transaction() as session:
        assert lifecycle.destroy_due_records(session, now=later, shred_list=shred_list) == [amy.person_id]

    # Only the tombstone still names the record, and it holds no ciphertext.
    assert rows_naming(database, amy.person_id) == {"people": 1}
    with database.transaction() as session:
        tombstone = session.get(PersonRow, amy.person_id)
        assert tombstone is not None
        assert tombstone.destroyed_at == later
        assert tombstone.display_name_ct == b""
        assert tombstone.audit_private_wrapped == b""
        assert tombstone.subject_account_id is None
        assert verify_chain(session, runtime.config.keyring, chain=person_chain(bob.person_id)) > 0
    assert shred_list.read_text().split() == [amy.person_id, later.isoformat()]
    assert stat.S_IMODE(shred_list.stat().st_mode) == 0o600

    assert client.post(f"{API}/{amy.person_id}/restore", headers=amy.auth).status_code == 404
    assert client.get(f"{API}/{amy.person_id}/entries", headers=amy.auth).status_code == 404
    assert comparable(export_of(client, bob)) == comparable(bob_before)
    with database.transaction() as session:
        assert lifecycle.destroy_due_records(session, now=later, shred_list=shred_list) == []


def test_nothing_is_destroyed_before_the_undo_period_ends(
    client: FlaskClient, runtime: Any, database: Database, tmp_path: Path
) -> None:
    amy = make_person(client)
    add_entry(client, amy, "journal", {"text": "Still here."})
    assert client.delete(f"{API}/{amy.person_id}", headers=amy.auth).status_code == 202
    almost = datetime.now(UTC) + timedelta(days=13)
    with database.transaction() as session:
        assert lifecycle.destroy_due_records(session, now=almost, shred_list=tmp_path / "s.txt") == []
    runtime.set_clock(lambda: almost)
    assert client.post(f"{API}/{amy.person_id}/restore", headers=amy.auth).status_code == 200
    assert len(client.get(f"{API}/{amy.person_id}/entries", headers=amy.auth).json) == 1


# -- the command line -----------------------------------------------------------------------


def cli_env(tmp_path: Path, database: Database) -> dict[str, str]:
    return {"TELLONCE_ENV": "test", "TELLONCE_INSTANCE_PATH": str(tmp_path),
            "TELLONCE_DATABASE_URL": database.url}


@pytest.mark.commits  # The commands open connections of their own, which must see the rows.
def test_purge_and_shred_reapply_commands(
    client: FlaskClient, runtime: Any, database: Database, tmp_path: Path
) -> None:
    amy = make_person(client)
    bob = make_person(client, name="Bob")
    add_entry(client, amy, "journal", {"text": "Gone soon."})
    add_entry(client, bob, "journal", {"text": "Restored from an old backup."})
    runtime.set_clock(lambda: datetime.now(UTC) - timedelta(days=20))
    assert client.delete(f"{API}/{amy.person_id}", headers=amy.auth).status_code == 202
    env = cli_env(tmp_path, database)

    purged = CliRunner().invoke(cli, ["purge"], env=env)
    assert purged.exit_code == 0, purged.output
    assert "Destroyed 1 record(s)" in purged.output
    assert rows_naming(database, amy.person_id) == {"people": 1}
    shred_list = tmp_path / "shred-list.txt"
    assert amy.person_id in shred_list.read_text()

    # As if a backup taken before Bob's record was destroyed had just been restored.
    with shred_list.open("a") as handle:
        handle.write(f"{bob.person_id} {datetime.now(UTC).isoformat()}\n")
    reapplied = CliRunner().invoke(cli, ["shred", "reapply"], env=env)
    assert reapplied.exit_code == 0, reapplied.output
    assert "Destroyed 1 record(s) again" in reapplied.output
    assert rows_naming(database, bob.person_id) == {"people": 1}


@pytest.mark.commits  # The command opens a connection of its own, which must see the rows.
def test_a_damaged_shred_list_is_refused_before_anything_is_destroyed(
    client: FlaskClient, database: Database, tmp_path: Path
) -> None:
    amy = make_person(client)
    (tmp_path / "shred-list.txt").write_text(f"{amy.person_id} 2026-11-23T14:02:00+00:00\n"
                                             "not a line of the shred list\n")
    result = CliRunner().invoke(cli, ["shred", "reapply"], env=cli_env(tmp_path, database))
    assert result.exit_code == 1
    assert "Line 2 of the shred list" in result.output
    assert client.get(f"{API}/{amy.person_id}/entries", headers=amy.auth).status_code == 200


@pytest.mark.parametrize("path", ["/export", "/import", "", "/restore"])
def test_lifecycle_operations_are_in_the_openapi_document(client: FlaskClient, path: str) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc is not None
    operation = doc["paths"][f"/api/v1/people/{{person_id}}{path}"]
    for spec in operation.values():
        if isinstance(spec, dict) and "responses" in spec:
            assert {"403", "404"} <= set(spec["responses"])
    if path == "/import":
        body = operation["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ExportDocument"}
