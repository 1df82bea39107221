"""File rules: a file that cannot be trusted whole is rejected with a reason naming what is
wrong, never a crash of its feed, and a file that loads nothing supersedes nothing (issue 11,
item 3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import xlsxwriter
from landing_zone import LandingZone

from ingest.feeds import GDP
from ingest.names import PeriodBounds
from ingest.reference import ReferenceData
from orchestration.definitions import build_defs
from orchestration.runner import failure_lines, landing_partitions

REFERENCE = ReferenceData(
    county_codes=frozenset({"140105"}),
    city_codes=frozenset({"140100"}),
    division_codes=frozenset({"140000", "140100", "140105"}),
    industry_codes=frozenset({"44"}),
    units_by_energy={"原煤": frozenset({"吨", "万吨"})},
)
GDP_COLUMNS = [
    "period",
    "report_type",
    "division_code",
    "gdp_100m_yuan",
    "real_growth_pct",
    "secondary_industry_100m_yuan",
]


def gdp_rows(year: int) -> list[list[str]]:
    return [
        [str(year), "annual", "140000", "17026.68", "6.2", "7453.09"],
        [str(year), "annual", "140100", "4028.51", "6.9", "1500.0"],
    ]


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with these sheets in order; a cell "=…" is a formula (xlsxwriter stores a
    cached value 0 with it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    sheet.write_formula(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()
    return path


def without_cached_values(path: Path) -> None:
    """Drop every formula's cached value, as writers that do not compute leave them."""
    source = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", data)
            new.writestr(item, data)
    path.write_bytes(out.getvalue())


@pytest.fixture
def zone(tmp_path: Path):
    zone = LandingZone(tmp_path, REFERENCE)
    yield zone
    zone.close()


# --- periods outside the platform's years or in the future ---------------------------------


def run_ingest(settings, feed_job: str, spec) -> dg.ExecuteInProcessResult:
    """Run a feed's ingest job over the partitions of its files, as `emissions run` does."""
    defs = build_defs(settings)
    keys = landing_partitions(settings, spec)
    tags = {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
    }
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def(feed_job).execute_in_process(
            instance=instance, raise_on_error=False, tags=tags
        )


def test_a_file_before_the_first_year_is_rejected_not_a_crash(home):
    """stats/gdp/2012_annual.xlsx crashed the feed with a Dagster invariant error: the runner
    asked for partition keys outside the partitions definition."""
    folder = home.landing_dir / "stats/gdp"
    write_xlsx(folder / "2012_annual.xlsx", {"GDP": [GDP_COLUMNS, *gdp_rows(2012)]})
    write_xlsx(folder / "2019_annual.xlsx", {"GDP": [GDP_COLUMNS, *gdp_rows(2019)]})
    assert "2012" not in landing_partitions(home, GDP)

    result = run_ingest(home, "ingest_stats__gdp", GDP)

    assert result.success, failure_lines(result.all_events)
    files = result.asset_materializations_for_node("raw_stats__gdp")[0].metadata["files"].value
    assert [(f["path"], f["status"]) for f in files] == [
        ("stats/gdp/2012_annual.xlsx", "rejected"),
        ("stats/gdp/2019_annual.xlsx", "loaded"),
    ]
    assert files[0]["reason"] == (
        "period_out_of_range: the period 2012 in the name is before the platform's first "
        "year 2015 (EMISSIONS_FIRST_YEAR)"
    )
    rejected = home.home / "rejected" / "stats/gdp/2012_annual.xlsx"
    assert rejected.exists() and not (folder / "2012_annual.xlsx").exists()


def test_the_future_is_judged_by_the_platforms_today_emissions_as_of(home):
    """The ingest and the freshness checks share one today: EMISSIONS_AS_OF when set (else
    today in China). A file of a period after it is rejected as in the future."""
    settings = dataclasses.replace(home, as_of=dt.date(2020, 6, 30))
    folder = settings.landing_dir / "stats/gdp"
    write_xlsx(folder / "2019_annual.xlsx", {"GDP": [GDP_COLUMNS, *gdp_rows(2019)]})
    write_xlsx(folder / "2021_annual.xlsx", {"GDP": [GDP_COLUMNS, *gdp_rows(2021)]})
    keys = landing_partitions(settings, GDP)
    assert "2019" in keys and "2021" not in keys  # the latest partition's run sees 2021

    result = run_ingest(settings, "ingest_stats__gdp", GDP)

    files = result.asset_materializations_for_node("raw_stats__gdp")[0].metadata["files"].value
    assert [(f["path"], f["status"], f["reason"]) for f in files] == [
        ("stats/gdp/2019_annual.xlsx", "loaded", None),
        (
            "stats/gdp/2021_annual.xlsx",
            "rejected",
            "period_in_future: the period 2021 in the name starts after today (2020-06-30)",
        ),
    ]


