"""Known answers for every v1 format (docs/decisions/0001), checked through the keys API.

Encryption vectors must be re-produced byte for byte; HPKE vectors are decryption vectors and
must open. Flipping one bit of any blob, or changing one bound id, must raise DecryptionFailed.
A failure here means stored data would no longer open: fix the code, never the vector.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from keys import day_keys, envelope, hierarchy, hybrid, passphrase, record_metadata, tokens
from keys.binding import bind
from keys.errors import DecryptionFailed
from keys.keyring import Keyring
from tests.unit.keys.reference import ref

VECTORS = Path(__file__).parent / "vectors"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


h = bytes.fromhex
BIND = load("bind.json")["vectors"]
ENVELOPE = load("envelope_v1.json")["vectors"]
HYBRID = load("hybrid_v1.json")
HIERARCHY = load("hierarchy_v1.json")
PASSPHRASE = load("passphrase_v1.json")["vectors"]
TOKENS = load("tokens_v1.json")
MINIMUM_JSON = passphrase.MINIMUM_PARAMS.to_json()


def flipped(blob: bytes) -> Iterator[bytes]:
    """The blob with one bit flipped: in the version byte, nonce or enc, body and tag."""
    for i in sorted({0, 1, 12, 13, len(blob) // 2, len(blob) - 17, len(blob) - 1}):
        yield blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1 :]


def other(value: str | int) -> str | int:
    return value + 1 if isinstance(value, int) else value + "x"


def each_id_changed(ids: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for name, value in ids.items():
        yield {**ids, name: other(value)}


def positional(ids: list[Any]) -> dict[str, Any]:
    """Name a vector's ids by position, so they can be changed one at a time."""
    return {f"id{n}": value for n, value in enumerate(ids)}


def assert_refuses(open_: Callable[..., bytes], blob: bytes, ids: dict[str, Any]) -> None:
    for bad in flipped(blob):
        with pytest.raises(DecryptionFailed):
            open_(bad, **ids)
    for moved in each_id_changed(ids):
        with pytest.raises(DecryptionFailed):
            open_(blob, **moved)


def test_vector_files_cover_every_kind_and_case() -> None:
    kinds = {n for n, v in vars(hierarchy).items() if isinstance(v, hierarchy.Wrapped | hierarchy.Sealed)}
    assert {v["name"] for v in HIERARCHY["kinds"]} == kinds
    assert len(kinds) == 12
    plaintexts = [h(v["plaintext"]) for v in ENVELOPE]
    assert b"" in plaintexts
    assert any(not p.isascii() for p in plaintexts)
    assert any(not v["passphrase"].isascii() for v in PASSPHRASE)
    params = [passphrase.KdfParams.from_json(v["params"]) for v in PASSPHRASE]
    assert passphrase.MINIMUM_PARAMS in params
    assert {v["kind"] for v in TOKENS["bearer"]} == {"session", "api-token", "link"}


@pytest.mark.parametrize("v", BIND, ids=lambda v: v["label"])
def test_bind(v: dict[str, Any]) -> None:
    assert bind(v["label"], *v["ids"]) == h(v["aad"])


@pytest.mark.parametrize("v", ENVELOPE, ids=lambda v: f"{len(v['plaintext']) // 2}-bytes")
def test_envelope_v1(v: dict[str, Any]) -> None:
    key, blob = h(v["key"]), h(v["blob"])
    aad = bind(v["label"], *v["ids"])
    assert aad == h(v["aad"])
    assert envelope.seal_with_nonce(key, h(v["plaintext"]), aad=aad, nonce=h(v["nonce"])) == blob
    assert envelope.open_sealed(key, blob, aad=aad) == h(v["plaintext"])

    def open_(b: bytes, **ids: Any) -> bytes:
        return envelope.open_sealed(key, b, aad=bind(v["label"], *ids.values()))

    assert_refuses(open_, blob, positional(v["ids"]))


def test_hybrid_v1_key_pair() -> None:
    private = hybrid.PrivateKey.from_bytes(h(HYBRID["private_key"]))
    assert private.public_key().raw == h(HYBRID["public_key"])


