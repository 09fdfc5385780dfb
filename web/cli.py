"""The ``tellonce`` command: init, serve, demo, check, audit, keyring, purge, shred."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from web.settings import ConfigurationError, Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


class _Group(click.Group):
    """Turns the domain's errors into one plain line and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from vault.errors import VaultError

        try:
            return super().invoke(ctx)
        except VaultError as exc:
            # DatabaseBusy says another process holds the SQLite write lock: try again.
            raise click.ClickException(exc.message) from None
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group)
def main() -> None:
    """Tell Once: an encrypted record, shared by the person it is about."""


@main.command()
def init() -> None:
    """Create the instance folder and keyring, and migrate the database. Safe to repeat."""
    from keys.keyring import Keyring
    from vault.db import Database
    from vault.migrate import upgrade

    settings = _settings()
    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # An existing folder keeps its mode through mkdir; the database and keyring live here.
    settings.instance_path.chmod(0o700)
    if not settings.keyring_path.exists():
        Keyring.generate(development=settings.env == "development").save(settings.keyring_path)
        click.echo("Created a new keyring (keyring.json, mode 600). Back it up separately.")
    db = Database(settings.database_url)
    try:
        upgrade(db.engine)
    finally:
        db.dispose()
    click.echo("The database is at the latest version.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve with gunicorn. On SQLite, one process (see DESIGN.md, Storage)."""
    from gunicorn.app.base import BaseApplication

    from web.app import create_app

    settings = _settings()
    try:
        app = create_app()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    workers = 1 if settings.is_sqlite else (os.cpu_count() or 1) * 2 + 1

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 8)
            # Access logs would carry paths with ids only, but keep them off: the person's
            # history lives in the audit chain, not in a log an operator can read.
            self.cfg.set("accesslog", None)
            # gunicorn's control socket would sit in the user's home folder, shared by every
            # server the user runs; nothing here uses it.
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return app

    click.echo(f"Tell Once is serving on http://{host}:{port}")
    Server().run()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print accounts and fresh API tokens.")
def demo(as_json: bool) -> None:
    """Load the demo people. Safe to repeat; each run issues fresh API tokens."""
    from web.app import create_app
    from web.demo import load_demo

    try:
        app = create_app()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    result = load_demo(app.extensions["tellonce"])
    if as_json:
        links = [{"login": account["login"], **link}
                 for account in result for link in account["links"]]
        click.echo(json.dumps({"accounts": result, "links": links}, indent=2))
    else:
        for account in result:
            click.echo(f"{account['login']}: passphrase '{account['passphrase']}'")
            for link in account["links"]:
                passcode = f" (passcode '{link['passcode']}')" if link["passcode"] else ""
                click.echo(f"  {link['label']}: {link['url']}{passcode}")


@main.command()
def notices() -> None:
    """Tell people of links that end within 30 and 7 days. Run once a day, from a timer."""
    from consent.sharing import send_ending_notices
    from web.app import create_app

    try:
        app = create_app()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    rt = app.extensions["tellonce"]
    given = send_ending_notices(rt.db, rt.config, rt.mailer, rt.now())
    click.echo(f"{given} notice{'s' if given != 1 else ''} given.")


@main.command()
def check() -> None:
    """Check that this server is safe to run; exit 1 and say why if not."""
    from web.checks import run_checks

    problems = run_checks(_settings())
    for problem in problems:
        click.echo(f"FAIL: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("All checks passed.")


@main.group()
def audit() -> None:
    """The audit history."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute every audit chain; exit 1 if any does not verify."""
    from vault.audit import ChainBroken, all_chains, verify_chain
    from vault.db import Database

    settings = _settings()
    db = Database(settings.database_url)
    failures = 0
    events = 0
    try:
        with db.transaction() as session:
            chains = all_chains(session)
            for chain in chains:
                try:
                    events += verify_chain(session, chain=chain)
                except ChainBroken as exc:
                    failures += 1
                    click.echo(f"FAIL: {exc.message}", err=True)
    finally:
        db.dispose()
    if failures:
        sys.exit(1)
    click.echo(f"{len(chains)} chains, {events} events: all verify.")


@main.command()
def purge() -> None:
    """Destroy the records whose undo period has passed, and say how many."""
    from consent.lifecycle import destroy_due
    from consent.runtime import system_clock
    from vault.db import Database

    settings = _settings()
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            destroyed = destroy_due(session, now=system_clock(),
                                    shred_list=settings.shred_list_path)
    finally:
        db.dispose()
    click.echo(f"Destroyed {len(destroyed)} record(s) whose undo period had passed.")


@main.group()
def shred() -> None:
    """The shred list: records destroyed, kept outside the database for restored backups."""


@shred.command("reapply")
def shred_reapply() -> None:
    """After restoring a backup, destroy again every record the shred list names."""
    from consent.lifecycle import reapply_deletions
    from consent.runtime import system_clock
    from vault.db import Database
    from vault.errors import VaultError

    settings = _settings()
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            destroyed = reapply_deletions(session, shred_list=settings.shred_list_path,
                                          now=system_clock())
    except VaultError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()
    click.echo(f"Destroyed {len(destroyed)} record(s) again from the shred list.")


@main.group()
def keyring() -> None:
    """The server keyring (instance/keyring.json)."""


@keyring.command("rotate")
@click.argument("purpose", type=click.Choice(["cookie", "passcode", "pepper", "public-key-mac",
                                              "signing"]))
def keyring_rotate(purpose: str) -> None:
    """Add a new current key for PURPOSE; older keys stay to open what they made.

    A new pepper reaches each account at its next sign-in. Back up the keyring after this.
    """
    from keys.keyring import Keyring

    settings = _settings()
    if not settings.keyring_path.exists():
        raise click.ClickException("There is no keyring: run 'tellonce init' first.")
    ring = Keyring.load(settings.keyring_path)
    key_id = ring.rotate(purpose)
    ring.save(settings.keyring_path)
    click.echo(f"New current {purpose} key: {key_id}. Back up the keyring file now.")
