"""Industrial output of the sample world: province totals per product and their county split.

Shared by the industrial-output feed, the carbon market (steel, cement and aluminium
plants' output) and the calibration (process CO2 = output x the process factor seed). The
products are those of ``ref_products`` the sample has magnitudes for (``parameters``).
"""

from __future__ import annotations

import numpy as np

from sample import parameters as p
from sample.world import World

# The products the sample has a magnitude for: INDUSTRIAL_OUTPUT_10K_T, and clinker (sized
# from the process CO2 of CEADs).
CALIBRATED_PRODUCTS = frozenset(p.INDUSTRIAL_OUTPUT_10K_T) | {p.CLINKER_PRODUCT}


def sample_products(world: World) -> tuple[str, ...]:
    """The products of ``ref_products`` the sample world makes, in the seed's order."""
    return tuple(product for product in world.vocabulary.products if product in CALIBRATED_PRODUCTS)


def clinker_10k_t(world: World, year: int) -> float:
    """Clinker output (万吨) whose process CO2 equals the CEADs cement process CO2."""
    factor = world.process_factors[p.CLINKER_PRODUCT]
    return p.interpolate(p.PROCESS_MT, year) * 100.0 / factor


def province_output_t(world: World, product: str, year: int) -> float:
    """The province's output of ``product`` in ``year``, tonnes.

    A product counted in weight cases (ref_products.allows_weight_cases) has its magnitude in
    万重量箱, converted with ref_units (1 万重量箱 = 10^4 x 50 kg = 500 t)."""
    if product == p.CLINKER_PRODUCT:
        return clinker_10k_t(world, year) * 1e4
    value = p.interpolate(p.INDUSTRIAL_OUTPUT_10K_T[product], year)
    if product in world.vocabulary.weight_case_products:
        return value * world.unit_multipliers["万重量箱"]
    return value * 1e4


def process_tco2(world: World, year: int) -> float:
    """Process CO2 of the province in ``year`` with the process factor seed."""
    return sum(
        province_output_t(world, product, year) * world.process_factors.get(product, 0.0)
        for product in sample_products(world)
    )


def county_weights(world: World, product: str) -> np.ndarray:
    """Share of each county (in ``world.county_codes`` order) in the product's output."""
    industry = world.industry_weights
    profiles = world.profiles

    def normalised(values: np.ndarray) -> np.ndarray:
        return values / values.sum()

    # Most products are made where their industry is (ref_products.industry_code).
    made_by = industry[world.vocabulary.product_industries[product]]
    weights = {
        "粗钢": made_by,
        "生铁": made_by,
        "焦炭": made_by,
        "水泥熟料": made_by,
        "水泥": 0.6 * industry["30"] + 0.4 * normalised(profiles["population"]),
        "平板玻璃": normalised(profiles["glass"]),
        "电解铝": normalised(profiles["smelter"]),
        "合成氨": normalised(profiles["ammonia"]),
        "电石": normalised(profiles["carbide"]),
        "石灰": 0.5 * industry["31"] + 0.5 * industry["30"],
    }[product]
    return normalised(np.asarray(weights, dtype=float))


def county_output_t(world: World, product: str, year: int) -> np.ndarray:
    """Output of every county in ``year`` (tonnes), with a small year-to-year jitter."""
    weights = county_weights(world, product) * world.rng("output-year", product, year).lognormal(
        0.0, 0.04, len(world.county_codes)
    )
    return province_output_t(world, product, year) * weights / weights.sum()
