"""``generate_landing_zone``: write every feed of the sample world into a landing zone."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sample.energy import EnergyModel
from sample.ets import write_compliance, write_entities
from sample.grid import write_grid_factors
from sample.output import sample_products
from sample.power import (
    PowerModel,
    build_accounts,
    customer_types,
    daily_window,
    default_daily_days,
    write_accounts,
    write_generation_daily,
    write_meter_daily,
)
from sample.recorder import Recorder
from sample.seeds import DEFAULT_SEEDS_DIR
from sample.statistics import (
    write_energy_consumption,
    write_energy_supply,
    write_gdp,
    write_industrial_output,
    write_population,
)
from sample.world import ETS_PLANTS, World


@dataclass(frozen=True)
class SampleSummary:
    """What one generation wrote: files, rows and bytes per feed, and how long it took."""

    out_dir: Path
    files_per_feed: dict[str, int] = field(default_factory=dict)
    rows_per_feed: dict[str, int] = field(default_factory=dict)
    bytes_per_feed: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    @property
    def total_files(self) -> int:
        return sum(self.files_per_feed.values())

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_feed.values())


def uncalibrated_codes(world: World) -> dict[str, tuple[str, ...]]:
    """Codes of the seeds the sample world has no calibration for, so it delivers none of
    them: products without a magnitude, customer types without a meter profile, carbon-market
    sectors without plants (each seed name -> its codes, in the seed's order)."""
    vocabulary = world.vocabulary
    made = set(sample_products(world))
    profiled = set(customer_types(world))
    missing = {
        "ref_products": tuple(code for code in vocabulary.products if code not in made),
        "ref_customer_types": tuple(
            code for code in vocabulary.customer_types if code not in profiled
        ),
        "ref_ets_sectors": tuple(
            sector.ets_sector
            for sector in vocabulary.product_sectors
            if sector.ets_sector not in ETS_PLANTS
        ),
    }
    return {seed: found for seed, found in missing.items() if found}


def generate_landing_zone(
    out_dir: Path,
    *,
    first_year: int = 2015,
    last_year: int = 2025,
    scale: int = 1,
    seed: int = 42,
    progress: bool = False,
    seeds_dir: Path | None = None,
    daily_days: int | None = None,
) -> SampleSummary:
    """Write a deterministic sample of every landing-zone feed of the contract to ``out_dir``.

    The world ends on 31 December of ``last_year``. Files, as the contract names them:

    ``stats/energy_consumption``  ``YYYY_annual.csv`` for every year but the last (UTF-8; with
        a BOM up to 2017); ``YYYY-MM_quick.csv`` for the months of the last two years, so the
        last year is quick-only and the one before carries the annual revision (~3 % above
        the sum of its quicks).
    ``stats/energy_supply``       ``YYYY_annual.csv`` (last year ``_quick``), GB18030, CRLF.
    ``stats/gdp``                 ``YYYY_annual.xlsx``; ``YYYY_quick.xlsx`` for the last two.
    ``stats/population``          ``YYYY.csv``, UTF-8 with BOM.
    ``stats/industrial_output``   ``YYYY-MM_annual.csv`` (all but the last year) and
        ``YYYY-MM_quick.csv`` (last two years), GB18030, CRLF.
    ``ets/entities``              ``entities_2021-03-31.csv``, then ``entities_YYYY-01-15.csv``
        updates holding only new, renamed or moved entities (steel, cement, aluminium in 2024).
    ``ets/compliance``            ``YYYY.xlsx`` for 2021 .. last year - 1 (verified a year on).
    ``power/accounts``            ``accounts_YYYY-MM-DD.csv`` on the daily window's first day,
        each first of a month in it and its last day: the whole registry as of that date
        (new connections listed up to 31 days before they are energised).
    ``power/meter_daily``         ``YYYY-MM-DD.parquet`` (zstd) per day of the window.
    ``power/generation_daily``    ``YYYY-MM-DD.csv`` per day of the window.
    ``factors/grid``              ``YYYY.csv`` for the years with a published release.

    Province CO2 (fuel combustion with the factor seed plus process CO2 of the industrial
    output with the process seed) follows CEADs' scope-1 totals 2010-2019 and the synthetic
    continuation of ``parameters.PROVINCE_SCOPE1_MT`` afterwards.

    ``scale`` sizes only the meter feed: about 1,500 x ``scale`` accounts (plus the county
    household aggregates and the carbon-market plants) over ``daily_days`` days, by default
    31 x ``scale`` (the last 31 days at scale 1: ~56,000 readings). ``scale=50`` writes about
    113 million readings over 1,550 days, one day in memory at a time (~3 million rows/s,
    under 300 MB resident; see ``bench/generate_meters.py``). ``daily_days`` also sets the
    days of ``power/generation_daily``; it is capped at the world's range.

    The same arguments give byte-identical files (CSV, XLSX and Parquet alike); another
    ``seed`` gives another world. ``seeds_dir`` defaults to the project's dbt seeds
    (divisions, units, energy, process and grid factors, and the code lists of the contract).
    A code of a seed the sample has no calibration for (``uncalibrated_codes``) is not
    generated, with a warning naming it. ``progress`` shows a progress bar while the meter
    feed is written.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    if daily_days is not None and daily_days < 1:
        raise ValueError(f"daily_days must be at least 1, got {daily_days}")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    world = World(seed, first_year, last_year, Path(seeds_dir or DEFAULT_SEEDS_DIR))
    for seed_name, found in uncalibrated_codes(world).items():
        warnings.warn(
            f"sample world: no calibration for {', '.join(found)} of {seed_name}; "
            "none of its rows are generated (sample/parameters.py)",
            stacklevel=2,
        )
    recorder = Recorder(out_dir)
    energy = EnergyModel(world)
    write_energy_consumption(world, energy, recorder)
    write_energy_supply(world, recorder)
    write_gdp(world, recorder)
    write_population(world, recorder)
    write_industrial_output(world, recorder)
    power = PowerModel(world)
    entities = write_entities(world, recorder)
    write_compliance(world, power, entities, recorder)
    days = daily_window(world, daily_days or default_daily_days(scale))
    registry = build_accounts(world, energy, scale, days)
    write_accounts(registry, days, recorder)
    write_meter_daily(world, registry, days, recorder, progress=progress)
    write_generation_daily(world, power, days, recorder)
    write_grid_factors(world, recorder)
    return SampleSummary(
        out_dir=out_dir,
        files_per_feed=dict(recorder.files),
        rows_per_feed=dict(recorder.rows),
        bytes_per_feed=dict(recorder.bytes),
        elapsed_seconds=time.perf_counter() - started,
    )
