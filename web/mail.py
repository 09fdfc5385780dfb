"""Sending notices by SMTP (the standard library's smtplib), when the operator sets it up."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from consent.notices import Mailer
from web.settings import SmtpSettings

TIMEOUT_SECONDS = 10


def smtp_mailer(settings: SmtpSettings) -> Mailer:
    def send(to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)

    return send
