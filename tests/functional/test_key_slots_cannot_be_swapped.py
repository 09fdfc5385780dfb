"""Key slots cannot be swapped (decision 0005).

Each test is an attacker holding a writable copy of the database and the project's own code,
but neither the keyring nor a passphrase. HPKE base mode lets them seal a key or secret they
chose to an account's true public key, in exactly the place and binding of a real slot. The
slot tag stops it: the person's next use is refused loudly (a 500 whose words say a key was
changed), and nothing is ever sealed under the planted key. Clearing the tag (to pass the
slot off as one made before tags) is refused the same way. Then the upgrade: slots made
before tags open only while their account carries the keyring's marker, and are checked and
tagged at the next sign-in.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from keys import envelope, hybrid
from keys.errors import DecryptionFailed
from keys.hierarchy import ACCOUNT_AUDIT_KEY, CONTENT_KEY, PRIVATE_KEY, RECORD_KEY
from keys.slots import untagged_marker_message
from tests.conftest import BASE_URL
from tests.factories import PASSPHRASE, Person, add_entry, make_person
from tests.functional.old_formats import take_back_to_before_0012
from tests.functional.web.test_pages import sign_up
from tests.functional.web.test_passkeys import add_passkey
from tests.webauthn_device import SoftPasskey
from vault import passkeys, payloads, second_factor
from vault.credentials import token_name_info
from vault.models import (
    Account,
    ApiToken,
    ContentKey,
    EntryPart,
    Passkey,
    PrivateKeySlot,
    RecordKeySlot,
    SecondFactor,
)

REFUSED = "key_slot_changed"


def _sql(runtime: Any, *statements: Any) -> None:
    with runtime.db.transaction() as session:
        for statement in statements:
            session.execute(statement)


def _public_key(runtime: Any, account_id: str) -> hybrid.PublicKey:
    """The account's true public key, stored openly: anyone can seal to it."""
    with runtime.db.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return hybrid.PublicKey(account.public_key)


def _sign_in(client: FlaskClient, login: str) -> Any:
    return client.post("/api/v1/sessions", json={"login": login, "passphrase": PASSPHRASE})


def _refused(answer: Any) -> None:
    assert answer.status_code == 500, answer.json
    assert answer.json["error"] == REFUSED
    assert "changed outside Tell Once" in answer.json["message"]


@pytest.fixture(params=["kept tag", "cleared tag"])
def tag_after(request: pytest.FixtureRequest) -> str:
    """The attacker leaves the slot's tag as it was, or clears it as if the slot were old."""
    return str(request.param)


def _tag_values(tag_after: str, column: str) -> dict[str, Any]:
    return {column: None} if tag_after == "cleared tag" else {}


def test_a_planted_record_key_is_refused_and_nothing_is_sealed_under_it(
        client: FlaskClient, runtime: Any, tag_after: str) -> None:
    amy = make_person(client)
    add_entry(client, amy, "communication", {"text": "I use Makaton signs."})
    planted = envelope.new_key()
    sealed = RECORD_KEY.seal(_public_key(runtime, amy.account_id), planted,
                             person=amy.person_id, member=amy.account_id, epoch=1)
    _sql(runtime, update(RecordKeySlot).where(RecordKeySlot.person_id == amy.person_id)
         .values(sealed=sealed, **_tag_values(tag_after, "tag")))
    base = f"/api/v1/people/{amy.person_id}"
    _refused(client.get(f"{base}/entries", headers=amy.auth))
    _refused(client.post(f"{base}/entries", headers=amy.auth,
                         json={"section": "communication", "data": {"text": "Speak slowly."}}))
    with runtime.db.transaction() as session:
        for row in session.scalars(select(ContentKey).where(ContentKey.person_id == amy.person_id)):
            with pytest.raises(DecryptionFailed):
                CONTENT_KEY.unwrap(planted, row.wrapped, person=row.person_id, scope=row.scope,
                                   tier=row.tier, epoch=row.epoch)


def test_a_planted_private_key_is_refused_and_no_p_part_is_written_under_it(
        client: FlaskClient, runtime: Any, tag_after: str) -> None:
    amy = make_person(client)
    planted = envelope.new_key()
    sealed = PRIVATE_KEY.seal(_public_key(runtime, amy.account_id), planted,
                              person=amy.person_id, member=amy.account_id)
    _sql(runtime, update(PrivateKeySlot).where(PrivateKeySlot.person_id == amy.person_id)
         .values(sealed=sealed, **_tag_values(tag_after, "tag")))
    _refused(client.post(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth, json={
        "section": "good_life", "data": {"date": "2026-12-01", "enjoyed": "A walk by the river"}}))
    with runtime.db.transaction() as session:
        written = session.scalars(select(EntryPart).where(EntryPart.person_id == amy.person_id,
                                                          EntryPart.tier == "P")).all()
    assert written == []


