"""The ``tellonce`` command: init, serve, demo, check, audit, account, keyring, purge, shred.

Each command is one unit of work: the database session it uses (``Command.session``) is
committed when the command ends without an error and rolled back otherwise, here in
``_Group.invoke``, the command line's one front door. Actions waiting for the commit (an
email notice) run after it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from sqlalchemy.orm import Session

from consent import accounts, history, lifecycle, sharing
from consent.runtime import Runtime, system_clock
from keys.errors import KeysError
from keys.keyring import PURPOSES, Keyring
from vault.db import Database, discard_after_commit, run_after_commit, sqlite_binding
from vault.errors import VaultError
from vault.migrate import upgrade
from web.app import build_runtime, create_app, load_keyring
from web.checks import run_checks, run_notes
from web.demo import load_demo
from web.settings import ConfigurationError, Settings, load_settings


class Command:
    """What a command works with, made on first use: its settings, runtime and unit of work."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._runtime: Runtime | None = None
        self._db: Database | None = None
        self._session: Session | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def runtime(self) -> Runtime:
        """The server's runtime (keyring, clock, mailer), for commands that act as it does."""
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
            self._db = self._runtime.db
        return self._runtime

    @property
    def database(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url, self.settings.sqlite_binding)
        return self._db

    @property
    def session(self) -> Session:
        """The command's unit of work: operations flush, the command commits at its end."""
        if self._session is None:
            self._session = self.database.sessions()
        return self._session

    def finish(self, *, ok: bool) -> None:
        session, self._session = self._session, None
        try:
            if session is not None and ok:
                session.commit()
                run_after_commit(session)
            elif session is not None:
                session.rollback()
                discard_after_commit(session)
        finally:
            if session is not None:
                session.close()
            if self._db is not None:
                self._db.dispose()


class _Group(click.Group):
    """One unit of work per command; the domain's errors become one plain line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        command = ctx.ensure_object(Command)
        ok = False
        try:
            result = super().invoke(ctx)
            ok = True
            return result
        except (VaultError, KeysError, ConfigurationError) as exc:
            # DatabaseBusy says another process holds the SQLite write lock: try again.
            raise click.ClickException(getattr(exc, "message", str(exc))) from None
        finally:
            command.finish(ok=ok)


def _command() -> Command:
    return click.get_current_context().ensure_object(Command)


@click.group(cls=_Group)
def main() -> None:
    """Tell Once: an encrypted record, shared by the person it is about."""


@main.command()
def init() -> None:
    """Create the instance folder and keyring, and migrate the database. Safe to repeat."""
    settings = _command().settings
    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # An existing folder keeps its mode through mkdir; the database and keyring live here.
    settings.instance_path.chmod(0o700)
    if not settings.keyring_path.exists():
        Keyring.generate(development=settings.env == "development").save(settings.keyring_path)
        click.echo("Created a new keyring (keyring.json, mode 600). Back it up separately.")
    else:
        _add_missing_purposes(settings.keyring_path)
    upgrade(_command().database.engine, keyring=load_keyring(settings))
    click.echo("The database is at the latest version.")


def _add_missing_purposes(path: Any) -> None:
    """A keyring from before a purpose existed gets a key for it (decision 0004)."""
    ring = Keyring.load(path)
    added = ring.add_missing_purposes()
    if added:
        ring.save(path)
        click.echo(f"Added keyring keys for {', '.join(added)}. Back up the keyring again.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1),
              help="Worker processes (default: two per core and one more).")
@click.option("--threads", type=click.IntRange(min=1), default=8, show_default=True,
              help="Threads in each worker.")
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve with gunicorn: several workers, or one on a SQLite before the WAL fix (see
    DESIGN.md, Storage)."""
    settings = _command().settings
    workers = _workers(settings, workers)
    app = create_app()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
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


def _workers(settings: Settings, asked: int | None) -> int:
    """gunicorn's usual two per core and one more, or as many as asked; one process on a
    SQLite that needs the lock, since there every transaction takes it and a second process
    would only wait."""
    if settings.is_sqlite and not sqlite_binding(settings.sqlite_binding).fixed:
        if asked not in (None, 1):
            raise click.ClickException(
                "This SQLite is before the WAL fix of 3.51.3, so the server runs one worker.")
        return 1
    return asked or (os.cpu_count() or 1) * 2 + 1


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print accounts and fresh API tokens.")
def demo(as_json: bool) -> None:
    """Load the demo people. Safe to repeat; each run issues fresh API tokens."""
    command = _command()
    result = load_demo(command.session, command.runtime)
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
    command = _command()
    rt = command.runtime
    given = sharing.send_ending_notices(command.session, rt.config, rt.mailer, rt.now())
    click.echo(f"{given} notice{'s' if given != 1 else ''} given.")


