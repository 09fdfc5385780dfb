"""`make bench`: one table, each row a ratio to GET /healthz measured against the same server.

For SQLite (the embedded default) and, when one answers, PostgreSQL, one `tellonce serve` with
its own number of workers and the real Argon2id parameters, and wrk at 16 connections:

    (a) GET /healthz, the floor
    (b) opening a link (POST /shl/{id}), without and with a passcode, 200 links round-robin
    (c) a whole record of 100 entries through the API
    (d) the owner's record page
    (e) an entry edit (PUT), with no live link and with 20 live links of its section

Each row gives requests per second, p50 and p99, and its throughput as a ratio to (a); each
database's block ends with the peak memory of its largest worker and the CPU wrk itself used.
A run whose floor is below 2,000 requests per second is marked not valid: the machine was too
busy, or too small, for its ratios to mean anything.

With ``--peer``, a Solid pod (the Community Solid Server, from npm, on its file backend) then
serves a resource as large as an opening's answer, alone on the machine as Tell Once was, and
the table ends with how many times a pod's plain read Tell Once opens a link (bench/_peer.py).

    .venv/bin/python bench/table.py [--seconds 8] [--connections 16] [--postgres URL | --no-postgres]
                                    [--peer]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import _load as load
from bench._peer import VERSION as PEER_VERSION
from bench._peer import solid_pod
from bench._record import fill_record
from bench._server import Server, call, manifest_path, serving

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
FLOOR_NEEDED = 2_000  # requests per second of GET /healthz
LINKS = 200
LIVE_LINKS = 20
PASSCODE = "bench-passcode-2026"
EDITED_SECTION = "communication"
# The demo person with the shortest record: her emergency card's copy is about 22 KB.
DEMO_LOGIN = "helen"


def _demo_person(server: Server) -> tuple[str, dict[str, str]]:
    """The demo person with the shortest record, whose links (b) opens: the person whose
    entries (e) edits must have only the live links that row counts."""
    tellonce = shutil.which("tellonce") or str(Path(".venv/bin/tellonce").resolve())
    out = subprocess.run([tellonce, "demo", "--json"], env=server.env, check=True,
                         capture_output=True, text=True).stdout
    account = next(a for a in json.loads(out)["accounts"] if a["login"] == DEMO_LOGIN)
    return account["person_id"], {"Authorization": f"Bearer {account['api_token']}"}


def _links(server: Server, person_id: str, bearer: dict[str, str], count: int,
           **fields: Any) -> list[str]:
    """``count`` live links of the person, made through the API: their manifest paths."""
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    paths = []
    for i in range(count):
        status, link = call(server.base, "POST", f"/api/v1/people/{person_id}/links",
                            {"label": f"Bench {i}", "expires_at": expires, **fields},
                            headers=bearer)
        assert status == 201, link
        paths.append(manifest_path(link["url"]))  # type: ignore[index]
    return paths


def _answer_bytes(base: str, path: str) -> int:
    request = urllib.request.Request(base + path, method="POST",
                                     data=json.dumps({"recipient": "Bench"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return len(answer.read())


def _row(name: str, figures: dict[str, Any], floor: float | None) -> str:
    """One row: req/s, p50, p99, and its ratio to ``floor`` (none for a peer's row)."""
    bad = ""
    if figures["failed"] or figures["socket_errors"]:
        bad = f"  NOT VALID: {figures['failed']} failed ({figures['statuses']})"
    ratio = "" if floor is None else f" {figures['rate'] / floor:7.3f}"
    return (f"  {name:44} {figures['rate']:8.1f} {figures['p50_ms']:8.2f} "
            f"{figures['p99_ms']:8.2f}{ratio}{bad}")


def measure(server: Server, seconds: int, connections: int, *, login: str = "bench"
            ) -> list[tuple[str, dict[str, Any]]]:
    """Every row of the table against one server, with a record of ``login`` made for it; the
    floor first."""
    record = fill_record(server.base, login)
    helen, helens_token = _demo_person(server)
    plain = _links(server, helen, helens_token, LINKS, template="emergency")
    guarded = _links(server, helen, helens_token, LINKS, template="gp", passcode=PASSCODE)
    edited = [f"/api/v1/people/{record.person_id}/entries/{entry}"
              for entry in record.entries[EDITED_SECTION]]
    edit = json.dumps({"data": {"text": "I use short sentences, and pictures help."}})

    def run(paths: list[str], **how: Any) -> dict[str, Any]:
        figures = load.wrk(server.base, paths, seconds, connections, **how)
        print(f"  ... {paths[0]} {how.get('method', 'GET')}: {figures['rate']:.1f} req/s",
              file=sys.stderr)
        return figures

    rows = [
        ("(a) GET /healthz (the floor)", run(["/healthz"])),
        ("(b) open a link, no passcode", run(plain, method="POST",
                                             body=json.dumps({"recipient": "Bench"}))),
        ("(b) open a link, with a passcode", run(guarded, method="POST", body=json.dumps(
            {"recipient": "Bench", "passcode": PASSCODE}))),
        ("(c) whole record, 100 entries (API)",
         run([f"/api/v1/people/{record.person_id}/entries"], headers=record.bearer)),
        ("(d) the owner's record page",
         run([f"/people/{record.person_id}"], headers={"Cookie": record.cookie})),
        ("(e) edit an entry, no live link", run(edited, method="PUT", body=edit,
                                                headers=record.bearer)),
    ]
    # How much an opening answers, for a peer's resource of the same size (--peer).
    rows[1][1]["answer_bytes"] = _answer_bytes(server.base, plain[0])
    _links(server, record.person_id, record.bearer, LIVE_LINKS, template="custom",
           sections={EDITED_SECTION: "full"})
    rows.append((f"(e) edit an entry, {LIVE_LINKS} live links",
                 run(edited, method="PUT", body=edit, headers=record.bearer)))
    return rows


def print_block(title: str, server: Server, rows: list[tuple[str, dict[str, Any]]]) -> bool:
    floor = rows[0][1]["rate"]
    print(f"\n{title}")
    print(f"  {'':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'/ (a)':>7}")
    for name, figures in rows:
        print(_row(name, figures, floor))
    edits = [f for name, f in rows if name.startswith("(e)")]
    print(f"  (e) an edit with {LIVE_LINKS} live links costs "
          f"{edits[0]['rate'] / edits[1]['rate']:.1f}x one with none (throughput; median "
          f"time {edits[1]['p50_ms'] / edits[0]['p50_ms']:.1f}x)")
    print(f"  peak memory of the largest worker: {server.worker_peak_memory_mb():.0f} MB; "
          f"wrk's own CPU: up to {max(f['wrk_cpu'] for _, f in rows):.2f} cores")
    valid = floor >= FLOOR_NEEDED and not any(
        f["failed"] or f["socket_errors"] for _, f in rows)
    if floor < FLOOR_NEEDED:
        print(f"  NOT VALID: the floor is {floor:,.0f} req/s, below {FLOOR_NEEDED:,}: the "
              "machine was too busy for these ratios to mean anything.")
    return valid


def print_peer(rows: dict[str, dict[str, Any]], seconds: int, connections: int) -> bool:
    """A Solid pod's plain read of what an opening answers, against the SQLite block's (b)."""
    opening = rows["(b) open a link, no passcode"]
    with solid_pod(opening["answer_bytes"]) as (base, path):
        pod = load.wrk(base, [path], seconds, connections)
    print(f"\nA Solid pod (Community Solid Server {PEER_VERSION}, file backend), alone on the "
          f"machine, reading a resource of {opening['answer_bytes']:,} bytes (an opening's answer)")
    print(_row("(p) GET of the resource", pod, None))
    print(f"  (b) Tell Once opens a link at {opening['rate'] / pod['rate']:.1f}x the pod's plain "
          "read (target 10x)")
    return not (pod["failed"] or pod["socket_errors"])


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    """A fresh database beside ``admin_url``'s for one run, dropped after; None if none
    answers there."""
    name = f"tellonce_bench_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="a PostgreSQL database whose server may hold one more")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--peer", action="store_true",
                        help="then a Solid pod's plain read of a resource of the same size")
    args = parser.parse_args()
    load.require_wrk()
    machine = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    print(f"Tell Once benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine} cores, "
          f"wrk -c{args.connections} for {args.seconds} s a row")
    valid = True
    with serving() as server:
        rows = measure(server, args.seconds, args.connections)
        valid &= print_block("SQLite (embedded)", server, rows)
    if args.peer:
        valid &= print_peer(dict(rows), args.seconds, args.connections)
    if not args.no_postgres:
        with postgres_database(args.postgres) as url:
            if url is None:
                print(f"\nPostgreSQL: none answers at {args.postgres}; skipped")
            else:
                with serving(database_url=url) as server:
                    valid &= print_block("PostgreSQL", server,
                                         measure(server, args.seconds, args.connections))
    if not valid:
        sys.exit(1)


if __name__ == "__main__":
    main()
