"""Readers' DuckDB over the published releases: one builder of views, and a read-only guard.

``build_views`` makes, in a DuckDB connection, one view per published table over the Parquet
files of its current release, listed when the view is made (the resolved release folder, never
a glob through the ``published/<table>`` link, so a query running while a release switches reads
the old release or the new one, never files of both), with the data dictionary as column
comments; beside them the tables ``release_manifests`` (one row per table) and
``release_gate_results`` (one row per expectation of each table's gate), from the releases'
manifests. It serves all three readers:

- ``write_catalog``: ``published/catalog.duckdb``, rebuilt aside and renamed in after every
  publish, which departments open with their own DuckDB (``read_only=True``);
- ``open_catalog``: that file for ``emissions sql``, locked down (see ``lock_down``);
- ``published_views_connection``: an in-memory connection for the report renderer, locked down.

``check_read_only`` refuses, before DuckDB sees them, the statements that are not reads.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from publish.layout import (
    CATALOG_FILE,
    DATAPACKAGE_FILE,
    DICTIONARY_JSON_FILE,
    MANIFEST_FILE,
    RELEASES_FOLDER,
    building_catalog,
    current_release,
    is_hidden,
)

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
        # The derived check (a query of the suite over the table) the expectation is on; null
        # for the table itself. Its column_name is then a column of that query.
        ("check_name", pa.string()),
        ("expectation", pa.string()),
        ("column_name", pa.string()),
        ("success", pa.bool_()),
        ("observed", pa.string()),
        ("unexpected_count", pa.int64()),
    ]
)


@dataclass(frozen=True)
class CurrentRelease:
    """What ``published/<name>`` shows now: its resolved folder, Parquet files and manifest."""

    name: str
    folder: Path
    files: tuple[str, ...]
    manifest: dict[str, Any] | None


def _parquet_files(folder: Path) -> tuple[str, ...]:
    """The release's Parquet files, hidden names skipped (links followed, loops walked once)."""
    files: list[str] = []
    seen: set[str] = set()
    for directory, subdirectories, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:
            subdirectories[:] = []
            continue
        seen.add(real)
        subdirectories[:] = sorted(d for d in subdirectories if not is_hidden(d))
        files += [
            os.path.join(directory, name)
            for name in sorted(names)
            if name.endswith(".parquet") and not is_hidden(name)
        ]
    return tuple(files)


def _table_folders(published_dir: Path) -> dict[str, Path]:
    """Table name → the release folder ``published/<name>`` shows (under ``.releases``), or the
    folder itself when it is not a release of ours."""
    published_dir = Path(published_dir)
    if not published_dir.is_dir():
        raise FileNotFoundError(f"published folder not found: {published_dir}")
    return {
        entry.name: (current_release(published_dir, entry.name) or entry).resolve()
        for entry in sorted(published_dir.iterdir())
        if not is_hidden(entry.name) and entry.is_dir()
    }


def current_releases(published_dir: Path) -> dict[str, CurrentRelease]:
    """Every table of ``published_dir`` as it is now, by name (also an empty release)."""
    releases = {}
    for name, folder in _table_folders(published_dir).items():
        manifest_path = folder / MANIFEST_FILE
        manifest = None
        if manifest_path.is_file():
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except ValueError as error:
                raise ValueError(f"{manifest_path}: not a JSON manifest ({error})") from None
        releases[name] = CurrentRelease(name, folder, _parquet_files(folder), manifest)
    return releases


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _amount_replacements(release: CurrentRelease) -> list[str]:
    """The amounts (published as doubles, see publish.release.published_select) as the
    warehouse's DECIMAL again, exactly: SQL sums to the gram, as in the warehouse."""
    amounts = (release.manifest or {}).get("amount_columns") or {}
    return [
        f"cast({quote_identifier(name)} as decimal(38, {int(places)})) as {quote_identifier(name)}"
        for name, places in sorted(amounts.items())
    ]


def _partition_replacements(files: tuple[str, ...], extra: list[str] | None = None) -> str:
    """`` replace (...)`` turning each Hive partition column into a computed column.

    Integer keys (``year=2024``) become INTEGER, like the marts' ``year``. Being computed also
    keeps DuckDB 2.0 from treating them as scan partitions, which fails on two window
    functions partitioned by one (``PhysicalWindow::GetPartitionData: partition columns not
    supported``).
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
    expressions += extra or []
    return f" replace ({', '.join(expressions)})" if expressions else ""


def _column_comments(release: CurrentRelease) -> list[str]:
    dictionary = release.folder / DICTIONARY_JSON_FILE
    if not dictionary.is_file():
        return []
    statements = []
    for column in json.loads(dictionary.read_text(encoding="utf-8")):
        comment = f"{column['zh']} / {column['en']}" + (
            f" [{column['unit']}]" if column["unit"] else ""
        )
        statements.append(
            f"comment on column {quote_identifier(release.name)}."
            f"{quote_identifier(column['name'])} is {_sql_text(comment)}"
        )
    return statements


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


def _gate_passed(manifest: dict[str, Any]) -> bool:
    """Whether a release's gate ran and every suite of it passed."""
    results = manifest.get("gate_results") or []
    return bool(results) and all(result.get("success") for result in results)


