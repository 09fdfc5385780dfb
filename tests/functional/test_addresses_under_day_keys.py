"""Addresses are counted under a key of the day (decision 0011): an attacker holding a copy of
the database and the keyring finds today's addresses at most, and none once the day's key has
gone; with Redis, none at all from the database; and Redis not answering refuses no one.

The attacker tries every address of a small range where the real one would try all 2^32: the
sums are the same, and only the range is smaller.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from consent import sharing
from keys import day_keys
from keys.keyring import Keyring
from tests.factories import PASSPHRASE, Person, make_person
from tests.functional.api.test_links import _payload, make_link
from vault import addresses
from vault.config import VaultConfig
from vault.db import Database
from vault.links import WINDOW, WINDOW_REQUESTS, window_of
from vault.models import AddressKey, LinkClient, SignInThrottle

GUESSER, VIEWER, LATER = "192.0.2.7", "192.0.2.8", "192.0.2.9"
CANDIDATES = [f"192.0.2.{n}" for n in range(256)]


def found_addresses(database: Database, keyring: Keyring) -> set[str]:
    """Every candidate address that a copy of the database and the keyring put behind a
    counter: under every key the keyring holds, and every key of a day the copy holds."""
    with database.sessions() as session:
        throttles = set(session.scalars(select(SignInThrottle.key_digest)))
        clients = session.execute(select(LinkClient.link_id, LinkClient.window_start,
                                         LinkClient.client)).all()
        days = session.execute(select(AddressKey.day, AddressKey.key_id, AddressKey.wrapped)).all()
    keys = [keyring.secret("address", kid)[1] for kid in keyring.key_ids("address")]
    for day, key_id, wrapped in days:
        _, wrap_key = keyring.address_wrap_key(key_id)
        keys.append(day_keys.unwrap(wrap_key, wrapped, day=day, key_id=key_id))
    found = set()
    for key in keys:
        for address in CANDIDATES:
            if day_keys.digest(key, "sign-in-address", address) in throttles:
                found.add(address)
            found |= {address for link_id, window, client in clients
                      if day_keys.digest(key, "link-client", link_id, window.isoformat(),
                                         address) == client}
    return found


def _sign_in(client: FlaskClient, person: Person, address: str, passphrase: str) -> int:
    return client.post("/api/v1/sessions", json={"login": person.login, "passphrase": passphrase},
                       environ_overrides={"REMOTE_ADDR": address}).status_code


def _open(client: FlaskClient, link: dict[str, Any], address: str) -> int:
    path = urlsplit(_payload(link["url"])["url"]).path
    return client.post(path, json={"recipient": "Dr A Patel"},
                       environ_overrides={"REMOTE_ADDR": address}).status_code


def _a_guess_and_an_opening(client: FlaskClient, runtime: Any, moment: datetime) -> Person:
    runtime.set_clock(lambda: moment)
    amy = make_person(client)
    assert _sign_in(client, amy, GUESSER, "not the passphrase at all") == 401
    assert _open(client, make_link(client, amy), VIEWER) == 200
    return amy


@pytest.mark.parametrize("counting", ["database"], indirect=True)
def test_a_copy_with_the_keyring_finds_todays_addresses_and_none_of_an_earlier_day(
        counting: None, client: FlaskClient, runtime: Any, database: Database,
        keyring: Keyring) -> None:
    day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    amy = _a_guess_and_an_opening(client, runtime, day)
    # What still shows without Redis (SECURITY.md says so): today's key is in the database.
    assert found_addresses(database, keyring) == {GUESSER, VIEWER}

    # Next day, the first sign-in's sweep deletes yesterday's key; the guesser's counter is
    # still there (a day without a try has not passed), but nothing finds whose it was.
    runtime.set_clock(lambda: day + timedelta(hours=12, minutes=5))
    assert _sign_in(client, amy, LATER, PASSPHRASE) == 201
    with database.sessions() as session:
        assert len(session.scalars(select(SignInThrottle.key_digest)).all()) >= 2
        kept_days = set(session.scalars(select(AddressKey.day)))
    assert kept_days == {addresses.day_of(day + timedelta(days=1))}
    assert found_addresses(database, keyring) == {LATER}


@pytest.mark.parametrize("counting", ["redis"], indirect=True)
def test_with_redis_the_database_holds_no_key_of_the_day(
        counting: str, client: FlaskClient, runtime: Any, database: Database,
        keyring: Keyring) -> None:
    now = datetime.now(UTC)
    _a_guess_and_an_opening(client, runtime, now)
    with database.sessions() as session:
        assert session.scalars(select(AddressKey.day)).all() == []
        counted = session.scalars(select(SignInThrottle.failures)).all()
    assert 1 in counted  # The guess was counted, under the key that lives in Redis.
    assert found_addresses(database, keyring) == set()
    # Redis keeps the key until an hour after its day ends, and no longer. Another test may
    # have made today's key first, with its clock up to one window away from this one's.
    name = f"{addresses.REDIS_DAY_KEY}{keyring.current['address']}:{addresses.day_of(now)}"
    left = Redis.from_url(counting).ttl(name)
    end_of_day = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert 0 < left <= (end_of_day - now + WINDOW).total_seconds() + 3600 + 2


@pytest.mark.parametrize("counting", ["redis-down"], indirect=True)
def test_redis_not_answering_refuses_no_one_and_the_database_counts(
        counting: str, client: FlaskClient, runtime: Any, database: Database) -> None:
    moment = window_of(datetime.now(UTC)) + WINDOW / 2
    amy = _a_guess_and_an_opening(client, runtime, moment)
    assert _sign_in(client, amy, LATER, PASSPHRASE) == 201
    link = make_link(client, amy)
    statuses = [_open(client, link, VIEWER) for _ in range(WINDOW_REQUESTS + 1)]
    assert statuses == [200] * WINDOW_REQUESTS + [429]  # The database kept the limit.
    assert _open(client, link, LATER) == 200  # And still only for that client.
    with database.sessions() as session:
        assert len(session.scalars(select(AddressKey.day)).all()) == 1
        assert sorted(session.scalars(select(LinkClient.requests))) == [1, 1, WINDOW_REQUESTS]


def test_every_worker_counts_under_the_one_key_that_was_kept(
        database: Database, keyring: Keyring) -> None:
    config, now = VaultConfig(keyring=keyring), datetime.now(UTC)
    with database.sessions() as undone:
        made_then_undone = addresses.day_key(undone, config, now)
        undone.rollback()
    with database.sessions() as first, database.sessions() as second:
        kept = addresses.day_key(first, config, now)
        first.commit()
        assert addresses.day_key(second, config, now) == kept
    assert kept != made_then_undone  # No one counts under a key that was rolled back.
    with database.sessions() as session:
        assert len(session.scalars(select(AddressKey.day)).all()) == 1


def test_the_daily_run_deletes_the_keys_of_earlier_days(
        database: Database, keyring: Keyring) -> None:
    config, today = VaultConfig(keyring=keyring), datetime.now(UTC)
    with database.sessions() as session:
        for days_ago in (2, 1, 0):
            addresses.day_key(session, config, today - timedelta(days=days_ago))
            session.commit()
        # Only the last insert's own sweep ran; the daily run removes any a worker remade.
        session.add(AddressKey(day=addresses.day_of(today - timedelta(days=3)),
                               key_id=keyring.current["address"], wrapped=b"\x01" * 61))
        session.flush()
        sharing.send_ending_notices(session, config, None, now=today)
        assert session.scalars(select(AddressKey.day)).all() == [addresses.day_of(today)]