def test_a_feed_whose_files_are_all_rejected_fails_in_one_line(home):
    write_xlsx(
        home.landing_dir / "stats/gdp/2012_annual.xlsx",
        {"GDP": [GDP_COLUMNS, *gdp_rows(2012)]},
    )
    result = run_ingest(home, "ingest_stats__gdp", GDP)
    assert not result.success
    (line,) = failure_lines(result.all_events)  # one line, naming the feed, count and reason
    assert line.startswith("step raw_stats__gdp: ")
    assert line.endswith(
        "stats/gdp: all 1 file(s) of this run were rejected; the first: "
        "stats/gdp/2012_annual.xlsx: period_out_of_range: the period 2012 in the name is before "
        "the platform's first year 2015 (EMISSIONS_FIRST_YEAR)"
    )
    # recorded: the next run has nothing new and succeeds
    assert landing_partitions(home, GDP) == []


def test_periods_after_today_or_the_last_year_and_impossible_days(zone: LandingZone):
    bounds = PeriodBounds(today=dt.date(2025, 3, 15), first_year=2015, last_year=2024)
    header = ",".join(GDP_COLUMNS)
    for year in (2024, 2025, 2026):
        rows = [",".join(row) for row in gdp_rows(year)]
        zone.deliver("stats/gdp", f"{year}_quick.csv", header, rows)
    report = zone.load("stats/gdp", bounds=bounds)
    assert [(o.path, o.status, o.reason) for o in report.outcomes] == [
        ("stats/gdp/2024_quick.csv", "loaded", None),
        (
            "stats/gdp/2025_quick.csv",
            "rejected",
            "period_out_of_range: the period 2025 in the name is after the platform's last "
            "year 2024 (EMISSIONS_LAST_YEAR)",
        ),
        (
            "stats/gdp/2026_quick.csv",
            "rejected",
            "period_in_future: the period 2026 in the name starts after today (2025-03-15)",
        ),
    ]


def test_a_daily_file_of_a_day_the_calendar_lacks_is_rejected(zone: LandingZone):
    zone.deliver("power/meter_daily", "2025-02-30.csv", "account_id,date,electricity_kwh", [])
    report = zone.load("power/meter_daily")
    assert report.outcomes[0].status == "rejected"
    assert report.outcomes[0].reason == (
        "file_name: the period 2025-02-30 in the name is not a calendar date"
    )


def test_a_registry_may_be_dated_before_the_first_year_but_not_in_the_future(zone):
    bounds = PeriodBounds(today=dt.date(2025, 3, 15), first_year=2020, last_year=2025)
    header = "account_id,division_code,industry_code,customer_type,entity_id,opened_on,closed_on"
    zone.deliver(
        "power/accounts", "accounts_2012-01-01.csv", header, ["A1,140105,44,大工业,,2010-01-01,"]
    )
    zone.deliver(
        "power/accounts", "accounts_2025-04-01.csv", header, ["A2,140105,44,大工业,,2010-01-01,"]
    )
    report = zone.load("power/accounts", bounds=bounds)
    assert [(o.path.rsplit("/", 1)[1], o.status) for o in report.outcomes] == [
        ("accounts_2012-01-01.csv", "loaded"),
        ("accounts_2025-04-01.csv", "rejected"),
    ]


# --- Parquet columns of the wrong type -------------------------------------------------------


@pytest.fixture
def meter_zone(zone: LandingZone):
    zone.deliver(
        "power/accounts",
        "accounts_2025-01-01.csv",
        "account_id,division_code,industry_code,customer_type,entity_id,opened_on,closed_on",
        ["1,140105,44,大工业,,2010-01-01,", "A1,140105,44,大工业,,2010-01-01,"],
    )
    zone.load("power/accounts")
    return zone


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        (
            {"account_id": [1], "date": [dt.date(2025, 6, 2)], "electricity_kwh": [1.0]},
            "column_types: column account_id is Int64, expected text (String)",
        ),
        (
            {"account_id": ["A1"], "date": ["yesterday"], "electricity_kwh": [1.0]},
            "column_types: column date is String, expected a date (Date)",
        ),
        (
            {"account_id": ["A1"], "date": [dt.date(2025, 6, 2)], "electricity_kwh": ["1.5"]},
            "column_types: column electricity_kwh is String, expected a number (Float64)",
        ),
    ],
    ids=["integer_account", "text_date", "text_kwh"],
)
def test_parquet_columns_of_the_wrong_type_are_rejected_naming_them(meter_zone, columns, reason):
    """An integer account_id crashed the whole meter feed with a polars error."""
    folder = meter_zone.landing / "power/meter_daily"
    folder.mkdir(parents=True)
    pl.DataFrame(columns).write_parquet(folder / "2025-06-02.parquet")
    pl.DataFrame(
        {"account_id": ["A1"], "date": [dt.date(2025, 6, 3)], "electricity_kwh": [2.5]}
    ).write_parquet(folder / "2025-06-03.parquet")
    report = meter_zone.load("power/meter_daily")
    assert [(o.status, o.reason) for o in report.outcomes] == [
        ("rejected", reason),
        ("loaded", None),
    ]


