"""Known answers for share links (docs/decisions/0002-share-links.md, vectors/share_v1.json).

Each vector is checked twice: through the project's code (keys.share, keys.hierarchy,
keys.envelope, keys.tokens), which must re-produce the deterministic ones byte for byte and open
the JWE copy; and through reference_decoder.py, which imports nothing from the project and opens
the copy with jwcrypto rather than joserfc. A link lives for months on paper as a QR code, and its
row must open for as long as it exists: a failure here is fixed in the code, never the vector.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from api.shl import MANIFEST_PATH
from consent.sharing import LinkAddresses
from keys import envelope, share, tokens
from keys.errors import CopyTooLarge, DecryptionFailed
from keys.hierarchy import SHARE_KEY, record_metadata_binding
from tests.unit.keys.reference import ref
from vault import payloads
from web.viewer import VIEWER_PATH

HERE = Path(__file__).parent

h = bytes.fromhex
SHARE = json.loads((HERE / "vectors" / "share_v1.json").read_text())
LINKS = SHARE["links"]
WRAP = SHARE["share_key_wrap"]
META = SHARE["meta_sealed"]
COPY = SHARE["copy"]
PASSCODE = SHARE["passcode"]
LINK_FILE = SHARE["link_file"]
PAYLOAD_ORDER = ["url", "key", "flag", "label", "v"]  # 0002: "in the member order above".


def flipped(blob: bytes) -> Iterator[bytes]:
    """The blob with one bit flipped: in the version byte, nonce, body and tag."""
    for i in sorted({0, 1, 12, 13, len(blob) // 2, len(blob) - 17, len(blob) - 1}):
        yield blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1 :]


def moved(ids: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ids with one changed at a time: the row moved to another link, person or epoch."""
    for name, value in ids.items():
        yield {**ids, name: value + 1 if isinstance(value, int) else value + "x"}


def assert_refuses(open_: Callable[..., Any], blob: bytes, ids: dict[str, Any]) -> None:
    for bad in flipped(blob):
        with pytest.raises(DecryptionFailed):
            open_(bad, **ids)
    for other in moved(ids):
        with pytest.raises(DecryptionFailed):
            open_(blob, **other)


def test_vectors_cover_the_cases_0002_names() -> None:
    # Without these the file would not pin sorting, cutting, NFC or UTF-8 in the payload.
    assert any(v["flags"] != v["payload"]["flag"] for v in LINKS)
    assert any(len(v["label"]) > share.MAX_LABEL for v in LINKS)
    assert any(not v["label"].isascii() for v in LINKS)
    assert any(v["base_url"].endswith("/") for v in LINKS)
    assert any(v["passcode"] != v["nfc"] for v in PASSCODE["vectors"])
    assert LINK_FILE["kind"] == "link-file"


# -- Through the project's code ---------------------------------------------------------------



def addresses(base_url: str) -> LinkAddresses:
    """The server's link addresses under ``base_url``, as the front doors route them."""
    return LinkAddresses.at(base_url, viewer_path=VIEWER_PATH, manifest_path=MANIFEST_PATH)


@pytest.mark.parametrize("v", LINKS, ids=lambda v: v["flags"])
def test_link(v: dict[str, Any]) -> None:
    manifest_id, share_key = h(v["manifest_id"]), h(v["share_key"])
    at = addresses(v["base_url"])
    made = share.shlink(viewer_url=at.viewer, manifest_url=at.manifest(manifest_id),
                        share_key=share_key, label=v["label"], flags=v["flags"])  # fmt: skip
    assert made == v["link"]
    assert made.split("#shlink:/")[1] == share.b64url(v["payload_json"].encode())
    payload = share.parse_shlink(made)
    assert payload == v["payload"] == json.loads(v["payload_json"])
    assert list(json.loads(v["payload_json"])) == PAYLOAD_ORDER  # No "exp": the server decides.
    assert share.unb64url(payload["key"]) == share_key
    assert share.parse_manifest_id(payload["url"].rsplit("/", 1)[1]) == manifest_id


@pytest.mark.parametrize("v", LINKS, ids=lambda v: v["flags"])
def test_link_lookup(v: dict[str, Any]) -> None:
    manifest_id = h(v["manifest_id"])
    assert share.lookup(manifest_id) == h(v["lookup"]) == tokens.lookup_digest("link", manifest_id)


def test_share_key_wrap() -> None:
    ids = {"share": WRAP["link_id"], "person": WRAP["person"], "epoch": WRAP["epoch"]}
    record_key, blob = h(WRAP["record_key"]), h(WRAP["blob"])
    assert SHARE_KEY.binding(ids) == h(WRAP["aad"])
    made = envelope.seal_with_nonce(record_key, h(WRAP["share_key"]), aad=h(WRAP["aad"]),
                                    nonce=h(WRAP["nonce"]))  # fmt: skip
    assert made == blob
    assert SHARE_KEY.unwrap(record_key, blob, **ids) == h(WRAP["share_key"])
    assert_refuses(lambda b, **i: SHARE_KEY.unwrap(record_key, b, **i), blob, ids)


