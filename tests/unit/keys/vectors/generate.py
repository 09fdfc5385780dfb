"""Write the known-answer vectors of the formats in docs/decisions/0001-key-hierarchy-and-formats.md.

Run only when adding a new format version, never to update existing vectors::

    .venv/bin/python tests/unit/keys/vectors/generate.py

A file that already exists is left untouched: the vectors pin what stored data looks
like, so a change that breaks them is a format change and needs a new decision, a new
version byte and a new ``*_v2.json`` written by a new function here.

Inputs are fixed (SHAKE-256 of a name) so a reader can rebuild every deterministic vector;
HPKE sealing is randomised, so its blobs are decryption vectors, written once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))  # The repository root, when run as a script.

from keys import envelope, hierarchy, hybrid, passphrase, share, tokens  # noqa: E402
from keys.binding import bind  # noqa: E402
from vault import payloads  # noqa: E402

PERSON = "0b5e4a52-7c1f-4c55-9a1e-3c1d8f0e2a11"
MEMBER = "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
ACCOUNT = "5d1e9f0a-2b3c-4d5e-8f70-8192a3b4c5d6"
IDS: dict[str, Any] = {
    "person": PERSON, "member": MEMBER, "account": ACCOUNT, "epoch": 3, "version": 2,
    "scope": "section:medication", "tier": "C", "section": "medication",
    "entry": "e7a1b2c3-d4e5-4f60-8172-93a4b5c6d7e8", "attachment": "att-0f1e2d3c",
    "household": "hh-42", "share": "link-9c8b7a", "wrapper": "passphrase",
    "wrapper_id": "1", "share_set": "set-1", "holder": "holder-2",
}  # fmt: skip


def fixed(name: str, length: int) -> bytes:
    return hashlib.shake_256(b"tellonce-vectors:" + name.encode()).digest(length)


def fixed_private_key(name: str) -> hybrid.PrivateKey:
    # Any 64-byte ML-KEM seed and any 32 X25519 bytes make a valid v1 private key.
    return hybrid.PrivateKey.from_bytes(hybrid.FORMAT_V1 + fixed(name, 96))


def bind_vectors() -> dict[str, Any]:
    cases = [
        ("a", []), ("a", ["bc"]), ("ab", ["c"]), ("part", [PERSON, "e1", 7, "medication", "C"]),
        ("record-key", [PERSON, MEMBER, 0]), ("empty", [""]), ("utf-8", ["Zoë Brontë", "私"]),
    ]  # fmt: skip
    return {"vectors": [{"label": lb, "ids": i, "aad": bind(lb, *i).hex()} for lb, i in cases]}


def envelope_vectors() -> dict[str, Any]:
    plaintexts = [b"", "Ich heiße Zoë; I take 5 mg twice a day. 私の記録".encode(), fixed("k", 32)]
    out = []
    for n, plaintext in enumerate(plaintexts):
        key, nonce = fixed(f"envelope-key-{n}", 32), fixed(f"envelope-nonce-{n}", 12)
        label, ids = "part", [PERSON, IDS["entry"], n, "medication", "E"]
        aad = bind(label, *ids)
        blob = envelope.seal_with_nonce(key, plaintext, aad=aad, nonce=nonce)
        out.append({"key": key.hex(), "nonce": nonce.hex(), "plaintext": plaintext.hex(),
                    "label": label, "ids": ids, "aad": aad.hex(), "blob": blob.hex()})  # fmt: skip
    return {"vectors": out}


def hybrid_vectors() -> dict[str, Any]:
    private = fixed_private_key("hybrid")
    public = private.public_key()
    plaintexts = [b"", fixed("record key", 32), "Zoë's plan".encode(), private.raw]
    sealed = []
    for n, plaintext in enumerate(plaintexts):
        label, ids = "record-key", [PERSON, MEMBER, n]
        info = bind(label, *ids)
        blob = hybrid.seal_to(public, plaintext, info=info)
        sealed.append({"label": label, "ids": ids, "info": info.hex(),
                       "plaintext": plaintext.hex(), "blob": blob.hex()})  # fmt: skip
    return {"private_key": private.raw.hex(), "public_key": public.raw.hex(), "sealed": sealed}


def hierarchy_vectors() -> dict[str, Any]:
    kinds = []
    for name in (
        "RECORD_KEY", "CONTENT_KEY", "CONTENT_KEY_FOR_DELEGATE", "PRIVATE_KEY", "DATA_KEY",
        "ATTACHMENT_KEY", "AUDIT_KEY", "ACCOUNT_AUDIT_KEY", "HOUSEHOLD_KEY", "SHARE_KEY",
        "ACCOUNT_KEY", "SOCIAL_SHARE",
    ):  # fmt: skip
        kind = getattr(hierarchy, name)
        ids = {i: IDS[i] for i in kind.ids}
        if kind.key_length == hybrid.PRIVATE_LEN:
            key = fixed_private_key(name).raw
        else:
            key = fixed(f"{name}-key", kind.key_length)
        entry: dict[str, Any] = {"name": name, "label": kind.label, "ids": list(ids.items()),
                                 "aad": kind.binding(ids).hex(), "key": key.hex()}  # fmt: skip
        if isinstance(kind, hierarchy.Wrapped):
            wrapping_key, nonce = fixed(f"{name}-wrapping", 32), fixed(f"{name}-nonce", 12)
            blob = envelope.seal_with_nonce(wrapping_key, key, aad=kind.binding(ids), nonce=nonce)
            entry |= {"type": "wrapped", "wrapping_key": wrapping_key.hex(), "nonce": nonce.hex()}
        else:
            private = fixed_private_key(f"{name}-recipient")
            blob = kind.seal(private.public_key(), key, **ids)
            entry |= {"type": "sealed", "private_key": private.raw.hex()}
        kinds.append(entry | {"blob": blob.hex()})
    bindings = {
        "part_binding": dict(person=PERSON, entry=IDS["entry"], version=2, section="care", tier="S"),
        "attachment_binding": dict(person=PERSON, attachment="att-1", section="care", tier="P"),
        "record_metadata_binding": dict(person=PERSON, what="link-label:link-9c8b7a", epoch=3),
        "audit_event_binding": dict(chain=f"person:{PERSON}", seq=17),
    }
    data_bindings = [
        {"function": f, "args": a, "aad": getattr(hierarchy, f)(**a).hex()} for f, a in bindings.items()
    ]
    return {"kinds": kinds, "data_bindings": data_bindings}


def passphrase_vectors() -> dict[str, Any]:
    small = passphrase.KdfParams(64, 2, 1)
    cases = [
        ("correct horse battery staple", small),
        ("Ma\u00f1ana \u00e9t\u00e9 caf\u00e9 \u2014 \u79c1", small),  # Composed (NFC) forms.
        ("correct horse battery staple", passphrase.MINIMUM_PARAMS),
    ]
    out = []
    for n, (text, params) in enumerate(cases):
        salt, pepper = fixed(f"salt-{n}", passphrase.SALT_LEN), fixed(f"pepper-{n}", 32)
        key = passphrase.derive_passphrase_key(
            text, salt=salt, params=params, pepper=pepper, account_id=ACCOUNT
        )
        out.append({"passphrase": text, "salt": salt.hex(), "params": params.to_json(),
                    "pepper": pepper.hex(), "account_id": ACCOUNT, "key": key.hex()})  # fmt: skip
    return {"vectors": out}


def tokens_vectors() -> dict[str, Any]:
    bearer = []
    # The prefixes are examples: each caller picks its own, without an underscore.
    for kind, prefix in (("session", "tos"), ("api-token", "tot"), ("link", "tol")):
        secret = fixed(f"bearer-{kind}", tokens.SECRET_LEN)
        bearer.append({"kind": kind, "prefix": prefix, "secret": secret.hex(),
                       "token": f"{prefix}_{base64.urlsafe_b64encode(secret).decode().rstrip('=')}",
                       "lookup": tokens.lookup_digest(kind, secret).hex(),
                       "wrapping_key": tokens.wrapping_key(kind, secret).hex()})  # fmt: skip
    recovery = []
    for code, typed in (
        ("7K3QW-Z0M9D-X1TNB-4H8FR-P2VCJ-6E5GS", "7k3qw z0m9d x1tnb 4h8fr p2vcj 6e5gs"),
        ("00000-11111-ABCDE-FGHJK-MNPQR-STVWZ", "OOooo-IiLl1-abcde-fghjk-mnpqr-stvwz"),
    ):
        key = tokens.recovery_key(code, account_id=ACCOUNT, code_id="code-1")
        recovery.append({"code": code, "typed": typed, "account_id": ACCOUNT,
                         "code_id": "code-1", "key": key.hex()})  # fmt: skip
    return {"bearer": bearer, "recovery": recovery}


# -- Payloads and records inside the envelopes (decision 0001, its last section) --------------

ENTRY = IDS["entry"]
ATTACHMENT = "c4d5e6f7-0819-4a2b-9c3d-4e5f60718293"
TOKEN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def payload_vectors() -> dict[str, Any]:
    values: list[Any] = [
        "Zoë Brontë", "", {}, [], None, True, False, 0, -17, 1.5, 1e21,
        # Keys out of order, at every depth: the encoding sorts them by code point.
        {"b": 1, "a": {"z": [3, {"y": None, "x": "é"}], "B": 2}, "aa": 0, "é": 4, "\U0001f600": 5,
         "\uff01": 6, "A": 7},
        # Escapes: JSON's own, the control characters, and nothing else (no \\uXXXX for non-ASCII).
        "quote \" backslash \\ slash / nl \n tab \t nul \u0000 del \u007f ls \u2028 😀 私",
        {"fields": {"text": "I take 5 mg — twice a day.", "dose": "5 mg"}, "provenance": "My GP"},
    ]  # fmt: skip
    refused = [b"", b"{}", b"\x00{}", b"\x02{}", b"\x01", b"\x01{", b"\x01\xff", b"\x01{}x"]
    display_key, display_nonce = fixed("display-name-record-key", 32), fixed("display-name-nonce", 12)
    name = "Zoë Brontë"
    display_aad = hierarchy.record_metadata_binding(person=PERSON, what="display-name", epoch=3)
    display_blob = envelope.seal_with_nonce(
        display_key, payloads.encode_v1(name), aad=display_aad, nonce=display_nonce
    )
    account = fixed_private_key("token-name-account")
    token_info = bind("token-name", TOKEN)
    token_blob = hybrid.seal_to(account.public_key(), payloads.encode_v1("Zoë's laptop"), info=token_info)
    return {
        "vectors": [{"value": v, "bytes": payloads.encode_v1(v).hex()} for v in values],
        "refused": [r.hex() for r in refused],
        "display_name": {"person": PERSON, "epoch": 3, "record_key": display_key.hex(),
                         "nonce": display_nonce.hex(), "aad": display_aad.hex(), "name": name,
                         "blob": display_blob.hex()},
        "token_name": {"token_id": TOKEN, "account_private_key": account.raw.hex(),
                       "info": token_info.hex(), "name": "Zoë's laptop", "blob": token_blob.hex()},
    }  # fmt: skip


def _wrapped(kind: hierarchy.Wrapped, wrapping_key: bytes, name: str, ids: dict[str, Any]) -> dict[str, Any]:
    key, nonce, aad = fixed(name, kind.key_length), fixed(f"{name}-nonce", 12), kind.binding(ids)
    blob = envelope.seal_with_nonce(wrapping_key, key, aad=aad, nonce=nonce)
    return {"key": key.hex(), "nonce": nonce.hex(), "aad": aad.hex(), "wrapped": blob.hex()}


def entry_part_vectors() -> dict[str, Any]:
    section, version, epoch = "medicines", 2, 3
    data = {
        "text": "Ich nehme es abends — mit Joghurt. 私の薬", "name": "Sertraline", "dose": "50 mg",
        "who_supports_me": "My sister Zoë reminds me", "reason": "Low mood after Mum died",
        "prescriber": "Dr Okafor", "side_effects": 'I feel sick if I take it "on an empty stomach"',
        "reviews": [{"date": "2026-10-01", "who_took_part": "Me, Dr Okafor and Zoë",
                     "outcome": "Keep it at 50 mg."}],
    }  # fmt: skip
    tiers = {"text": "E", "name": "E", "dose": "E", "who_supports_me": "C", "reason": "S",
             "prescriber": "C", "side_effects": "P", "reviews": "C"}  # fmt: skip
    provenance = "Copied from my repeat prescription, 3 Nov 2026"
    record_key, private_key = fixed("entry-record-key", 32), fixed("entry-private-key", 32)
    content_keys, by_tier_key = [], {"P": private_key}
    for tier in "ECS":
        scope = f"item:{ENTRY}" if tier == "S" else f"section:{section}"
        ids = {"person": PERSON, "scope": scope, "tier": tier, "epoch": epoch}
        wrapped = _wrapped(hierarchy.CONTENT_KEY, record_key, f"entry-content-key-{tier}", ids)
        content_keys.append({"tier": tier, "scope": scope, "epoch": epoch} | wrapped)
        by_tier_key[tier] = bytes.fromhex(wrapped["key"])
    fields: dict[str, dict[str, Any]] = {}
    for name, value in data.items():
        fields.setdefault(tiers[name], {})[name] = value
    parts = []
    for tier, part_fields in fields.items():  # In the order the fields first reach each tier.
        payload: dict[str, Any] = {"fields": part_fields}
        if tier == "E":  # The lowest tier present carries the provenance.
            payload["provenance"] = provenance
        ids = {"person": PERSON, "entry": ENTRY, "version": version, "section": section, "tier": tier}
        wrapped = _wrapped(hierarchy.DATA_KEY, by_tier_key[tier], f"entry-data-key-{tier}", ids)
        plaintext, nonce = payloads.encode_v1(payload), fixed(f"entry-part-{tier}-nonce", 12)
        aad = hierarchy.part_binding(**ids)
        ciphertext = envelope.seal_with_nonce(bytes.fromhex(wrapped["key"]), plaintext, aad=aad, nonce=nonce)
        parts.append({"tier": tier, "key_epoch": epoch, "content_key": by_tier_key[tier].hex(),
                      "data_key": wrapped["key"], "data_key_nonce": wrapped["nonce"],
                      "data_key_aad": wrapped["aad"], "wrapped_data_key": wrapped["wrapped"],
                      "nonce": nonce.hex(), "aad": aad.hex(), "payload": payload,
                      "plaintext": plaintext.hex(), "ciphertext": ciphertext.hex()})  # fmt: skip
    return {"person": PERSON, "entry": ENTRY, "version": version, "section": section, "epoch": epoch,
            "data": data, "tiers": tiers, "provenance": provenance, "record_key": record_key.hex(),
            "private_key": private_key.hex(), "content_keys": content_keys, "parts": parts}  # fmt: skip


def attachment_vectors() -> dict[str, Any]:
    section, tier, epoch = "medicines", "S", 3
    filename, media_type = "Zoë's prescription — Nov 2026.pdf", "application/pdf"
    content = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    # Written from the decision's text, not with vault.attachments, which the tests then check.
    header = json.dumps({"filename": filename, "media_type": media_type},
                        separators=(",", ":"), ensure_ascii=False).encode()  # fmt: skip
    plaintext = b"\x01" + len(header).to_bytes(4, "big") + header + content
    record_key, scope = fixed("attachment-record-key", 32), f"item:{ATTACHMENT}"
    content_ids = {"person": PERSON, "scope": scope, "tier": tier, "epoch": epoch}
    content_key = _wrapped(hierarchy.CONTENT_KEY, record_key, "attachment-content-key", content_ids)
    ids = {"person": PERSON, "attachment": ATTACHMENT, "section": section, "tier": tier}
    data_key = _wrapped(
        hierarchy.ATTACHMENT_KEY, bytes.fromhex(content_key["key"]), "attachment-data-key", ids
    )
    nonce, aad = fixed("attachment-nonce", 12), hierarchy.attachment_binding(**ids)
    ciphertext = envelope.seal_with_nonce(bytes.fromhex(data_key["key"]), plaintext, aad=aad, nonce=nonce)
    return {"person": PERSON, "attachment": ATTACHMENT, "section": section, "tier": tier,
            "epoch": epoch, "filename": filename, "media_type": media_type,
            "content": content.hex(), "header": header.decode(), "plaintext": plaintext.hex(),
            "record_key": record_key.hex(), "content_key": {"scope": scope} | content_key,
            "data_key": data_key, "nonce": nonce.hex(), "aad": aad.hex(),
            "ciphertext": ciphertext.hex()}  # fmt: skip


def audit_vectors() -> dict[str, Any]:
    chain = f"person:{PERSON}"
    private = fixed_private_key("audit-chain")
    events = [
        ("2026-11-23T09:15:00.000000+00:00", "record_created", MEMBER, None),
        ("2026-11-23T09:16:07.250001+00:00", "entry_created", MEMBER,
         {"entry": ENTRY, "section": "medicines", "version": 1}),
        ("2026-11-24T23:59:59.999999+00:00", "record_exported", None, None),
    ]  # fmt: skip
    prev, out = b"\x00" * 32, []
    for seq, (at, kind, actor, details) in enumerate(events, start=1):
        row: dict[str, Any] = {"seq": seq, "at": at, "kind": kind, "actor_account_id": actor,
                               "details": details, "sealed": None}  # fmt: skip
        digest = b""
        if details:
            info = hierarchy.audit_event_binding(chain=chain, seq=seq)
            payload = payloads.encode_v1(details)
            sealed = hybrid.seal_to(private.public_key(), payload, info=info)
            digest = hashlib.sha256(sealed).digest()
            row |= {"info": info.hex(), "payload": payload.hex(), "sealed": sealed.hex(),
                    "sealed_sha256": digest.hex()}  # fmt: skip
        material = bind("audit", chain, seq, at, kind, actor or "", digest)
        event_hash = hashlib.sha256(prev + material).digest()
        out.append(row | {"prev_hash": prev.hex(), "material": material.hex(), "hash": event_hash.hex()})
        prev = event_hash
    return {"chain": chain, "genesis": (b"\x00" * 32).hex(), "audit_private_key": private.raw.hex(),
            "audit_public_key": private.public_key().raw.hex(), "events": out}  # fmt: skip


# -- Share links (docs/decisions/0002-share-links.md) -------------------------------------------

LINK = "6d2f8a41-3b9c-4e57-a1d0-8c7e5f2b9a34"
SHARE_BASE = "https://tellonce.example.org"
COPY_HEADER = '{"alg":"dir","enc":"A256GCM","cty":"application/fhir+json"}'


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _link(n: int, base_url: str, label: str, flags: str) -> dict[str, Any]:
    # Written from 0002's text, not with keys.share.shlink, which the tests then check.
    manifest_id, share_key = fixed(f"share-manifest-id-{n}", 32), fixed(f"share-key-{n}", 32)
    base = base_url.rstrip("/")
    payload = {"url": f"{base}/shl/{_b64url(manifest_id)}", "key": _b64url(share_key),
               "flag": "".join(sorted(set(flags))), "label": label[:80], "v": 1}  # fmt: skip
    payload_json = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return {"base_url": base_url, "manifest_id": manifest_id.hex(), "share_key": share_key.hex(),
            "label": label, "flags": flags, "payload": payload, "payload_json": payload_json,
            "link": f"{base}/view#shlink:/{_b64url(payload_json.encode())}",
            "lookup": hashlib.sha256(bind("lookup", "link") + manifest_id).digest().hex()}  # fmt: skip


def _share_key_wrap(record_key: bytes, share_key: bytes, epoch: int) -> dict[str, Any]:
    nonce, aad = fixed("share-key-wrap-nonce", 12), bind("share-key", LINK, PERSON, epoch)
    blob = envelope.seal_with_nonce(record_key, share_key, aad=aad, nonce=nonce)
    return {"record_key": record_key.hex(), "link_id": LINK, "person": PERSON, "epoch": epoch,
            "nonce": nonce.hex(), "aad": aad.hex(), "share_key": share_key.hex(),
            "blob": blob.hex()}  # fmt: skip


def _meta_sealed(record_key: bytes, link: dict[str, Any], epoch: int) -> dict[str, Any]:
    meta = {"label": link["label"], "template": "gp", "ceiling": "C",
            "sections": {"medicines": "full", "allergies": "full", "support_plan": "summary"},
            "s_items": sorted([ENTRY, ATTACHMENT]),
            "manifest_id": link["payload"]["url"].rsplit("/", 1)[1]}  # fmt: skip
    plaintext = b"\x01" + json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    nonce, aad = fixed("share-meta-nonce", 12), bind("record-metadata", PERSON, f"link:{LINK}", epoch)
    blob = envelope.seal_with_nonce(record_key, plaintext, aad=aad, nonce=nonce)
    return {"record_key": record_key.hex(), "link_id": LINK, "person": PERSON, "epoch": epoch,
            "nonce": nonce.hex(), "aad": aad.hex(), "meta": meta, "plaintext": plaintext.hex(),
            "blob": blob.hex()}  # fmt: skip


def _copy(share_key: bytes) -> dict[str, Any]:
    bundle = {"resourceType": "Bundle", "id": LINK, "type": "collection",
              "timestamp": "2026-11-23T14:02:00+00:00",
              "entry": [{"fullUrl": f"urn:uuid:{PERSON}",
                         "resource": {"resourceType": "Patient", "id": PERSON,
                                      "name": [{"text": "Zoë Brontë"}]}}]}  # fmt: skip
    plaintext = json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    # JWE encryption draws a fresh IV, so this is a decryption vector, written once.
    return {"share_key": share_key.hex(), "protected_header": COPY_HEADER, "bundle": bundle,
            "plaintext": plaintext.hex(), "jwe": share.seal_copy(share_key, plaintext)}  # fmt: skip


def _passcodes() -> dict[str, Any]:
    key, out = fixed("share-passcode-key", 32), []
    for typed in ("cafe\u0301-42", "caf\u00e9-42", "4 blue doors"):  # NFD, then the same in NFC.
        nfc = unicodedata.normalize("NFC", typed)
        message = bind("link-passcode", LINK) + nfc.encode()
        out.append({"link_id": LINK, "passcode": typed, "nfc": nfc, "message": message.hex(),
                    "digest": hmac.new(key, message, hashlib.sha256).hexdigest()})  # fmt: skip
    return {"key": key.hex(), "vectors": out}


def _link_file() -> dict[str, Any]:
    secret = fixed("share-link-file", 32)
    return {"kind": "link-file", "secret": secret.hex(), "token": _b64url(secret),
            "location": f"{SHARE_BASE}/shl/file/{_b64url(secret)}",
            "lookup": hashlib.sha256(bind("lookup", "link-file") + secret).digest().hex()}  # fmt: skip


def share_vectors() -> dict[str, Any]:
    links = [
        _link(0, SHARE_BASE, "Zoë's care plan — for Dr Okafor 私", "L"),
        # Flags given unsorted, a trailing "/" on the base, and 99 characters cut to 80 (not bytes).
        _link(1, SHARE_BASE + "/", "Für die Notaufnahme: " + "Zoë braucht Ruhe. " * 4 + "Danke!", "PL"),
    ]  # fmt: skip
    record_key, share_key, epoch = fixed("share-record-key", 32), bytes.fromhex(links[0]["share_key"]), 3
    return {"links": links, "share_key_wrap": _share_key_wrap(record_key, share_key, epoch),
            "meta_sealed": _meta_sealed(record_key, links[0], epoch), "copy": _copy(share_key),
            "passcode": _passcodes(), "link_file": _link_file()}  # fmt: skip


# -- Padded payloads and the keyed history (docs/decisions/0004-...) ---------------------------
# Written from the decision with the primitives alone, so the vault's code is checked
# against them rather than the vectors being made by that code.


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True,
                      allow_nan=False).encode("utf-8")


def _payload_v2(value: Any) -> bytes:
    body = _canonical_json(value)
    bucket = 1024
    while bucket < 5 + len(body):
        bucket *= 2
    return b"\x02" + len(body).to_bytes(4, "big") + body + b"\x00" * (bucket - 5 - len(body))


def payload_v2_vectors() -> dict[str, Any]:
    values = json.loads((HERE / "payload_v1.json").read_text())
    edges = ["x" * 1017, "x" * 1018, "é" * 1500]  # 1019 and 1020 bytes of JSON; 3002 bytes.
    refused = [
        b"\x02" + b"\x00" * 3,  # Shorter than its length field.
        b"\x02" + (2).to_bytes(4, "big") + b"{}" + b"\x00" * 1016,  # 1023: not a bucket.
        b"\x02" + (2).to_bytes(4, "big") + b"{}" + b"\x00" * 2041,  # 2048: not its bucket.
        b"\x02" + (2).to_bytes(4, "big") + b"{}" + b"\x00" * 1016 + b"\x01",  # Padding not zero.
        b"\x02" + (1020).to_bytes(4, "big") + b"{}" + b"\x00" * 1017,  # Length past the end.
        b"\x02" + (1).to_bytes(4, "big") + b"{" + b"\x00" * 1018,  # Not JSON.
        b"\x03" + (2).to_bytes(4, "big") + b"{}" + b"\x00" * 1017,  # Unknown version.
    ]
    return {
        "vectors": [{"value": v["value"], "bytes": _payload_v2(v["value"]).hex()}
                    for v in values["vectors"]]
        + [{"value": v, "bytes": _payload_v2(v).hex()} for v in edges],
        "refused": [r.hex() for r in refused],
    }


def _chain_key(signing_secret: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=bind("audit-chain-key")).derive(signing_secret)


def audit_v2_vectors() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    chain = f"person:{PERSON}"
    private = fixed_private_key("audit-chain-v2")
    signing_secret, key_id = fixed("audit-v2-signing", 32), "signing-20261205000000-a1b2c3"
    chain_key = _chain_key(signing_secret)
    events = [
        ("2026-11-23T09:15:00.000000+00:00", "record_created", MEMBER, None, None),
        ("2026-12-05T08:00:00.000001+00:00", "link_created", MEMBER,
         {"link": LINK, "template": "gp", "label": "For Dr Okafor"}, key_id),
        ("2026-12-05T08:30:00.500000+00:00", "link_opened", None,
         {"link": LINK, "recipient": "Dr A Patel"}, key_id),
    ]  # fmt: skip
    prev, out = b"\x00" * 32, []
    for seq, (at, kind, actor, details, kid) in enumerate(events, start=1):
        row: dict[str, Any] = {"seq": seq, "at": at, "kind": kind, "actor_account_id": actor,
                               "details": details, "sealed": None, "key_id": kid}  # fmt: skip
        digest = b""
        if details:
            info = hierarchy.audit_event_binding(chain=chain, seq=seq)
            payload = _payload_v2(details)
            sealed = hybrid.seal_to(private.public_key(), payload, info=info)
            digest = hashlib.sha256(sealed).digest()
            row |= {"info": info.hex(), "payload": payload.hex(), "sealed": sealed.hex(),
                    "sealed_sha256": digest.hex()}  # fmt: skip
        if kid is None:
            material = bind("audit", chain, seq, at, kind, actor or "", digest)
            event_hash = hashlib.sha256(prev + material).digest()
        else:
            material = bind("audit-event-mac", chain, seq, at, kind, actor or "", digest, kid)
            event_hash = hmac.new(chain_key, prev + material, hashlib.sha256).digest()
        out.append(row | {"prev_hash": prev.hex(), "material": material.hex(), "hash": event_hash.hex()})
        prev = event_hash
    head_message = bind("audit-head", chain, len(events), prev)
    signature = Ed25519PrivateKey.from_private_bytes(signing_secret).sign(head_message)
    return {"chain": chain, "genesis": (b"\x00" * 32).hex(), "audit_private_key": private.raw.hex(),
            "signing_secret": signing_secret.hex(), "signing_key_id": key_id,
            "chain_key": chain_key.hex(), "events": out,
            "head": {"message": head_message.hex(),
                     "kept": {"chain": chain, "seq": len(events), "hash": prev.hex(),
                              "key_id": key_id, "signature": _b64url(signature)}}}  # fmt: skip


def keyring_purposes_vectors() -> dict[str, Any]:
    """Decision 0004, "Keyring purposes": logins and addresses under keys of their own."""
    login_key, address_key = fixed("keyring-login", 32), fixed("keyring-address", 32)
    window = "2026-12-05T08:30:00+00:00"

    def mac(key: bytes, message: bytes) -> str:
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    logins = [" Rosie.Smith ", "ROSIE", "Zoë"]
    return {
        "login_key": login_key.hex(), "address_key": address_key.hex(),
        "logins": [{"login": lg, "digest": mac(login_key, bind("login", lg.strip().casefold()))}
                   for lg in logins],
        "sign_in_addresses": [{"address": a, "digest": mac(address_key, bind("sign-in-address", a))}
                              for a in ("192.0.2.7", "2001:db8::1")],
        "link_clients": [{"link": LINK, "window": window, "address": "192.0.2.7",
                          "digest": mac(address_key, bind("link-client", LINK, window, "192.0.2.7"))}],
    }  # fmt: skip


def slot_tags_vectors() -> dict[str, Any]:
    """Decision 0005: slot tags, and the marker that lets old untagged slots be read."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    private = fixed_private_key("slot-tags-account")
    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=bind("slot-mac-key", ACCOUNT)).derive(private.raw)
    factor, passkey, token = "f-1a2b", "pk-3c4d", "tok-5e6f"
    slots = [
        ("record-key", bind("record-key", PERSON, ACCOUNT, 1), fixed("slot-record-key", 32)),
        ("private-key", bind("private-key", PERSON, ACCOUNT), fixed("slot-private-key", 32)),
        ("account-audit-key", bind("account-audit-key", ACCOUNT),
         fixed_private_key("slot-account-audit").raw),
        ("totp-secret", bind("totp-secret", ACCOUNT, factor), _payload_v2("JBSWY3DPEHPK3PXP")),
        ("passkey-name", bind("passkey-name", ACCOUNT, passkey), _payload_v2("My phone")),
        ("token-name", bind("token-name", token), _payload_v2("Surgery reader")),
    ]  # fmt: skip
    out = []
    for kind, info, plaintext in slots:
        sealed = hybrid.seal_to(private.public_key(), plaintext, info=info)
        message = bind("slot-tag", info, hashlib.sha256(sealed).digest())
        out.append({"kind": kind, "info": info.hex(), "plaintext": plaintext.hex(),
                    "sealed": sealed.hex(), "tag_message": message.hex(),
                    "tag": hmac.new(mac_key, message, hashlib.sha256).hexdigest()})
    signing_secret = fixed("slot-tags-signing", 32)
    marker = bind("untagged-slots", ACCOUNT)
    return {"account": ACCOUNT, "account_private_key": private.raw.hex(),
            "slot_mac_key": mac_key.hex(), "slots": out,
            "marker": {"message": marker.hex(), "signing_secret": signing_secret.hex(),
                       "key_id": "signing-20261206000000-d4e5f6",
                       "signature": Ed25519PrivateKey.from_private_bytes(signing_secret)
                       .sign(marker).hex()}}  # fmt: skip


