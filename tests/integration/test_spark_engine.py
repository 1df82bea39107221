"""`EMISSIONS_ENGINE=spark emissions run` on the sample publishes the releases of the default run.

The default run is the shared built home (conftest.py), the Spark run the same sample's landing
zone run again with dbt on a local Spark session (dbt-spark, method session; conftest.py's
spark_run); every published table's Parquet is compared with the default run's: the same tables,
columns and types, and the same rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from publish.tables import published_tables

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spark_built(spark_run):
    """The suite's one Spark run (conftest.py): its settings and outcome."""
    return spark_run.settings, spark_run.outcome


# Deliberate differences between the two releases, by table and column, with why.
DELIBERATE_DIFFERENCES = {
    ("quality_ingest_summary", "last_received_at"): "when a run's ingest received the files: "
    "the Spark run ingests the same landing zone in its own home, later",
}


def parquet(folder: Path) -> str:
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"


def test_the_spark_run_succeeds_and_says_spark_built_the_marts(spark_built):
    settings, outcome = spark_built
    assert outcome.success, "\n".join(outcome.failure_lines)
    assert outcome.engine_line is not None and "Spark" in outcome.engine_line
    assert str(settings.lake_dir) in outcome.engine_line
    # the lake holds the raw tables dbt read and the tables Spark wrote
    assert any((settings.lake_dir / "raw" / "power__meter_daily").glob("date=*"))
    assert any((settings.lake_dir / "spark" / "marts" / "out_emissions__by_city").glob("*.parquet"))


def test_every_published_table_is_the_default_runs(built, spark_built, dbt_manifest):
    settings, outcome = spark_built
    assert outcome.success, "\n".join(outcome.failure_lines)
    tables = published_tables(dbt_manifest)
    default_dir, spark_dir = built.settings.published_dir, settings.published_dir
    assert {p.name for p in spark_dir.iterdir() if not p.name.startswith((".", "_"))} == {
        p.name for p in default_dir.iterdir() if not p.name.startswith((".", "_"))
    }
    con = duckdb.connect()
    differences = []
    for name, table in tables.items():
        manifests = [
            json.loads((folder / name / "_manifest.json").read_text(encoding="utf-8"))
            for folder in (default_dir, spark_dir)
        ]
        assert manifests[0]["row_count"] == manifests[1]["row_count"], name
        if not any((default_dir / name).rglob("*.parquet")):  # a release without rows
            assert not any((spark_dir / name).rglob("*.parquet")), name
            continue
        default, spark = parquet(default_dir / name), parquet(spark_dir / name)
        default_types = con.execute(f"describe select * from {default}").fetchall()
        spark_types = con.execute(f"describe select * from {spark}").fetchall()
        # the published columns (a release's year is its partition folder: read last)
        assert {row[0] for row in default_types} == set(table.column_names), name
        if [row[:2] for row in spark_types] != [row[:2] for row in default_types]:
            differences.append(f"{name}: types {spark_types} against {default_types}")
            continue
        skipped = [column for table_name, column in DELIBERATE_DIFFERENCES if table_name == name]
        if skipped:
            left_out = ", ".join(f'"{column}"' for column in skipped)
            default = f"(select * exclude ({left_out}) from {default})"
            spark = f"(select * exclude ({left_out}) from {spark})"
        counts = con.execute(
            f"select (select count(*) from {default}), (select count(*) from {spark}), "
            f"(select count(*) from (select * from {default} except all select * from {spark})), "
            f"(select count(*) from (select * from {spark} except all select * from {default}))"
        ).fetchone()
        if counts[0] != counts[1] or counts[2] or counts[3]:
            sample = con.execute(
                f"select * from {spark} except all select * from {default} limit 3"
            ).fetchall()
            differences.append(
                f"{name}: {counts[1]} rows on Spark, {counts[0]} by default; "
                f"{counts[3]} only on Spark (e.g. {sample}), {counts[2]} only by default"
            )
    assert not differences, "\n".join(differences)
