"""The app refuses unsafe configuration, and every answer carries the security headers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from keys.keyring import Keyring
from keys.passphrase import TEST_PARAMS
from vault.models import SignInThrottle
from web.app import create_app
from web.settings import ConfigurationError, Settings, load_settings


def test_cheap_key_derivation_is_refused_outside_tests(settings: Settings, keyring: Keyring,
                                                      database: Any) -> None:
    with pytest.raises(ConfigurationError, match="tests only"):
        create_app({"SETTINGS": replace(settings, env="development"), "KEYRING": keyring,
                    "DATABASE": database, "KDF_PARAMS": TEST_PARAMS})


def test_production_needs_https(settings: Settings, keyring: Keyring, database: Any) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        create_app({"SETTINGS": replace(settings, env="production", base_url="http://x.test"),
                    "KEYRING": keyring, "DATABASE": database})


def test_production_refuses_a_development_keyring(tmp_path: Path, database: Any) -> None:
    Keyring.generate(development=True).save(tmp_path / "keyring.json")
    settings = Settings(env="production", instance_path=tmp_path, database_url="sqlite://",
                        base_url="https://x.test", redis_url=None)
    with pytest.raises(ConfigurationError, match="development"):
        create_app({"SETTINGS": settings, "DATABASE": database})


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        load_settings({"TELLONCE_ENV": "staging"})


def test_an_unknown_sqlite_binding_is_refused_by_name() -> None:
    assert load_settings({}).sqlite_binding == "bundled"
    assert load_settings({"TELLONCE_SQLITE_BINDING": "system"}).sqlite_binding == "system"
    with pytest.raises(ConfigurationError, match="TELLONCE_SQLITE_BINDING must be one of "
                                                 "bundled, system"):
        load_settings({"TELLONCE_SQLITE_BINDING": "apsw"})


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    settings = load_settings({"TELLONCE_INSTANCE_PATH": str(tmp_path)})
    assert settings.env == "production"
    assert settings.database_url == f"sqlite:///{tmp_path / 'tellonce.db'}"
    pg = load_settings({"TELLONCE_DATABASE_URL": "postgresql://u@h/db"})
    assert pg.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/v1/people", "/api/v1/nope",
                                  "/api/v1/openapi.json"])
def test_security_headers_on_every_answer(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    if path.startswith("/api/"):
        assert headers["Cache-Control"] == "no-store"


def test_errors_are_json_with_a_code_and_a_message(client: FlaskClient) -> None:
    for response in (client.get("/api/v1/nope"), client.get("/api/v1/people"),
                     client.patch("/api/v1/people")):
        body = response.json
        assert set(body) >= {"error", "message"}
        assert response.status_code in (401, 404, 405)


def test_huge_bodies_are_refused_before_reading(client: FlaskClient) -> None:
    response = client.post("/api/v1/accounts", data=b"x" * (13 * 1024 * 1024),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"] == "too_large"


def test_the_client_address_comes_from_trusted_proxies_only(
    settings: Settings, keyring: Keyring, database: Any
) -> None:
    """Behind one proxy, X-Forwarded-For names the client; without, it is ignored."""

    for proxies, expected_rows in ((0, 1), (1, 2)):
        app = create_app({"SETTINGS": replace(settings, trusted_proxies=proxies),
                          "KEYRING": keyring, "DATABASE": database, "KDF_PARAMS": TEST_PARAMS})
        client = app.test_client()
        for address in ("203.0.113.1", "203.0.113.2"):
            client.post("/api/v1/sessions", json={"login": "nobody", "passphrase": "x" * 20},
                        headers={"X-Forwarded-For": address})
        with database.transaction() as session:
            address_rows = [r for r in session.query(SignInThrottle).all()
                            if r.key_digest != keyring.login_digest("nobody")]
            assert len(address_rows) == expected_rows
            session.query(SignInThrottle).delete()
