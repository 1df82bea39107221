"""bench/disclosure.py on a small warehouse: both modes decide and find alike, and it prints."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

from publish.tables import ColumnDoc, PublishedTable

BENCH = Path(__file__).resolve().parents[2] / "bench" / "disclosure.py"
# a province P, cities C1 and C2, their counties; two sectors; K11/s1 and K21/s2 are one plant
COUNTIES = {"K11": ("C1", 900.0, 40.0), "K12": ("C1", 300.0, 500.0), "K13": ("C1", 20.0, 80.0),
            "K21": ("C2", 700.0, 650.0), "K22": ("C2", 50.0, 30.0)}  # fmt: skip
DECLARATION = {
    "period": "date",
    "cell": ["division_code", "sector_code"],
    "values": ["nowcast_tco2"],
    "reporting_units": "reporting_units",
    "largest_share": "max_unit_share",
    "equations": [{"name": "counties add up to the city, cities to the province",
                   "sum_over": "division_code",
                   "parent": "select division_code, parent_code from reference.ref_divisions "
                             "where parent_code is not null"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_disclosure", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create schema reference")
    con.execute(
        "create table reference.ref_disclosure_rules as select * from (values "
        "('min_reporting_units', 3.0), ('dominance_share', 0.85), ('protection_level', 0.15)) "
        "as t(rule_code, value)"
    )
    parents = [(county, city) for county, (city, *_) in COUNTIES.items()]
    con.execute("create table reference.ref_divisions (division_code varchar, parent_code varchar)")
    con.executemany(
        "insert into reference.ref_divisions values (?, ?)",
        [*parents, ("C1", "P"), ("C2", "P"), ("P", None)],
    )
    con.execute(
        "create table counties (division_code varchar, sector_code varchar, "
        "nowcast_tco2 double, reporting_units bigint)"
    )
    for county, (_, s1, s2) in COUNTIES.items():
        con.execute(
            "insert into counties values (?, 's1', ?, ?), (?, 's2', ?, ?)",
            [county, s1, 1 if county == "K11" else 5, county, s2, 1 if county == "K21" else 5],
        )
    con.execute(
        "create table marts.out_nowcast as with days as (select unnest(["
        "date '2020-01-01', date '2020-01-02', date '2020-01-03']) as date), "
        "cells as (select * from counties union all select parent_code, sector_code, "
        "sum(nowcast_tco2), sum(reporting_units) from counties join reference.ref_divisions "
        "using (division_code) group by all union all select 'P', sector_code, "
        "sum(nowcast_tco2), sum(reporting_units) from counties group by all) "
        "select date, division_code, sector_code, nowcast_tco2 * (1 + day(date) / 100) as "
        "nowcast_tco2, reporting_units, cast(null as double) as max_unit_share "
        "from days, cells"
    )
    con.close()


def test_both_modes_decide_and_find_alike_and_the_ratios_print(bench, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse(path)
    columns = tuple(
        ColumnDoc(name, name, name, "")
        for name in ("date", "division_code", "sector_code", "nowcast_tco2", "is_suppressed")
    )
    tables = {
        "nowcast": PublishedTable(
            "nowcast", "out_nowcast", "marts.out_nowcast", "", "", columns, DECLARATION
        )
    }
    system = bench.disclosure_systems(tables)["nowcast"]
    con = bench.connect(path, system, tables, periods=2)
    off = bench.run_mode(con, system, tables, certify=False)
    on = bench.run_mode(con, system, tables, certify=True)
    assert {row[1] for row in on.decisions} == {row[1] for row in off.decisions}
    assert len({row[1] for row in on.decisions}) == 2  # the first two days only
    assert on.decisions == off.decisions and on.short == off.short == []
    hidden = {(row[2], row[3]) for row in on.decisions if row[5]}
    assert {("K11", "s1"), ("K21", "s2")} <= hidden and len(hidden) > 2  # and secondaries
    assert on.engine_lps < off.engine_lps and on.audit_lps < off.audit_lps
    assert on.engine_certified > 0 and on.audit_certified > 0 and off.audit_certified == 0
    text = bench.report(2, len(on.decisions), off, on)
    assert "| off (baseline) |" in text and "| on |" in text
    assert "off / on: engine " in text and ", audit " in text
    # the warehouse itself is untouched: read-only, no disclosure schema
    assert duckdb.connect(str(path), read_only=True).execute(
        "select count(*) from duckdb_tables() where schema_name = 'disclosure'"
    ).fetchone() == (0,)
