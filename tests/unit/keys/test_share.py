"""Unit tests of keys/share.py: the link, its manifest id, its passcode message and its JWE copy.

The formats themselves are pinned by test_share_vectors.py; these tests check what the
functions accept and refuse, since a link is text a stranger can type or tamper with.
Third-party tokens are made with jwcrypto, so the refusals do not depend on joserfc building them.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from typing import Any

import pytest
from jwcrypto import jwe, jwk

from api.shl import MANIFEST_PATH
from consent.sharing import LinkAddresses
from keys import share, tokens
from keys.binding import bind
from keys.errors import CopyTooLarge, DecryptionFailed, InvalidKeyMaterial
from web.viewer import VIEWER_PATH

KEY = bytes(range(32))
MANIFEST_ID = bytes(range(100, 132))
BASE = "https://tellonce.example.org"
BUNDLE = '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"name":"Zoë"}}]}'.encode()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwcrypto_token(header: dict[str, Any], key: bytes = KEY, plaintext: bytes = BUNDLE) -> str:
    """A compact JWE made by another library, with whatever header a third party might choose."""
    made = jwe.JWE(plaintext, protected=json.dumps(header))
    made.add_recipient(jwk.JWK(kty="oct", k=b64(key)))
    return str(made.serialize(compact=True))


def addresses(base_url: str) -> LinkAddresses:
    """The server's link addresses under ``base_url``, as the front doors route them."""
    return LinkAddresses.at(base_url, viewer_path=VIEWER_PATH, manifest_path=MANIFEST_PATH)


def link(label: str = "For Dr Okafor", flags: str = "L", base_url: str = BASE) -> str:
    at = addresses(base_url)
    return share.shlink(viewer_url=at.viewer, manifest_url=at.manifest(MANIFEST_ID), share_key=KEY,
                        label=label, flags=flags)  # fmt: skip


def shlink_of(payload: Any) -> str:
    return share.SHLINK_PREFIX + b64(json.dumps(payload).encode())


# -- The JWE copy -----------------------------------------------------------------------------


def test_copy_round_trip() -> None:
    """What comes back is the copy padded with spaces (decision 0008): the same JSON."""
    assert share.open_copy(KEY, share.seal_copy(KEY, BUNDLE)).rstrip(b" ") == BUNDLE
    assert share.open_copy(KEY, share.seal_copy(KEY, b"")) == b" " * share.MIN_COPY_BUCKET


def test_copy_has_0002s_header_and_a_fresh_iv_each_time() -> None:
    first, second = share.seal_copy(KEY, BUNDLE), share.seal_copy(KEY, BUNDLE)
    header, encrypted_key, iv, _, tag = first.split(".")
    assert share.unb64url(header) == b'{"alg":"dir","enc":"A256GCM","cty":"application/fhir+json"}'
    assert encrypted_key == ""  # "dir": the share key itself is the content key.
    assert (len(share.unb64url(iv)), len(share.unb64url(tag))) == (12, 16)
    # The same key seals every update of a link, so a repeated IV would break AES-GCM.
    assert second.split(".")[2] != iv
    assert second != first


def test_copy_is_read_by_another_jose_library() -> None:
    opened = jwe.JWE()
    opened.deserialize(share.seal_copy(KEY, BUNDLE), key=jwk.JWK(kty="oct", k=b64(KEY)))
    assert opened.payload == share.pad_copy(BUNDLE)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_seal_copy_refuses_a_key_of_another_length(length: int) -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.seal_copy(bytes(length), BUNDLE)


def test_open_copy_refuses_a_wrong_key() -> None:
    token = share.seal_copy(KEY, BUNDLE)
    for wrong in (bytes(32), KEY[:-1] + bytes([KEY[-1] ^ 1]), KEY[:31], KEY + b"\x00"):
        with pytest.raises(DecryptionFailed):
            share.open_copy(wrong, token)


def test_open_copy_refuses_a_short_key_with_decryption_failed() -> None:
    with pytest.raises(DecryptionFailed):
        share.open_copy(b"short", share.seal_copy(KEY, BUNDLE))


