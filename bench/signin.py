"""Sign-in time with the real Argon2id parameters, as a ratio to GET /healthz.

Both are measured sequentially against the same `tellonce serve` in the same run, so the
ratio says what a sign-in costs on this machine whatever its speed.

    .venv/bin/python bench/signin.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import call, running_server
from keys.passphrase import DEFAULT_PARAMS

PASSPHRASE = "maple orbit lantern quietly"
SIGN_INS = 15
HEALTH_CHECKS = 300


def timed(func: object, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    with running_server() as base:
        status, _ = call(base, "POST", "/api/v1/accounts", {
            "login": "bench", "passphrase": PASSPHRASE, "preferred_name": "Bench"})
        assert status == 201, status

        def sign_in() -> None:
            status, _ = call(base, "POST", "/api/v1/sessions",
                             {"login": "bench", "passphrase": PASSPHRASE})
            assert status == 201, status

        def health() -> None:
            assert call(base, "GET", "/healthz")[0] == 200

        health_s = statistics.median(timed(health, HEALTH_CHECKS))
        sign_in_s = statistics.median(timed(sign_in, SIGN_INS))
    params = DEFAULT_PARAMS
    print(f"Argon2id m={params.memory_kib // 1024} MiB t={params.iterations} p={params.lanes}")
    print(f"GET /healthz        median {health_s * 1000:8.2f} ms  (baseline, {HEALTH_CHECKS} runs)")
    print(f"POST /api/v1/sessions median {sign_in_s * 1000:6.1f} ms  ({SIGN_INS} runs)")
    print(f"sign-in / healthz ratio: {sign_in_s / health_s:.0f}x")


if __name__ == "__main__":
    main()