def _open_meta(record_key: bytes, blob: bytes, *, person: str, link_id: str, epoch: int) -> Any:
    aad = record_metadata_binding(person=person, what=f"link:{link_id}", epoch=epoch)
    return payloads.decode(envelope.open_sealed(record_key, blob, aad=aad))


def test_meta_sealed() -> None:
    record_key, blob, plaintext = h(META["record_key"]), h(META["blob"]), h(META["plaintext"])
    ids = {"person": META["person"], "link_id": META["link_id"], "epoch": META["epoch"]}
    aad = record_metadata_binding(person=META["person"], what=f"link:{META['link_id']}", epoch=META["epoch"])
    assert aad == h(META["aad"])
    assert payloads.encode_v1(META["meta"]) == plaintext
    assert envelope.seal_with_nonce(record_key, plaintext, aad=aad, nonce=h(META["nonce"])) == blob
    assert _open_meta(record_key, blob, **ids) == META["meta"]
    assert_refuses(lambda b, **i: _open_meta(record_key, b, **i), blob, ids)


def test_meta_and_share_key_rebuild_the_link() -> None:
    # 0002: a full-scope member can rebuild the link's address from the row; this is how
    # vault.links.address does it, so the printed QR code never changes.
    meta = _open_meta(h(META["record_key"]), h(META["blob"]), person=META["person"],
                      link_id=META["link_id"], epoch=META["epoch"])  # fmt: skip
    share_key = SHARE_KEY.unwrap(h(WRAP["record_key"]), h(WRAP["blob"]), share=WRAP["link_id"],
                                 person=WRAP["person"], epoch=WRAP["epoch"])  # fmt: skip
    at = addresses(LINKS[0]["base_url"])
    rebuilt = share.shlink(viewer_url=at.viewer,
                           manifest_url=at.manifest(share.unb64url(meta["manifest_id"])),
                           share_key=share_key, label=meta["label"], flags="L")  # fmt: skip
    assert rebuilt == LINKS[0]["link"]


