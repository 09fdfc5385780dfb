"""Behaviour of the keys package: each security rule has a test that fails without it."""

from __future__ import annotations

import json
import os
import stat
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keys import envelope, hierarchy, hybrid, passphrase, social, tokens
from keys.binding import bind
from keys.errors import DecryptionFailed, InvalidKeyMaterial, KeyringError
from keys.keyring import ADDED_PURPOSES, PURPOSES, Keyring
from tests.unit.keys.reference import ref

AAD = bind("part", "person-1", "entry-1", 1, "medication", "E")
PRIVATE = hybrid.PrivateKey.generate()
OTHER_PRIVATE = hybrid.PrivateKey.generate()
KINDS = [v for v in vars(hierarchy).values() if isinstance(v, hierarchy.Wrapped | hierarchy.Sealed)]
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

# -- binding -------------------------------------------------------------------------------


def test_bind_is_unambiguous_and_typed_values_are_canonical() -> None:
    assert bind("a", "bc") != bind("ab", "c")
    assert bind("a", "b", "") != bind("a", "b")
    person = uuid.uuid4()
    assert bind("x", person) == bind("x", str(person))
    with pytest.raises(TypeError):
        bind("x", True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too long"):
        bind("x", "a" * 0x10000)
    assert bind("x", "a" * 0xFFFF).endswith(b"\xff\xff" + b"a" * 0xFFFF)


@given(st.text(max_size=40), st.lists(st.one_of(
    st.text(max_size=80), st.binary(max_size=80),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70)), max_size=8))
def test_bind_writes_what_the_reference_decoder_binds(label: str,
                                                      values: list[str | bytes | int]) -> None:
    """Every stored format's associated data is bind's: any change to its bytes would leave
    every record unopenable, so it is held to the independent reference's on any input."""
    assert bind(label, *values) == ref.bind(label, *values)


# -- envelope ------------------------------------------------------------------------------


def test_envelope_round_trip_with_a_fresh_nonce_each_time() -> None:
    key = envelope.new_key()
    first, second = (envelope.seal(key, b"my story", aad=AAD) for _ in range(2))
    assert envelope.open_sealed(key, first, aad=AAD) == b"my story"
    assert envelope.open_sealed(key, second, aad=AAD) == b"my story"
    assert first[1:13] != second[1:13]
    assert len(first) == 1 + 12 + len(b"my story") + 16


@pytest.mark.parametrize("index", [0, 1, 12, 13, 20, -17, -1], ids=lambda i: f"byte{i}")
def test_envelope_tamper_of_each_region_fails(index: int) -> None:
    key = envelope.new_key()
    blob = bytearray(envelope.seal(key, b"my story", aad=AAD))
    blob[index] ^= 0x80
    with pytest.raises(DecryptionFailed):
        envelope.open_sealed(key, bytes(blob), aad=AAD)


def test_envelope_refuses_wrong_version_truncation_key_and_aad() -> None:
    key = envelope.new_key()
    blob = envelope.seal(key, b"my story", aad=AAD)
    refused = [
        (key, b"\x02" + blob[1:], AAD),
        (envelope.new_key(), blob, AAD),
        (key[:16], blob, AAD),
        (key, blob, bind("part", "person-2", "entry-1", 1, "medication", "E")),
    ] + [(key, blob[:n], AAD) for n in range(len(blob))]
    for k, b, aad in refused:
        with pytest.raises(DecryptionFailed):
            envelope.open_sealed(k, b, aad=aad)
    with pytest.raises(InvalidKeyMaterial):
        envelope.seal(key[:16], b"x", aad=AAD)


def test_unwrap_refuses_a_key_of_the_wrong_length() -> None:
    wrapping_key = envelope.new_key()
    blob = envelope.wrap_key(wrapping_key, b"\x00" * 31, aad=AAD)
    with pytest.raises(DecryptionFailed):
        envelope.unwrap_key(wrapping_key, blob, aad=AAD)


# -- hierarchy -----------------------------------------------------------------------------


