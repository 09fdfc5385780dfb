"""Errors raised by the vault. Each carries a stable code and a message safe to show anyone."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every vault error: ``code`` is stable, ``message`` is safe to show."""

    code = "vault_error"
    message = "Something went wrong with the record."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        if message is not None:
            self.message = message
        self.field = field
        super().__init__(self.message)


class UnknownSection(VaultError):
    code = "unknown_section"
    message = "There is no section with that name."


class InvalidEntry(VaultError):
    code = "invalid_entry"
    message = "The entry is not valid."


class NotFound(VaultError):
    """Also raised for things that exist but belong to someone else, so existence never leaks."""

    code = "not_found"
    message = "Not found."


class Conflict(VaultError):
    code = "conflict"
    message = "That conflicts with what is already stored."
