"""A DuckDB connection with one view per table of a published Parquet release.

Reports read the published extracts, never the live warehouse. Each table of `published/`
is a folder (possibly a symlink to a release) of Hive-style `year=YYYY/` partitions. The
Parquet files are listed here, following symlinks (DuckDB's `**` glob does not), and the
view reads exactly that list: a build therefore sees one consistent release even if a new
one is swapped in while it runs.

Each release also carries a `_manifest.json` (release id, rows, files, the quality-gate results
that let it through); two more tables make them queryable by the pages:
`release_manifests` (one row per published table) and `release_gate_results` (one row per
expectation of the gate of each published table).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from publish.layout import MANIFEST_FILE, is_hidden
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


def _partition_replacements(files: list[str]) -> str:
    """` replace (...)` turning each Hive partition column into a computed column.

    Integer keys (`year=2024`) become INTEGER, like the marts' `year`. Being computed also
    keeps DuckDB 2.0 from treating them as scan partitions, which fails on two window
    functions partitioned by one (`PhysicalWindow::GetPartitionData: partition columns not
    supported`).
    """
    values: dict[str, set[str]] = {}
    for path in files:
        for part in Path(path).parts[:-1]:
            key, equals, value = part.partition("=")
            if equals and key:
                values.setdefault(key, set()).add(value)
    expressions = []
    for key, found in sorted(values.items()):
        column = quote_identifier(key)
        if all(value.lstrip("-").isdigit() for value in found):
            expressions.append(f"cast({column} as integer) as {column}")
        else:
            expressions.append(f"({column} || '') as {column}")
    return f" replace ({', '.join(expressions)})" if expressions else ""


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


MANIFESTS_TABLE = "release_manifests"
GATE_RESULTS_TABLE = "release_gate_results"
OBSERVED_TEXT_LIMIT = 200

MANIFEST_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("release_id", pa.string()),
        ("created_at", pa.timestamp("s")),
        ("git_revision", pa.string()),
        ("source_model", pa.string()),
        ("description_zh", pa.string()),
        ("description_en", pa.string()),
        ("row_count", pa.int64()),
        ("file_count", pa.int64()),
        ("gate_passed", pa.bool_()),
        ("expectation_count", pa.int64()),
        ("failed_expectation_count", pa.int64()),
    ]
)
GATE_RESULT_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("release_id", pa.string()),
        ("suite", pa.string()),
        ("model", pa.string()),
        ("checked_rows", pa.int64()),
        ("expectation", pa.string()),
        ("column_name", pa.string()),
        ("success", pa.bool_()),
        ("observed", pa.string()),
        ("unexpected_count", pa.int64()),
    ]
)


def _observed_text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= OBSERVED_TEXT_LIMIT else text[: OBSERVED_TEXT_LIMIT - 1] + "…"


def _created_at(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment.replace(tzinfo=None)  # manifests write UTC


def release_metadata(published_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of `release_manifests` and `release_gate_results` from each table's _manifest.json.

    A gate result's sample rows are left out: the pages show counts, never rows.
    """
    manifests: list[dict[str, Any]] = []
    gate_rows: list[dict[str, Any]] = []
    for entry in sorted(Path(published_dir).iterdir()):
        manifest_path = entry / MANIFEST_FILE
        if is_hidden(entry.name) or not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        results = manifest.get("gate_results") or []
        outcomes = [(result, outcome) for result in results for outcome in result["outcomes"]]
        description = manifest.get("description") or {}
        manifests.append(
            {
                "table_name": entry.name,
                "release_id": manifest.get("release_id"),
                "created_at": _created_at(manifest.get("created_at")),
                "git_revision": manifest.get("git_revision"),
                "source_model": manifest.get("source_model"),
                "description_zh": description.get("zh"),
                "description_en": description.get("en"),
                "row_count": manifest.get("row_count"),
                "file_count": len(manifest.get("files") or []),
                "gate_passed": bool(results) and all(r.get("success") for r in results),
                "expectation_count": len(outcomes),
                "failed_expectation_count": sum(1 for _, o in outcomes if not o.get("success")),
            }
        )
        gate_rows += [
            {
                "table_name": entry.name,
                "release_id": manifest.get("release_id"),
                "suite": result.get("suite"),
                "model": result.get("model"),
                "checked_rows": result.get("row_count"),
                "expectation": outcome.get("expectation"),
                "column_name": outcome.get("column"),
                "success": bool(outcome.get("success")),
                "observed": _observed_text(outcome.get("observed")),
                "unexpected_count": outcome.get("unexpected_count"),
            }
            for result, outcome in outcomes
        ]
    return manifests, gate_rows


def published_views_connection(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per published table (hive partitions become columns),
    plus `release_manifests` and `release_gate_results` from the releases' manifests."""
    published_dir = Path(published_dir)
    if not published_dir.is_dir():
        raise FileNotFoundError(f"published folder not found: {published_dir}")
    connection = duckdb.connect(":memory:")
    tables = published_tables(published_dir)
    for name, files in tables.items():
        file_list = "[" + ", ".join(_sql_text(path) for path in files) + "]"
        connection.execute(
            f"create view {quote_identifier(name)} as select *{_partition_replacements(files)} "
            f"from read_parquet({file_list}, hive_partitioning = true, union_by_name = true)"
        )
    manifests, gate_rows = release_metadata(published_dir)
    for name, rows, schema in (
        (MANIFESTS_TABLE, manifests, MANIFEST_SCHEMA),
        (GATE_RESULTS_TABLE, gate_rows, GATE_RESULT_SCHEMA),
    ):
        if name in tables:  # a published table of that name wins
            continue
        arrow_rows = pa.Table.from_pylist(rows, schema=schema)  # noqa: F841 (read by DuckDB)
        connection.execute(f"create table {quote_identifier(name)} as select * from arrow_rows")
    return connection