def release_metadata(
    releases: dict[str, CurrentRelease],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of ``release_manifests`` and ``release_gate_results`` from the releases' manifests.

    A gate result's sample rows are left out: readers see counts, never delivered rows.
    """
    manifests: list[dict[str, Any]] = []
    gate_rows: list[dict[str, Any]] = []
    for name, release in releases.items():
        manifest = release.manifest
        if manifest is None:
            continue
        results = manifest.get("gate_results") or []
        outcomes = [(result, outcome) for result in results for outcome in result["outcomes"]]
        description = manifest.get("description") or {}
        manifests.append(
            {
                "table_name": name,
                "release_id": manifest.get("release_id"),
                "created_at": _created_at(manifest.get("created_at")),
                "git_revision": manifest.get("git_revision"),
                "source_model": manifest.get("source_model"),
                "description_zh": description.get("zh"),
                "description_en": description.get("en"),
                "row_count": manifest.get("row_count"),
                "file_count": len(manifest.get("files") or []),
                "gate_passed": _gate_passed(manifest),
                "expectation_count": len(outcomes),
                "failed_expectation_count": sum(1 for _, o in outcomes if not o.get("success")),
            }
        )
        gate_rows += [
            {
                "table_name": name,
                "release_id": manifest.get("release_id"),
                "suite": result.get("suite"),
                "model": result.get("model"),
                "checked_rows": result.get("row_count"),
                "check_name": outcome.get("check"),
                "expectation": outcome.get("expectation"),
                "column_name": outcome.get("column"),
                "success": bool(outcome.get("success")),
                "observed": _observed_text(outcome.get("observed")),
                "unexpected_count": outcome.get("unexpected_count"),
            }
            for result, outcome in outcomes
        ]
    return manifests, gate_rows


def view_statements(
    published_dir: Path, releases: dict[str, CurrentRelease], relative: bool = False
) -> list[str]:
    """The SQL that makes the readers' views: one per published table with Parquet files (an
    empty release has none) over the file list of its current release, and its column
    comments. ``relative``: the files' paths relative to ``published_dir`` (catalog.sql)."""
    root = Path(published_dir).resolve()
    statements = []
    for name, release in releases.items():
        if not release.files:
            continue
        files = tuple(
            Path(path).resolve().relative_to(root).as_posix() if relative else path
            for path in release.files
        )
        file_list = "[" + ", ".join(_sql_text(path) for path in files) + "]"
        replacements = _partition_replacements(files, _amount_replacements(release))
        statements.append(
            f"create view {quote_identifier(name)} as select *{replacements} "
            f"from read_parquet({file_list}, hive_partitioning = true, union_by_name = true)"
        )
        statements += _column_comments(release)
    return statements


def build_views(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    releases: dict[str, CurrentRelease] | None = None,
) -> list[str]:
    """In ``con``: a view per published table with Parquet files (``view_statements``), and the
    two release metadata tables. Returns the names of the views. ``releases``: those of
    ``current_releases``, when the caller has read them already."""
    releases = current_releases(published_dir) if releases is None else releases
    for statement in view_statements(published_dir, releases):
        con.execute(statement)
    views = [name for name, release in releases.items() if release.files]
    manifests, gate_rows = release_metadata(releases)
    for table, rows, schema in (
        (MANIFESTS_TABLE, manifests, MANIFEST_SCHEMA),
        (GATE_RESULTS_TABLE, gate_rows, GATE_RESULT_SCHEMA),
    ):
        if table in releases:  # a published table of that name wins
            continue
        arrow_rows = pa.Table.from_pylist(rows, schema=schema)  # noqa: F841 (read by DuckDB)
        con.execute(f"create table {quote_identifier(table)} as select * from arrow_rows")
    return views


# The DuckDB storage version catalog.duckdb is written in: the oldest that holds what it needs,
# so that DuckDB 1.4 and later (the CLI most departments have) open it, not only this one.
CATALOG_STORAGE_VERSION = "v1.4.0"
CATALOG_SQL_FILE = "catalog.sql"


