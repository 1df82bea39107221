"""EMISSIONS_ENGINE=spark: the graph's extra asset and dependencies, the dbt target, and the copy
of what Spark built back into the warehouse (on Parquet written here, as Spark lays it out)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dbt import (
    DBT_STEP,
    dbt_build_args,
    dbt_environment,
    dbt_vars,
    duckdb_view_args,
    engine_line,
    parse_dir,
)
from orchestration.definitions import AUDIT_TABLES, TRANSFORM_JOB, build_defs
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.settings import Settings
from orchestration.spark import (
    LAKE_EXPORT,
    SparkTable,
    copied_events,
    copy_into_warehouse,
    spark_tables,
)

VARIABLES = dbt_vars("provincial_guidelines", 2015, 2025)


def test_the_spark_target_is_passed_to_every_build_and_the_lake_to_its_environment(tmp_path):
    assert dbt_build_args(VARIABLES)[-2:] == ["--target", "local"]
    assert dbt_build_args(VARIABLES, "spark")[-2:] == ["--target", "spark"]
    assert dbt_environment("duckdb", None) == {}
    assert dbt_environment("spark", tmp_path) == {"EMISSIONS_LAKE": str(tmp_path)}
    with pytest.raises(ValueError, match="absolute lake folder"):
        dbt_environment("spark", Path("lake"))
    assert "Spark" in engine_line("spark", tmp_path) and str(tmp_path) in engine_line(
        "spark", tmp_path
    )
    assert "DuckDB" in engine_line("duckdb", None)
    # after a Spark build, the project's views are made in the warehouse on its own target
    assert duckdb_view_args(VARIABLES) == [
        "run", "--vars", VARIABLES, "--target", "local", "--select", "config.materialized:view"
    ]  # fmt: skip


def test_each_target_and_lake_parses_into_its_own_folder(tmp_path):
    """A Spark manifest holds the lake's paths (the tables' locations): a parse for another
    target or another lake never serves this one."""
    local = parse_dir(VARIABLES)
    spark = parse_dir(VARIABLES, "spark", dbt_environment("spark", tmp_path / "a"))
    other_lake = parse_dir(VARIABLES, "spark", dbt_environment("spark", tmp_path / "b"))
    assert len({local, spark, other_lake}) == 3
    assert parse_dir(VARIABLES, "local", {}) == local


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lake for the module's Spark homes: the Spark manifest renders it, so they share one
    parse."""
    return tmp_path_factory.mktemp("lake")


