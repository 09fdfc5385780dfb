"""A record's metadata key: sections and authors sealed, content-key scopes keyed (decisions
0012 and 0013).

Which section a person writes in is itself personal (a sensitive history, a legal document),
so it is sealed with a fresh nonce each time: nothing shows which entries share a section. A
content key is found by its scope, so its scope is an HMAC: one row per scope in use shows no
more than the row count would.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys import envelope
from keys.binding import bind
from keys.errors import DecryptionFailed

# Every section name is at most 40 bytes: each is sealed as 48, so all seal to one length.
SECTION_LEN = 48
# A role and an account id as JSON are at most 66 bytes: every author is sealed as 96.
AUTHOR_LEN = 96


def _sub_key(metadata_key: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=bind(label)).derive(metadata_key)


def wrap(record_key: bytes, metadata_key: bytes, *, person: str, epoch: int) -> bytes:
    return envelope.wrap_key(record_key, metadata_key, aad=bind("metadata-key", person, epoch))


def unwrap(record_key: bytes, wrapped: bytes, *, person: str, epoch: int) -> bytes:
    """:raises DecryptionFailed: for a key changed, or moved to another record or epoch."""
    return envelope.unwrap_key(record_key, wrapped, aad=bind("metadata-key", person, epoch))


class RecordMetadata:
    """The two sub-keys of one record's metadata key, for one request."""

    def __init__(self, metadata_key: bytes) -> None:
        self._seal = _sub_key(metadata_key, "record-metadata-seal")
        self._index = _sub_key(metadata_key, "record-metadata-index")

    def seal_section(self, name: str, *, what: str, person: str, row_id: str) -> bytes:
        """``what`` is "entry-section" or "attachment-section"; ``row_id`` that row's id."""
        raw = name.encode("utf-8")
        if len(raw) > SECTION_LEN or b"\x00" in raw:
            raise ValueError("a section name is at most 48 bytes")
        padded = raw + bytes(SECTION_LEN - len(raw))
        return envelope.seal(self._seal, padded, aad=bind(what, person, row_id))

    def open_section(self, sealed: bytes, *, what: str, person: str, row_id: str) -> str:
        """:raises DecryptionFailed: for a section changed, or moved to another row."""
        padded = envelope.open_sealed(self._seal, sealed, aad=bind(what, person, row_id))
        if len(padded) != SECTION_LEN:
            raise DecryptionFailed
        return padded.rstrip(b"\x00").decode("utf-8")

    def seal_author(self, role: str, account_id: str | None, *, what: str,
                    ids: tuple[str | int, ...]) -> bytes:
        """Who wrote a version (``what`` "entry-author", ids person, entry, version), added a
        file ("attachment-author": person, attachment) or made a link ("link-author")."""
        raw = json.dumps([role, account_id], separators=(",", ":")).encode("utf-8")
        if len(raw) > AUTHOR_LEN:
            raise ValueError("an author is at most 96 bytes")
        return envelope.seal(self._seal, raw + bytes(AUTHOR_LEN - len(raw)), aad=bind(what, *ids))

    def open_author(self, sealed: bytes, *, what: str,
                    ids: tuple[str | int, ...]) -> tuple[str, str | None]:
        """``(role, account id)``. :raises DecryptionFailed: changed, or moved to another row."""
        padded = envelope.open_sealed(self._seal, sealed, aad=bind(what, *ids))
        try:
            role, account_id = json.loads(padded.rstrip(b"\x00"))
        except ValueError:
            raise DecryptionFailed from None
        if len(padded) != AUTHOR_LEN or not isinstance(role, str) or not (
                account_id is None or isinstance(account_id, str)):
            raise DecryptionFailed
        return role, account_id

    def part_tier(self, tier: str, *, entry: str, version: int) -> str:
        """What a part's tier is stored as (decision 0014): unlike any other row's."""
        return self._keyed(bind("part-tier", entry, version, tier))

    def attachment_tier(self, tier: str, *, attachment: str) -> str:
        return self._keyed(bind("attachment-tier", attachment, tier))

    def _keyed(self, message: bytes) -> str:
        return hmac.new(self._index, message, hashlib.sha256).hexdigest()

    def scope_index(self, scope: str) -> str:
        """What a content key of ``scope`` is stored and found by."""
        return self._keyed(bind("scope", scope))
