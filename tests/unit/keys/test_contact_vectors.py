"""Known answers for logins and notice addresses (docs/decisions/0006), checked by the vault's
own code and by the reference decoder, which rebuilds each from the decision alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keys import envelope
from keys.errors import DecryptionFailed
from keys.keyring import Keyring
from tests.unit.keys.reference import ref
from vault import contacts, payloads
from vault.config import VaultConfig
from vault.models import Account

HERE = Path(__file__).parent

h = bytes.fromhex
V: dict[str, Any] = json.loads((HERE / "vectors" / "contacts.json").read_text())
VALUES = {value["label"]: value for value in V["values"]}


def _ring() -> Keyring:
    counter = V["account_counter"]
    return Keyring(keys={"contact": {V["key_id"]: h(V["secret"])},
                         "login": {"login-1": h(counter["login_key"])}},
                   current={"contact": V["key_id"], "login": "login-1"})


def _account() -> Account:
    login, email = VALUES[contacts.LOGIN], VALUES[contacts.EMAIL]
    return Account(id=V["account"], contact_key_id=V["key_id"], login_sealed=h(login["sealed"]),
                   email_sealed=h(email["sealed"]))


def test_the_sub_keys_are_the_decisions() -> None:
    _, digest_key, seal_key = _ring().contact_keys()
    assert (digest_key.hex(), seal_key.hex()) == (V["digest_key"], V["seal_key"])
    assert ref.contact_sub_key(h(V["secret"]), "contact-digest").hex() == V["digest_key"]


@pytest.mark.parametrize("label", sorted(VALUES))
def test_each_digest_and_seal_is_reproduced(label: str) -> None:
    value = VALUES[label]
    config = VaultConfig(keyring=_ring())
    assert contacts.digests(config, label, value["normalised"]) == [h(value["digest"])]
    assert ref.contact_digest(h(V["secret"]), label, value["typed"]).hex() == value["digest"]
    assert payloads.encode(value["normalised"]) == h(value["payload"])
    assert envelope.seal_with_nonce(h(V["seal_key"]), h(value["payload"]), aad=h(value["aad"]),
                                    nonce=h(value["nonce"])) == h(value["sealed"])
    assert ref.open_contact(h(V["secret"]), h(value["sealed"]), label=label,
                            account=V["account"], key_id=V["key_id"]) == value["normalised"]


def test_the_vault_opens_the_login_and_address_and_refuses_them_moved() -> None:
    config = VaultConfig(keyring=_ring())
    account = _account()
    assert contacts.login_of(config, account) == VALUES[contacts.LOGIN]["normalised"]
    assert contacts.email_of(config, account) == VALUES[contacts.EMAIL]["normalised"]
    moved = _account()
    moved.id = "another-account"
    with pytest.raises(DecryptionFailed):
        contacts.login_of(config, moved)
    swapped = _account()
    swapped.login_sealed = swapped.email_sealed  # An address passed off as the login.
    with pytest.raises(DecryptionFailed):
        contacts.login_of(config, swapped)


def test_a_known_accounts_sign_in_counter_is_keyed_by_its_id() -> None:
    assert _ring().account_login_digest(V["account"]).hex() == V["account_counter"]["digest"]


def test_after_a_rotation_both_keys_are_looked_up_current_first() -> None:
    ring = _ring()
    new = ring.rotate("contact")
    digests = contacts.digests(VaultConfig(keyring=ring), contacts.LOGIN, "rosie.smith")
    assert len(digests) == 2
    assert digests[0] == contacts._digest(ring.contact_keys(new)[1], contacts.LOGIN,
                                          "rosie.smith")
    assert digests[1].hex() == VALUES[contacts.LOGIN]["digest"]
