"""Industrial output of the sample world: province totals per product and their county split.

Shared by the industrial-output feed, the carbon market (steel, cement and aluminium
plants' output) and the calibration (process CO2 = output x the process factor seed).
"""

from __future__ import annotations

import numpy as np

from sample import parameters as p
from sample.world import World

PRODUCTS = (
    "粗钢", "生铁", "焦炭", "水泥熟料", "水泥", "平板玻璃", "电解铝", "合成氨", "电石", "石灰",
)  # fmt: skip
# 平板玻璃 is counted in weight cases: 1 万重量箱 = 10^4 x 50 kg = 500 t.
TONNES_PER_10K_WEIGHT_CASES = 500.0


def clinker_10k_t(year: int) -> float:
    """Clinker output (万吨) whose process CO2 equals the CEADs cement process CO2."""
    return p.interpolate(p.PROCESS_MT, year) * 100.0 / p.CLINKER_PROCESS_TCO2_PER_T


def province_output_t(product: str, year: int) -> float:
    """The province's output of ``product`` in ``year``, tonnes."""
    if product == "水泥熟料":
        return clinker_10k_t(year) * 1e4
    value = p.interpolate(p.INDUSTRIAL_OUTPUT_10K_T[product], year)
    if product == "平板玻璃":
        return value * TONNES_PER_10K_WEIGHT_CASES
    return value * 1e4


def process_tco2(world: World, year: int) -> float:
    """Process CO2 of the province in ``year`` with the process factor seed."""
    return sum(
        province_output_t(product, year) * world.process_factors.get(product, 0.0)
        for product in PRODUCTS
    )


def county_weights(world: World, product: str) -> np.ndarray:
    """Share of each county (in ``world.county_codes`` order) in the product's output."""
    industry = world.industry_weights
    profiles = world.profiles

    def normalised(values: np.ndarray) -> np.ndarray:
        return values / values.sum()

    weights = {
        "粗钢": industry["31"],
        "生铁": industry["31"],
        "焦炭": industry["25"],
        "水泥熟料": industry["30"],
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
    return province_output_t(product, year) * weights / weights.sum()
