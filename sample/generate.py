"""``generate_landing_zone``: write every feed of the sample world into a landing zone."""

from __future__ import annotations

import datetime as dt
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import reference_date
from sample.energy import EnergyModel
from sample.ets import write_compliance, write_entities
from sample.forestry import write_carbon_sinks
from sample.grid import write_grid_factors
from sample.output import sample_products
from sample.policy import write_functional_zones, write_policy_targets
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


def yesterday_in_china() -> dt.date:
    """The default as-of date: the day before the platform's today (China time)."""
    return reference_date() - dt.timedelta(days=1)


def generate_landing_zone(
    out_dir: Path,
    *,
    first_year: int = 2015,
    as_of: dt.date | None = None,
    scale: int = 1,
    seed: int = 42,
    progress: bool = False,
    seeds_dir: Path | None = None,
    daily_days: int | None = None,
) -> SampleSummary:
    """Write a deterministic sample of every landing-zone feed of the contract to ``out_dir``.

    The world runs from 1 January of ``first_year`` to ``as_of``, its last day with data
    (default: yesterday in China's time zone, ``orchestration.settings.reference_date`` less a
    day); its years are ``first_year`` .. ``as_of.year``, the last one in progress. The landing
    zone is what has arrived by the morning after ``as_of`` (the platform's today,
    ``EMISSIONS_AS_OF`` = as_of + 1 day, when the last day's meter and dispatch files come
    in): each report on the day the delivery calendar (``quality/delivery_calendar.yml``,
    read by ``sample.arrivals``) has it due. Files, as the contract names them, and when they
    arrive:

    ``stats/energy_consumption``  ``YYYY_annual.csv`` (UTF-8; with a BOM up to 2017) ten months
        after the year (31 October: on 2026-12-01 the 2025 finals are in, on 2026-09-01 not);
        ``YYYY-MM_quick.csv`` 20 days after the month, for the year in progress and the
        ``parameters.QUICK_HISTORY_YEARS`` before it: a year whose final is in carries the
        annual revision (~3 % above the sum of its quicks), the year after it is quick-only.
    ``stats/energy_supply``       ``YYYY_annual.csv`` ten months after the year, before it the
        year's ``_quick`` (two months after), GB18030, CRLF.
    ``stats/gdp``                 ``YYYY_annual.xlsx`` ten months after the year;
        ``YYYY_quick.xlsx`` (初步核算) one month after, for the quick-report years.
    ``stats/population``          ``YYYY.csv``, UTF-8 with BOM, three months after the year.
    ``stats/industrial_output``   ``YYYY-MM_quick.csv`` 20 days after the month (quick-report
        years) and the year's revised ``YYYY-MM_annual.csv`` with the energy finals,
        GB18030, CRLF.
    ``ets/entities``              ``entities_2021-03-31.csv``, then ``entities_YYYY-01-15.csv``
        updates holding only new, renamed or moved entities (steel, cement, aluminium in 2024),
        each on its date.
    ``ets/compliance``            ``YYYY.xlsx`` from 2021, verified and surrendered by
        31 December of the next year.
    ``power/accounts``            ``accounts_YYYY-MM-DD.csv`` on the daily window's first day,
        each first of a month in it and its last day: the whole registry as of that date
        (new connections listed up to 31 days before they are energised).
    ``power/meter_daily``         ``YYYY-MM-DD.parquet`` (zstd) per day of the window, the
        next morning.
    ``power/generation_daily``    ``YYYY-MM-DD.csv`` per day of the window, the next morning.
    ``factors/grid``              ``YYYY.csv`` once the year's release is published (its date
        in the seed ``ref_grid_factors``).
    ``policy/targets``            ``targets_2022-06-15.csv`` (the 14th plan's allocation to the
        cities) and ``targets_2023-09-20.csv`` (one city's revision), each from its date.
    ``policy/functional_zones``   ``zones_<first year>-01-01.csv``: every county's zone.
    ``forestry/carbon_sinks``     ``YYYY.csv`` twelve months after the year.

    The daily window: by default ``parameters.DAILY_HISTORY_YEARS_PER_SCALE`` x ``scale``
    full years before the as-of year (three at scale 1) and the as-of year up to ``as_of``,
    never before the world's first day; ``daily_days`` sets the last so many days instead.

    Province CO2 (fuel combustion with the factor seed plus process CO2 of the industrial
    output with the process seed) follows CEADs' scope-1 totals 2010-2019 and the synthetic
    continuation of ``parameters.PROVINCE_SCOPE1_MT`` afterwards.

    The grid feeds agree with the statistics. The accounts of a county x industry add up each
    year to its end-use electricity (终端消费 of 电力) times the grid-metered share: less the
    industry's own generation (``parameters.SELF_GENERATION_SHARE``: steel 8 %, coking 6 %,
    chemicals 5 %, non-ferrous 10 %) and a reporting difference per cell and year (2 %,
    ``METER_REPORTING_SIGMA``). The coal plants of a county burn, in the year, its coal for
    power (44 x 火力发电 of ``COAL_FOR_POWER_VARIETIES``), the days adding up to the year
    within the days' noise. The relation between electricity and direct emissions drifts
    (``parameters``: ``ELECTRICITY_SHIFT_PER_YEAR``, ``FUEL_SWITCHING``, the heating season of
    ``MONTHLY_SHAPES``, ``COAL_PLANT_CLOSURES``, ``NEW_SMELTERS``).

    ``scale`` sizes the meter feed: ``METER_ACCOUNTS_PER_SCALE`` x ``scale`` non-household
    accounts (at least one per county x industry; plus the county household aggregates and
    the carbon-market plants), and the window's years. It changes the number of accounts,
    never the totals. Memory stays bounded by one day's rows whatever the scale.

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
    as_of = yesterday_in_china() if as_of is None else as_of
    if as_of.year < first_year:
        raise ValueError(f"as_of {as_of} is before the first year {first_year}")
    world = World(seed, first_year, as_of.year, Path(seeds_dir or DEFAULT_SEEDS_DIR), as_of)
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
    power = PowerModel(world, energy)
    entities = write_entities(world, recorder)
    write_compliance(world, power, entities, recorder)
    days = daily_window(world, daily_days or default_daily_days(world, scale))
    registry = build_accounts(world, energy, scale, days)
    write_accounts(registry, days, recorder)
    write_meter_daily(world, registry, days, recorder, progress=progress)
    write_generation_daily(world, power, days, recorder)
    write_grid_factors(world, recorder)
    write_policy_targets(world, recorder)
    write_functional_zones(world, recorder)
    write_carbon_sinks(world, recorder)
    return SampleSummary(
        out_dir=out_dir,
        files_per_feed=dict(recorder.files),
        rows_per_feed=dict(recorder.rows),
        bytes_per_feed=dict(recorder.bytes),
        elapsed_seconds=time.perf_counter() - started,
    )
