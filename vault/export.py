"""A person's whole record as one JSON document; ``vault.imports`` reads such a document back.

The export is for the person themselves: everything decrypted, P items included, every entry
with every version (deleted ones too) and every attachment with its bytes.

Round trip: exporting, importing into an empty record and exporting again gives the same
document once what an import must change is set aside (see ``comparable``):

- the ids (``ID_KEYS``): the new server makes its own;
- ``exported_at`` and the audit head: each record keeps its own history;
- each version's ``author_role``: an import writes as "imported" (RECORD.md, Rules).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import entries as vault_entries
from vault.attachments import list_attachments, read_attachment
from vault.audit import chain_head, person_chain
from vault.keychain import Keychain
from vault.models import Entry, Person
from vault.people import display_name
from vault.record_metadata import section_of

# What the document says it is; an import refuses any other format or version.
FORMAT = "tellonce-export"
VERSION = 1
# The keys that hold this server's ids; an import makes new ones, so comparisons drop them.
ID_KEYS = ("person.id", "entries[].id", "attachments[].id")


def export_person(
    session: Session, keychain: Keychain, person: Person, *, now: datetime
) -> dict[str, Any]:
    """The whole record, decrypted, as plain JSON values. For the subject only."""
    keychain.preload_content_keys(person)
    entries = session.scalars(
        select(Entry).where(Entry.person_id == person.id).order_by(Entry.created_at, Entry.id)
    ).all()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "person": {"id": person.id, "preferred_name": display_name(keychain, person)},
        "entries": [_export_entry(session, keychain, person, entry) for entry in entries],
        "attachments": _export_attachments(session, keychain, person),
        "audit": {"head": chain_head(session, chain=person_chain(person.id))},
    }


def _export_entry(
    session: Session, keychain: Keychain, person: Person, entry: Entry
) -> dict[str, Any]:
    versions = vault_entries.list_versions(session, keychain, person, entry.id)
    return {
        "id": entry.id,
        "section": section_of(keychain, person, entry),
        "created_at": entry.created_at.isoformat(),
        "deleted": entry.deleted_at is not None,
        "versions": [
            {"version": v.version, "created_at": v.created_at.isoformat(),
             "author_role": v.author_role, "provenance": v.provenance, "data": v.data,
             "tiers": v.tiers, "deleted": v.deleted}
            for v in reversed(versions)
        ],
    }


def _export_attachments(
    session: Session, keychain: Keychain, person: Person
) -> list[dict[str, Any]]:
    out = []
    for listed in list_attachments(session, keychain, person):
        view, content = read_attachment(session, keychain, person, listed.id)
        out.append({
            "id": view.id, "section": view.section, "tier": view.tier,
            "media_type": view.media_type, "filename": view.filename,
            "created_at": view.created_at.isoformat(),
            "content_base64": base64.b64encode(content).decode("ascii"),
        })
    return out


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """An export without what an import changes (module docstring), in a canonical order."""
    def canonical(item: dict[str, Any]) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False)

    entries = [
        {**{k: v for k, v in e.items() if k != "id"},
         "versions": [{k: v for k, v in ver.items() if k != "author_role"}
                      for ver in e["versions"]]}
        for e in document["entries"]
    ]
    attachments = [{k: v for k, v in a.items() if k != "id"} for a in document["attachments"]]
    return {
        "format": document["format"],
        "version": document["version"],
        "person": {k: v for k, v in document["person"].items() if k != "id"},
        "entries": sorted(entries, key=canonical),
        "attachments": sorted(attachments, key=canonical),
    }
