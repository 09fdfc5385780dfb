"""Errors raised by the keys package."""

from __future__ import annotations


class KeysError(Exception):
    """Base of every error from ``keys``: ``code`` is stable, ``message`` safe to show."""

    code = "keys_error"
    message = "A cryptographic operation failed."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class DecryptionFailed(KeysError):
    """Every failure to open, unwrap or unseal: deliberately one opaque error.

    A wrong key, a tampered byte, a part moved to another row or owner, an unknown
    version byte and a truncated blob all look the same to the caller, so an attacker
    learns nothing from which of them happened.
    """

    code = "decryption_failed"
    message = "This could not be opened."


class CopyTooLarge(KeysError):
    """What a link would hold is more than one copy may (``keys.share.MAX_COPY_BYTES``)."""

    code = "copy_too_large"
    message = "That is more than one link can hold."


class InvalidKeyMaterial(KeysError):
    code = "invalid_key_material"
    message = "That key or code is not in a form Tell Once can use."


class KeyringError(KeysError):
    code = "keyring_error"
    message = "The server keyring could not be used."


class SlotForged(KeysError):
    """A key slot whose tag is wrong or missing (decision 0005): sealed by someone else.

    Never caught to fall back or re-seal: a planted key must not be used even once. ``kind``
    names the kind of slot for the operator's log, never a key or an id.
    """

    code = "key_slot_changed"
    message = ("A key in this record was changed outside Tell Once, so it was not used. Nothing "
               "was shown or saved. The people who run this service can check it.")

    def __init__(self, message: str | None = None, *, kind: str = "slot") -> None:
        super().__init__(message)
        self.kind = kind
