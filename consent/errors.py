"""Errors of the application layer."""

from __future__ import annotations

from vault.errors import VaultError


class ConsentError(VaultError):
    code = "consent_error"
    message = "That is not allowed."


class NotAllowed(ConsentError):
    """For an action on a record the actor may see but not change in this way."""

    code = "not_allowed"
    message = "You can see this record, but you cannot do that with this sign-in."
