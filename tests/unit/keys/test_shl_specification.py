"""The SMART Health Links specification's own examples, read by keys/share.py.

The data below is copied verbatim from the specification, not made by this project:

- HL7 FHIR IG "SMART Health Cards and Links" (STU1), page "Health Links Specification",
  https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html
  (source: https://github.com/HL7/smart-health-cards-and-links/blob/
  b66b6ed891266ce51bd62f845b6cca6043bd9284/input/pagecontent/links-specification.md),
  sections "Example SMART Health Link Generation" and "Example Encryption" / "Example Decryption".
- The original specification it came from, https://docs.smarthealthit.org/smart-health-links/spec
  (source: https://github.com/smart-on-fhir/smart-health-links/blob/
  9895253db20e528e1aa94b28e27d91ba2c5b5b31/docs/spec.md), whose example JWE predates the
  ``cty`` header.

keys.share.open_copy deliberately refuses every header but 0002's
(``cty`` ``application/fhir+json``), and the specification's example files carry a SMART
Health Card (``application/smart-health-card``) or no ``cty`` at all. So the examples' JWEs
are opened here one level down, with joserfc's ``decrypt_compact``, the call open_copy makes,
and with jwcrypto as a second reader; open_copy itself must refuse them.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwe as joserfc_jwe
from joserfc.jwk import OctKey
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk

from api.shl import MANIFEST_PATH
from consent.sharing import LinkAddresses
from keys import share
from keys.errors import DecryptionFailed
from tests.unit.keys.reference import ref
from web.viewer import VIEWER_PATH

HERE = Path(__file__).parent

# "Example SMART Health Link Generation": the payload, as the example's shlinkJsonPayload.
SPEC_PAYLOAD = {
    "url": "https://ehr.example.org/qr/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1JnlPVNL3kDWM/m",
    "flag": "LP",
    "key": "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q",
    "label": "Back-to-school immunizations for Oliver Brown",
}
# Its encodedPayload, split only to fit the line length.
ENCODED_PAYLOAD = (
    "eyJ1cmwiOiJodHRwczovL2Voci5leGFtcGxlLm9yZy9xci9ZOXh3a1VkdG1OOXd3b0pvTjNmZkpJaFgyVUd2Q0wxSm5sUFZO"
    "TDNrRFdNL20iLCJmbGFnIjoiTFAiLCJrZXkiOiJyeFRnWWxPYUtKUEZ0Y0VkMHFjY2VOOHdFVTRwOTRTcUF3SVdRZTZ1WDdR"
    "IiwibGFiZWwiOiJCYWNrLXRvLXNjaG9vbCBpbW11bml6YXRpb25zIGZvciBPbGl2ZXIgQnJvd24ifQ"
)

STU1_JWE = (
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiY3R5IjoiYXBwbGljYXRpb24vc21hcnQtaGVhbHRoLWNhcmQifQ..B9Bd"
    "5AW751az-gEx.iah6mxLb5TQe2ZfCwEUs4R1t8WoP0mnFc-TUzN1NIyzUeDwJNOcxv4CY8wV6ys4Dicnr3IhqTvVU1RbR-4e"
    "q1GCd4g96faV8_0MbHwXzP246Tz9BDLhQ2zlAjYqvvCi_JuWdyWqGhKeWGX1XibNHFzzVT0FmYensfKF4o0uSeZWQDKVEEhz"
    "MSKuALMpUkfwHcmCRfLT-ctANSxq-Zj0IIeT66XbztOomStjlfi-F-FaqBGZfHOARCVvT143CTYELLJCUdD4qUVkrNuLmRZr"
    "NuqVpY0g5BjABswkIoDmyoRJAEohuZCamZNA--p-uRqJjRefED1eMrKSppabV2ugaqoFlieujTOE-a3VKib9aC-lFsmLalkw"
    "h9ctr_FZqS9H46rqGjGcOxtAXalo1jkMPGupVsE1W-xIH14wbPCYcgfldH9SH7X60462kxD8OFdHpvnnfAvjQnaE4QDqasT5"
    "ySpBRtck4GVxs2IRBt62-kOlzoI8lHapLdwIms-Gdt7z38E47ZE3afE4IIbobPGz7wGvjbi3z234ARvGQ4jREgPQb1NRYAEt"
    "ZlrZNzR6N7ofXD8jF502tw-QWI_Ox0jFP5tynIiMp-hG25ecQ0s4MzPHFC0ZABPamgg3MS-UILl76gMDCHS5Te_JAXZoC1Hn"
    "kETw5M217SaG5ISAU0F5qETMREfTjZR9E45MDhnw7uY1vo2lffRB3ei1QqGuLh0gUnVU7TUfFYwcOqV15sb0t1lMj0mmyG5v"
    "-_dE9H6dYtRKJARltmdfSmc1HisBewx75Xh5ChJQ1hiCEDaZ1wqFjsFJ6SrKgJ7C1N7vx6QKx8YXwFH7ePG2qG39leT5JKZn"
    "qAvi9fqc6x-YwfhSjbRKGZoj2o55Fd2fbwtK6CXpiW6AekT7PUcl_7ynTq-DaQ_Yc29WwtmgapcCRNpfcMsoqCD4giu1V3Sj"
    "5DQLglwuk1gAMcuV5fo8JpABu2_is83WZ_GJ1WWMUxyZGq6u-EGuZrP96Yewb7-zfnt2lao_LJg1ef5cqDTW7-0MS27wkmLi"
    "Ii0e-PYvS-UfWVHg1oNbR-MHXMVEQ6gqNg08IgEyPDSFCUbf75HuMILN80bQNtSlFj6FR7uNKHr8sigvKI80k.5flOKKmeqY"
    "m0TamwROr8Nw"
)

ORIGINAL_JWE = (
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..8zH0NmUXGwMOqEya.xdGRpgyvE9vNoKzHlr4itKKW2von-aW1Feu3iS"
    "Kv4S6wccXhLHW02e_Opi8hG4ma--gFCj-xv8KIisbQEmUJjxb_dZQhCpi2H5Qh-S_Ko5lUFlzC6y5blJNAEtB4Aflcnknhvn"
    "9x_2ygi7nOFkFYUKgLDU2wjXxn0g_M23lSjpnfIUdKw9nhRXPp6j55HpJT_mZGn8_fYjnqZ7zV-iVu4AIGlIs_dBYoKqVIHx"
    "jr-Is0jLK8KQ68iQcsRLxCpTZnoaeJCvJ0aW69J8-7Ndr87gbUG56CduCZPfl0USPerA4RphKd1PbYjkkbOR53sb-khs-XZg"
    "VZKHJwXmoF7G50-chmuSEFcB4w9l4w_rNbnze8DjYusuF8kBUI75Ms10ss4WoBINt7nHpiipZH0XJE0btyKC8Ew0tqqrWxJP"
    "cdQrKzQdiyv3-SgHH3_UjzwcIc2KmsP33wpViQ1BCXqwhA5njWzwWFHOZ1aQ_7gbO_Xwqc6tRx2fvVu8dTfU30HtTff__xln"
    "QIu1gGA9bIdlO0fp6mPcZdGl_tUkjweVxX5QdddIASY1AUGg9uAi4FCdCtnWVwIgq1e9cRrqPhLC-LjOHys_ihx_Taj_53uF"
    "Vh0skoQeVV132X04N1p5MPFZz0G-2OIsUQudCH5jmx0Ca0tSESYdhAnBxNHFLNJ-Dl3aW0HdRJxJuGtY0nAquwoBa2_sUkhx"
    "1Qe6ghy0khddpa9cgbbULde9gawjxe3O04K00eD9-6dxzLSNhARPO_Zs98O9L8ngoW8Mppbif43vP9SkRUwqjeiWVU_wHK55"
    "VpZYCba5owG8FIZEH3khk9DpYk_pLRwztRpN0Q2jY2BqbTXn3eD-shGucKMiY4hqzaJTd7Wwx8eRghITDtY_BbfKV0PsxbT2"
    "gIb4oaXwuXgfifUqXEsK8e4zDoc6MU62ABEoqlG_CwpkhJBg-69dXTXkiE7VapPs4TjxvxHu7Eg3dewtNKUuWRgCHht2cXD0"
    "C8if-mOltaySZCgOnrSXRJJE0Pf8gEMHZTwf0bx4XdMGydT5vmcAspKmWscy_80VIvCb4muBNMWeJdrVhBKviLjd-GwqxfUK"
    "_HQN7kFF7ZDwlzvBxq.ek65P9quBJl0ze11WteQgA"
)

SPEC_BARE = "shlink:/" + ENCODED_PAYLOAD  # The example's shlinkBare.
SPEC_VIEWER = "https://viewer.example.org#" + SPEC_BARE  # The example's shlink.
# "Example Decryption" prints the protected header's cty and the start of the decoded file.
STU1_HEADER = {"alg": "dir", "enc": "A256GCM", "cty": "application/smart-health-card"}
ORIGINAL_HEADER = {"alg": "dir", "enc": "A256GCM"}
SHC_JWS_START = (
    "eyJ6aXAiOiJERUYiLCJhbGciOiJFUzI1NiIsImtpZCI6IjNLZmRnLVh3UC03Z1h5eXd0VWZVQUR3QnVtRE9QS01ReC1pRUxMMTFX"
)
EXAMPLE_JWES = [(STU1_JWE, STU1_HEADER), (ORIGINAL_JWE, ORIGINAL_HEADER)]
JWE_IDS = ["stu1-with-cty", "original-without-cty"]


def spec_key() -> bytes:
    return share.unb64url(SPEC_PAYLOAD["key"])


# -- The example link -------------------------------------------------------------------------


@pytest.mark.parametrize("link", [SPEC_BARE, SPEC_VIEWER], ids=["bare", "viewer-prefixed"])
def test_parse_shlink_reads_the_specifications_link(link: str) -> None:
    assert share.parse_shlink(link) == SPEC_PAYLOAD
    assert len(spec_key()) == 32


@pytest.mark.parametrize("link", [SPEC_BARE, SPEC_VIEWER], ids=["bare", "viewer-prefixed"])
def test_reference_decoder_reads_the_specifications_link(link: str) -> None:
    assert ref.decode_shlink(link) == SPEC_PAYLOAD


def test_our_encoding_of_the_example_payload_is_the_specifications() -> None:
    # The example is JSON.stringify (minified, members in insertion order) then unpadded
    # base64url: the same steps shlink takes, so our encoder agrees with the spec's byte for byte.
    minified = json.dumps(SPEC_PAYLOAD, separators=(",", ":"), ensure_ascii=False).encode()
    assert share.b64url(minified) == ENCODED_PAYLOAD


def test_shlink_cannot_reproduce_the_example_and_why() -> None:
    # 0002 fixes its own member order (url, key, flag, label, v), adds "v": 1 and its own URL
    # layout (BASE/shl/ID), so shlink never writes the example's text; what must agree is the
    # payload a receiver reads, which the two tests above check.
    at = LinkAddresses.at("https://ehr.example.org", viewer_path=VIEWER_PATH,
                          manifest_path=MANIFEST_PATH)
    ours = share.parse_shlink(share.shlink(viewer_url=at.viewer, manifest_url=at.manifest(bytes(32)),
                                           share_key=spec_key(), label=SPEC_PAYLOAD["label"],
                                           flags="PL"))  # fmt: skip
    shared = ("key", "flag", "label")
    assert {k: ours[k] for k in shared} == {k: SPEC_PAYLOAD[k] for k in shared}
    assert list(ours) == ["url", "key", "flag", "label", "v"]
    assert list(SPEC_PAYLOAD) == ["url", "flag", "key", "label"]


# -- The example JWEs -------------------------------------------------------------------------


def _assert_example_file(plaintext: bytes) -> None:
    """The decoded file is the SMART Health Card the example decrypts to."""
    decoded = json.loads(plaintext)
    assert list(decoded) == ["verifiableCredential"]
    assert len(decoded["verifiableCredential"]) == 1
    assert decoded["verifiableCredential"][0].startswith(SHC_JWS_START)


@pytest.mark.parametrize(("token", "header"), EXAMPLE_JWES, ids=JWE_IDS)
def test_the_example_jwe_opens_with_joserfc_under_the_links_key(token: str, header: dict[str, Any]) -> None:
    # The link's key opens the example file: the two examples share one key.
    result = joserfc_jwe.decrypt_compact(token, OctKey.import_key(spec_key()), algorithms=["dir", "A256GCM"])
    assert result.protected == header
    assert result.plaintext is not None
    _assert_example_file(result.plaintext)


@pytest.mark.parametrize(("token", "header"), EXAMPLE_JWES, ids=JWE_IDS)
def test_the_example_jwe_opens_with_jwcrypto(token: str, header: dict[str, Any]) -> None:
    opened = jwcrypto_jwe.JWE()
    opened.allowed_algs = ["dir", "A256GCM"]
    opened.deserialize(token, key=jwk.JWK(kty="oct", k=SPEC_PAYLOAD["key"]))
    assert opened.jose_header == header
    _assert_example_file(opened.payload)


@pytest.mark.parametrize(("token", "header"), EXAMPLE_JWES, ids=JWE_IDS)
def test_open_copy_refuses_the_examples_other_headers(token: str, header: dict[str, Any]) -> None:
    # Right key, sound ciphertext, but not 0002's header: a Tell Once copy is FHIR JSON only.
    assert header != share.JWE_HEADER
    with pytest.raises(DecryptionFailed):
        share.open_copy(spec_key(), token)
    # The independent reader of 0002 refuses them for the same reason.
    with pytest.raises(ValueError, match="not the copy header of 0002"):
        ref.open_copy(spec_key(), token)


@pytest.mark.parametrize(("token", "header"), EXAMPLE_JWES, ids=JWE_IDS)
def test_the_example_jwe_has_the_layout_the_spec_requires(token: str, header: dict[str, Any]) -> None:
    protected, encrypted_key, iv, ciphertext, tag = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(protected + "==")) == header
    assert encrypted_key == ""  # "alg": "dir".
    assert (len(share.unb64url(iv)), len(share.unb64url(tag))) == (12, 16)
    assert ciphertext


# -- Our links, checked against the specification's payload rules ----------------------------

OUR_LINKS = json.loads((HERE / "vectors" / "share_v1.json").read_text())["links"]


@pytest.mark.parametrize("v", OUR_LINKS, ids=lambda v: v["flags"])
def test_our_links_follow_the_specifications_payload_rules(v: dict[str, Any]) -> None:
    # The rules of "Construct a SMART Health Link Payload", applied to 0002's vectors.
    encoded = v["link"].rsplit("#", 1)[1].removeprefix("shlink:/")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", encoded)  # Unpadded base64url.
    payload = json.loads(share.unb64url(encoded))
    assert share.unb64url(encoded).decode() == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    assert payload["url"].startswith("https://")
    assert len(payload["url"]) <= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", payload["url"].rsplit("/", 1)[1])  # 256 bits.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", payload["key"])
    assert payload["flag"] in {"L", "P", "LP", "U", "LU"}
    assert payload["flag"] == "".join(sorted(payload["flag"]))
    assert len(payload["label"]) <= 80
    assert payload["v"] == 1
