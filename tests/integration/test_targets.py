"""Five-year-plan targets in the whole graph: the seed's targets are published; decisions
delivered on policy/targets supersede the seed's and each other, earlier ones stay queryable as
vintages, and the overview's intensity path follows the current decision."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import date

import duckdb
import polars as pl
import pytest

from orchestration.runner import materialise_everything
from orchestration.settings import Settings
from reference import read_seed

pytestmark = pytest.mark.integration

HEADER = (
    "plan_period,division_code,indicator,base_year,target_year,value,binding,document,decided_on"
)
INTENSITY = ("14th", "140000", "co2_intensity_reduction_pct")


def published(settings: Settings) -> list[dict]:
    con = duckdb.connect()
    try:
        relation = con.sql(
            f"select * from read_parquet('{settings.published_dir}/dual_control_targets/"
            "year=*/*.parquet', hive_partitioning = true) order by plan_period, indicator"
        )
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()


def deliver(settings: Settings, decided_on: str, rows: list[str]) -> None:
    folder = settings.landing_dir / "policy" / "targets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"targets_{decided_on}.csv").write_text(
        "\n".join([HEADER, *rows]) + "\n", encoding="utf-8"
    )


def test_the_seeds_targets_are_published_as_they_are(built):
    seed = read_seed("ref_plan_targets")
    published_rows = published(built.settings)
    # The suite's world delivers no city target: every city gets the platform's allocation of
    # each plan's provincial intensity target, marked proposed, within the largest deviation.
    allocated = [r for r in published_rows if r["division_level"] == "city"]
    cities = set(
        read_seed("ref_divisions").filter(pl.col("division_level") == "city")["division_code"]
    )
    deviation = float(
        read_seed("ref_allocation_rules").filter(pl.col("rule_code") == "max_deviation_pct_points")[
            "value"
        ][0]
    )
    province = {
        r["plan_period"]: r["value"]
        for r in published_rows
        if r["division_code"] == "140000" and r["indicator"] == INTENSITY[2]
    }
    assert {r["plan_period"] for r in allocated} == set(province)
    for plan, reduction in province.items():
        plan_rows = [r for r in allocated if r["plan_period"] == plan]
        assert {r["division_code"] for r in plan_rows} == cities
        assert {
            (r["source"], r["indicator"], r["decided_on"], r["document"]) for r in plan_rows
        } == {("proposed", INTENSITY[2], None, None)}
        values = [r["value"] for r in plan_rows]
        assert all(abs(v - reduction) <= deviation + 0.1 for v in values), (plan, values)
        assert max(values) - min(values) > 1  # the factors differentiate the cities
    rows = [r for r in published_rows if r["division_level"] != "city"]
    assert len(rows) == seed.height
    by_key = {(r["plan_period"], r["division_code"], r["indicator"]): r for r in rows}
    for entry in seed.iter_rows(named=True):
        row = by_key[(entry["plan_period"], entry["division_code"], entry["indicator"])]
        assert row["value"] == float(entry["value"])
        assert row["source"] == entry["decision_status"]
        assert row["document"] == entry["document"]
        assert row["vintage_count"] == 1
    assert {r["source"] for r in rows if r["plan_period"] == "15th"} == {"proposed"}


def test_delivered_decisions_supersede_the_seed_and_each_other(home_copy):
    # The platform's today (EMISSIONS_AS_OF) after both decisions: a file dated after it would
    # be rejected as in the future.
    settings = dataclasses.replace(home_copy, as_of=date(2025, 1, 1))
    # The allocation proposed to the other cities before the decisions (of the seed's 18 %).
    before = {
        r["division_code"]: r["value"]
        for r in published(settings)
        if r["plan_period"] == "14th" and r["division_level"] == "city"
    }
    line = ",".join(INTENSITY) + ",2020,2025,{value},约束性,{document},{decided_on}"
    city = ",".join(
        ("14th", "140100", INTENSITY[2], "2020,2025,19,约束性,测试分解〔2022〕3号,2022-03-01")
    )
    for decided_on, value, document in (
        ("2022-03-01", "19.5", "测试决定〔2022〕1号"),
        ("2024-06-30", "20", "测试决定〔2024〕2号"),
    ):
        extra = [city] if decided_on == "2022-03-01" else []
        deliver(
            settings,
            decided_on,
            [line.format(value=value, document=document, decided_on=decided_on), *extra],
        )
    # The feed and what depends on the targets: its models, their publication, the site.
    outcome = materialise_everything(
        settings,
        selection=(
            "key:raw_policy__targets or key:stg_policy__targets "
            "or key:int_dual_control__target_vintages "
            "or key:int_dual_control__allocation_proposals or key:out_dual_control__targets "
            "or key:published_dual_control_targets or key:report_site "
            "or key:out_dual_control__progress or key:disclosure_dual_control_progress "
            "or key:published_dual_control_progress "
            # the division totals' problem decides its tables together: what rests on the
            # targets among them is rebuilt with them
            "or key:out_dual_control__budgets or key:out_dual_control__warnings"
        ),
    )
    assert outcome.success, "\n".join(outcome.failure_lines)

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        vintages = con.execute(
            "select value, source, origin, vintage_rank, is_current, superseded_on::varchar "
            "from intermediate.int_dual_control__target_vintages "
            "where plan_period = ? and division_code = ? and indicator = ? order by vintage_rank",
            list(INTENSITY),
        ).fetchall()
    assert vintages == [
        (20.0, "decided", "feed", 1, True, None),
        (19.5, "decided", "feed", 2, False, "2024-06-30"),
        (18.0, "decided", "seed", 3, False, "2022-03-01"),
    ]
    rows = {
        (r["plan_period"], r["indicator"]): r
        for r in published(settings)
        if r["division_code"] == "140000"
    }
    city_row = next(
        r
        for r in published(settings)
        if (r["plan_period"], r["division_code"]) == ("14th", "140100")
    )
    assert (city_row["value"], city_row["document"]) == (19.0, "测试分解〔2022〕3号")
    # The decided city leaves the proposal; the other cities share the revised 20 % after it,
    # so each one's proposal rises (on average by about the two points of the revision).
    after = {
        r["division_code"]: r["value"]
        for r in published(settings)
        if r["plan_period"] == "14th"
        and r["division_level"] == "city"
        and r["source"] == "proposed"
    }
    assert set(after) == set(before) - {"140100"}
    rises = [after[code] - before[code] for code in after]
    assert min(rises) > 0 and sum(rises) / len(rises) > 1, (before, after)
    current = rows[(INTENSITY[0], INTENSITY[2])]
    assert (current["value"], current["document"], current["vintage_count"]) == (
        20.0,
        "测试决定〔2024〕2号",
        3,
    )
    assert str(current["decided_on"]) == "2024-06-30"
    # No feed row for them: the seed's rows stand, the 15th plan still a proposal.
    assert rows[("14th", "energy_intensity_reduction_pct")]["value"] == 14.5
    assert rows[("15th", "co2_intensity_reduction_pct")]["source"] == "proposed"

    # Progress is tracked for every division with a current target: the province on its
    # latest decision, and the city the province allocated one to. (The suite's world ends on
    # 2020-12-31: its one row per division is the base year 2020, without 2020's GDP.)
    with duckdb.connect() as con:
        progress = con.execute(
            "select division_code, year, plan_period, plan_reduction_pct, target_source "
            f"from read_parquet('{settings.published_dir}/dual_control_progress/year=*/*.parquet',"
            " hive_partitioning = true) order by all"
        ).fetchall()
    assert progress == [
        ("140000", 2020, "14th", 20.0, "decided"),
        ("140100", 2020, "14th", 19.0, "decided"),
    ]

    # The overview draws the 14th plan's path from the new decision.
    with duckdb.connect() as con:
        # the province's CO2 from its sectors (never suppressed), its GDP the cities' sum
        base = con.execute(
            "select (select sum(total_tco2) from read_parquet("
            f"'{settings.published_dir}/emissions_by_sector/year=*/*.parquet', "
            "hive_partitioning = true) where year = 2020) / sum(gdp_100m_yuan_constant * 10000) "
            f"from read_parquet('{settings.published_dir}/emissions_by_city/year=*/*.parquet', "
            "hive_partitioning = true) where year = 2020"
        ).fetchone()[0]
    page = (settings.site_dir / "index.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert "2025 年碳排放强度比 2020 年下降 20%（已决定 decided：测试决定〔2024〕2号）" in text
    if base is None:
        # The suite's world ends on 2020-12-31: 2020's GDP (its quick estimate is due on
        # 1 February 2021) is not in, so no intensity at 2020 prices and no base to draw from.
        assert "发布数据中没有目标的基期年份，无法计算目标进度" in text
    else:
        assert f'2025 年目标强度 "十四五"规划 target {base * 0.8:,.2f}' in text
