"""``generate_landing_zone``: write every feed of the sample world into a landing zone."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.sample.energy import EnergyModel
from ingest.sample.ets import write_compliance, write_entities
from ingest.sample.grid import write_grid_factors
from ingest.sample.power import (
    PowerModel,
    build_accounts,
    daily_window,
    default_daily_days,
    write_accounts,
    write_generation_daily,
    write_meter_daily,
)
from ingest.sample.recorder import Recorder
from ingest.sample.seeds import DEFAULT_SEEDS_DIR
from ingest.sample.statistics import (
    write_energy_consumption,
    write_energy_supply,
    write_gdp,
    write_industrial_output,
    write_population,
)
from ingest.sample.world import World


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

    The same arguments give byte-identical files. ``scale`` only sizes the meter feed.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    world = World(seed, first_year, last_year, Path(seeds_dir or DEFAULT_SEEDS_DIR))
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
