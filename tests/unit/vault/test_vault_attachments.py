"""Attachments in the vault: sniffed, stripped of metadata, sealed with their name, destroyed."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime

import pytest
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keys.errors import DecryptionFailed
from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from vault import accounts, people
from vault import attachments as va
from vault.config import VaultConfig
from vault.errors import AttachmentRejected, InvalidEntry, NotFound, UnknownSection
from vault.keychain import Keychain, item_scope
from vault.models import Attachment, ContentKey, Person

CANARY = "ZQXcanaryW7K"
MAX = 10 * 1024 * 1024
PASSPHRASE = "correct orbit lantern quietly"


@dataclass
class Owner:
    person: Person
    keychain: Keychain


def make_owner(session: Session, keyring: Keyring, now: datetime, login: str) -> Owner:
    config = VaultConfig(keyring=keyring, kdf_params=TEST_PARAMS)
    _account, unlocked, _code = accounts.create_account(
        session, config, login=login, email=None, passphrase_text=PASSPHRASE, now=now)
    person = people.create_person(session, config, subject=unlocked, preferred_name="Amy", now=now)
    return Owner(person, Keychain(session, config, unlocked))


@pytest.fixture
def amy(session: Session, keyring: Keyring, now: datetime) -> Owner:
    return make_owner(session, keyring, now, "amy")


@pytest.fixture
def bob(session: Session, keyring: Keyring, now: datetime) -> Owner:
    return make_owner(session, keyring, now, "bob")


def store(session: Session, owner: Owner, content: bytes, now: datetime, *,
          section: str = "health_plan", tier: str | None = None,
          filename: str = "scan.pdf", max_bytes: int = MAX) -> va.AttachmentView:
    return va.store_attachment(session, owner.keychain, owner.person, section=section, tier=tier,
                               filename=filename, content=content, max_bytes=max_bytes, now=now)


# -- files to upload --------------------------------------------------------------------------


def pdf_bytes(extra: bytes = b"") -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" + extra + b"\n%%EOF\n"


def jpeg_with_metadata() -> bytes:
    """A 64x48 photo stored sideways (orientation 6) with EXIF, GPS, XMP, ICC and a comment."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = f"{CANARY} description"  # ImageDescription
    exif[0x013B] = f"{CANARY} artist"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show.
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=f"{CANARY} comment",
               xmp=f"<x:xmpmeta>{CANARY} xmp</x:xmpmeta>".encode())
    return out.getvalue()


