"""The same dbt project on Spark: the sample's raw tables exported to a lake, every seed, model and
dbt test built there (dbt-spark, a local session), and every table equal to DuckDB's.

The Spark build is the one of the suite's Spark run (`EMISSIONS_ENGINE=spark emissions run` of the
built home's landing zone, tests/integration/conftest.py); its lake's tables are compared with
the tables DuckDB built in the built home."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt import dbt_vars, run_dbt_cli
from orchestration.lake import PARTITIONED_BY, table_folder

pytestmark = pytest.mark.integration

# Spark's types as DuckDB reads them back from Spark's Parquet files, where they are not DuckDB's
# own name: Spark writes its TIMESTAMP (the session's time zone, UTC in profiles.yml) as an
# instant, which DuckDB reads as TIMESTAMP WITH TIME ZONE.
SPARK_TYPE_AS_DUCKDB = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMP"}
# Types an intermediate (never a mart: the marts' columns are cast, most under a dbt contract)
# may have on Spark for DuckDB's: DuckDB sums BIGINT into HUGEINT (128 bits), Spark into BIGINT;
# row_number() is BIGINT on DuckDB, INT on Spark. The values are the same.
INTERMEDIATE_TYPES_ON_SPARK = {"HUGEINT": {"BIGINT"}, "BIGINT": {"INTEGER"}}
# Doubles: a sum of doubles depends on the order of its additions, which neither engine fixes
# (DuckDB's parallel aggregation even differs between its own runs): on the sample, the only
# difference between the engines is int_process__county_product.quantity_t, one bit apart.
# Running products (window_product) and the factors' rounding (round_to_digits) came out
# bit-identical. 1e-12 relative is four orders of magnitude above a double's precision and far
# below any published digit. Amounts (tCO2, tce, MWh) are DECIMAL(38,6), compared exactly (to
# the gram); a double sum that feeds one is order-independent (macro exact_sum).
DOUBLE_RELATIVE_TOLERANCE = 1e-12
# Deliberate differences between the two builds compared, by table and column, with why.
DELIBERATE_DIFFERENCES: dict[tuple[str, str], str] = {
    ("marts.out_quality__ingest_summary", "last_received_at"): "when a run's ingest received "
    "the files: the Spark run ingests the same landing zone in its own home, later",
}


@pytest.fixture(scope="module")
def spark_build(spark_run):
    """The suite's one Spark run (conftest.py): its lake, its dbt build's results and manifest."""
    return spark_run


def built_tables(build) -> list[tuple[str, str]]:
    """(schema, name) of every seed and table model the Spark build wrote to the lake."""
    return sorted(
        (node["schema"], node["alias"])
        for node in build.manifest["nodes"].values()
        if node["resource_type"] == "seed"
        or (node["resource_type"] == "model" and node["config"]["materialized"] == "table")
    )


def columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [
        (name, kind)
        for name, kind, *_ in con.execute(f"describe select * from {relation}").fetchall()
    ]


def differences(
    con: duckdb.DuckDBPyConnection, table: str, duckdb_relation: str, spark_relation: str
) -> list[str]:
    """What differs between the DuckDB table and Spark's: columns, types, then rows (as
    multisets; DECIMAL, integers, text, dates exactly, doubles within the tolerance)."""
    theirs = columns_of(con, spark_relation)
    ours = columns_of(con, duckdb_relation)
    spark_as_duckdb = [(name, SPARK_TYPE_AS_DUCKDB.get(kind, kind)) for name, kind in theirs]
    if not table.startswith("marts."):
        spark_as_duckdb = [
            (name, ours_kind if kind in INTERMEDIATE_TYPES_ON_SPARK.get(ours_kind, ()) else kind)
            for (name, kind), (_, ours_kind) in zip(spark_as_duckdb, ours, strict=False)
        ]
    if spark_as_duckdb != ours:
        return [f"{table}: columns and types differ: DuckDB {ours}, Spark {theirs}"]
    doubles = [i for i, (_, kind) in enumerate(ours) if kind in ("DOUBLE", "FLOAT")]
    names = [name for name, _ in ours]
    ordered = [i for i in range(len(ours)) if i not in doubles] + doubles

    def sort_key(row: tuple) -> tuple:
        return tuple((row[i] is None, row[i] if row[i] is not None else 0) for i in ordered)

    select = ", ".join(f'"{name}"' for name in names)
    if any(kind == "TIMESTAMP" for _, kind in ours):
        con.execute("set time zone 'UTC'")
        spark_select = ", ".join(
            f'cast("{name}" as timestamp) as "{name}"' if kind == "TIMESTAMP" else f'"{name}"'
            for name, kind in ours
        )
    else:
        spark_select = select
    duckdb_rows = sorted(
        con.execute(f"select {select} from {duckdb_relation}").fetchall(), key=sort_key
    )
    spark_rows = sorted(
        con.execute(f"select {spark_select} from {spark_relation}").fetchall(), key=sort_key
    )
    if len(duckdb_rows) != len(spark_rows):
        return [f"{table}: {len(duckdb_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    found = []
    for number, (mine, other) in enumerate(zip(duckdb_rows, spark_rows, strict=True)):
        for i, (a, b) in enumerate(zip(mine, other, strict=True)):
            if (table, names[i]) in DELIBERATE_DIFFERENCES or same_value(a, b, i in doubles):
                continue
            found.append(
                f"{table}, row {number} (sorted) {dict(zip(names, mine, strict=True))}: "
                f"column {names[i]} is {a!r} on DuckDB, {b!r} on Spark"
            )
            break
        if len(found) >= 5:
            break
    return found


def same_value(a: object, b: object, is_double: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if is_double:
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=DOUBLE_RELATIVE_TOLERANCE, abs_tol=0.0)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a) == Decimal(b)
    return a == b


def spark_relation(build, schema: str, name: str) -> str | None:
    """The Parquet files of a Spark table, None for a table without rows (Spark writes no file
    for an empty insert)."""
    folder = build.lake / "spark" / schema / name
    if not list(folder.glob("*.parquet")):
        return None
    return f"read_parquet('{(folder / '*.parquet').as_posix()}')"


def test_every_seed_model_and_dbt_test_runs_on_spark(spark_build):
    """dbt build succeeded (asserted by the fixture): every node ran, none was skipped (an
    exposure, a published table or a page, is listed as a no-op: nothing to build)."""
    statuses = {}
    for result in spark_build.results:
        if result["unique_id"].startswith("exposure."):
            assert result["status"] == "no-op", result
            continue
        statuses.setdefault(result["status"], []).append(result["unique_id"])
    assert set(statuses) <= {"success", "pass"}, {
        status: ids for status, ids in statuses.items() if status not in ("success", "pass")
    }
    kinds = {result["unique_id"].split(".")[0] for result in spark_build.results}
    assert {"seed", "model", "test", "unit_test"} <= kinds, kinds
    # Every node of the project that dbt build runs ran on Spark.
    runnable = {
        unique_id
        for unique_id, node in spark_build.manifest["nodes"].items()
        if node["resource_type"] in ("seed", "model", "test")
    } | set(spark_build.manifest.get("unit_tests", {}))
    ran = {result["unique_id"] for result in spark_build.results}
    # The on-run-start hook that registers the lake's sources ran too.
    assert "operation.shanxi_emissions.shanxi_emissions-on-run-start-0" in ran
    assert runnable == {
        unique_id for unique_id in ran if not unique_id.startswith(("operation.", "exposure."))
    }


def test_spark_tables_are_parquet_folders_of_the_lake(spark_build):
    tables = built_tables(spark_build)
    assert {schema for schema, _ in tables} == {"reference", "intermediate", "marts"}
    for schema, name in tables:
        folder = spark_build.lake / "spark" / schema / name
        assert folder.is_dir(), f"no folder {folder} for the Spark table {schema}.{name}"
    # Spark's own folders (warehouse, metastore) are in the lake too, not in the project.
    assert (spark_build.lake / "spark" / "metastore_db").is_dir()
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    assert not (project / "metastore_db").exists() and not (project / "spark-warehouse").exists()


def test_the_lakes_raw_tables_read_back_as_the_warehouses(spark_build):
    """export_raw: each source table in the lake has the columns, types and rows of the
    warehouse it was exported from (DATE, DOUBLE, TIMESTAMP, BOOLEAN kept); the meter table
    partitioned by day."""
    meter = table_folder(spark_build.lake, "raw.power__meter_daily")
    assert PARTITIONED_BY["raw.power__meter_daily"] == "date"
    assert sorted(path.name for path in meter.iterdir())[0].startswith("date=")
    with duckdb.connect(str(spark_build.settings.warehouse_path), read_only=True) as con:
        con.execute("set time zone 'UTC'")
        for folder in sorted((spark_build.lake / "raw").iterdir()) + sorted(
            (spark_build.lake / "audit").iterdir()
        ):
            table = f"{folder.parent.name}.{folder.name}"
            relation = f"read_parquet('{folder.as_posix()}/**/*.parquet', hive_partitioning = true)"
            names = ", ".join(f'"{name}"' for name, _ in columns_of(con, table))
            exported = f"(select {names} from {relation})"
            assert columns_of(con, exported) == columns_of(con, table), table
            (missing,) = con.execute(
                f"select count(*) from (select * from {table} except all select * from {exported})"
            ).fetchone()
            (extra,) = con.execute(
                f"select count(*) from (select * from {exported} except all select * from {table})"
            ).fetchone()
            assert (missing, extra) == (0, 0), f"{table}: {missing} rows missing, {extra} extra"


def test_every_table_built_on_spark_equals_duckdbs(built, spark_build):
    """Every seed, intermediate and mart table: same columns, same types, same rows."""
    found = []
    with duckdb.connect(str(built.settings.warehouse_path), read_only=True) as con:
        for schema, name in built_tables(spark_build):
            table = f"{schema}.{name}"
            relation = spark_relation(spark_build, schema, name)
            if relation is None:
                (rows,) = con.execute(f"select count(*) from {table}").fetchone()
                if rows:
                    found.append(f"{table}: {rows} rows on DuckDB, none on Spark")
                continue
            found += differences(con, table, table, relation)
    assert not found, "\n".join(found)


def test_the_marts_are_compared(built, spark_build):
    """The comparison above covers every mart of the warehouse (a mart built by DuckDB only
    would escape it)."""
    with duckdb.connect(str(built.settings.warehouse_path), read_only=True) as con:
        marts = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    assert marts and marts == {
        name for schema, name in built_tables(spark_build) if schema == "marts"
    }


def dbt_on_the_lake(spark_build, args: list[str], tmp_path):
    """A dbt command on the spark target over the Spark run's lake, with its run's --vars."""
    settings = spark_build.settings
    variables = dbt_vars(settings.factor_set, settings.first_year, settings.last_year)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("EMISSIONS_LAKE", str(spark_build.lake))
        return run_dbt_cli(
            [*args, "--target", "spark", "--vars", variables],
            settings.warehouse_path,
            tmp_path / "target",
        )


def test_a_second_build_on_the_same_lake_replaces_its_tables(built, spark_build, tmp_path):
    """dbt-spark drops a table and creates it again at the same location: a second build on the
    lake overwrites the files (no row twice), for a seed and a model alike."""
    rebuilt = ["reference.ref_ets_rules", "marts.out_emissions__by_city"]
    select = " ".join(table.split(".")[1] for table in rebuilt)
    completed = dbt_on_the_lake(spark_build, ["build", "--select", select], tmp_path)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-20000:]
    found = []
    with duckdb.connect(str(built.settings.warehouse_path), read_only=True) as con:
        for table in rebuilt:
            relation = spark_relation(spark_build, *table.split("."))
            assert relation is not None, table
            found += differences(con, table, table, relation)
    assert not found, "\n".join(found)


def test_spark_reads_every_row_of_the_day_partitioned_lake_table(built, spark_build, tmp_path):
    """The meter readings, exported partitioned by day, read on Spark as the warehouse holds
    them (registered over existing folders, a partitioned table showed no rows at all)."""
    query = (
        "select count(*) as readings, count(distinct date) as days "
        "from {{ source('raw', 'power__meter_daily') }}"
    )
    completed = dbt_on_the_lake(
        spark_build, ["show", "--inline", query, "--output", "json"], tmp_path
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-20000:]
    with duckdb.connect(str(built.settings.warehouse_path), read_only=True) as con:
        expected = con.execute(
            "select count(*), count(distinct date) from raw.power__meter_daily"
        ).fetchone()
    assert expected[0] > 0
    assert f'"readings": {expected[0]}' in output and f'"days": {expected[1]}' in output, output