def test_a_planted_account_audit_key_is_refused(client: FlaskClient, runtime: Any,
                                                tag_after: str) -> None:
    amy = make_person(client)
    sealed = ACCOUNT_AUDIT_KEY.seal(_public_key(runtime, amy.account_id),
                                    hybrid.PrivateKey.generate().raw, account=amy.account_id)
    _sql(runtime, update(Account).where(Account.id == amy.account_id)
         .values(audit_private_sealed=sealed, **_tag_values(tag_after, "audit_private_tag")))
    assert _sign_in(client, amy.login).status_code == 201
    _refused(client.get("/api/v1/account/history"))


def test_a_planted_one_time_code_secret_never_signs_anyone_in(client: FlaskClient, runtime: Any,
                                                              tag_after: str) -> None:
    amy = make_person(client)
    _sign_in(client, amy.login)
    started = client.post("/api/v1/account/totp", json={"passphrase": PASSPHRASE})
    code = pyotp.TOTP(started.json["secret"]).now()
    assert client.post("/api/v1/account/totp/confirm", json={"code": code}).status_code == 204
    client.delete("/api/v1/sessions")
    known = pyotp.random_base32()  # The attacker's own secret, for codes they can make.
    with runtime.db.transaction() as session:
        factor = session.scalars(select(SecondFactor)).one()
        factor.secret_sealed = hybrid.seal_to(
            _public_key(runtime, amy.account_id), payloads.encode(known),
            info=second_factor.secret_info(amy.account_id, factor.id))
        if tag_after == "cleared tag":
            factor.secret_tag = None
    assert _sign_in(client, amy.login).json["second_factor"] == "totp"
    _refused(client.post("/api/v1/sessions/second-factor",
                         json={"code": pyotp.TOTP(known).now()}))
    assert client.get("/api/v1/account/history").status_code == 401  # Not signed in.


def test_a_planted_token_name_is_refused(client: FlaskClient, runtime: Any,
                                         tag_after: str) -> None:
    amy = make_person(client)
    with runtime.db.transaction() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.account_id == amy.account_id)
                                ).one()
        token.name_sealed = hybrid.seal_to(
            _public_key(runtime, amy.account_id), payloads.encode("Your GP"),
            info=token_name_info(token.id))
        if tag_after == "cleared tag":
            token.name_tag = None
    _sign_in(client, amy.login)
    _refused(client.get("/api/v1/tokens"))


def test_a_planted_passkey_name_is_refused(client: FlaskClient, runtime: Any,
                                           tag_after: str) -> None:
    sign_up(client)
    assert add_passkey(client, SoftPasskey(origin=BASE_URL)).status_code == 303
    with runtime.db.transaction() as session:
        passkey = session.scalars(select(Passkey)).one()
        passkey.name_sealed = hybrid.seal_to(
            _public_key(runtime, passkey.account_id), payloads.encode("Your GP's phone"),
            info=passkeys.name_info(passkey.account_id, passkey.id))
        if tag_after == "cleared tag":
            passkey.name_tag = None
    page = client.get("/account/passkeys")
    assert page.status_code == 500
    assert "changed outside Tell Once" in page.get_data(as_text=True)
    assert "Your GP" not in page.get_data(as_text=True)


def _made_before_tags(runtime: Any, person: Person) -> None:
    """Turn an account into one made before slot tags: no tags, and the migration's marker;
    its record as it was then too (plain sections, scopes, authors and tiers)."""
    take_back_to_before_0012(runtime, person)
    _sql(runtime,
         update(RecordKeySlot).where(RecordKeySlot.account_id == person.account_id)
         .values(tag=None),
         update(PrivateKeySlot).where(PrivateKeySlot.account_id == person.account_id)
         .values(tag=None),
         update(ApiToken).where(ApiToken.account_id == person.account_id).values(name_tag=None))
    key_id, signature = runtime.config.keyring.sign(untagged_marker_message(person.account_id))
    _sql(runtime, update(Account).where(Account.id == person.account_id).values(
        audit_private_tag=None, untagged_slots_key_id=key_id,
        untagged_slots_signature=signature))


def _account(runtime: Any, account_id: str) -> Account:
    with runtime.db.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        session.expunge(account)
        return account


