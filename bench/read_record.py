"""Reading a whole record (every section, about 100 entries) through the API, under load.

wrk (Debian's package) drives GET /api/v1/people/{id}/entries and then GET /healthz against
the same `tellonce serve`, in the same run; the figure that matters is the ratio.

    .venv/bin/python bench/read_record.py [--seconds 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._record import ENTRIES, fill_record
from bench._server import running_server


def wrk(url: str, seconds: int, connections: int, token: str | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    median_ms = float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} requests failed: {out}")
    return {"rate": rate, "p50_ms": median_ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, help="tellonce serve --workers")
    parser.add_argument("--threads", type=int, help="tellonce serve --threads")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    with running_server(workers=args.workers, threads=args.threads) as base:
        filled = fill_record(base)
        person_id, token = filled.person_id, filled.token
        record = wrk(f"{base}/api/v1/people/{person_id}/entries", args.seconds,
                     args.connections, token)
        health = wrk(f"{base}/healthz", args.seconds, args.connections)
    print(f"GET /healthz (baseline): {health['rate']:8.1f} req/s, p50 {health['p50_ms']:.2f} ms")
    print(f"GET whole record ({ENTRIES} entries): {record['rate']:8.1f} req/s, "
          f"p50 {record['p50_ms']:.2f} ms")
    print(f"whole record / healthz: throughput {record['rate'] / health['rate']:.3f}, "
          f"median latency {record['p50_ms'] / health['p50_ms']:.1f}x")


if __name__ == "__main__":
    main()
