"""The sample world draws its codes from the seeds: every code it delivers is a seed's, every
code of a seed it has calibration for is delivered, and a code without calibration is named."""

from __future__ import annotations

import shutil
import warnings
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sample_helpers import SEEDS, read_any

from reference import codes, flagged, read_seed
from sample import generate_landing_zone
from sample.generate import uncalibrated_codes
from sample.world import World


def delivered(root: Path, feed: str, column: str) -> set[str]:
    return {
        code
        for path in sorted((root / feed).iterdir())
        for code in read_any(path)[column].drop_nulls().to_list()
    }


def test_the_delivered_codes_are_the_seeds_calibrated_codes(landing):
    root, _ = landing
    missing = uncalibrated_codes(World(42, 2015, 2025, SEEDS))
    for feed, column, seed in (
        ("stats/industrial_output", "product_name", "ref_products"),
        ("power/accounts", "customer_type", "ref_customer_types"),
        ("ets/entities", "ets_sector", "ref_ets_sectors"),
    ):
        expected = set(codes(seed)) - set(missing.get(seed, ()))
        assert delivered(root, feed, column) == expected, feed
    assert delivered(root, "stats/energy_consumption", "use") <= set(codes("ref_energy_uses"))
    assert delivered(root, "stats/energy_supply", "item") <= set(codes("ref_supply_items"))
    assert delivered(root, "power/generation_daily", "fuel_type") <= set(codes("ref_fuel_types"))
    # Coal consumption is delivered for the coal-fired plants only (ref_fuel_types).
    generation = pl.concat(
        read_any(path) for path in sorted((root / "power/generation_daily").iterdir())
    )
    coal_fired = generation["fuel_type"].is_in(flagged("ref_fuel_types", "is_coal_fired"))
    assert generation.filter(coal_fired)["coal_consumption_tce"].null_count() == 0
    assert generation.filter(~coal_fired)["coal_consumption_tce"].is_null().all()
    # Weight cases only for the product that allows them (ref_products.allows_weight_cases).
    output = pl.concat(
        read_any(path) for path in sorted((root / "stats/industrial_output").iterdir())
    )
    in_cases = output.filter(pl.col("unit").str.contains("重量箱"))
    assert set(in_cases["product_name"]) == set(flagged("ref_products", "allows_weight_cases"))


@pytest.fixture
def seeds_with_new_codes(tmp_path: Path) -> Path:
    """The project's seeds with a new product and a new customer type, neither calibrated."""
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    products = copy / "ref_products.csv"
    products.write_text(
        products.read_text(encoding="utf-8") + '硅铁,Ferrosilicon,31,false,"a test product"\n',
        encoding="utf-8",
    )
    customers = copy / "ref_customer_types.csv"
    customers.write_text(
        customers.read_text(encoding="utf-8") + '充换电,EV charging,"a test customer type"\n',
        encoding="utf-8",
    )
    return copy


def test_a_code_without_calibration_is_named_and_not_generated(seeds_with_new_codes, tmp_path):
    out = tmp_path / "landing"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        generate_landing_zone(
            out,
            first_year=2024,
            as_of=date(2025, 12, 31),
            daily_days=2,
            seeds_dir=seeds_with_new_codes,
        )
    messages = [str(warning.message) for warning in caught]
    assert any("硅铁" in m and "ref_products" in m for m in messages), messages
    assert any("充换电" in m and "ref_customer_types" in m for m in messages), messages
    assert "硅铁" not in delivered(out, "stats/industrial_output", "product_name")
    assert "充换电" not in delivered(out, "power/accounts", "customer_type")
    # Everything else is generated as with the project's seeds.
    assert delivered(out, "stats/industrial_output", "product_name") == set(codes("ref_products"))


def test_a_warning_for_each_seed_with_codes_without_calibration(tmp_path):
    # With the project's seeds: as many warnings as seeds with uncalibrated codes (none today).
    expected = uncalibrated_codes(World(42, 2024, 2025, SEEDS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        generate_landing_zone(
            tmp_path / "landing", first_year=2024, as_of=date(2025, 12, 31), daily_days=1
        )
    sample_warnings = [w for w in caught if "sample world" in str(w.message)]
    assert len(sample_warnings) == len(expected)


def test_the_calibration_is_keyed_by_codes_of_the_seeds():
    # Every code a calibration table of the sample names is a code of its seed: a code
    # renamed or dropped in a seed cannot leave calibration behind silently.
    from sample import energy, ets, fleet, power, statistics, world
    from sample import parameters as p

    products, uses = set(codes("ref_products")), set(codes("ref_energy_uses"))
    customer_types, fuel_types = set(codes("ref_customer_types")), set(codes("ref_fuel_types"))
    varieties, industries = set(codes("ref_energy_varieties")), set(codes("ref_industry_sectors"))
    sectors = set(codes("ref_ets_sectors"))
    units = dict(read_seed("ref_units").select("unit", "canonical_unit").iter_rows())

    assert set(p.INDUSTRIAL_OUTPUT_10K_T) | {p.CLINKER_PRODUCT} <= products
    assert set(statistics.OUTPUT_SHAPE) | set(ets.INTENSITY_TCO2_PER_T) <= products
    assert set(power.ELECTRICITY_KWH_PER_T) <= products
    assert set(p.INDUSTRIES) <= industries and set(energy.REPORTING_UNITS_MEAN) <= industries
    assert set(p.TRANSFORMATION_DRIVERS) | set(p.USE_SHAPES) <= uses
    assert set(p.SERVICES_HEATING_FUELS) <= varieties and power.COAL_PLANT_FUEL in varieties
    assert set(statistics.SUPPLY_UNITS) <= varieties
    assert set(statistics.SUPPLY_UNITS.values()) <= set(units)
    assert set(p.ETS_UNCOVERED_UNITS) | set(world.ETS_PLANTS) <= sectors
    for table in (power.WEEKDAY_FACTORS, power.DAILY_NOISE, power.SEASONAL_SHAPE):
        assert set(table) <= customer_types
    assert set(power.ACCOUNT_SIZE_KWH) <= customer_types
    assert {power.HOUSEHOLD_CUSTOMER_TYPE, power.CARBON_MARKET_CUSTOMER_TYPE} <= customer_types
    for table in (power.FUEL_SEASON, fleet.FULL_LOAD_HOURS, power.GAS_TCO2_PER_MWH):
        assert set(table) <= fuel_types
    assert (
        set(power.WEATHER_DRIVEN_FUEL_TYPES) | set(world.EXPORT_CORRIDOR_FUEL_TYPES) <= fuel_types
    )
    assert set(world.PLANT_SUFFIXES) <= fuel_types
    for canonical, (default, alternatives) in energy.UNIT_CHOICES.items():
        for unit in [default, *(alternative[0] for alternative in alternatives)]:
            assert units[unit] == canonical, unit
    assert set(energy.UNIT_DECIMALS) <= set(units)
    flow_units = set(units) | set(p.FLOW_UNITS_OUTSIDE_THE_CONTRACT) | {"MtCO2"}
    for industry, energy_name, use, _, unit in p.BASE_FLOWS:
        assert industry in industries and energy_name in varieties and use in uses
        assert unit in flow_units, unit
