"""The whole graph materialised into a temporary EMISSIONS_HOME on a small generated sample."""

from __future__ import annotations

import hashlib
import json

import duckdb
import polars as pl
import pytest

from ingest.files import read_delivery
from orchestration.runner import materialise_everything
from orchestration.settings import Settings
from publish.layout import current_release

pytestmark = pytest.mark.integration

CEADS_2019_TOTAL_MT = 564.86
MISSING_COUNTY = "140105"  # 小店区, 太原
JUMPING_COUNTY = "140702"  # 榆次区, 晋中


def warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def test_run_succeeds(built):
    outcome = built.outcome
    assert outcome.success, "\n".join(outcome.failure_lines)
    assert outcome.steps_failed == 0


def test_steps_output_goes_to_the_homes_log_file(built):
    """The console shows one line per run; dbt's log lines, printed by dagster-dbt, land in the
    run's log file under the home, which the summary names."""
    path = built.outcome.log_path
    assert path is not None and path.parent == built.settings.home / "logs"
    text = path.read_text(encoding="utf-8")
    assert "out_emissions__by_sector" in text and "Completed successfully" in text


def test_the_build_reuses_the_code_locations_parse(built):
    """The code location parses dbt with the builds' --vars (here other years than the
    project's defaults), so the build starts from that parse instead of parsing it all again."""
    text = built.outcome.log_path.read_text(encoding="utf-8")
    assert "Running with dbt" in text
    assert "Unable to do partial parsing" not in text


def test_warehouse_has_raw_staging_and_mart_tables_with_real_values(built):
    settings = built.settings
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
                "select year, sum(total_tco2) / 1e6 from marts.out_emissions__by_city group by 1"
            ).fetchall()
        )
        cities = con.execute(
            "select count(distinct division_code) from marts.out_emissions__by_city"
        ).fetchone()[0]
    assert sorted(by_year) == list(range(settings.first_year, settings.last_year + 1))
    assert cities == 11
    assert by_year[2019] == pytest.approx(CEADS_2019_TOTAL_MT, rel=0.10)