def _tampered(token: str) -> list[str]:
    parts = token.split(".")
    out = []
    for i in (0, 2, 3, 4):  # Header, IV, ciphertext, tag.
        # The first character of a segment carries six significant bits: the bytes change.
        changed = ("B" if parts[i][0] == "A" else "A") + parts[i][1:]
        out.append(".".join([*parts[:i], changed, *parts[i + 1 :]]))
    out.append(".".join([*parts[:1], b64(KEY), *parts[2:]]))  # An encrypted key where dir has none.
    out.append(".".join(parts[:4]))  # No tag.
    return out


def test_open_copy_refuses_a_tampered_token() -> None:
    for bad in _tampered(share.seal_copy(KEY, BUNDLE)):
        with pytest.raises(DecryptionFailed):
            share.open_copy(KEY, bad)


@pytest.mark.parametrize("garbage", ["", "not a jwe", "a.b.c.d.e", "....", "e30.....", "e30"])
def test_open_copy_refuses_garbage(garbage: str) -> None:
    with pytest.raises(DecryptionFailed):
        share.open_copy(KEY, garbage)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "dir", "enc": "A256GCM"},  # No cty: what the original SHL spec's example has.
        {"alg": "dir", "enc": "A256GCM", "cty": "application/smart-health-card"},
        {"alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json", "zip": "DEF"},
        {"alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json", "kid": "k1"},
        {"alg": "A256KW", "enc": "A256GCM", "cty": "application/fhir+json"},
    ],
    ids=["no-cty", "other-cty", "zip", "kid", "key-wrap"],
)
def test_open_copy_refuses_any_other_header(header: dict[str, str]) -> None:
    # 0002: "A reader refuses any other header." Compression in particular is refused: the
    # project never writes it, and inflating a stranger's token is a decompression bomb risk.
    token = jwcrypto_token(header)
    with pytest.raises(DecryptionFailed):
        share.open_copy(KEY, token)


def test_open_copy_opens_0002s_header_from_another_library() -> None:
    token = jwcrypto_token({"alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json"})
    assert share.open_copy(KEY, token) == BUNDLE


# -- The manifest id --------------------------------------------------------------------------


def test_parse_manifest_id_round_trip() -> None:
    text = b64(MANIFEST_ID)
    assert len(text) == 43
    assert share.parse_manifest_id(text) == MANIFEST_ID


