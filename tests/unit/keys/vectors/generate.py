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
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))  # The repository root, when run as a script.

from keys import envelope, hierarchy, hybrid, passphrase, tokens  # noqa: E402
from keys.binding import bind  # noqa: E402

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


FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "bind.json": bind_vectors,
    "envelope_v1.json": envelope_vectors,
    "hybrid_v1.json": hybrid_vectors,
    "hierarchy_v1.json": hierarchy_vectors,
    "passphrase_v1.json": passphrase_vectors,
    "tokens_v1.json": tokens_vectors,
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