PUBLISHED = (
    "emissions_by_sector",
    "emissions_by_city",
    "emissions_by_county",
    "emissions_by_division_sector",
    "energy_by_division",
)


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_tables_read_everywhere_and_match_their_manifest(built, name):
    import pandas as pd
    import pyarrow.dataset as ds

    settings = built.settings
    table = settings.published_dir / name
    assert table.is_dir() and not table.is_symlink(), "published/<table> is a real folder"
    manifest = json.loads((table / "_manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (table / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["path"].startswith("year=")
    frame = pl.read_parquet(table / "year=*/*.parquet", hive_partitioning=True)
    assert frame.height == manifest["row_count"] > 0
    years = list(range(settings.first_year, settings.last_year + 1))
    assert sorted(frame["year"].unique().to_list()) == years
    # every reader with its defaults: the metadata files beside the Parquet are `_` names
    arrow = ds.dataset(table, partitioning="hive").to_table()
    assert arrow.num_rows == frame.height
    assert len(pd.read_parquet(table)) == frame.height
    rows = (
        duckdb.connect()
        .execute(
            f"select count(*) from read_parquet('{table}/year=*/*.parquet', hive_partitioning=1)"
        )
        .fetchone()[0]
    )
    assert rows == frame.height
    assert all(result["success"] for result in manifest["gate_results"])
    assert (table / "_data_dictionary.md").exists() and (table / "_quality_report.html").exists()
    # never an enterprise: no entity columns, no value shaped like a unified social credit code
    assert not {"entity_id", "entity_name", "account_id"} & set(frame.columns)
    for column in frame.select(pl.col(pl.String)).columns:
        assert not frame[column].str.contains(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-Z]{10}$").any()


def test_published_totals_agree_across_tables(built):
    """Decimal tonnes, summed exactly: where no row is suppressed, the counties give their city
    and the cities the province (emissions_by_sector) to the gram; where rows are suppressed,
    the visible ones fall short of the parent by what the hidden ones hold, never beyond it."""
    settings = built.settings
    con = duckdb.connect(str(settings.published_dir / "catalog.duckdb"), read_only=True)
    province = dict(
        con.execute("select year, sum(total_tco2) from emissions_by_sector group by 1").fetchall()
    )
    cities = con.execute(
        "select year, count(*) filter (where is_suppressed), coalesce(sum(total_tco2), 0) "
        "from emissions_by_city group by 1 order by 1"
    ).fetchall()
    counties = con.execute(
        "select c.year, c.division_code, c.total_tco2, "
        "count(*) filter (where k.is_suppressed), coalesce(sum(k.total_tco2), 0) "
        "from emissions_by_city as c join emissions_by_county as k "
        "on k.year = c.year and k.city_code = c.division_code "
        "where not c.is_suppressed group by all"
    ).fetchall()
    con.close()
    assert sorted(province) == [year for year, *_ in cities]
    for year, hidden, total in cities:
        assert total == province[year] if hidden == 0 else total < province[year], year
    for year, city, total, hidden, visible in counties:
        assert visible == total if hidden == 0 else visible < total, (year, city)
    assert any(hidden for *_, hidden, _ in counties), "no county row is suppressed"


def test_report_page_is_rendered(built):
    settings = built.settings
    index = settings.site_dir / "index.html"
    assert index.exists()
    html = index.read_text(encoding="utf-8")
    assert "太原" in html or "Taiyuan" in html


def test_rerun_loads_nothing_twice(home_copy):
    settings = home_copy
    with warehouse(settings) as con:
        before = con.execute("select count(*) from raw.stats__energy_consumption").fetchone()
    outcome = materialise_everything(settings, selection="raw_stats__energy_consumption")
    assert outcome.success
    with warehouse(settings) as con:
        after = con.execute("select count(*) from raw.stats__energy_consumption").fetchone()
    assert after == before


def test_statisticians_query_while_a_run_writes(home_copy):
    """`emissions run` in another process rewrites the warehouse and republishes every table;
    meanwhile SQL on the readers' catalog keeps answering, without lock errors."""
    import os
    import subprocess
    import sys
    import time

    settings = home_copy
    catalog = settings.published_dir / "catalog.duckdb"
    expected = None
    env = {**os.environ, **settings.as_env()}
    log = settings.home / "concurrent_run.log"
    log_file = log.open("w", encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run"],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    answered = 0
    try:
        deadline = time.monotonic() + 600
        while run.poll() is None and time.monotonic() < deadline:
            with duckdb.connect(str(catalog), read_only=True) as con:
                total = con.execute("select sum(total_tco2) from emissions_by_city").fetchone()[0]
            expected = expected if expected is not None else total
            assert total == pytest.approx(expected), "a query saw a half-built release"
            answered += 1
            time.sleep(0.2)
    finally:
        run.wait(timeout=600)
        log_file.close()
    assert run.returncode == 0, log.read_text(encoding="utf-8")[-2000:]
    assert answered >= 10, f"only {answered} queries answered while the run wrote"


def test_corrupted_inputs_fail_named_expectations_and_keep_the_last_release(home_copy):
    """A revised 2019 delivery, corrupted three ways as a careless re-delivery might be: a
    county missing, the steel industry's quantities doubled, one county's quantities ten times
    too large. Each breaks a named rule; nothing is published; the last release stays whole."""
    settings = home_copy
    releases_before = {name: current_release(settings.published_dir, name) for name in PUBLISHED}
    files_before = {
        path: path.read_bytes()
        for release in releases_before.values()
        for path in release.rglob("*")
        if path.is_file()
    }
    folder = settings.landing_dir / "stats" / "energy_consumption"
    original = next(p for p in sorted(folder.rglob("2019_annual.*")))
    frame, _encoding = read_delivery(original)
    quantity = pl.col("quantity").cast(pl.Float64)
    corrupted = frame.filter(pl.col("division_code") != MISSING_COUNTY).with_columns(
        pl.when(pl.col("industry_code") == "31")
        .then(quantity * 2)
        .when(pl.col("division_code") == JUMPING_COUNTY)
        .then(quantity * 10)
        .otherwise(quantity)
        .cast(pl.String)
        .alias("quantity")
    )
    target = folder / "revision" / original.with_suffix(".csv").name
    target.parent.mkdir(parents=True)
    corrupted.write_csv(target)

    outcome = materialise_everything(settings)

    assert not outcome.success
    lines = "\n".join(outcome.failure_lines)
    for rule in (
        "emissions_by_county/year_on_year_change",
        "emissions_by_sector/year_on_year_change",
    ):
        assert rule in lines, lines
    assert "steel" in lines, lines  # the sector doubled is named with its sample row
    # before any gate, the re-delivery itself is named as a revision: a warning, not a failure
    revision = next(
        line for line in outcome.warning_lines if "revisions_of_stats__energy_consumption" in line
    )
    assert "2019 annual: revision/2019_annual.csv against 2019_annual" in revision, revision
    assert JUMPING_COUNTY in revision, revision
    assert not any("revisions_of" in line for line in outcome.failure_lines)
    with warehouse(settings) as con:
        failed = {
            suite: json.loads(result)
            for suite, result in con.execute(
                "select suite, result from audit.quality_results where not success"
            ).fetchall()
        }
        change = dict(
            con.execute(
                "select division_code, 100 * (sum(total_tco2) filter (where year = 2019) "
                "/ sum(total_tco2) filter (where year = 2018) - 1) "
                "from marts.out_emissions__by_county where division_code in (?, ?) group by 1",
                [MISSING_COUNTY, JUMPING_COUNTY],
            ).fetchall()
        )
    county_rule = next(
        o
        for o in failed["emissions_by_county"]["outcomes"]
        if o["check"] == "year_on_year_change" and not o["success"]
    )
    assert county_rule["unexpected_count"] >= 2
    # the county missing from 2019 falls far below its 2018 total; the jumping one far above
    assert change[MISSING_COUNTY] < -40 and change[JUMPING_COUNTY] > 40, change
    for name, release in releases_before.items():
        assert current_release(settings.published_dir, name) == release, name
    assert {path: path.read_bytes() for path in files_before} == files_before


def test_emissions_sql_reads_every_published_view_and_nothing_else(built, monkeypatch, capsys):
    from orchestration.cli import main

    settings = built.settings
    for variable, value in settings.as_env().items():
        monkeypatch.setenv(variable, value)
    for name in PUBLISHED:
        assert main(["sql", f"select count(*) from {name}"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    for statement in (
        f"attach '{settings.warehouse_path}' as w",
        f"select * from read_blob('{settings.warehouse_path}')",
        "copy emissions_by_city to 'copied.parquet'",
    ):
        assert main(["sql", statement]) == 1
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and err.startswith("refused: "), err
