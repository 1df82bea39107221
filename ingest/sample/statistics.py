"""The statistics bureau's feeds of the sample world: energy, supply, GDP, population, output.

File naming follows the contract, ``<period>[_<report_type>].<ext>``: annual finals for
every year but the last, quick reports (快报) for the last two years, so the last year is
quick-only and the second-to-last carries the annual revision of its quicks.
"""

from __future__ import annotations

import polars as pl

from ingest.sample import parameters as p
from ingest.sample.energy import ENERGY_COLUMNS, EnergyModel, format_quantities
from ingest.sample.recorder import Recorder
from ingest.sample.world import World
from ingest.sample.writers import write_csv


def annual_years(world: World) -> list[int]:
    """Years whose annual finals are out: all but the last."""
    return [year for year in world.years if year < world.last_year]


def quick_years(world: World) -> list[int]:
    """Years delivered as quick reports: the last two."""
    return [year for year in (world.last_year - 1, world.last_year) if year >= world.first_year]


# --- stats/energy_consumption ------------------------------------------------------------


def energy_rows(
    model: EnergyModel, table: pl.DataFrame, period: str, report_type: str, seed_key: str
) -> pl.DataFrame:
    frame = table.join(model.flow_attributes(), on="flow", how="left")
    frame = format_quantities(
        frame, model.world.rng("energy-units", seed_key), model.world.unit_multipliers
    )
    return (
        frame.with_columns(
            pl.lit(period).alias("period"),
            pl.lit(report_type).alias("report_type"),
            pl.col("reporting_units").cast(pl.String),
        )
        .select(ENERGY_COLUMNS)
        .sort("division_code", "industry_code", "energy_name", "use")
    )


def write_energy_consumption(world: World, model: EnergyModel, recorder: Recorder) -> None:
    feed = "stats/energy_consumption"
    for year in annual_years(world):
        frame = energy_rows(model, model.county_table(year), str(year), "annual", f"{year}")
        # Older finals came out of Excel with a byte-order mark.
        encoding = "utf-8-sig" if year <= 2017 else "utf-8"
        path = recorder.path(feed, f"{year}_annual.csv")
        recorder.record(feed, frame.height, write_csv(frame, path, encoding=encoding))
    for year in quick_years(world):
        table = model.county_table(year).join(
            model.flow_attributes().select("flow", "shape"), on="flow", how="left"
        )
        rng = world.rng("energy-quick", year)
        for month in range(1, 13):
            share = table["shape"].replace_strict(
                {name: shape[month - 1] for name, shape in p.MONTHLY_SHAPES.items()},
                return_dtype=pl.Float64,
            )
            noise = rng.lognormal(0.0, 0.03, table.height)
            monthly = table.with_columns(
                pl.col("quantity") * share * (1.0 - p.QUICK_UNDERCOUNT) * pl.Series(noise)
            ).drop("shape")
            period = f"{year}-{month:02d}"
            frame = energy_rows(model, monthly, period, "quick", period)
            path = recorder.path(feed, f"{period}_quick.csv")
            recorder.record(feed, frame.height, write_csv(frame, path))
