"""The sample world draws its codes from the seeds: every code it delivers is a seed's, every
code of a seed it has calibration for is delivered, and a code without calibration is named."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import polars as pl
import pytest
from sample_helpers import SEEDS, read_any

from reference import codes, flagged
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
            out, first_year=2024, last_year=2025, daily_days=2, seeds_dir=seeds_with_new_codes
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
        generate_landing_zone(tmp_path / "landing", first_year=2024, last_year=2025, daily_days=1)
    sample_warnings = [w for w in caught if "sample world" in str(w.message)]
    assert len(sample_warnings) == len(expected)
