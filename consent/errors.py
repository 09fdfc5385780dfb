"""Errors of the application layer: what an actor may not do, and why a link was not served.

``ConsentError`` is this package's own base, beside ``VaultError`` and ``KeysError``: each
carries a stable ``code`` and a ``message`` safe to show anyone, and never an HTTP status
(the front doors' error maps choose those).
"""

from __future__ import annotations

from vault.errors import PasskeyFailed, WrongCode


class ConsentError(Exception):
    """Base of every consent error: ``code`` is stable, ``message`` is safe to show."""

    code = "consent_error"
    message = "That is not allowed."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        if message is not None:
            self.message = message
        self.field = field
        super().__init__(self.message)


class NotAllowed(ConsentError):
    """For an action on a record the actor may see but not change in this way."""

    code = "not_allowed"
    message = "You can see this record, but you cannot do that with this sign-in."


class PassphraseNeeded(ConsentError):
    """A signed-in session asked for something that needs the passphrase again, without it."""

    code = "passphrase_needed"
    message = ("Type your passphrase again to do this. Through the API, use a personal API "
               "token instead of a session.")


class LinkNotLive(ConsentError):
    """A link that is stopped, ended, used up, disabled, deleted with its record, or never was:
    all alike, so nobody learns which."""

    code = "not_found"
    message = "This link is not available. It may have ended or been stopped."


class FileNotLive(LinkNotLive):
    """A ``location`` file whose hour is over, or whose link is no longer live."""

    message = "This file is not available."


class WrongPasscode(ConsentError):
    """The passcode was wrong; the try is counted against the link's lifetime budget."""

    code = "wrong_passcode"
    message = "That passcode is not right."

    def __init__(self, remaining_attempts: int) -> None:
        super().__init__()
        self.remaining_attempts = remaining_attempts


class TooOften(ConsentError):
    """A link's manifest was asked for too often; ask again after ``retry_after`` seconds."""

    code = "too_many_requests"
    message = "This link was asked for too often. Wait, then try again."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = max(1, retry_after)


# Refinements of the vault's errors, for where the same failure means something else: a
# signed-in person setting something up has a box to fix, not a sign-in that failed.


class CodeNotConfirmed(WrongCode):
    """The first one-time code from a new authenticator app did not match."""


class PasskeyNotAdded(PasskeyFailed):
    """The answer of a new passkey did not verify, so nothing was added."""

    message = ("Your passkey was not saved. Try again, and use the same phone, computer or "
               "security key when it asks.")
