"""Fixtures of the vault's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from tests.unit.vault.records import Vault
from vault.config import VaultConfig
from vault.db import Database


@pytest.fixture
def vault(app: Flask, database: Database, keyring: Keyring) -> Iterator[Vault]:
    # ``app`` empties every table afterwards, so these rows never reach another test.
    session = database.sessions()
    try:
        yield Vault(session, VaultConfig(keyring=keyring, kdf_params=TEST_PARAMS))
        session.commit()
    finally:
        session.close()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session whose work is rolled back at the end, so the test leaves no row behind."""
    s = database.sessions()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
