"""The v1 vectors open with a reader that shares no code with keys/ (reference_decoder.py)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from tests.unit.keys.reference import ref

HERE = Path(__file__).parent

h = bytes.fromhex


def load(name: str) -> Any:
    return json.loads((HERE / "vectors" / name).read_text())


HYBRID = load("hybrid_v1.json")
KINDS = load("hierarchy_v1.json")["kinds"]


def test_reference_decoder_imports_nothing_from_keys() -> None:
    tree = ast.parse((HERE / "reference_decoder.py").read_text())
    imported = [alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imported  # The walk found the imports at all.
    assert not [m for m in imported if m == "keys" or m.startswith("keys.")]
    assert all(n.level == 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert "__import__" not in (HERE / "reference_decoder.py").read_text()


@pytest.mark.parametrize("v", load("bind.json")["vectors"], ids=lambda v: v["label"])
def test_bind(v: dict[str, Any]) -> None:
    assert ref.bind(v["label"], *v["ids"]) == h(v["aad"])


@pytest.mark.parametrize("v", load("envelope_v1.json")["vectors"], ids=lambda v: v["nonce"][:8])
def test_envelope_v1(v: dict[str, Any]) -> None:
    aad = ref.bind(v["label"], *v["ids"])
    assert aad == h(v["aad"])
    assert ref.open_envelope(h(v["key"]), h(v["blob"]), aad) == h(v["plaintext"])
    with pytest.raises(InvalidTag):
        ref.open_envelope(h(v["key"]), h(v["blob"]), ref.bind(v["label"], *v["ids"], "extra"))


def test_hybrid_v1() -> None:
    private = h(HYBRID["private_key"])
    assert ref.public_key(private) == h(HYBRID["public_key"])
    for v in HYBRID["sealed"]:
        info = ref.bind(v["label"], *v["ids"])
        assert ref.open_sealed(private, h(v["blob"]), info) == h(v["plaintext"])


@pytest.mark.parametrize("v", KINDS, ids=lambda v: v["name"])
def test_hierarchy_v1(v: dict[str, Any]) -> None:
    aad = ref.bind(v["label"], *(value for _, value in v["ids"]))
    assert aad == h(v["aad"])
    if v["type"] == "wrapped":
        opened = ref.open_envelope(h(v["wrapping_key"]), h(v["blob"]), aad)
    else:
        opened = ref.open_sealed(h(v["private_key"]), h(v["blob"]), aad)
    assert opened == h(v["key"])


def test_every_wrapped_kind_is_checked() -> None:
    assert sum(v["type"] == "wrapped" for v in KINDS) == 6
