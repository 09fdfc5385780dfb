"""Known answers for what is sealed inside the envelopes (docs/decisions/0001, "Payloads and
records inside the envelopes (v1)"), checked through the vault's own writers and readers.

Entry parts and attachments are re-produced byte for byte by ``vault.entries._seal_parts`` and
``vault.attachments._seal`` with their random keys and nonces replaced by the vector's; HPKE
blobs (audit details, token names) are decryption vectors. Flipping one bit of any blob, or
changing one bound id or hashed column, must fail. The independent reference decoder opens the
entry and the attachment from the record key down. A failure here means stored data would no
longer open: fix the code, never the vector.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from keys import envelope, hybrid, slots
from keys.binding import bind
from keys.errors import DecryptionFailed, SlotForged
from keys.hierarchy import (
    ATTACHMENT_KEY,
    CONTENT_KEY,
    DATA_KEY,
    attachment_binding,
    audit_event_binding,
    part_binding,
    record_metadata_binding,
)
from keys.keyring import Keyring
from keys.share import b64url
from tests.unit.keys.reference import ref
from vault import accounts, attachments, audit, credentials, entries, payloads, people
from vault.config import VaultConfig
from vault.keychain import Keychain
from vault.models import (
    Account,
    ApiToken,
    Attachment,
    AuditEvent,
    Entry,
    EntryPart,
    EntryVersion,
    Person,
)
from vault.sections import Tier, validate_entry

HERE = Path(__file__).parent


def load(name: str) -> Any:
    return json.loads((HERE / "vectors" / name).read_text())


h = bytes.fromhex
PAYLOAD = load("payload_v1.json")
ENTRY = load("entry_part_v1.json")
ATTACHMENT = load("attachment_v1.json")
AUDIT = load("audit_v1.json")
PAYLOAD_V2 = load("payload_v2.json")
AUDIT_V2 = load("audit_v2.json")
NOW = datetime.fromisoformat("2026-11-23T14:02:00+00:00")


def flipped(blob: bytes) -> Iterator[bytes]:
    """The blob with one bit flipped: in the version byte, nonce or enc, body and tag."""
    for i in sorted({0, 1, 12, 13, len(blob) // 2, len(blob) - 17, len(blob) - 1}):
        yield blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1 :]


def other(value: str | int) -> str | int:
    return value + 1 if isinstance(value, int) else value + "x"


def assert_refuses(open_: Callable[..., Any], blob: bytes, ids: dict[str, Any]) -> None:
    for bad in flipped(blob):
        with pytest.raises(DecryptionFailed):
            open_(bad, **ids)
    for name, value in ids.items():
        with pytest.raises(DecryptionFailed):
            open_(blob, **{**ids, name: other(value)})


# -- payload v1 ------------------------------------------------------------------------------


def test_payload_vectors_cover_each_case() -> None:
    values = [v["value"] for v in PAYLOAD["vectors"]]
    assert any(isinstance(v, str) and not v.isascii() for v in values)
    assert any(isinstance(v, str) and "\u0000" in v and "\u2028" in v for v in values)
    unsorted = [v for v in values if isinstance(v, dict) and list(v) != sorted(v)]
    assert any(isinstance(v["a"], dict) and list(v["a"]) != sorted(v["a"]) for v in unsorted)
    assert {type(v) for v in values} >= {str, dict, list, int, float, bool, type(None)}


@pytest.mark.parametrize("v", PAYLOAD["vectors"], ids=lambda v: v["bytes"][:24])
def test_payload_v1(v: dict[str, Any]) -> None:
    raw = h(v["bytes"])
    assert payloads.encode_v1(v["value"]) == raw
    assert payloads.decode(raw) == v["value"]
    assert ref.decode_payload(raw) == v["value"]
    assert raw[:1] == b"\x01"
    assert raw == b"\x01" + json.dumps(
        v["value"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


@pytest.mark.parametrize("raw", PAYLOAD["refused"])
def test_payload_v1_refused(raw: str) -> None:
    with pytest.raises(DecryptionFailed):
        payloads.decode(h(raw))


class VectorKeychain(Keychain):
    """The real keychain over one person's keys from a vector, without a database."""

    def __init__(self, v: dict[str, Any], private_key: bytes | None, content_keys: list[Any]) -> None:
        self._vector_rows = {
            (v["person"], c["scope"], c["tier"], c["epoch"]): h(c["wrapped"]) for c in content_keys
        }
        super().__init__(SimpleNamespace(), None, SimpleNamespace(account_id=None))  # type: ignore[arg-type]
        self._vector_record_key, self._vector_private_key = h(v["record_key"]), private_key

    def _stored_content_key(self, person: Person, scope: str, tier: Tier, epoch: int) -> bytes | None:
        # Looked up by the scope's index first (decision 0012), then by the plain scope these
        # vectors' rows have, as the stored rows are.
        found = (self._vector_rows.get((person.id, stored, tier.value, epoch))
                 for stored in self.stored_scopes(person, scope))
        return next((wrapped for wrapped in found if wrapped is not None), None)

    def record_key(self, person: Person) -> bytes:
        return self._vector_record_key

    def private_key(self, person: Person) -> bytes:
        assert self._vector_private_key is not None
        return self._vector_private_key


