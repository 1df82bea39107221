"""The quality gate of emissions_by_county on suppressed rows: its consistency checks hold over
the visible rows (the visible counties leave their city a remainder that is not negative), a
suppressed row carries no amount, and a row the primary rule protects is never visible."""

from __future__ import annotations

import duckdb
import pytest

from publish.tables import published_tables
from quality.gate import SUITES_DIR, Suite, run_suite
from reference import seed_path

KEYS = {"year": "integer", "is_suppressed": "boolean"}
TEXT = {"report_type", "division_code", "division_name_zh", "city_code", "city_name_zh",
        "grid_factor_region"}  # fmt: skip
CHECKS = {
    "suppressed_rows_carry_no_value",
    "every_confidential_row_is_suppressed",
    "counties_add_up_to_their_city",
    "total_is_energy_plus_process",
}


def county(code: str, total: float | None, hidden: bool) -> dict:
    values = {} if total is None else {
        "total_tco2": total, "energy_tco2": total - 10, "process_tco2": 10.0,
        "electricity_indirect_tco2": 5.0, "heat_indirect_tco2": 1.0,
        "intensity_tco2_per_10k_yuan": total / 1e4, "tco2_per_capita": total / 1e5,
        "electricity_mwh": 6.0, "heat_gj": 9.0,
    }  # fmt: skip
    return {"year": 2023, "division_code": code, "city_code": "C", "is_suppressed": hidden,
            "report_type": "annual", "gdp_100m_yuan_constant": 1.0, **values}  # fmt: skip


@pytest.fixture
def warehouse(dbt_manifest):
    tables = published_tables(dbt_manifest)
    con = duckdb.connect()
    con.execute("create schema reference")
    con.execute("create schema marts")
    for seed in ("ref_disclosure_rules", "ref_divisions", "ref_report_types", "ref_grid_regions"):
        con.execute(
            f"create table reference.{seed} as select * from "
            f"read_csv('{seed_path(seed).as_posix()}')"
        )
    con.execute("create table reference.ref_revision_explanations (year int, division_code "
                "varchar, sector_code varchar)")  # fmt: skip
    for name in ("emissions_by_county", "emissions_by_city"):
        columns = tables[name].column_names
        types = ", ".join(
            f"{c} {KEYS.get(c, 'varchar' if c in TEXT else 'double')}" for c in columns
        )
        con.execute(f"create table {name} ({types})")
    # The mart (true values, the rule's inputs): K1 is one plant (96 % of its total)
    con.execute(
        "create table marts.out_emissions__by_county as select * from (values "
        "(2023, 'K1', 2000.0, 6, 0.96), (2023, 'K2', 1200.0, 9, null), "
        "(2023, 'K3', 900.0, 8, null)) as t(year, division_code, total_tco2, reporting_units, "
        "max_entity_share)"
    )
    yield con, tables
    con.close()


def insert(con, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(row)
        con.execute(f"insert into {table} ({columns}) values ({', '.join('?' * len(row))})",
                    list(row.values()))  # fmt: skip


def failed_checks(con) -> set[str]:
    suite = Suite.load(SUITES_DIR / "emissions_by_county.yml")
    result = run_suite(
        con.sql("select * from emissions_by_county").df(),
        suite,
        run_query=lambda sql: con.execute(sql).fetchall(),
        fetch_frame=lambda sql: con.sql(sql).df(),
        thresholds={
            "sum_tolerance_tco2": 0.01,
            "yoy_change_max_pct": 50,
            "freshness_max_lag_years": 100,
            "intensity_max_tco2_per_10k_yuan": 100,
            "per_capita_max_tco2": 1000,
        },
    )
    return {outcome.check for outcome in result.failures} & CHECKS


def city(total: float) -> dict:
    return {"year": 2023, "division_code": "C", "is_suppressed": False, "report_type": "annual",
            "total_tco2": total, "energy_tco2": total - 30, "process_tco2": 30.0,
            "electricity_indirect_tco2": 15.0, "heat_indirect_tco2": 3.0}  # fmt: skip


def test_hidden_counties_leave_their_city_a_remainder_and_carry_no_value(warehouse):
    con, _ = warehouse
    insert(con, "emissions_by_city", [city(4100.0)])
    counties = [county("K1", None, True), county("K2", None, True), county("K3", 900.0, False)]
    insert(con, "emissions_by_county", counties)
    assert failed_checks(con) == set()


def test_each_broken_rule_of_a_suppressed_table_is_named(warehouse):
    con, _ = warehouse
    insert(con, "emissions_by_city", [city(4100.0)])
    leaked = {**county("K2", None, True), "intensity_tco2_per_10k_yuan": 0.12}
    # K1, the plant, published; K2 hidden but its intensity (its total, with its GDP) is not;
    # K3 visible with more than its city has left for it.
    insert(con, "emissions_by_county",
           [county("K1", 2000.0, False), leaked, county("K3", 2200.0, False)])  # fmt: skip
    assert failed_checks(con) == {
        "suppressed_rows_carry_no_value",
        "every_confidential_row_is_suppressed",
        "counties_add_up_to_their_city",
    }