@pytest.fixture
def spark_home(home: Settings, lake: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("EMISSIONS_ENGINE", "spark")
    monkeypatch.setenv("EMISSIONS_LAKE", str(lake))
    return Settings.from_env()


def test_on_spark_the_raw_tables_go_to_the_lake_after_ingest_and_before_dbt(home, spark_home):
    assert spark_home.engine == "spark" and home.lake_dir == home.home / "lake"
    default = build_defs(home).resolve_asset_graph()
    spark = build_defs(spark_home).resolve_asset_graph()
    # the default engine has no Spark extra; Spark adds the export and nothing else
    assert LAKE_EXPORT not in default.get_all_asset_keys()
    assert spark.get_all_asset_keys() - default.get_all_asset_keys() == {LAKE_EXPORT}
    assert spark.asset_check_keys == default.asset_check_keys
    export = spark.get(LAKE_EXPORT)
    assert export.pools == {WAREHOUSE_POOL}  # it reads the warehouse
    ingested = {k for k in default.materializable_asset_keys if k.path[0].startswith("raw_")}
    audit = {dg.AssetKey(f"audit_{table}") for table in AUDIT_TABLES}
    assert set(export.parent_keys) == ingested | audit
    # every dbt seed and model waits on the export (each dbt command registers the lake's raw
    # tables before it starts), a staging model beside the ingest asset it reads
    staged = spark.get(dg.AssetKey("stg_stats__energy_consumption"))
    assert {LAKE_EXPORT, dg.AssetKey("raw_stats__energy_consumption")} <= set(staged.parent_keys)
    for name in ("int_energy__annual_consumption", "ref_sectors", "out_emissions__nowcast_daily"):
        assert LAKE_EXPORT in spark.get(dg.AssetKey(name)).parent_keys, name
    assert LAKE_EXPORT not in default.get(dg.AssetKey("stg_stats__energy_consumption")).parent_keys
    # everything downstream keeps its dependencies
    for key in default.get_all_asset_keys():
        assert set(spark.get(key).parent_keys) == set(default.get(key).parent_keys) | (
            {LAKE_EXPORT} if LAKE_EXPORT in spark.get(key).parent_keys else set()
        ), key.to_user_string()
    dbt_step = spark.assets_def_for_key(dg.AssetKey("out_emissions__by_city"))
    assert dbt_step.node_def.name == DBT_STEP and dbt_step.op.pool == WAREHOUSE_POOL
    # the transform job exports: it is not in the ingest group
    job = build_defs(spark_home).resolve_job_def(TRANSFORM_JOB)
    assert LAKE_EXPORT in job.asset_layer.executable_asset_keys


def test_the_spark_manifest_locates_every_table_in_the_lake(spark_home):
    from orchestration.dbt import DBT_TARGETS, ensure_manifest

    manifest = ensure_manifest(
        VARIABLES, DBT_TARGETS["spark"], dbt_environment("spark", spark_home.lake_dir)
    )
    tables = spark_tables(json.loads(manifest.read_text(encoding="utf-8")))
    by_relation = {table.relation: table for table in tables.values()}
    mart = by_relation["marts.out_emissions__by_city"]
    assert mart.location == spark_home.lake_dir / "spark" / "marts" / "out_emissions__by_city"
    assert "reference.ref_divisions" in by_relation  # seeds come back too
    assert by_relation["reference.ref_divisions"].seed_columns[0] == ("division_code", "string")
    assert not any(relation.startswith("staging.") for relation in by_relation)  # views


def manifest_node(kind: str, name: str, schema: str, materialized: str, root: str | None):
    config = {"materialized": materialized, **({"location_root": root} if root else {})}
    return {
        "resource_type": kind,
        "name": name,
        "alias": name,
        "schema": schema,
        "original_file_path": f"models/{name}.sql",
        "config": config,
    }


def test_spark_tables_are_the_tables_and_a_missing_location_is_named(tmp_path):
    manifest = {
        "nodes": {
            "model.p.t": manifest_node("model", "t", "marts", "table", "/lake/spark/marts"),
            "model.p.v": manifest_node("model", "v", "staging", "view", "/lake/spark/staging"),
            "test.p.x": manifest_node("test", "x", "marts", "test", None),
        }
    }
    assert spark_tables(manifest) == {
        "model.p.t": SparkTable("model.p.t", "marts.t", Path("/lake/spark/marts/t"), False)
    }
    manifest["nodes"]["model.p.u"] = manifest_node("model", "u", "marts", "table", None)
    with pytest.raises(ValueError, match=r"no location_root .*models/u.sql \(u\)"):
        spark_tables(manifest)


def spark_layout(folder: Path, query: str) -> None:
    """Parquet as Spark leaves a table: part files, _SUCCESS and hidden checksums."""
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"copy ({query}) to '{folder}/part-00000-x.snappy.parquet' (format parquet)")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-00000-x.snappy.parquet.crc").write_bytes(b"\0")


def test_a_table_spark_built_replaces_the_warehouse_table_or_view(tmp_path):
    lake = tmp_path / "lake" / "spark" / "marts"
    spark_layout(lake / "t", "select 2017 as year, 1.5::decimal(18, 6) as total_tco2")
    spark_layout(lake / "v", "select 'a' as code")
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.t as select 'old' as year")
        con.execute("create view marts.v as select 1 as x")
        assert copy_into_warehouse(con, SparkTable("m.t", "marts.t", lake / "t", False)) == 1
        assert copy_into_warehouse(con, SparkTable("m.v", "marts.v", lake / "v", False)) == 1
        assert con.execute("select * from marts.t").fetchall() == [(2017, 1.5)]
        assert [row[1] for row in con.execute("describe marts.t").fetchall()] == [
            "INTEGER",
            "DECIMAL(18,6)",
        ]
        kinds = con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'marts' order by 1"
        ).fetchall()
        assert kinds == [("t", "BASE TABLE"), ("v", "BASE TABLE")]


def test_a_timestamp_spark_wrote_as_an_instant_comes_back_as_the_utc_timestamp(tmp_path):
    spark_layout(
        tmp_path / "t",
        "select timestamptz '2021-03-04 05:06:07+00' as received_at, 1 as n",
    )
    with duckdb.connect() as con:
        con.execute("set time zone 'Asia/Shanghai'")  # the machine's zone plays no part
        copy_into_warehouse(con, SparkTable("m.t", "marts.t", tmp_path / "t", False))
        assert [row[1] for row in con.execute("describe marts.t").fetchall()] == [
            "TIMESTAMP",
            "INTEGER",
        ]
        (value,) = con.execute("select cast(received_at as varchar) from marts.t").fetchone()
    assert value == "2021-03-04 05:06:07"


def test_a_seed_without_rows_comes_back_empty_with_its_types(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "ref_x.csv").write_text("year,code,approved_on\n", encoding="utf-8")
    node = {
        **manifest_node("seed", "ref_x", "reference", "seed", str(tmp_path / "lake")),
        "root_path": str(tmp_path),
        "original_file_path": "seeds/ref_x.csv",
    }
    node["config"]["column_types"] = {"year": "integer", "approved_on": "date"}
    [table] = spark_tables({"nodes": {"seed.p.ref_x": node}}).values()
    (tmp_path / "lake" / "ref_x").mkdir(parents=True)  # Spark's empty folder
    with duckdb.connect() as con:
        assert copy_into_warehouse(con, table) == 0
        described = [(row[0], row[1]) for row in con.execute("describe reference.ref_x").fetchall()]
    assert described == [("year", "INTEGER"), ("code", "VARCHAR"), ("approved_on", "DATE")]


