"""Only the units of work commit or roll back: operations flush, views never commit.

The request's unit of work (web/unit_of_work.py) and the command's (web/cli.py) commit once at
their end or roll back; ``vault.db`` holds the one helper that keeps writes of a refused
request, and the short unit of work that tools and tests use (decision 0003).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("keys", "vault", "consent", "api", "web")
ALLOWED = {"web/unit_of_work.py", "web/cli.py", "vault/db.py"}
ENDINGS = {"commit", "rollback"}


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                  if "migrations" not in path.parts)


def _endings(path: Path) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ENDINGS):
            calls.append(f"{node.func.attr}() on line {node.lineno}")
    return calls


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_but_a_unit_of_work_commits_or_rolls_back(path: Path) -> None:
    if str(path.relative_to(ROOT)) in ALLOWED:
        return
    assert _endings(path) == []


def test_the_units_of_work_are_where_they_are_said_to_be() -> None:
    # The allowed list must not keep names of modules that moved: each one ends units of work.
    assert all(_endings(ROOT / name) for name in ALLOWED)