def test_parquet_integers_and_categories_are_numbers_and_text(meter_zone):
    folder = meter_zone.landing / "power/meter_daily"
    folder.mkdir(parents=True)
    pl.DataFrame(
        {
            "account_id": pl.Series(["A1"], dtype=pl.Categorical),
            "date": [dt.date(2025, 6, 2)],
            "electricity_kwh": [12],
        }
    ).write_parquet(folder / "2025-06-02.parquet")
    assert meter_zone.load("power/meter_daily").rows_loaded == 1
    assert meter_zone.con.execute(
        "select account_id, electricity_kwh from raw.power__meter_daily"
    ).fetchall() == [("A1", 12.0)]


# --- XLSX: formulas without values, the table on another sheet -----------------------------


def test_formulas_without_cached_values_are_rejected_and_supersede_nothing(zone):
    """Such a workbook was loaded with 0 rows and superseded the good earlier delivery."""
    folder = zone.landing / "stats/gdp"
    write_xlsx(folder / "2019_annual.xlsx", {"GDP": [GDP_COLUMNS, *gdp_rows(2019)]})
    assert zone.load("stats/gdp").rows_loaded == 2
    computed = [
        ["2019", "annual", "140000", "=B5*2", "6.2", "=D2/2"],
        ["2019", "annual", "140100", "=B6*2", "6.9", "1500.0"],
    ]
    revision = write_xlsx(
        folder / "batch-2" / "2019_annual.xlsx", {"GDP": [GDP_COLUMNS, *computed]}
    )
    without_cached_values(revision)

    report = zone.load("stats/gdp")

    assert [(o.status, o.reason) for o in report.outcomes] == [
        (
            "rejected",
            "formula_without_value: cell D2 of the first sheet 'GDP' (and 2 more) holds a "
            "formula without a cached value: open and save the workbook in a spreadsheet "
            "program so its values are computed, or deliver the values",
        )
    ]
    statuses = zone.con.execute("select path, status from audit.file_deliveries order by path")
    assert statuses.fetchall() == [
        ("stats/gdp/2019_annual.xlsx", "loaded"),
        ("stats/gdp/batch-2/2019_annual.xlsx", "rejected"),
    ]
    current = zone.con.execute("select count(*) from raw.stats__gdp where not _is_superseded")
    assert current.fetchone() == (2,)


def test_a_file_that_loads_no_row_supersedes_nothing(zone):
    header = ",".join(GDP_COLUMNS)
    zone.deliver("stats/gdp", "2019_annual.csv", header, [",".join(r) for r in gdp_rows(2019)])
    zone.load("stats/gdp")
    bad = ["2019,annual,149999,1,1,1", "2019,annual,140000,-1,1,1"]
    zone.deliver("stats/gdp", "batch-2/2019_annual.csv", header, bad)
    report = zone.load("stats/gdp")
    assert [(o.status, o.rows_loaded, o.rows_quarantined) for o in report.outcomes] == [
        ("loaded", 0, 2)
    ]
    current = zone.con.execute("select count(*) from raw.stats__gdp where not _is_superseded")
    assert current.fetchone() == (2,)
    earlier = zone.con.execute(
        "select status from audit.file_deliveries where path = 'stats/gdp/2019_annual.csv'"
    )
    assert earlier.fetchone() == ("loaded",)


@pytest.mark.parametrize(
    ("sheets", "reason"),
    [
        (
            {"说明": [["本表为2019年地区生产总值"]], "数据": [GDP_COLUMNS, *gdp_rows(2019)]},
            "sheet: the first sheet '说明' is not the table (row 1 lacks division_code, "
            "gdp_100m_yuan, period, real_growth_pct, report_type, secondary_industry_100m_yuan);"
            " the table is on sheet '数据': the contract reads the header on row 1 of the first "
            "sheet",
        ),
        (
            {"空": [], "数据": [GDP_COLUMNS, *gdp_rows(2019)]},
            "sheet: the first sheet '空' is not the table (row 1 lacks division_code, "
            "gdp_100m_yuan, period, real_growth_pct, report_type, secondary_industry_100m_yuan);"
            " the table is on sheet '数据': the contract reads the header on row 1 of the first "
            "sheet",
        ),
        (
            {"封面": [["地区生产总值"], ["2019年"]], "附注": [["说明"]]},
            "sheet: the first sheet '封面' is not the table: its row 1 has none of the columns "
            "(period, report_type, division_code, gdp_100m_yuan, real_growth_pct, "
            "secondary_industry_100m_yuan); sheets: '封面', '附注'",
        ),
    ],
    ids=["note_first", "empty_first", "no_table"],
)
def test_a_workbook_whose_first_sheet_is_not_the_table_is_rejected(zone, sheets, reason):
    write_xlsx(zone.landing / "stats/gdp/2019_annual.xlsx", sheets)
    report = zone.load("stats/gdp")
    assert [(o.status, o.reason) for o in report.outcomes] == [("rejected", reason)]


def test_a_first_sheet_lacking_one_column_is_a_columns_rejection(zone):
    write_xlsx(
        zone.landing / "stats/gdp/2019_annual.xlsx",
        {"GDP": [GDP_COLUMNS[:-1], *[row[:-1] for row in gdp_rows(2019)]]},
    )
    report = zone.load("stats/gdp")
    assert report.outcomes[0].reason.startswith(
        "columns: missing column(s) secondary_industry_100m_yuan"
    )
