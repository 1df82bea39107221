"""The grid emission factor releases of the sample world: the real published values only.

The values, documents and publication dates are the project's seed ``ref_grid_factors.csv``
(MEE/NBS releases); one file per year of the world's range whose release was published by
the world's as-of date (by the morning after it, as every delivery): nothing is delivered
before it exists.
"""

from __future__ import annotations

import polars as pl

from ingest.feeds import GRID_FACTORS
from reference import read_seed
from sample.arrivals import landing_day
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv

GRID_COLUMNS = list(GRID_FACTORS.columns)  # the contract's columns, in its order


def write_grid_factors(world: World, recorder: Recorder) -> None:
    feed = "factors/grid"
    releases = read_seed("ref_grid_factors", world.seeds_dir).select(GRID_COLUMNS)
    world_end = landing_day(world.as_of).isoformat()
    for year in world.years:
        frame = releases.filter(
            (pl.col("year") == str(year)) & (pl.col("published_on") <= world_end)
        )
        if frame.height == 0:
            continue
        out = recorder.path(feed, f"{year}.csv")
        recorder.record(feed, frame.height, write_csv(frame, out))