def _ids(kind: Any) -> dict[str, Any]:
    return {name: (7 if name in {"epoch", "version"} else f"{name}-1") for name in kind.ids}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k.label}-{len(k.ids)}")
def test_each_kind_opens_only_with_exactly_its_ids(kind: Any) -> None:
    if isinstance(kind, hierarchy.Wrapped):
        wrapping_key = envelope.new_key()
        make, open_ = partial(kind.wrap, wrapping_key), partial(kind.unwrap, wrapping_key)
    else:
        make, open_ = partial(kind.seal, PRIVATE.public_key()), partial(kind.open, PRIVATE)
    key, ids = os.urandom(kind.key_length), _ids(kind)
    blob = make(key, **ids)
    assert open_(blob, **ids) == key
    for name in ids:  # Moved to another owner, row or epoch: each id counts.
        with pytest.raises(DecryptionFailed):
            open_(blob, **{**ids, name: f"{ids[name]}0"})
        with pytest.raises(InvalidKeyMaterial):
            open_(blob, **{k: v for k, v in ids.items() if k != name})
    with pytest.raises(InvalidKeyMaterial):
        open_(blob, **ids, extra="x")
    with pytest.raises(InvalidKeyMaterial):
        make(key[:-1], **ids)


def test_a_wrap_moved_to_another_owner_fails() -> None:
    record_key, content_key = envelope.new_key(), envelope.new_key()
    ids = {"person": "p1", "scope": "section:medication", "tier": "C", "epoch": 1}
    blob = hierarchy.CONTENT_KEY.wrap(record_key, content_key, **ids)
    with pytest.raises(DecryptionFailed):
        hierarchy.CONTENT_KEY.unwrap(record_key, blob, **{**ids, "person": "p2"})
    # The delegate form shares the label but not the binding.
    assert hierarchy.CONTENT_KEY.binding(ids) != hierarchy.CONTENT_KEY_FOR_DELEGATE.binding(
        {**ids, "member": "m1"}
    )


# -- hybrid --------------------------------------------------------------------------------


def test_hybrid_round_trip_and_refusals() -> None:
    info = bind("record-key", "p1", "m1", 1)
    blob = hybrid.seal_to(PRIVATE.public_key(), b"record key", info=info)
    assert hybrid.open_from(PRIVATE, blob, info=info) == b"record key"
    assert hybrid.seal_to(PRIVATE.public_key(), b"record key", info=info) != blob
    for private, b, i in [
        (OTHER_PRIVATE, blob, info),
        (PRIVATE, blob, bind("record-key", "p1", "m2", 1)),
        (PRIVATE, b"\x02" + blob[1:], info),
        (PRIVATE, blob[:-1], info),
        (PRIVATE, blob[:1] + bytes([blob[1] ^ 1]) + blob[2:], info),
    ]:
        with pytest.raises(DecryptionFailed):
            hybrid.open_from(private, b, info=i)


def test_hybrid_key_formats_and_private_repr() -> None:
    assert len(PRIVATE.raw) == hybrid.PRIVATE_LEN == 97
    assert len(PRIVATE.public_key().raw) == hybrid.PUBLIC_LEN == 1217
    assert hybrid.PrivateKey.from_bytes(PRIVATE.raw).public_key() == PRIVATE.public_key()
    for text in (repr(PRIVATE), str(PRIVATE), repr([PRIVATE])):
        assert "hidden" in text
        assert PRIVATE.raw.hex() not in text
        assert repr(PRIVATE.raw) not in text
    for bad in (PRIVATE.raw[:-1], b"\x02" + PRIVATE.raw[1:]):
        with pytest.raises(DecryptionFailed):
            hybrid.PrivateKey.from_bytes(bad)
    with pytest.raises(InvalidKeyMaterial):
        hybrid.seal_to(hybrid.PublicKey(PRIVATE.public_key().raw[:-1]), b"x", info=b"")
    fingerprint = PRIVATE.public_key().fingerprint()
    assert len(fingerprint.split(" ")) == 5
    assert fingerprint != OTHER_PRIVATE.public_key().fingerprint()