def test_display_name_v1() -> None:
    v = PAYLOAD["display_name"]
    key, blob = h(v["record_key"]), h(v["blob"])
    aad = record_metadata_binding(person=v["person"], what="display-name", epoch=v["epoch"])
    assert aad == h(v["aad"])
    assert envelope.seal_with_nonce(key, payloads.encode_v1(v["name"]), aad=aad, nonce=h(v["nonce"])) == blob
    person = Person(id=v["person"], epoch=v["epoch"], display_name_ct=blob)
    assert people.display_name(VectorKeychain(v, None, []), person) == v["name"]

    def open_(b: bytes, **ids: Any) -> bytes:
        return envelope.open_sealed(key, b, aad=record_metadata_binding(**ids))

    assert_refuses(open_, blob, {"person": v["person"], "what": "display-name", "epoch": v["epoch"]})


def test_token_name_v1() -> None:
    v = PAYLOAD["token_name"]
    private, blob = hybrid.PrivateKey.from_bytes(h(v["account_private_key"])), h(v["blob"])
    assert bind("token-name", v["token_id"]) == h(v["info"])
    account_id = "5d1e9f0a-2b3c-4d5e-8f70-8192a3b4c5d6"
    unlocked = accounts.Unlocked(account_id=account_id, private_key=private)
    # A v1 name has no slot tag (decision 0005): it opens while its account carries the marker
    # the keyring signed, and is refused once the marker is gone.
    ring = Keyring.generate()
    account = Account(id=account_id)
    account.untagged_slots_key_id, account.untagged_slots_signature = ring.sign(
        slots.untagged_marker_message(account_id))
    session = SimpleNamespace(get=lambda model, key: account if model is Account else None)
    keychain = Keychain(session, VaultConfig(keyring=ring), unlocked)  # type: ignore[arg-type]
    row = ApiToken(id=v["token_id"], name_sealed=blob)
    assert credentials.token_name(keychain, row) == v["name"]
    account.untagged_slots_signature = None
    with pytest.raises(SlotForged):
        credentials.token_name(keychain, row)
    assert ref.decode_payload(ref.open_sealed(private.raw, blob, h(v["info"]))) == v["name"]

    def open_(b: bytes, token_id: str) -> bytes:
        return hybrid.open_from(private, b, info=bind("token-name", token_id))

    assert_refuses(open_, blob, {"token_id": v["token_id"]})


# -- entry parts -----------------------------------------------------------------------------


def _person(v: dict[str, Any]) -> Person:
    return Person(id=v["person"], epoch=v["epoch"])


def _entry_keychain() -> VectorKeychain:
    return VectorKeychain(ENTRY, h(ENTRY["private_key"]), ENTRY["content_keys"])


def _part_ids(tier: str) -> dict[str, Any]:
    return {"person": ENTRY["person"], "entry": ENTRY["entry"], "version": ENTRY["version"],
            "section": ENTRY["section"], "tier": tier}  # fmt: skip


def _part_row(part: dict[str, Any]) -> EntryPart:
    return EntryPart(entry_id=ENTRY["entry"], version=ENTRY["version"], tier=part["tier"],
                     person_id=ENTRY["person"], section=ENTRY["section"],
                     key_epoch=part["key_epoch"], wrapped_data_key=h(part["wrapped_data_key"]),
                     ciphertext=h(part["ciphertext"]))  # fmt: skip


