"""The readers' catalog and `emissions sql`: one release per view, read-only, nothing else.

A statistician's SQL may read the published views and nothing else: no write (`COPY … TO`, also
over a published Parquet file), no file outside the releases (`read_csv('/etc/passwd')`), no
attaching the warehouse (enterprise names and credit codes), no setting changed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from publish import release as publishing
from publish.catalog import (
    CurrentRelease,
    QueryRefused,
    check_read_only,
    current_releases,
    open_catalog,
    write_catalog,
)
from publish.layout import current_release
from publish.release import publish_table
from publish.tables import ColumnDoc, PublishedTable

TABLE = PublishedTable(
    name="emissions_by_city",
    model="cities",
    relation="marts.cities",
    description_zh="各市排放",
    description_en="Emissions by city",
    columns=(
        ColumnDoc("year", "年份", "Year", ""),
        ColumnDoc("division_code", "行政区划代码", "Division code", ""),
        ColumnDoc("total_tco2", "排放总量", "Total CO2", "tCO2"),
    ),
)
PASSED = [{"suite": "emissions_by_city", "model": "marts.cities", "success": True,
           "row_count": 4, "outcomes": [{"expectation": "expect_column_values_to_not_be_null",
           "column": "year", "success": True, "observed": None, "unexpected_count": 0,
           "sample": []}]}]  # fmt: skip


def warehouse_with_cities(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path) if path else ":memory:")
    con.execute("create schema marts")
    con.execute(
        "create table marts.cities as select * from (values (2020, '140100', 100.0), "
        "(2020, '140200', 50.0), (2021, '140100', 110.0), (2021, '140200', 52.0))"
        " t(year, division_code, total_tco2)"
    )
    return con


@pytest.fixture
def published(home):
    """A home whose warehouse holds an enterprise's name and credit code, and one release."""
    con = warehouse_with_cities(home.warehouse_path)
    con.execute(
        "create table marts.entities as select '91140100MA0L000001' as entity_id, "
        "'某某钢铁有限公司' as entity_name"
    )
    publish_table(con, TABLE, home.published_dir, gate_results=PASSED, keep_releases=3)
    con.close()
    return home


def sql(capsys, query: str) -> tuple[int, str, str]:
    code = main(["sql", query])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_normal_query_prints_its_result(published, capsys):
    code, out, err = sql(capsys, "select sum(total_tco2) as total from emissions_by_city")
    assert code == 0 and err == ""
    assert "312" in out
    code, out, _ = sql(capsys, "select table_name, row_count, gate_passed from release_manifests")
    assert code == 0 and "emissions_by_city" in out and "true" in out


@pytest.mark.parametrize(
    "statement",
    [
        "copy (select 1) to '{home}/copied.csv'",
        "copy (select 1 as total_tco2) to '{parquet}' (format parquet)",
        "explain analyze copy (select 1) to '{home}/copied.csv'",
        "attach '{warehouse}' as w",
        "create table t as select 1",
        "create temporary table t as select 1",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "select 1; copy (select 1) to '{home}/copied.csv'",
        "export database '{home}/exported'",
    ],
)
def test_statements_that_are_not_reads_are_refused_with_one_line(published, capsys, statement):
    parquet = published.published_dir / "emissions_by_city" / "year=2020" / "part_0.parquet"
    digest = hashlib.sha256(parquet.read_bytes()).hexdigest()
    query = statement.format(home=published.home, parquet=parquet,
                             warehouse=published.warehouse_path)  # fmt: skip
    code, out, err = sql(capsys, query)
    assert code != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("refused: "), err
    assert not (published.home / "copied.csv").exists()
    assert not (published.home / "exported").exists()
    assert hashlib.sha256(parquet.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    "statement",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('{warehouse}')",
        "select * from read_blob('{warehouse}')",
        "select * from read_parquet('{releases}/../../warehouse.duckdb')",
        "select * from glob('{home}/*')",
    ],
)
def test_files_outside_the_releases_are_refused_with_one_line(published, capsys, statement):
    releases = published.published_dir / ".releases"
    query = statement.format(home=published.home, warehouse=published.warehouse_path,
                             releases=releases)  # fmt: skip
    code, out, err = sql(capsys, query)
    assert code != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("refused: "), err
    assert "91140100MA0L000001" not in err and "某某钢铁" not in err


def test_without_a_release_sql_says_so(home, capsys):
    code, _out, err = sql(capsys, "select 1")
    assert code == 1 and "no published release yet" in err and "emissions run" in err


@pytest.mark.parametrize(
    "statement",
    [
        "select 1",
        "with a as (select 1 as x) select x from a",
        "from emissions_by_city",
        "values (1), (2)",
        "show tables",
        "describe emissions_by_city",
        "summarize emissions_by_city",
        "explain select 1",
        "EXPLAIN ANALYZE select 1",
        "-- a comment\nexplain select 1",
        "select 1; select 2",
    ],
)
def test_reads_pass_the_guard(statement):
    check_read_only(statement)


def test_the_guard_names_the_refused_statement():
    with pytest.raises(QueryRefused, match=r"^refused: COPY statement"):
        check_read_only("/* x */ copy (select 1) to 'x.csv'")
    with pytest.raises(QueryRefused, match=r"^refused: ATTACH statement"):
        check_read_only("attach 'x.duckdb'")
    with pytest.raises(QueryRefused, match=r"^refused: COPY statement"):
        check_read_only("explain analyze copy (select 1) to 'x.csv'")
    with pytest.raises(duckdb.ParserException):
        check_read_only("selec 1")