def png_with_text() -> bytes:
    image = Image.new("RGBA", (20, 10), (0, 120, 200, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"{CANARY} tEXt")
    info.add_text("Author", f"{CANARY} zTXt", zip=True)
    info.add_itxt("Description", f"{CANARY} iTXt")
    exif = Image.Exif()
    exif[0x013B] = f"{CANARY} artist"
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` one-bit pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def jpeg_markers(data: bytes) -> list[int]:
    """The segment markers before the image data (APPn, COM, DQT, ...)."""
    markers, pos = [], 2
    while pos < len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # Start of scan: the pixels follow.
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


# -- metadata is stripped ---------------------------------------------------------------------


def test_jpeg_loses_all_metadata_and_stays_upright(session: Session, amy: Owner, now: datetime) -> None:
    view = store(session, amy, jpeg_with_metadata(), now, filename="me.jpg")
    _, stored = va.read_attachment(session, amy.keychain, amy.person, view.id)
    assert view.media_type == "image/jpeg"
    assert CANARY.encode() not in stored
    # APP1 holds EXIF and XMP, APP2 the ICC profile, COM a comment: none may be written.
    assert not {0xE1, 0xE2, 0xFE} & set(jpeg_markers(stored))
    image = Image.open(io.BytesIO(stored))
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    assert len(image.getexif()) == 0
    # Orientation 6 was applied to the pixels: the 64x48 photo is now 48 wide and 64 high.
    assert image.size == (48, 64)


def test_png_loses_text_chunks_and_exif(session: Session, amy: Owner, now: datetime) -> None:
    original = png_with_text()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(original))
    view = store(session, amy, original, now, filename="chart.png")
    _, stored = va.read_attachment(session, amy.keychain, amy.person, view.id)
    assert set(png_chunk_types(stored)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert CANARY.encode() not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.mode == "RGBA"
    assert image.getpixel((3, 3)) == (0, 120, 200, 128)


def test_palette_png_keeps_its_transparency(session: Session, amy: Owner, now: datetime) -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    view = store(session, amy, out.getvalue(), now)
    _, stored = va.read_attachment(session, amy.keychain, amy.person, view.id)
    assert Image.open(io.BytesIO(stored)).getpixel((0, 0)) == (255, 0, 0, 255)


def test_pdf_round_trips_byte_for_byte(session: Session, amy: Owner, now: datetime) -> None:
    original = pdf_bytes(f"/Title ({CANARY})".encode())
    view = store(session, amy, original, now, filename="letter.pdf")
    again, stored = va.read_attachment(session, amy.keychain, amy.person, view.id)
    assert stored == original
    assert again == view
    assert (view.media_type, view.size, view.filename) == ("application/pdf", len(original),
                                                           "letter.pdf")


# -- what is refused --------------------------------------------------------------------------


def test_type_is_sniffed_not_taken_from_the_name(session: Session, amy: Owner, now: datetime) -> None:
    assert store(session, amy, png_with_text(), now, filename="x.pdf").media_type == "image/png"
    with pytest.raises(AttachmentRejected) as caught:
        store(session, amy, b"just some text, not a picture", now, filename="x.jpg")
    assert caught.value.message == (
        "Tell Once keeps photos (JPEG or PNG) and PDF documents. This file is not one of those.")


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # A PNG signature and nothing sensible after it.
    jpeg_with_metadata()[:300],  # A JPEG cut short.
    b"\xff\xd8\xff" + b"garbage" * 10,
], ids=["png", "truncated-jpeg", "jpeg"])
def test_damaged_images_are_refused(session: Session, amy: Owner, now: datetime,
                                    content: bytes) -> None:
    with pytest.raises(AttachmentRejected, match="could not be read"):
        store(session, amy, content, now)


def test_empty_and_too_big_are_refused_and_store_nothing(session: Session, amy: Owner,
                                                        now: datetime) -> None:
    with pytest.raises(AttachmentRejected, match="empty"):
        store(session, amy, b"", now)
    with pytest.raises(AttachmentRejected, match="up to 1 MB"):
        store(session, amy, pdf_bytes(b"x" * 1024 * 1024), now, max_bytes=1024 * 1024)
    assert va.list_attachments(session, amy.keychain, amy.person) == []


def test_decompression_bomb_is_refused(session: Session, amy: Owner, now: datetime) -> None:
    # 400 million pixels: past twice Pillow's limit, so Pillow itself refuses to open it.
    bomb = png_declaring(20000, 20000)
    assert len(bomb) < 200
    with pytest.raises(AttachmentRejected, match="million pixels"):
        store(session, amy, bomb, now)


def test_our_own_pixel_limit_holds_below_pillows(session: Session, amy: Owner, now: datetime) -> None:
    # 81 million pixels: under Pillow's limit, over ours, so only our own check refuses it.
    assert va.MAX_PIXELS < 9000 * 9000 < Image.MAX_IMAGE_PIXELS
    with pytest.raises(AttachmentRejected, match="million pixels"):
        store(session, amy, png_declaring(9000, 9000), now)


# -- names, sections and tiers ----------------------------------------------------------------


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/pass\x00wd.pdf", "passwd.pdf"),
    ("C:\\Users\\amy\\Scans\\letter.pdf", "letter.pdf"),
    ("photo\u202egpj.exe", "photogpj.exe"),
    ("line\r\nbreak.png", "linebreak.png"),
    ("", "attachment"),
    ("/tmp/", "attachment"),
    ("..", "attachment"),
    ("Zoë’s scan.pdf", "Zoë’s scan.pdf"),
])
def test_file_names_are_cleaned(given: str, kept: str) -> None:
    assert va.clean_filename(given) == kept


def test_long_names_keep_their_extension() -> None:
    name = va.clean_filename("a" * 500 + ".pdf")
    assert len(name) == 200
    assert name.endswith("a.pdf")


def test_tiers_default_from_the_section_and_respect_fixed_ones(
    session: Session, amy: Owner, now: datetime
) -> None:
    assert store(session, amy, pdf_bytes(), now, section="allergies").tier == "E"
    assert store(session, amy, pdf_bytes(), now, section="health_plan", tier="S").tier == "S"
    assert store(session, amy, pdf_bytes(), now, section="journal").tier == "P"
    with pytest.raises(InvalidEntry) as caught:
        store(session, amy, pdf_bytes(), now, section="journal", tier="E")
    assert caught.value.field == "tier"
    with pytest.raises(InvalidEntry):
        store(session, amy, pdf_bytes(), now, tier="X")
    with pytest.raises(UnknownSection):
        store(session, amy, pdf_bytes(), now, section="nowhere")


def test_list_by_section_in_section_order(session: Session, amy: Owner, now: datetime) -> None:
    plan = store(session, amy, pdf_bytes(), now, section="health_plan", filename="plan.pdf")
    allergy = store(session, amy, png_with_text(), now, section="allergies", filename="a.png")
    listed = va.list_attachments(session, amy.keychain, amy.person)
    assert [v.id for v in listed] == [allergy.id, plan.id]
    assert [v.filename for v in listed] == ["a.png", "plan.pdf"]
    only = va.list_attachments(session, amy.keychain, amy.person, section="health_plan")
    assert [v.id for v in only] == [plan.id]
    with pytest.raises(UnknownSection):
        va.list_attachments(session, amy.keychain, amy.person, section="nowhere")


# -- sealing, ownership and deletion ----------------------------------------------------------


def test_name_and_content_are_sealed(session: Session, amy: Owner, now: datetime) -> None:
    content = pdf_bytes(CANARY.encode())
    view = store(session, amy, content, now, filename=f"{CANARY}.pdf")
    row = session.get(Attachment, view.id)
    assert row is not None
    assert row.ciphertext[:1] == b"\x01"
    assert CANARY.encode() not in row.ciphertext + row.wrapped_key
    # Its type and size are sealed only, and its length is its bucket's (decision 0009).
    assert (row.media_type, row.size, row.key_epoch) == (None, None, 1)
    assert (view.media_type, view.size) == ("application/pdf", len(content))
    assert len(row.ciphertext) == 1 + 12 + va.MIN_BUCKET + 16


def test_files_of_different_sizes_seal_to_one_length_up_to_64_kib(session: Session, amy: Owner,
                                                                  now: datetime) -> None:
    views = [store(session, amy, pdf_bytes(b"x" * n), now) for n in (0, 1000, 60_000)]
    lengths = {len(row.ciphertext) for row in session.scalars(
        select(Attachment).where(Attachment.id.in_([v.id for v in views])))}
    assert lengths == {1 + 12 + va.MIN_BUCKET + 16}
    assert sorted(v.size for v in va.list_attachments(session, amy.keychain, amy.person)) == \
        sorted(v.size for v in views)


def test_another_persons_attachment_is_not_found(session: Session, amy: Owner, bob: Owner,
                                                 now: datetime) -> None:
    view = store(session, bob, pdf_bytes(), now)
    with pytest.raises(NotFound):
        va.read_attachment(session, amy.keychain, amy.person, view.id)
    with pytest.raises(NotFound):
        va.delete_attachment(session, amy.keychain, amy.person, view.id, now=now)
    assert va.list_attachments(session, amy.keychain, amy.person) == []
    assert va.read_attachment(session, bob.keychain, bob.person, view.id)[1] == pdf_bytes()


def test_a_row_moved_to_another_person_fails_to_open(session: Session, amy: Owner, bob: Owner,
                                                     now: datetime) -> None:
    # Bob has an attachment of his own in the same section and tier, so he holds the content
    # key it would need: only the binding to Amy's ids stops it opening.
    store(session, bob, pdf_bytes(), now)
    view = store(session, amy, pdf_bytes(CANARY.encode()), now)
    session.execute(update(Attachment).where(Attachment.id == view.id)
                    .values(person_id=bob.person.id))
    session.expire_all()
    with pytest.raises(DecryptionFailed):
        va.read_attachment(session, bob.keychain, bob.person, view.id)
    with pytest.raises(DecryptionFailed):
        va.list_attachments(session, bob.keychain, bob.person)


def test_a_row_moved_to_another_section_fails_to_open(session: Session, amy: Owner,
                                                      now: datetime) -> None:
    store(session, amy, pdf_bytes(), now, section="allergies", tier="C")
    view = store(session, amy, pdf_bytes(), now, section="health_plan", tier="C")
    session.execute(update(Attachment).where(Attachment.id == view.id)
                    .values(section="allergies"))
    session.expire_all()
    with pytest.raises(DecryptionFailed):
        va.read_attachment(session, amy.keychain, amy.person, view.id)


def test_delete_destroys_the_bytes(session: Session, amy: Owner, now: datetime) -> None:
    view = store(session, amy, pdf_bytes(), now, tier="S")
    scope = amy.keychain.stored_scopes(amy.person, item_scope(view.id))[0]  # Keyed (0012).
    assert session.scalar(select(ContentKey).where(ContentKey.scope == scope)) is not None
    va.delete_attachment(session, amy.keychain, amy.person, view.id, now=now)
    session.expire_all()
    row = session.get(Attachment, view.id)
    assert row is not None
    assert (row.ciphertext, row.wrapped_key, row.deleted_at) == (b"", b"", now)
    assert session.scalar(select(ContentKey).where(ContentKey.scope == scope)) is None
    with pytest.raises(NotFound):
        va.read_attachment(session, amy.keychain, amy.person, view.id)
    with pytest.raises(NotFound):
        va.delete_attachment(session, amy.keychain, amy.person, view.id, now=now)
    assert va.list_attachments(session, amy.keychain, amy.person) == []


def test_a_clean_jpeg_is_kept_byte_for_byte_so_export_and_import_round_trip(
    session: Session, amy: Owner, now: datetime
) -> None:
    first = store(session, amy, jpeg_with_metadata(), now)
    _, cleaned = va.read_attachment(session, amy.keychain, amy.person, first.id)
    again = store(session, amy, cleaned, now)
    _, stored_again = va.read_attachment(session, amy.keychain, amy.person, again.id)
    assert stored_again == cleaned


@pytest.mark.parametrize("extra", [b"comment", b"trailer"])
def test_a_jpeg_with_anything_beside_its_pixels_is_re_encoded(
    session: Session, amy: Owner, now: datetime, extra: bytes
) -> None:
    image = Image.new("RGB", (8, 8), "red")
    out = io.BytesIO()
    if extra == b"comment":
        image.save(out, "JPEG", comment=b"CANARY-in-a-comment")
        content = out.getvalue()
    else:
        image.save(out, "JPEG")
        content = out.getvalue() + b"CANARY-after-the-end"
    made = store(session, amy, content, now)
    _, stored = va.read_attachment(session, amy.keychain, amy.person, made.id)
    assert b"CANARY" not in stored
