"""Opening a share link (POST /shl/{id}, the copy embedded, its audit event in the same commit).

wrk (Debian's package) drives the manifests of many live links, then GET /healthz, against the
same `tellonce serve` in the same run, and again after the database has grown to 100,000 links
and a million audit events; the figures that matter are the ratios.

    .venv/bin/python bench/open_link.py [--seconds 10] [--links 200] [--no-grow]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, Engine, func, select

from api.shl import MANIFEST_PATH
from bench import _load as load
from bench._server import call, manifest_path, running_server
from keys import share
from vault.audit import GENESIS
from vault.db import make_engine
from vault.models import AuditEvent, ShareLink, new_id
from web.settings import load_settings

GROWN_LINKS = 100_000
GROWN_EVENTS = 1_000_000
EVENTS_PER_CHAIN = 100
BATCH = 20_000
# Helen is the demo person with the shortest record: her emergency card's copy is about 22 KB,
# so 100,000 copies of it take 2 GB (4.5 GB with the events), loaded in a couple of minutes.
DEMO_LOGIN = "helen"

def wrk(base: str, paths: list[str], seconds: int, connections: int,
        body: str | None = None) -> dict[str, Any]:
    """Rate and latency of requests to ``paths`` in turn: POST ``body`` if given, else GET."""
    return load.wrk(base, paths, seconds, connections, method="POST" if body else "GET",
                    body=body)


@contextlib.contextmanager
def server_and_instance(workers: int | None, threads: int | None
                        ) -> Iterator[tuple[str, Path]]:
    """running_server, and the instance folder it made, to load rows into its database."""
    # running_server yields only the address; its instance is made by tempfile.mkdtemp, so
    # it lands in a folder of our own where we can find it.
    parent = Path(tempfile.mkdtemp(prefix="tellonce-open-link-"))
    tempfile.tempdir = str(parent)
    try:
        with running_server(workers=workers, threads=threads) as base:
            tempfile.tempdir = None
            (instance,) = parent.iterdir()
            yield base, instance
    finally:
        tempfile.tempdir = None
        shutil.rmtree(parent, ignore_errors=True)


def demo_person(instance: Path) -> tuple[str, str]:
    """The demo person's id and an API token, from `tellonce demo --json` beside the server."""
    env = {**os.environ, "TELLONCE_ENV": "development", "TELLONCE_INSTANCE_PATH": str(instance)}
    tellonce = shutil.which("tellonce") or str(Path(".venv/bin/tellonce").resolve())
    out = subprocess.run([tellonce, "demo", "--json"], env=env, check=True, capture_output=True,
                         text=True).stdout
    account = next(a for a in json.loads(out)["accounts"] if a["login"] == DEMO_LOGIN)
    return account["person_id"], account["api_token"]


def make_links(base: str, person_id: str, token: str, count: int) -> list[str]:
    """``count`` live emergency links made through the API; their manifest paths."""
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    paths = []
    for i in range(count):
        status, link = call(base, "POST", f"/api/v1/people/{person_id}/links", {
            "template": "emergency", "label": f"Bench {i}", "expires_at": expires},
            headers={"Authorization": f"Bearer {token}"})
        assert status == 201, link
        paths.append(manifest_path(link["url"]))  # type: ignore[index]
    return paths


def insert_all(db: Connection, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]
               ) -> None:
    """INSERT ``rows`` with executemany, in batches; values as SQLite stores them."""
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - our own names only.
           f"VALUES ({', '.join('?' * len(columns))})")
    while batch := list(itertools.islice(rows, BATCH)):
        db.exec_driver_sql(sql, batch)


