"""The dispatched plants' annual generation: calibrated to the province's generation.

Shared by the energy statistics (the counties' coal for power follows the coal plants' coal
use) and the grid company's feeds (daily generation, coal use, exports). Coal takes the
residual of the province's generation after the plants with fixed full-load hours.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import polars as pl

from sample import parameters as p
from sample.world import World, days_in_year

# Full-load hours per year of the plants that are not the residual (coal takes the rest).
FULL_LOAD_HOURS = {"风电": 1900.0, "光伏": 1250.0, "水电": 1800.0, "燃气": 3000.0,
                   "煤层气": 4500.0, "生物质": 5500.0}  # fmt: skip
EXPORT_SHARE_OF_EXPORT_PLANTS = 0.85


class Fleet:
    """The plants with the days they run and their generation per year."""

    def __init__(self, world: World):
        self.world = world

    @cached_property
    def plants(self) -> pl.DataFrame:
        """The world's plants (with their commissioning and closing days of year) and a fixed
        efficiency spread."""
        plants = self.world.plants
        rng = self.world.rng("plant-factors")
        return plants.with_columns(
            pl.Series("plant_factor", rng.lognormal(0.0, 0.1, plants.height))
        )

    def running(self, day: dt.date) -> pl.Expr:
        """Whether a plant runs on ``day`` (commissioned by it, not yet closed)."""
        doy = day.timetuple().tm_yday
        opened = (pl.col("commissioned_year") < day.year) | (
            (pl.col("commissioned_year") == day.year) & (pl.col("commissioned_doy") <= doy)
        )
        closed = (pl.col("closed_year") < day.year) | (
            (pl.col("closed_year") == day.year) & (pl.col("closed_doy") <= doy)
        )
        return opened & ~closed.fill_null(False)

    def operating_fraction(self, year: int) -> pl.Expr:
        """Share of ``year`` the plant ran: 0 before it opened or after it closed, part of the
        years it opened or closed in, else 1."""
        days = days_in_year(year)
        first = (
            pl.when(pl.col("commissioned_year") < year)
            .then(1)
            .when(pl.col("commissioned_year") == year)
            .then(pl.col("commissioned_doy"))
            .otherwise(days + 1)
        )
        end = (
            pl.when(pl.col("closed_year").is_null() | (pl.col("closed_year") > year))
            .then(days + 1)
            .when(pl.col("closed_year") == year)
            .then(pl.col("closed_doy"))
            .otherwise(1)
        )
        return ((end - first).clip(lower_bound=0) / days).cast(pl.Float64)

    def generation(self, year: int) -> pl.DataFrame:
        """Per plant: fraction (of the year run), generation_mwh, export_share, raw_coal_tce
        (generation x the plant's design consumption; the statistics then set the level)."""
        generation_total = p.interpolate(p.GENERATION_100M_KWH, year) * 1e5  # MWh
        exported_total = p.interpolate(p.EXPORTED_100M_KWH, year) * 1e5
        plants = self.plants.with_columns(self.operating_fraction(year).alias("fraction"))
        fixed_hours = pl.col("fuel_type").replace_strict(
            FULL_LOAD_HOURS, default=None, return_dtype=pl.Float64
        )
        plants = plants.with_columns(
            (pl.col("capacity_mw") * fixed_hours * pl.col("fraction")).alias("generation_mwh")
        )
        coal = pl.col("fuel_type").is_in(sorted(self.world.vocabulary.coal_fired_fuel_types))
        others = plants.filter(~coal)["generation_mwh"].sum()
        coal_weight = plants.filter(coal).select(
            (pl.col("capacity_mw") * pl.col("fraction") * pl.col("plant_factor")).sum()
        )[0, 0]
        coal_scale = max(generation_total - others, 0.0) / coal_weight
        plants = plants.with_columns(
            pl.when(coal)
            .then(pl.col("capacity_mw") * pl.col("fraction") * pl.col("plant_factor") * coal_scale)
            .otherwise(pl.col("generation_mwh"))
            .alias("generation_mwh")
        )
        export_plants = plants.filter(pl.col("export_oriented"))["generation_mwh"].sum()
        other_share = max(
            exported_total - EXPORT_SHARE_OF_EXPORT_PLANTS * export_plants, 0.0
        ) / max(generation_total - export_plants, 1.0)
        return plants.with_columns(
            pl.when(pl.col("export_oriented"))
            .then(EXPORT_SHARE_OF_EXPORT_PLANTS)
            .otherwise(other_share)
            .alias("export_share"),
            pl.when(coal)
            .then(pl.col("generation_mwh") * pl.col("supply_gce_per_kwh") / 1000.0)
            .alias("raw_coal_tce"),
        )

    def coal_tce_by_county(self, year: int) -> dict[str, float]:
        """The coal plants' design coal use of ``year`` per county (tce)."""
        frame = self.generation(year).filter(pl.col("raw_coal_tce") > 0)
        return dict(frame.group_by("division_code").agg(pl.col("raw_coal_tce").sum()).iter_rows())
