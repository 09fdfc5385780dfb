"""Attachments: photos and scanned documents, each sealed with its file name.

The type of a file is sniffed from its first bytes, never taken from its name or from what a
client says. Photos are decoded and re-encoded from their pixels alone, so no EXIF (GPS,
camera, owner), XMP, ICC profile or PNG text chunk survives. PDFs are kept as they are.

Each attachment has its own data key, wrapped by the content key of its section and tier
(per item for S, the person's private key for P), with every id in the associated data, so
an attachment moved to another person, section or tier fails to open.

Sealed plaintext, format v2 (decision 0009), written from now on::

    0x02 | header length (4 bytes, big-endian) | header (UTF-8 JSON) | content | zeros

The header is ``{"filename", "media_type", "size"}``, and the zeros pad the whole to its
bucket (``bucket_of``), so a copy of the database tells a file's size only roughly; the row
keeps no size or type of its own. Format v1 (0001), still read, is the same without the
size, the padding, and with the type and size also kept on the row. The file name says what a
document is about, so it is never stored in the clear.
"""

from __future__ import annotations

import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keys import envelope
from keys.errors import DecryptionFailed
from keys.hierarchy import ATTACHMENT_KEY, attachment_binding
from vault.errors import AttachmentRejected, InvalidEntry, NotFound
from vault.keychain import Keychain, item_scope, section_scope
from vault.models import Attachment, ContentKey, Person, new_id
from vault.record_metadata import (
    attachment_tier,
    author_of,
    keyed_attachment_tier,
    place_in_section,
    seal_author,
    section_of,
)
from vault.sections import Tier, get_section

ALLOWED_TYPES = {"application/pdf", "image/jpeg", "image/png"}
# Sniffed from the first bytes of the content; the order does not matter, none is a prefix
# of another.
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}
# 60 megapixels takes a 48 or 50 megapixel phone photo, and stays below Pillow's own limit
# (89 million pixels), so the check below refuses a decompression bomb whatever the process's
# warning filters are: Pillow only warns between its limit and twice its limit.
MAX_PIXELS = 60_000_000
MAX_FILENAME = 200
DEFAULT_FILENAME = "attachment"
JPEG_QUALITY = 90
FORMAT_V1 = b"\x01"
FORMAT_V2 = b"\x02"
_HEADER_LEN = 4
MIN_BUCKET = 64 * 1024
_OCTAVES_FROM = 1024 * 1024

_UNREADABLE = ("This picture could not be read. It may be damaged. "
               "Try saving it again as a JPEG or PNG, then upload it again.")


@dataclass(frozen=True)
class AttachmentView:
    id: str
    person_id: str
    section: str
    tier: str
    media_type: str
    size: int
    filename: str
    created_at: datetime
    author_account_id: str | None


# -- checking and cleaning what was uploaded ------------------------------------------------


def sniff_type(content: bytes) -> str:
    """The media type from the content's first bytes. :raises AttachmentRejected:"""
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    raise AttachmentRejected(field="file")


def _check_size(content: bytes, max_bytes: int) -> None:
    if not content:
        raise AttachmentRejected("This file is empty. Choose the file again.", field="file")
    if len(content) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g}"
        raise AttachmentRejected(
            f"This file is too big. Tell Once keeps files of up to {limit} MB. "
            "Try a smaller photo, or scan the document at a lower resolution.",
            field="file",
        )


