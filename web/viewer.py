"""The share-link viewer: the page a GP or social worker opens from a SMART Health Link.

The page is static. Everything about the link happens in the recipient's browser
(web/static/viewer.js): the link's key is after ``#``, so it never reaches this server, and
the copy is decrypted there. Anyone may open it; it needs no account and reads no record.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

bp = Blueprint("viewer", __name__)

# The page every share link opens; a link's address names it (consent.sharing builds links).
VIEWER_PATH = "/view"


@bp.get(VIEWER_PATH)
def view() -> str:
    # "Close and clear" comes back here with ?cleared: a new page, so nothing the old one held
    # in memory survives, saying plainly that the record is gone. It carries nothing secret.
    return render_template("view.html", cleared="cleared" in request.args)
