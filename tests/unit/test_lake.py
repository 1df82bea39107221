"""orchestration.lake.export_raw: the warehouse's source tables as Parquet folders of the lake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingest.raw_tables import ensure_all_raw_tables
from orchestration.lake import export_raw, source_tables, table_folder


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    """Every raw and audit table, empty, plus two meter days and one delivery."""
    con = duckdb.connect()
    ensure_all_raw_tables(con)
    con.execute(
        """insert into raw.power__meter_daily
               (account_id, date, electricity_kwh, _sha256, _file_period, _line_number)
           values ('A1', date '2020-01-01', 12.5, 'aa', '2020-01-01', 2),
                  ('A2', date '2020-01-01', 0.25, 'aa', '2020-01-01', 3),
                  ('A1', date '2020-01-02', 13.0, 'bb', '2020-01-02', 2)"""
    )
    con.execute(
        """insert into audit.file_deliveries (path, sha256, feed, period, status, received_at)
           values ('power/meter_daily/x.csv', 'aa', 'power/meter_daily', '2020-01-01',
                   'loaded', timestamp '2020-01-02 08:30:00')"""
    )
    return con


def read(folder: Path) -> duckdb.DuckDBPyRelation:
    return duckdb.sql(
        f"select * from read_parquet('{folder.as_posix()}/**/*.parquet', hive_partitioning = true)"
    )


def test_every_source_table_is_written_with_its_rows_and_types(warehouse, tmp_path):
    exported = export_raw(warehouse, tmp_path)
    assert exported == source_tables()
    assert "raw.power__meter_daily" in exported and "audit.file_deliveries" in exported
    meter = table_folder(tmp_path, "raw.power__meter_daily")
    assert sorted(path.name for path in meter.iterdir()) == ["date=2020-01-01", "date=2020-01-02"]
    rows = read(meter).order("date, account_id").fetchall()
    assert rows[0][:3] == ("A1", 12.5, "aa") and rows[0][-1] == dt.date(2020, 1, 1)
    types = {name: kind for name, kind in zip(read(meter).columns, read(meter).types, strict=True)}
    assert str(types["date"]) == "DATE" and str(types["electricity_kwh"]) == "DOUBLE"
    deliveries = read(table_folder(tmp_path, "audit.file_deliveries"))
    assert deliveries.select("received_at").fetchall() == [(dt.datetime(2020, 1, 2, 8, 30),)]


def test_an_empty_table_keeps_its_columns(warehouse, tmp_path):
    warehouse.execute("delete from raw.power__meter_daily")
    export_raw(warehouse, tmp_path)
    for table in ("raw.power__meter_daily", "raw.stats__gdp"):
        relation = read(table_folder(tmp_path, table))
        assert relation.fetchall() == []
        assert "_sha256" in relation.columns, table
    assert "date" in read(table_folder(tmp_path, "raw.power__meter_daily")).columns


def test_a_new_export_replaces_the_old_one_whole(warehouse, tmp_path):
    export_raw(warehouse, tmp_path)
    warehouse.execute("delete from raw.power__meter_daily where date = date '2020-01-02'")
    # A folder left by a killed export is removed, never read.
    (tmp_path / "raw" / ".power__meter_daily.new-1").mkdir()
    export_raw(warehouse, tmp_path)
    meter = table_folder(tmp_path, "raw.power__meter_daily")
    assert [path.name for path in meter.iterdir()] == ["date=2020-01-01"]
    assert read(meter).count("*").fetchall() == [(2,)]
    assert not [path for path in (tmp_path / "raw").iterdir() if path.name.startswith(".")]


def test_a_source_table_missing_from_the_warehouse_is_named(tmp_path):
    con = duckdb.connect()
    ensure_all_raw_tables(con)
    con.execute("drop table raw.stats__gdp")
    with pytest.raises(RuntimeError, match=r"no table raw\.stats__gdp .*_sources\.yml"):
        export_raw(con, tmp_path)