def write_catalog(published_dir: Path) -> Path:
    """``published/catalog.duckdb``: the views and metadata tables of ``build_views``; beside
    it ``catalog.sql``, the same views with paths relative to the published folder (for a copy
    of the folder: ``cd <copy> && duckdb -init catalog.sql``), and ``datapackage.json``.

    A file of its own, apart from the warehouse, so readers never wait for (or block) the run
    that writes the warehouse. Built aside and renamed into place: a reader that has the old
    file open keeps its views (and their release's files) until it reconnects.
    """
    published_dir = Path(published_dir)
    target = published_dir / CATALOG_FILE
    building = building_catalog(published_dir)
    building.unlink(missing_ok=True)
    releases = current_releases(published_dir)  # read once for the three files
    con = duckdb.connect()
    try:
        con.execute(
            f"attach {_sql_text(str(building))} as catalog "
            f"(storage_version {_sql_text(CATALOG_STORAGE_VERSION)})"
        )
        con.execute("use catalog")
        build_views(con, published_dir, releases)
        con.execute("use memory")
        con.execute("detach catalog")
    finally:
        con.close()
    os.replace(building, target)
    _write_atomically(published_dir / CATALOG_SQL_FILE, catalog_sql(published_dir, releases))
    _write_atomically(
        published_dir / DATAPACKAGE_FILE,
        json.dumps(data_package(published_dir, releases), ensure_ascii=False, indent=2) + "\n",
    )
    return target


def _write_atomically(path: Path, text: str) -> None:
    building = path.with_name(f".{path.name}.building")
    building.write_text(text, encoding="utf-8")
    os.replace(building, path)


def _sql_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"timestamp {_sql_text(value.isoformat(sep=' '))}"
    return _sql_text(str(value))


def catalog_sql(published_dir: Path, releases: dict[str, CurrentRelease]) -> str:
    """The readers' catalog as a SQL script with paths relative to the published folder: run
    from a copy of the folder, any DuckDB (1.1 or later) makes the same views and tables."""
    lines = [
        "-- The readers' catalog of this published folder, for a copy of it: run from the",
        "-- folder, e.g. `duckdb -init catalog.sql` or `.read catalog.sql` (paths are relative",
        "-- to it). Amounts are DECIMAL again in the views; the Parquet files hold doubles.",
    ]
    lines += [
        f"{statement};" for statement in view_statements(published_dir, releases, relative=True)
    ]
    manifests, gate_rows = release_metadata(releases)
    for table, rows, schema in (
        (MANIFESTS_TABLE, manifests, MANIFEST_SCHEMA),
        (GATE_RESULTS_TABLE, gate_rows, GATE_RESULT_SCHEMA),
    ):
        if table in releases:
            continue
        columns = ", ".join(
            f"{quote_identifier(field.name)} {_DUCKDB_TYPES[str(field.type)]}" for field in schema
        )
        lines.append(f"create table {quote_identifier(table)} ({columns});")
        for row in rows:
            values = ", ".join(_sql_literal(row[field.name]) for field in schema)
            lines.append(f"insert into {quote_identifier(table)} values ({values});")
    return "\n".join(lines) + "\n"


_DUCKDB_TYPES = {"string": "varchar", "int64": "bigint", "bool": "boolean",
                 "timestamp[s]": "timestamp"}  # fmt: skip
# Frictionless Table Schema field types of the Parquet types a release holds.
_FRICTIONLESS_TYPES = {
    "VARCHAR": "string", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime",
    "DOUBLE": "number", "FLOAT": "number", "INTEGER": "integer", "BIGINT": "integer",
    "SMALLINT": "integer", "TINYINT": "integer", "HUGEINT": "integer",
}  # fmt: skip


