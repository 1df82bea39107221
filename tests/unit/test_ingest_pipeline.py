"""The loader's pipeline: files prepared ahead on threads still load in path order, with their
fates, commits and archive copies as if loaded one by one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from landing_zone import LandingZone

import ingest.ledger
import ingest.load
import ingest.prepare
from ingest.reference import ReferenceData

REFERENCE = ReferenceData(
    county_codes=frozenset({"140105"}),
    city_codes=frozenset({"140100"}),
    division_codes=frozenset({"140000", "140100", "140105"}),
    industry_codes=frozenset({"44"}),
    units_by_energy={},
)
METER_HEADER = "account_id,date,electricity_kwh"


class Zone(LandingZone):
    """The meter feed's files and their fates."""

    def meter_file(self, relative: str, rows: list[str]) -> Path:
        return self.deliver_text(
            f"power/meter_daily/{relative}", "\n".join([METER_HEADER, *rows]) + "\n"
        )

    def deliveries(self) -> list[tuple[str, str, int, int]]:
        return self.con.execute(
            "select path, status, rows_loaded, rows_quarantined from audit.file_deliveries "
            "where feed = 'power/meter_daily' order by received_at, path"
        ).fetchall()


@pytest.fixture
def zone(tmp_path: Path):
    zone = Zone(tmp_path, REFERENCE)
    zone.deliver_text(
        "power/accounts/accounts_2025-01-01.csv",
        "account_id,division_code,industry_code,customer_type,entity_id,opened_on,closed_on\n"
        "A1,140105,44,大工业,,2010-01-01,\n"
        "A2,140105,44,大工业,,2010-01-01,\n"
        "A3,140105,44,大工业,,2010-01-01,2025-06-02\n",
    )
    assert zone.load("power/accounts").rows_loaded == 3
    yield zone
    zone.close()


