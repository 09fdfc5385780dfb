"""Every operation of the OpenAPI document, driven from the document itself.

Nothing here lists operations by hand: each path and method comes from
``/api/v1/openapi.json``, so an operation added later is checked the day it appears. For
each one:

- another person's ids in the path (or in the body) answer 404, exactly as ids that do
  not exist, and change nothing;
- a JSON body with an unknown field, a property of the wrong type, no body, a body that is
  not an object, or malformed JSON is refused with ``{"error", "message"}`` and changes
  nothing;
- the document itself lists a 4xx answer for it, and every object schema forbids
  properties it does not list.

"Changes nothing" compares every row of every table before and after. The only values left
out are the two timestamps that record that a credential was used (``api_tokens.
last_used_at`` and ``sessions.last_seen_at``): touching them is the legitimate side effect of
authenticating, not a change to anything a person owns. Audit, throttle and session tables
are otherwise compared in full on purpose: a refused request is refused before any sign-in
is counted or any event is written, and nothing is committed when a view raises.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from tests.factories import Person, add_entry, make_person
from vault.db import Base, Database

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Timestamps that only say a credential was used; see the module docstring.
VOLATILE_COLUMNS = {("api_tokens", "last_used_at"), ("sessions", "last_seen_at")}
UNKNOWN_FIELD = "unexpected_field"
MIN_OPERATIONS = 15


@dataclass
class Operation:
    path: str
    method: str
    spec: dict[str, Any]
    path_params: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def body_schema(self, doc: dict[str, Any], media: str = "application/json") -> dict | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        if media not in content:
            return None
        return resolve(doc, content[media]["schema"])

    def query_params(self) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == "query"]


@dataclass
class World:
    """Amy makes the requests; Bob is someone else; Cleo is a third person whose record is
    empty. Each ``*_ids`` maps path parameter names to that person's own ids."""

    amy: Person
    bob: Person
    cleo: Person
    amy_ids: dict[str, str]
    bob_ids: dict[str, str]
    cleo_ids: dict[str, str]


# -- the document -----------------------------------------------------------------------


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = doc["components"]["schemas"][name]
    return schema


def operations(doc: dict[str, Any]) -> list[Operation]:
    out = []
    for path, item in doc["paths"].items():
        shared = [p for p in item.get("parameters", []) if p.get("in") == "path"]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            spec = item[method]
            own = [p for p in spec.get("parameters", []) if p.get("in") == "path"]
            out.append(Operation(path, method, spec, shared + own))
    return out