def contacts_vectors() -> dict[str, Any]:
    """Decision 0006: logins and notice addresses keyed for lookup and sealed."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def sub_key(label: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=bind(label)).derive(secret)

    secret, key_id = fixed("contact-secret", 32), "contact-20261206010000-0a1b2c"
    digest_key, seal_key = sub_key("contact-digest"), sub_key("contact-seal")
    out = []
    for label, typed in (("account-login", " Rosie.Smith "), ("account-email", "Rosie.Smith@Example.ORG")):
        value = typed.strip().casefold()
        nonce, aad = fixed(f"contact-nonce-{label}", 12), bind(label, ACCOUNT, key_id)
        payload = _payload_v2(value)
        out.append({"label": label, "typed": typed, "normalised": value,
                    "digest": hmac.new(digest_key, bind(label, value), hashlib.sha256).hexdigest(),
                    "aad": aad.hex(), "nonce": nonce.hex(), "payload": payload.hex(),
                    "sealed": envelope.seal_with_nonce(seal_key, payload, aad=aad, nonce=nonce).hex()})
    login_key = fixed("keyring-login", 32)  # The sign-in counter of a known account, 0006.
    counter = hmac.new(login_key, bind("login-account", ACCOUNT), hashlib.sha256).hexdigest()
    return {"account": ACCOUNT, "secret": secret.hex(), "key_id": key_id,
            "digest_key": digest_key.hex(), "seal_key": seal_key.hex(), "values": out,
            "account_counter": {"login_key": login_key.hex(), "digest": counter}}  # fmt: skip


def copy_padding_vectors() -> dict[str, Any]:
    """Decision 0008: a copy's JSON padded with spaces to a power of two of at least 32 KiB."""
    from joserfc import jwe
    from joserfc.jwk import OctKey

    def bucket(n: int) -> int:
        size = 32768
        while size < n:
            size *= 2
        return size

    key = fixed("copy-padding-share-key", 32)
    bundle = {"resourceType": "Bundle", "id": LINK, "type": "collection", "entry": []}
    plaintext = json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()
    padded = plaintext + b" " * (bucket(len(plaintext)) - len(plaintext))
    sealed = jwe.encrypt_compact(json.loads(COPY_HEADER), padded, OctKey.import_key(key))
    return {"buckets": [{"json_length": n, "padded_length": bucket(n)}
                        for n in (1, 32767, 32768, 32769, 100000, 16 * 1024 * 1024)],
            "share_key": key.hex(), "plaintext": plaintext.hex(),
            "padded_length": len(padded), "jwe": sealed}  # fmt: skip


