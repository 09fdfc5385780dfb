"""Looking for a canary at rest: in raw bytes, UTF-16, base64 and deflated forms."""

from __future__ import annotations

import base64
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vault.sections import SECTIONS, Field, FieldType


def forms(canary: str) -> list[bytes]:
    """Every encoding of the canary a careless component might write."""
    raw = canary.encode()
    out = [raw, canary.encode("utf-16-le"), canary.encode("utf-16-be")]
    # base64 at each of the three alignments: the middle of each encoding is stable.
    for pad in range(3):
        encoded = base64.b64encode(b"\x00" * pad + raw)
        out.append(encoded[4 : len(encoded) - 4])
        urlsafe = base64.urlsafe_b64encode(b"\x00" * pad + raw)
        out.append(urlsafe[4 : len(urlsafe) - 4])
    out.append(zlib.compress(raw)[2:-4])  # The raw deflate stream of the canary alone.
    return out


def _inflated(data: bytes) -> Iterable[bytes]:
    """Everything that decompresses from a zlib, gzip or raw deflate stream inside ``data``."""
    for start in range(len(data) - 1):
        head = data[start : start + 2]
        if head in (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"):
            wbits = zlib.MAX_WBITS
        elif head == b"\x1f\x8b":
            wbits = zlib.MAX_WBITS | 16
        else:
            continue
        try:
            yield zlib.decompressobj(wbits).decompress(data[start:], 1 << 22)
        except zlib.error:
            continue


def occurrences(data: bytes, canary: str) -> int:
    count = sum(data.count(form) for form in forms(canary))
    count += sum(block.count(canary.encode()) for block in _inflated(data))
    return count


def files_under(root: Path, *, newer_than: float | None = None) -> list[Path]:
    found = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            if not path.is_file() or stat.st_size > 64 * 1024 * 1024:
                continue
            if newer_than is not None and stat.st_mtime < newer_than:
                continue
            found.append(path)
    return found


def value_for(field: Field, canary: str, where: str) -> Any:
    """A valid value for ``field`` that carries the canary wherever text can go."""
    text = f"{canary} {where}"
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.STRING):
        return text
    if kind is FieldType.STRINGS:
        return [text]
    if kind is FieldType.DATE:
        return "2024-02-03"
    if kind is FieldType.BOOLEAN:
        return True
    if kind is FieldType.INTEGER:
        return 3
    if kind is FieldType.CHOICE:
        return field.choices[0]
    return [{item.name: value_for(item, canary, f"{where}.{item.name}")
             for item in field.item_fields}]


# Fields whose shape is fixed by someone else cannot carry a canary; they get a real value.
FIXED_SHAPE = {("identity", "nhs_number"): "9434765919"}


def full_entries(canary: str) -> dict[str, dict[str, Any]]:
    """For each section, an entry with every field the schema defines filled in."""
    return {
        name: {field.name: FIXED_SHAPE.get((name, field.name))
               or value_for(field, canary, f"{name}.{field.name}")
               for field in section.fields}
        for name, section in SECTIONS.items()
    }