# -- passphrase ----------------------------------------------------------------------------


def _derive(text: str = "correct horse", **overrides: Any) -> bytes:
    args: dict[str, Any] = {
        "salt": b"s" * 16, "params": passphrase.TEST_PARAMS, "pepper": b"p" * 32, "account_id": "a1"
    } | overrides  # fmt: skip
    return passphrase.derive_passphrase_key(text, **args)


def test_passphrase_key_depends_on_every_input() -> None:
    key = _derive()
    assert len(key) == 32
    assert _derive() == key
    assert _derive("correct horsE") != key
    assert _derive(salt=b"t" * 16) != key
    assert _derive(pepper=b"q" * 32) != key
    assert _derive(account_id="a2") != key
    assert _derive(params=passphrase.KdfParams(16, 1, 1)) != key


def test_passphrase_is_nfc_normalised() -> None:
    composed = "caf\u00e9 \u00f1and\u00fa"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert _derive(composed) == _derive(decomposed)


def test_params_json_round_trip_and_limits() -> None:
    for params in (passphrase.MINIMUM_PARAMS, passphrase.DEFAULT_PARAMS, passphrase.TEST_PARAMS):
        assert passphrase.KdfParams.from_json(params.to_json()) == params
    for garbage in ('{"alg":"argon2i","m":8,"t":1,"p":1}', '{"alg":"argon2id"}', "[]", "{", "1"):
        with pytest.raises(InvalidKeyMaterial):
            passphrase.KdfParams.from_json(garbage)
    too_big = passphrase.KdfParams(passphrase.MAXIMUM_MEMORY_KIB + 1, 1, 1)
    with pytest.raises(InvalidKeyMaterial):
        _derive(params=too_big)
    assert passphrase.DEFAULT_PARAMS.memory_kib <= passphrase.MAXIMUM_MEMORY_KIB
    assert passphrase.MINIMUM_PARAMS.memory_kib >= 19 * 1024


@pytest.mark.parametrize("stored", [
    {"m": passphrase.MAXIMUM_MEMORY_KIB + 1, "t": 1, "p": 1},
    {"m": 64, "t": passphrase.MAXIMUM_ITERATIONS + 1, "p": 1},
    {"m": 1024, "t": 1, "p": passphrase.MAXIMUM_LANES + 1},
    {"m": 0, "t": 1, "p": 1}, {"m": 8, "t": 0, "p": 1}, {"m": 8, "t": 1, "p": 0},
    {"m": 8, "t": 1, "p": 8},  # Below Argon2id's own floor of 8 KiB a lane.
], ids=lambda stored: ",".join(f"{k}={v}" for k, v in stored.items()))
def test_every_stored_parameter_has_a_ceiling(stored: dict[str, int]) -> None:
    # Read back from the database as a writer might have left them: refused before any work.
    params = passphrase.KdfParams.from_json(json.dumps({"alg": "argon2id", **stored}))
    with pytest.raises(InvalidKeyMaterial):
        _derive(params=params)


# -- bearer secrets and recovery codes -----------------------------------------------------


def test_parse_bearer_round_trip() -> None:
    text, secret = tokens.new_bearer("tos")
    assert text.startswith("tos_")
    assert len(secret) == tokens.SECRET_LEN
    assert tokens.parse_bearer("tos", text) == secret
    assert tokens.new_bearer("tos")[1] != secret


