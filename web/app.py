"""The app factory: the composition root, and the only module that imports ``api``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_smorest import Api

from consent.runtime import Runtime
from keys.keyring import Keyring, file_mode_is_private
from keys.passphrase import DEFAULT_PARAMS, TEST_PARAMS, meets_minimum
from vault.config import VaultConfig
from vault.db import Database
from web.settings import ConfigurationError, Settings, load_settings

MAX_REQUEST_BYTES = 12 * 1024 * 1024  # An attachment of 10 MiB plus its form.


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
    if keyring.development and settings.env == "production":
        raise ConfigurationError(
            "This keyring was made for development. Refusing to start in production with it."
        )
    return keyring


def build_runtime(settings: Settings, overrides: dict[str, Any] | None = None) -> Runtime:
    overrides = overrides or {}
    keyring = overrides.get("KEYRING") or load_keyring(settings)
    kdf = overrides.get("KDF_PARAMS") or (TEST_PARAMS if settings.env == "test" else DEFAULT_PARAMS)
    # Cheap parameters exist only so the test suite runs fast; never anywhere else.
    if settings.env != "test" and not meets_minimum(kdf):
        raise ConfigurationError("Argon2id parameters below m=19 MiB, t=2, p=1 are for tests only.")
    config = VaultConfig(keyring=keyring, kdf_params=kdf)
    db = overrides.get("DATABASE") or Database(settings.database_url)
    mailer = overrides.get("MAILER")
    if mailer is None and settings.smtp is not None:
        from web.mail import smtp_mailer

        mailer = smtp_mailer(settings.smtp)
    return Runtime(db=db, config=config, env=settings.env, base_url=settings.base_url,
                   mailer=mailer)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` may carry SETTINGS, KEYRING, KDF_PARAMS, DATABASE."""
    from api import attachments as api_attachments
    from api import errors as api_errors
    from api import lifecycle as api_lifecycle  # noqa: F401 - registers routes
    from api import links as api_links  # noqa: F401 - registers routes
    from api import shl as api_shl
    from api import views as api_views
    from api.context import close_db_session
    from web import account_pages, pages, passkey_pages, record_pages, security, sharing_pages, viewer
    from web import errors as web_errors

    test_config = test_config or {}
    settings: Settings = test_config.get("SETTINGS") or load_settings()
    if settings.env == "production" and not settings.base_url.startswith("https://"):
        raise ConfigurationError("TELLONCE_BASE_URL must be an https:// address in production.")

    app = Flask("tellonce", instance_path=str(settings.instance_path),
                root_path=str(Path(__file__).parent))
    _templates(app)
    app.request_class = api_attachments.InMemoryRequest  # Uploads never spool to disk.
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        API_TITLE="Tell Once",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        TELLONCE_SETTINGS=settings,
    )
    app.extensions["tellonce"] = build_runtime(settings, test_config)
    if settings.trusted_proxies:
        # Sign-in throttling counts per address: behind a proxy, the address must be the
        # client's, taken only from the proxies the operator says are there.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)

    api = Api(spec_kwargs={"info": {"description": "Tell Once JSON API"}})
    # The default error answer in the document must be the body the API sends. flask-smorest
    # reads ERROR_SCHEMA when init_app registers its default responses, so set it before.
    from api.schemas import ErrorOut

    api.ERROR_SCHEMA = ErrorOut
    api.init_app(app)
    api.register_blueprint(api_views.blp)
    app.add_url_rule("/healthz", "healthz", api_views.health)
    app.add_url_rule("/readyz", "readyz", _ready)
    app.register_blueprint(pages.bp)
    app.register_blueprint(record_pages.bp)
    app.register_blueprint(account_pages.bp)
    app.register_blueprint(passkey_pages.bp)
    app.register_blueprint(sharing_pages.bp)
    app.register_blueprint(viewer.bp)
    app.register_blueprint(api_shl.bp)
    security.init_app(app, secret=runtime_of(app).config.keyring.secret("cookie")[1],
                      exempt=[api_views.blp, api_shl.bp])
    api_errors.register(app)
    web_errors.register(app, api_errors)
    app.teardown_appcontext(close_db_session)
    _strict_openapi(api)
    return app


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["tellonce"]
    return runtime


def _templates(app: Flask) -> None:
    """Our templates first, then the NHS.UK frontend's macros; everything autoescaped.

    The macros are .jinja files, which Flask would not autoescape by its file-name rule:
    every template is escaped here, so nothing a person wrote can become markup.
    """
    from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader

    from web.helpers import HELPERS

    # The macros read optional parameters in chains (params.formGroup.beforeInput), as
    # their Nunjucks originals do, which needs ChainableUndefined.
    app.jinja_options = {**Flask.jinja_options, "autoescape": True,
                         "undefined": ChainableUndefined}
    app.jinja_loader = ChoiceLoader([  # type: ignore[assignment]
        FileSystemLoader(str(Path(__file__).parent / "templates")),
        PackageLoader("nhsuk_frontend_jinja", "templates"),
    ])
    app.jinja_env.globals.update(HELPERS)


def _ready() -> tuple[dict[str, str], int]:
    """Readiness: the database answers."""
    from flask import current_app
    from sqlalchemy import text

    runtime: Runtime = current_app.extensions["tellonce"]
    try:
        with runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("readiness check failed")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200


def _strict_openapi(api: Api) -> None:
    """Every object schema in the document forbids properties it does not list."""
    from api.openapi import add_section_schemas

    spec = api.spec
    original = spec.to_dict

    def to_dict() -> dict[str, Any]:
        doc = original()
        add_section_schemas(doc)
        for schema in doc.get("components", {}).get("schemas", {}).values():
            if schema.get("type") == "object" and "properties" in schema:
                schema.setdefault("additionalProperties", False)
        return doc

    spec.to_dict = to_dict  # type: ignore[method-assign]
