"""Form schemas of the pages: explicit allow-lists, unknown fields refused.

Each section's entry form is not a schema here: its fields come from vault/sections.py,
read by web/entry_form.py, and the vault validates them.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class Form(Schema):
    class Meta:
        unknown = RAISE

    csrf_token = fields.String(load_only=True)


class SignUpForm(Form):
    preferred_name = fields.String(required=True, validate=validate.Length(max=200))
    login = fields.String(required=True, validate=validate.Length(max=64))
    email = fields.String(load_default="", validate=validate.Length(max=254))
    passphrase = fields.String(required=True, validate=validate.Length(max=1024))
    understood = fields.String(required=True, validate=validate.Equal("yes"))


class SignInForm(Form):
    login = fields.String(required=True, validate=validate.Length(max=254))
    passphrase = fields.String(required=True, validate=validate.Length(max=1024))


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
