"""SECURITY.md names every stored column, and says what each one tells (issue 10).

"Every stored column" in SECURITY.md has one table per database table, one row per column:
what the column tells someone with a copy of the database, what it tells someone who holds
the keyring too, and why it is stored that way. A column added to a model, or a table added,
fails here until the list names it; a column the list names that no longer exists fails too.
"""

from __future__ import annotations

import re
from pathlib import Path

import vault.models  # noqa: F401 - registers every table on Base.metadata
from vault.db import Base

SECURITY_MD = Path(__file__).resolve().parents[2] / "SECURITY.md"
SECTION = "## Every stored column"
HEADER = ["column", "without the keyring", "with the keyring too", "why it is stored this way"]
# Kept by the migrations (Alembic), not by a model.
MIGRATION_TABLES = {"alembic_version": {"version_num"}}
COLUMN_CELL = re.compile(r"`([a-z0-9_]+)`")
SEPARATOR_CELL = re.compile(r":?-+:?")


def _section() -> list[str]:
    lines = SECURITY_MD.read_text(encoding="utf-8").splitlines()
    assert SECTION in lines, f"SECURITY.md has no section {SECTION!r}"
    start = lines.index(SECTION) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _listed() -> dict[str, dict[str, list[str]]]:
    """Each table's header, then its rows by column name: ``{table: {column: cells}}``.

    The header is kept under the key ``""``, which no column name can be.
    """
    tables: dict[str, dict[str, list[str]]] = {}
    table: str | None = None
    for line in _section():
        if line.startswith("### "):
            table = line.removeprefix("### ").strip()
            assert table not in tables, f"SECURITY.md lists the table {table} twice"
            tables[table] = {}
        elif line.startswith("|"):
            assert table is not None, f"a row before any table's heading: {line}"
            cells = _cells(line)
            if "" not in tables[table]:
                tables[table][""] = cells
                continue
            if all(SEPARATOR_CELL.fullmatch(cell) for cell in cells):
                continue
            name = COLUMN_CELL.fullmatch(cells[0])
            assert name is not None, f"{table}: the first cell is not a `column`: {line}"
            column = name.group(1)
            assert column not in tables[table], f"SECURITY.md lists {table}.{column} twice"
            tables[table][column] = cells
    return tables


def _stored() -> dict[str, set[str]]:
    tables = {table.name: {column.name for column in table.columns}
              for table in Base.metadata.sorted_tables}
    tables.update(MIGRATION_TABLES)
    return tables


def _listed_columns() -> dict[str, set[str]]:
    return {table: set(rows) - {""} for table, rows in _listed().items()}


def _differences(stored: dict[str, set[str]], listed: dict[str, set[str]]) -> list[str]:
    problems = []
    for table in sorted(stored.keys() | listed.keys()):
        missing = stored.get(table, set()) - listed.get(table, set())
        extra = listed.get(table, set()) - stored.get(table, set())
        if table not in listed:
            problems.append(f"table {table} is not in SECURITY.md: {', '.join(sorted(missing))}")
        elif table not in stored:
            problems.append(f"SECURITY.md lists table {table}, which does not exist")
        else:
            if missing:
                problems.append(f"{table}: not in SECURITY.md: {', '.join(sorted(missing))}")
            if extra:
                problems.append(f"{table}: in SECURITY.md but not stored: {', '.join(sorted(extra))}")
    return problems


def test_security_md_lists_exactly_the_stored_columns() -> None:
    stored, listed = _stored(), _listed_columns()
    problems = _differences(stored, listed)
    assert not problems, "SECURITY.md, \"Every stored column\", is out of date:\n" + "\n".join(problems)
    assert listed == stored


def test_every_listed_column_says_what_it_tells_and_why() -> None:
    empty = []
    for table, rows in _listed().items():
        assert rows.get("") == HEADER, f"{table}: the table's header is not {HEADER}"
        for column, cells in rows.items():
            if column and (len(cells) != len(HEADER) or not all(cells)):
                empty.append(f"{table}.{column}")
    assert not empty, "rows without all four cells: " + ", ".join(empty)


def test_the_comparison_names_what_is_missing_and_what_is_extra() -> None:
    stored = {"accounts": {"id", "login_digest"}, "people": {"id"}}
    listed = {"accounts": {"id", "login"}, "gone": {"id"}}
    assert _differences(stored, listed) == [
        "accounts: not in SECURITY.md: login_digest",
        "accounts: in SECURITY.md but not stored: login",
        "SECURITY.md lists table gone, which does not exist",
        "table people is not in SECURITY.md: id",
    ]
