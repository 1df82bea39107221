"""`EMISSIONS_ENGINE=spark emissions run` on the sample publishes the releases of the default run.

The default run is the shared built home (conftest.py); this module runs the same sample once
more with dbt on a local Spark session (dbt-spark, method session) and compares every published
table's Parquet with the default run's: the same tables, columns and types, and the same rows.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.runner import materialise_everything
from orchestration.settings import ENVIRONMENT, Settings
from publish.tables import published_tables

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spark_built(built, tmp_path_factory: pytest.TempPathFactory):
    """The built home's landing zone and settings, run again in a new home on Spark."""
    monkeypatch = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:  # the run exports its settings; the next tests get theirs back
        monkeypatch.delenv(variable, raising=False)
    home = tmp_path_factory.mktemp("spark-home")
    shutil.copytree(built.settings.landing_dir, home / "landing", symlinks=True)
    default = built.settings
    settings = Settings.from_env(
        {
            "EMISSIONS_HOME": str(home),
            "EMISSIONS_FIRST_YEAR": str(default.first_year),
            "EMISSIONS_LAST_YEAR": str(default.last_year),
            "EMISSIONS_AS_OF": default.as_of.isoformat() if default.as_of else "",
            "EMISSIONS_FACTOR_SET": default.factor_set,
            "EMISSIONS_ENGINE": "spark",
        }
    )

    started = time.perf_counter()
    outcome = materialise_everything(settings)
    seconds = time.perf_counter() - started
    print(f"\nEMISSIONS_ENGINE=spark emissions run on the sample: {seconds:.0f} s")
    yield settings, outcome
    monkeypatch.undo()


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