def data_package(published_dir: Path, releases: dict[str, CurrentRelease]) -> dict[str, Any]:
    """A Frictionless Data Package (v1) of the published folder: each current release a
    resource (its Parquet files, relative to the folder), its fields with type, the data
    dictionary's titles, descriptions and units, and its release id and gate outcome."""
    root = Path(published_dir).resolve()
    con = duckdb.connect()
    resources = []
    for name, release in releases.items():
        manifest = release.manifest or {}
        dictionary_path = release.folder / DICTIONARY_JSON_FILE
        dictionary = (
            {c["name"]: c for c in json.loads(dictionary_path.read_text(encoding="utf-8"))}
            if dictionary_path.is_file()
            else {}
        )
        shown = root / name
        paths = [
            (shown / Path(path).resolve().relative_to(release.folder)).relative_to(root).as_posix()
            for path in release.files
        ]
        kinds = {}
        if release.files:
            file_list = "[" + ", ".join(_sql_text(path) for path in release.files) + "]"
            kinds = dict(
                con.execute(
                    f"select column_name, column_type from (describe select *"
                    f"{_partition_replacements(release.files)} from read_parquet({file_list}, "
                    "hive_partitioning = true, union_by_name = true))"
                ).fetchall()
            )
        fields = []
        for column, entry in dictionary.items():
            field = {
                "name": column,
                "type": _FRICTIONLESS_TYPES.get(str(kinds.get(column, "")).upper(), "any"),
                "title": entry.get("zh"),
                "description": entry.get("en"),
            }
            if entry.get("unit"):
                field["unit"] = entry["unit"]
            fields.append(field)
        description = manifest.get("description") or {}
        resources.append(
            {
                "name": name,
                "path": paths,
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "title": description.get("zh"),
                "description": description.get("en"),
                "schema": {"fields": fields},
                "release_id": manifest.get("release_id"),
                "created": manifest.get("created_at"),
                "rows": manifest.get("row_count"),
                "gate_passed": _gate_passed(manifest),
            }
        )
    con.close()
    return {
        "profile": "data-package",
        "name": "shanxi-emissions-published",
        "title": "山西省碳排放统计发布数据 / Shanxi carbon-emission statistics, published extracts",
        "resources": resources,
    }


def reader_directories(published_dir: Path) -> list[str]:
    """The folders a reader's connection may read: the releases folder (the current release of
    every table and the few kept before it), and any table folder that is not a release link."""
    published_dir = Path(published_dir).resolve()
    releases = published_dir / RELEASES_FOLDER
    folders = {releases}
    for folder in _table_folders(published_dir).values():
        if not folder.is_relative_to(releases):
            folders.add(folder)
    return sorted(f"{folder.as_posix().rstrip('/')}/" for folder in folders)


def lock_down(con: duckdb.DuckDBPyConnection, directories: list[str]) -> None:
    """No file outside ``directories``, no extension, no attaching, no setting changed again.

    ``allowed_directories`` also permits writes (``COPY … TO`` over a published Parquet file
    succeeds), which is why readers' SQL goes through ``check_read_only`` as well.
    """
    con.execute("set allowed_directories = [" + ", ".join(_sql_text(d) for d in directories) + "]")
    con.execute("set enable_external_access = false")
    con.execute("set autoinstall_known_extensions = false")
    con.execute("set autoload_known_extensions = false")
    con.execute("set lock_configuration = true")


def open_catalog(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """``published/catalog.duckdb`` read-only and locked down, for statisticians' SQL."""
    catalog = Path(published_dir) / CATALOG_FILE
    if not catalog.is_file():
        raise FileNotFoundError(f"no published release yet ({catalog} is missing)")
    con = duckdb.connect(str(catalog), read_only=True)
    lock_down(con, reader_directories(published_dir))
    return con


def published_views_connection(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the views and metadata tables of ``build_views``, locked down:
    what the report renderer queries (never the warehouse)."""
    con = duckdb.connect(":memory:")
    build_views(con, published_dir)
    lock_down(con, reader_directories(published_dir))
    return con


class QueryRefused(ValueError):
    """A statement that is not a read of the published tables; the message is one line."""


READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT})
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_EXPLAIN = re.compile(r"^explain\b(?:\s+analy[sz]e\b)?(?:\s*\([^)]*\))?", re.I)
_FIRST_WORD = re.compile(r"^\W*(\w+)")


def _keyword(text: str) -> str:
    match = _FIRST_WORD.match(_LEADING_NOISE.sub("", text, count=1))
    return match.group(1).upper() if match else "an empty"


def check_read_only(sql: str) -> None:
    """Raise ``QueryRefused`` unless every statement of ``sql`` reads (``SELECT``, ``WITH``,
    ``FROM``, ``VALUES``, ``SHOW``, ``DESCRIBE``, ``SUMMARIZE``, or ``EXPLAIN`` of one of them).

    A syntax error raises DuckDB's ``ParserException``, as running the statement would.
    """
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise QueryRefused("refused: no SQL statement given")
    for statement in statements:
        query = statement.query
        if statement.type == duckdb.StatementType.EXPLAIN:
            explained = _EXPLAIN.sub("", _LEADING_NOISE.sub("", query, count=1), count=1)
            inner = duckdb.extract_statements(explained) if explained.strip() else []
            if len(inner) == 1 and inner[0].type in READ_STATEMENTS:
                continue
            query = explained
        elif statement.type in READ_STATEMENTS:
            continue
        raise QueryRefused(
            f"refused: {_keyword(query)} statement: `emissions sql` only reads the published "
            "tables (SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN); it writes nothing, loads or "
            "attaches nothing and changes no setting"
        )
