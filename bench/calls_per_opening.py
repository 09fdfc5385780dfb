"""Python calls and statements per link opening, counted in one process: figures that do not
move with the machine's load, unlike its time.

The demo person's emergency links are opened through the app's test client; cProfile counts
the Python calls of 50 openings after 10 to warm up, and the engine's events count statements.

    .venv/bin/python bench/calls_per_opening.py
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench._server import manifest_path

WARM, COUNTED = 10, 50
DEMO_LOGIN = "helen"


def main() -> None:
    instance = Path(tempfile.mkdtemp(prefix="tellonce-calls-"))
    os.environ.update({"TELLONCE_ENV": "development", "TELLONCE_INSTANCE_PATH": str(instance)})
    tellonce = shutil.which("tellonce") or str(Path(".venv/bin/tellonce").resolve())
    try:
        subprocess.run([tellonce, "init"], check=True, capture_output=True)
        out = subprocess.run([tellonce, "demo", "--json"], check=True, capture_output=True,
                             text=True).stdout
        account = next(a for a in json.loads(out)["accounts"] if a["login"] == DEMO_LOGIN)
        count(account)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def count(account: dict[str, Any]) -> None:
    from web.app import create_app  # After the environment names the instance.

    app = create_app()
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {account['api_token']}"}
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    paths = []
    for i in range(WARM + COUNTED):
        made = client.post(f"/api/v1/people/{account['person_id']}/links", headers=bearer,
                           json={"template": "emergency", "label": f"Calls {i}",
                                 "expires_at": expires})
        assert made.status_code == 201, made.json
        paths.append(manifest_path(made.json["url"]))

    def open_link(i: int) -> None:
        opened = client.post(paths[i], json={"recipient": "Bench"},
                             environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert opened.status_code == 200, opened.data[:200]

    for i in range(WARM):
        open_link(i)
    statements: Counter[str] = Counter()

    @event.listens_for(app.extensions["tellonce"].db.engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements[statement.split()[0]] += 1

    profile = cProfile.Profile()
    profile.enable()
    for i in range(WARM, WARM + COUNTED):
        open_link(i)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    print(f"Python calls per opening: {calls / COUNTED:,.0f}")
    print("statements per opening: " + ", ".join(
        f"{kind} {n / COUNTED:.0f}" for kind, n in sorted(statements.items())))


if __name__ == "__main__":
    main()
