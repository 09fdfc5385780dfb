"""The load generator of every benchmark: wrk (Debian's package) with one Lua script.

Each wrk thread walks the paths from its own start, so together the threads go round-robin;
every response that is not the expected status is counted, and the run says how much CPU
wrk itself used, since on a small machine the load generator competes with the server.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
from typing import Any

LUA = """
local paths, method, body, step = {%(paths)s}, "%(method)s", %(body)s, %(threads)d
local headers = %(headers)s
local expected = %(expected)d
local threads = {}
function setup(thread) thread:set("first", #threads); table.insert(threads, thread) end
function init(args) n, failed, statuses = 0, 0, {} end
function request()
  n = n + 1
  return wrk.format(method, paths[(first + n * step) %% #paths + 1], headers, body)
end
function response(status, headers, body)
  if status ~= expected then
    failed = failed + 1
    statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
  end
end
function done(summary, latency, requests)
  local failed, counts, statuses = 0, {}, {}
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failed")
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  for status, count in pairs(counts) do statuses[#statuses + 1] = status .. "x" .. count end
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%s\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), failed,
    e.connect + e.read + e.write + e.timeout, table.concat(statuses, ",")))
end
"""


def require_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")


def _lua_table(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()) + "}"


def wrk(base: str, paths: list[str], seconds: int, connections: int, *, method: str = "GET",
        body: str | None = None, headers: dict[str, str] | None = None,
        expected: int = 200) -> dict[str, Any]:
    """Rate, latency and failures of requests to ``paths`` in turn, and wrk's own CPU."""
    threads = min(2, connections)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    script = LUA % {"paths": ",".join(json.dumps(p) for p in paths), "threads": threads,
                    "method": method, "body": json.dumps(body) if body else "nil",
                    "headers": _lua_table(all_headers), "expected": expected}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A long timeout: wrk leaves requests slower than its 2-second default out of the latencies.
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                              "--timeout", "60s", "-s", lua.name, base + paths[0]],
                             check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
    requests, duration_us, p50_us, p99_us, failed, socket_errors = map(int, fields[1:7])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"requests": requests, "rate": requests / (duration_us / 1e6),
            "p50_ms": p50_us / 1000, "p99_ms": p99_us / 1000, "failed": failed,
            "socket_errors": socket_errors, "statuses": fields[7] if len(fields) > 7 else "",
            "wrk_cpu": cpu / (duration_us / 1e6)}
