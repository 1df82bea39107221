"""bench/scale.py at a tiny size: both engines aggregate the same lake to equal results."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


@pytest.fixture(scope="module")
def scale():
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_both_engines_give_the_same_daily_aggregation_and_the_table_prints(scale, tmp_path):
    result = scale.run_size(tmp_path / "lake", 100_000, 15_000, seed=7, keep_results=True)
    lake = result.lake
    assert 100_000 <= lake.rows < 120_000
    assert lake.days == len(list(lake.meter.glob("date=*/part-0.parquet")))
    assert lake.meter_bytes > 0

    # The result holds every reading once, with its kWh to the cent.
    readings = pl.read_parquet(lake.meter / "*" / "*.parquet", hive_partitioning=True)
    con = duckdb.connect()
    for engine in scale.ENGINES:
        files = str(tmp_path / "lake" / f"result_{engine}" / "*.parquet")
        count, kwh, days = con.execute(
            "select sum(readings), sum(electricity_kwh), count(distinct date) "
            f"from read_parquet('{files}')"
        ).fetchone()
        assert count == lake.rows == readings.height
        assert float(kwh) == pytest.approx(readings["electricity_kwh"].sum(), abs=0.01)
        assert days == lake.days

    for engine, measured in result.measures.items():
        assert measured.engine == engine and measured.rows == lake.rows
        assert 0 < measured.seconds <= measured.process_seconds
        assert 0 < measured.cpu_seconds <= measured.process_cpu_seconds
        assert measured.peak_rss_bytes > 10 * 2**20  # a process with its engine loaded
    # Spark's JVM is counted: its session alone takes more CPU than DuckDB's whole process.
    spark, duck = result.measures["spark"], result.measures["duckdb"]
    assert spark.process_cpu_seconds > duck.process_cpu_seconds
    assert spark.peak_rss_bytes > duck.peak_rss_bytes

    printed = scale.table([result])
    assert f"| {lake.rows:,} | {lake.days} |" in printed
    assert printed.count("| duckdb |") == 1 and printed.count("| spark |") == 1
    ratio = spark.seconds / duck.seconds
    assert f"| {lake.rows:,} | {ratio:.2f} |" in printed


def test_a_difference_between_the_results_is_named(scale, tmp_path):
    rows = {
        "division_code": ["140105", "140106"],
        "electricity_kwh": [1.25, 2.5],
    }
    for name, last in (("result_duckdb", 2.5), ("result_spark", 2.51)):
        (tmp_path / name).mkdir()
        pl.DataFrame({**rows, "electricity_kwh": [1.25, last]}).write_parquet(
            tmp_path / name / "part-0.parquet"
        )
    found = scale.differences(tmp_path / "result_duckdb", tmp_path / "result_spark")
    assert found == [
        "1 row(s) of result_duckdb not in result_spark, e.g. [('140106', 2.5)]",
        "1 row(s) of result_spark not in result_duckdb, e.g. [('140106', 2.51)]",
    ]
    pl.DataFrame(rows).with_columns(pl.col("electricity_kwh").cast(pl.Float32)).write_parquet(
        tmp_path / "result_spark" / "part-0.parquet"
    )
    (found,) = scale.differences(tmp_path / "result_duckdb", tmp_path / "result_spark")
    assert found.startswith("columns and types differ:") and "FLOAT" in found


def test_sizes_are_read_as_written(scale):
    assert [scale.parse_size(text) for text in ("10M", "100k", "2.5M", "500m")] == [
        10**7,
        10**5,
        2_500_000,
        5 * 10**8,
    ]
    assert [scale.size_label(rows) for rows in (10**7, 10**5, 5 * 10**8)] == [
        "10M",
        "100k",
        "500M",
    ]
    with pytest.raises(Exception, match="not a size"):
        scale.parse_size("ten million")
