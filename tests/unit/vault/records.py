"""A record with something of everything, for the export and import tests of the vault."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vault import accounts
from vault import entries as vault_entries
from vault.attachments import store_attachment
from vault.config import VaultConfig
from vault.keychain import Keychain
from vault.models import Person
from vault.people import create_person

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)
MAX_BYTES = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Vault:
    session: Session
    config: VaultConfig

    def new_record(self, login: str, name: str) -> tuple[Keychain, Person]:
        _account, unlocked, _code = accounts.create_account(
            self.session, self.config, login=login, email=None,
            passphrase_text="correct orbit lantern quietly", now=T0)
        person = create_person(self.session, self.config, subject=unlocked, preferred_name=name,
                               now=T0)
        return Keychain(self.session, self.config, unlocked), person

    def count(self, model: Any, person: Person) -> int:
        return int(self.session.scalar(
            select(func.count()).select_from(model).where(model.person_id == person.id)) or 0)


def fill_record(session: Session, keychain: Keychain, person: Person) -> None:
    """Several sections, versions, a deletion, tier overrides, provenance, P and S, files."""
    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    med = vault_entries.create_entry(
        session, keychain, person, section="medicines",
        data={"name": "Lamotrigine", "dose": "100 mg", "reason": "Epilepsy",
              "psychotropic": False,
              "reviews": [{"date": "2026-01-10", "outcome": "Keep it."}]},
        tiers={"reason": "E"}, provenance="Amy says her GP confirmed this.", now=at(1))
    vault_entries.update_entry(
        session, keychain, person, entry_id=med.id,
        data={"name": "Lamotrigine", "dose": "150 mg", "reason": "Epilepsy"},
        tiers={"dose": "C"}, provenance=None, now=at(2))
    vault_entries.update_entry(
        session, keychain, person, entry_id=med.id,
        data={"name": "Lamotrigine", "dose": "200 mg"}, provenance="From the clinic letter.",
        now=at(3))
    gone = vault_entries.create_entry(session, keychain, person, section="allergies",
                                      data={"substance": "Penicillin", "reaction": "A rash"},
                                      now=at(4))
    vault_entries.delete_entry(session, keychain, person, entry_id=gone.id, now=at(5))
    vault_entries.create_entry(session, keychain, person, section="communication",
                               data={"text": "I use Makaton signs."}, now=at(6))
    vault_entries.create_entry(session, keychain, person, section="journal",
                               data={"text": "Private thoughts, mine alone."}, now=at(7))
    vault_entries.create_entry(session, keychain, person, section="sensitive_history",
                               data={"text": "Something hard.", "topic": "trauma"}, now=at(8))
    store_attachment(session, keychain, person, section="identity", tier="E",
                     filename="me.png", content=png(), max_bytes=MAX_BYTES, now=at(9))
    store_attachment(session, keychain, person, section="future_plans", tier="C",
                     filename="ReSPECT form.pdf", content=PDF, max_bytes=MAX_BYTES, now=at(10))