def test_copy_opens() -> None:
    share_key, plaintext = h(COPY["share_key"]), h(COPY["plaintext"])
    assert share.open_copy(share_key, COPY["jwe"]) == plaintext
    # The bundle's serialisation is part of the format (0002: sort_keys, compact, UTF-8).
    serialised = json.dumps(COPY["bundle"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert serialised.encode() == plaintext
    assert share.unb64url(COPY["jwe"].split(".")[0]).decode() == COPY["protected_header"]
    assert json.loads(COPY["protected_header"]) == share.JWE_HEADER


def test_copy_refuses_a_changed_vector() -> None:
    share_key, parts = h(COPY["share_key"]), COPY["jwe"].split(".")
    for i in (0, 2, 3, 4):  # Header, IV, ciphertext, tag; segment 1 (the key) is empty for dir.
        # The first character always carries six significant bits, so the bytes really change.
        changed = parts[i].replace(parts[i][0], "A" if parts[i][0] != "A" else "B", 1)
        with pytest.raises(DecryptionFailed):
            share.open_copy(share_key, ".".join([*parts[:i], changed, *parts[i + 1 :]]))
    with pytest.raises(DecryptionFailed):
        share.open_copy(h(WRAP["record_key"]), COPY["jwe"])


@pytest.mark.parametrize("v", PASSCODE["vectors"], ids=lambda v: v["passcode"].encode().hex())
def test_passcode(v: dict[str, Any]) -> None:
    message = share.passcode_message(v["link_id"], v["passcode"])
    assert message == h(v["message"]) == share.passcode_message(v["link_id"], v["nfc"])
    assert hmac.new(h(PASSCODE["key"]), message, hashlib.sha256).digest() == h(v["digest"])


def test_passcode_forms_of_one_text_share_a_digest() -> None:
    digests: dict[str, set[str]] = {v["nfc"]: set() for v in PASSCODE["vectors"]}
    for v in PASSCODE["vectors"]:
        digests[v["nfc"]].add(v["digest"])
    assert all(len(found) == 1 for found in digests.values())


def test_link_file() -> None:
    secret = h(LINK_FILE["secret"])
    assert tokens.lookup_digest("link-file", secret) == h(LINK_FILE["lookup"])
    # vault.links.open_file reads the token with parse_manifest_id.
    assert share.parse_manifest_id(LINK_FILE["token"]) == secret
    assert LINK_FILE["location"] == f"{LINKS[0]['base_url']}/shl/file/{LINK_FILE['token']}"
    # Kinds keep lookups apart: a location token is never a manifest id.
    assert share.lookup(secret) != h(LINK_FILE["lookup"])


# -- Through the reference decoder, which shares no code with the project ---------------------


def test_reference_decoder_stays_independent() -> None:
    tree = ast.parse((HERE / "reference_decoder.py").read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    project = ("keys", "vault", "consent", "api", "web")
    assert not [m for m in imported if m.split(".")[0] in project]
    # The copy must be opened by a second JOSE library, not the one keys/share.py uses.
    assert "jwcrypto" in imported
    assert not [m for m in imported if m.split(".")[0] == "joserfc"]


@pytest.mark.parametrize("v", LINKS, ids=lambda v: v["flags"])
def test_reference_link(v: dict[str, Any]) -> None:
    payload = ref.decode_shlink(v["link"])
    assert payload == v["payload"]
    assert ref.b64url_decode(payload["key"]) == h(v["share_key"])
    assert ref.b64url_decode(payload["url"].rsplit("/", 1)[1]) == h(v["manifest_id"])
    assert ref.lookup_digest("link", h(v["manifest_id"])) == h(v["lookup"])
    # The bare form, without the viewer prefix, is the same link.
    assert ref.decode_shlink(v["link"].split("#", 1)[1]) == payload


def test_reference_share_key_and_meta() -> None:
    share_key = ref.open_share_key(h(WRAP["record_key"]), h(WRAP["blob"]), link_id=WRAP["link_id"],
                                   person=WRAP["person"], epoch=WRAP["epoch"])  # fmt: skip
    assert share_key == h(WRAP["share_key"])
    meta = ref.open_link_meta(h(META["record_key"]), h(META["blob"]), person=META["person"],
                              link_id=META["link_id"], epoch=META["epoch"])  # fmt: skip
    assert meta == META["meta"]
    # The meta and the key together give the link's payload: its manifest URL and its key.
    payload = ref.decode_shlink(LINKS[0]["link"])
    assert payload["url"].rsplit("/", 1)[1] == meta["manifest_id"]
    assert ref.b64url_decode(payload["key"]) == share_key
    with pytest.raises(InvalidTag):
        ref.open_link_meta(h(META["record_key"]), h(META["blob"]), person=META["person"],
                           link_id=WRAP["link_id"] + "x", epoch=META["epoch"])  # fmt: skip


def test_reference_copy_opens_with_jwcrypto() -> None:
    header, plaintext = ref.open_copy(h(COPY["share_key"]), COPY["jwe"])
    # Exactly 0002's header, byte for byte, as written in the decision.
    assert header == b'{"alg":"dir","enc":"A256GCM","cty":"application/fhir+json"}'
    assert plaintext == h(COPY["plaintext"])
    assert json.loads(plaintext.decode("utf-8")) == COPY["bundle"]


def test_reference_passcode_and_link_file() -> None:
    for v in PASSCODE["vectors"]:
        assert ref.passcode_digest(h(PASSCODE["key"]), v["link_id"], v["passcode"]) == h(v["digest"])
        assert ref.bind("link-passcode", v["link_id"]) + v["nfc"].encode() == h(v["message"])
    secret = h(LINK_FILE["secret"])
    assert ref.lookup_digest("link-file", secret) == h(LINK_FILE["lookup"])
    assert ref.b64url_decode(LINK_FILE["location"].rsplit("/", 1)[1]) == secret


# -- Padded copies (docs/decisions/0008) ------------------------------------------------------

PADDING = json.loads((HERE / "vectors" / "copy_padding.json").read_text())


@pytest.mark.parametrize("case", PADDING["buckets"], ids=lambda c: str(c["json_length"]))
def test_a_copy_is_padded_to_the_decisions_bucket(case: dict[str, int]) -> None:
    padded = share.pad_copy(b"{" + b"0" * (case["json_length"] - 1))
    assert len(padded) == case["padded_length"] == ref.copy_bucket(case["json_length"])
    assert set(padded[case["json_length"]:]) <= {0x20}


def test_a_padded_copy_opens_to_the_same_json_for_any_reader() -> None:
    key, plaintext = bytes.fromhex(PADDING["share_key"]), bytes.fromhex(PADDING["plaintext"])
    for opened in (share.open_copy(key, PADDING["jwe"]), ref.open_copy(key, PADDING["jwe"])[1]):
        assert len(opened) == PADDING["padded_length"]
        assert json.loads(opened) == json.loads(plaintext)  # JSON allows trailing spaces.
    sealed = share.seal_copy(key, plaintext)
    assert share.open_copy(key, sealed) == share.pad_copy(plaintext)
    assert len(sealed) == len(PADDING["jwe"])  # Same bucket, same length: only the IV differs.


def test_a_copy_over_the_limit_is_refused_before_padding() -> None:
    with pytest.raises(CopyTooLarge):
        share.pad_copy(b" " * (share.MAX_COPY_BYTES + 1))
