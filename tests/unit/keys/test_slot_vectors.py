"""Known answers for slot tags (docs/decisions/0005), checked by the project's code and by the
reference decoder, which rebuilds every tag from the decision alone.

Each vector's HPKE ``info`` is also the one the vault seals that kind of slot with, so the
decision's table, the vectors and the code cannot drift apart. A failure here means a slot
stored today would be refused tomorrow: fix the code, never the vector.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from keys import hybrid, slots
from keys.binding import bind
from keys.errors import SlotForged
from keys.hierarchy import ACCOUNT_AUDIT_KEY, PRIVATE_KEY, RECORD_KEY
from keys.keyring import Keyring
from tests.unit.keys.reference import ref
from vault import credentials, passkeys, second_factor

HERE = Path(__file__).parent

h = bytes.fromhex
VECTORS: dict[str, Any] = json.loads((HERE / "vectors" / "slot_tags.json").read_text())
ACCOUNT = VECTORS["account"]
PRIVATE = hybrid.PrivateKey.from_bytes(h(VECTORS["account_private_key"]))
SLOTS = {slot["kind"]: slot for slot in VECTORS["slots"]}
PERSON = "0b5e4a52-7c1f-4c55-9a1e-3c1d8f0e2a11"


def test_every_self_sealed_kind_has_a_vector_bound_as_the_vault_binds_it() -> None:
    """The info of each vector is exactly what the vault's code seals that slot with."""
    made_by_the_vault = {
        "record-key": RECORD_KEY.binding({"person": PERSON, "member": ACCOUNT, "epoch": 1}),
        "private-key": PRIVATE_KEY.binding({"person": PERSON, "member": ACCOUNT}),
        "account-audit-key": ACCOUNT_AUDIT_KEY.binding({"account": ACCOUNT}),
        "totp-secret": second_factor.secret_info(ACCOUNT, "f-1a2b"),
        "passkey-name": passkeys.name_info(ACCOUNT, "pk-3c4d"),
        "token-name": credentials.token_name_info("tok-5e6f"),
    }
    assert {kind: slot["info"] for kind, slot in SLOTS.items()} == {
        kind: info.hex() for kind, info in made_by_the_vault.items()}


def test_the_slot_mac_key_is_the_decisions() -> None:
    assert slots.slot_mac_key(PRIVATE, ACCOUNT).hex() == VECTORS["slot_mac_key"]
    assert ref.slot_mac_key(PRIVATE.raw, ACCOUNT).hex() == VECTORS["slot_mac_key"]


@pytest.mark.parametrize("kind", sorted(SLOTS))
def test_each_tag_is_reproduced_and_the_slot_opens(kind: str) -> None:
    slot = SLOTS[kind]
    info, sealed, tag = h(slot["info"]), h(slot["sealed"]), h(slot["tag"])
    mac_key = h(VECTORS["slot_mac_key"])
    assert bind("slot-tag", info, hashlib.sha256(sealed).digest()).hex() == \
        slot["tag_message"]
    assert slots.slot_tag(mac_key, info=info, sealed=sealed) == tag
    assert ref.slot_tag(mac_key, info, sealed) == tag
    assert slots.open_own(PRIVATE, ACCOUNT, sealed, tag, info=info, kind=kind) == h(
        slot["plaintext"])
    assert ref.open_sealed(PRIVATE.raw, sealed, info) == h(slot["plaintext"])


def _flip(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:]


@pytest.mark.parametrize("kind", sorted(SLOTS))
def test_a_changed_moved_missing_or_foreign_tag_is_refused(kind: str) -> None:
    slot = SLOTS[kind]
    info, sealed, tag = h(slot["info"]), h(slot["sealed"]), h(slot["tag"])
    other = SLOTS["token-name" if kind != "token-name" else "record-key"]
    planted = hybrid.seal_to(PRIVATE.public_key(), h(slot["plaintext"]), info=info)
    refusals = {
        "a bit of the tag": (sealed, _flip(tag, 5), info, ACCOUNT),
        "a bit of the sealed slot": (_flip(sealed, len(sealed) - 3), tag, info, ACCOUNT),
        "the tag of another slot": (sealed, h(other["tag"]), info, ACCOUNT),
        "a slot sealed by anyone to the public key": (planted, tag, info, ACCOUNT),
        "no tag": (sealed, None, info, ACCOUNT),
        "another account's key": (sealed, tag, info, "another-account"),
    }
    for why, (blob, given, bound, account) in refusals.items():
        with pytest.raises(SlotForged):
            slots.open_own(PRIVATE, account, blob, given, info=bound, kind=kind)
        assert why


def test_an_untagged_slot_opens_only_when_the_caller_allows_it() -> None:
    slot = SLOTS["record-key"]
    info, sealed = h(slot["info"]), h(slot["sealed"])
    assert slots.open_own(PRIVATE, ACCOUNT, sealed, None, info=info, kind="record-key",
                          untagged_allowed=True) == h(slot["plaintext"])
    # A wrong tag is never excused by the allowance for a missing one.
    with pytest.raises(SlotForged):
        slots.open_own(PRIVATE, ACCOUNT, sealed, _flip(h(slot["tag"]), 0), info=info,
                       kind="record-key", untagged_allowed=True)


def test_the_marker_for_old_untagged_slots_verifies_under_the_signing_key() -> None:
    marker = VECTORS["marker"]
    assert slots.untagged_marker_message(ACCOUNT).hex() == marker["message"]
    ring = Keyring(keys={"signing": {marker["key_id"]: h(marker["signing_secret"])}},
                   current={"signing": marker["key_id"]})
    ring.verify_signature(h(marker["message"]), h(marker["signature"]), marker["key_id"])
    ref.verify_untagged_marker(ACCOUNT, h(marker["signature"]), h(marker["signing_secret"]))
    assert ring.sign(h(marker["message"]))[1].hex() == marker["signature"]  # Ed25519 is deterministic.