@pytest.mark.parametrize("v", HYBRID["sealed"], ids=lambda v: f"{len(v['plaintext']) // 2}-bytes")
def test_hybrid_v1_sealed_opens(v: dict[str, Any]) -> None:
    private = hybrid.PrivateKey.from_bytes(h(HYBRID["private_key"]))
    blob, info = h(v["blob"]), bind(v["label"], *v["ids"])
    assert info == h(v["info"])
    assert hybrid.open_from(private, blob, info=info) == h(v["plaintext"])

    def open_(b: bytes, **ids: Any) -> bytes:
        return hybrid.open_from(private, b, info=bind(v["label"], *ids.values()))

    assert_refuses(open_, blob, positional(v["ids"]))


@pytest.mark.parametrize("v", HIERARCHY["kinds"], ids=lambda v: v["name"])
def test_hierarchy_v1(v: dict[str, Any]) -> None:
    kind = getattr(hierarchy, v["name"])
    ids = dict(v["ids"])
    key, blob = h(v["key"]), h(v["blob"])
    assert (kind.label, kind.ids) == (v["label"], tuple(n for n, _ in v["ids"]))
    assert kind.binding(ids) == h(v["aad"]) == bind(v["label"], *ids.values())
    open_: Callable[..., bytes]
    if v["type"] == "wrapped":
        assert isinstance(kind, hierarchy.Wrapped)
        wrapping_key = h(v["wrapping_key"])
        made = envelope.seal_with_nonce(wrapping_key, key, aad=h(v["aad"]), nonce=h(v["nonce"]))
        assert made == blob

        def open_(b: bytes, **i: Any) -> bytes:
            return kind.unwrap(wrapping_key, b, **i)
    else:
        assert isinstance(kind, hierarchy.Sealed)
        private = hybrid.PrivateKey.from_bytes(h(v["private_key"]))

        def open_(b: bytes, **i: Any) -> bytes:
            return kind.open(private, b, **i)

    assert open_(blob, **ids) == key
    assert_refuses(open_, blob, ids)


@pytest.mark.parametrize("v", HIERARCHY["data_bindings"], ids=lambda v: v["function"])
def test_hierarchy_v1_data_bindings(v: dict[str, Any]) -> None:
    assert getattr(hierarchy, v["function"])(**v["args"]) == h(v["aad"])


@pytest.mark.parametrize(
    "v",
    [
        pytest.param(v, marks=[pytest.mark.real_kdf] if MINIMUM_JSON == v["params"] else [])
        for v in PASSPHRASE
    ],
    ids=lambda v: v["params"],
)
def test_passphrase_v1(v: dict[str, Any]) -> None:
    params = passphrase.KdfParams.from_json(v["params"])
    assert params.to_json() == v["params"]
    for text in (v["passphrase"], unicodedata.normalize("NFD", v["passphrase"])):
        key = passphrase.derive_passphrase_key(
            text, salt=h(v["salt"]), params=params, pepper=h(v["pepper"]), account_id=v["account_id"]
        )
        assert key == h(v["key"])


@pytest.mark.parametrize("v", TOKENS["bearer"], ids=lambda v: v["kind"])
def test_bearer_v1(v: dict[str, Any]) -> None:
    secret = tokens.parse_bearer(v["prefix"], v["token"])
    assert secret == h(v["secret"])
    assert tokens.lookup_digest(v["kind"], secret) == h(v["lookup"])
    assert tokens.wrapping_key(v["kind"], secret) == h(v["wrapping_key"])


@pytest.mark.parametrize("v", TOKENS["recovery"], ids=lambda v: v["code"])
def test_recovery_code_v1(v: dict[str, Any]) -> None:
    for text in (v["code"], v["typed"]):
        assert tokens.recovery_key(text, account_id=v["account_id"], code_id=v["code_id"]) == h(v["key"])
    other_code = tokens.recovery_key(v["code"], account_id=v["account_id"], code_id="code-2")
    assert other_code != h(v["key"])


# -- device digests (docs/decisions/0010) -----------------------------------------------------

DEVICES = load("device_digests.json")


