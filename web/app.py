"""The app factory: the composition root, and the only module that imports ``api``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from redis import Redis
from werkzeug.middleware.proxy_fix import ProxyFix

from api import front_door as api_front_door
from api import shl as api_shl
from api.attachments import InMemoryRequest
from consent.runtime import Runtime
from consent.sharing import LinkAddresses
from keys.keyring import Keyring, file_mode_is_private
from keys.passphrase import DEFAULT_PARAMS, TEST_PARAMS, meets_minimum
from vault.config import VaultConfig
from vault.db import Database
from web import (
    account_pages,
    errors,
    pages,
    passkey_pages,
    print_pages,
    record_pages,
    security,
    sharing_pages,
    unit_of_work,
    viewer,
)
from web.helpers import HELPERS
from web.mail import smtp_mailer
from web.settings import ConfigurationError, Settings, load_settings

MAX_REQUEST_BYTES = 12 * 1024 * 1024  # An attachment of 10 MiB plus its form.

# The cookies of a signed-in browser. The pages and the JSON API share them (a person signed
# in through either is signed in to both), and neither may import the other, so they are
# named here, once, and read from the app's configuration.
SESSION_COOKIE = "__Host-tellonce-session"
COOKIES = {
    "session": SESSION_COOKIE,
    # Holds a sign-in between a right passphrase and its second step, for five minutes.
    "pending": "__Host-tellonce-pending",
    # A long-lived random id for the browser, so a sign-in from a new device can be told.
    "device": "__Host-tellonce-device",
}
PAGE_BLUEPRINTS = (pages.bp, record_pages.bp, print_pages.bp, account_pages.bp,
                   passkey_pages.bp, sharing_pages.bp, viewer.bp)


def load_keyring(settings: Settings) -> Keyring:
    """Read the instance keyring, refusing unsafe ones outside development."""
    path = settings.keyring_path
    if not path.exists():
        raise ConfigurationError(
            f"There is no keyring in the instance folder. Run 'tellonce init' first ({path.name})."
        )
    if not file_mode_is_private(path):
        raise ConfigurationError(f"The keyring file {path.name} must be mode 600.")
    keyring = Keyring.load(path)
    if keyring.missing_purposes():
        raise ConfigurationError(
            f"The keyring has no key for {', '.join(keyring.missing_purposes())}: run "
            "'tellonce init', which adds them.")
    if keyring.development and settings.env == "production":
        raise ConfigurationError(
            "This keyring was made for development. Refusing to start in production with it."
        )
    return keyring


def _redis(settings: Settings) -> Redis | None:
    """A client of the configured Redis, quick to give up: an outage must cost a request
    little, because the database then does Redis's work (decision 0011)."""
    if not settings.redis_url:
        return None
    return Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)


def build_runtime(settings: Settings, overrides: dict[str, Any] | None = None) -> Runtime:
    overrides = overrides or {}
    keyring = overrides.get("KEYRING") or load_keyring(settings)
    kdf = overrides.get("KDF_PARAMS") or (TEST_PARAMS if settings.env == "test" else DEFAULT_PARAMS)
    # Cheap parameters exist only so the test suite runs fast; never anywhere else.
    if settings.env != "test" and not meets_minimum(kdf):
        raise ConfigurationError("Argon2id parameters below m=19 MiB, t=2, p=1 are for tests only.")
    config = VaultConfig(keyring=keyring, kdf_params=kdf, redis=_redis(settings))
    db = overrides.get("DATABASE") or Database(settings.database_url, settings.sqlite_binding)
    mailer = overrides.get("MAILER")
    if mailer is None and settings.smtp is not None:
        mailer = smtp_mailer(settings.smtp)
    addresses = LinkAddresses.at(settings.base_url, viewer_path=viewer.VIEWER_PATH,
                                 manifest_path=api_shl.MANIFEST_PATH)
    return Runtime(db=db, config=config, env=settings.env, base_url=settings.base_url,
                   addresses=addresses, mailer=mailer)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` may carry SETTINGS, KEYRING, KDF_PARAMS, DATABASE."""
    test_config = test_config or {}
    settings: Settings = test_config.get("SETTINGS") or load_settings()
    if settings.env == "production" and not settings.base_url.startswith("https://"):
        raise ConfigurationError("TELLONCE_BASE_URL must be an https:// address in production.")

    app = Flask("tellonce", instance_path=str(settings.instance_path),
                root_path=str(Path(__file__).parent))
    _templates(app)
    app.request_class = InMemoryRequest  # Uploads never spool to disk.
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, TELLONCE_SETTINGS=settings,
                      TELLONCE_COOKIES=COOKIES)
    app.extensions["tellonce"] = build_runtime(settings, test_config)
    if settings.trusted_proxies:
        # Sign-in throttling counts per address: behind a proxy, the address must be the
        # client's, taken only from the proxies the operator says are there.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)

    unit_of_work.init_app(app)
    api_blueprints = api_front_door.init_app(app)
    for blueprint in PAGE_BLUEPRINTS:
        app.register_blueprint(blueprint)
    security.init_app(app, secret=runtime_of(app).config.keyring.secret("cookie")[1],
                      exempt=api_blueprints, public=[api_front_door.PUBLIC])
    errors.register(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["tellonce"]
    return runtime


def _templates(app: Flask) -> None:
    """Our templates first, then the NHS.UK frontend's macros; everything autoescaped.

    The macros are .jinja files, which Flask would not autoescape by its file-name rule:
    every template is escaped here, so nothing a person wrote can become markup.
    """
    # The macros read optional parameters in chains (params.formGroup.beforeInput), as
    # their Nunjucks originals do, which needs ChainableUndefined.
    app.jinja_options = {**Flask.jinja_options, "autoescape": True,
                         "undefined": ChainableUndefined}
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(Path(__file__).parent / "templates")),
        PackageLoader("nhsuk_frontend_jinja", "templates"),
    ])
    app.jinja_env.globals.update(HELPERS)
