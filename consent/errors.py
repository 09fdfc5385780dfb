"""Errors of the application layer: what an actor may not do, and why a link was not served.

``ConsentError`` is this package's own base, beside ``VaultError`` and ``KeysError``: each
carries a stable ``code`` and a ``message`` safe to show anyone, and never an HTTP status
(the front doors' error maps choose those).
"""

from __future__ import annotations


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
