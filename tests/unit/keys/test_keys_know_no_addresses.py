"""``keys`` is cryptography only: it knows no address of this server.

Where a link points (the viewer page, the manifests) is the front doors' routing, given to
consent by the composition root (``consent.sharing.LinkAddresses``). A path written into
``keys`` would tie a stored format to a route.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

KEYS = Path(__file__).resolve().parents[3] / "keys"
A_PATH = re.compile(r"^/[A-Za-z]")


def _strings(tree: ast.AST) -> list[str]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


@pytest.mark.parametrize("module", sorted(KEYS.glob("*.py")), ids=lambda p: p.name)
def test_no_module_of_keys_names_a_path(module: Path) -> None:
    paths = [text for text in _strings(ast.parse(module.read_text())) if A_PATH.match(text)]
    assert paths == []
