"""A sign-in from a new device is a notice: in the account's history, and by email through
a real SMTP conversation with a local sink (aiosmtpd) standing in for the mail server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from consent.sharing import send_ending_notices
from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from tests.conftest import _empty_tables
from tests.factories import PASSPHRASE
from tests.functional.api.test_links import open_link
from web.app import create_app
from web.mail import smtp_mailer
from web.settings import ConfigurationError, Settings, SmtpSettings, load_settings


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
        _empty_tables(database)


def test_smtp_settings_from_the_environment() -> None:
    assert load_settings({}).smtp is None
    smtp = load_settings({"TELLONCE_SMTP_HOST": "mail.example.org",
                          "TELLONCE_SMTP_FROM": "n@example.org"}).smtp
    assert smtp is not None
    assert (smtp.port, smtp.starttls) == (587, True)
    with pytest.raises(ConfigurationError):
        load_settings({"TELLONCE_SMTP_HOST": "mail.example.org"})


# -- notices about links ---------------------------------------------------------------------


def _person_with_email(client: FlaskClient) -> tuple[str, dict[str, str]]:
    made = client.post("/api/v1/accounts", json={"login": "amy", "email": "amy@example.org",
                                                 "passphrase": PASSPHRASE,
                                                 "preferred_name": "Amy"})
    assert client.post("/api/v1/sessions", json={"login": "amy",
                                                 "passphrase": PASSPHRASE}).status_code == 201
    return made.json["person_id"], {}


def _link(client: FlaskClient, person_id: str, **fields: Any) -> dict[str, Any]:
    # Signed in with the session cookie, so the passphrase comes again with the link.
    body = {"template": "gp", "label": "For my GP", "passphrase": PASSPHRASE,
            "expires_at": (datetime.now(UTC) + timedelta(days=60)).isoformat(), **fields}
    made = client.post(f"/api/v1/people/{person_id}/links", json=body)
    assert made.status_code == 201, made.json
    return made.json  # type: ignore[no-any-return]


def _kinds(client: FlaskClient) -> list[str]:
    return [e["kind"] for e in client.get("/api/v1/account/history").json["events"]]


def test_an_opening_is_told_only_when_the_person_asked(mail_app: Flask,
                                                       sink: tuple[Sink, int]) -> None:
    client = _client(mail_app)
    person_id, _ = _person_with_email(client)
    quiet = _link(client, person_id)
    told = _link(client, person_id, label="Tell me", notify_on_open=True)
    assert open_link(client, quiet["url"]).status_code == 200
    assert sink[0].messages == []
    assert open_link(client, told["url"]).status_code == 200
    (mail,) = sink[0].messages
    text = mail.get_payload(decode=True).decode()
    assert "Someone opened one of your links" in text
    assert "Patel" not in text  # Who opened it stays in the record, not in an email.
    assert "Tell me" not in text
    assert _kinds(client).count("link_opened") == 1


def test_the_last_wrong_passcode_stops_the_link_and_tells_the_person(
    mail_app: Flask, sink: tuple[Sink, int]
) -> None:
    client = _client(mail_app)
    person_id, _ = _person_with_email(client)
    link = _link(client, person_id, passcode="blue-kettle-42")
    for _ in range(10):
        assert open_link(client, link["url"], passcode="wrong one").status_code == 401
    (mail,) = sink[0].messages
    assert "wrong passcode" in mail.get_payload(decode=True).decode()
    assert "link_disabled" in _kinds(client)


def test_links_ending_soon_are_told_once_at_30_and_at_7_days(
    mail_app: Flask, sink: tuple[Sink, int]
) -> None:
    client = _client(mail_app)
    person_id, _ = _person_with_email(client)
    _link(client, person_id, expires_at=(datetime.now(UTC) + timedelta(days=40)).isoformat())
    rt = mail_app.extensions["tellonce"]
    now = datetime.now(UTC)

    def notices_at(moment: datetime) -> int:
        """What the daily run of ``tellonce notices`` does, as one unit of work."""
        with rt.db.transaction() as session:
            return send_ending_notices(session, rt.config, rt.mailer, moment)

    assert notices_at(now) == 0
    assert notices_at(now + timedelta(days=11)) == 1
    assert notices_at(now + timedelta(days=12)) == 0
    assert notices_at(now + timedelta(days=34)) == 1
    assert notices_at(now + timedelta(days=35)) == 0
    assert notices_at(now + timedelta(days=41)) == 0
    assert [m.get_payload(decode=True).decode().splitlines()[0] for m in sink[0].messages] == [
        "One of your links stops working in 30 days or less.",
        "One of your links stops working in 7 days or less."]
    kinds = _kinds(client)
    assert kinds.count("link_ends_in_30_days") == 1
    assert kinds.count("link_ends_in_7_days") == 1
