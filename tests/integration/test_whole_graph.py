"""The whole graph materialised into a temporary EMISSIONS_HOME on a small generated sample."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.files import read_delivery
from ingest.sample import generate_landing_zone
from orchestration.runner import materialise_everything
from orchestration.settings import Settings

pytestmark = pytest.mark.integration

FIRST_YEAR, LAST_YEAR = 2017, 2020
CEADS_2019_TOTAL_MT = 564.86


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """One sample world and one successful run, shared by the tests of this module."""
    monkeypatch = pytest.MonkeyPatch()
    home_dir = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("EMISSIONS_HOME", str(home_dir))
    monkeypatch.setenv("EMISSIONS_FIRST_YEAR", str(FIRST_YEAR))
    monkeypatch.setenv("EMISSIONS_LAST_YEAR", str(LAST_YEAR))
    for variable in ("EMISSIONS_LANDING", "EMISSIONS_WAREHOUSE", "EMISSIONS_PUBLISHED"):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("EMISSIONS_SITE", "DAGSTER_HOME", "EMISSIONS_FACTOR_SET"):
        monkeypatch.delenv(variable, raising=False)
    settings = Settings.from_env()
    generate_landing_zone(settings.landing_dir, first_year=FIRST_YEAR, last_year=LAST_YEAR, seed=7)
    outcome = materialise_everything(settings)
    yield settings, outcome
    monkeypatch.undo()


def warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def test_run_succeeds(built):
    _settings, outcome = built
    assert outcome.success, "\n".join(outcome.failure_lines)
    assert outcome.steps_failed == 0


def test_warehouse_has_raw_staging_and_mart_tables_with_real_values(built):
    settings, _ = built
    with warehouse(settings) as con:
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for expected in (
            "raw.stats__energy_consumption",
            "audit.file_deliveries",
            "staging.stg_stats__energy_consumption",
            "marts.out_emissions__by_city",
            "reference.ref_energy_factors",
        ):
            assert expected in tables
        statuses = con.execute(
            "select distinct status from audit.file_deliveries "
            "where feed = 'stats/energy_consumption'"
        ).fetchall()
        assert statuses == [("loaded",)]
        by_year = dict(
            con.execute(
                "select year, sum(energy_tco2) / 1e6 from marts.out_emissions__by_city group by 1"
            ).fetchall()
        )
        cities = con.execute(
            "select count(distinct division_code) from marts.out_emissions__by_city"
        ).fetchone()[0]
    assert sorted(by_year) == list(range(FIRST_YEAR, LAST_YEAR + 1))
    assert cities == 11
    # combustion alone is CEADs' scope-1 total less process emissions (cement ≈ 14.5 Mt)
    assert by_year[2019] == pytest.approx(CEADS_2019_TOTAL_MT - 14.5, rel=0.15)


def test_published_parquet_reads_in_polars_and_duckdb_and_matches_its_manifest(built):
    settings, _ = built
    table = settings.published_dir / "emissions_by_city"
    assert table.is_symlink(), "published/<table> is a link switched atomically to a release"
    manifest = json.loads((table / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (table / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["path"].startswith("year=")
    frame = pl.read_parquet(table / "**/*.parquet", hive_partitioning=True)
    assert frame.height == manifest["row_count"] == 11 * (LAST_YEAR - FIRST_YEAR + 1)
    total = duckdb.sql(
        f"select sum(energy_tco2) from read_parquet('{table}/**/*.parquet', hive_partitioning=1)"
    ).fetchone()[0]
    assert total == pytest.approx(frame["energy_tco2"].sum())
    assert all(result["success"] for result in manifest["gate_results"])
    assert (table / "data_dictionary.md").exists()


def test_report_page_is_rendered(built):
    settings, _ = built
    index = settings.site_dir / "index.html"
    assert index.exists()
    html = index.read_text(encoding="utf-8")
    assert "太原" in html or "Taiyuan" in html


def test_rerun_loads_nothing_twice(built):
    settings, _ = built
    with warehouse(settings) as con:
        before = con.execute("select count(*) from raw.stats__energy_consumption").fetchone()
    outcome = materialise_everything(settings, selection="raw_stats__energy_consumption")
    assert outcome.success
    with warehouse(settings) as con:
        after = con.execute("select count(*) from raw.stats__energy_consumption").fetchone()
    assert after == before


def test_failing_expectation_stops_publication_and_keeps_the_last_release(built):
    """A revised delivery drops 太原's counties from 2019: the completeness rule fails."""
    settings, _ = built
    table = settings.published_dir / "emissions_by_city"
    release_before = table.resolve()
    files_before = {
        path.relative_to(release_before): path.read_bytes()
        for path in release_before.rglob("*")
        if path.is_file()
    }
    folder = settings.landing_dir / "stats" / "energy_consumption"
    original = next(p for p in sorted(folder.rglob("2019_annual.*")))
    frame, _encoding = read_delivery(original)
    revised = frame.filter(~pl.col("division_code").str.starts_with("1401"))
    assert 0 < revised.height < frame.height
    target = folder / "revision" / "2019_annual.csv"
    target.parent.mkdir(parents=True)
    revised.write_csv(target)

    outcome = materialise_everything(settings)

    assert not outcome.success
    assert any(
        "gx_emissions_by_city" in line and "expect_table_row_count_to_equal" in line
        for line in outcome.failure_lines
    ), outcome.failure_lines
    assert table.resolve() == release_before, "the published link still names the last release"
    files_after = {
        path.relative_to(release_before): path.read_bytes()
        for path in release_before.rglob("*")
        if path.is_file()
    }
    assert files_after == files_before