@main.command()
def check() -> None:
    """Check that this server is safe to run; exit 1 and say why if not."""
    problems = run_checks(_command().settings)
    for problem in problems:
        click.echo(f"FAIL: {problem}", err=True)
    if problems:
        sys.exit(1)
    for note in run_notes(_command().settings):
        click.echo(f"NOTE: {note}")
    click.echo("All checks passed.")


@main.group()
def audit() -> None:
    """The audit history."""


@audit.command("verify")
@click.option("--against", "kept_file", type=click.File("r"), default=None,
              help="A signed head the person kept (JSON, as the export and the API give it), "
                   "or a JSON list of them: finds a rewrite or truncation even by someone "
                   "holding the keyring.")
def audit_verify(kept_file: Any) -> None:
    """Check every audit chain's MACs and signed head; exit 1 if any does not verify."""
    kept = _kept_heads(kept_file) if kept_file is not None else None
    verified = history.verify_history(_command().session,
                                      load_keyring(_command().settings), kept)
    for message in verified.broken:
        click.echo(f"FAIL: {message}", err=True)
    if verified.broken:
        sys.exit(1)
    click.echo(f"{verified.chains} chains, {verified.events} events: all verify.")


def _kept_heads(handle: Any) -> list[dict[str, Any]]:
    try:
        data = json.load(handle)
    except ValueError:
        raise click.ClickException("The kept head is not JSON.") from None
    # An export holds its head under "audit"; a head alone or a list of heads is taken as is.
    if isinstance(data, dict) and isinstance(data.get("audit"), dict):
        data = data["audit"].get("head")
    heads = data if isinstance(data, list) else [data]
    if not all(isinstance(h, dict) for h in heads):
        raise click.ClickException("The kept head is not a signed head of a Tell Once history.")
    return heads


@main.command()
def purge() -> None:
    """Destroy the records whose undo period has passed, and say how many."""
    command = _command()
    destroyed = lifecycle.destroy_due_records(command.session, now=system_clock(),
                                      shred_list=command.settings.shred_list_path)
    click.echo(f"Destroyed {len(destroyed)} record(s) whose undo period had passed.")


@main.group()
def shred() -> None:
    """The shred list: records destroyed, kept outside the database for restored backups."""


@shred.command("reapply")
def shred_reapply() -> None:
    """After restoring a backup, destroy again every record the shred list names."""
    command = _command()
    destroyed = lifecycle.reapply_deletions(command.session,
                                            shred_list=command.settings.shred_list_path,
                                            now=system_clock())
    click.echo(f"Destroyed {len(destroyed)} record(s) again from the shred list.")


@main.group("account")
def account_group() -> None:
    """One account's keys."""


@account_group.command("rotate-key")
@click.argument("login")
@click.option("--passphrase", prompt=True, hide_input=True,
              help="The account's passphrase; asked for when not given.")
def account_rotate_key(login: str, passphrase: str) -> None:
    """Give LOGIN's account a new key pair, every key slot sealed again to it.

    Every session and API token of the account ends, and a new recovery code is printed once:
    give it to the person, whose old code stops working.
    """
    command = _command()
    rt, session = command.runtime, command.session
    actor = accounts.unlock_at_command_line(session, rt.config, login=login, passphrase=passphrase)
    code = accounts.rotate_account_key(session, rt.config, actor, passphrase=passphrase,
                                       address="", now=rt.now())
    click.echo("The account has a new key. Every session and API token of it has ended.")
    click.echo(f"New recovery code (shown once): {code}")


@main.group()
def keyring() -> None:
    """The server keyring (instance/keyring.json)."""


@keyring.command("rotate")
@click.argument("purpose", type=click.Choice(PURPOSES))
def keyring_rotate(purpose: str) -> None:
    """Add a new current key for PURPOSE; older keys stay to open what they made.

    A new pepper reaches each account at its next sign-in. A new login or address key starts
    the sign-in and polling counters again. Back up the keyring after this.
    """
    settings = _command().settings
    if not settings.keyring_path.exists():
        raise click.ClickException("There is no keyring: run 'tellonce init' first.")
    ring = Keyring.load(settings.keyring_path)
    key_id = ring.rotate(purpose)
    ring.save(settings.keyring_path)
    click.echo(f"New current {purpose} key: {key_id}. Back up the keyring file now.")
