"""A sign-in from a new device is a notice: in the account's history, and by email through
a real SMTP conversation with a local sink (aiosmtpd) standing in for the mail server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from tests.factories import PASSPHRASE
from web.app import create_app
from web.mail import smtp_mailer
from web.settings import Settings, SmtpSettings


class Sink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mail_app(settings: Settings, keyring: Keyring, database: Any,
             sink: tuple[Sink, int]) -> Iterator[Flask]:
    smtp = SmtpSettings(host="127.0.0.1", port=sink[1], sender="notices@tellonce.test",
                        username=None, starttls=False)
    app = create_app({"SETTINGS": replace(settings, smtp=smtp), "KEYRING": keyring,
                      "DATABASE": database, "KDF_PARAMS": TEST_PARAMS,
                      "MAILER": smtp_mailer(smtp)})
    yield app
    from tests.conftest import _empty_tables

    _empty_tables(database)


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def test_a_new_device_is_told_by_email_and_in_the_history(mail_app: Flask,
                                                          sink: tuple[Sink, int]) -> None:
    phone = _client(mail_app)
    made = phone.post("/api/v1/accounts", json={"login": "amy", "email": "amy@example.org",
                                                "passphrase": PASSPHRASE, "preferred_name": "Amy"})
    assert made.status_code == 201
    body = {"login": "amy", "passphrase": PASSPHRASE}
    assert phone.post("/api/v1/sessions", json=body).status_code == 201
    assert phone.post("/api/v1/sessions", json=body).status_code == 201
    assert sink[0].messages == []  # The first device, and the same device again: quiet.

    laptop = _client(mail_app)
    assert laptop.post("/api/v1/sessions", json=body).status_code == 201
    assert len(sink[0].messages) == 1
    mail = sink[0].messages[0]
    assert mail["To"] == "amy@example.org"
    assert "new sign-in" in mail["Subject"]
    text = mail.get_payload(decode=True).decode()
    assert "new device" in text
    assert "Amy" not in text  # Nothing from the record, not even the name.
    kinds = [e["kind"] for e in laptop.get("/api/v1/account/history").json["events"]]
    assert kinds.count("new_device_sign_in") == 1

    assert laptop.post("/api/v1/sessions", json=body).status_code == 201
    assert len(sink[0].messages) == 1  # The laptop is known now.


def test_a_mail_server_that_is_down_never_blocks_signing_in(
    settings: Settings, keyring: Keyring, database: Any
) -> None:
    dead = SmtpSettings(host="127.0.0.1", port=_free_port(), sender="n@tellonce.test",
                        username=None, starttls=False)
    app = create_app({"SETTINGS": settings, "KEYRING": keyring, "DATABASE": database,
                      "KDF_PARAMS": TEST_PARAMS, "MAILER": smtp_mailer(dead)})
    try:
        first, second = _client(app), _client(app)
        first.post("/api/v1/accounts", json={"login": "amy", "email": "amy@example.org",
                                             "passphrase": PASSPHRASE, "preferred_name": "Amy"})
        body = {"login": "amy", "passphrase": PASSPHRASE}
        assert first.post("/api/v1/sessions", json=body).status_code == 201
        assert second.post("/api/v1/sessions", json=body).status_code == 201
    finally:
        from tests.conftest import _empty_tables

        _empty_tables(database)


def test_smtp_settings_from_the_environment() -> None:
    from web.settings import ConfigurationError, load_settings

    assert load_settings({}).smtp is None
    smtp = load_settings({"TELLONCE_SMTP_HOST": "mail.example.org",
                          "TELLONCE_SMTP_FROM": "n@example.org"}).smtp
    assert smtp is not None
    assert (smtp.port, smtp.starttls) == (587, True)
    with pytest.raises(ConfigurationError):
        load_settings({"TELLONCE_SMTP_HOST": "mail.example.org"})