def copy_links(db: Connection, person_id: str, open_count: int,
               up_to: int = GROWN_LINKS) -> list[str]:
    """Copies of one of the person's links up to ``up_to``; paths of ``open_count`` of them.

    Each copy has a fresh id and manifest id, so the manifest opens it like the real one; its
    share_key_wrap and meta_sealed stay bound to the row it came from, which the manifest
    never reads (the person could not rebuild these links' addresses).
    """
    found = db.exec_driver_sql("SELECT * FROM share_links WHERE person_id = ? AND "
                               "passcode_digest IS NULL LIMIT 1", (person_id,))
    columns = list(found.keys())
    source = {**dict(zip(columns, found.one(), strict=True)),
              "openings": 0}
    have = db.exec_driver_sql("SELECT count(*) FROM share_links").scalar_one()
    manifest_ids = [os.urandom(share.SECRET_LEN) for _ in range(up_to - have)]
    insert_all(db, "share_links", columns, (
        tuple({**source, "id": new_id(), "lookup": share.lookup(m)}.values())
        for m in manifest_ids))
    step = max(1, len(manifest_ids) // open_count)
    return [MANIFEST_PATH + share.b64url(m) for m in manifest_ids[::step][:open_count]]


def copy_events(db: Connection, person_id: str, up_to: int = GROWN_EVENTS) -> None:
    """Copies of the person's events, in chains of made-up people, up to ``up_to``.

    Their hashes are random but link up, with a head for each chain; they do not verify
    (`tellonce audit verify` would refuse them), which no opening ever checks.
    """
    found = db.exec_driver_sql("SELECT kind, actor_account_id, sealed FROM audit_events "
                               "WHERE chain = ?", (f"person:{person_id}",))
    templates = itertools.cycle(found.all())
    have = db.exec_driver_sql("SELECT count(*) FROM audit_events").scalar_one()
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=365)
    # Naive UTC in the text form SQLAlchemy writes on SQLite (vault/models.py, UTCDateTime).
    times = [(start + timedelta(minutes=seq)).strftime("%Y-%m-%d %H:%M:%S.%f")
             for seq in range(1, EVENTS_PER_CHAIN + 1)]
    heads: list[tuple[Any, ...]] = []

    def events() -> Iterator[tuple[Any, ...]]:
        for _ in range(-((have - up_to) // EVENTS_PER_CHAIN)):  # Rounded up.
            chain, prev = f"person:{new_id()}", GENESIS
            for seq, at in enumerate(times, 1):
                kind, actor, sealed = next(templates)
                digest = os.urandom(32)
                yield chain, seq, at, kind, actor, sealed, prev, digest
                prev = digest
            heads.append((chain, EVENTS_PER_CHAIN, prev))

    insert_all(db, "audit_events", ["chain", "seq", "at", "kind", "actor_account_id", "sealed",
                                    "prev_hash", "hash"], events())
    insert_all(db, "audit_heads", ["chain", "seq", "hash"], iter(heads))


def fold_the_wal(engine: Engine) -> None:
    """Checkpoint what the load wrote, as an operator would after a bulk import: otherwise
    the requests measured next would fold gigabytes of WAL back into the database."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as db:
        return (db.scalar(select(func.count()).select_from(ShareLink)) or 0,
                db.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def measure(base: str, engine: Engine, paths: list[str], args: argparse.Namespace
            ) -> dict[str, dict[str, Any]]:
    """Open ``paths`` round-robin, then GET /healthz, for ``args.seconds`` each, and print."""
    opened = wrk(base, paths, args.seconds, args.connections, json.dumps({"recipient": "Bench"}))
    health = wrk(base, ["/healthz"], args.seconds, args.connections)
    links, events = counts(engine)
    print(f"  database: {links:,} links, {events:,} audit events")
    per_link = -(-opened["requests"] // len(paths))
    for name, figures, note in (
            ("GET /healthz (baseline)", health, ""),
            (f"POST /shl/{{id}} ({len(paths)} links)", opened, f", at most {per_link} a link")):
        print(f"  {name:28} {figures['rate']:8.1f} req/s, p50 {figures['p50_ms']:7.2f} ms, "
              f"p99 {figures['p99_ms']:7.2f} ms  ({figures['requests']:,} requests{note})")
        if figures["failed"] or figures["socket_errors"]:
            print(f"  !!! NOT VALID: {figures['failed']} responses were not 200 "
                  f"({figures['statuses']}), {figures['socket_errors']} socket errors or timeouts"
                  + (": over 60 a link, so use more --links" if per_link > 60 else ""))
    print(f"  open / healthz: throughput {opened['rate'] / health['rate']:.3f}, "
          f"p50 {opened['p50_ms'] / health['p50_ms']:.1f}x, "
          f"p99 {opened['p99_ms'] / health['p99_ms']:.1f}x")
    return {"open": opened, "health": health}


def all_200(*runs: dict[str, dict[str, Any]]) -> bool:
    return not any(f["failed"] or f["socket_errors"] for run in runs for f in run.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, help="tellonce serve --workers")
    parser.add_argument("--threads", type=int, help="tellonce serve --threads")
    parser.add_argument("--links", type=int, default=200,
                        help="links opened in each run; each may be opened 60 times")
    parser.add_argument("--grow", action=argparse.BooleanOptionalAction, default=True,
                        help=f"run again with {GROWN_LINKS:,} links and {GROWN_EVENTS:,} events")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    # A link answers 60 manifest requests in 10 minutes, then 429 (vault/links.py). Each run
    # opens links no run opened before, round-robin, so none is asked for more than the
    # requests of the run divided by --links: printed, and a run that went over says so.
    with server_and_instance(args.workers, args.threads) as (base, instance):
        person_id, token = demo_person(instance)
        paths = make_links(base, person_id, token, args.links)
        print(f"Opening {args.links} emergency links of the demo person {DEMO_LOGIN}, "
              f"{args.seconds} s each, {args.connections} connections")
        # Our own engine on the server's database takes the instance's write lock, as any
        # command writing beside a running server does (vault/db.py).
        engine = make_engine(load_settings({"TELLONCE_INSTANCE_PATH": str(instance)}).database_url)
        first = measure(base, engine, paths, args)
        if not args.grow:
            sys.exit(0 if all_200(first) else "Some requests failed: see !!! above.")
        start = time.perf_counter()
        # SQL rather than the API, which would take hours; SQLite only, like running_server.
        with engine.begin() as db:
            paths = copy_links(db, person_id, args.links)
            copy_events(db, person_id)
        fold_the_wal(engine)
        print(f"Grown in {time.perf_counter() - start:.0f} s; opening {args.links} of the new links")
        grown = measure(base, engine, paths, args)
    ratios = {key: (grown["open"][key] / grown["health"][key])
              / (first["open"][key] / first["health"][key]) for key in ("rate", "p50_ms", "p99_ms")}
    print(f"grown / first run (each as a ratio to its own /healthz): throughput "
          f"{ratios['rate']:.2f}, p50 {ratios['p50_ms']:.2f}x, p99 {ratios['p99_ms']:.2f}x")
    if not all_200(first, grown):
        sys.exit("Some requests failed: see !!! above.")


if __name__ == "__main__":
    main()
