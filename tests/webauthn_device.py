"""A software passkey for tests that do not run a browser: the device at the far end of WebAuthn.

It answers the server's options the way a phone would, with a P-256 key from ``cryptography``
and CBOR from the ``webauthn`` package, so the server's real verification runs on its answers.
Browser tests use Chromium's own virtual authenticator instead.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, encode_cbor

# Flags in authenticator data (WebAuthn 6.1): user present, user verified, credential data.
UP, UV, AT = 0x01, 0x04, 0x40


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                       "crossOrigin": False}).encode()


@dataclass
class SoftPasskey:
    origin: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sign_count: int = 0
    rp_id: str = ""

    def _cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # COSE_Key for ES256 (RFC 9053): kty EC2, alg -7, crv P-256, x, y.
        return encode_cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    def create(self, options_json: str) -> str:
        """The answer to ``navigator.credentials.create`` with these options, as JSON."""
        options: dict[str, Any] = json.loads(options_json)
        self.rp_id = options["rp"]["id"]
        attested = (bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
                    + self._cose_public_key())
        attestation = encode_cbor({"fmt": "none", "attStmt": {},
                                   "authData": self._auth_data(UP | UV | AT, attested)})
        client_data = _client_data("webauthn.create", options["challenge"], self.origin)
        return self._answer({"clientDataJSON": bytes_to_base64url(client_data),
                             "attestationObject": bytes_to_base64url(attestation),
                             "transports": ["internal"]})

    def get(self, options_json: str, *, challenge: str | None = None) -> str:
        """The answer to ``navigator.credentials.get``; ``challenge`` overrides the options'."""
        options: dict[str, Any] = json.loads(options_json)
        allowed = [base64url_to_bytes(c["id"]) for c in options.get("allowCredentials", [])]
        assert not allowed or self.credential_id in allowed, "this passkey was not asked for"
        self.rp_id = options["rpId"]
        self.sign_count += 1
        auth_data = self._auth_data(UP | UV)
        client_data = _client_data("webauthn.get", challenge or options["challenge"],
                                   self.origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return self._answer({"clientDataJSON": bytes_to_base64url(client_data),
                             "authenticatorData": bytes_to_base64url(auth_data),
                             "signature": bytes_to_base64url(signature)})

    def _answer(self, response: dict[str, Any]) -> str:
        credential_id = bytes_to_base64url(self.credential_id)
        return json.dumps({"id": credential_id, "rawId": credential_id, "type": "public-key",
                           "response": response, "clientExtensionResults": {},
                           "authenticatorAttachment": "platform"})