def test_many_files_prepared_ahead_load_in_order_with_their_fates(zone: Zone, monkeypatch):
    monkeypatch.setattr(ingest.load, "COMMIT_ROWS", 4)  # several commits in the run
    monkeypatch.setattr(ingest.prepare, "PREPARE_AHEAD_FILES", 3)  # fewer than the files
    good = ["A1,{day},10.5", "A2,{day},0", "A3,{day},7"]
    original = zone.meter_file("2025-06-01.csv", [r.format(day="2025-06-01") for r in good])
    zone.meter_file(
        "2025-06-02.csv",
        ["A1,2025-06-02,1", "A2,2025-06-02,-1", "A9,2025-06-02,1", "A1,2025-06-02,2"],
    )
    truncated = zone.deliver_text(
        "power/meter_daily/2025-06-03.csv", f"{METER_HEADER}\nA1,2025-06-03"
    )
    zone.meter_file("2025-06-04.csv", ["A1,2025-06-04,4", "A2,2025-06-04,4"])
    for day in range(5, 10):
        zone.meter_file(f"2025-06-0{day}.csv", [f"A1,2025-06-0{day},{day}"])
    zone.deliver_text("power/meter_daily/batch-2/2025-06-01.csv", original.read_text())
    zone.meter_file("batch-2/2025-06-04.csv", ["A1,2025-06-04,40", "A2,2025-06-04,40"])
    zone.meter_file("batch-2/june.csv", ["A1,2025-06-10,1"])
    assert len(list(zone.landing.rglob("*.csv"))) > ingest.prepare.PREPARE_AHEAD_FILES * 2

    report = zone.load("power/meter_daily")

    folder = "power/meter_daily"
    assert zone.deliveries() == [
        (f"{folder}/2025-06-01.csv", "loaded", 3, 0),
        (f"{folder}/2025-06-02.csv", "loaded", 0, 4),
        (f"{folder}/2025-06-03.csv", "rejected", 0, 0),
        (f"{folder}/2025-06-04.csv", "superseded", 2, 0),
        *[(f"{folder}/2025-06-0{day}.csv", "loaded", 1, 0) for day in range(5, 10)],
        (f"{folder}/batch-2/2025-06-01.csv", "duplicate", 0, 0),
        (f"{folder}/batch-2/2025-06-04.csv", "loaded", 2, 0),
        (f"{folder}/batch-2/june.csv", "rejected", 0, 0),
    ]
    assert [o.path for o in report.outcomes] == [path for path, *_ in zone.deliveries()]
    assert zone.con.execute(
        'select line_number, "column", rule from audit.quarantined_rows order by all'
    ).fetchall() == [
        (2, "account_id", "duplicate_key"),
        (3, "electricity_kwh", "negative"),
        (4, "account_id", "unknown_or_closed_account"),
        (5, "account_id", "duplicate_key"),
    ]
    current = zone.con.execute(
        "select date::varchar, account_id, electricity_kwh, _line_number "
        "from raw.power__meter_daily where not _is_superseded and date = '2025-06-04' order by 2"
    ).fetchall()
    assert current == [("2025-06-04", "A1", 40.0, 2), ("2025-06-04", "A2", 40.0, 3)]
    assert zone.con.execute("select count(*) from raw.power__meter_daily").fetchone() == (12,)

    # The archive holds each loaded file's bytes under their checksum, and nothing else.
    loaded = [
        zone.landing / path
        for path, status, *_ in zone.deliveries()
        if status in ("loaded", "superseded")
    ]
    archived = sorted(p.name for p in (zone.archive / folder).iterdir())
    assert archived == sorted(f"{hashlib.sha256(p.read_bytes()).hexdigest()}.csv" for p in loaded)
    for name in archived:
        content = (zone.archive / folder / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == name.removesuffix(".csv")
    copy = zone.archive / folder / f"{hashlib.sha256(original.read_bytes()).hexdigest()}.csv"
    assert copy.stat().st_mtime_ns == original.stat().st_mtime_ns, "delivered time kept"
    assert not truncated.exists()
    assert (zone.rejected / folder / "2025-06-03.csv.reason.txt").exists()

    assert zone.load("power/meter_daily").outcomes == []


def test_a_failed_load_rolls_back_and_leaves_no_partial_archive_copies(zone: Zone, monkeypatch):
    for day in range(1, 10):
        zone.meter_file(f"2025-06-0{day}.csv", [f"A1,2025-06-0{day},{day}"])
    record = ingest.ledger.DeliveryLedger.record
    calls = []

    def failing_record(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # files ahead of this one are prepared, their copies written
            raise RuntimeError("disk full")
        return record(*args, **kwargs)

    monkeypatch.setattr(ingest.ledger.DeliveryLedger, "record", failing_record)
    with pytest.raises(RuntimeError, match="disk full"):
        zone.load("power/meter_daily")
    assert zone.deliveries() == []
    assert zone.con.execute("select count(*) from raw.power__meter_daily").fetchone() == (0,)
    archive_files = [p.name for p in (zone.archive / "power/meter_daily").iterdir()]
    assert len(archive_files) <= 2, "only the copies of the files recorded before the failure"
    assert not [name for name in archive_files if name.startswith(".")], "partial copies left"

    monkeypatch.undo()
    report = zone.load("power/meter_daily")
    assert (report.count("loaded"), report.rows_loaded) == (9, 9)
    assert len(list((zone.archive / "power/meter_daily").iterdir())) == 9


@pytest.mark.parametrize(
    "rows",
    [
        [
            "A1,2025-06-01,1",
            "A1,2025-06-01,2",
            "A2,2025-06-01,3",
            "A2,2025-06-01,-1",
            "A3,2025-06-01,4",
        ],
        [
            "A3,2025-06-01,4",
            "A2,2025-06-01,-1",
            "A1,2025-06-01,1",
            "A2,2025-06-01,3",
            "A1,2025-06-01,2",
        ],
    ],
    ids=["sorted", "unsorted"],
)
def test_duplicate_accounts_sorted_or_not(zone: Zone, rows: list[str]):
    zone.meter_file("2025-06-01.csv", rows)
    report = zone.load("power/meter_daily")
    assert (report.rows_loaded, report.rows_quarantined) == (2, 3)
    quarantined = zone.con.execute(
        "select raw_row->>'account_id', raw_row->>'electricity_kwh', rule "
        "from audit.quarantined_rows order by all"
    ).fetchall()
    # A2's negative reading is quarantined for that; its other reading then stands alone.
    # The raw row is the text as delivered (-1, not the typed parse's -1.0).
    assert quarantined == [
        ("A1", "1", "duplicate_key"),
        ("A1", "2", "duplicate_key"),
        ("A2", "-1", "negative"),
    ]