def attachment_v2_vectors() -> dict[str, Any]:
    """Decision 0009: attachment plaintext v2, padded to its bucket, size and type sealed."""
    def bucket(n: int) -> int:
        if n <= 1024 * 1024:
            size = 65536
            while size < n:
                size *= 2
            return size
        step = (1 << (n.bit_length() - 1)) // 8
        return -(-n // step) * step

    section, tier = "communication", "E"
    filename, media_type = "Zoë's picture board.png", "image/png"
    content = bytes.fromhex("89504e470d0a1a0a") + fixed("attachment-v2-png", 120)
    header = json.dumps({"filename": filename, "media_type": media_type, "size": len(content)},
                        separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    body = b"\x02" + len(header).to_bytes(4, "big") + header + content
    plaintext = body + bytes(bucket(len(body)) - len(body))
    data_key, nonce = fixed("attachment-v2-data-key", 32), fixed("attachment-v2-nonce", 12)
    ids = {"person": PERSON, "attachment": ATTACHMENT, "section": section, "tier": tier}
    aad = hierarchy.attachment_binding(**ids)
    return {"buckets": [{"n": n, "bucket": bucket(n)} for n in
                        (1, 65536, 65537, 1048576, 1048577, 3000000, 10485760)],
            "ids": ids, "filename": filename, "media_type": media_type, "content": content.hex(),
            "header": header.decode(), "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
            "plaintext_length": len(plaintext), "data_key": data_key.hex(), "nonce": nonce.hex(),
            "aad": aad.hex(),
            "ciphertext_sha256": hashlib.sha256(envelope.seal_with_nonce(
                data_key, plaintext, aad=aad, nonce=nonce)).hexdigest()}  # fmt: skip


def device_digests_vectors() -> dict[str, Any]:
    """Decision 0010: a device cookie's digest bound to each account."""
    secret = fixed("device-cookie-secret", 32)
    accounts = [ACCOUNT, MEMBER]
    return {"secret": secret.hex(),
            "old_digest": hashlib.sha256(bind("lookup", "device") + secret).hexdigest(),
            "digests": [{"account": a, "digest": hashlib.sha256(
                bind("lookup", "device", a) + secret).hexdigest()} for a in accounts]}  # fmt: skip


def address_day_keys_vectors() -> dict[str, Any]:
    """Decision 0011: addresses counted under a key of the day, wrapped under the keyring's."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret, key_id = fixed("keyring-address", 32), "address-20261207000000-1f2e3d"
    wrap_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=bind("address-day-key-wrap")).derive(secret)
    day, day_key, nonce = "2026-12-07", fixed("address-day-key", 32), fixed("address-day-nonce", 12)
    aad = bind("address-day-key", day, key_id)
    window = "2026-12-07T08:30:00+00:00"

    def mac(message: bytes) -> str:
        return hmac.new(day_key, message, hashlib.sha256).hexdigest()

    return {
        "secret": secret.hex(), "key_id": key_id, "wrap_key": wrap_key.hex(), "day": day,
        "day_key": day_key.hex(), "aad": aad.hex(), "nonce": nonce.hex(),
        "wrapped": envelope.seal_with_nonce(wrap_key, day_key, aad=aad, nonce=nonce).hex(),
        "sign_in_addresses": [{"address": a, "digest": mac(bind("sign-in-address", a))}
                              for a in ("192.0.2.7", "2001:db8::1")],
        "link_clients": [{"link": LINK, "window": window, "address": "192.0.2.7",
                          "digest": mac(bind("link-client", LINK, window, "192.0.2.7"))}],
    }  # fmt: skip


def record_metadata_vectors() -> dict[str, Any]:
    """Decision 0012: sections sealed and content-key scopes keyed under a metadata key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def sub_key(label: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=bind(label)).derive(meta)

    record_key, meta, epoch = fixed("metadata-record-key", 32), fixed("metadata-key", 32), 3
    seal_key, index_key = sub_key("record-metadata-seal"), sub_key("record-metadata-index")
    key_aad = bind("metadata-key", PERSON, epoch)
    wrapped = envelope.seal_with_nonce(record_key, meta, aad=key_aad,
                                       nonce=fixed("metadata-key-nonce", 12))
    sections = []
    for what, row_id, name in (("entry-section", IDS["entry"], "sensitive_history"),
                               ("attachment-section", ATTACHMENT, "legal")):
        padded = name.encode() + bytes(48 - len(name.encode()))
        aad = bind(what, PERSON, row_id)
        sections.append({"what": what, "id": row_id, "name": name, "padded": padded.hex(),
                         "aad": aad.hex(), "nonce": fixed(f"nonce-{what}", 12).hex(),
                         "sealed": envelope.seal_with_nonce(seal_key, padded, aad=aad,
                                                            nonce=fixed(f"nonce-{what}", 12)).hex()})
    scopes = [{"scope": scope, "index": hmac.new(index_key, bind("scope", scope),
                                                 hashlib.sha256).hexdigest()}
              for scope in ("section:medicines", f"item:{IDS['entry']}")]
    return {"person": PERSON, "epoch": epoch, "record_key": record_key.hex(),
            "metadata_key": meta.hex(), "key_aad": key_aad.hex(),
            "key_nonce": fixed("metadata-key-nonce", 12).hex(), "wrapped": wrapped.hex(),
            "seal_key": seal_key.hex(), "index_key": index_key.hex(),
            "sections": sections, "scopes": scopes}  # fmt: skip


def record_authors_vectors() -> dict[str, Any]:
    """Decision 0013: who wrote each version, file and link, sealed under the seal key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    meta = fixed("metadata-key", 32)  # The metadata key of record_metadata.json.
    seal_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=bind("record-metadata-seal")).derive(meta)
    cases = [("entry-author", [PERSON, IDS["entry"], 2], "delegate", MEMBER),
             ("entry-author", [PERSON, IDS["entry"], 1], "imported", None),
             ("attachment-author", [PERSON, ATTACHMENT], "", ACCOUNT),
             ("link-author", [PERSON, LINK], "", ACCOUNT)]
    out = []
    for what, ids, role, account in cases:
        raw = json.dumps([role, account], separators=(",", ":")).encode()
        padded = raw + bytes(96 - len(raw))
        aad, nonce = bind(what, *ids), fixed(f"nonce-{what}-{ids[-1]}", 12)
        out.append({"what": what, "ids": ids, "role": role, "account": account,
                    "padded": padded.hex(), "aad": aad.hex(), "nonce": nonce.hex(),
                    "sealed": envelope.seal_with_nonce(seal_key, padded, aad=aad, nonce=nonce).hex()})
    return {"metadata_key": meta.hex(), "seal_key": seal_key.hex(), "authors": out}  # fmt: skip


def record_tiers_vectors() -> dict[str, Any]:
    """Decision 0014: the tier of each part and file, keyed per row under the index key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    meta = fixed("metadata-key", 32)  # The metadata key of record_metadata.json.
    index_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                     info=bind("record-metadata-index")).derive(meta)

    def index(*ids: Any) -> str:
        return hmac.new(index_key, bind(*ids), hashlib.sha256).hexdigest()

    entry, version = IDS["entry"], 2
    return {"metadata_key": meta.hex(), "index_key": index_key.hex(),
            "part": {"entry": entry, "version": version,
                     "tiers": {t: index("part-tier", entry, version, t) for t in "ECSP"}},
            "attachment": {"attachment": ATTACHMENT, "tiers": {
                t: index("attachment-tier", ATTACHMENT, t) for t in "ECSP"}}}  # fmt: skip


def audit_v3_vectors() -> dict[str, Any]:
    """Decision 0015: the actor sealed with the details; a v2 event, then two v3 events."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    chain = f"person:{PERSON}"
    private = fixed_private_key("audit-chain-v3")
    signing_secret, key_id = fixed("audit-v3-signing", 32), "signing-20261207000000-c3d4e5"
    chain_key = _chain_key(signing_secret)
    events = [
        (2, "2026-12-06T10:00:00.000000+00:00", "entry_created", MEMBER, {"entry": IDS["entry"]}),
        (3, "2026-12-07T09:00:00.000001+00:00", "link_created", MEMBER,
         {"link": LINK, "template": "gp", "label": "For Dr Okafor"}),
        (3, "2026-12-07T09:30:00.250000+00:00", "link_opened", None, {}),
    ]  # fmt: skip
    prev, out = b"\x00" * 32, []
    for seq, (fmt, at, kind, actor, details) in enumerate(events, start=1):
        info = hierarchy.audit_event_binding(chain=chain, seq=seq)
        sealed_value = details if fmt == 2 else {"actor": actor, "details": details}
        payload = _payload_v2(sealed_value)
        sealed = hybrid.seal_to(private.public_key(), payload, info=info)
        digest = hashlib.sha256(sealed).digest()
        if fmt == 2:
            material = bind("audit-event-mac", chain, seq, at, kind, actor or "", digest, key_id)
        else:
            material = bind("audit-event-mac-v3", chain, seq, at, kind, digest, key_id)
        event_hash = hmac.new(chain_key, prev + material, hashlib.sha256).digest()
        out.append({"seq": seq, "format": None if fmt == 2 else 3, "at": at, "kind": kind,
                    "actor_account_id": actor if fmt == 2 else None, "actor": actor,
                    "details": details, "info": info.hex(), "payload": payload.hex(),
                    "sealed": sealed.hex(), "sealed_sha256": digest.hex(), "key_id": key_id,
                    "prev_hash": prev.hex(), "material": material.hex(),
                    "hash": event_hash.hex()})  # fmt: skip
        prev = event_hash
    head_message = bind("audit-head", chain, len(events), prev)
    signature = Ed25519PrivateKey.from_private_bytes(signing_secret).sign(head_message)
    return {"chain": chain, "audit_private_key": private.raw.hex(),
            "signing_secret": signing_secret.hex(), "signing_key_id": key_id,
            "chain_key": chain_key.hex(), "events": out,
            "head": {"chain": chain, "seq": len(events), "hash": prev.hex(), "key_id": key_id,
                     "signature": _b64url(signature)}}  # fmt: skip


FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "bind.json": bind_vectors,
    "envelope_v1.json": envelope_vectors,
    "hybrid_v1.json": hybrid_vectors,
    "hierarchy_v1.json": hierarchy_vectors,
    "passphrase_v1.json": passphrase_vectors,
    "tokens_v1.json": tokens_vectors,
    "payload_v1.json": payload_vectors,
    "entry_part_v1.json": entry_part_vectors,
    "attachment_v1.json": attachment_vectors,
    "audit_v1.json": audit_vectors,
    "share_v1.json": share_vectors,
    "payload_v2.json": payload_v2_vectors,
    "audit_v2.json": audit_v2_vectors,
    "keyring_purposes.json": keyring_purposes_vectors,
    "slot_tags.json": slot_tags_vectors,
    "contacts.json": contacts_vectors,
    "copy_padding.json": copy_padding_vectors,
    "attachment_v2.json": attachment_v2_vectors,
    "device_digests.json": device_digests_vectors,
    "address_day_keys.json": address_day_keys_vectors,
    "record_metadata.json": record_metadata_vectors,
    "record_authors.json": record_authors_vectors,
    "record_tiers.json": record_tiers_vectors,
    "audit_v3.json": audit_v3_vectors,
}


def main() -> None:
    for name, build in FILES.items():
        path = HERE / name
        if path.exists():
            print(f"kept {name}: existing vectors are never rewritten")
            continue
        path.write_text(json.dumps(build(), indent=1) + "\n")
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
