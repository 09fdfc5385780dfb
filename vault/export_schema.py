"""The JSON Schema of an export document, and what it finds wrong in plain words.

``vault.imports`` checks every document with it before anything else: its keys, their types,
lengths and counts, and each version's data and tiers against its entry's section (the schemas of
``vault.sections.json_schema``). The schema is built in code from the catalogue, so a new section
or field is checked the day it appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from jsonschema import Draft202012Validator, TypeChecker, ValidationError, validators
from jsonschema.protocols import Validator

from vault.entries import AUTHOR_ROLES, MAX_PROVENANCE
from vault.errors import InvalidEntry, InvalidExport, UnknownSection
from vault.export import FORMAT, VERSION
from vault.sections import SECTION_NAMES, SECTIONS, Section, Tier
from vault.sections.json_schema import entry_data_schema, entry_tiers_schema

# The most a document may hold: far more than anyone's record needs, and few enough that one
# document cannot keep the server checking for ever.
MAX_ENTRIES = 10_000
MAX_VERSIONS = 1_000
MAX_ATTACHMENTS = 1_000
MAX_SHORT = 255
MAX_TIME = 40


# A keyword of this project's own, which validators ignore as an annotation: the words to say
# when a value does not meet the subschema that carries it.
_MESSAGE = "x-message"
_SECTION = {"enum": list(SECTION_NAMES), _MESSAGE: UnknownSection.message}


def document_schema() -> dict[str, Any]:
    """The JSON Schema of a whole export document, each section's entry data included."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **_record({
            "format": {"const": FORMAT,
                       _MESSAGE: f'must be "{FORMAT}": this is not a Tell Once export.'},
            "version": {"type": "integer", "const": VERSION,
                        _MESSAGE: f"must be {VERSION}: this server reads exports of version {VERSION}."},
            "exported_at": _text(MAX_TIME),
            "person": _record({"preferred_name": {"type": "string"}}, with_id=True),
            "entries": _list(_entry_schema(), MAX_ENTRIES),
            "attachments": _list(_attachment_schema(), MAX_ATTACHMENTS),
            "audit": _record({"head": _signed_head()}),
        }),
    }


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length}


def _signed_head() -> dict[str, Any]:
    """The head the person keeps (decision 0004). An export made before heads were signed has
    only ``seq`` and ``hash``, and still imports."""
    head = _record({"seq": {"type": "integer"}, "hash": _text(64)})
    nullable_text = {"type": ["string", "null"], "maxLength": MAX_SHORT}
    head["properties"] |= {"chain": _text(MAX_SHORT), "key_id": nullable_text,
                           "signature": nullable_text}
    return head


def _list(items: dict[str, Any], max_items: int) -> dict[str, Any]:
    return {"type": "array", "maxItems": max_items, "items": items}


def _record(keys: dict[str, Any], *, with_id: bool = False) -> dict[str, Any]:
    """An object with exactly ``keys``, all required; ``with_id``: the exporting server's id may come too."""
    # The keywords' order is the order of the checks: unknown keys are named before missing ones.
    return {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(keys),
        "properties": {"id": _text(MAX_SHORT), **keys} if with_id else keys,
    }


def _entry_schema() -> dict[str, Any]:
    versions = {
        **_list(_version_schema(), MAX_VERSIONS),
        # Inside allOf, these words go with this one keyword and not with the list's others.
        "allOf": [{"minItems": 1, _MESSAGE: "must have at least one version."}],
    }
    return {
        **_record({"section": _SECTION, "created_at": _text(MAX_TIME), "deleted": {"type": "boolean"},
                   "versions": versions}, with_id=True),
        "allOf": [_section_rule(section) for section in SECTIONS.values()],
    }


def _version_schema() -> dict[str, Any]:
    """Any version; the data and tiers of one that is not a deletion are its section's to check."""
    return _record({
        "version": {"type": "integer"},
        "created_at": _text(MAX_TIME),
        "author_role": {"enum": sorted(AUTHOR_ROLES)},
        "provenance": {"type": ["string", "null"], "maxLength": MAX_PROVENANCE},
        "data": {"type": "object"},
        "tiers": {"type": "object"},
        "deleted": {"type": "boolean"},
    })


def _section_rule(section: Section) -> dict[str, Any]:
    """In an entry of ``section``, each version that is not a deletion holds that section's data.

    A deletion's empty data is checked after the schema, in ``_read_version``, with its own words.
    """
    not_deleted = {"properties": {"deleted": {"const": False}}, "required": ["deleted"]}
    version = {"if": not_deleted, "then": {"properties": {"data": entry_data_schema(section),
                                                          "tiers": entry_tiers_schema(section)}}}
    return {"if": {"properties": {"section": {"const": section.name}}, "required": ["section"]},
            "then": {"properties": {"versions": {"items": version}}}}


def _attachment_schema() -> dict[str, Any]:
    return _record({
        "section": _SECTION,
        "tier": {"enum": [t.value for t in Tier], _MESSAGE: "must be E, C, S or P."},
        # The server decides the media type from the content itself; the stated one is
        # checked for its shape only.
        "media_type": _text(MAX_SHORT),
        "filename": _text(MAX_SHORT),
        "created_at": _text(MAX_TIME),
        "content_base64": {"type": "string"},
    }, with_id=True)


# The keywords that judge a value itself rather than what it holds. The top level is checked
# with these alone first, so a wrong key or type there is named before anything inside it.
_OWN_KEYWORDS = {"type", "const", "enum", "maxLength", "maxItems", _MESSAGE}


