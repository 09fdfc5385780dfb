"""The reference decoder, loaded by its path for every test that checks vectors against it.

By path, not as a module of a package: it must work under any pytest import mode, and never
be reached through the ``keys`` package it is there to check independently.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "reference_decoder", Path(__file__).parent / "reference_decoder.py")
assert _spec is not None
assert _spec.loader is not None
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)
