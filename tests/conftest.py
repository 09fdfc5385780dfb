"""Fixtures: a migrated database per test worker, an app, a client, and a savepoint per test.

Tests run on SQLite by default and on PostgreSQL when TELLONCE_TEST_DATABASE_URL is set;
each xdist worker gets a database of its own, so workers never see each other's rows.

Each test runs inside one transaction that is rolled back at its end, as warehouse's fixture
does: the app's sessions join it with a savepoint each, so a request's commit (and
``keep_even_if_refused``) releases a savepoint and nothing reaches the database for good.
A test marked ``commits`` (it reads the database's files, or another process or connection
must see its rows) gets real commits instead, and its tables are emptied afterwards.
"""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import sessionmaker

from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from vault.db import READING, Base, Database
from vault.migrate import upgrade
from web.app import create_app
from web.settings import Settings

BASE_URL = "https://tellonce.test"


def _admin_engine(base_url: str) -> Any:
    return create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1),
                         isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def _postgres_database(worker_id: str) -> Iterator[str | None]:
    """A database of this worker's own, named uniquely so parallel runs never collide."""
    base = os.environ.get("TELLONCE_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"tellonce_test_{worker_id}_{secrets.token_hex(4)}"
    admin = _admin_engine(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
    yield f"{url}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    path.chmod(0o700)
    return path


@pytest.fixture(scope="session")
def database_url(instance_path: Path, _postgres_database: str | None) -> str:
    if _postgres_database:
        return _postgres_database
    return f"sqlite:///{instance_path / 'tellonce.db'}"


@pytest.fixture(scope="session")
def _migrated_database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, os.environ.get("TELLONCE_SQLITE_BINDING", "bundled"))
    upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def database(request: pytest.FixtureRequest, _migrated_database: Database) -> Iterator[Database]:
    """The worker's database, as this test sees it: in a transaction of its own."""
    if request.node.get_closest_marker("commits"):
        yield _migrated_database
        _empty_tables(_migrated_database)
        return
    connection = _migrated_database.engine.connect()
    outer = connection.begin()
    isolated = copy.copy(_migrated_database)
    isolated.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                     expire_on_commit=False)
    isolated.read_sessions = _read_only_savepoints(connection)
    try:
        yield isolated
    finally:
        outer.rollback()
        connection.close()


def _read_only_savepoints(connection: Any) -> sessionmaker[Any]:
    """Read-only units of work inside the test's transaction. On SQLite they are held to it
    as the server holds them (``PRAGMA query_only``), so a front door that says it only reads
    and then writes fails here too; PostgreSQL cannot make a savepoint read-only."""
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False, info={READING: {}})
    if connection.dialect.name != "sqlite":
        return factory

    @event.listens_for(factory, "after_begin")
    def _only_reading(session: Any, _transaction: Any, conn: Any) -> None:
        if READING in session.info:  # Not once vault.db.begin_writing has turned it.
            conn.exec_driver_sql("PRAGMA query_only=1")

    @event.listens_for(factory, "after_transaction_end")
    def _writing_again(_session: Any, transaction: Any) -> None:
        if transaction.parent is None:
            connection.exec_driver_sql("PRAGMA query_only=0")

    return factory


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return Keyring.generate()


DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis a test may use. CI names one in TELLONCE_TEST_REDIS_URL, which must then
    answer; without it, the usual local one is tried, and a test needing it skips if it is
    not there."""
    named = os.environ.get("TELLONCE_TEST_REDIS_URL")
    url = named or DEFAULT_TEST_REDIS
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        if named:
            raise
        pytest.skip(f"no Redis answers at {url}; CI sets TELLONCE_TEST_REDIS_URL")
    return url


@pytest.fixture(params=["database", "redis"])
def counting(request: pytest.FixtureRequest) -> str | None:
    """Where keys of the day and polling counts live (decision 0011): a test taking this runs
    once with the database alone and once with Redis; the app's settings follow it."""
    if request.param == "database":
        return None
    if request.param == "redis-down":  # Configured, and not answering: nothing listens there.
        return "redis://127.0.0.1:1/0"
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
def settings(request: pytest.FixtureRequest, instance_path: Path, database_url: str) -> Settings:
    redis_url = request.getfixturevalue("counting") if "counting" in request.fixturenames else None
    return Settings(env="test", instance_path=instance_path, database_url=database_url,
                    base_url=BASE_URL, redis_url=redis_url)


@pytest.fixture
def app(settings: Settings, keyring: Keyring, database: Database) -> Flask:
    return create_app({"SETTINGS": settings, "KEYRING": keyring, "DATABASE": database,
                       "KDF_PARAMS": TEST_PARAMS})


def _empty_tables(database: Database) -> None:
    """Leave no row behind a test that committed, so the next starts from an empty database."""
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@pytest.fixture
def runtime(app: Flask) -> Any:
    return app.extensions["tellonce"]


def browser_client(app: Flask) -> FlaskClient:
    """A client that calls as a browser at the test host over https would."""
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "tellonce.test"
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return browser_client(app)


@pytest.fixture
def other_client(app: Flask) -> FlaskClient:
    """A second browser: another device of the same person, or someone else."""
    return browser_client(app)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 23, 14, 2, tzinfo=UTC)
