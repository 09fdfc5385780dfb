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


class InvalidExport(InvalidEntry):
    """The document is not shaped like an export (a key, a type, a limit).

    Its code is the API's own for input that breaks a schema; what is wrong inside an
    entry's data keeps the code of an invalid entry, as when the entry is typed in.
    """

    code = "invalid_input"


class NotFound(VaultError):
    """Also raised for things that exist but belong to someone else, so existence never leaks."""

    code = "not_found"
    message = "Not found."


class Conflict(VaultError):
    code = "conflict"
    message = "That conflicts with what is already stored."


class LoginTaken(Conflict):
    """Signing up with a login or email address that another account has."""

    message = "That login or email address is already in use. Choose another."


class SignInFailed(VaultError):
    """One error for a wrong passphrase, a wrong code and an unknown login alike."""

    code = "sign_in_failed"
    message = "That login and passphrase do not match. Check them and try again."


class StepUpFailed(SignInFailed):
    """A signed-in person typed the wrong passphrase when asked for it again."""

    message = "That is not your passphrase. Check it and try again."


class NotSignedIn(VaultError):
    code = "not_signed_in"
    message = "You are not signed in, or your session has ended. Sign in again."


class InvalidAccountDetails(VaultError):
    code = "invalid_account"
    message = "Those account details are not valid."


class TooManyAttempts(VaultError):
    code = "too_many_attempts"
    message = "Too many tries. Wait a little, then try again."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = max(1, retry_after)


class AccountLocked(VaultError):
    code = "account_locked"
    message = (
        "This account is locked after too many wrong passphrases. "
        "Sign in with your recovery code, or ask the people who run this service."
    )


class AttachmentRejected(VaultError):
    code = "attachment_rejected"
    message = ("Tell Once keeps photos (JPEG or PNG) and PDF documents. "
               "This file is not one of those.")


class DatabaseBusy(VaultError):
    code = "database_busy"
    message = (
        "Another Tell Once process is writing to this database and did not finish in time. "
        "Try again in a moment."
    )


class WeakPassphrase(VaultError):
    code = "weak_passphrase"
    message = "Choose a longer passphrase. Four or more ordinary words, with spaces, work well."


class WrongCode(VaultError):
    code = "wrong_code"
    message = "That code did not work. Type the 6 numbers your app shows now."


class PasskeyFailed(VaultError):
    code = "passkey_failed"
    message = "That passkey did not work. Try again, or use another way to sign in."


class ChainBroken(VaultError):
    code = "audit_chain_broken"
    message = "The audit history does not verify."


class ShredListDamaged(VaultError):
    code = "shred_list_damaged"
    message = "The shred list has a line that cannot be read."
