"""Passphrase rules and suggestions, from well-kept data rather than hand-made lists.

The rules follow NIST SP 800-63B: a minimum length, a blocklist of common passwords and a
strength estimate (zxcvbn's lists and estimator), and no composition rules.
"""

from __future__ import annotations

import secrets
from functools import cache

import zxcvbn
from xkcdpass import xkcd_password
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from vault.errors import WeakPassphrase

MIN_LENGTH = 15
MAX_LENGTH = 1024
MIN_SCORE = 3  # zxcvbn 0..4: 3 is "safely unguessable: moderate protection from offline attack"


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


@cache
def _wordlist() -> tuple[str, ...]:
    path = xkcd_password.locate_wordfile("eff-long")
    return tuple(xkcd_password.generate_wordlist(wordfile=path, min_length=3, max_length=9))


def suggest_passphrase(words: int = 4) -> str:
    """Four random words from the EFF long list: about 52 bits, easy to type and remember."""
    wordlist = _wordlist()
    return " ".join(secrets.choice(wordlist) for _ in range(words))


def check_passphrase(passphrase: object, *, user_inputs: tuple[str, ...] = ()) -> str:
    """Return the passphrase if it is acceptable; :raises WeakPassphrase: saying why not."""
    if not isinstance(passphrase, str):
        raise WeakPassphrase("Type a passphrase.", field="passphrase")
    if len(passphrase) < MIN_LENGTH:
        raise WeakPassphrase(
            f"Your passphrase needs at least {MIN_LENGTH} characters. "
            "Four or more ordinary words, with spaces, work well.",
            field="passphrase",
        )
    if len(passphrase) > MAX_LENGTH:
        raise WeakPassphrase(
            f"Your passphrase can have at most {MAX_LENGTH} characters.", field="passphrase"
        )
    if passphrase.casefold().replace(" ", "") in _common_passwords():
        raise WeakPassphrase(
            "That passphrase is used by many people, so it is easy to guess. Choose another.",
            field="passphrase",
        )
    # zxcvbn's estimate is slow on very long input and adds nothing there.
    estimate = zxcvbn.zxcvbn(passphrase[:100], user_inputs=list(user_inputs))
    if estimate["score"] < MIN_SCORE:
        raise WeakPassphrase(
            "That passphrase would be easy to guess. Add another word or two.",
            field="passphrase",
        )
    return passphrase
