"""Numbers: only plain ASCII decimals within the column's range load; the rest is quarantined
under its own rule, naming the column and keeping the text as written (issue 11, item 3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from landing_zone import LandingZone

from ingest.reference import ReferenceData
from ingest.rules import DECIMAL_38_6_LIMIT, INTEGER_LIMIT

REFERENCE = ReferenceData(
    county_codes=frozenset({"140105"}),
    city_codes=frozenset({"140100"}),
    division_codes=frozenset({"140000", "140100", "140105"}),
    industry_codes=frozenset({"44"}),
    units_by_energy={"原煤": frozenset({"吨", "万吨"})},
)
ENERGY = "stats/energy_consumption"
ENERGY_HEADER = (
    "period,report_type,division_code,industry_code,energy_name,use,quantity,unit,reporting_units"
)
USES = ("终端消费", "火力发电", "供热", "炼焦", "炼油", "制气", "洗选煤", "原料用途")
TEN_MILLION_DIGITS = "7" * 10_000_000
FORTY_DIGITS = "1234567890" * 4

# quantity as written → the rule that refuses it (None: it loads)
QUANTITIES = {
    "inf": "not_a_number",
    "NaN": "not_a_number",
    '"1,234.5"': "not_a_number",
    "0x10": "not_a_number",
    "１２３": "not_a_number",
    "1e5": "not_a_number",
    FORTY_DIGITS: "out_of_range",
    TEN_MILLION_DIGITS: "out_of_range",
    "-5": "negative",
    " 12.5 ": None,
    "+5": None,
    ".5": None,
    "5.": None,
}


@pytest.fixture
def zone(tmp_path: Path):
    zone = LandingZone(tmp_path, REFERENCE)
    yield zone
    zone.close()


def quarantined_text(zone: LandingZone, column: str) -> list[tuple[int, str, str, str]]:
    """(line, column, rule, the column's raw text) of every quarantined row."""
    return zone.con.execute(
        f"""select line_number, "column", rule, raw_row->>'{column}'
        from audit.quarantined_rows order by line_number, rule"""
    ).fetchall()


def energy_rows(quantities: list[str], reporting_units: list[str] | None = None) -> list[str]:
    counts = reporting_units or ["3"] * len(quantities)
    return [
        f"2019,annual,140105,44,原煤,{USES[i % 8]},{q},{'吨' if i < 8 else '万吨'},{counts[i]}"
        for i, q in enumerate(quantities)
    ]


def test_quantities_that_are_not_plain_decimals_or_too_large_are_quarantined(zone):
    zone.deliver(ENERGY, "2019_annual.csv", ENERGY_HEADER, energy_rows(list(QUANTITIES)))
    report = zone.load(ENERGY)
    expected = [
        (line, "quantity", rule, written.strip('"'))
        for line, (written, rule) in enumerate(QUANTITIES.items(), start=2)
        if rule is not None
    ]
    assert quarantined_text(zone, "quantity") == expected
    assert report.rows_loaded == sum(rule is None for rule in QUANTITIES.values())
    loaded = zone.con.execute(
        "select quantity from raw.stats__energy_consumption order by _line_number"
    ).fetchall()
    assert [value for (value,) in loaded] == [" 12.5 ", "+5", ".5", "5."]


def test_counts_are_whole_numbers_within_an_integer(zone):
    counts = ["3.5", "3.0", str(INTEGER_LIMIT), str(INTEGER_LIMIT - 1), "NaN", "-1"]
    rows = energy_rows(["1"] * len(counts), counts)
    zone.deliver(ENERGY, "2019_annual.csv", ENERGY_HEADER, rows)
    zone.load(ENERGY)
    assert quarantined_text(zone, "reporting_units") == [
        (2, "reporting_units", "not_an_integer", "3.5"),
        (4, "reporting_units", "out_of_range", str(INTEGER_LIMIT)),
        (6, "reporting_units", "not_a_number", "NaN"),
        (7, "reporting_units", "negative", "-1"),
    ]


def test_the_limit_is_what_decimal_38_6_holds():
    assert DECIMAL_38_6_LIMIT == 1e32  # 38 digits, 6 after the point: |x| < 10^32


METER = "power/meter_daily"


@pytest.fixture
def meter_zone(zone: LandingZone):
    zone.deliver(
        "power/accounts",
        "accounts_2025-01-01.csv",
        "account_id,division_code,industry_code,customer_type,entity_id,opened_on,closed_on",
        [f"A{i},140105,44,大工业,,2010-01-01," for i in range(20)],
    )
    assert zone.load("power/accounts").rows_loaded == 20
    return zone


def test_meter_csv_parsed_typed_still_refuses_what_polars_would_parse(meter_zone):
    """The large feed's CSV is parsed typed for speed; polars reads NaN, inf and 1e5 as floats,
    so the reader falls back to the text, and the raw rows keep it."""
    readings = ["inf", "NaN", "1e5", "1E+2", FORTY_DIGITS, TEN_MILLION_DIGITS, "-1", "1.5"]
    rows = [f"A{i},2025-06-01,{kwh}" for i, kwh in enumerate(readings)]
    meter_zone.deliver(METER, "2025-06-01.csv", "account_id,date,electricity_kwh", rows)
    report = meter_zone.load(METER)
    assert report.rows_loaded == 1
    assert quarantined_text(meter_zone, "electricity_kwh") == [
        (2, "electricity_kwh", "not_a_number", "inf"),
        (3, "electricity_kwh", "not_a_number", "NaN"),
        (4, "electricity_kwh", "not_a_number", "1e5"),
        (5, "electricity_kwh", "not_a_number", "1E+2"),
        (6, "electricity_kwh", "out_of_range", FORTY_DIGITS),
        (7, "electricity_kwh", "out_of_range", TEN_MILLION_DIGITS),
        (8, "electricity_kwh", "negative", "-1"),
    ]


def test_meter_csv_with_a_large_value_keeps_the_text_as_written(meter_zone):
    """Parsed typed (every value a finite float), the 40-digit number is out of range and its
    raw row is the text, not the float's 1.2345678901234568e+39."""
    rows = ["A1,2025-06-01,10.50", f"A2,2025-06-01,{FORTY_DIGITS}"]
    meter_zone.deliver(METER, "2025-06-01.csv", "account_id,date,electricity_kwh", rows)
    assert meter_zone.load(METER).rows_loaded == 1
    assert quarantined_text(meter_zone, "electricity_kwh") == [
        (3, "electricity_kwh", "out_of_range", FORTY_DIGITS)
    ]
    assert meter_zone.con.execute(
        "select electricity_kwh from raw.power__meter_daily"
    ).fetchall() == [(10.5,)]


def test_meter_parquet_nan_inf_and_huge_values(meter_zone):
    path = meter_zone.landing / METER / "2025-06-02.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    values = [float("nan"), float("inf"), 1e40, -1.0, 7.25]
    pl.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(len(values))],
            "date": [dt.date(2025, 6, 2)] * len(values),
            "electricity_kwh": values,
        }
    ).write_parquet(path)
    assert meter_zone.load(METER).rows_loaded == 1
    assert quarantined_text(meter_zone, "electricity_kwh") == [
        (2, "electricity_kwh", "not_a_number", "NaN"),
        (3, "electricity_kwh", "not_a_number", "inf"),
        (4, "electricity_kwh", "out_of_range", "1e+40"),
        (5, "electricity_kwh", "negative", "-1.0"),
    ]


def test_xlsx_numbers_and_texts(zone):
    path = zone.landing / "stats/gdp/2019_annual.xlsx"
    path.parent.mkdir(parents=True)
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    header = "period,report_type,division_code,gdp_100m_yuan,real_growth_pct"
    sheet.write_row(0, 0, [*header.split(","), "secondary_industry_100m_yuan"])
    sheet.write_row(1, 0, ["2019", "annual", "140000"])
    sheet.write_number(1, 3, 1e40)  # a number cell: read as its digits
    sheet.write_number(1, 4, 6.2)
    sheet.write_row(2, 0, ["2019", "annual", "140100", "inf", "-0.5", "0"])
    sheet.write_row(3, 0, ["2019", "annual", "140105", "4286.5", "1e2", ""])
    workbook.close()
    report = zone.load("stats/gdp")
    assert report.rows_loaded == 0
    assert zone.con.execute(
        'select line_number, "column", rule from audit.quarantined_rows order by 1, 2'
    ).fetchall() == [
        (2, "gdp_100m_yuan", "out_of_range"),
        (3, "gdp_100m_yuan", "not_a_number"),
        (4, "real_growth_pct", "not_a_number"),
    ]
