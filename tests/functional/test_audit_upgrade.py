"""Upgrading an instance made before decision 0004: its histories keep verifying.

The migration that adds MACs and signed heads signs each existing head once, with the
server's keyring; without the keyring it refuses and changes nothing, so a history is never
left with an unsigned head that something later might sign for an attacker.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from keys.binding import bind
from keys.keyring import Keyring
from tests.functional.old_schema import database_at
from vault.audit import GENESIS, verify_chain
from vault.db import Database
from vault.errors import ChainBroken
from vault.migrate import current_revision, head_revision, upgrade

BEFORE_0004 = "897d924ef6b1"
CHAIN = "account:5d1e9f0a-2b3c-4d5e-8f70-8192a3b4c5d6"


def _v1_chain(db: Database, length: int) -> None:
    """A chain as the code before 0004 wrote it: SHA-256 links, a head with no signature."""
    prev = GENESIS
    with db.engine.begin() as conn:
        for seq in range(1, length + 1):
            at = datetime(2026, 11, 23, 9, seq, tzinfo=UTC)
            material = bind("audit", CHAIN, seq, at.isoformat(timespec="microseconds"),
                            "signed_in", "", b"")
            event_hash = hashlib.sha256(prev + material).digest()
            conn.execute(text(
                "INSERT INTO audit_events (chain, seq, at, kind, actor_account_id, sealed, "
                "prev_hash, hash) VALUES (:c, :s, :at, 'signed_in', NULL, NULL, :p, :h)"),
                {"c": CHAIN, "s": seq, "at": at, "p": prev, "h": event_hash})
            prev = event_hash
        conn.execute(text("INSERT INTO audit_heads (chain, seq, hash) VALUES (:c, :s, :h)"),
                     {"c": CHAIN, "s": length, "h": prev})


@pytest.fixture
def old_database(tmp_path: Path) -> Database:
    db = database_at(tmp_path, BEFORE_0004)
    _v1_chain(db, 3)
    return db


def test_the_upgrade_signs_each_existing_head_once_and_the_history_verifies(
    old_database: Database,
) -> None:
    ring = Keyring.generate()
    upgrade(old_database.engine, keyring=ring)
    assert current_revision(old_database.engine) == head_revision()
    with old_database.transaction() as session:
        assert verify_chain(session, ring, chain=CHAIN) == 3
        # Signed with this keyring only: another server's keyring does not take it.
        with pytest.raises(ChainBroken, match="did not sign"):
            verify_chain(session, Keyring.generate(), chain=CHAIN)
    old_database.dispose()
