"""Reading and loading deliveries: encodings, formats, file rejections, row quarantine, audit."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from landing_zone import LandingZone

from ingest.feeds import ENERGY_CONSUMPTION
from ingest.files import FileRejected, decode_text, read_delivery
from ingest.reference import ReferenceData

HEADER = (
    "period,report_type,division_code,industry_code,energy_name,use,quantity,unit,reporting_units"
)
ROWS = [
    "2019,annual,140105,44,原煤,火力发电,1200.5,万吨,3",
    "2019,annual,140105,31,焦炭,终端消费,35000,吨,4",
    "2019,annual,140106,HH_URBAN,天然气,终端消费,1.5,亿立方米,",
]

REFERENCE = ReferenceData(
    county_codes=frozenset({"140105", "140106"}),
    city_codes=frozenset({"140100"}),
    division_codes=frozenset({"140000", "140100", "140105", "140106"}),
    industry_codes=frozenset({"31", "44", "HH_URBAN"}),
    units_by_energy={
        "原煤": frozenset({"吨", "万吨"}),
        "焦炭": frozenset({"吨", "万吨"}),
        "天然气": frozenset({"立方米", "万立方米", "亿立方米"}),
    },
)


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def zone(tmp_path: Path):
    zone = LandingZone(tmp_path, REFERENCE)

    def deliveries():
        return zone.con.sql(
            "select path, status, rows_loaded, rows_quarantined, reason, encoding "
            "from audit.file_deliveries order by received_at, path"
        ).pl()

    yield (
        zone.landing / ENERGY_CONSUMPTION.feed,
        zone.con,
        lambda: zone.load(ENERGY_CONSUMPTION),
        deliveries,
    )
    zone.close()


def test_utf8_bom_and_gb18030_are_detected():
    assert decode_text("中文".encode()).encoding == "utf-8"
    assert decode_text(b"\xef\xbb\xbf" + "中文".encode()).encoding == "utf-8-sig"
    decoded = decode_text("原煤,火力发电".encode("gb18030"))
    assert (decoded.encoding, decoded.text) == ("gb18030", "原煤,火力发电")


def test_bytes_that_are_neither_utf8_nor_gb18030_are_rejected():
    with pytest.raises(FileRejected, match="neither UTF-8 nor GB18030"):
        decode_text(b"\x81\x30\xff\xff")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_reads_as_text_in_every_encoding(tmp_path: Path, encoding: str):
    path = write(tmp_path / "2019_annual.csv", [HEADER, *ROWS], encoding)
    frame, detected = read_delivery(path)
    assert detected == encoding
    assert frame.columns == HEADER.split(",")
    assert frame["division_code"].dtype == pl.String
    assert frame["energy_name"].to_list() == ["原煤", "焦炭", "天然气"]


def test_xlsx_first_sheet_header_on_row_one(tmp_path: Path):
    path = tmp_path / "2019_annual.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("能源消费")
    for row, line in enumerate([HEADER, *ROWS]):
        for column, value in enumerate(line.split(",")):
            sheet.write_string(row, column, value)
    workbook.close()
    frame, detected = read_delivery(path)
    assert detected == "xlsx"
    assert frame.height == 3
    assert frame["quantity"].to_list() == ["1200.5", "35000", "1.5"]


def test_xlsx_and_parquet_read_the_same_from_bytes_already_read(tmp_path: Path):
    workbook_path = tmp_path / "2019_annual.xlsx"
    workbook = xlsxwriter.Workbook(workbook_path)
    sheet = workbook.add_worksheet()
    for row, line in enumerate([HEADER, *ROWS]):
        for column, value in enumerate(line.split(",")):
            sheet.write_string(row, column, value)
    workbook.close()
    parquet_path = tmp_path / "2025-06-01.parquet"
    pl.DataFrame({"account_id": ["A1"], "electricity_kwh": [1.5]}).write_parquet(parquet_path)
    for path in (workbook_path, parquet_path):
        from_path = read_delivery(path)
        from_bytes = read_delivery(path, data=path.read_bytes())
        assert from_bytes[1] == from_path[1]
        assert from_bytes[0].equals(from_path[0])


def test_valid_file_loads_once_and_is_audited(zone):
    folder, con, load, deliveries = zone
    write(folder / "2019_annual.csv", [HEADER, *ROWS])
    report = load()
    assert (report.count("loaded"), report.rows_loaded) == (1, 3)
    assert load().outcomes == []  # the same file again: nothing new
    rows = con.execute(
        "select division_code, quantity, _line_number from raw.stats__energy_consumption "
        "order by _line_number"
    ).fetchall()
    assert rows == [("140105", "1200.5", 2), ("140105", "35000", 3), ("140106", "1.5", 4)]
    audit = deliveries()
    assert audit["status"].to_list() == ["loaded"]
    assert audit["rows_loaded"].to_list() == [3]


def test_row_violations_are_quarantined_and_valid_rows_load(zone):
    folder, con, load, _deliveries = zone
    bad = [
        "2019,annual,149999,44,原煤,终端消费,5,吨,2",  # unknown division
        "2019,annual,140105,44,原煤,终端消费,-5,吨,2",  # negative quantity
        "2018,annual,140105,31,原煤,终端消费,5,吨,2",  # period outside the file's
        "2019,annual,140105,44,原煤,终端消费,5,立方米,2",  # unit not allowed for the variety
        "2019,annual,140106,44,柴油X,终端消费,5,吨,2",  # unknown variety
    ]
    write(folder / "2019_annual.csv", [HEADER, *ROWS, *bad])
    report = load()
    assert (report.rows_loaded, report.rows_quarantined) == (3, 5)
    quarantined = con.execute(
        'select line_number, "column", rule from audit.quarantined_rows order by line_number'
    ).fetchall()
    assert quarantined == [
        (5, "division_code", "unknown_division"),
        (6, "quantity", "negative"),
        (7, "period", "period_outside_file"),
        (8, "unit", "unit_not_allowed"),
        (9, "energy_name", "unknown_energy"),
    ]
    raw_row = con.execute(
        "select raw_row->>'division_code' from audit.quarantined_rows where line_number = 5"
    ).fetchone()[0]
    assert raw_row == "149999"
    assert con.execute("select count(*) from raw.stats__energy_consumption").fetchone()[0] == 3


def test_duplicate_keys_are_quarantined(zone):
    folder, con, load, _ = zone
    write(folder / "2019_annual.csv", [HEADER, *ROWS, ROWS[0]])
    report = load()
    assert (report.rows_loaded, report.rows_quarantined) == (2, 2)
    rules = con.execute("select distinct rule from audit.quarantined_rows").fetchall()
    assert rules == [("duplicate_key",)]


@pytest.mark.parametrize(
    ("name", "lines", "rule"),
    [
        ("2019_annual.csv", [], "empty"),
        ("2019_annual.csv", [HEADER], "empty"),
        ("2019_annual.csv", [" \t", "", "\r"], "empty"),
        ("2019_annual.csv", [HEADER.replace(",unit", ""), ROWS[0]], "unreadable"),
        ("2019_annual.csv", [HEADER.replace(",unit,", ",units,"), ROWS[0]], "columns"),
        ("2019_annual.csv", [HEADER + ",extra", ROWS[0] + ",x"], "columns"),
        ("annual_2019.csv", [HEADER, *ROWS], "file_name"),
        ("2019_annual.txt", [HEADER, *ROWS], "file_name"),
    ],
)
def test_file_violations_reject_the_whole_file(zone, tmp_path: Path, name, lines, rule):
    folder, con, load, _deliveries = zone
    path = folder / name
    if lines:
        write(path, lines)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    report = load()
    assert report.count("rejected") == 1
    assert report.outcomes[0].reason.startswith(f"{rule}:")
    assert not path.exists(), "a rejected file leaves the landing zone"
    moved = tmp_path / "rejected" / ENERGY_CONSUMPTION.feed / name
    assert moved.exists()
    reason = moved.with_name(name + ".reason.txt").read_text(encoding="utf-8")
    assert f"rejected ({rule})" in reason and name in reason
    assert con.execute("select count(*) from raw.stats__energy_consumption").fetchone()[0] == 0


def test_a_monthly_annual_report_is_rejected_by_its_name(zone):
    """The contract's monthly reports are quick reports; the accounting finds a year's
    non-final reports by the report type alone, so `2019-03_annual` must not load."""
    folder, _con, load, _ = zone
    monthly = [row.replace("2019,annual", "2019-03,annual") for row in ROWS]
    write(folder / "2019-03_annual.csv", [HEADER, *monthly])
    report = load()
    assert report.outcomes[0].status == "rejected"
    assert report.outcomes[0].reason.startswith("file_name:")
    assert "<YYYY-MM>_quick" in report.outcomes[0].reason
    assert "2019-03_annual.csv" in report.outcomes[0].reason


def test_truncated_file_is_rejected(zone):
    folder, _con, load, _ = zone
    path = folder / "2019_annual.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *ROWS]) + "\n2019,annual,1401", encoding="utf-8")
    report = load()
    assert report.outcomes[0].status == "rejected"
    assert "truncated" in report.outcomes[0].reason


def test_redelivery_supersedes_and_same_bytes_are_a_duplicate(zone):
    folder, con, load, deliveries = zone
    write(folder / "2019_annual.csv", [HEADER, *ROWS])
    load()
    # the same bytes again, in a later delivery batch: recorded as a duplicate, not loaded
    write(folder / "batch-2" / "2019_annual.csv", [HEADER, *ROWS])
    report = load()
    assert [o.status for o in report.outcomes] == ["duplicate"]
    assert "same bytes as stats/energy_consumption/2019_annual.csv" in report.outcomes[0].reason
    # a revision of the same feed, period and report type supersedes the earlier delivery
    revised = [*ROWS[:2], "2019,annual,140106,HH_URBAN,天然气,终端消费,1.7,亿立方米,"]
    write(folder / "batch-3" / "2019_annual.csv", [HEADER, *revised])
    report = load()
    assert [o.status for o in report.outcomes] == ["loaded"]
    assert deliveries()["status"].to_list() == ["superseded", "duplicate", "loaded"]
    current = con.execute(
        "select quantity from raw.stats__energy_consumption "
        "where not _is_superseded and division_code = '140106'"
    ).fetchall()
    assert current == [("1.7",)]
    vintages = con.execute("select count(*) from raw.stats__energy_consumption").fetchone()[0]
    assert vintages == 6, "the superseded vintage stays queryable"
    assert load().outcomes == []  # and running again changes nothing


def test_a_revision_delivered_with_its_original_in_one_run_supersedes_it(zone):
    folder, con, load, deliveries = zone
    write(folder / "batch-1" / "2019_annual.csv", [HEADER, *ROWS])
    revised = [*ROWS[:2], "2019,annual,140106,HH_URBAN,天然气,终端消费,1.7,亿立方米,"]
    write(folder / "batch-2" / "2019_annual.csv", [HEADER, *revised])
    report = load()
    assert [o.status for o in report.outcomes] == ["loaded", "loaded"]
    assert deliveries()["status"].to_list() == ["superseded", "loaded"]
    current = con.execute(
        "select count(*), sum(quantity::double) from raw.stats__energy_consumption "
        "where not _is_superseded"
    ).fetchone()
    assert current == (3, 1200.5 + 35000 + 1.7)
