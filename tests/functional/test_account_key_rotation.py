"""An account's key pair can be replaced (issue 10): everything sealed to the old key is sealed
again to the new one, with new slot tags, while the account is unlocked.

Afterwards nothing stored opens with the old private key, the record reads exactly as before
(P parts too), one-time codes and links still work, every session and token has ended, and only
the new recovery code works. A read-only token, or a wrong passphrase, changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from keys import hybrid
from keys.errors import DecryptionFailed
from keys.hierarchy import ACCOUNT_AUDIT_KEY, PRIVATE_KEY, RECORD_KEY
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from tests.functional.api.test_links import make_link, open_link
from vault import accounts, credentials, second_factor
from vault.models import Account, ApiToken, PrivateKeySlot, RecordKeySlot, SecondFactor

NEW_PASSPHRASE = "violet harbour tumbles slowly"


def _sign_in(client: FlaskClient, login: str, passphrase: str = PASSPHRASE) -> Any:
    return client.post("/api/v1/sessions", json={"login": login, "passphrase": passphrase})


def _private_key(runtime: Any, person: Person) -> hybrid.PrivateKey:
    with runtime.db.transaction() as session:
        account = accounts.find_account(session, runtime.config, person.login)
        return accounts.unlock_with_passphrase(runtime.config, account, PASSPHRASE).private_key


def _sealed_to_the_account(runtime: Any, account_id: str) -> list[tuple[bytes, bytes]]:
    """Every blob sealed to the account, with the binding (HPKE info) it was sealed under."""
    with runtime.db.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        found = [(account.audit_private_sealed, ACCOUNT_AUDIT_KEY.binding({"account": account_id}))]
        for slot in session.scalars(select(RecordKeySlot).where(
                RecordKeySlot.account_id == account_id)):
            found.append((slot.sealed, RECORD_KEY.binding(
                {"person": slot.person_id, "member": account_id, "epoch": slot.epoch})))
        for p_slot in session.scalars(select(PrivateKeySlot).where(
                PrivateKeySlot.account_id == account_id)):
            found.append((p_slot.sealed, PRIVATE_KEY.binding(
                {"person": p_slot.person_id, "member": account_id})))
        for factor in session.scalars(select(SecondFactor).where(
                SecondFactor.account_id == account_id)):
            found.append((factor.secret_sealed, second_factor.secret_info(account_id, factor.id)))
        for token in session.scalars(select(ApiToken).where(ApiToken.account_id == account_id)):
            found.append((token.name_sealed, credentials.token_name_info(token.id)))
        return found


def _opens_with(private: hybrid.PrivateKey, sealed: bytes, info: bytes) -> bool:
    try:
        hybrid.open_from(private, sealed, info=info)
    except DecryptionFailed:
        return False
    return True


@pytest.fixture
def amy(client: FlaskClient) -> tuple[Person, pyotp.TOTP, dict[str, Any]]:
    """Amy with an E and a P entry, one-time codes and a live link."""
    amy = make_person(client)
    add_entry(client, amy, "communication", {"text": "I use Makaton signs."})
    add_entry(client, amy, "good_life", {"date": "2026-12-01", "enjoyed": "Swimming"})
    link = make_link(client, amy)
    _sign_in(client, amy.login)
    started = client.post("/api/v1/account/totp", json={"passphrase": PASSPHRASE})
    totp = pyotp.TOTP(started.json["secret"])
    assert client.post("/api/v1/account/totp/confirm", json={"code": totp.now()}).status_code == 204
    return amy, totp, link


def _entries(client: FlaskClient, amy: Person, headers: dict[str, str]) -> list[Any]:
    listed = client.get(f"/api/v1/people/{amy.person_id}/entries", headers=headers)
    assert listed.status_code == 200, listed.json
    return sorted((e["section"], e["data"]) for e in listed.json)  # type: ignore[union-attr]


def test_a_new_key_pair_reseals_everything_and_ends_every_way_in(
        client: FlaskClient, runtime: Any, amy: tuple[Person, pyotp.TOTP, dict[str, Any]]) -> None:
    person, totp, link = amy
    before = _entries(client, person, person.auth)
    old_private = _private_key(runtime, person)
    rotated = client.post("/api/v1/account/key", json={"passphrase": PASSPHRASE})
    assert rotated.status_code == 201, rotated.json
    new_code = rotated.json["recovery_code"]

    # Every way in that wrapped the old key has ended: this session, the token.
    assert client.get("/api/v1/account/history").status_code == 401
    assert client.get(f"/api/v1/people/{person.person_id}/entries",
                      headers=person.auth).status_code == 401
    # Nothing stored opens with the old private key any more; all of it with the new one.
    sealed_before_and_after = _sealed_to_the_account(runtime, person.account_id)
    assert len(sealed_before_and_after) == 5  # Audit key, record key, P key, secret, token.
    new_private = _private_key(runtime, person)
    for sealed, info in sealed_before_and_after:
        assert not _opens_with(old_private, sealed, info)
        assert _opens_with(new_private, sealed, info)
    # The passphrase and one-time codes still sign in, and the record reads as before.
    later = datetime.now(UTC) + timedelta(minutes=1)  # A code not yet used.
    runtime.set_clock(lambda: later)
    assert _sign_in(client, person.login).json["second_factor"] == "totp"
    assert client.post("/api/v1/sessions/second-factor",
                       json={"code": totp.at(later)}).status_code == 201
    assert _entries(client, person, {}) == before
    kinds = [e["kind"] for e in client.get("/api/v1/account/history").json["events"]]
    assert "account_key_rotated" in kinds
    # A link made before is untouched: its keys live under the record key.
    assert open_link(client, link["url"]).status_code == 200
    # Only the new recovery code works.
    old = client.post("/api/v1/recovery", json={"login": person.login,
                                                "recovery_code": person.recovery_code,
                                                "new_passphrase": NEW_PASSPHRASE})
    assert old.status_code == 401
    new = client.post("/api/v1/recovery", json={"login": person.login, "recovery_code": new_code,
                                                "new_passphrase": NEW_PASSPHRASE})
    assert new.status_code == 201, new.json


def _public_key(runtime: Any, account_id: str) -> bytes:
    with runtime.db.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return bytes(account.public_key)


def test_a_read_only_token_or_a_wrong_passphrase_changes_nothing(
        client: FlaskClient, runtime: Any) -> None:
    reader = make_person(client, scopes=("read",))
    before = _public_key(runtime, reader.account_id)
    refused = client.post("/api/v1/account/key", json={"passphrase": PASSPHRASE},
                          headers=reader.auth)
    assert refused.status_code == 403
    assert refused.json["error"] == "not_allowed"
    _sign_in(client, reader.login)
    wrong = client.post("/api/v1/account/key", json={"passphrase": "not my passphrase at all"})
    assert wrong.status_code == 401
    assert _public_key(runtime, reader.account_id) == before
    assert client.get("/api/v1/account/history").status_code == 200  # Still signed in.