class FixedRandomness:
    """Stands in for ``keys.envelope``'s randomness: the vector's data keys, in the order
    they are asked for, and the nonce the vector used with each associated data."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, data_keys: list[bytes], nonces: dict[bytes, bytes]):
        self.data_keys, self.nonces = list(data_keys), nonces
        monkeypatch.setattr(envelope, "new_key", lambda: self.data_keys.pop(0))
        monkeypatch.setattr(envelope, "seal", self.seal)

    def seal(self, key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
        return envelope.seal_with_nonce(key, plaintext, aad=aad, nonce=self.nonces[aad])


def test_entry_vector_covers_each_tier() -> None:
    assert [p["tier"] for p in ENTRY["parts"]] == ["E", "C", "S", "P"]
    assert {c["tier"]: c["scope"] for c in ENTRY["content_keys"]} == {
        "E": f"section:{ENTRY['section']}", "C": f"section:{ENTRY['section']}",
        "S": f"item:{ENTRY['entry']}",
    }  # fmt: skip
    assert ENTRY["version"] != ENTRY["epoch"]


@pytest.mark.parametrize("v", ENTRY["content_keys"], ids=lambda v: v["tier"])
def test_entry_content_key_v1(v: dict[str, Any]) -> None:
    record_key, blob = h(ENTRY["record_key"]), h(v["wrapped"])
    ids = {"person": ENTRY["person"], "scope": v["scope"], "tier": v["tier"], "epoch": v["epoch"]}
    assert CONTENT_KEY.binding(ids) == h(v["aad"])
    assert envelope.seal_with_nonce(record_key, h(v["key"]), aad=h(v["aad"]), nonce=h(v["nonce"])) == blob
    assert CONTENT_KEY.unwrap(record_key, blob, **ids) == h(v["key"])
    assert_refuses(lambda b, **i: CONTENT_KEY.unwrap(record_key, b, **i), blob, ids)


@pytest.mark.parametrize("v", ENTRY["parts"], ids=lambda v: v["tier"])
def test_entry_part_v1(v: dict[str, Any]) -> None:
    tier, ids = v["tier"], _part_ids(v["tier"])
    content_key, data_key = h(v["content_key"]), h(v["data_key"])
    if tier == "P":
        assert content_key == h(ENTRY["private_key"])
    else:
        [wrapped] = [c for c in ENTRY["content_keys"] if c["tier"] == tier]
        assert content_key == h(wrapped["key"])
    assert DATA_KEY.binding(ids) == h(v["data_key_aad"])
    made = envelope.seal_with_nonce(
        content_key, data_key, aad=h(v["data_key_aad"]), nonce=h(v["data_key_nonce"])
    )
    assert made == h(v["wrapped_data_key"])
    assert part_binding(**ids) == h(v["aad"])
    assert payloads.encode_v1(v["payload"]) == h(v["plaintext"])
    assert envelope.seal_with_nonce(data_key, h(v["plaintext"]), aad=h(v["aad"]), nonce=h(v["nonce"])) == h(
        v["ciphertext"]
    )
    row = _part_row(v)
    assert entries._open_part(_entry_keychain(), _person(ENTRY), row, row.section,
                              Tier(row.tier)) == v["payload"]
    assert_refuses(lambda b, **i: DATA_KEY.unwrap(content_key, b, **i), h(v["wrapped_data_key"]), ids)
    assert_refuses(lambda b, **i: envelope.open_sealed(data_key, b, aad=part_binding(**i)),
                   h(v["ciphertext"]), ids)  # fmt: skip


def test_entry_parts_written_by_seal_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    data, tiers = validate_entry(ENTRY["section"], ENTRY["data"], ENTRY["tiers"])
    assert (data, {k: t.value for k, t in tiers.items()}) == (ENTRY["data"], ENTRY["tiers"])
    nonces = {h(p["data_key_aad"]): h(p["data_key_nonce"]) for p in ENTRY["parts"]}
    nonces |= {h(p["aad"]): h(p["nonce"]) for p in ENTRY["parts"]}
    keychain, person = _entry_keychain(), _person(ENTRY)
    keychain.metadata_to_write(person)  # Its own randomness, before the vector's.
    FixedRandomness(monkeypatch, [h(p["data_key"]) for p in ENTRY["parts"]], nonces)
    # The vectors are of payload v1; the writer now pads (v2), which the v2 vectors pin.
    monkeypatch.setattr(payloads, "encode", payloads.encode_v1)
    parts = entries._seal_parts(keychain, person, entry_id=ENTRY["entry"],
                                version=ENTRY["version"], section=ENTRY["section"], data=data,
                                tiers=tiers, provenance=ENTRY["provenance"])  # fmt: skip
    written = [(p.tier, p.key_epoch, p.wrapped_data_key.hex(), p.ciphertext.hex()) for p in parts]
    # The parts are v1's; only the tier column is stored keyed now (decision 0014).
    metadata = keychain.metadata(person)
    assert metadata is not None
    assert written == [
        (metadata.part_tier(v["tier"], entry=ENTRY["entry"], version=ENTRY["version"]),
         v["key_epoch"], v["wrapped_data_key"], v["ciphertext"]) for v in ENTRY["parts"]
    ]


def test_entry_read_back_whole() -> None:
    entry = Entry(id=ENTRY["entry"], person_id=ENTRY["person"], section=ENTRY["section"], updated_at=NOW)
    meta = EntryVersion(entry_id=ENTRY["entry"], version=ENTRY["version"], author_role="subject",
                        author_account_id=None, created_at=NOW, deleted=0)  # fmt: skip
    parts = [_part_row(p) for p in reversed(ENTRY["parts"])]
    view = entries._view(_entry_keychain(), _person(ENTRY), entry, meta, parts)
    assert view.data == ENTRY["data"]
    assert view.tiers == ENTRY["tiers"]
    assert view.provenance == ENTRY["provenance"]
    assert [p["tier"] for p in ENTRY["parts"] if "provenance" in p["payload"]] == ["E"]


@pytest.mark.parametrize("tier", ["E", "C", "S", "P"])
def test_reference_decoder_opens_entry_part(tier: str) -> None:
    [part] = [p for p in ENTRY["parts"] if p["tier"] == tier]
    ids = _part_ids(tier)
    if tier == "P":  # The private key is sealed to the subject, not under the record key.
        content_key = h(ENTRY["private_key"])
    else:
        scope = ref.content_scope(ENTRY["section"], ENTRY["entry"], tier)
        [wrapped] = [c for c in ENTRY["content_keys"] if (c["scope"], c["tier"]) == (scope, tier)]
        content_key = ref.open_content_key(h(ENTRY["record_key"]), h(wrapped["wrapped"]),
                                           person=ENTRY["person"], scope=scope, tier=tier,
                                           epoch=ENTRY["epoch"])  # fmt: skip
    opened = ref.open_entry_part(content_key, h(part["wrapped_data_key"]), h(part["ciphertext"]), **ids)
    assert opened == part["payload"]


# -- attachments -----------------------------------------------------------------------------


def _attachment_ids() -> dict[str, Any]:
    v = ATTACHMENT
    return {"person": v["person"], "attachment": v["attachment"], "section": v["section"], "tier": v["tier"]}


def _attachment_keychain() -> VectorKeychain:
    v = ATTACHMENT
    return VectorKeychain(v, None, [v["content_key"] | {"tier": v["tier"], "epoch": v["epoch"]}])


def _attachment_row(**columns: Any) -> Attachment:
    v = ATTACHMENT
    return Attachment(id=v["attachment"], person_id=v["person"], section=v["section"], tier=v["tier"],
                      media_type=v["media_type"], size=len(h(v["content"])), author_account_id=None,
                      created_at=NOW, **columns)  # fmt: skip


def test_attachment_plaintext_v1() -> None:
    v, plaintext = ATTACHMENT, h(ATTACHMENT["plaintext"])
    header = v["header"].encode("utf-8")
    assert plaintext == b"\x01" + len(header).to_bytes(4, "big") + header + h(v["content"])
    assert attachments._plaintext_v1(v["filename"], v["media_type"], h(v["content"])) == plaintext
    assert attachments._parse_plaintext(plaintext) == (
        {"filename": v["filename"], "media_type": v["media_type"]}, h(v["content"])
    )
    assert not v["filename"].isascii()
    for bad in (b"", b"\x01\x00\x00\x00", b"\x02" + plaintext[1:], plaintext[:5] + b"[" + plaintext[6:]):
        with pytest.raises(DecryptionFailed):
            attachments._parse_plaintext(bad)


def test_attachment_v1() -> None:
    v = ATTACHMENT
    record_key, ck, dk = h(v["record_key"]), v["content_key"], v["data_key"]
    assert v["tier"] == "S"
    assert ck["scope"] == f"item:{v['attachment']}"
    content_ids = {"person": v["person"], "scope": ck["scope"], "tier": v["tier"], "epoch": v["epoch"]}
    assert CONTENT_KEY.binding(content_ids) == h(ck["aad"])
    assert envelope.seal_with_nonce(record_key, h(ck["key"]), aad=h(ck["aad"]), nonce=h(ck["nonce"])) == h(
        ck["wrapped"]
    )
    ids = _attachment_ids()
    assert ATTACHMENT_KEY.binding(ids) == h(dk["aad"])
    assert envelope.seal_with_nonce(h(ck["key"]), h(dk["key"]), aad=h(dk["aad"]), nonce=h(dk["nonce"])) == h(
        dk["wrapped"]
    )
    assert attachment_binding(**ids) == h(v["aad"])
    made = envelope.seal_with_nonce(h(dk["key"]), h(v["plaintext"]), aad=h(v["aad"]), nonce=h(v["nonce"]))
    assert made == h(v["ciphertext"])
    assert_refuses(lambda b, **i: CONTENT_KEY.unwrap(record_key, b, **i), h(ck["wrapped"]), content_ids)
    assert_refuses(lambda b, **i: ATTACHMENT_KEY.unwrap(h(ck["key"]), b, **i), h(dk["wrapped"]), ids)
    assert_refuses(lambda b, **i: envelope.open_sealed(h(dk["key"]), b, aad=attachment_binding(**i)),
                   h(v["ciphertext"]), ids)  # fmt: skip


def test_attachment_written_by_seal_and_read_by_open(monkeypatch: pytest.MonkeyPatch) -> None:
    v = ATTACHMENT
    nonces = {h(v["data_key"]["aad"]): h(v["data_key"]["nonce"]), h(v["aad"]): h(v["nonce"])}
    with monkeypatch.context() as patch:
        FixedRandomness(patch, [h(v["data_key"]["key"])], nonces)
        row = _attachment_row()
        attachments._seal(_attachment_keychain(), _person(v), row, h(v["plaintext"]))
    assert (row.key_epoch, row.wrapped_key, row.ciphertext) == (
        v["epoch"], h(v["data_key"]["wrapped"]), h(v["ciphertext"])
    )
    stored = _attachment_row(key_epoch=v["epoch"], wrapped_key=h(v["data_key"]["wrapped"]),
                             ciphertext=h(v["ciphertext"]))  # fmt: skip
    view, content = attachments._open(_attachment_keychain(), _person(v), stored)
    assert (view.filename, view.media_type, view.size, content) == (
        v["filename"], v["media_type"], len(h(v["content"])), h(v["content"])
    )


def test_reference_decoder_opens_attachment() -> None:
    v = ATTACHMENT
    scope = ref.content_scope(v["section"], v["attachment"], v["tier"])
    assert scope == v["content_key"]["scope"]
    content_key = ref.open_content_key(h(v["record_key"]), h(v["content_key"]["wrapped"]),
                                       person=v["person"], scope=scope, tier=v["tier"], epoch=v["epoch"])
    header, content = ref.open_attachment(content_key, h(v["data_key"]["wrapped"]), h(v["ciphertext"]),
                                          **_attachment_ids())  # fmt: skip
    assert header == {"filename": v["filename"], "media_type": v["media_type"]}
    assert content == h(v["content"])


# -- the audit chain -------------------------------------------------------------------------


def _event(e: dict[str, Any], **changed: Any) -> AuditEvent:
    columns = {"chain": AUDIT["chain"], "seq": e["seq"], "at": datetime.fromisoformat(e["at"]),
               "kind": e["kind"], "actor_account_id": e["actor_account_id"],
               "sealed": h(e["sealed"]) if e["sealed"] else None}  # fmt: skip
    return AuditEvent(**(columns | changed), prev_hash=h(e["prev_hash"]), hash=b"")


def test_audit_vector_covers_each_case() -> None:
    events = AUDIT["events"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert any(e["sealed"] for e in events)
    assert any(e["sealed"] is None for e in events)
    assert any(e["actor_account_id"] is None for e in events)
    assert any(e["at"].endswith(".000000+00:00") for e in events)


def test_audit_chain_v1() -> None:
    assert audit.GENESIS == h(AUDIT["genesis"]) == b"\x00" * 32
    assert audit.person_chain(AUDIT["chain"].removeprefix("person:")) == AUDIT["chain"]
    prev = audit.GENESIS
    for e in AUDIT["events"]:
        event = _event(e)
        assert event.at.isoformat(timespec="microseconds") == e["at"]
        assert h(e["prev_hash"]) == prev
        digest = hashlib.sha256(event.sealed).digest() if event.sealed else b""
        actor = e["actor_account_id"] or ""
        material = bind("audit", AUDIT["chain"], e["seq"], e["at"], e["kind"], actor, digest)
        assert material == h(e["material"])
        assert hashlib.sha256(prev + material).digest() == h(e["hash"])
        assert audit._event_hash(prev, event) == h(e["hash"])
        prev = h(e["hash"])


@pytest.mark.parametrize("e", AUDIT["events"], ids=lambda e: str(e["seq"]))
def test_audit_hash_covers_every_column(e: dict[str, Any]) -> None:
    prev, expected = h(e["prev_hash"]), h(e["hash"])
    at = datetime.fromisoformat(e["at"])
    sealed = h(e["sealed"]) if e["sealed"] else None
    changes: list[dict[str, Any]] = [
        {"chain": AUDIT["chain"] + "x"}, {"seq": e["seq"] + 1}, {"at": at + timedelta(microseconds=1)},
        {"kind": e["kind"] + "x"}, {"actor_account_id": (e["actor_account_id"] or "") + "x"},
        {"sealed": [*flipped(sealed)][3] if sealed else b"x"},
    ]  # fmt: skip
    if sealed:
        changes.append({"sealed": None})
    if e["actor_account_id"]:
        changes.append({"actor_account_id": None})
    for change in changes:
        assert audit._event_hash(prev, _event(e, **change)) != expected, change
    assert audit._event_hash(bytes([prev[0] ^ 1]) + prev[1:], _event(e)) != expected


@pytest.mark.parametrize("e", [e for e in AUDIT["events"] if e["sealed"]], ids=lambda e: str(e["seq"]))
def test_audit_details_v1(e: dict[str, Any]) -> None:
    private = hybrid.PrivateKey.from_bytes(h(AUDIT["audit_private_key"]))
    assert private.public_key().raw == h(AUDIT["audit_public_key"])
    blob = h(e["sealed"])
    info = audit_event_binding(chain=AUDIT["chain"], seq=e["seq"])
    assert info == h(e["info"])
    assert hashlib.sha256(blob).digest() == h(e["sealed_sha256"])
    raw = hybrid.open_from(private, blob, info=info)
    assert raw == h(e["payload"]) == payloads.encode_v1(e["details"])
    assert payloads.decode(raw) == e["details"]
    assert ref.decode_payload(ref.open_sealed(private.raw, blob, info)) == e["details"]

    def open_(b: bytes, **ids: Any) -> bytes:
        return hybrid.open_from(private, b, info=audit_event_binding(**ids))

    assert_refuses(open_, blob, {"chain": AUDIT["chain"], "seq": e["seq"]})


# -- payload v2 (decision 0004): padded to a power of two of at least 1 KiB -------------------


def test_payload_v2_vectors_cover_each_v1_value_and_each_bucket_edge() -> None:
    assert [v["value"] for v in PAYLOAD_V2["vectors"][: len(PAYLOAD["vectors"])]] == [
        v["value"] for v in PAYLOAD["vectors"]]
    assert {len(h(v["bytes"])) for v in PAYLOAD_V2["vectors"]} == {1024, 2048, 4096}


@pytest.mark.parametrize("v", PAYLOAD_V2["vectors"], ids=lambda v: str(len(v["bytes"]) // 2))
def test_payload_v2(v: dict[str, Any]) -> None:
    raw = h(v["bytes"])
    assert payloads.encode(v["value"]) == raw
    assert payloads.decode(raw) == v["value"]
    assert ref.decode_payload(raw) == v["value"]
    assert len(raw) == payloads.bucket(5 + int.from_bytes(raw[1:5], "big"))


@pytest.mark.parametrize("raw", PAYLOAD_V2["refused"])
def test_payload_v2_refused(raw: str) -> None:
    with pytest.raises(DecryptionFailed):
        payloads.decode(h(raw))
    with pytest.raises(ValueError):  # noqa: PT011 - the reference decoder refuses them too.
        ref.decode_payload(h(raw))


def test_every_writer_pads_every_short_value_to_one_bucket() -> None:
    """A name of 1 to 200 characters of any width is the same 1 KiB: its length tells nothing."""
    sizes = {len(payloads.encode({"recipient": ch * n, "link": "x" * 36}))
             for ch in ("a", "é", "私", "😀") for n in range(1, 201)}
    assert sizes == {1024}


# -- audit v2 (decision 0004): every event MACed, every head signed ---------------------------


def test_audit_v2_vector_covers_the_seam_from_v1() -> None:
    assert [e["key_id"] is None for e in AUDIT_V2["events"]] == [True, False, False]
    assert all(e["sealed"] for e in AUDIT_V2["events"][1:])


def test_audit_chain_v2_by_the_reference_decoder() -> None:
    secret = h(AUDIT_V2["signing_secret"])
    assert ref.audit_chain_key(secret) == h(AUDIT_V2["chain_key"])
    prev = h(AUDIT_V2["genesis"])
    for e in AUDIT_V2["events"]:
        assert h(e["prev_hash"]) == prev
        prev = ref.audit_event_hash(e, chain=AUDIT_V2["chain"], prev=prev, signing_secret=secret)
        assert prev == h(e["hash"])
    kept = AUDIT_V2["head"]["kept"]
    assert h(kept["hash"]) == prev
    ref.verify_kept_head(kept, secret)
    private = h(AUDIT_V2["audit_private_key"])
    for e in AUDIT_V2["events"][1:]:
        assert ref.decode_payload(ref.open_sealed(private, h(e["sealed"]), h(e["info"]))) == e["details"]


def _v2_keyring() -> Keyring:
    ring = Keyring.generate()
    kid = AUDIT_V2["signing_key_id"]
    ring.keys["signing"][kid] = h(AUDIT_V2["signing_secret"])
    ring.current["signing"] = kid
    return ring


def test_audit_chain_v2_by_the_vaults_own_code() -> None:
    """The vault's writer makes exactly the vector's MACs and signed head, and its verifier
    takes the vector's chain, v1 seam included."""
    ring = _v2_keyring()
    assert ring.audit_chain_key() == (AUDIT_V2["signing_key_id"], h(AUDIT_V2["chain_key"]))
    prev = audit.GENESIS
    for e in AUDIT_V2["events"]:
        event = AuditEvent(chain=AUDIT_V2["chain"], seq=e["seq"], at=datetime.fromisoformat(e["at"]),
                           kind=e["kind"], actor_account_id=e["actor_account_id"],
                           sealed=h(e["sealed"]) if e["sealed"] else None, prev_hash=prev,
                           hash=b"", key_id=e["key_id"])  # fmt: skip
        made = (audit._event_hash(prev, event) if e["key_id"] is None
                else audit._event_mac(h(AUDIT_V2["chain_key"]), prev, event))
        assert made == h(e["hash"])
        prev = made
    kept = AUDIT_V2["head"]["kept"]
    assert audit.head_message(kept["chain"], kept["seq"], prev) == h(AUDIT_V2["head"]["message"])
    _, signature = ring.sign(h(AUDIT_V2["head"]["message"]))  # Ed25519 is deterministic.
    assert b64url(signature) == kept["signature"]
    private = hybrid.PrivateKey.from_bytes(h(AUDIT_V2["audit_private_key"]))
    for e in AUDIT_V2["events"][1:]:
        raw = hybrid.open_from(private, h(e["sealed"]), info=h(e["info"]))
        assert raw == h(e["payload"]) == payloads.encode(e["details"])


