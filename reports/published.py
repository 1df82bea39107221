"""A DuckDB connection with one view per table of a published Parquet release.

Reports read the published extracts, never the live warehouse. Each table of `published/`
is a folder (possibly a symlink to a release) of Hive-style `year=YYYY/` partitions. The
Parquet files are listed here, following symlinks (DuckDB's `**` glob does not), and the
view reads exactly that list: a build therefore sees one consistent release even if a new
one is swapped in while it runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from reports.queries import quote_identifier


def _parquet_files(table_dir: Path) -> list[str]:
    files: list[str] = []
    seen: set[str] = set()
    for directory, subdirectories, names in os.walk(table_dir, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:  # a symlink loop: do not walk the same folder twice
            subdirectories[:] = []
            continue
        seen.add(real)
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith((".", "_")))
        files += [
            os.path.join(directory, name)
            for name in sorted(names)
            if name.endswith(".parquet") and not name.startswith((".", "_"))
        ]
    return files


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def published_tables(published_dir: Path) -> dict[str, list[str]]:
    """Table name → its Parquet files, for every table folder of `published_dir`."""
    tables: dict[str, list[str]] = {}
    for entry in sorted(Path(published_dir).iterdir()):
        if entry.name.startswith((".", "_")) or not entry.is_dir():
            continue
        files = _parquet_files(entry.resolve())
        if files:
            tables[entry.name] = files
    return tables


def published_views_connection(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per published table (hive partitions become columns)."""
    published_dir = Path(published_dir)
    if not published_dir.is_dir():
        raise FileNotFoundError(f"published folder not found: {published_dir}")
    connection = duckdb.connect(":memory:")
    for name, files in published_tables(published_dir).items():
        file_list = "[" + ", ".join(_sql_text(path) for path in files) + "]"
        connection.execute(
            f"create view {quote_identifier(name)} as select * from read_parquet("
            f"{file_list}, hive_partitioning = true, union_by_name = true)"
        )
    return connection