def test_a_device_digest_is_bound_to_each_account() -> None:
    secret = bytes.fromhex(DEVICES["secret"])
    digests = [tokens.account_lookup_digest("device", d["account"], secret).hex()
               for d in DEVICES["digests"]]
    assert digests == [d["digest"] for d in DEVICES["digests"]]
    assert digests == [ref.device_digest(d["account"], secret).hex() for d in DEVICES["digests"]]
    assert len(set(digests)) == 2  # One browser, two accounts: nothing links their rows.
    assert tokens.lookup_digest("device", secret).hex() == DEVICES["old_digest"]
    assert DEVICES["old_digest"] not in digests


# -- addresses under a key of the day (docs/decisions/0011) -----------------------------------

DAY_KEYS = load("address_day_keys.json")


def _address_ring() -> Keyring:
    ring = Keyring.generate()
    ring.keys["address"] = {DAY_KEYS["key_id"]: h(DAY_KEYS["secret"])}
    ring.current["address"] = DAY_KEYS["key_id"]
    return ring


def test_a_day_key_is_wrapped_under_the_keyring_address_key() -> None:
    key_id, wrap_key = _address_ring().address_wrap_key()
    assert (key_id, wrap_key) == (DAY_KEYS["key_id"], h(DAY_KEYS["wrap_key"]))
    wrapped, day = h(DAY_KEYS["wrapped"]), DAY_KEYS["day"]
    assert envelope.seal_with_nonce(wrap_key, h(DAY_KEYS["day_key"]), aad=h(DAY_KEYS["aad"]),
                                    nonce=h(DAY_KEYS["nonce"])) == wrapped
    assert bind("address-day-key", day, key_id) == h(DAY_KEYS["aad"])
    assert day_keys.unwrap(wrap_key, wrapped, day=day, key_id=key_id) == h(DAY_KEYS["day_key"])
    assert ref.open_address_day_key(h(DAY_KEYS["secret"]), wrapped, day=day,
                                    key_id=key_id) == h(DAY_KEYS["day_key"])
    # Moved to another day, or named by another key id, it does not open.
    for other_day, other_id in (("2026-12-08", key_id), (day, "address-other")):
        with pytest.raises(DecryptionFailed):
            day_keys.unwrap(wrap_key, wrapped, day=other_day, key_id=other_id)


def test_addresses_are_digested_under_the_day_key() -> None:
    day_key = h(DAY_KEYS["day_key"])
    cases = [("sign-in-address", (v["address"],), v["digest"])
             for v in DAY_KEYS["sign_in_addresses"]]
    cases += [("link-client", (v["link"], v["window"], v["address"]), v["digest"])
              for v in DAY_KEYS["link_clients"]]
    for label, values, expected in cases:
        assert day_keys.digest(day_key, label, *values).hex() == expected
        assert ref.address_digest(day_key, label, *values).hex() == expected
    # The keyring's own address key digests nothing any more: the old vectors differ.
    old = load("keyring_purposes.json")
    assert {v["digest"] for v in old["sign_in_addresses"]}.isdisjoint(
        v["digest"] for v in DAY_KEYS["sign_in_addresses"])


# -- sections sealed and scopes keyed (docs/decisions/0012) ------------------------------------

METADATA = load("record_metadata.json")


def test_a_record_metadata_key_is_wrapped_under_the_record_key() -> None:
    record_key, wrapped = h(METADATA["record_key"]), h(METADATA["wrapped"])
    ids = {"person": METADATA["person"], "epoch": METADATA["epoch"]}
    assert bind("metadata-key", *ids.values()) == h(METADATA["key_aad"])
    assert envelope.seal_with_nonce(record_key, h(METADATA["metadata_key"]),
                                    aad=h(METADATA["key_aad"]),
                                    nonce=h(METADATA["key_nonce"])) == wrapped
    assert record_metadata.unwrap(record_key, wrapped, **ids) == h(METADATA["metadata_key"])
    assert ref.open_metadata_key(record_key, wrapped, **ids) == h(METADATA["metadata_key"])
    with pytest.raises(DecryptionFailed):  # Moved to another epoch.
        record_metadata.unwrap(record_key, wrapped, person=METADATA["person"], epoch=4)


