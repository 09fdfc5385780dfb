"""Configuration from the environment (``TELLONCE_*``), with safe embedded defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from vault.db import SQLITE_BINDINGS

ENVIRONMENTS = ("development", "test", "production")


class ConfigurationError(Exception):
    """The server cannot start safely with this configuration; the message says why."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None
    password: str | None = field(repr=False, default=None)
    starttls: bool = True


@dataclass(frozen=True)
class Settings:
    env: str
    instance_path: Path
    database_url: str
    base_url: str
    redis_url: str | None
    # How many reverse proxies in front of the server set X-Forwarded-For; 0 trusts none.
    trusted_proxies: int = 0
    smtp: SmtpSettings | None = None
    # Which SQLite the embedded mode uses: "bundled" (pysqlite3's, when installed) or "system".
    sqlite_binding: str = "bundled"

    @property
    def keyring_path(self) -> Path:
        return self.instance_path / "keyring.json"

    @property
    def shred_list_path(self) -> Path:
        # Kept outside the database on purpose: a restored backup re-applies it.
        return self.instance_path / "shred-list.txt"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env_vars = os.environ if environ is None else environ
    env = env_vars.get("TELLONCE_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"TELLONCE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}."
        )
    instance = Path(env_vars.get("TELLONCE_INSTANCE_PATH", "instance")).resolve()
    database_url = env_vars.get("TELLONCE_DATABASE_URL") or f"sqlite:///{instance / 'tellonce.db'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver; let operators write the ordinary URL.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    # localhost, not 127.0.0.1: browsers refuse passkeys for an IP address, and treat
    # http://localhost as a secure context, so the __Host- cookies work in development.
    default_base = "http://localhost:5000" if env != "production" else ""
    base_url = env_vars.get("TELLONCE_BASE_URL", default_base).rstrip("/")
    proxies = env_vars.get("TELLONCE_TRUSTED_PROXIES", "0")
    if not proxies.isdigit():
        raise ConfigurationError("TELLONCE_TRUSTED_PROXIES must be a whole number (0 by default).")
    sqlite_binding = env_vars.get("TELLONCE_SQLITE_BINDING", "bundled")
    if sqlite_binding not in SQLITE_BINDINGS:
        raise ConfigurationError(
            f"TELLONCE_SQLITE_BINDING must be one of {', '.join(SQLITE_BINDINGS)}.")
    return Settings(
        smtp=_smtp(env_vars),
        sqlite_binding=sqlite_binding,
        trusted_proxies=int(proxies),
        env=env,
        instance_path=instance,
        database_url=database_url,
        base_url=base_url,
        redis_url=env_vars.get("TELLONCE_REDIS_URL") or None,
    )


def _smtp(env_vars: Mapping[str, str]) -> SmtpSettings | None:
    """Email notices are on when TELLONCE_SMTP_HOST and TELLONCE_SMTP_FROM are set."""
    host = env_vars.get("TELLONCE_SMTP_HOST")
    if not host:
        return None
    sender = env_vars.get("TELLONCE_SMTP_FROM")
    port = env_vars.get("TELLONCE_SMTP_PORT", "587")
    if not sender or not port.isdigit():
        raise ConfigurationError(
            "With TELLONCE_SMTP_HOST set, TELLONCE_SMTP_FROM must be an address and "
            "TELLONCE_SMTP_PORT a number.")
    return SmtpSettings(
        host=host, port=int(port), sender=sender,
        username=env_vars.get("TELLONCE_SMTP_USERNAME") or None,
        password=env_vars.get("TELLONCE_SMTP_PASSWORD") or None,
        starttls=env_vars.get("TELLONCE_SMTP_STARTTLS", "true").lower() != "false")