def clean_filename(filename: str) -> str:
    """The last part of a path, without control or formatting characters, at most 200 long."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters could split a header or a log line; formatting characters such as
    # right-to-left overrides could make "gpj.exe" look like "exe.jpg".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip()
    if name in ("", ".", ".."):
        return DEFAULT_FILENAME
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        # Keep a short extension, so the downloaded file still opens with the right program.
        if dot and stem and len(suffix) <= 10:
            name = stem[: MAX_FILENAME - len(suffix) - 1] + "." + suffix
        else:
            name = name[:MAX_FILENAME]
    return name


def _open_image(content: bytes, pil_format: str) -> Image.Image:
    """Decode an image fully, refusing bombs and damaged files. :raises AttachmentRejected:"""
    try:
        # verify() checks the structure but leaves the image unusable, so it gets its own
        # copy. Pillow checks the declared size against its own limit while opening.
        Image.open(io.BytesIO(content), formats=[pil_format]).verify()
        image = Image.open(io.BytesIO(content), formats=[pil_format])
        if image.width * image.height > MAX_PIXELS:
            raise AttachmentRejected(_too_many_pixels(), field="file")
        image.load()
    except AttachmentRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning arrives as an exception only where warnings are errors (the tests).
        raise AttachmentRejected(_too_many_pixels(), field="file") from None
    except Exception:
        # Pillow's decoders raise many kinds of error (OSError, SyntaxError, ValueError,
        # struct.error, and warnings turned into errors) for damaged or hostile files; all of
        # them mean this file cannot be kept.
        raise AttachmentRejected(_UNREADABLE, field="file") from None
    return image


def _too_many_pixels() -> str:
    return (f"This picture has more than {MAX_PIXELS // 1_000_000} million pixels, "
            "more than Tell Once keeps. Make it smaller, then upload it again.")


def _pixels_only(image: Image.Image, pil_format: str) -> Image.Image:
    """A new image holding the pixels of ``image`` and nothing else: no metadata at all."""
    transparent = "transparency" in image.info or image.mode == "PA"
    if pil_format == "PNG" and (transparent or image.mode == "P"):
        # A palette and colour-key transparency live beside the pixels, in image.info; plain
        # RGB or RGBA keeps how the picture looks without carrying anything else over.
        image = image.convert("RGBA" if transparent else "RGB")
    if pil_format == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _is_clean_jpeg(image: Image.Image, content: bytes) -> bool:
    """True for a JPEG that carries nothing but its pixels: only the JFIF header segment,
    no comment, and nothing after its end marker. Such a file (as Tell Once itself writes)
    is kept byte for byte, so re-encoding never degrades it on export and import."""
    applist = getattr(image, "applist", None)
    if applist is None or not content.endswith(b"\xff\xd9"):
        return False
    # A JFIF header without a thumbnail is exactly 14 bytes; a thumbnail could carry anything.
    only_jfif = all(marker == "APP0" and data.startswith(b"JFIF\x00") and len(data) == 14
                    for marker, data in applist)
    return only_jfif and not ({"exif", "comment", "icc_profile", "xmp"} & set(image.info))


def strip_image(content: bytes, media_type: str) -> bytes:
    """Re-encode a JPEG or PNG from its pixels, upright. :raises AttachmentRejected:"""
    pil_format = _PIL_FORMAT[media_type]
    image = _open_image(content, pil_format)
    if pil_format == "JPEG" and _is_clean_jpeg(image, content):
        return content
    try:
        # Phones store photos sideways with an orientation tag; turn the pixels instead, as
        # the tag goes with the rest of the EXIF.
        upright = ImageOps.exif_transpose(image)
        clean = _pixels_only(upright, pil_format)
        out = io.BytesIO()
        if pil_format == "JPEG":
            clean.save(out, "JPEG", quality=JPEG_QUALITY)
        else:
            clean.save(out, "PNG")
    except Exception:
        raise AttachmentRejected(_UNREADABLE, field="file") from None
    return out.getvalue()


def _clean_content(content: bytes, max_bytes: int) -> tuple[str, bytes]:
    _check_size(content, max_bytes)
    media_type = sniff_type(content)
    if media_type == "application/pdf":
        # A PDF is stored as it came: stripping its metadata (author, producer, XMP) would
        # need a PDF library to rewrite it. It is encrypted at rest like everything else.
        return media_type, content
    return media_type, strip_image(content, media_type)


def _choose_tier(section: str, tier: str | None) -> Tier:
    spec = get_section(section)
    if tier is None:
        return spec.fixed_tier or spec.field("text").tier
    try:
        chosen = Tier(tier)
    except ValueError:
        raise InvalidEntry("The tier must be E, C, S or P.", field="tier") from None
    if spec.fixed_tier is not None and chosen is not spec.fixed_tier:
        raise InvalidEntry(
            f'Everything in "{spec.title}" is always {spec.fixed_tier.value}; '
            "this cannot be changed.",
            field="tier",
        )
    return chosen


# -- sealing and opening --------------------------------------------------------------------


def _scope_for(section: str, attachment_id: str, tier: Tier) -> str:
    # S attachments each get their own content key, like S entries, so one can be shared alone.
    return item_scope(attachment_id) if tier is Tier.S else section_scope(section)


def _ids(keychain: Keychain, person: Person, row: Attachment) -> dict[str, Any]:
    """What the file's key and bytes are bound to: its section and tier too, opened from
    their seal and key (decisions 0012, 0014)."""
    return {"person": person.id, "attachment": row.id,
            "section": section_of(keychain, person, row),
            "tier": attachment_tier(keychain, person, row).value}


def bucket_of(length: int) -> int:
    """Decision 0009: a power of two of at least 64 KiB up to 1 MiB; above, a multiple of an
    eighth of the length's octave (at most 12.5% more)."""
    if length <= _OCTAVES_FROM:
        bucket = MIN_BUCKET
        while bucket < length:
            bucket *= 2
        return bucket
    step = (1 << (length.bit_length() - 1)) // 8
    return -(-length // step) * step


def _plaintext(filename: str, media_type: str, content: bytes) -> bytes:
    """The v2 plaintext: header with the size, content, and zeros to the bucket."""
    header = json.dumps({"filename": filename, "media_type": media_type, "size": len(content)},
                        separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    body = FORMAT_V2 + len(header).to_bytes(_HEADER_LEN, "big") + header + content
    return body + bytes(bucket_of(len(body)) - len(body))


def _plaintext_v1(filename: str, media_type: str, content: bytes) -> bytes:
    """Format v1, kept only to check its known-answer vector: nothing writes it any more."""
    header = json.dumps({"filename": filename, "media_type": media_type},
                        separators=(",", ":"), ensure_ascii=False).encode()
    return FORMAT_V1 + len(header).to_bytes(_HEADER_LEN, "big") + header + content


def _parse_plaintext(plaintext: bytes) -> tuple[dict[str, Any], bytes]:
    """:raises DecryptionFailed: for a format this version cannot read, or v2 padded wrongly."""
    version = plaintext[:1]
    if version not in (FORMAT_V1, FORMAT_V2) or len(plaintext) < 1 + _HEADER_LEN:
        raise DecryptionFailed
    end = 1 + _HEADER_LEN + int.from_bytes(plaintext[1 : 1 + _HEADER_LEN], "big")
    try:
        header: dict[str, Any] = json.loads(plaintext[1 + _HEADER_LEN : end])
    except ValueError:
        raise DecryptionFailed from None
    if not isinstance(header, dict):
        raise DecryptionFailed
    if version == FORMAT_V1:
        return header, plaintext[end:]
    size = header.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise DecryptionFailed
    used = end + size
    # Only the authenticated writer pads: any other length or a non-zero byte is damage.
    if len(plaintext) != bucket_of(used) or plaintext[used:] != bytes(len(plaintext) - used):
        raise DecryptionFailed
    return header, plaintext[end:used]


def _seal(keychain: Keychain, person: Person, row: Attachment, plaintext: bytes) -> None:
    ids = _ids(keychain, person, row)
    tier = Tier(ids["tier"])
    content_key = keychain.content_key(
        person, _scope_for(ids["section"], row.id, tier), tier, person.epoch, create=True
    )
    data_key = envelope.new_key()
    row.key_epoch = person.epoch
    row.wrapped_key = ATTACHMENT_KEY.wrap(content_key, data_key, **ids)
    row.ciphertext = envelope.seal(data_key, plaintext, aad=attachment_binding(**ids))


def _open(keychain: Keychain, person: Person, row: Attachment) -> tuple[AttachmentView, bytes]:
    """:raises DecryptionFailed: for a row that was moved or changed; NotFound: no key."""
    ids = _ids(keychain, person, row)
    tier = Tier(ids["tier"])
    content_key = keychain.content_key(
        person, _scope_for(ids["section"], row.id, tier), tier, row.key_epoch
    )
    data_key = ATTACHMENT_KEY.unwrap(content_key, row.wrapped_key, **ids)
    header, content = _parse_plaintext(
        envelope.open_sealed(data_key, row.ciphertext, aad=attachment_binding(**ids))
    )
    view = AttachmentView(row.id, person.id, ids["section"], ids["tier"], str(header["media_type"]),
                          len(content), str(header["filename"]), row.created_at,
                          author_of(keychain, person, row)[1])
    return view, content


# -- the services ---------------------------------------------------------------------------


def store_attachment(
    session: Session,
    keychain: Keychain,
    person: Person,
    *,
    section: str,
    tier: str | None,
    filename: str,
    content: bytes,
    max_bytes: int,
    now: datetime,
) -> AttachmentView:
    """Check, clean and seal a file. :raises AttachmentRejected, UnknownSection, InvalidEntry:"""
    chosen = _choose_tier(section, tier)
    media_type, stored = _clean_content(content, max_bytes)
    name = clean_filename(filename)
    # The type and size are in the sealed header only (decision 0009).
    row = Attachment(id=new_id(), person_id=person.id, media_type=None, size=None,
                     created_at=now)
    row.tier = keyed_attachment_tier(keychain, person, chosen, attachment=row.id)
    place_in_section(keychain, person, row, get_section(section).name)
    seal_author(keychain, person, row, account_id=keychain.account_id)
    _seal(keychain, person, row, _plaintext(name, media_type, stored))
    session.add(row)
    session.flush()
    return AttachmentView(row.id, person.id, get_section(section).name, chosen.value, media_type,
                          len(stored),
                          name, now, keychain.account_id)


def get_attachment(session: Session, person: Person, attachment_id: str) -> Attachment:
    """The row, still sealed. :raises NotFound: for another person's attachment or a deleted one."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.person_id != person.id or row.deleted_at is not None:
        raise NotFound
    return row


def list_attachments(
    session: Session, keychain: Keychain, person: Person, *, section: str | None = None
) -> list[AttachmentView]:
    """Every live attachment, in section order then by when it was added. :raises UnknownSection:"""
    query = select(Attachment).where(Attachment.person_id == person.id,
                                     Attachment.deleted_at.is_(None))
    rows = session.scalars(query.order_by(Attachment.created_at, Attachment.id)).all()
    if section is not None:  # Sealed (decision 0012): the database cannot choose by it.
        wanted = get_section(section).name
        rows = [row for row in rows if section_of(keychain, person, row) == wanted]
    if not rows:
        return []
    keychain.preload_content_keys(person)
    # The file name is sealed with the content, so listing opens every attachment.
    views = [_open(keychain, person, row)[0] for row in rows]
    rank = {name: get_section(name).number for name in {v.section for v in views}}
    return sorted(views, key=lambda v: rank[v.section])


def read_attachment(
    session: Session, keychain: Keychain, person: Person, attachment_id: str
) -> tuple[AttachmentView, bytes]:
    """The attachment and its bytes. :raises NotFound, DecryptionFailed:"""
    return _open(keychain, person, get_attachment(session, person, attachment_id))


def pad_old_attachments(session: Session, keychain: Keychain, person: Person) -> int:
    """Seal again in format v2 (decision 0009) every file sealed before it, so that its length
    tells only its bucket and its type and size leave their plain columns; how many were."""
    old = session.scalars(select(Attachment).where(
        Attachment.person_id == person.id, Attachment.media_type.is_not(None))).all()
    for row in old:
        if row.deleted_at is None:  # A deleted file's bytes are gone already.
            view, content = _open(keychain, person, row)
            _seal(keychain, person, row, _plaintext(view.filename, view.media_type, content))
        row.media_type = row.size = None
    return len(old)


def delete_attachment(
    session: Session, keychain: Keychain, person: Person, attachment_id: str, *, now: datetime
) -> None:
    """Delete an attachment and destroy its bytes, not just hide them. :raises NotFound:"""
    row = get_attachment(session, person, attachment_id)
    row.deleted_at = now
    row.ciphertext = b""
    row.wrapped_key = b""
    if attachment_tier(keychain, person, row) is Tier.S:
        # An S attachment has a content key of its own that wraps nothing else; it goes too.
        session.execute(delete(ContentKey).where(
            ContentKey.person_id == person.id,
            ContentKey.scope.in_(keychain.stored_scopes(person, item_scope(row.id)))))
    session.flush()