# -- the reference decoder stays independent -------------------------------------------------


def test_reference_decoder_imports_nothing_from_the_project() -> None:
    tree = ast.parse((HERE / "reference_decoder.py").read_text())
    imported = [alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    # The standard library and independent libraries only: nothing of this project's own.
    allowed = {"__future__", "base64", "hashlib", "hmac", "json", "typing", "unicodedata",
               "cryptography", "jwcrypto"}
    assert {m.split(".")[0] for m in imported} <= allowed


# -- attachments v2 (docs/decisions/0009) -----------------------------------------------------

ATTACHMENT_V2 = load("attachment_v2.json")


@pytest.mark.parametrize("case", ATTACHMENT_V2["buckets"], ids=lambda c: str(c["n"]))
def test_attachment_v2_bucket(case: dict[str, int]) -> None:
    assert attachments.bucket_of(case["n"]) == case["bucket"] == ref.attachment_bucket(case["n"])


def _attachment_v2_plaintext() -> bytes:
    v = ATTACHMENT_V2
    return attachments._plaintext(v["filename"], v["media_type"], h(v["content"]))


def test_attachment_plaintext_v2_is_the_decisions() -> None:
    v, plaintext = ATTACHMENT_V2, _attachment_v2_plaintext()
    assert (len(plaintext), hashlib.sha256(plaintext).hexdigest()) == (
        v["plaintext_length"], v["plaintext_sha256"])
    sealed = envelope.seal_with_nonce(h(v["data_key"]), plaintext, aad=h(v["aad"]),
                                      nonce=h(v["nonce"]))
    assert hashlib.sha256(sealed).hexdigest() == v["ciphertext_sha256"]
    assert attachment_binding(**v["ids"]) == h(v["aad"])
    header = {"filename": v["filename"], "media_type": v["media_type"],
              "size": len(h(v["content"]))}
    opened = envelope.open_sealed(h(v["data_key"]), sealed, aad=h(v["aad"]))
    assert attachments._parse_plaintext(opened) == (header, h(v["content"]))
    assert ref.parse_attachment(opened) == (header, h(v["content"]))


def _with_header(plaintext: bytes, header_end: int, **changed: Any) -> bytes:
    """The same plaintext with its header changed, its length field made to match."""
    header = json.loads(plaintext[5:header_end]) | changed
    raw = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    body = b"\x02" + len(raw).to_bytes(4, "big") + raw + plaintext[header_end:]
    return body[:len(plaintext)]


def test_attachment_v2_padded_wrongly_is_refused() -> None:
    plaintext = _attachment_v2_plaintext()
    header_end = 5 + int.from_bytes(plaintext[1:5], "big")
    bad = {
        "a byte of padding set": plaintext[:-1] + b"\x01",
        "one byte short": plaintext[:-1],
        "one byte long": plaintext + b"\x00",
        "a size past the end": _with_header(plaintext, header_end, size=70_000),
        "an unknown version": b"\x03" + plaintext[1:],
    }
    bad |= {"a size that is not a number": _with_header(plaintext, header_end, size="128"),
            "a negative size": _with_header(plaintext, header_end, size=-1)}
    for why, blob in bad.items():
        with pytest.raises(DecryptionFailed):
            attachments._parse_plaintext(blob)
        assert why


# -- audit v3 (decision 0015): the actor sealed with the details -------------------------------

AUDIT_V3 = load("audit_v3.json")


def test_audit_v3_vector_covers_the_seam_from_v2() -> None:
    assert [e["format"] for e in AUDIT_V3["events"]] == [None, 3, 3]
    assert [e["actor"] is None for e in AUDIT_V3["events"]] == [False, False, True]
    assert AUDIT_V3["events"][2]["details"] == {}  # Sealed all the same.


def test_audit_chain_v3_by_the_reference_decoder() -> None:
    secret, prev = h(AUDIT_V3["signing_secret"]), bytes(32)
    private = h(AUDIT_V3["audit_private_key"])
    for e in AUDIT_V3["events"]:
        assert h(e["prev_hash"]) == prev
        prev = ref.audit_event_hash(e, chain=AUDIT_V3["chain"], prev=prev, signing_secret=secret)
        assert prev == h(e["hash"])
        opened = ref.decode_payload(ref.open_sealed(private, h(e["sealed"]), h(e["info"])))
        assert opened == (e["details"] if e["format"] is None
                          else {"actor": e["actor"], "details": e["details"]})
    assert h(AUDIT_V3["head"]["hash"]) == prev
    ref.verify_kept_head(AUDIT_V3["head"], secret)


def _v3_row(e: dict[str, Any], prev: bytes) -> AuditEvent:
    return AuditEvent(chain=AUDIT_V3["chain"], seq=e["seq"], at=datetime.fromisoformat(e["at"]),
                      kind=e["kind"], actor_account_id=e["actor_account_id"],
                      sealed=h(e["sealed"]), prev_hash=prev, hash=h(e["hash"]),
                      key_id=e["key_id"], format=e["format"])  # fmt: skip


def test_audit_chain_v3_by_the_vaults_own_code() -> None:
    """The vault's MAC is the vector's for each version, and its reader finds the actor
    inside a v3 event and in the column of a v2 one."""
    prev, chain_key = bytes(32), h(AUDIT_V3["chain_key"])
    private = hybrid.PrivateKey.from_bytes(h(AUDIT_V3["audit_private_key"]))
    for e in AUDIT_V3["events"]:
        row = _v3_row(e, prev)
        assert audit._event_mac(chain_key, prev, row) == h(e["hash"])
        read = audit._readable(row, AUDIT_V3["chain"], private)
        assert (read.actor_account_id, read.details) == (e["actor"], e["details"])
        prev = h(e["hash"])
    # A v3 event passed off as v2 (its format cleared, its actor put back in the column)
    # no longer matches its MAC.
    e = AUDIT_V3["events"][1]
    downgraded = _v3_row(e, h(e["prev_hash"]))
    downgraded.format, downgraded.actor_account_id = None, e["actor"]
    assert audit._event_mac(chain_key, h(e["prev_hash"]), downgraded) != h(e["hash"])
