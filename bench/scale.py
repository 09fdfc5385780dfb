"""`make bench-scale`: the table's (b), (c) and (e) with 10 people, and again with 100,000.

Against one `tellonce serve` (SQLite, or PostgreSQL with --postgres):

1. makes 10 people in bulk (bench/_bulk.py) and measures the table's rows (bench/table.py);
2. makes people up to --people (100,000 by default: a million entries, 200,000 links, two
   million audit events), through the same services as everyone else, --jobs at once;
3. checks the result through the server: opens --check links picked at random before the
   run and decrypts each copy, and reads --check records picked at random through the API
   with a token of their own; one failure fails the run;
4. measures the rows again, and opens the picked links under load too;
5. prints each row's ratio to the floor, grown against the first run; a change of more than
   15% either way is marked.

    .venv/bin/python bench/scale.py [--people 100000] [--jobs N] [--check 1000]
                                    [--postgres URL] [--seconds 8] [--connections 16]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from bench import _bulk as bulk
from bench import _load as load
from bench import table
from bench._server import Server, call, manifest_path, serving
from consent import accounts, tokens
from consent.runtime import Runtime
from keys import share
from vault.models import AuditEvent, Entry, Person, ShareLink
from web.app import build_runtime
from web.settings import load_settings

FIRST_PEOPLE = 10
TOLERANCE = 0.15
CHUNK = 500  # people a job makes before it reports
COMPARED = ("(b) open a link, no passcode", "(c) whole record, 100 entries (API)",
            "(e) edit an entry, no live link", f"(e) edit an entry, {table.LIVE_LINKS} live links")
_RUNTIME: Runtime | None = None


def _runtime(env: dict[str, str]) -> Runtime:
    """The server's runtime, made once in each process: its database and keyring."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = build_runtime(load_settings(env))
    return _RUNTIME


def _make_chunk(env: dict[str, str], numbers: range, picked: set[int]) -> bulk.Made:
    return bulk.make_people(_runtime(env), numbers, picked)


def grow(server: Server, numbers: range, picked: set[int], jobs: int) -> bulk.Made:
    """Make the people ``numbers`` in chunks, ``jobs`` processes at once; progress on stderr."""
    total = bulk.Made()
    chunks = [range(start, min(start + CHUNK, numbers.stop))
              for start in range(numbers.start, numbers.stop, CHUNK)]
    began = time.monotonic()
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        for made in pool.map(_make_chunk, [server.env] * len(chunks), chunks,
                             [picked] * len(chunks)):
            total.add(made)
            done = numbers.start + total.people
            rate = total.people / (time.monotonic() - began)
            print(f"  ... {done:,} people, {rate:.0f} a second, "
                  f"{(numbers.stop - done) / rate / 60:.0f} min to go", file=sys.stderr)
    return total


def tokens_for(rt: Runtime, numbers: list[int]) -> dict[str, dict[str, str]]:
    """A read token for each of these bulk people, made as the API makes one; by person id."""
    out = {}
    with bulk.shared_passphrase(), rt.db.transaction() as session:
        for number in numbers:
            actor = accounts.unlock_at_command_line(session, rt.config,
                                                    login=bulk.login_of(number),
                                                    passphrase=bulk.PASSPHRASE)
            person_id = accounts.require_own_record(session, actor).person_id
            token, _ = tokens.create_token(
                session, rt.config, actor, name="scale check", scopes=["read"],
                person_ids=[person_id], expires_at=rt.now() + timedelta(days=1), now=rt.now())
            out[person_id] = {"Authorization": f"Bearer {token}"}
    return out