def _non_canonical(text: str) -> str:
    """The same 32 bytes with a padding bit set in the last character (43 chars hold 258 bits)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]


def test_non_canonical_helper_really_gives_the_same_bytes() -> None:
    text = b64(MANIFEST_ID)
    assert _non_canonical(text) != text
    assert share.unb64url(_non_canonical(text)) == MANIFEST_ID


STANDARD = b64(bytes([0xFB] * 32))  # "-_v7...": every "-" and "_" to swap for "+" and "/".


@pytest.mark.parametrize(
    "text",
    [
        "", b64(MANIFEST_ID)[:42], b64(MANIFEST_ID) + "A", b64(MANIFEST_ID[:31]), b64(MANIFEST_ID + b"\x00"),
        b64(MANIFEST_ID)[:42] + "=",  # Padding.
        b64(MANIFEST_ID[:30]) + "==",  # 43 characters, 30 bytes, padded.
        STANDARD.replace("-", "+").replace("_", "/"),  # Standard base64, not base64url.
        b64(MANIFEST_ID)[:42] + "!", b64(MANIFEST_ID)[:42] + " ", b64(MANIFEST_ID)[:42] + "é",
        _non_canonical(b64(MANIFEST_ID)),
    ],
    ids=["empty", "42", "44", "31-bytes", "33-bytes", "padded", "padded-30", "standard-b64",
         "bang", "space", "non-ascii", "non-canonical"],
)  # fmt: skip
def test_parse_manifest_id_refuses(text: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.parse_manifest_id(text)


def test_lookup_is_0001s_bearer_lookup_of_kind_link() -> None:
    assert share.lookup(MANIFEST_ID) == tokens.lookup_digest("link", MANIFEST_ID)
    assert share.lookup(MANIFEST_ID) != tokens.lookup_digest("link-file", MANIFEST_ID)


def test_new_secrets_are_two_distinct_32_byte_values() -> None:
    manifest_id, share_key = share.new_secrets()
    assert (len(manifest_id), len(share_key)) == (32, 32)
    assert manifest_id != share_key
    assert share.new_secrets() != (manifest_id, share_key)


# -- The passcode message ---------------------------------------------------------------------


def test_passcode_message_is_the_link_binding_and_the_nfc_passcode() -> None:
    message = share.passcode_message("link-1", "cafe\u0301-42")
    assert message == bind("link-passcode", "link-1") + "caf\u00e9-42".encode()
    assert message == share.passcode_message("link-1", "caf\u00e9-42")


def test_the_two_passcode_spellings_really_differ_until_normalised() -> None:
    # A guard on the test data: otherwise the NFC test above would prove nothing.
    decomposed, composed = "cafe\u0301-42", "caf\u00e9-42"
    assert decomposed != composed
    assert unicodedata.normalize("NFC", decomposed) == composed


def test_passcode_message_is_bound_to_its_link() -> None:
    # Otherwise a digest copied to another link's row would match there.
    assert share.passcode_message("link-1", "1234") != share.passcode_message("link-2", "1234")
    assert share.passcode_message("link-1", "1234") != share.passcode_message("link-11", "234")


def test_passcode_message_keeps_case_and_spaces() -> None:
    # Only NFC: a passcode is a secret, and folding it would shrink the space to guess.
    forms = {share.passcode_message("l", p) for p in ("Blue door", "blue door", "Blue  door")}
    assert len(forms) == 3


# -- The link ---------------------------------------------------------------------------------


def test_shlink_round_trip_with_its_viewer_prefix() -> None:
    text = link()
    assert text.startswith(f"{BASE}/view#shlink:/")
    payload = share.parse_shlink(text)
    assert payload == {"url": f"{BASE}/shl/{b64(MANIFEST_ID)}", "key": b64(KEY), "flag": "L",
                       "label": "For Dr Okafor", "v": 1}  # fmt: skip
    assert list(payload) == ["url", "key", "flag", "label", "v"]
    assert share.unb64url(payload["key"]) == KEY


def test_shlink_parses_bare_and_under_another_viewer() -> None:
    bare = link().split("#", 1)[1]
    assert bare.startswith("shlink:/")
    for text in (bare, f"https://viewer.example.org#{bare}", f"https://v.example/a#b#{bare}"):
        assert share.parse_shlink(text) == share.parse_shlink(link())


def test_shlink_payload_is_compact_unpadded_and_utf8() -> None:
    encoded = link(label="Zoë — 私").split("#shlink:/", 1)[1]
    assert "=" not in encoded
    raw = share.unb64url(encoded)
    # Minified, as the SHL specification asks, and UTF-8 with no \\u escapes (0002).
    assert raw == json.dumps(share.parse_shlink(link(label="Zoë — 私")), separators=(",", ":"),
                             ensure_ascii=False).encode()  # fmt: skip
    assert "Zoë — 私".encode() in raw


def test_shlink_has_no_exp() -> None:
    # The server's expiry decides, so renewing keeps the same link and the same QR code.
    assert "exp" not in share.parse_shlink(link(flags="LP"))


def test_shlink_cuts_the_label_to_80_characters() -> None:
    long = "é" * 79 + "ab" + "c" * 10
    payload = share.parse_shlink(link(label=long))
    assert payload["label"] == "é" * 79 + "a"
    assert share.parse_shlink(link(label="x" * 80))["label"] == "x" * 80


@pytest.mark.parametrize(("flags", "expected"), [("L", "L"), ("PL", "LP"), ("LP", "LP"), ("PLP", "LP")])
def test_shlink_sorts_its_flags(flags: str, expected: str) -> None:
    assert share.parse_shlink(link(flags=flags))["flag"] == expected


def test_shlink_strips_a_trailing_slash_from_the_base() -> None:
    assert link(base_url=BASE + "/") == link()


def _payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"url": f"{BASE}/shl/{b64(MANIFEST_ID)}", "key": b64(KEY), "v": 1}
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def test_parse_shlink_accepts_a_minimal_payload() -> None:
    assert share.parse_shlink(shlink_of(_payload())) == _payload()


@pytest.mark.parametrize(
    "text",
    [
        b64(json.dumps(_payload()).encode()),  # No prefix at all.
        "shlink:" + b64(json.dumps(_payload()).encode()),  # "shlink:" without the slash.
        "SHLINK:/" + b64(json.dumps(_payload()).encode()),
        f"{BASE}/view#" + b64(json.dumps(_payload()).encode()),
        f"{BASE}/view#shlink:/",
        shlink_of(_payload()) + "#",  # The part after the last "#" is empty.
    ],
    ids=["bare-base64", "no-slash", "upper-case", "viewer-no-prefix", "empty", "trailing-hash"],
)
def test_parse_shlink_refuses_a_missing_prefix(text: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.parse_shlink(text)


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"{", b'{"url": "x", "key": "y"', b"\xff\xfe", b"[]", b'"text"', b"null", b"42",
     json.dumps({"key": b64(KEY)}).encode(), json.dumps({"url": 7, "key": b64(KEY)}).encode()],
    ids=["text", "open", "truncated", "not-utf8", "list", "string", "null", "number", "no-url",
         "url-not-string"],
)  # fmt: skip
def test_parse_shlink_refuses_bad_json(raw: bytes) -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.parse_shlink(share.SHLINK_PREFIX + b64(raw))


def test_parse_shlink_refuses_a_padded_payload() -> None:
    encoded = base64.urlsafe_b64encode(json.dumps(_payload()).encode()).decode()
    assert encoded.endswith("=")
    with pytest.raises(InvalidKeyMaterial):
        share.parse_shlink(share.SHLINK_PREFIX + encoded)


@pytest.mark.parametrize(
    "key",
    [None, "", b64(KEY[:31]), b64(KEY + b"\x00"), b64(bytes(16)), b64(KEY) + "=", 32, ["k"],
     base64.urlsafe_b64encode(KEY).decode() + "=="],
    ids=["missing", "empty", "31-bytes", "33-bytes", "16-bytes", "padded", "number", "list",
         "double-padded"],
)  # fmt: skip
def test_parse_shlink_refuses_a_key_not_32_bytes(key: Any) -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.parse_shlink(shlink_of(_payload(key=key)))


# -- Damaged links and keys are refused, never read as something else ------------------------


@pytest.mark.parametrize(
    "text",
    [STANDARD.replace("-", "+").replace("_", "/"), b64(KEY)[:20] + "!." + b64(KEY)[20:]],
    ids=["standard-alphabet", "stray-characters"],
)
def test_unb64url_refuses_anything_but_base64url(text: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.unb64url(text)


def test_parse_shlink_refuses_stray_characters_in_the_payload() -> None:
    encoded = b64(json.dumps(_payload()).encode())
    with pytest.raises(InvalidKeyMaterial):
        share.parse_shlink(share.SHLINK_PREFIX + encoded[:10] + "!!" + encoded[10:])


def test_parse_shlink_refuses_deeply_nested_json() -> None:
    with pytest.raises(InvalidKeyMaterial):
        share.parse_shlink(share.SHLINK_PREFIX + b64(b"[" * 100_000))


def test_every_copy_up_to_the_limit_opens_and_a_bigger_one_is_never_made() -> None:
    # joserfc refuses ciphertexts over 64 KiB unless told: the largest copy allowed must open.
    largest = b"x" * share.MAX_COPY_BYTES
    assert share.open_copy(KEY, share.seal_copy(KEY, largest)) == largest
    with pytest.raises(CopyTooLarge):
        share.seal_copy(KEY, largest + b"x")
