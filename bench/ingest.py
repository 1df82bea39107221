"""Benchmark: our ingest of the meter feed against DuckDB's own read_csv of the same files.

    .venv/bin/python bench/ingest.py                 # 10 and 100 million rows
    .venv/bin/python bench/ingest.py --millions 10   # one size

For each size it writes the sample world's meter feed as daily CSV files (and the account
registry they refer to) under bench/out/ (git-ignored), then measures, each in a fresh process
and a fresh DuckDB file:

- the floor: ``create table … as select * from read_csv('…/*.csv')`` (DuckDB's own reader);
- ours: ``ingest.load.load_feed`` on the same files (checksum, archive copy, polars read, every
  row rule including the open-account join, quarantine, typed insert, audit trail).

It prints rows per second of each, the ratio ours / DuckDB (target ≥ 0.7), each process's
peak RSS (target < 4 GB at 100 million rows) and CPU seconds (user + system, all threads: on a
machine shared with other work the CPU time moves less than the elapsed time), and the
1-minute load average before each size (which still counts this run's previous size).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# `ingest` package: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(REPO)
from reference import SEEDS_DIR  # noqa: E402  (after the sys.path fix)

OUT = REPO / "bench" / "out"
FEED = "power/meter_daily"

FLOOR = """
import duckdb, json, resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
landing, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
started, cpu_started = time.perf_counter(), cpu()
con.execute(f"create table meter as select * from read_csv('{landing}/power/meter_daily/*.csv')")
seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu_started
rows = con.execute("select count(*) from meter").fetchone()[0]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss": rss}))
"""

OURS = """
import duckdb, json, resource, sys, time
from pathlib import Path
from ingest.feeds import FEEDS
from ingest.load import load_feed
from ingest.reference import ReferenceData
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
landing, db, work = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
con = duckdb.connect(db)
reference = ReferenceData.from_seeds(Path(sys.argv[4]))
kwargs = dict(landing_dir=landing, archive_dir=work / "archive", rejected_dir=work / "rejected")
load_feed(con, FEEDS["power/accounts"], reference, **kwargs)  # the registry: not timed
started, cpu_started = time.perf_counter(), cpu()
report = load_feed(con, FEEDS["power/meter_daily"], reference, **kwargs)
seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu_started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"rows": report.rows_loaded, "quarantined": report.rows_quarantined,
                  "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss": rss}))
"""


def write_meter_csv(millions: float, folder: Path, seed: int, days: int) -> int:
    """The sample world's meter feed, about ``millions`` million rows over ``days`` daily CSV
    files (more accounts rather than more days: a province's day has millions of readings)."""
    import polars as pl

    from sample.energy import EnergyModel
    from sample.power import (
        METER_ACCOUNTS_PER_SCALE,
        build_accounts,
        daily_window,
        write_accounts,
        write_meter_daily,
    )
    from sample.recorder import Recorder
    from sample.seeds import DEFAULT_SEEDS_DIR
    from sample.world import World

    marker = folder / "rows.txt"
    if marker.exists():
        return int(marker.read_text())
    if folder.exists():
        shutil.rmtree(folder)
    rows_wanted = int(millions * 1e6)
    scale = max(1, math.ceil(rows_wanted / (METER_ACCOUNTS_PER_SCALE * days)))
    world = World(seed, 2010, 2025, DEFAULT_SEEDS_DIR)
    registry = build_accounts(world, EnergyModel(world), scale, daily_window(world, days))
    days = daily_window(world, max(1, math.ceil(rows_wanted / registry.frame.height)))
    landing = folder / "landing"
    recorder = Recorder(landing)
    write_accounts(registry, days, recorder)
    parquet = folder / "parquet"
    write_meter_daily(world, registry, days, Recorder(parquet), progress=sys.stderr.isatty())
    rows = 0
    for path in sorted((parquet / FEED).glob("*.parquet")):
        frame = pl.read_parquet(path)
        target = landing / FEED / path.with_suffix(".csv").name
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(target)
        rows += frame.height
        path.unlink()
    shutil.rmtree(parquet)
    marker.write_text(str(rows))
    return rows


def measure(script: str, *args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark process failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_size(millions: float, seed: int, days: int) -> dict:
    folder = OUT / f"ingest_{millions:g}M_{days}d"
    started = time.perf_counter()
    rows = write_meter_csv(millions, folder, seed, days)
    elapsed = time.perf_counter() - started
    print(f"{millions:g}M: {rows:,} rows in {days} daily CSV files (written in {elapsed:.0f}s)")
    work = folder / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    load = os.getloadavg()[0]
    floor = measure(FLOOR, str(folder / "landing"), str(work / "floor.duckdb"))
    ours = measure(
        OURS,
        str(folder / "landing"),
        str(work / "ours.duckdb"),
        str(work),
        str(SEEDS_DIR),
    )
    shutil.rmtree(work)
    if ours["rows"] + ours["quarantined"] != floor["rows"]:
        raise SystemExit(f"row counts differ: ours {ours}, DuckDB {floor}")
    result = {
        "millions": millions,
        "rows": floor["rows"],
        "duckdb_rows_per_s": floor["rows"] / floor["seconds"],
        "ours_rows_per_s": floor["rows"] / ours["seconds"],
        "duckdb_peak_rss_gb": floor["peak_rss"] / 2**30,
        "ours_peak_rss_gb": ours["peak_rss"] / 2**30,
        "duckdb_cpu_s": floor["cpu_seconds"],
        "ours_cpu_s": ours["cpu_seconds"],
        "load_before": load,
    }
    result["ratio"] = result["ours_rows_per_s"] / result["duckdb_rows_per_s"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--millions", type=float, nargs="+", default=[10, 100])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=100, help="daily files per size")
    args = parser.parse_args(argv)
    results = [run_size(millions, args.seed, args.days) for millions in args.millions]
    print()
    print(
        "| rows | load before | DuckDB read_csv rows/s | our ingest rows/s | ratio "
        "| CPU s DuckDB / ours | peak RSS DuckDB / ours |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['load_before']:.2f} | {r['duckdb_rows_per_s']:,.0f} "
            f"| {r['ours_rows_per_s']:,.0f} | {r['ratio']:.2f} "
            f"| {r['duckdb_cpu_s']:.1f} / {r['ours_cpu_s']:.1f} "
            f"| {r['duckdb_peak_rss_gb']:.2f} / {r['ours_peak_rss_gb']:.2f} GB |"
        )
    print()
    for r in results:
        verdict = "meets" if r["ratio"] >= 0.7 else "MISSES"
        print(f"ratio ours/DuckDB at {r['rows']:,} rows: {r['ratio']:.2f} ({verdict} ≥ 0.7)")
        verdict = "meets" if r["ours_peak_rss_gb"] < 4 else "MISSES"
        print(
            f"our peak RSS at {r['rows']:,} rows: {r['ours_peak_rss_gb']:.2f} GB ({verdict} < 4 GB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