def _top_level(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each top-level value judged by its own keywords only."""
    properties = {key: {k: v for k, v in sub.items() if k in _OWN_KEYWORDS}
                  for key, sub in schema["properties"].items()}
    return {**schema, "properties": properties}


def _is_whole_number(checker: TypeChecker, instance: object) -> bool:
    # JSON's true and 1.0 are not version numbers, although Python compares them equal to 1;
    # validate_entry refuses them as whole numbers too.
    return type(instance) is int


# The stubs leave extend untyped; it returns a validator class of the same draft.
_Validator: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)
_SCHEMA = document_schema()
_CHECKS = (_Validator(_top_level(_SCHEMA)), _Validator(_SCHEMA))


# -- what the schema says, in plain words ---------------------------------------------------

_NOT_AN_EXPORT = "This is not a Tell Once export: send the JSON object that an export gave."
_TYPE_WORDS = {
    "object": "must be an object of named values.",
    "array": "must be a list.",
    "string": "must be text.",
    "boolean": "must be true or false.",
    "integer": "must be a whole number.",
    "null": "must be null.",
}


def check_document(document: object) -> dict[str, Any]:
    """The document checked by its schema: the top level first, then everything inside it.

    Each check stops at the first problem it meets, which is the one to name. The validator walks
    the document depth first, an object's keys in the schema's order and a list's items in order,
    and an object's own keys (unknown, missing) before what they hold. Stopping there also means
    a document full of mistakes costs no more than one with a single mistake.

    :raises InvalidExport, InvalidEntry: for that problem, naming its path.
    """
    # Whatever JSON decoding gave, which is what the validator takes.
    decoded = cast(Any, document)
    for check in _CHECKS:
        error = next(iter(check.iter_errors(decoded)), None)
        if error is not None:
            raise _refusal(error, decoded)
    return cast(dict[str, Any], document)


def _refusal(error: ValidationError, document: Any) -> InvalidEntry:
    """The error to raise for a schema's complaint: its path, and words that never quote the value."""
    steps = list(error.absolute_path)
    if not steps and error.validator == "type":
        return InvalidExport(_NOT_AN_EXPORT)
    key = _key_in_question(error)
    if key is not None:
        steps.append(key)
    path = _path(steps)
    in_entry = len(steps) > 4 and steps[0] == "entries" and steps[4] in ("data", "tiers")
    words = _words(error, in_entry=in_entry)
    if (label := _label(document, steps)) is not None:
        words = f'"{label}" {words}'
    # What is wrong inside an entry's data or tiers keeps the code of an invalid entry, as when
    # the entry is typed in (see InvalidExport).
    kind = InvalidEntry if in_entry else InvalidExport
    return kind(f"{path}: {words}", field=path)


def _key_in_question(error: ValidationError) -> str | None:
    """For a complaint about an object's keys, the key: the first unknown one, or the first missing."""
    instance = cast(dict[str, Any], error.instance)
    if error.validator == "additionalProperties":
        known = _schema_of(error).get("properties", {})
        return next(key for key in instance if key not in known)
    if error.validator == "required":
        required = cast(list[str], error.validator_value)
        return next(key for key in required if key not in instance)
    return None


def _label(document: Any, steps: list[str | int]) -> str | None:
    """The label of the box at ``steps`` in an entry's data, as the person sees it on the form.

    The schema has already matched the entry's section, so it is one of the catalogue's.
    """
    if len(steps) < 6 or steps[4] != "data":
        return None
    fields = SECTIONS[document["entries"][steps[1]]["section"]].fields
    field = next((f for f in fields if f.name == steps[5]), None)
    if field is not None and len(steps) > 7:
        # A box of one item of a list: reviews[2].date.
        field = next((f for f in field.item_fields if f.name == steps[7]), None)
    return field.label if field is not None else None


def _path(steps: list[str | int]) -> str:
    """The path as ``entries[0].versions[1].data.dose``, each key cut short (a key can be huge)."""
    path = ""
    for step in steps:
        if isinstance(step, int):
            path += f"[{step}]"
        else:
            path += f".{_show(step)}" if path else _show(step)
    return path


def _show(key: str) -> str:
    return key if len(key) <= 40 else key[:40] + "..."


def _schema_of(error: ValidationError) -> Mapping[str, Any]:
    """The subschema whose keyword the value failed."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _words(error: ValidationError, *, in_entry: bool) -> str:
    """What is wrong, in a few plain words: the schema's own, or those of the failed keyword."""
    schema = _schema_of(error)
    if _MESSAGE in schema:
        return str(schema[_MESSAGE])
    value: Any = error.validator_value
    match error.validator:
        case "type":
            # "Text or null" is said as "text": null only leaves an optional value out.
            kind = value[0] if isinstance(value, list) else value
            return _TYPE_WORDS.get(kind, "is the wrong kind of value.")
        case "additionalProperties" if in_entry:
            return "is not a box of this section. Check the spelling."
        case "additionalProperties":
            return "is not part of a Tell Once export. Remove it."
        case "required":
            return "is missing."
        case "maxLength":
            return f"can have at most {value:,} characters."
        case "maxItems":
            return f"can have at most {value:,} items."
        case "minProperties":
            return "must not be empty: write something in your own words, or fill in a box."
        case "enum":
            return f"must be one of: {', '.join(str(choice) for choice in value)}."
        case "minimum":
            return f"must be at least {value:,}."
        case "maximum":
            return f"must be at most {value:,}."
    return "is not what a Tell Once export holds here."
