"""Decisions kept from one run to the next: a period whose inputs are unchanged keeps the last
run's decision (its digest, disclosure.reuse), anything that could change a decision makes it
decided again, and kept decisions are the ones the engine makes."""

from __future__ import annotations

import dataclasses

import duckdb
import polars as pl
from test_disclosure import DECLARATION, GRID, RULES, SECTORS, parse

from disclosure.audit import audit_table
from disclosure.warehouse import register_published_names, suppress_table

COLUMNS = ["year", "division_code", "sector_code", "total_tco2", "is_suppressed"]
YEARS = (2021, 2022, 2023)


def warehouse() -> duckdb.DuckDBPyConnection:
    """The grid of test_disclosure in three years (each year's values a little larger), one
    primary cell a year (K1 × s1, one unit)."""
    rows = []
    for step, year in enumerate(YEARS):
        for county, values in GRID.items():
            for sector, value in zip(SECTORS, values, strict=True):
                units = 1 if (county, sector) == ("K1", "s1") else 5
                rows.append((year, county, sector, value * (1 + step / 10), units, None))
        for k, sector in enumerate(SECTORS):
            total = sum(v[k] for v in GRID.values()) * (1 + step / 10)
            rows.append((year, "P", sector, total, 15, None))
    schema = ["year", "division_code", "sector_code", "total_tco2", "units", "share"]
    con = duckdb.connect()
    con.register("cells_frame", pl.DataFrame(rows, schema=schema, orient="row").to_arrow())
    con.execute("create table mart as select * from cells_frame")
    refresh_totals(con)
    con.execute(
        "create table parents as select * from (values ('K1', 'P'), ('K2', 'P'), ('K3', 'P')) "
        "as t(child, parent)"
    )
    register_published_names(con, {"by_county": "county_totals"})
    return con


def refresh_totals(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace table county_totals as select year, division_code, "
        "sum(total_tco2) as total_tco2 from mart group by all"
    )


def decisions(con) -> list[tuple]:
    return con.execute(
        "select year, division_code, sector_code, suppression_reason, is_suppressed "
        "from disclosure.grid__decisions order by all"
    ).fetchall()


def run(con, rules=RULES, reuse=True):
    declaration = parse("grid", DECLARATION)
    return suppress_table(
        con, declaration, "mart", COLUMNS, {"by_county": "county_totals"}, rules, reuse=reuse
    )


def test_a_second_run_on_the_same_inputs_keeps_every_period():
    con = warehouse()
    first = run(con)
    assert (first.periods_decided, first.periods_kept) == (3, 0)
    decided = decisions(con)
    second = run(con)
    assert (second.periods_decided, second.periods_kept) == (0, 3)
    assert second.linear_programmes == 0
    assert decisions(con) == decided
    assert second.reasons == first.reasons


def test_a_changed_value_decides_its_period_again_and_only_it():
    con = warehouse()
    run(con)
    con.execute(
        "update mart set total_tco2 = total_tco2 * 3 "
        "where year = 2022 and division_code = 'K2' and sector_code = 's1'"
    )
    con.execute(
        "update mart set total_tco2 = (select sum(total_tco2) from mart as m where m.year = 2022 "
        "and m.sector_code = 's1' and m.division_code <> 'P') "
        "where year = 2022 and division_code = 'P' and sector_code = 's1'"
    )
    refresh_totals(con)
    summary = run(con)
    assert (summary.periods_decided, summary.periods_kept) == (1, 2)
    # what was kept is what the engine decides from scratch
    kept = decisions(con)
    fresh = run(con, reuse=False)
    assert (fresh.periods_decided, fresh.periods_kept) == (3, 0)
    assert decisions(con) == kept
    assert audit_table(con, parse("grid", DECLARATION), "disclosure.grid", "mart", RULES).passed


def test_other_thresholds_decide_every_period_again():
    con = warehouse()
    run(con)
    stricter = dataclasses.replace(RULES, protection_level=RULES.protection_level * 2)
    summary = run(con, stricter)
    assert (summary.periods_decided, summary.periods_kept) == (3, 0)