def test_the_catalog_opened_by_any_duckdb_shows_the_views_and_the_dictionary(published):
    catalog = published.published_dir / "catalog.duckdb"
    with duckdb.connect(str(catalog), read_only=True) as con:
        assert con.execute("select sum(total_tco2) from emissions_by_city").fetchone()[0] == 312
        comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'emissions_by_city' "
            "and column_name = 'total_tco2'"
        ).fetchone()[0]
        assert comment == "排放总量 / Total CO2 [tCO2]"
        assert con.execute("select typeof(year) from emissions_by_city limit 1").fetchone() == (
            "INTEGER",
        )
        assert con.execute("select count(*) from release_gate_results").fetchone() == (1,)


def test_each_view_reads_the_files_of_one_release(tmp_path):
    """The views list the files of the release current when the catalog was written, resolved,
    not a glob through ``published/<table>``, which the next publish switches."""
    con = warehouse_with_cities()
    first = publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    with duckdb.connect(str(tmp_path / "catalog.duckdb"), read_only=True) as catalog:
        definition = catalog.execute(
            "select sql from duckdb_views() where view_name = 'emissions_by_city'"
        ).fetchone()[0]
    assert str(first.path / "year=2020" / "part_0.parquet") in definition
    assert "*" not in definition.split("read_parquet(", 1)[1].split(")", 1)[0]
    releases = current_releases(tmp_path)
    assert list(releases) == ["emissions_by_city"]
    assert isinstance(releases["emissions_by_city"], CurrentRelease)
    assert releases["emissions_by_city"].folder == first.path


def test_a_query_during_a_switch_sees_one_release(tmp_path):
    """A query is running when the next release is switched in (a UDF switches the link as the
    scan begins, like a publish running beside it). It reads the release it started on, whole;
    the catalog's former views, a glob through the link, read the next release's files instead
    (and, depending on when the switch falls, files of both)."""
    years = list(range(1991, 2021))
    con = duckdb.connect()
    con.execute("create schema marts")
    for version in (1, 2):
        con.execute(
            "create or replace table marts.cities as "
            f"select 1991 + (i % 30) as year, '140100' as division_code, {version} as total_tco2 "
            "from range(30 * 3000) t(i)"
        )
        publish_table(
            con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3,
            release_id=f"2026010{version}T000000000000Z",
        )  # fmt: skip
        if version == 1:
            # the catalog of release 1; release 2 is written next, and switched in mid-query
            os.replace(tmp_path / "catalog.duckdb", tmp_path / "catalog_1.duckdb")
    old, new = sorted((tmp_path / ".releases" / "emissions_by_city").iterdir())
    link = tmp_path / "emissions_by_city"
    publishing.switch_current(tmp_path, "emissions_by_city", old)
    switched = []

    def switch_release(values):
        if not switched:
            switched.append(True)
            publishing.switch_current(tmp_path, "emissions_by_city", new)
        return values

    reader = duckdb.connect(str(tmp_path / "catalog_1.duckdb"), read_only=True)
    reader.execute("set threads = 1")
    reader.create_function("switch_release", switch_release, ["INTEGER"], "INTEGER", type="arrow")
    seen = reader.execute(
        "select total_tco2, count(distinct year) from emissions_by_city "
        "where switch_release(total_tco2::integer) > 0 group by all"
    ).fetchall()
    reader.close()
    assert switched and current_release(tmp_path, "emissions_by_city") == new
    assert link.is_dir() and not link.is_symlink()
    assert seen == [(1, len(years))]


def test_the_locked_catalog_cannot_be_unlocked(published):
    con = open_catalog(published.published_dir)
    try:
        for setting in (
            "set enable_external_access = true",
            "set allowed_directories = ['/']",
            "reset lock_configuration",
        ):
            with pytest.raises(duckdb.Error, match="locked"):
                con.execute(setting)
        assert con.execute("select count(*) from emissions_by_city").fetchone() == (4,)
    finally:
        con.close()


def test_a_catalog_is_rebuilt_aside_and_renamed_in(published):
    catalog = published.published_dir / "catalog.duckdb"
    before = catalog.stat().st_ino
    with duckdb.connect(str(catalog), read_only=True) as reader:
        write_catalog(published.published_dir)
        # the open reader keeps its file and views
        assert reader.execute("select count(*) from emissions_by_city").fetchone() == (4,)
    assert catalog.stat().st_ino != before
    assert not any(p.name.endswith(".building") for p in published.published_dir.iterdir())


def test_the_catalog_is_written_in_a_storage_version_older_duckdbs_open(published):
    """DuckDB 2.0's own storage version (69) is one that DuckDB 1.4 and 1.5 refuse ("can only
    read versions between 64 and 68"): catalog.duckdb is written in CATALOG_STORAGE_VERSION."""
    from publish.catalog import CATALOG_STORAGE_VERSION

    con = duckdb.connect()
    catalog = published.published_dir / "catalog.duckdb"
    con.execute(f"attach '{catalog}' as catalog (read_only)")
    (tags,) = con.execute(
        "select tags from duckdb_databases() where database_name = 'catalog'"
    ).fetchone()
    con.close()
    assert tags["storage_version"].startswith(CATALOG_STORAGE_VERSION)
    assert CATALOG_STORAGE_VERSION <= "v1.4.0"
