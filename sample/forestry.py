"""The carbon sinks of the sample world (forestry/carbon_sinks): forest and grassland of every
county and year, and the year's net removals.

The province's forest area follows the provincial inventory of 2019 (sample/parameters.py,
cited there) and its announced yearly gain; everything else is synthetic and says so in each
row's `method`: the counties' shares (seeded draws, more forest in counties than in city
districts), the growing stock and the sink (the stock-change idea of IPCC 2006 Vol. 4 with
made-up parameters). A year's file arrives when the delivery calendar has it due (the
inventory's results about a year after the year, quality/delivery_calendar.yml).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ingest.feeds import CARBON_SINKS
from sample import parameters as p
from sample.arrivals import has_arrived
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv

FEED = CARBON_SINKS.feed
METHOD = "样例数据（合成）：森林蓄积量变化法（IPCC 2006 第4卷思路，参数虚构）+ 草地单位面积汇"


def _county_shares(world: World, key: str) -> np.ndarray:
    kind = world.counties["kind"].to_numpy()
    weight = np.where(kind == "district", 0.15, 1.0) * world.rng("carbon-sinks", key).lognormal(
        0.0, 0.6, kind.size
    )
    return weight / weight.sum()


def carbon_sinks(world: World, year: int) -> pl.DataFrame:
    """The year's rows of every county, in the contract's columns."""
    forest_share = _county_shares(world, "forest")
    grass_share = _county_shares(world, "grassland")
    forest = (
        p.FOREST_AREA_2019_HA + p.FOREST_AREA_GROWTH_HA_PER_YEAR * (year - 2019)
    ) * forest_share
    stock = forest * p.FOREST_STOCK_M3_PER_HA
    grassland = p.GRASSLAND_AREA_HA * grass_share
    per_m3 = p.BIOMASS_T_PER_M3 * (1 + p.ROOT_TO_SHOOT_RATIO) * p.CARBON_FRACTION * 44 / 12
    sink = stock * p.FOREST_STOCK_GROWTH_RATE * per_m3 + grassland * p.GRASSLAND_SINK_TCO2_PER_HA
    return pl.DataFrame(
        {
            "year": str(year),
            "division_code": world.county_codes,
            "forest_area_ha": [f"{v:.1f}" for v in forest],
            "forest_stock_m3": [f"{v:.0f}" for v in stock],
            "grassland_area_ha": [f"{v:.1f}" for v in grassland],
            "sink_tco2": [f"{v:.0f}" for v in sink],
            "method": METHOD,
        }
    ).select(CARBON_SINKS.columns)


def write_carbon_sinks(world: World, recorder: Recorder) -> None:
    for year in world.years:
        if not has_arrived(FEED, None, dt.date(year, 1, 1), world.as_of):
            continue
        frame = carbon_sinks(world, year)
        out = recorder.path(FEED, f"{year}.csv")
        recorder.record(FEED, frame.height, write_csv(frame, out))