@pytest.mark.parametrize("v", METADATA["sections"], ids=lambda v: v["what"])
def test_a_section_is_sealed_to_one_length_under_the_seal_key(v: dict[str, Any]) -> None:
    metadata = record_metadata.RecordMetadata(h(METADATA["metadata_key"]))
    ids = {"what": v["what"], "person": METADATA["person"], "row_id": v["id"]}
    sealed = h(v["sealed"])
    assert envelope.seal_with_nonce(h(METADATA["seal_key"]), h(v["padded"]), aad=h(v["aad"]),
                                    nonce=h(v["nonce"])) == sealed
    assert bind(v["what"], METADATA["person"], v["id"]) == h(v["aad"])
    assert metadata.open_section(sealed, **ids) == v["name"]
    assert ref.open_section(h(METADATA["metadata_key"]), sealed, **ids) == v["name"]
    assert len(sealed) == 77
    assert len(metadata.seal_section("identity", **ids)) == len(sealed)  # Any name, one length.
    with pytest.raises(DecryptionFailed):  # Moved to another row.
        metadata.open_section(sealed, what=v["what"], person=METADATA["person"], row_id="other")


@pytest.mark.parametrize("v", METADATA["scopes"], ids=lambda v: v["scope"].split(":")[0])
def test_a_content_key_scope_is_keyed(v: dict[str, Any]) -> None:
    metadata = record_metadata.RecordMetadata(h(METADATA["metadata_key"]))
    assert metadata.scope_index(v["scope"]) == v["index"]
    assert ref.scope_index(h(METADATA["metadata_key"]), v["scope"]) == v["index"]


# -- authors sealed (docs/decisions/0013) -----------------------------------------------------

AUTHORS = load("record_authors.json")


@pytest.mark.parametrize("v", AUTHORS["authors"], ids=lambda v: f"{v['what']}-{v['ids'][-1]}")
def test_an_author_is_sealed_to_one_length_under_the_seal_key(v: dict[str, Any]) -> None:
    assert AUTHORS["seal_key"] == METADATA["seal_key"]  # The record's one metadata key.
    metadata = record_metadata.RecordMetadata(h(AUTHORS["metadata_key"]))
    ids, sealed = tuple(v["ids"]), h(v["sealed"])
    assert bind(v["what"], *ids) == h(v["aad"])
    assert envelope.seal_with_nonce(h(AUTHORS["seal_key"]), h(v["padded"]), aad=h(v["aad"]),
                                    nonce=h(v["nonce"])) == sealed
    assert metadata.open_author(sealed, what=v["what"], ids=ids) == (v["role"], v["account"])
    assert ref.open_author(h(AUTHORS["metadata_key"]), sealed, what=v["what"],
                           ids=v["ids"]) == [v["role"], v["account"]]
    assert len(sealed) == 125
    assert len(metadata.seal_author("subject", None, what=v["what"], ids=ids)) == len(sealed)
    with pytest.raises(DecryptionFailed):  # Moved to another row.
        metadata.open_author(sealed, what=v["what"], ids=(*ids[:-1], "other"))


# -- tiers keyed per row (docs/decisions/0014) -------------------------------------------------

TIERS = load("record_tiers.json")


def test_each_row_s_tier_is_keyed_apart() -> None:
    metadata = record_metadata.RecordMetadata(h(TIERS["metadata_key"]))
    part, file = TIERS["part"], TIERS["attachment"]
    for tier in "ECSP":
        index = metadata.part_tier(tier, entry=part["entry"], version=part["version"])
        assert index == part["tiers"][tier]
        assert ref.tier_index(h(TIERS["metadata_key"]), "part-tier", part["entry"],
                              part["version"], tier) == index
        assert metadata.attachment_tier(tier, attachment=file["attachment"]) == file["tiers"][tier]
        assert ref.tier_index(h(TIERS["metadata_key"]), "attachment-tier", file["attachment"],
                              tier) == file["tiers"][tier]
    # Four tiers, two rows: eight values, none alike, and none like the next version's.
    values = [*part["tiers"].values(), *file["tiers"].values()]
    later = metadata.part_tier("S", entry=part["entry"], version=part["version"] + 1)
    assert len({*values, later}) == 9