def open_and_decrypt(base: str, url: str) -> str | None:
    """Open a link at its manifest and decrypt its copy: None if all went well, else why."""
    payload = share.parse_shlink(url)
    request = urllib.request.Request(
        base + manifest_path(url), method="POST",
        data=json.dumps({"recipient": "Scale check"}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            files = json.loads(answer.read())["files"]
        bundle = json.loads(share.open_copy(share.unb64url(payload["key"]),
                                            files[0]["embedded"]))
    except Exception as exc:  # Any failure is reported, and fails the run.
        return f"{type(exc).__name__}: {exc}"
    return None if bundle.get("resourceType") == "Bundle" else "the copy is not a Bundle"


def check(base: str, rt: Runtime, links: dict[int, str], people: list[int]) -> list[str]:
    """Open every picked link and read every picked record through the server at ``base``;
    what failed, if anything."""
    failures = []
    for number, url in sorted(links.items()):
        if (why := open_and_decrypt(base, url)) is not None:
            failures.append(f"link {number}: {why}")
    for person_id, bearer in tokens_for(rt, people).items():
        status, body = call(base, "GET", f"/api/v1/people/{person_id}/entries", headers=bearer)
        if status != 200 or not isinstance(body, list) or len(body) != bulk.ENTRIES:
            failures.append(f"record {person_id}: {status}, "
                            f"{len(body) if isinstance(body, list) else body} entries")
    return failures


def counted(rt: Runtime) -> dict[str, int]:
    """Rows in the tables that grow with the people, counted in the database."""
    with rt.db.transaction() as session:
        return {name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (("people", Person), ("entries", Entry),
                                    ("links", ShareLink), ("audit events", AuditEvent))}


def database_gb(rt: Runtime, server: Server) -> float:
    """The database's size on disk: SQLite's files, or what PostgreSQL says of its own."""
    if rt.db.sqlite is not None:
        return sum(f.stat().st_size for f in server.instance.glob("tellonce.db*")) / 1e9
    with rt.db.transaction() as session:
        return float(session.scalar(text("SELECT pg_database_size(current_database())"))) / 1e9


def compare(first: list[tuple[str, dict[str, Any]]], grown: list[tuple[str, dict[str, Any]]]
            ) -> bool:
    """Each compared row's ratio to its own floor, grown against first; True if all within
    TOLERANCE."""
    within = True
    floors = first[0][1]["rate"], grown[0][1]["rate"]
    print(f"\nFrom {FIRST_PEOPLE} people to the grown database (throughput as a ratio to "
          f"the same run's floor):")
    for name, before in first:
        if name not in COMPARED:
            continue
        after = dict(grown)[name]
        change = (after["rate"] / floors[1]) / (before["rate"] / floors[0])
        mark = "" if abs(change - 1) <= TOLERANCE else f"  OUTSIDE {TOLERANCE:.0%}"
        within &= not mark
        print(f"  {name:44} {before['rate'] / floors[0]:7.3f} -> {after['rate'] / floors[1]:7.3f}"
              f"  ({change:.2f}x){mark}")
    return within


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str | None]:
    if url is None:
        yield None
        return
    with table.postgres_database(url) as made:
        if made is None:
            sys.exit(f"No PostgreSQL answers at {url}")
        yield made


def _at_least(low: int) -> Any:
    """An argparse type: a whole number of at least ``low``, or a clear error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is below {low}")
        return value
    return parse


def _stop(signum: int, _frame: Any) -> None:
    """SIGTERM ends the run as Ctrl-C does: the server stops and its instance is removed,
    where Python's default would leave both behind (gigabytes, at scale)."""
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=_at_least(1), default=100_000)
    parser.add_argument("--jobs", type=_at_least(1), help="processes making people (SQLite: 1)")
    parser.add_argument("--check", type=_at_least(0), default=1_000,
                        help="links opened and records read at random after the run")
    parser.add_argument("--postgres", help="a PostgreSQL server's URL: a database made there")
    parser.add_argument("--seconds", type=_at_least(1), default=8)
    parser.add_argument("--connections", type=_at_least(1), default=16)
    parser.add_argument("--no-measure", action="store_true", help="make and check only")
    args = parser.parse_args()
    if not args.no_measure:
        load.require_wrk()
    jobs = args.jobs or ((os.cpu_count() or 1) if args.postgres else 1)
    picked_links = bulk.pick(args.check, args.people * len(bulk.TEMPLATES))
    picked_people = sorted(bulk.pick(args.check, args.people))
    with database(args.postgres) as url, serving(database_url=url) as server:
        print(f"Tell Once at scale: {'PostgreSQL' if url else 'SQLite'}, {args.people:,} people "
              f"({jobs} jobs), {args.check:,} links and records checked")
        made = grow(server, range(min(FIRST_PEOPLE, args.people)), picked_links, jobs)
        first = [] if args.no_measure else table.measure(server, args.seconds,
                                                         args.connections, login="bench1")
        began = time.monotonic()
        made.add(grow(server, range(FIRST_PEOPLE, args.people), picked_links, jobs))
        rt = _runtime(server.env)
        print(f"Made people {FIRST_PEOPLE + 1:,} to {made.people:,} in "
              f"{(time.monotonic() - began) / 60:.1f} min; "
              "the database holds " + ", ".join(f"{count:,} {name}"
                                                for name, count in counted(rt).items())
              + f" in {database_gb(rt, server):.2f} GB")
        failures = check(server.base, rt, made.links_picked, picked_people)
        print(f"Checked: {len(made.links_picked):,} links opened and decrypted, "
              f"{len(picked_people):,} records read through the API; {len(failures)} failed")
        for failure in failures[:20]:
            print(f"  FAILED {failure}")
        if failures:
            sys.exit(1)
        if args.no_measure:
            return
        grown = table.measure(server, args.seconds, args.connections, login="bench2")
        picked = [manifest_path(u) for u in made.links_picked.values()]
        grown.append((f"(b) open a link, {len(picked):,} of {made.links:,} at random",
                      load.wrk(server.base, picked,
                               args.seconds, args.connections, method="POST",
                               body=json.dumps({"recipient": "Bench"}))))
        valid = table.print_block(f"With {FIRST_PEOPLE} people", server, first)
        valid &= table.print_block(f"With {made.people:,} people", server, grown)
    if not (compare(first, grown) and valid):
        sys.exit(1)


if __name__ == "__main__":
    main()