def alternatives(doc: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = resolve(doc, schema)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return [alt for sub in schema[key] for alt in alternatives(doc, sub)]
    return [schema]


def json_types(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema accepts, across oneOf and anyOf, without null."""
    out: set[str] = set()
    for alt in alternatives(doc, schema):
        kind = alt.get("type", [])
        out |= set(kind if isinstance(kind, list) else [kind])
    if "number" in out:
        out.add("integer")
    return out - {"null"}


def sample(doc: dict[str, Any], schema: dict[str, Any], name: str, ids: dict[str, str],
           *, every_property: bool = False) -> Any:
    """A value the schema accepts, with ids taken from ``ids`` where the name says so.

    The top-level body gets every property, so each can be given a wrong type in turn;
    nested objects get their required properties only (or `text`, which every section of
    a record accepts), so the sample stays valid however deep the schema goes.
    """
    schema = alternatives(doc, schema)[0]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    types = json_types(doc, schema)
    if "object" in types:
        properties = schema.get("properties", {})
        keys = list(properties) if every_property else schema.get("required", [])
        if not keys and "text" in properties:
            keys = ["text"]
        out = {key: sample(doc, properties[key], key, ids) for key in keys}
        if not out and not properties and schema.get("additionalProperties") in ({}, True, None):
            out = {"text": "Some words of my own."}  # A free-form map, such as entry data.
        return out
    if "array" in types:
        return [sample(doc, schema.get("items", {}), name, ids)
                for _ in range(schema.get("minItems", 0))]
    if "integer" in types:
        return max(1, schema.get("minimum", 1))
    if "boolean" in types:
        return True
    fmt = schema.get("format")
    if fmt == "uuid" or name.endswith(("_id", "_ids")):
        return ids.get(name.removesuffix("s"), str(uuid.uuid4()))
    if fmt == "date-time":
        return "2030-01-01T00:00:00+00:00"
    if fmt == "date":
        return "2030-01-01"
    return "x" * max(1, schema.get("minLength", 1))


def body_sample(doc: dict[str, Any], schema: dict[str, Any], ids: dict[str, str]) -> Any:
    return sample(doc, schema, "", ids, every_property=True)


def wrong_values(doc: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    """Values of every JSON type the property does not take (string, int, list, object)."""
    types = json_types(doc, schema)
    candidates = {"string": "some words", "integer": 12345, "array": ["x"], "object": {"k": "v"}}
    return [value for kind, value in candidates.items() if kind not in types]


def fill_path(op: Operation, ids: dict[str, str]) -> str:
    url = op.path
    for param in op.path_params:
        name = param["name"]
        if param.get("schema", {}).get("format") != "uuid":
            pytest.fail(f"{op}: path parameter {name!r} is not an id; teach this test about it.")
        url = url.replace("{" + name + "}", ids.get(name, str(uuid.uuid4())))
    return url


# -- the database, before and after -----------------------------------------------------


def snapshot(database: Database) -> dict[str, list[str]]:
    """Every row of every table, less the credential-use timestamps."""
    out = {}
    with database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            rows = session.execute(select(*columns)).all()
            out[table.name] = sorted(repr(tuple(row)) for row in rows)
    return out


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def assert_error_body(response: Any, what: str) -> None:
    body = response.get_json(silent=True)
    assert isinstance(body, dict), f"{what}: answer is not a JSON object: {response.data[:200]!r}"
    for key in ("error", "message"):
        assert isinstance(body.get(key), str), f"{what}: {body}"
        assert body[key].strip(), f"{what}: {body}"


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def doc(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json  # type: ignore[return-value]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def form_sample(doc: dict[str, Any], schema: dict[str, Any], ids: dict[str, str]
                ) -> dict[str, Any]:
    """A multipart form the schema accepts: files are a tiny real PNG."""
    data: dict[str, Any] = {}
    for key, sub in schema.get("properties", {}).items():
        if resolve(doc, sub).get("format") == "binary":
            data[key] = (io.BytesIO(_png()), "picture.png", "image/png")
        else:
            data[key] = sample(doc, sub, key, ids)
    return data


def request_body(doc: dict[str, Any], op: Operation, ids: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments for the test client carrying a valid body, if the operation has one."""
    json_schema = op.body_schema(doc)
    if json_schema is not None:
        return {"json": body_sample(doc, json_schema, ids)}
    form = op.body_schema(doc, "multipart/form-data")
    if form is not None:
        return {"data": form_sample(doc, form, ids), "content_type": "multipart/form-data"}
    return {}


def _try_attachment(client: FlaskClient, doc: dict[str, Any], who: Person) -> str:
    """Upload an attachment as ``who`` if the API has uploads; else a random id (still 404)."""
    ids = {"person_id": who.person_id}
    for op in operations(doc):
        if op.method == "post" and op.path.endswith("/attachments"):
            response = client.post(fill_path(op, ids), headers=who.auth,
                                   **request_body(doc, op, ids))
            if response.status_code == 201 and response.json and "id" in response.json:
                return str(response.json["id"])
    return str(uuid.uuid4())


@pytest.fixture
def world(client: FlaskClient, doc: dict[str, Any]) -> World:
    people = [make_person(client, name=name) for name in ("Amy", "Bob", "Cleo")]
    ids = {}
    for who in people:
        tokens = client.get("/api/v1/tokens", headers=who.auth).json
        assert len(tokens) == 1
        ids[who.login] = {"person_id": who.person_id, "token_id": tokens[0]["id"],
                          "entry_id": str(uuid.uuid4()), "attachment_id": str(uuid.uuid4())}
        if who.login != people[2].login:
            entry = add_entry(client, who, "journal", {"text": f"{who.login} wrote this."})
            ids[who.login]["entry_id"] = entry["id"]
            ids[who.login]["attachment_id"] = _try_attachment(client, doc, who)
    amy, bob, cleo = people
    return World(amy, bob, cleo, ids[amy.login], ids[bob.login], ids[cleo.login])


# -- the document's own promises --------------------------------------------------------


def test_document_lists_enough_operations_each_with_a_4xx(doc: dict[str, Any]) -> None:
    ops = operations(doc)
    assert len(ops) >= MIN_OPERATIONS, [str(op) for op in ops]
    for op in ops:
        statuses = [s for s in op.spec.get("responses", {}) if s.isdigit()]
        assert any(s.startswith("4") for s in statuses), f"{op} documents no 4xx answer"


def test_every_documented_error_is_the_error_body_the_api_sends(doc: dict[str, Any]) -> None:
    """Each 4xx answer, and the default one, describe ``{"error", "message"}``."""
    responses = doc.get("components", {}).get("responses", {})
    for op in operations(doc):
        for status, answer in op.spec.get("responses", {}).items():
            if not (status.startswith("4") or status == "default"):
                continue
            while "$ref" in answer:
                answer = responses[answer["$ref"].removeprefix("#/components/responses/")]
            schema = resolve(doc, answer["content"]["application/json"]["schema"])
            assert {"error", "message"} <= set(schema.get("required", [])), (op, status, schema)


def test_every_object_schema_forbids_unknown_properties(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert schemas
    for name, schema in schemas.items():
        if "object" in json_types(doc, schema) and "properties" in schema:
            assert schema.get("additionalProperties") is False, name


# -- someone else's ids -----------------------------------------------------------------


def _cross_person_cases(op: Operation, world: World) -> Iterator[tuple[str, dict[str, str]]]:
    """(label, ids for the path): all of Bob's, and Amy's person with Bob's other ids."""
    names = {p["name"] for p in op.path_params}
    yield "all Bob's ids", world.bob_ids
    if "person_id" in names and len(names) > 1:
        yield "Amy's person, Bob's ids", {**world.bob_ids, "person_id": world.amy.person_id}


def test_other_persons_ids_are_404_and_change_nothing(
    client: FlaskClient, doc: dict[str, Any], world: World, database: Database
) -> None:
    checked = 0
    for op in operations(doc):
        body_schema = op.body_schema(doc)
        if op.path_params:
            for label, ids in _cross_person_cases(op, world):
                before = snapshot(database)
                response = client.open(fill_path(op, ids), method=op.method.upper(),
                                       headers=world.amy.auth,
                                       **request_body(doc, op, world.amy_ids))
                what = f"{op} with {label}"
                assert response.status_code == 404, (what, response.get_json(silent=True))
                assert response.json["error"] == "not_found", what
                assert_error_body(response, what)
                assert not changed_tables(before, snapshot(database)), what
                checked += 1
        if body_schema and _names_people(body_schema):
            # Ids in the body are someone else's too: Amy's path, Bob's ids in the body.
            body = body_sample(doc, body_schema, world.bob_ids)
            before = snapshot(database)
            response = client.open(fill_path(op, world.amy_ids), method=op.method.upper(),
                                   json=body, headers=world.amy.auth)
            what = f"{op} with Bob's ids in the body"
            assert response.status_code == 404, (what, response.get_json(silent=True))
            assert_error_body(response, what)
            assert not changed_tables(before, snapshot(database)), what
            checked += 1
    # Entries alone give several; a document that lost its id paths must not pass quietly.
    assert checked >= 8


def _names_people(schema: dict[str, Any]) -> bool:
    return any(key.removesuffix("s") == "person_id" for key in schema.get("properties", {}))


# -- bad bodies and bad queries ---------------------------------------------------------


def _bad_bodies(doc: dict[str, Any], op: Operation, ids: dict[str, str]
                ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """(label, request keyword arguments, the field the error must name or None)."""
    schema = op.body_schema(doc)
    assert schema is not None
    valid = body_sample(doc, schema, ids)
    yield "an unknown field", {"json": {**valid, UNKNOWN_FIELD: "x"}}, UNKNOWN_FIELD
    for key, sub in schema.get("properties", {}).items():
        for wrong in wrong_values(doc, sub):
            yield f"{key}={wrong!r}", {"json": {**valid, key: wrong}}, key
    # A body the document says is optional may be left out (signing out here takes none).
    if op.spec["requestBody"].get("required", True):
        yield "no body", {}, None
    yield "a list for a body", {"json": [valid]}, None
    yield "a string for a body", {"json": "text"}, None
    yield "malformed JSON", {"data": b'{"section": "jour', "content_type": "application/json"}, None


def test_bad_bodies_are_refused_and_change_nothing(
    client: FlaskClient, doc: dict[str, Any], world: World, database: Database
) -> None:
    """Each bad body, to a record with content (Amy's) and to an empty one (Cleo's).

    Each is sent with the record owner's own token, so a good body would succeed. Some
    operations refuse by state before they read the body (an import into a record that has
    entries is a 409), which is why the empty record is there too. Any 422 must name the one
    thing that is wrong, and each operation must name it for at least one of the two.
    """
    with_bodies = [op for op in operations(doc) if op.body_schema(doc) is not None]
    # Sign-up, sign-in, recovery, tokens and entries at least.
    assert len(with_bodies) >= 5, [str(op) for op in with_bodies]
    for op in with_bodies:
        named: dict[str, bool] = {}
        for who, ids in ((world.amy, world.amy_ids), (world.cleo, world.cleo_ids)):
            url = fill_path(op, ids)
            for label, kwargs, field_name in _bad_bodies(doc, op, ids):
                what = f"{op} for {who.login} with {label}"
                before = snapshot(database)
                response = client.open(url, method=op.method.upper(), headers=who.auth,
                                       **kwargs)
                assert 400 <= response.status_code < 500, (what, response.status_code)
                assert_error_body(response, what)
                assert not changed_tables(before, snapshot(database)), what
                if field_name is None:
                    continue
                named.setdefault(label, False)
                if response.status_code == 422:
                    # The base body is valid, so the one thing wrong must be the one named.
                    assert response.json.get("field", "").split(".")[0] == field_name, (
                        what, response.json)
                    named[label] = True
        assert named, str(op)
        assert all(named.values()), (str(op), named)


def test_bad_query_values_are_refused(
    client: FlaskClient, doc: dict[str, Any], world: World, database: Database
) -> None:
    for op in operations(doc):
        for param in op.query_params():
            if "enum" not in resolve(doc, param.get("schema", {})):
                continue
            what = f"{op} with ?{param['name']}=nonsense"
            before = snapshot(database)
            response = client.open(fill_path(op, world.amy_ids), method=op.method.upper(),
                                   query_string={param["name"]: "nonsense"},
                                   headers=world.amy.auth)
            assert response.status_code == 422, what
            assert_error_body(response, what)
            assert response.json.get("field") == param["name"], (what, response.json)
            assert not changed_tables(before, snapshot(database)), what


def test_the_sample_bodies_are_themselves_valid(
    client: FlaskClient, doc: dict[str, Any], world: World
) -> None:
    """Guard for the tests above: Amy's own token with a sample body is accepted."""
    op = next(op for op in operations(doc)
              if op.method == "post" and op.path.endswith("/entries"))
    body = body_sample(doc, op.body_schema(doc) or {}, world.amy_ids)
    response = client.post(fill_path(op, world.amy_ids), json=body, headers=world.amy.auth)
    assert response.status_code == 201, json.dumps(response.json)