@pytest.mark.parametrize(
    "token",
    ["tol_" + "A" * 43, "tos" + "A" * 44, "tos_" + "A" * 42, "tos_" + "A" * 44, "tos_",
     "tos_" + "!" * 43, "tos_" + "\u00e9" * 43, ""],
)  # fmt: skip
def test_parse_bearer_rejects_malformed(token: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        tokens.parse_bearer("tos", token)


def test_lookup_and_wrapping_key_are_separate_per_kind() -> None:
    secret = os.urandom(32)
    derived = {tokens.lookup_digest(k, secret) for k in ("session", "link")}
    derived |= {tokens.wrapping_key(k, secret) for k in ("session", "link")}
    assert len(derived) == 4
    assert tokens.equal(tokens.lookup_digest("link", secret), tokens.lookup_digest("link", secret))


def test_recovery_code_shape() -> None:
    code = tokens.new_recovery_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [5] * 6
    assert len(set(tokens.CROCKFORD)) == 32  # 5 bits per character...
    assert tokens.RECOVERY_CODE_CHARS * 5 == 150 >= 128  # ...so 150 bits, at least 128.
    assert set("".join(groups)) <= set(tokens.CROCKFORD)
    assert len({tokens.new_recovery_code() for _ in range(50)}) == 50


def test_recovery_code_normalisation() -> None:
    canonical = "0A1B1-CDEFG-HJKMN-PQRST-VWXYZ-23456"
    key = tokens.recovery_key(canonical, account_id="a1", code_id="c1")
    for typed in ("oa1b1 cdefg hjkmn pqrst vwxyz 23456", "OAIBL-CDEFG-HJKMN-PQRST-VWXYZ-23456"):
        assert tokens.normalise_recovery_code(typed) == canonical.replace("-", "")
        assert tokens.recovery_key(typed, account_id="a1", code_id="c1") == key
    assert tokens.recovery_key(canonical, account_id="a2", code_id="c1") != key
    for bad in (canonical[:-1], canonical + "7", canonical[:-1] + "U", ""):
        with pytest.raises(InvalidKeyMaterial):
            tokens.normalise_recovery_code(bad)


# -- keyring -------------------------------------------------------------------------------


def test_generate_has_every_purpose() -> None:
    ring = Keyring.generate(now=T0)
    assert set(ring.current) == set(PURPOSES) == set(ring.keys)
    for purpose in PURPOSES:
        kid, secret = ring.secret(purpose)
        assert kid == ring.current[purpose]
        assert len(secret) == 32


def test_rotation_keeps_old_keys_usable() -> None:
    ring = Keyring.generate(now=T0)
    old_hmac = ring.current["passcode"]
    digest = ring.hmac_digest("passcode", b"1234")
    old_signing, signature = ring.sign(b"receipt")
    assert ring.rotate("passcode", now=T0 + timedelta(days=1)) != old_hmac
    ring.rotate("signing", now=T0 + timedelta(days=1))
    assert ring.current["passcode"] != old_hmac
    assert ring.hmac_digest("passcode", b"1234") != digest
    assert ring.hmac_digest("passcode", b"1234", key_id=old_hmac) == digest
    ring.verify_signature(b"receipt", signature, old_signing)
    for message, kid in ((b"receipt!", old_signing), (b"receipt", ring.current["signing"])):
        with pytest.raises(DecryptionFailed):
            ring.verify_signature(message, signature, kid)
    with pytest.raises(KeyringError):
        ring.rotate("nonsense")


def test_save_is_private_and_load_round_trips(tmp_path: Path) -> None:
    ring = Keyring.generate(development=True, now=T0)
    path = tmp_path / "keyring.json"
    # A stale temporary file with a wide mode must not widen the saved keyring.
    path.with_suffix(".tmp").write_text("stale")
    path.with_suffix(".tmp").chmod(0o644)
    ring.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = Keyring.load(path)
    assert (loaded.keys, loaded.current, loaded.development) == (ring.keys, ring.current, True)


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", "null", '{"format": 2, "keys": {}, "current": {}}',
     '{"format": 1, "keys": [], "current": {}}', '{"format": 1, "keys": {"pepper": {"k": 1}}}',
     '{"format": 1, "keys": {}, "current": {"cookie": "c"}}'],
)  # fmt: skip
def test_from_json_rejects_garbage(text: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.from_json(text)


def test_from_json_rejects_a_secret_that_is_not_base64() -> None:
    data = json.loads(Keyring.generate(now=T0).to_json())
    kid = data["current"]["pepper"]
    data["keys"]["pepper"][kid] = "AAAA*"  # Lax base64 would read three zero bytes.
    with pytest.raises(KeyringError):
        Keyring.from_json(json.dumps(data))


def test_verify_public_key() -> None:
    ring = Keyring.generate(now=T0)
    public = PRIVATE.public_key().raw
    kid, mac = ring.mac_public_key(public, owner="account:a1")
    ring.verify_public_key(public, owner="account:a1", key_id=kid, mac=mac)
    changed = public[:-1] + bytes([public[-1] ^ 1])
    for raw, owner, key_id in [
        (changed, "account:a1", kid),
        (OTHER_PRIVATE.public_key().raw, "account:a1", kid),
        (public, "account:a2", kid),
        (public, "account:a1", "no-such-key"),
    ]:
        with pytest.raises(DecryptionFailed):
            ring.verify_public_key(raw, owner=owner, key_id=key_id, mac=mac)


# -- social recovery -----------------------------------------------------------------------


def test_one_of_n_gives_each_holder_the_key() -> None:
    key = envelope.new_key()
    assert social.split_one_of_n(key, 3) == [key, key, key]
    with pytest.raises(InvalidKeyMaterial):
        social.split_one_of_n(key, 0)


def test_two_of_three_every_pair_recombines_and_one_share_is_not_the_key() -> None:
    key = envelope.new_key()
    shares = social.split_two_of_three(key)
    assert set(shares) == set(combinations(range(3), 2))
    for for_i, for_j in shares.values():
        assert social.combine_pair(for_i, for_j) == key
        assert key not in (for_i, for_j)
    pads = [pair[0] for pair in shares.values()]
    assert len(set(pads)) == 3  # A fresh pad for each pair.
    with pytest.raises(InvalidKeyMaterial):
        social.split_two_of_three(key[:16])


# -- keyring purposes (decision 0004): logins and addresses under keys of their own ----------

PURPOSE_VECTORS = json.loads((Path(__file__).parent / "vectors" / "keyring_purposes.json").read_text())


def _ring_with_vector_keys() -> Keyring:
    ring = Keyring.generate(now=T0)
    for purpose in ("login", "address"):
        ring.keys[purpose] = {f"{purpose}-vector": bytes.fromhex(PURPOSE_VECTORS[f"{purpose}_key"])}
        ring.current[purpose] = f"{purpose}-vector"
    return ring


def test_logins_and_addresses_are_digested_under_their_own_keys() -> None:
    ring = _ring_with_vector_keys()
    for v in PURPOSE_VECTORS["logins"]:
        assert ring.login_digest(v["login"]).hex() == v["digest"]
    # Addresses were digested under the address key itself until decision 0011 gave each day a
    # key of its own; the messages are unchanged, and the key is apart from the others still.
    for v in PURPOSE_VECTORS["sign_in_addresses"]:
        message = bind("sign-in-address", v["address"])
        assert ring.hmac_digest("address", message).hex() == v["digest"]
    for v in PURPOSE_VECTORS["link_clients"]:
        message = bind("link-client", v["link"], v["window"], v["address"])
        assert ring.hmac_digest("address", message).hex() == v["digest"]
    # Rotating the passcode key, which link passcodes use, changes neither.
    before = ring.login_digest("rosie")
    ring.rotate("passcode")
    assert ring.login_digest("rosie") == before


def test_a_keyring_from_before_the_new_purposes_loads_and_gains_them() -> None:
    data = json.loads(Keyring.generate(now=T0).to_json())
    for purpose in ADDED_PURPOSES:
        del data["keys"][purpose], data["current"][purpose]
    old = Keyring.from_json(json.dumps(data))
    assert old.missing_purposes() == list(ADDED_PURPOSES)
    assert old.add_missing_purposes(now=T0) == list(ADDED_PURPOSES)
    assert old.missing_purposes() == []
    assert len({old.secret(p)[1] for p in PURPOSES}) == len(PURPOSES)  # All different.
