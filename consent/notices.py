"""Notices to the person: in their account history, and by email when the server has SMTP.

A notice says that something happened to the account, in plain words, and never anything
from the record. The email goes only to the address the person gave for notices.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

Mailer = Callable[[str, str, str], None]  # (to, subject, body)

log = logging.getLogger(__name__)
UK = ZoneInfo("Europe/London")



def uk_time(moment: datetime, *, year: bool = True) -> str:
    """Like "Monday 23 November 2026 at 2:02pm", in UK time whatever the server's zone."""
    local = moment.astimezone(UK)
    hour = local.strftime("%I").lstrip("0")
    minutes = local.strftime("%M%p").lower()
    month = local.strftime("%B %Y" if year else "%B")
    return f"{local.strftime('%A')} {local.day} {month} at {hour}:{minutes}"


# What each notice says on the person's record page.
NOTICE_WORDS = {
    "new_device_sign_in": "Someone signed in to your account on a new device.",
    "passphrase_changed": "Your passphrase was changed.",
    "account_recovered": "Your recovery code was used to get back into your account.",
    "recovery_code_replaced": "You made a new recovery code. The old one stopped working.",
    "second_factor_added": "One-time codes were switched on.",
    "second_factor_removed": "One-time codes were switched off.",
    "passkey_added": "A passkey was added to your account.",
    "passkey_removed": "A passkey was taken off your account.",
    "token_created": "An API token was made.",
    "link_opened": "Someone opened one of your links. See who on the sharing page.",
    "link_disabled": "A link stopped working because a wrong passcode was typed too many times.",
    "link_ends_in_30_days": "One of your links stops working in 30 days or less.",
    "link_ends_in_7_days": "One of your links stops working in 7 days or less.",
    "account_locked": "Your account was locked after too many wrong passphrases.",
}


def new_device_email(moment: datetime) -> tuple[str, str]:
    subject = "Tell Once: a new sign-in to your account"
    body = (
        f"Someone signed in to your Tell Once account on a new device on {uk_time(moment)}.\n\n"
        "If this was you, you do not need to do anything.\n\n"
        "If it was not you, sign in, change your passphrase, and sign out everywhere else.\n\n"
        "Tell Once is not an NHS service. This email never contains anything from your record.\n"
    )
    return subject, body


def link_email(kind: str, moment: datetime) -> tuple[str, str]:
    """A notice about a link, in the same plain words as on the record page; never content."""
    subject = "Tell Once: about one of your links"
    body = (
        f"{NOTICE_WORDS[kind]}\n\nThis happened on {uk_time(moment)}.\n\n"
        "Sign in to Tell Once to see your links and stop any of them.\n\n"
        "Tell Once is not an NHS service. This email never contains anything from your record.\n"
    )
    return subject, body


NOTICE_KINDS = tuple(NOTICE_WORDS)


def send(mailer: Mailer | None, to: str | None, message: tuple[str, str]) -> None:
    """Send after the action is committed; a mail failure never undoes or blocks it."""
    if mailer is None or not to:
        return
    try:
        mailer(to, *message)
    except Exception:  # The sign-in stands whatever the mail server says.
        log.warning("a notice email could not be sent")
