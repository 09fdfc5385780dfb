"""Request and response schemas of the JSON API: explicit allow-lists, unknown fields refused."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from vault.sections import SECTION_NAMES

TIER_VALUES = ("E", "C", "S", "P")


TOKEN_SCOPES = ("read", "write", "share", "manage")


def _passphrase_again() -> fields.String:
    return fields.String(load_default=None, allow_none=True, load_only=True,
                         validate=validate.Length(max=1024), metadata={
                             "description": "The passphrase again, when signed in with the "
                                            "session cookie; a personal API token needs none."})


class Strict(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class ErrorOut(Strict):
    error = fields.String(required=True, metadata={"description": "A stable error code."})
    message = fields.String(required=True, metadata={"description": "Plain words: what to do."})
    field = fields.String(metadata={"description": "The input that was wrong, when there is one."})
    remaining_attempts = fields.Integer()


class HealthOut(Strict):
    status = fields.String(required=True)


class AccountIn(Strict):
    login = fields.String(required=True, validate=validate.Length(max=64))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    passphrase = fields.String(required=True, validate=validate.Length(max=1024))
    preferred_name = fields.String(required=True, validate=validate.Length(max=200))


class AccountOut(Strict):
    account_id = fields.String(required=True)
    person_id = fields.String(required=True)
    recovery_code = fields.String(
        required=True, metadata={"description": "Shown once. Keep it somewhere safe."})


class SuggestionOut(Strict):
    passphrase = fields.String(required=True)


class SessionIn(Strict):
    login = fields.String(required=True, validate=validate.Length(max=254))
    passphrase = fields.String(required=True, validate=validate.Length(max=1024))


class SessionOut(Strict):
    account_id = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class PendingOut(Strict):
    second_factor = fields.String(required=True, metadata={
        "description": "The first way to finish: totp (here, at /sessions/second-factor) or "
                       "passkey (in the pages only)."})
    second_factors = fields.List(fields.String(), required=True, metadata={
        "description": "Every way this account can finish: totp, passkey or both."})


class CodeIn(Strict):
    code = fields.String(required=True, validate=validate.Length(min=6, max=12))


class TotpOut(Strict):
    secret = fields.String(required=True, metadata={"description": "Base32; shown once."})
    uri = fields.String(required=True, metadata={"description": "otpauth:// for a QR code."})


class SessionListItem(Strict):
    id = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)
    current = fields.Boolean(required=True)


class RecoveryIn(Strict):
    login = fields.String(required=True, validate=validate.Length(max=254))
    recovery_code = fields.String(required=True, validate=validate.Length(max=100))
    new_passphrase = fields.String(required=True, validate=validate.Length(max=1024))


class RecoveryOut(Strict):
    account_id = fields.String(required=True)
    recovery_code = fields.String(required=True)


class PassphraseChangeIn(Strict):
    passphrase = fields.String(required=True, validate=validate.Length(max=1024),
                               metadata={"description": "The current passphrase, to confirm."})
    new_passphrase = fields.String(required=True, validate=validate.Length(max=1024))
    stop_tokens = fields.Boolean(load_default=False, metadata={
        "description": "Revoke every API token of the account too."})


class ConfirmIn(Strict):
    passphrase = fields.String(required=True, validate=validate.Length(max=1024),
                               metadata={"description": "The current passphrase, to confirm."})


class SigningKeyOut(Strict):
    kty = fields.String(required=True, metadata={"description": "OKP"})
    crv = fields.String(required=True, metadata={"description": "Ed25519"})
    alg = fields.String(required=True, metadata={"description": "EdDSA"})
    use = fields.String(required=True, metadata={"description": "sig"})
    kid = fields.String(required=True, metadata={"description": "The key_id a signed head names."})
    x = fields.String(required=True, metadata={"description": "The public key, base64url."})


class SigningKeysOut(Strict):
    keys = fields.List(fields.Nested(SigningKeyOut), required=True)


class RecoveryCodeOut(Strict):
    recovery_code = fields.String(required=True,
                                  metadata={"description": "Shown once. The old code stops working."})


class TokenIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(fields.String(validate=validate.OneOf(TOKEN_SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(TOKEN_SCOPES)), metadata={
                             "description": "read; write; share (make links) and manage "
                                            "(export, delete, sign out elsewhere) need write, "
                                            "and a session gives the passphrase for them."})
    person_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=50))
    expires_at = fields.AwareDateTime(required=True)
    passphrase = _passphrase_again()


class SignOutIn(Strict):
    passphrase = _passphrase_again()


class TokenOut(Strict):
    id = fields.String(required=True)
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    person_ids = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    token = fields.String(metadata={"description": "Only in the answer that creates it."})


class PersonOut(Strict):
    id = fields.String(required=True)
    preferred_name = fields.String(required=True)
    role = fields.String(required=True)


class EntriesQuery(Strict):
    section = fields.String(validate=validate.OneOf(SECTION_NAMES))


class EntryIn(Strict):
    section = fields.String(required=True, validate=validate.OneOf(SECTION_NAMES))
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "The fields of the section (see vault/sections/)"
                                 "; `text` alone is always enough."})
    tiers = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(
        TIER_VALUES)), load_default=None)
    provenance = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=500))


class EntryUpdateIn(Strict):
    data = fields.Dict(keys=fields.String(), required=True)
    tiers = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(
        TIER_VALUES)), load_default=None)
    provenance = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=500))


class EntryOut(Strict):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    section = fields.String(required=True)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)
    tiers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    provenance = fields.String(allow_none=True)
    author_account_id = fields.String(allow_none=True)
    author_role = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    deleted = fields.Boolean(required=True)


class AuditHeadOut(Strict):
    """A signed head (decision 0004): keep it, and `tellonce audit verify --against` finds
    any later rewrite or truncation of the events up to it."""

    chain = fields.String(required=True)
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)
    key_id = fields.String(required=True, allow_none=True)
    signature = fields.String(required=True, allow_none=True)


class AuditEventOut(Strict):
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    kind = fields.String(required=True)
    actor_account_id = fields.String(allow_none=True)
    details = fields.Dict(required=True)


class HistoryOut(Strict):
    head = fields.Nested(AuditHeadOut, required=True)
    changed = fields.String(required=True, allow_none=True, metadata={
        "description": "What no longer verifies in this history, or null when all of it does."})
    events = fields.List(fields.Nested(AuditEventOut), required=True)


class MedicineIndicatorOut(Strict):
    entry_id = fields.String(required=True)
    name = fields.String(required=True)
    review_overdue = fields.Boolean(required=True)
    next_review = fields.String(allow_none=True)
    psychotropic = fields.Boolean(required=True)
    no_reason_recorded = fields.Boolean(required=True)
    no_reduction_plan_recorded = fields.Boolean(required=True)


class IndicatorsOut(Strict):
    count = fields.Integer(required=True)
    reviews_overdue = fields.Integer(required=True)
    psychotropic_without_reason = fields.Integer(required=True)
    psychotropic_without_reduction_plan = fields.Integer(required=True)
    medicines = fields.List(fields.Nested(MedicineIndicatorOut), required=True)


class AttachmentIn(Strict):
    """The form fields of an upload (multipart/form-data); the file itself is read by the view."""

    file = fields.Raw(metadata={
        "type": "string", "format": "binary",
        "description": "Required. A JPEG, PNG or PDF of up to 10 MB. The type is read from the "
                       "file itself; photos are stored without their EXIF and other metadata."})
    section = fields.String(required=True, validate=validate.OneOf(SECTION_NAMES))
    tier = fields.String(load_default=None, validate=validate.OneOf(TIER_VALUES), metadata={
        "description": "Defaults to the tier of the section's own-words text."})


class AttachmentsQuery(Strict):
    section = fields.String(validate=validate.OneOf(SECTION_NAMES))


class AttachmentOut(Strict):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    section = fields.String(required=True)
    tier = fields.String(required=True)
    media_type = fields.String(required=True)
    size = fields.Integer(required=True)
    filename = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    author_account_id = fields.String(allow_none=True)


class ExportVersionDoc(Strict):
    version = fields.Integer(required=True, metadata={"description": "1, 2, 3... in order."})
    created_at = fields.AwareDateTime(required=True)
    author_role = fields.String(required=True, validate=validate.OneOf(
        ["subject", "delegate", "imported"]), metadata={
        "description": "Who wrote it. An import always writes as \"imported\"."})
    provenance = fields.String(required=True, allow_none=True, validate=validate.Length(max=500))
    data = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "The fields of the section; empty for a deletion."})
    tiers = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(
        TIER_VALUES)), required=True)
    deleted = fields.Boolean(required=True, metadata={
        "description": "True for the version that deleted the entry (always the last)."})


class ExportEntryDoc(Strict):
    id = fields.String(metadata={"description": "The exporting server's id; an import ignores it."})
    section = fields.String(required=True, validate=validate.OneOf(SECTION_NAMES))
    created_at = fields.AwareDateTime(required=True)
    deleted = fields.Boolean(required=True)
    versions = fields.List(fields.Nested(ExportVersionDoc), required=True,
                           metadata={"description": "Every version, oldest first."})


class ExportAttachmentDoc(Strict):
    id = fields.String(metadata={"description": "The exporting server's id; an import ignores it."})
    section = fields.String(required=True, validate=validate.OneOf(SECTION_NAMES))
    tier = fields.String(required=True, validate=validate.OneOf(TIER_VALUES))
    media_type = fields.String(required=True, metadata={
        "description": "Informative: an import reads the type from the content itself."})
    filename = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    content_base64 = fields.String(required=True)


class ExportPersonDoc(Strict):
    id = fields.String(metadata={"description": "The exporting server's id; an import ignores it."})
    preferred_name = fields.String(required=True, validate=validate.Length(max=200))


class ExportAuditDoc(Strict):
    head = fields.Nested(AuditHeadOut, required=True, metadata={
        "description": "The exporting record's audit chain head; an import does not copy it."})


class ExportDocument(Strict):
    """A whole record, decrypted: what GET .../export gives and POST .../import takes."""

    format = fields.String(required=True, validate=validate.OneOf(["tellonce-export"]))
    version = fields.Integer(required=True, validate=validate.OneOf([1]))
    exported_at = fields.AwareDateTime(required=True)
    person = fields.Nested(ExportPersonDoc, required=True)
    entries = fields.List(fields.Nested(ExportEntryDoc), required=True)
    attachments = fields.List(fields.Nested(ExportAttachmentDoc), required=True)
    audit = fields.Nested(ExportAuditDoc, required=True)


class ImportOut(Strict):
    entries = fields.Integer(required=True)
    versions = fields.Integer(required=True)
    attachments = fields.Integer(required=True)


class DeletionOut(Strict):
    destroy_after = fields.DateTime(required=True)
    message = fields.String(required=True)


class RestoreOut(Strict):
    person_id = fields.String(required=True)
    message = fields.String(required=True)


# -- share links -------------------------------------------------------------------------------

TEMPLATE_NAMES = ("emergency", "gp", "hospital_ward", "pharmacist", "social_worker",
                  "support_worker", "advocate", "missing_person", "custom")


class LinkIn(Strict):
    template = fields.String(required=True, validate=validate.OneOf(TEMPLATE_NAMES))
    label = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={
        "description": "What the link is for, in the person's words; shown to whoever opens it."})
    expires_at = fields.AwareDateTime(required=True, metadata={
        "description": "When the link stops working: within 12 months."})
    passcode = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=6, max=200))
    max_openings = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=1000), metadata={
                                      "description": "Never on the emergency template."})
    sections = fields.Dict(keys=fields.String(validate=validate.OneOf(SECTION_NAMES)),
                           values=fields.String(validate=validate.OneOf(["full", "summary"])),
                           load_default=None, metadata={
                               "description": "Sections to include, in full or their summary; "
                                              "the template's when left out."})
    ceiling = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(["E", "C"]))
    s_items = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=500),
                          metadata={"description": "Entries whose sensitive (S) fields to include."})
    notify_on_open = fields.Boolean(load_default=False)
    passphrase = _passphrase_again()


class LinkOut(Strict):
    id = fields.String(required=True)
    label = fields.String(required=True)
    template = fields.String(required=True)
    sections = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    ceiling = fields.String(required=True)
    s_items = fields.List(fields.String(), required=True)
    state = fields.String(required=True, metadata={
        "description": "live, stopped, ended, used_up or too_many_wrong_passcodes."})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    copy_updated_at = fields.DateTime(required=True)
    stale_since = fields.DateTime(allow_none=True, metadata={
        "description": "Since when the record has been too big for this link's copy to "
                       "follow it: the link shows the record as it was then."})
    openings = fields.Integer(required=True)
    max_openings = fields.Integer(allow_none=True, required=True)
    has_passcode = fields.Boolean(required=True)
    passcode_attempts_left = fields.Integer(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True, metadata={
        "description": "The SMART Health Link, while the link is live. It holds the key: "
                       "send the passcode another way."})


class LinkRenewIn(Strict):
    expires_at = fields.AwareDateTime(required=True)


class OpeningOut(Strict):
    at = fields.DateTime(required=True)
    link = fields.String(allow_none=True, required=True)
    recipient = fields.String(allow_none=True, required=True, metadata={
        "description": "Who the opener said they were, as they typed it: not verified."})
    times = fields.Integer(required=True, metadata={
        "description": "How many times this viewer opened the link within ten minutes of "
                       "this opening: one entry for all of them."})


class StoppedOut(Strict):
    stopped = fields.Integer(required=True)
