"""Form schemas of the pages: explicit allow-lists, unknown fields refused.

Each section's entry form is not a schema here: its fields come from vault/sections/,
read by web/entry_form.py, and the vault validates them.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from consent.accounts import PASSKEY_ANSWER_MAX, PASSKEY_NAME_MAX


class Form(Schema):
    class Meta:
        unknown = RAISE

    csrf_token = fields.String(load_only=True)


class SignUpForm(Form):
    # A browser sends an empty box as "", so required alone would never fire: min=1 does.
    preferred_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    login = fields.String(required=True, validate=validate.Length(min=1, max=64))
    email = fields.String(load_default="", validate=validate.Length(max=254))
    passphrase = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    understood = fields.String(required=True, validate=validate.Equal("yes"))


class SignInForm(Form):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))
    passphrase = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class KeptCodeForm(Form):
    kept = fields.String(required=True, validate=validate.Equal("yes"))


MESSAGES = {
    "preferred_name": "Type the name you like to be called.",
    "login": "Type a login.",
    "passphrase": "Type your passphrase.",
    "understood": "Tick the box to say you understand that nobody can get your record back "
                  "without your passphrase or your recovery code.",
    "kept": "Tick the box to say you have kept your recovery code somewhere safe.",
}


def form_errors(messages: dict[str, object]) -> dict[str, str]:
    """Plain-words errors per field from a marshmallow error tree."""
    out = {}
    for name in messages:
        out[name] = MESSAGES.get(name, "Remove anything this form did not ask for, then try again.")
    return out


# -- the account pages --------------------------------------------------------------------
# Each box carries its own message in its metadata: the same name ("passphrase",
# "understood") needs different words on different pages.

TOKEN_DAYS = (7, 30, 90, 365)
PASSPHRASE_MAX = 1024


def _says(message: str) -> dict[str, str]:
    return {"message": message}


def _passphrase(message: str) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=PASSPHRASE_MAX),
                         metadata=_says(message))


TYPE_A_NEW_ONE = "Type a new passphrase. Four or more ordinary words, with spaces, work well."


class ConfirmPassphraseForm(Form):
    passphrase = _passphrase("Type your passphrase.")


class ChangePassphraseForm(Form):
    passphrase = _passphrase("Type the passphrase you use now.")
    new_passphrase = _passphrase(TYPE_A_NEW_ONE)
    stop_tokens = fields.String(load_default="", validate=validate.OneOf(["", "yes"]),
                                metadata=_says("Tick the box, or leave it empty."))


class ButtonForm(Form):
    """A form that is only a button: nothing but its CSRF token."""


class ImportForm(Form):
    """The file itself comes in ``request.files``, not in the form's fields."""


class TokenForm(Form):
    name = fields.String(required=True, validate=[validate.Length(max=100), validate.Regexp(r"\s*\S")],
                         metadata=_says("Type a name for the token, up to 100 letters, so you "
                                        "know what it is for."))
    access = fields.String(required=True, validate=validate.OneOf(["read", "read_write"]),
                           metadata=_says("Choose what the token can do."))
    days = fields.Integer(required=True, validate=validate.OneOf(TOKEN_DAYS),
                          metadata=_says("Choose how long the token works."))
    person_id = fields.UUID(load_default=None,
                            metadata=_says("Choose which record the token is for."))


class DeleteRecordForm(Form):
    passphrase = _passphrase("Type your passphrase.")
    understood = fields.String(required=True, validate=validate.Equal("yes"), metadata=_says(
        "Tick the box to say you understand what happens to your record."))


class RecoverForm(Form):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata=_says("Type your login or email address."))
    recovery_code = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                  metadata=_says("Type your recovery code. It is on the page "
                                                 "you printed or saved."))
    new_passphrase = _passphrase(TYPE_A_NEW_ONE)


def account_form_errors(form: Form, messages: dict[str, object]) -> dict[str, str]:
    """Plain-words errors in the order the boxes are on the page, for the error summary."""
    order = [name for name in form.fields if name in messages]
    order += [name for name in messages if name not in order]
    out = {}
    for name in order:
        field = form.fields.get(name)
        out[name] = (field.metadata.get("message") if field is not None else None) or (
            "Remove anything this form did not ask for, then try again.")
    return out


class CodeForm(Form):
    code = fields.String(required=True, validate=validate.Length(min=6, max=12))


# -- passkeys ---------------------------------------------------------------------------------------

NOT_SAVED = ("Your passkey was not saved. Try again, and use the same phone, computer or "
             "security key when it asks.")
NAME_MESSAGE = f"Give this passkey a name of up to {PASSKEY_NAME_MAX} letters, such as \"my phone\"."


class NewPasskeyForm(Form):
    name = fields.String(required=True, validate=[validate.Length(max=PASSKEY_NAME_MAX),
                                                  validate.Regexp(r"\s*\S")],
                         metadata=_says(NAME_MESSAGE))
    passphrase = _passphrase("Type your passphrase.")


class PasskeyAnswerForm(Form):
    """The browser's signed answer; the vault checks what is inside it."""

    credential = fields.String(required=True,
                               validate=validate.Length(min=1, max=PASSKEY_ANSWER_MAX),
                               metadata=_says(NOT_SAVED))
    name = fields.String(load_default="", validate=validate.Length(max=PASSKEY_NAME_MAX),
                         metadata=_says(NAME_MESSAGE))


# -- sharing ---------------------------------------------------------------------------------------

SHARE_TEMPLATES = ("emergency", "gp", "hospital_ward", "pharmacist", "social_worker",
                   "support_worker", "advocate", "missing_person", "custom")
SHARE_DURATIONS = ("week", "month", "3months", "6months", "year")


class LinkForm(Form):
    template = fields.String(required=True, validate=validate.OneOf(SHARE_TEMPLATES),
                             metadata=_says("Choose who this link is for."))
    label = fields.String(required=True, validate=[validate.Length(max=80),
                                                   validate.Regexp(r"\s*\S")],
                          metadata=_says("Give the link a name of up to 80 letters, so you "
                                         "know what it is for."))
    duration = fields.String(required=True, validate=validate.OneOf(SHARE_DURATIONS),
                             metadata=_says("Choose how long the link works."))
    passcode = fields.String(load_default="", validate=validate.Length(max=200),
                             metadata=_says("Make the passcode at least 6 characters long, or "
                                            "leave it empty."))
    max_openings = fields.String(load_default="", validate=validate.Regexp(r"^\s*(\d{1,4})?\s*$"),
                                 metadata=_says("Type a number of times, like 3, or leave it "
                                                "empty."))
    notify = fields.String(load_default="", validate=validate.OneOf(["", "yes"]),
                           metadata=_says("Tick the box, or leave it empty."))
    # Ticked sensitive items: read with request.form.getlist, as a form sends one per tick.
    s_items = fields.String(load_default="", metadata=_says("Choose from the list."))


class RenewLinkForm(Form):
    duration = fields.String(required=True, validate=validate.OneOf(SHARE_DURATIONS),
                             metadata=_says("Choose how long the link works from today."))
