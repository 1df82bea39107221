"""The sample world passes the year-on-year plausibility gates without an explanation.

The gates (quality/suites/emissions_by_{county,city,sector}.yml) block a release in which a
division's or a key sector's total changes by more than the bound of quality/thresholds.yml
from one year to the next, unless the seed ref_revision_explanations (the statistics office's
decisions, not sample data) accepts the change. So the sample's own totals, computed here from
the world (the statistics' county cells times the factor seed, plus the process CO2 of the
counties' output), never the platform, must stay within the bounds every year.
"""

from __future__ import annotations

import polars as pl
import pytest
import yaml
from sample_helpers import SEEDS, seed

from quality.gate import THRESHOLDS_FILE
from sample.energy import EnergyModel
from sample.output import county_output_t, sample_products
from sample.world import World, gate_threshold

# The default world (2015 to the end of 2025) and the integration suite's (seed 7, 2017-2020).
WORLDS = [(7, 2015, 2025), (7, 2017, 2020)]


def bound(name: str) -> float:
    return float(yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8"))[name]["value"])


def county_sector_totals(world: World) -> pl.DataFrame:
    """year, division_code, city_code, sector_code, tco2 (combustion and process)."""
    model = EnergyModel(world)
    industry_sectors = seed("ref_industry_sectors").select("industry_code", "sector_code")
    product_sectors = dict(
        seed("ref_products")
        .join(industry_sectors, on="industry_code")
        .select("product_name", "sector_code")
        .iter_rows()
    )
    frames = []
    for year in world.years:
        combustion = (
            model.county_table(year)
            .join(model.flow_attributes(), on="flow")
            .join(industry_sectors, on="industry_code", how="left")
            .group_by("division_code", "sector_code")
            .agg((pl.col("quantity") * pl.col("co2_per_unit")).sum().alias("tco2"))
        )
        process = pl.concat(
            pl.DataFrame(
                {
                    "division_code": world.county_codes,
                    "sector_code": product_sectors[product],
                    "tco2": county_output_t(world, product, year)
                    * world.process_factors.get(product, 0.0),
                }
            )
            for product in sample_products(world)
        )
        frames.append(pl.concat([combustion, process]).with_columns(pl.lit(year).alias("year")))
    cities = world.counties.select("division_code", "city_code")
    return pl.concat(frames).join(cities, on="division_code")


def changes(totals: pl.DataFrame, key: str) -> pl.DataFrame:
    """key, year, change_pct against the year before (as the gates compute it)."""
    by_year = totals.group_by(key, "year").agg(pl.col("tco2").sum()).sort(key, "year")
    return by_year.with_columns(
        (100 * (pl.col("tco2") / pl.col("tco2").shift(1).over(key) - 1)).alias("change_pct")
    ).drop_nulls("change_pct")


@pytest.mark.parametrize(("seed_", "first_year", "last_year"), WORLDS)
def test_county_city_and_sector_totals_stay_within_the_year_on_year_bounds(
    seed_, first_year, last_year
):
    world = World(seed_, first_year, last_year, SEEDS)
    totals = county_sector_totals(world)
    division_bound = bound("yoy_change_max_pct")
    assert gate_threshold("yoy_change_max_pct") == division_bound  # the siting reads the same
    for key, limit in (
        ("division_code", division_bound),
        ("city_code", division_bound),
        ("sector_code", bound("sector_yoy_change_max_pct")),
    ):
        found = changes(totals, key)
        assert found.height == totals[key].n_unique() * (last_year - first_year)
        beyond = found.filter(pl.col("change_pct").abs() > limit)
        assert beyond.is_empty(), f"{key}: changes beyond {limit} %:\n{beyond}"


def test_plants_opening_and_closing_still_move_their_county():
    """The siting keeps the drift: a county where a coal plant opens or closes within the
    world's years sees its coal for power move by several percent."""
    world = World(7, 2015, 2025, SEEDS)
    model = EnergyModel(world)
    plants = world.plants.filter(pl.col("fuel_type").is_in(world.vocabulary.coal_fired_fuel_types))
    opening = plants.filter(pl.col("commissioned_year").is_between(2016, 2024))
    closing = plants.filter(pl.col("closed_year").is_between(2016, 2024))
    assert opening.height >= 5 and closing.height >= 5
    moved = []
    for row in pl.concat([opening, closing]).iter_rows(named=True):
        year = row["closed_year"] or row["commissioned_year"]
        before = model.coal_for_power_tce(year - 1)[row["division_code"]]
        after = model.coal_for_power_tce(year + 1)[row["division_code"]]
        moved.append(abs(after / before - 1))
    assert sorted(moved)[len(moved) // 2] > 0.05


@pytest.mark.parametrize(("seed_", "first_year", "last_year"), WORLDS)
def test_no_county_emits_more_per_resident_than_the_range_gate_allows(seed_, first_year, last_year):
    world = World(seed_, first_year, last_year, SEEDS)
    totals = county_sector_totals(world).group_by("division_code", "year").agg(pl.col("tco2").sum())
    residents = pl.concat(
        pl.DataFrame(
            {
                "division_code": world.county_codes,
                "year": year,
                "residents": world.population(year) * 1e4,
            },
            schema_overrides={"year": pl.Int32},
        )
        for year in world.years
    )
    per_capita = totals.join(residents, on=["division_code", "year"]).with_columns(
        (pl.col("tco2") / pl.col("residents")).alias("tco2_per_capita")
    )
    assert per_capita.height == len(world.county_codes) * len(world.years)
    beyond = per_capita.filter(pl.col("tco2_per_capita") > bound("per_capita_max_tco2"))
    assert beyond.is_empty(), beyond