def test_slots_made_before_tags_open_with_the_marker_and_are_tagged_at_sign_in(
        client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    entry = add_entry(client, amy, "good_life", {"date": "2026-12-01", "enjoyed": "Swimming"})
    _made_before_tags(runtime, amy)
    read = f"/api/v1/people/{amy.person_id}/entries/{entry['id']}"
    assert client.get(read, headers=amy.auth).status_code == 200  # Old slots still open.
    assert _sign_in(client, amy.login).status_code == 201
    account = _account(runtime, amy.account_id)
    assert account.untagged_slots_signature is None
    assert account.audit_private_tag is not None
    with runtime.db.transaction() as session:
        assert None not in session.scalars(select(RecordKeySlot.tag).where(
            RecordKeySlot.account_id == amy.account_id)).all()
        assert None not in session.scalars(select(PrivateKeySlot.tag).where(
            PrivateKeySlot.account_id == amy.account_id)).all()
        assert None not in session.scalars(select(ApiToken.name_tag).where(
            ApiToken.account_id == amy.account_id)).all()
    assert client.get(read, headers=amy.auth).json["data"]["enjoyed"] == "Swimming"
    # With the marker gone, clearing a tag again is a refusal, not an old slot.
    _sql(runtime, update(PrivateKeySlot).where(PrivateKeySlot.account_id == amy.account_id)
         .values(tag=None))
    _refused(client.get(read, headers=amy.auth))


def test_a_record_key_planted_before_the_upgrade_is_not_tagged_by_it(
        client: FlaskClient, runtime: Any) -> None:
    """The upgrade checks a record key against the audit key the keyring vouches for."""
    amy = make_person(client)
    add_entry(client, amy, "communication", {"text": "I use Makaton signs."})
    _made_before_tags(runtime, amy)
    sealed = RECORD_KEY.seal(_public_key(runtime, amy.account_id), envelope.new_key(),
                             person=amy.person_id, member=amy.account_id, epoch=1)
    _sql(runtime, update(RecordKeySlot).where(RecordKeySlot.person_id == amy.person_id)
         .values(sealed=sealed))
    assert _sign_in(client, amy.login).status_code == 201
    with runtime.db.transaction() as session:
        assert session.scalars(select(RecordKeySlot.tag).where(
            RecordKeySlot.person_id == amy.person_id)).one() is None
    _refused(client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth))


def test_a_p_key_planted_before_the_upgrade_is_not_tagged_when_a_p_part_exists(
        client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    add_entry(client, amy, "good_life", {"date": "2026-12-01", "enjoyed": "Swimming"})
    _made_before_tags(runtime, amy)
    sealed = PRIVATE_KEY.seal(_public_key(runtime, amy.account_id), envelope.new_key(),
                              person=amy.person_id, member=amy.account_id)
    _sql(runtime, update(PrivateKeySlot).where(PrivateKeySlot.person_id == amy.person_id)
         .values(sealed=sealed))
    assert _sign_in(client, amy.login).status_code == 201
    with runtime.db.transaction() as session:
        assert session.scalars(select(PrivateKeySlot.tag).where(
            PrivateKeySlot.person_id == amy.person_id)).one() is None
    _refused(client.post(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth, json={
        "section": "good_life", "data": {"date": "2026-12-02", "enjoyed": "Cinema"}}))


@pytest.mark.parametrize("marker", ["forged", "another account's"])
def test_a_marker_the_keyring_did_not_sign_for_this_account_opens_nothing(
        client: FlaskClient, runtime: Any, marker: str) -> None:
    amy, bob = make_person(client), make_person(client, name="Bob")
    add_entry(client, amy, "communication", {"text": "I use Makaton signs."})
    _made_before_tags(runtime, amy)
    key_id, signature = runtime.config.keyring.sign(untagged_marker_message(bob.account_id))
    if marker == "forged":
        signature = bytes(64)
    _sql(runtime, update(Account).where(Account.id == amy.account_id)
         .values(untagged_slots_key_id=key_id, untagged_slots_signature=signature))
    _refused(client.get(f"/api/v1/people/{amy.person_id}/entries", headers=amy.auth))
    assert _sign_in(client, amy.login).status_code == 201  # Signing in tags nothing then.
    with runtime.db.transaction() as session:
        assert session.scalars(select(RecordKeySlot.tag).where(
            RecordKeySlot.person_id == amy.person_id)).one() is None


def test_the_upgrade_changes_no_key_so_parts_from_before_and_after_open(
        client: FlaskClient, runtime: Any) -> None:
    amy = make_person(client)
    before = add_entry(client, amy, "good_life", {"date": "2026-12-01", "enjoyed": "Swimming"})
    _made_before_tags(runtime, amy)
    _sign_in(client, amy.login)
    after = add_entry(client, amy, "good_life", {"date": "2026-12-02", "enjoyed": "Cinema"})
    for made, enjoyed in ((before, "Swimming"), (after, "Cinema")):
        read = client.get(f"/api/v1/people/{amy.person_id}/entries/{made['id']}",
                          headers=amy.auth)
        assert read.json["data"]["enjoyed"] == enjoyed
