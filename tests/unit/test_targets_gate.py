"""The quality gate of dual_control_targets: the suite passes the seed's targets and names each
broken rule (a proposal passing for a decision, a year outside its plan, a percentage above 100,
an unknown source, a province without an intensity target)."""

from __future__ import annotations

import duckdb
import pytest

from quality.gate import SUITES_DIR, Suite, run_suite
from reference import seed_path

COLUMNS = (
    "year integer, plan_period varchar, division_code varchar, indicator varchar, "
    "base_year integer, target_year integer, value double, source varchar, decided_on date, "
    "binding varchar, document varchar, basis varchar, unit varchar, "
    "plan_first_year integer, plan_last_year integer"
)
# Hand-written rows of the published table (the gate's view over the mart, by its published
# name): the 14th plan's two decided targets, the 15th's proposal.
ROWS = [
    (2025, "14th", "140000", "co2_intensity_reduction_pct", 2020, 2025, 18.0, "decided",
     "2021-03-11", "约束性", "纲要", "outline", "%", 2021, 2025),
    (2025, "14th", "140000", "energy_intensity_reduction_pct", 2020, 2025, 14.5, "decided",
     "2021-12-28", "约束性", "国发〔2021〕33号", "State Council", "%", 2021, 2025),
    (2030, "15th", "140000", "co2_intensity_reduction_pct", 2025, 2030, 17.0, "proposed",
     None, None, None, "platform proposal", "%", 2026, 2030),
]  # fmt: skip


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    con.execute("create schema reference")
    for seed in ("ref_plan_periods", "ref_target_indicators", "ref_target_bindings"):
        con.execute(
            f"create table reference.{seed} as select * from "
            f"read_csv('{seed_path(seed).as_posix()}', all_varchar = true)"
        )
    con.execute(
        "create table reference.ref_divisions as select * from "
        f"read_csv('{seed_path('ref_divisions').as_posix()}', all_varchar = true)"
    )
    con.execute(f"create table dual_control_targets ({COLUMNS})")
    con.executemany(f"insert into dual_control_targets values ({', '.join(['?'] * 15)})", ROWS)
    yield con
    con.close()


def failures(con: duckdb.DuckDBPyConnection) -> set[str]:
    suite = Suite.load(SUITES_DIR / "dual_control_targets.yml")
    result = run_suite(
        con.sql("select * from dual_control_targets").df(),
        suite,
        run_query=lambda sql: con.execute(sql).fetchall(),
        fetch_frame=lambda sql: con.sql(sql).df(),
        thresholds={},
    )
    return {
        outcome.check or f"{outcome.expectation}:{outcome.column}" for outcome in result.failures
    }


def test_the_seeds_targets_pass(warehouse):
    assert failures(warehouse) == set()


def test_each_broken_rule_is_named(warehouse):
    warehouse.execute(
        """
        update dual_control_targets set decided_on = date '2026-03-12'
            where plan_period = '15th';                            -- a proposal with a date
        update dual_control_targets set value = 145
            where indicator = 'energy_intensity_reduction_pct';    -- a percentage above 100
        insert into dual_control_targets values (2036, '16th', '140100',
            'coal_share_max_pct', 2030, 2036, 40, 'assumed', null, null, null, 'x', '%',
            2031, 2035);                                           -- after its plan, bad source
        delete from dual_control_targets
            where indicator = 'co2_intensity_reduction_pct' and plan_period = '14th';
        update dual_control_targets set division_code = '140200'
            where indicator = 'co2_intensity_reduction_pct';       -- no province intensity target
        """
    )
    assert failures(warehouse) == {
        "decided_or_proposed",
        "percentages_are_percentages",
        "years_within_the_plan",
        "expect_column_values_to_be_in_set:source",
        "province_intensity_target",
    }
