"""The lake: the warehouse's source tables as Parquet folders that DuckDB and Spark both read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import yaml

from orchestration.settings import DBT_PROJECT_DIR

SOURCES_YAML = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
# The lake's layout: the meter readings (the one feed that grows by the day) are Hive-partitioned
# by day, `date=YYYY-MM-DD/`, so a day's readings are one folder; every other table is one folder
# of Parquet files.
PARTITIONED_BY = {"raw.power__meter_daily": "date"}


def source_tables(sources_yaml: Path = SOURCES_YAML) -> list[str]:
    """``schema.table`` of every table of the dbt sources (raw feeds and the audit trail)."""
    declared = yaml.safe_load(sources_yaml.read_text(encoding="utf-8"))
    return [
        f"{source.get('schema', source['name'])}.{table['name']}"
        for source in declared["sources"]
        for table in source["tables"]
    ]


def table_folder(lake: Path, table: str) -> Path:
    """Where ``schema.table`` lives in the lake: ``<lake>/<schema>/<table>/``."""
    schema, name = table.split(".", 1)
    return lake / schema / name


def _quoted(path: Path) -> str:
    return "'" + path.as_posix().replace("'", "''") + "'"


def export_raw(con: duckdb.DuckDBPyConnection, lake: Path) -> list[str]:
    """Write every source table of the warehouse (schemas raw and audit, as _sources.yml lists
    them) to ``<lake>/<schema>/<table>/`` as Parquet; return their ``schema.table`` names.

    Each table is written into a sibling folder first and then renamed into place, so a reader
    sees the old table or the new one whole (a folder left by a killed export is removed by the
    next). The meter table is Hive-partitioned by ``date`` (``PARTITIONED_BY``); an empty one is
    one empty file with every column, so its schema is still there to read."""
    lake = lake.resolve()
    tables = source_tables()
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }
    missing = [table for table in tables if table not in present]
    if missing:
        raise RuntimeError(
            f"export to the lake {lake}: the warehouse has no table {', '.join(missing)} "
            f"(declared in {SOURCES_YAML.relative_to(DBT_PROJECT_DIR.parent)})"
        )
    for table in tables:
        folder = table_folder(lake, table)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = folder.with_name(f".{folder.name}.new-{os.getpid()}")
        for leftover in folder.parent.glob(f".{folder.name}.*"):
            shutil.rmtree(leftover)
        partition = PARTITIONED_BY.get(table)
        (rows,) = con.execute(f"select count(*) from {table}").fetchone()
        if partition and rows:
            con.execute(
                f"copy {table} to {_quoted(staging)} "
                f"(format parquet, partition_by ({partition}), filename_pattern 'part_{{i}}')"
            )
        else:
            staging.mkdir()
            con.execute(f"copy {table} to {_quoted(staging / 'part_0.parquet')} (format parquet)")
        if folder.exists():
            retired = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            folder.rename(retired)
            staging.rename(folder)
            shutil.rmtree(retired)
        else:
            staging.rename(folder)
    return tables
