"""The Spark engine's steps around dbt: the raw tables exported to the lake before it builds, and
every table it built copied back into the DuckDB warehouse, so what follows dbt is the same on
both engines (EMISSIONS_ENGINE, orchestration/settings.py)."""

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from ingest.raw_tables import ensure_all_raw_tables
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource

LAKE_EXPORT = dg.AssetKey("lake_raw")
LAKE_GROUP = "lake"
# What dbt-spark materialises as files of the lake (a view is a query of the metastore only,
# an ephemeral model nothing): those are the tables that come back into the warehouse.
COPIED_MATERIALISATIONS = {"table", "incremental", "seed"}


@dataclass(frozen=True)
class SparkTable:
    """A seed or model that dbt builds on Spark as Parquet files, and its warehouse table."""

    unique_id: str
    relation: str  # schema.table, the same in the DuckDB warehouse (e.g. marts.out_…)
    location: Path  # the table's folder in the lake (location_root/alias)
    is_partitioned: bool
    # A seed's columns and their types (its CSV's header, column_types or string): Spark writes
    # no file for a seed without rows, so its empty table is made from these.
    seed_columns: tuple[tuple[str, str], ...] = ()

    @property
    def schema(self) -> str:
        return self.relation.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.relation.split(".", 1)[1]


def spark_tables(manifest: Mapping[str, Any]) -> dict[str, SparkTable]:
    """Every seed and model of a manifest parsed with the spark target that Spark writes as
    files, by unique id, where dbt_project.yml's ``location_root`` puts it."""
    tables, missing = {}, []
    for unique_id, node in (manifest.get("nodes") or {}).items():
        if node.get("resource_type") not in {"seed", "model"}:
            continue
        config = node.get("config") or {}
        materialised = "seed" if node["resource_type"] == "seed" else config.get("materialized")
        if materialised not in COPIED_MATERIALISATIONS:
            continue
        name = node.get("alias") or node["name"]
        root = config.get("location_root")
        if not root:
            missing.append(f"{node.get('original_file_path', unique_id)} ({node['name']})")
            continue
        tables[unique_id] = SparkTable(
            unique_id=unique_id,
            relation=f"{node['schema']}.{name}",
            location=Path(root) / name,
            is_partitioned=bool(config.get("partition_by")),
            seed_columns=_seed_columns(node) if node["resource_type"] == "seed" else (),
        )
    if missing:
        raise ValueError(
            "dbt_project.yml gives no location_root on the spark target (every table Spark "
            f"builds is a folder of the lake) for: {', '.join(missing)}"
        )
    return tables


def _seed_columns(node: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The columns of a seed's CSV (its header) with the types dbt loads them with."""
    path = Path(node["root_path"]) / node["original_file_path"]
    with path.open(encoding="utf-8", newline="") as file:
        header = next(
            csv.reader(file, delimiter=(node.get("config") or {}).get("delimiter") or ",")
        )
    types = (node.get("config") or {}).get("column_types") or {}
    return tuple((column, types.get(column, "string")) for column in header)


# Spark writes a TIMESTAMP (its session's time zone is UTC, profiles.yml) as an instant, which
# DuckDB reads as TIMESTAMP WITH TIME ZONE: it comes back as the TIMESTAMP it was, in UTC.
SPARK_INSTANT = "TIMESTAMP WITH TIME ZONE"


def _as_duckdb(name: str, kind: str) -> str:
    """A column of Spark's Parquet as the warehouse's type of it."""
    column = _quoted(name)
    return f"timezone('UTC', {column}) as {column}" if kind == SPARK_INSTANT else column


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def copy_into_warehouse(con: duckdb.DuckDBPyConnection, table: SparkTable) -> int:
    """Replace the warehouse's ``table.relation`` by the Parquet files Spark wrote, in one
    transaction (a reader sees the old table or the new one, never half of it); its rows. A
    failure names the relation, the folder and DuckDB's reason."""
    files = str(table.location / "**" / "*.parquet").replace("'", "''")
    partitioning = "true" if table.is_partitioned else "false"
    target = f"{_quoted(table.schema)}.{_quoted(table.name)}"
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {_quoted(table.schema)}")
        is_view = con.execute(
            "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
            [table.schema, table.name],
        ).fetchone()[0]
        if is_view:  # built as a view by the other engine before
            con.execute(f"drop view {target}")
        if table.seed_columns and not any(table.location.rglob("*.parquet")):
            columns = ", ".join(f"{_quoted(name)} {kind}" for name, kind in table.seed_columns)
            con.execute(f"create or replace table {target} ({columns})")  # a seed without rows
        else:
            source = f"read_parquet('{files}', hive_partitioning = {partitioning})"
            columns = con.execute(f"describe select * from {source}").fetchall()
            con.execute(
                f"create or replace table {target} as select "
                f"{', '.join(_as_duckdb(name, kind) for name, kind, *_ in columns)} from {source}"
            )
        rows = con.execute(f"select count(*) from {target}").fetchone()[0]
        con.execute("commit")
    except duckdb.Error as error:
        con.execute("rollback")
        reason = str(error).strip().splitlines()[0]
        raise dg.Failure(
            f"{table.relation}: copying the table dbt built on Spark ({table.location}) into "
            f"the warehouse failed: {reason}"
        ) from None
    return rows


def copied_events(
    events: Iterable[Any], tables: Mapping[str, SparkTable], warehouse: WarehouseResource
):
    """dagster-dbt's events of a Spark build, each table's materialisation let through only
    once that table is in the warehouse (copied as dbt reports it built), with its rows."""
    for event in events:
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            unique_id = event.metadata.get("unique_id")
            table = tables.get(getattr(unique_id, "value", unique_id))
            if table is not None:
                with warehouse.connect() as con:
                    rows = copy_into_warehouse(con, table)
                event = event.with_metadata(
                    {
                        **event.metadata,
                        "warehouse_table": table.relation,
                        "warehouse_rows": rows,
                        "lake_path": dg.MetadataValue.path(str(table.location)),
                    }
                )
        yield event


def build_lake_export_asset(upstream: Iterable[dg.AssetKey], lake: Path) -> dg.AssetsDefinition:
    """``lake_raw``: the warehouse's raw tables (what ingest loaded and audited) written to the
    lake as Parquet, the sources of dbt on Spark."""
    from orchestration.lake import export_raw

    @dg.asset(
        key=LAKE_EXPORT,
        deps=list(upstream),
        group_name=LAKE_GROUP,
        kinds={"duckdb", "parquet"},
        pool=WAREHOUSE_POOL,
        description=(
            "The warehouse's raw schema exported to the lake (EMISSIONS_LAKE/raw/<table>/, the "
            "meter feed Hive-partitioned by date): the sources dbt reads on Spark."
        ),
    )
    def lake_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            ensure_all_raw_tables(con)  # a feed with no delivery yet is an empty source
            written = export_raw(con, lake)
        context.log.info(f"exported {len(written)} table(s) to {lake}")
        return dg.MaterializeResult(
            metadata={
                "tables": dg.MetadataValue.json(list(written)),
                "path": dg.MetadataValue.path(str(lake)),
            }
        )

    return lake_raw
