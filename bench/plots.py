"""The plots of docs/performance.md: throughput against concurrency, and against scale.

One `tellonce serve` on SQLite with its default workers, as `make bench` runs it:

- against concurrency, (a) `GET /healthz`, (b) opening a link and (c) a whole record of 100
  entries, each at 1 to 64 connections;
- against scale, (a) and (b) with 200 links in the database, then grown by SQL (as
  bench/open_link.py grows it) to 10,000 and to 100,000 links, with ten audit events a link.

Each plot has the requests per second and, beside them, each row as a ratio to (a) at the same
point, since only the ratio survives this machine's noise. The figures are printed too.

The figures are kept beside the plots (figures.json), so ``--from-figures`` draws them again.

    make plots        # or: .venv/bin/python bench/plots.py [--seconds 5] [--out docs/performance]
                      #     [--from-figures]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib as mpl

mpl.use("Agg")  # Files only: no display.
import matplotlib.pyplot as plt
from sqlalchemy import Engine

from bench import _load as load
from bench._record import fill_record
from bench.open_link import (
    copy_events,
    copy_links,
    counts,
    demo_person,
    fold_the_wal,
    make_links,
    server_and_instance,
)
from vault.db import make_engine
from web.settings import load_settings

CONNECTIONS = (1, 2, 4, 8, 16, 32, 64)
SCALE = (10_000, 100_000)
EVENTS_PER_LINK = 10
# Each link answers a client 60 times in ten minutes: enough links that no run comes near.
LINKS = 600
OPENING = json.dumps({"recipient": "Bench"})

Row = tuple[str, Callable[[int], dict[str, Any]]]


def _plot(path: Path, title: str, xlabel: str, xs: list[int],
          rates: dict[str, list[float]]) -> None:
    """Requests per second on the left, each row as a ratio to the floor on the right."""
    figure, (absolute, relative) = plt.subplots(1, 2, figsize=(11, 4.2))
    floor = rates["(a) GET /healthz"]
    for n, (name, ys) in enumerate(rates.items()):
        colour = f"C{n}"  # The same row has the same colour in both panels.
        absolute.plot(xs, ys, marker="o", label=name, color=colour)
        if ys is not floor:
            relative.plot(xs, [y / f for y, f in zip(ys, floor, strict=True)], marker="o",
                          label=name, color=colour)
    for axes in (absolute, relative):
        axes.set_xscale("log")
        axes.set_xlabel(xlabel)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    absolute.set_yscale("log")  # The floor is tens of times the rows.
    absolute.set_ylabel("requests per second")
    relative.set_ylabel("ratio to GET /healthz")
    relative.set_ylim(bottom=0)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"  wrote {path}")


def _print(xs: list[int], rates: dict[str, list[float]], what: str) -> None:
    print(f"  {what:>12} " + " ".join(f"{x:>9,}" for x in xs))
    for name, ys in rates.items():
        print(f"  {name[:12]:>12} " + " ".join(f"{y:9.1f}" for y in ys))


PLOTS = {
    "connections": ("throughput-by-connections.png", "connections",
                    "Tell Once on SQLite: throughput against concurrency (2 cores)",
                    "wrk connections"),
    "scale": ("throughput-by-scale.png", "links",
              "Tell Once on SQLite: opening a link as the database grows (2 cores)",
              "links in the database (ten audit events each)"),
}
Figures = tuple[list[int], dict[str, list[float]]]


def draw(figures: dict[str, Figures], out: Path) -> None:
    for kind, (xs, rates) in figures.items():
        name, what, title, xlabel = PLOTS[kind]
        print(f"\nThroughput against {what} (req/s)")
        _print(xs, rates, what)
        _plot(out / name, title, xlabel, xs, rates)


def by_connections(rows: list[Row]) -> Figures:
    xs = list(CONNECTIONS)
    return xs, {name: [run(c)["rate"] for c in xs] for name, run in rows}


def by_scale(base: str, engine: Engine, person_id: str, first: list[str], seconds: int
             ) -> Figures:
    """(a) and (b) at 16 connections as the database grows; new links opened at each size."""
    def stage(paths: list[str]) -> tuple[int, float, float]:
        links, _ = counts(engine)
        health = load.wrk(base, ["/healthz"], seconds, 16)
        opened = load.wrk(base, paths, seconds, 16, method="POST", body=OPENING)
        return links, health["rate"], opened["rate"]

    stages = [stage(first)]
    for size in SCALE:
        with engine.begin() as db:
            paths = copy_links(db, person_id, LINKS, up_to=size)
            copy_events(db, person_id, up_to=size * EVENTS_PER_LINK)
        fold_the_wal(engine)
        stages.append(stage(paths))
    return [links for links, _, _ in stages], {"(a) GET /healthz": [h for _, h, _ in stages],
                                               "(b) open a link": [o for _, _, o in stages]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("docs/performance"))
    parser.add_argument("--from-figures", action="store_true",
                        help="draw again from the figures.json of the last run, measuring nothing")
    args = parser.parse_args()
    saved = args.out / "figures.json"
    if args.from_figures:
        draw({k: (xs, rates) for k, (xs, rates) in json.loads(saved.read_text()).items()},
             args.out)
        return
    load.require_wrk()
    args.out.mkdir(parents=True, exist_ok=True)
    figures = measure(args.seconds)
    saved.write_text(json.dumps(figures, indent=1) + "\n")
    draw(figures, args.out)


def measure(seconds: int) -> dict[str, Figures]:
    with server_and_instance(None, None) as (base, instance):
        person_id, token = demo_person(instance)
        paths = make_links(base, person_id, token, LINKS)
        record = fill_record(base)
        whole = f"/api/v1/people/{record.person_id}/entries"
        rows: list[Row] = [
            ("(a) GET /healthz", lambda c: load.wrk(base, ["/healthz"], seconds, c)),
            ("(b) open a link", lambda c: load.wrk(base, paths, seconds, c, method="POST",
                                                   body=OPENING)),
            ("(c) whole record", lambda c: load.wrk(base, [whole], seconds, c,
                                                    headers=record.bearer)),
        ]
        figures = {"connections": by_connections(rows)}
        engine = make_engine(load_settings({"TELLONCE_INSTANCE_PATH": str(instance)}).database_url)
        try:
            fresh = make_links(base, person_id, token, LINKS)
            figures["scale"] = by_scale(base, engine, person_id, fresh, seconds)
        finally:
            engine.dispose()
    return figures


if __name__ == "__main__":
    main()
