"""Reading a whole record (every section, about 100 entries) through the API, under load.

wrk (Debian's package) drives GET /api/v1/people/{id}/entries and then GET /healthz against
the same `tellonce serve`, in the same run; the figure that matters is the ratio.

    .venv/bin/python bench/read_record.py [--seconds 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _load as load
from bench._record import ENTRIES, fill_record
from bench._server import running_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, help="tellonce serve --workers")
    parser.add_argument("--threads", type=int, help="tellonce serve --threads")
    args = parser.parse_args()
    load.require_wrk()
    with running_server(workers=args.workers, threads=args.threads) as base:
        filled = fill_record(base)
        record = load.wrk(base, [f"/api/v1/people/{filled.person_id}/entries"], args.seconds,
                          args.connections, headers=filled.bearer)
        health = load.wrk(base, ["/healthz"], args.seconds, args.connections)
    for figures in (record, health):
        if figures["failed"] or figures["socket_errors"]:
            sys.exit(f"{figures['failed']} requests failed ({figures['statuses']}), "
                     f"{figures['socket_errors']} socket errors")
    print(f"GET /healthz (baseline): {health['rate']:8.1f} req/s, p50 {health['p50_ms']:.2f} ms")
    print(f"GET whole record ({ENTRIES} entries): {record['rate']:8.1f} req/s, "
          f"p50 {record['p50_ms']:.2f} ms")
    print(f"whole record / healthz: throughput {record['rate'] / health['rate']:.3f}, "
          f"median latency {record['p50_ms'] / health['p50_ms']:.1f}x")


if __name__ == "__main__":
    main()
