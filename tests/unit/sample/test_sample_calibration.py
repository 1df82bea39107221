"""The sample's magnitudes: CO2 against CEADs with the factor seeds, structure, seasons."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sample_helpers import REPO, read_any, seed

from reference import flagged

CEADS_2019_SCOPE1_MT = 564.86
CEADS_FILE = REPO.parent / "shared" / "reference" / "ceads_shanxi_province_emissions.csv"
COMBUSTION_USES = flagged("ref_energy_uses", "is_combustion")  # as the accounts count CO2


def co2_factors() -> pl.DataFrame:
    """tCO2 per canonical unit of each fuel, computed from the factor seed by hand."""
    factors = seed("ref_energy_factors").filter(pl.col("factor_set") == "provincial_guidelines")
    return factors.select(
        "energy_name",
        (
            pl.col("ncv_gj_per_unit").cast(pl.Float64)
            * pl.col("carbon_content_tc_per_tj").cast(pl.Float64)
            / 1000.0
            * pl.col("oxidation_rate").cast(pl.Float64)
            * 44.0
            / 12.0
        ).alias("tco2_per_unit"),
    )


def in_canonical_units(frame: pl.DataFrame) -> pl.DataFrame:
    units = seed("ref_units").select(
        "unit", pl.col("to_canonical_multiplier").cast(pl.Float64).alias("multiplier")
    )
    joined = frame.join(units, on="unit", how="left")
    assert joined["multiplier"].null_count() == 0
    return joined.with_columns(
        (pl.col("quantity").cast(pl.Float64) * pl.col("multiplier")).alias("canonical")
    )


def combustion_tco2(frame: pl.DataFrame, *, by: str | None = None):
    rows = in_canonical_units(frame.filter(pl.col("use").is_in(COMBUSTION_USES)))
    rows = rows.join(co2_factors(), on="energy_name", how="left").with_columns(
        (pl.col("canonical") * pl.col("tco2_per_unit").fill_null(0.0)).alias("tco2")
    )
    if by is None:
        return rows["tco2"].sum()
    return dict(rows.group_by(by).agg(pl.col("tco2").sum()).iter_rows())


def process_tco2(root: Path, year: int, report_type: str = "annual") -> float:
    files = sorted((root / "stats/industrial_output").glob(f"{year}-*_{report_type}.csv"))
    assert len(files) == 12
    output = in_canonical_units(pl.concat(read_any(path) for path in files))
    factors = seed("ref_process_factors").select(
        "product_name", pl.col("value_tco2_per_t").cast(pl.Float64)
    )
    output = output.join(factors, on="product_name", how="left")
    return (output["canonical"] * output["value_tco2_per_t"].fill_null(0.0)).sum()


def energy(root: Path, name: str) -> pl.DataFrame:
    return read_any(root / "stats/energy_consumption" / name)


def test_2019_matches_ceads_with_the_seed_factors(landing):
    root, _ = landing
    combustion = combustion_tco2(energy(root, "2019_annual.csv"))
    process = process_tco2(root, 2019)
    total_mt = (combustion + process) / 1e6
    assert abs(total_mt - CEADS_2019_SCOPE1_MT) / CEADS_2019_SCOPE1_MT < 0.02
    clinker = in_canonical_units(
        pl.concat(
            read_any(path) for path in (root / "stats/industrial_output").glob("2019-*_annual.csv")
        ).filter(pl.col("product_name") == "水泥熟料")
    )["canonical"].sum()
    assert clinker * 0.538 / 1e6 == pytest.approx(14.48, rel=0.03)  # CEADs cement process


def test_power_steel_and_coking_shares_in_2019(landing):
    root, _ = landing
    by_industry = combustion_tco2(energy(root, "2019_annual.csv"), by="industry_code")
    total = sum(by_industry.values()) + process_tco2(root, 2019)
    assert 0.50 <= by_industry["44"] / total <= 0.65
    assert 0.12 <= by_industry["31"] / total <= 0.20
    assert 0.05 <= by_industry["25"] / total <= 0.09


@pytest.mark.skipif(not CEADS_FILE.exists(), reason="shared CEADs reference copy not present")
def test_follows_the_ceads_trajectory_2015_2019(landing):
    root, _ = landing
    ceads = pl.read_csv(CEADS_FILE).with_columns(
        pl.col("sector").str.replace_all("_", " ").str.to_lowercase(),
        pl.col("source").str.replace_all("_", " ").str.to_lowercase(),
    )
    totals = ceads.filter(
        pl.col("sector").is_in(["total consumption", "totalemissions"])
        & (pl.col("source") == "scope 1 total")
    )
    for year in range(2015, 2020):
        expected = totals.filter(pl.col("year") == year)["emissions_mt_co2"].item()
        ours = (
            combustion_tco2(energy(root, f"{year}_annual.csv")) + process_tco2(root, year)
        ) / 1e6
        assert abs(ours - expected) / expected < 0.03, (year, ours, expected)


def test_growth_after_2019_then_flattening(landing):
    root, _ = landing
    totals = {
        year: combustion_tco2(energy(root, f"{year}_annual.csv")) + process_tco2(root, year)
        for year in range(2019, 2025)
    }
    for year in range(2020, 2024):
        assert 1.005 < totals[year] / totals[year - 1] < 1.04
    assert 0.99 < totals[2024] / totals[2023] < 1.015


def test_non_combustion_uses_are_large_and_separate(landing):
    root, _ = landing
    rows = in_canonical_units(energy(root, "2019_annual.csv"))
    coking_coal = rows.filter((pl.col("use") == "炼焦") & (pl.col("industry_code") == "25"))
    assert coking_coal["canonical"].sum() > 100e6  # > 100 Mt of coal into coke ovens
    washing = rows.filter(pl.col("use") == "洗选煤")
    assert set(washing["industry_code"]) == {"06"}
    feedstock = rows.filter(pl.col("use") == "原料用途")
    assert feedstock.height > 0 and "26" in set(feedstock["industry_code"])


def test_electricity_matches_the_province(landing):
    root, _ = landing
    rows = in_canonical_units(energy(root, "2023_annual.csv"))
    electricity_100m_kwh = rows.filter(pl.col("energy_name") == "电力")["canonical"].sum() / 1e5
    assert 2700 <= electricity_100m_kwh <= 3000


def test_steel_and_coking_are_concentrated(landing):
    root, _ = landing
    rows = energy(root, "2023_annual.csv")
    steel = rows.filter((pl.col("industry_code") == "31") & (pl.col("energy_name") == "焦炭"))
    assert 10 <= steel["division_code"].n_unique() <= 30
    coking = rows.filter(pl.col("use") == "炼焦")
    assert {"140781", "141181"} <= set(coking["division_code"])  # 介休, 孝义
    households = rows.filter(pl.col("industry_code") == "HH_URBAN")
    assert households["division_code"].n_unique() == 117


def test_quick_reports_and_the_annual_revision(landing):
    root, _ = landing
    quick = pl.concat(energy(root, f"2024-{m:02d}_quick.csv") for m in range(1, 13))
    annual = combustion_tco2(energy(root, "2024_annual.csv"))
    revision = annual / combustion_tco2(quick) - 1.0
    assert 0.01 <= revision <= 0.08


def test_heating_season_profile(landing):
    root, _ = landing

    def household_coal(month: int) -> float:
        rows = in_canonical_units(energy(root, f"2025-{month:02d}_quick.csv"))
        return rows.filter(
            pl.col("industry_code").str.starts_with("HH_") & (pl.col("energy_name") == "原煤")
        )["canonical"].sum()

    def heat_supply(month: int) -> float:
        return combustion_tco2(
            energy(root, f"2025-{month:02d}_quick.csv").filter(pl.col("use") == "供热")
        )

    assert household_coal(1) > 5 * household_coal(7)
    assert heat_supply(1) > 5 * heat_supply(6)
    # December's quick report arrives 20 days after the world's last day.
    power = [
        combustion_tco2(energy(root, f"2025-{m:02d}_quick.csv").filter(pl.col("use") == "火力发电"))
        for m in range(1, 12)
    ]
    assert power[0] > power[4]  # January above May


def test_industrial_output_magnitudes(landing):
    root, _ = landing
    rows = in_canonical_units(
        pl.concat(read_any(p) for p in (root / "stats/industrial_output").glob("2023-*_annual.csv"))
    )
    mt = dict(rows.group_by("product_name").agg(pl.col("canonical").sum() / 1e6).iter_rows())
    assert 90 <= mt["焦炭"] <= 105
    assert 55 <= mt["粗钢"] <= 70
    assert 40 <= mt["水泥"] <= 60
    assert set(rows.filter(pl.col("product_name") == "平板玻璃")["unit"]) <= {"重量箱", "万重量箱"}


def test_gdp_and_population(landing):
    root, _ = landing
    gdp = read_any(root / "stats/gdp/2023_annual.xlsx").with_columns(
        pl.col("gdp_100m_yuan", "real_growth_pct").cast(pl.Float64)
    )
    province = gdp.filter(pl.col("division_code") == "140000")
    assert province["gdp_100m_yuan"].item() == pytest.approx(25698.18)
    assert province["real_growth_pct"].item() == pytest.approx(5.0)
    cities = gdp.filter(pl.col("division_code").str.ends_with("00")).filter(
        pl.col("division_code") != "140000"
    )
    counties = gdp.filter(~pl.col("division_code").str.ends_with("00"))
    assert cities.height == 11 and counties.height == 117
    ratio = counties["gdp_100m_yuan"].sum() / cities["gdp_100m_yuan"].sum()
    assert 0.95 < ratio < 1.05 and ratio != 1.0  # roughly, not exactly
    population = read_any(root / "stats/population/2023.csv").with_columns(
        pl.col("resident_population_10k").cast(pl.Float64)
    )
    total = population.filter(pl.col("division_code") == "140000")["resident_population_10k"]
    assert 3400 <= total.item() <= 3500
    assert population.height == 1 + 11 + 117
