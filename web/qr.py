"""QR codes, drawn on this server: for share links (PNG and SVG) and one-time code set-up.

Drawn here rather than by a service elsewhere, so what a code holds (a share link's key, a
one-time code's secret) never leaves the server. Error correction M, as the SMART Health
Links specification recommends for links.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg

QUIET_ZONE = 4  # Modules of white around the code, as the QR standard asks.


def _code(text: str, *, border: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(text)
    code.make(fit=True)
    return code


def png(text: str, *, box_size: int = 8, border: int = QUIET_ZONE) -> bytes:
    code = _code(text, border=border)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def svg(text: str) -> bytes:
    buffer = io.BytesIO()
    _code(text, border=QUIET_ZONE).make_image(
        image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


def data_uri(png_bytes: bytes) -> str:
    """A PNG as a data: address, for an <img> the page's CSP allows."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode()
