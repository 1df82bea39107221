"""Carbon budgets in the whole graph, on a world in the middle of the 14th plan (its own: the
suite's shared world ends on 2020-12-31, before the plan's base year has its GDP): the budgets
of the province and every city are published with their use to date and year-end forecast, the
forecast's backtest beside them; a revised provincial target adds versions, moves the current
one, the progress and the allocation, and leaves the earlier budgets queryable."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import polars as pl
import pytest

from orchestration.runner import materialise_everything
from orchestration.settings import ENVIRONMENT, Settings
from reference import read_seed

pytestmark = pytest.mark.integration

# 2017-2019 have their finals, 2020 its twelve monthly quicks and its quick GDP (the 14th plan's
# base year), 2021 is in progress with its quicks to June. Two days of meter data are enough.
FIRST_YEAR, LAST_YEAR, SAMPLE_AS_OF = 2017, 2021, date(2021, 7, 31)
PROVINCE = "140000"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from sample import generate_landing_zone

    monkeypatch = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    settings = Settings.from_env(
        {
            "EMISSIONS_HOME": str(tmp_path_factory.mktemp("budgets")),
            "EMISSIONS_FIRST_YEAR": str(FIRST_YEAR),
            "EMISSIONS_LAST_YEAR": str(LAST_YEAR),
            "EMISSIONS_AS_OF": "2021-08-01",
        }
    )
    generate_landing_zone(
        settings.landing_dir, first_year=FIRST_YEAR, as_of=SAMPLE_AS_OF, seed=7, daily_days=2
    )
    outcome = materialise_everything(settings)
    assert outcome.success, "\n".join(outcome.failure_lines)
    yield settings
    monkeypatch.undo()


def read(settings: Settings, table: str, where: str = "true") -> pl.DataFrame:
    with duckdb.connect() as con:
        return con.sql(
            f"select * from read_parquet('{settings.published_dir}/{table}/year=*/*.parquet', "
            f"hive_partitioning = true) where {where}"
        ).pl()


def test_budgets_are_published_with_use_forecast_and_backtest(world):
    budgets = read(world, "carbon_budgets")
    current = budgets.filter(pl.col("is_current"))
    cities = set(
        read_seed("ref_divisions").filter(pl.col("division_level") == "city")["division_code"]
    )
    assert set(current["division_code"]) == cities | {PROVINCE}
    assert set(current["year"]) == {2021, 2022, 2023, 2024, 2025}
    assert current.group_by("division_code", "year").len()["len"].max() == 1
    # Every work report's projection is a version of the province's budgets.
    province = budgets.filter(pl.col("division_code") == PROVINCE)
    reports = (
        read_seed("ref_gdp_growth_projections")
        .with_columns(pl.col("year").cast(pl.Int32), pl.col("real_growth_pct").cast(pl.Float64))
        .filter(pl.col("year").is_between(2021, 2025))
    )
    assert {str(d) for d in province["gdp_projection_vintage"]} == set(reports["published_on"])

    # The province's current 2021 budget recomputed from the published tables by hand: the
    # base intensity of 2020 (its twelve quicks over its GDP), the seed's −18 %, and the GDP
    # grown by the latest work reports' rates.
    row = current.filter((pl.col("division_code") == PROVINCE) & (pl.col("year") == 2021)).row(
        0, named=True
    )
    with duckdb.connect() as con:
        co2_2020, gdp_2020 = con.execute(
            "select (select sum(total_tco2) from read_parquet("
            f"'{world.published_dir}/emissions_by_sector/year=*/*.parquet', "
            "hive_partitioning = true) where year = 2020), "
            "(select max(gdp_100m_yuan_constant) from read_parquet("
            f"'{world.published_dir}/energy_by_division/year=*/*.parquet', "
            "hive_partitioning = true) where year = 2020 and division_code = ?)",
            [PROVINCE],
        ).fetchone()
    assert row["target_source"] == "decided" and row["plan_reduction_pct"] == 18.0
    assert row["base_intensity_tco2_per_10k_yuan"] == pytest.approx(co2_2020 / (gdp_2020 * 1e4))
    growth_2021 = reports.filter(pl.col("year") == 2021)["real_growth_pct"][0]
    assert row["projected_gdp_100m_yuan"] == pytest.approx(gdp_2020 * (1 + growth_2021 / 100))
    by_hand = co2_2020 / (gdp_2020 * 1e4) * 0.82 ** (1 / 5) * row["projected_gdp_100m_yuan"] * 1e4
    assert row["budget_tco2"] == pytest.approx(by_hand, rel=1e-9)
    plan = province.filter(pl.col("is_current"))
    assert row["plan_budget_tco2"] == pytest.approx(plan["budget_tco2"].sum(), rel=1e-12)

    # Used so far: the quicks to June; the year-end forecast above them, inside its interval.
    assert (row["used_basis"], str(row["as_of_date"]), row["forecast_month"]) == (
        "monthly_quicks",
        "2021-06-30",
        6,
    )
    assert row["forecast_method"] == "seasonal_ratio"
    assert row["used_to_date_tco2"] < row["forecast_low_tco2"] <= row["forecast_year_end_tco2"]
    assert row["forecast_year_end_tco2"] <= row["forecast_high_tco2"]
    assert row["budget_status"] in {"within_budget", "at_risk", "over_budget"}
    # Years to come have a budget and nothing used yet.
    later = current.filter(pl.col("year") > 2021)
    assert later["budget_tco2"].null_count() == 0 and later["used_to_date_tco2"].null_count() == (
        later.height
    )

    # The backtest: the years with finals and a year of quicks before them, both models; the
    # chosen forecast beats the linear baseline at every level.
    backtest = read(world, "carbon_budget_forecast_backtest")
    assert set(backtest["year"]) == {2018, 2019}
    assert set(backtest["month"]) == set(range(1, 13))
    errors = backtest.group_by("division_level", "model").agg(pl.col("mape_pct").mean())
    error = {(r["division_level"], r["model"]): r["mape_pct"] for r in errors.iter_rows(named=True)}
    for level in ("province", "city", "county"):
        assert error[(level, "chosen")] < error[(level, "naive")], error
        assert error[(level, "chosen")] < 2.0, error


def test_a_revised_target_adds_versions_and_keeps_the_earlier(world):
    settings = dataclasses.replace(world)
    before = read(settings, "carbon_budgets")
    before_progress = read(settings, "dual_control_progress", f"division_code = '{PROVINCE}'")
    before_targets = read(settings, "dual_control_targets", "division_level = 'city'")
    folder = settings.landing_dir / "policy" / "targets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "targets_2021-07-15.csv").write_text(
        "plan_period,division_code,indicator,base_year,target_year,value,binding,document,"
        "decided_on\n14th,140000,co2_intensity_reduction_pct,2020,2025,20,约束性,"
        "测试决定〔2021〕7号,2021-07-15\n",
        encoding="utf-8",
    )
    outcome = materialise_everything(settings, selection="key:raw_policy__targets+")
    assert outcome.success, "\n".join(outcome.failure_lines)

    after = read(settings, "carbon_budgets")
    province = after.filter(pl.col("division_code") == PROVINCE)
    current = province.filter(pl.col("is_current")).sort("year")
    assert set(current["plan_reduction_pct"]) == {20.0}
    assert set(current["target_vintage"]) == {"targets_2021-07-15.csv line 2"}
    # The earlier vintage's budgets are all still there, unchanged, no longer current.
    key = ["year", "division_code", "budget_version"]
    earlier = before.filter(pl.col("division_code") == PROVINCE).select(*key, "budget_tco2")
    kept = earlier.join(province.select(*key, "budget_tco2", "is_current"), on=key, how="left")
    assert kept["budget_tco2_right"].null_count() == 0
    assert (kept["budget_tco2"] - kept["budget_tco2_right"]).abs().max() == 0
    assert not kept["is_current"].any()
    # A deeper cut is a smaller budget, year by year after the base.
    old = before.filter((pl.col("division_code") == PROVINCE) & pl.col("is_current")).sort("year")
    assert (current["budget_tco2"] < old["budget_tco2"]).all()
    # Progress follows the new target; the cities' proposals and so their budgets move.
    progress = read(settings, "dual_control_progress", f"division_code = '{PROVINCE}'")
    assert set(progress["plan_reduction_pct"]) == {20.0}
    assert set(before_progress["plan_reduction_pct"]) == {18.0}
    targets = read(settings, "dual_control_targets", "division_level = 'city'")
    moved = targets.join(before_targets, on=["plan_period", "division_code"]).filter(
        pl.col("plan_period") == "14th"
    )
    assert (moved["value"] > moved["value_right"]).all()
    city_before = before.filter(pl.col("is_current") & (pl.col("division_code") == "140100"))
    city_after = after.filter(pl.col("is_current") & (pl.col("division_code") == "140100"))
    assert city_after["plan_budget_tco2"][0] < city_before["plan_budget_tco2"][0]


def rewrite(path, change) -> None:
    """Rewrite a delivered CSV in its own encoding (the sample writes some feeds in GBK)."""
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("gbk"), "gbk"
    lines = text.splitlines()
    header = lines[0].split(",")
    rows = [change(dict(zip(header, line.split(","), strict=True))) for line in lines[1:]]
    out = [",".join(header)] + [",".join(row[c] for c in header) for row in rows]
    path.write_bytes(("\n".join(out) + "\n").encode(encoding))


def test_a_city_whose_steel_output_jumps_gets_a_red_warning(world):
    settings = dataclasses.replace(world)
    before = read(settings, "emission_warnings", "period = '2021-06'")
    steel = ("140800", "steel", "ytd_growth_pct")
    key = ["division_code", "sector_code", "indicator"]
    old = before.filter(pl.struct(key) == dict(zip(key, steel, strict=True)))
    assert old["level"][0] in {"绿", "黄"}, old

    # June's quick reports come in again: 运城市's steelworks (industry 31) made three times
    # their output and burnt three times their fuel (a new blast furnace; its electricity and
    # heat, which the supply balance of the month holds, unchanged). (太原市's steel is
    # one dominant works: its warnings are suppressed, as its accounts are.)
    def tripled(column):
        def change(row):
            fuel = row.get("industry_code") == "31" and row.get("use") == "终端消费"
            if row["division_code"].startswith("1408") and (
                (fuel and row.get("energy_name") not in {"电力", "热力"})
                or row.get("product_name") == "粗钢"
            ):
                decimals = len(row[column].partition(".")[2])
                row[column] = f"{float(row[column]) * 3:.{decimals}f}"
            return row

        return change

    stats = settings.landing_dir / "stats"
    rewrite(stats / "industrial_output" / "2021-06_quick.csv", tripled("quantity"))
    rewrite(stats / "energy_consumption" / "2021-06_quick.csv", tripled("quantity"))
    outcome = materialise_everything(settings)
    assert outcome.success, "\n".join(outcome.failure_lines)

    after = read(settings, "emission_warnings", "period = '2021-06'")
    row = after.filter(pl.struct(key) == dict(zip(key, steel, strict=True))).row(0, named=True)
    assert row["level"] == "红" and row["value"] > 10, row
    assert row["reason_zh"].startswith("运城市钢铁行业2021年1–6月排放同比增长"), row
    assert "超过红色预警阈值10.0%" in row["reason_zh"] and row["drivers_zh"], row
    assert row["threshold"] == 10.0 and row["is_latest"]
    # Only 运城市's steel changed: another city's steel warning is what it was.
    other = ("140400", "steel", "ytd_growth_pct")
    same = [
        frame.filter(pl.struct(key) == dict(zip(key, other, strict=True)))["value"][0]
        for frame in (before, after)
    ]
    assert same[0] == pytest.approx(same[1], rel=1e-12)
    # The province's steel rises with it, and the city's total names steel among its drivers.
    total = after.filter(
        (pl.col("division_code") == "140800") & (pl.col("sector_code") == "all")
        & (pl.col("indicator") == "ytd_growth_pct")
    ).row(0, named=True)  # fmt: skip
    assert "钢铁" in (total["drivers_zh"] or ""), total
