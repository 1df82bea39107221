"""Operations warnings on real runs: a re-delivered annual report that moves a county and its
city is named before publication; an old but correct landing zone publishes, with freshness
warnings at a pinned reference date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.operations import build_revisions_check
from orchestration.dbt import dbt_vars, run_dbt_cli
from orchestration.resources import WarehouseResource
from orchestration.runner import materialise_everything
from orchestration.settings import Settings
from quality.gate import load_thresholds
from quality.operations import REVISION_THRESHOLD
from reference import read_seed

pytestmark = pytest.mark.integration

HEADER = (
    "period,report_type,division_code,industry_code,energy_name,use,quantity,unit,reporting_units"
)
# 2023 annual final of three counties: 小店区 and 迎泽区 of 太原市, 平城区 of 大同市 (万吨 of 原煤).
ORIGINAL = {
    ("140105", "31", "原煤", "终端消费"): 100,
    ("140105", "31", "原煤", "原料用途"): 5,  # non-energy use: no combustion CO2
    ("140106", "44", "原煤", "火力发电"): 50,
    ("140106", "44", "原煤", "终端消费"): 10,
    ("140213", "31", "原煤", "终端消费"): 20,
}
ELECTRICITY = "2023,annual,140106,44,电力,终端消费,500,万千瓦时,3"  # indirect only: no CO2 here


def energy_report(quantities: dict[tuple[str, str, str, str], float]) -> str:
    rows = [
        f"2023,annual,{division},{industry},{energy},{use},{quantity},万吨,4"
        for (division, industry, energy, use), quantity in quantities.items()
    ]
    return "\n".join([HEADER, *rows, ELECTRICITY]) + "\n"


GDP_HEADER = (
    "period,report_type,division_code,gdp_100m_yuan,real_growth_pct,secondary_industry_100m_yuan"
)


def gdp_report(gdp_of_xiaodian: float) -> str:
    rows = [
        "2023,annual,140000,25698.18,5.0,12000",
        "2023,annual,140100,5573.74,5.6,2000",
        f"2023,annual,140105,{gdp_of_xiaodian},6.1,300",
    ]
    return "\n".join([GDP_HEADER, *rows]) + "\n"


def coal_tco2_per_t() -> float:
    """原煤 of the default factor set: NCV × carbon content / 1000 × oxidation × 44/12."""
    factors = read_seed("ref_energy_factors")
    row = factors.filter(
        (factors["factor_set"] == "provincial_guidelines") & (factors["energy_name"] == "原煤")
    ).row(0, named=True)
    ncv, carbon, oxidation = (
        float(row[name])
        for name in ("ncv_gj_per_unit", "carbon_content_tc_per_tj", "oxidation_rate")
    )
    return ncv * carbon / 1000 * oxidation * 44 / 12


@pytest.fixture(scope="module")
def revised(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A hand-built landing zone: the 2023 annual energy report, loaded; then a re-delivery
    raising 小店区's coal by 30 %, loaded by the ingest asset; the revision models built."""
    home = tmp_path_factory.mktemp("revised")
    settings = Settings.from_env({"EMISSIONS_HOME": str(home), "EMISSIONS_AS_OF": "2024-11-05"})
    folder = settings.landing_dir / "stats" / "energy_consumption"
    folder.mkdir(parents=True)
    gdp = settings.landing_dir / "stats" / "gdp"
    gdp.mkdir(parents=True)
    (folder / "2023_annual.csv").write_text(energy_report(ORIGINAL), encoding="utf-8")
    (gdp / "2023_annual.csv").write_text(gdp_report(1000.0), encoding="utf-8")
    feeds = "key:raw_stats__energy_consumption or key:raw_stats__gdp"
    assert materialise_everything(settings, selection=feeds).success
    raised = {**ORIGINAL, ("140105", "31", "原煤", "终端消费"): 130}
    (folder / "revision").mkdir()
    (folder / "revision" / "2023_annual.csv").write_text(energy_report(raised), encoding="utf-8")
    (gdp / "revised").mkdir()
    (gdp / "revised" / "2023_annual.csv").write_text(gdp_report(1100.0), encoding="utf-8")
    assert materialise_everything(settings, selection=feeds).success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        statuses = con.execute(
            "select feed, status from audit.file_deliveries order by feed, received_at"
        ).fetchall()
    assert statuses == [
        ("stats/energy_consumption", "superseded"),
        ("stats/energy_consumption", "loaded"),
        ("stats/gdp", "superseded"),
        ("stats/gdp", "loaded"),
    ]
    completed = run_dbt_cli(
        [
            "build",
            "--select",
            "+int_revisions__division_changes +int_emissions__county_industry_fuel",
            "--indirect-selection",
            "cautious",  # no test of a node outside the selection
            "--vars",
            dbt_vars(settings.factor_set, settings.first_year, settings.last_year),
        ],
        settings.warehouse_path,
        home / "dbt_target",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    return settings


def test_the_revision_check_warns_naming_the_county_its_city_and_the_change(revised):
    check = build_revisions_check("stats/energy_consumption", [dg.AssetKey("published_x")])
    with dg.DagsterInstance.ephemeral() as instance:  # nothing published yet
        context = dg.build_asset_check_context(
            instance=instance,
            resources={"warehouse": WarehouseResource(path=str(revised.warehouse_path))},
        )
        result = check(context)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    factor = coal_tco2_per_t()
    change = 300_000 * factor  # 30 万吨 more coal burnt in 小店区
    line = result.description
    assert line.startswith(
        "stats/energy_consumption 2023 annual: revision/2023_annual.csv against 2023_annual.csv "
        "moves energy CO2 of "
    ), line
    # 小店区: 100 → 130 万吨 burnt (its 5 万吨 of feedstock never counts): +30 %
    assert (
        f"小店区 140105 (太原市) {1_000_000 * factor:,.0f} → {1_300_000 * factor:,.0f} tCO2 "
        f"({change:+,.0f} tCO2, +30.0%)"
    ) in line
    # 太原市: its counties' 160 → 190 万吨: +18.75 %; the province 180 → 210: +16.7 %
    assert f"city 太原市 140100 {1_600_000 * factor:,.0f} → {1_900_000 * factor:,.0f}" in line
    assert "+18.8%" in line and "province 山西省 140000" in line and "+16.7%" in line
    # unchanged divisions are not named
    assert "迎泽区" not in line and "平城区" not in line and "大同市" not in line
    (revision,) = result.metadata["revisions"].value
    by_code = {d["division_code"]: d for d in revision["divisions"]}
    assert by_code["140105"]["change"] == pytest.approx(change, abs=0.01)
    assert by_code["140100"]["change_pct"] == pytest.approx(18.75)
    assert revision["previous_file"] == "stats/energy_consumption/2023_annual.csv"
    assert revision["revised_file"] == "stats/energy_consumption/revision/2023_annual.csv"


def test_a_gdp_revision_names_the_division_whose_delivered_gdp_moved(revised):
    """GDP at current prices is compared as delivered for each division (the levels need not
    add up): 小店区 1,000 → 1,100 亿元 is +10 %; 太原市 and the province, delivered unchanged,
    are not named."""
    check = build_revisions_check("stats/gdp", [dg.AssetKey("published_x")])
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_asset_check_context(
            instance=instance,
            resources={"warehouse": WarehouseResource(path=str(revised.warehouse_path))},
        )
        result = check(context)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description == (
        "stats/gdp 2023 annual: revised/2023_annual.csv against 2023_annual.csv moves GDP at "
        "current prices of county 小店区 140105 (太原市) 1,000 → 1,100 亿元 (+100 亿元, +10.0%)"
    )


def test_each_vintage_is_totalled_as_the_accounts_compute_energy_co2(revised):
    """The current vintage's county totals are the accounts' energy CO2 of 2023, to the gram."""
    with duckdb.connect(str(revised.warehouse_path), read_only=True) as con:
        accounts = dict(
            con.execute(
                "select division_code, sum(energy_tco2) "
                "from intermediate.int_emissions__county_industry_fuel where year = 2023 "
                "group by 1"
            ).fetchall()
        )
        current = dict(
            con.execute(
                "select division_code, revised_value "
                "from intermediate.int_revisions__division_changes "
                "where is_current and division_level = 'county' and measure = 'energy_tco2'"
            ).fetchall()
        )
    assert current == accounts and len(current) == 3


def test_a_small_revision_stays_below_the_threshold(revised):
    """The threshold is a fact of quality/thresholds.yml: above 30 %, nothing is named."""
    from quality.operations import revisions

    assert load_thresholds()[REVISION_THRESHOLD] < 16
    with duckdb.connect(str(revised.warehouse_path), read_only=True) as con:
        assert revisions(con, "stats/energy_consumption", 30.5) == []
        assert len(revisions(con, "stats/energy_consumption", 29.5)) == 1


def test_a_2022_only_landing_zone_publishes_with_freshness_warnings(tmp_path: Path):
    """Correct accounts of 2022 alone are published, whatever the date; that the 2022 annual
    finals and the later periods are late is a warning, as of a pinned reference date. The
    world as of 2022-12-31 has its quicks to November (December's arrives on 2023-01-20)."""
    from sample import generate_landing_zone

    settings = Settings.from_env(
        {"EMISSIONS_HOME": str(tmp_path / "home"), "EMISSIONS_AS_OF": "2024-06-30"}
    )
    generate_landing_zone(
        settings.landing_dir, first_year=2022, as_of=date(2022, 12, 31), seed=11, daily_days=3
    )
    outcome = materialise_everything(settings)
    assert outcome.success, "\n".join(outcome.failure_lines)
    published = settings.published_dir / "emissions_by_city"
    rows = duckdb.sql(
        f"select year, count(*) from read_parquet('{published}/year=*/*.parquet', "
        "hive_partitioning = true) group by year"
    ).fetchall()
    assert rows == [(2022, 11)]  # every city, 2022 only
    warnings = "\n".join(outcome.warning_lines)
    assert (
        "check raw_stats__energy_consumption:freshness: stats/energy_consumption: no annual "
        "final delivered, expected 2022 by 2023-10-31; latest monthly quick report 2022-11, "
        "expected 2024-05 by 2024-06-20"
    ) in warnings, warnings
    assert "power/meter_daily: latest daily meter readings 2022-12-31, expected 2024-06-29" in (
        warnings
    )
    assert all(line.startswith("check ") for line in outcome.warning_lines)


def test_the_sample_as_of_the_day_after_its_world_ends_has_no_freshness_warning(built):
    """The shared sample (2017-2020) judged as of 2021-01-01 (tests/integration/conftest.py):
    every report due by then was delivered, so nothing warns of lateness."""
    assert built.outcome.success, built.outcome.failure_lines
    assert not [line for line in built.outcome.warning_lines if ":freshness:" in line]
