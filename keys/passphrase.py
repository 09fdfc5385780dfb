"""Passphrase keys: HKDF(Argon2id(passphrase, salt), pepper).

The Argon2id parameters are stored beside each account so they can be raised later and
upgraded at the next sign-in. The pepper comes from the server keyring, so a stolen
database alone cannot even start a guessing attack.
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.binding import bind
from keys.errors import InvalidKeyMaterial

SALT_LEN = 16
MIB = 1024


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory in KiB, iterations, lanes."""

    memory_kib: int
    iterations: int
    lanes: int

    def to_json(self) -> str:
        return json.dumps(
            {"alg": "argon2id", "m": self.memory_kib, "t": self.iterations, "p": self.lanes},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> KdfParams:
        """:raises InvalidKeyMaterial: if ``raw`` is not stored Argon2id parameters."""
        try:
            data = json.loads(raw)
            if data.get("alg") != "argon2id":
                raise InvalidKeyMaterial
            return cls(int(data["m"]), int(data["t"]), int(data["p"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidKeyMaterial from None


# OWASP's floor is m=19 MiB, t=2, p=1; the ceiling keeps a sign-in affordable on a small
# server. 64 MiB with t=2 costs about a fifth of a second on one core (bench/signin.py).
MINIMUM_PARAMS = KdfParams(19 * MIB, 2, 1)
DEFAULT_PARAMS = KdfParams(64 * MIB, 2, 1)
# Ceilings on every stored parameter: a database writer who raised them could otherwise make
# each sign-in of an account cost minutes of a core, or gigabytes. Parameters above these are
# refused, as damaged ones are, and the sign-in fails.
MAXIMUM_MEMORY_KIB = 64 * MIB
MAXIMUM_ITERATIONS = 10
MAXIMUM_LANES = 8
# Only for the test suite: cheap enough to run thousands of sign-ins quickly.
TEST_PARAMS = KdfParams(8, 1, 1)

# Argon2id is memory-hard by design; run at most one derivation per core at once, so a
# burst of sign-ins queues instead of exhausting memory or starving other requests.
_DERIVATIONS = threading.BoundedSemaphore(os.cpu_count() or 1)


def meets_minimum(params: KdfParams) -> bool:
    """True when ``params`` are at least OWASP's floor and at most the memory ceiling."""
    return (
        MINIMUM_PARAMS.memory_kib <= params.memory_kib <= MAXIMUM_MEMORY_KIB
        and params.iterations >= MINIMUM_PARAMS.iterations
        and params.lanes >= MINIMUM_PARAMS.lanes
    )


def within_ceilings(params: KdfParams) -> bool:
    """True when every parameter is positive and at most its ceiling."""
    return (0 < params.memory_kib <= MAXIMUM_MEMORY_KIB
            and 0 < params.iterations <= MAXIMUM_ITERATIONS
            and 0 < params.lanes <= MAXIMUM_LANES)


def new_salt() -> bytes:
    return os.urandom(SALT_LEN)


def normalise(passphrase: str) -> bytes:
    """NFC-normalise so the same passphrase typed on another device derives the same key."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_passphrase_key(
    passphrase: str, *, salt: bytes, params: KdfParams, pepper: bytes, account_id: str
) -> bytes:
    """Return the 32-byte passphrase key of an account.

    :raises InvalidKeyMaterial: for parameters above the ceilings (or below Argon2id's own).
    """
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=pepper,
        info=bind("passphrase-key", account_id),
    ).derive(stretch(passphrase, salt=salt, params=params))


def stretch(passphrase: str, *, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id of the passphrase: the slow, memory-hard half of the key, bound to no account
    (the HKDF step binds it). A module-level function so that bench/scale.py can give a
    hundred thousand made-up accounts one shared derivation.

    :raises InvalidKeyMaterial: for parameters above the ceilings (or below Argon2id's own).
    """
    if not within_ceilings(params):
        raise InvalidKeyMaterial
    try:
        kdf = Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                       memory_cost=params.memory_kib)
    except ValueError:  # Argon2id's own limits (memory of at least 8 KiB a lane).
        raise InvalidKeyMaterial from None
    with _DERIVATIONS:
        return kdf.derive(normalise(passphrase))


def dummy_derivation(passphrase: str, *, params: KdfParams, pepper: bytes) -> None:
    """Spend the same time as a real derivation, for a login that does not exist.

    Without it, an unknown login would answer faster than a wrong passphrase and so
    reveal which logins have accounts.
    """
    derive_passphrase_key(
        passphrase, salt=b"\x00" * SALT_LEN, params=params, pepper=pepper, account_id="-"
    )