def test_a_table_that_cannot_be_copied_is_named_and_the_old_one_kept(tmp_path):
    with duckdb.connect() as con:
        con.execute("create schema marts; create table marts.t as select 1 as x")
        missing = SparkTable("m.t", "marts.t", tmp_path / "nowhere", False)
        with pytest.raises(dg.Failure, match=r"marts\.t: copying .*nowhere.*No files found"):
            copy_into_warehouse(con, missing)
        assert con.execute("select * from marts.t").fetchall() == [(1,)]


def test_a_materialisation_is_let_through_once_its_table_is_in_the_warehouse(tmp_path):
    spark_layout(tmp_path / "lake" / "t", "select 1 as x union all select 2")
    warehouse = WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    tables = {"model.p.t": SparkTable("model.p.t", "marts.t", tmp_path / "lake" / "t", False)}
    events = [
        dg.Output(None, output_name="t", metadata={"unique_id": "model.p.t"}),
        dg.Output(None, output_name="v", metadata={"unique_id": "model.p.v"}),  # a view
    ]
    seen = []
    for event in copied_events(iter(events), tables, warehouse):
        with warehouse.connect() as con:
            present = con.execute(
                "select count(*) from duckdb_tables() where table_name = 't'"
            ).fetchone()[0]
        seen.append((event.output_name, present, event.metadata.get("warehouse_rows")))
    assert seen == [("t", 1, dg.IntMetadataValue(2)), ("v", 1, None)]


SPARK_PLAN_ERROR = """  Runtime Error in model out_x (models/marts/out_x.sql)
  Runtime Error
    [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `nope` cannot be resolved. Did you mean one of the following? [`id`]. SQLSTATE: 42703; line 1 pos 7;
    'Project ['nope]
    +- Range (0, 1, step=1)
"""  # noqa: E501 (dbt's message as dagster-dbt collects it from a Spark session)
JAVA_TRACE = "\n".join(
    [
        "  Runtime Error in model int_y (models/intermediate/int_y.sql)",
        "    An error occurred while calling o52.sql.",
        "    : org.apache.spark.SparkException: Job aborted due to stage failure: "
        "java.lang.OutOfMemoryError: Java heap space",
        *[f"    \tat org.apache.spark.scheduler.DAGScheduler.f{n}(DAGScheduler.scala:{n})"
          for n in range(200)],
    ]
)  # fmt: skip


def test_a_spark_session_that_does_not_start_is_one_line():
    from dagster._utils.error import SerializableErrorInfo

    from orchestration.runner import _dbt_failures

    messages = [
        "Encountered an error:\n[JAVA_GATEWAY_EXITED] Java gateway process exited before "
        "sending its port number.",
        'Traceback (most recent call last):\n  File "dbt/cli/requires.py", line 187, in '
        "wrapper\n    result, success = func(*args, **kwargs)",
    ]
    message = "\n\n".join(["", "Errors parsed from dbt logs:", *messages])
    error = SerializableErrorInfo(message, [], "DagsterDbtCliRuntimeError")
    assert _dbt_failures(error) == [
        "Encountered an error: [JAVA_GATEWAY_EXITED] Java gateway process exited before sending "
        "its port number."
    ]


def test_a_spark_failure_names_the_model_and_sparks_error_line_not_its_plan_or_trace():
    from dagster._utils.error import SerializableErrorInfo

    from orchestration.runner import _dbt_failures

    messages = [
        "\x1b[31mFailure in model out_x (models/marts/out_x.sql)\x1b[0m",
        SPARK_PLAN_ERROR,
        "  compiled code at /somewhere/target/compiled/out_x.sql",
        "\x1b[31mFailure in model int_y (models/intermediate/int_y.sql)\x1b[0m",
        JAVA_TRACE,
    ]
    message = "\n\n".join(["", "Errors parsed from dbt logs:", *messages])
    error = SerializableErrorInfo("dbt build failed", [], "DagsterDbtCliRuntimeError")
    wrapper = SerializableErrorInfo(
        "step failed", [], "Failure", cause=error._replace(message=message)
    )
    assert _dbt_failures(wrapper) == [
        "Failure in model out_x (models/marts/out_x.sql): [UNRESOLVED_COLUMN.WITH_SUGGESTION] A "
        "column, variable, or function parameter with name `nope` cannot be resolved. Did you "
        "mean one of the following? [`id`]. SQLSTATE: 42703; line 1 pos 7;",
        "Failure in model int_y (models/intermediate/int_y.sql): org.apache.spark.SparkException: "
        "Job aborted due to stage failure: java.lang.OutOfMemoryError: Java heap space",
    ]
