"""Benchmark the sample meter feed: write N million daily readings, print rows/s and peak RSS.

    .venv/bin/python bench/generate_meters.py 100 [--out bench/out/meters] [--progress]

The accounts come from the sample world at the scale whose default window would give about
N million rows (rows ~ 1,500 x scale accounts x 31 x scale days); the number of days is then
set so the feed has N million rows. Files go to ``bench/out`` (git-ignored) unless ``--out``.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import sys
import time
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path, where bench/ingest.py would shadow
# the ingest package: the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl

from sample.energy import EnergyModel
from sample.power import (
    METER_ACCOUNTS_PER_SCALE,
    build_accounts,
    write_meter_daily,
)
from sample.power import daily_window as window_of
from sample.recorder import Recorder
from sample.seeds import DEFAULT_SEEDS_DIR
from sample.world import World

LAST_YEAR = 2025


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("millions", type=float, help="meter rows to write, in millions")
    parser.add_argument("--out", type=Path, default=Path("bench/out/meters"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)

    rows_wanted = int(args.millions * 1e6)
    scale = max(1, math.ceil(math.sqrt(rows_wanted / (METER_ACCOUNTS_PER_SCALE * 31))))
    started = time.perf_counter()
    # A provisional window to build the registry, then the exact number of days.
    world = World(args.seed, 2010, LAST_YEAR, DEFAULT_SEEDS_DIR)
    registry = build_accounts(world, EnergyModel(world), scale, window_of(world, 31 * scale))
    accounts = registry.frame.height
    last_day = window_of(world, 1)[0]
    active = registry.frame.filter(
        (pl.col("opened_on") <= last_day)
        & (pl.col("closed_on").is_null() | (pl.col("closed_on") > last_day))
    ).height
    days = window_of(world, max(1, math.ceil(rows_wanted / active)))
    setup = time.perf_counter() - started

    if args.out.exists():
        shutil.rmtree(args.out)
    recorder = Recorder(args.out)
    started = time.perf_counter()
    write_meter_daily(world, registry, days, recorder, progress=args.progress)
    elapsed = time.perf_counter() - started

    rows = recorder.rows["power/meter_daily"]
    size = recorder.bytes["power/meter_daily"]
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"scale {scale}: {accounts:,} accounts x {len(days):,} days ({days[0]} .. {days[-1]})")
    print(f"setup (world and account registry): {setup:.1f} s")
    print(f"rows written: {rows:,} in {len(days):,} files, {size / 1e6:,.1f} MB")
    print(f"elapsed: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s")
    print(f"peak RSS: {peak_rss_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
