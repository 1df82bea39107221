"""Benchmark: the daily meter aggregation on DuckDB and on Spark local[2], at 10 M to 500 M rows.

    .venv/bin/python bench/scale.py                       # 10M,100M
    .venv/bin/python bench/scale.py --sizes 10M,100M,500M --keep --data bench/out/scale

For each size it writes, once (deterministic, not timed), the lake both engines read: the
sample world's account registry (``power/accounts``) at the province's size (about 1.5 million
non-household accounts, ``--accounts``) and its daily meter readings (``power/meter_daily``)
for as many days as the size needs, as Parquet Hive-partitioned by day
(``raw/power__meter_daily/date=YYYY-MM-DD/``, the lake's layout). Then, each engine in a fresh
process, the daily aggregation of issue 13 (meter readings joined to the registry: kWh by
county x industry x customer type x day, ``AGGREGATION``) is read from the lake and written as
Parquet, on DuckDB (2 threads) and on Spark (``local[2]``, the same SQL text).

Printed per size and engine: the job's wall and CPU seconds (the aggregation from reading the
lake to the written result; Spark: the Python driver and its JVM), rows/s, the whole process's
wall and CPU seconds (start-up included: Python, DuckDB or the JVM and its session), the peak
RSS of the process tree (sampled every 0.1 s),
and the ratios Spark / DuckDB of this run. The two results must be equal (same columns, types
and rows; kWh are decimals, so equal to the last digit): the bench exits non-zero if not.
Data go to ``bench/out/scale`` (git-ignored) unless ``--data``, and are removed at the end
unless ``--keep`` (a kept size is reused by the next run with the same parameters); nothing
else in ``--data`` is touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path and bench/ingest.py would shadow
# the `ingest` package: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(REPO)

DEFAULT_DATA = REPO / "bench" / "out" / "scale"
DEFAULT_SIZES = "10M,100M"
# The province's non-household accounts read daily (issue 17: about 1.5 million, so a year is
# about 550 million readings).
PROVINCE_ACCOUNTS = 1_500_000
ENGINES = ("duckdb", "spark")
# Both engines get the same two cores.
THREADS = 2
SPARK_CONF = {
    "spark.master": f"local[{THREADS}]",
    "spark.driver.memory": "4g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": str(2 * THREADS),
    # The registry is a dimension table: broadcast it to every task. Spark judges it by its
    # Parquet's size (4.3 MB for the sample's 1.5 million accounts, under the default 10 MB; a
    # real registry with longer ids and more columns may not be): a higher limit keeps the plan.
    "spark.sql.autoBroadcastJoinThreshold": str(512 * 2**20),
}
# DuckDB 2.0's eager aggregation (optimizer partial_aggregate_pushdown, duckdb/duckdb#23506)
# pushes a partial group by (account_id, date) below the join to the registry: every reading is
# its own group, so the "partial" aggregate is as large as the readings (see the README's
# Benchmarks for what it costs). Off here, as the daily model must switch it off;
# `--duckdb-eager-aggregation` measures DuckDB as it comes.
DUCKDB_SETTINGS = {"threads": THREADS, "disabled_optimizers": "partial_aggregate_pushdown"}
METER_TABLE = Path("raw") / "power__meter_daily"
ACCOUNTS_TABLE = Path("raw") / "power__accounts"
# The daily aggregation, one SQL text for both engines (views meter_daily and accounts).
AGGREGATION = """
select
    a.division_code,
    a.industry_code,
    a.customer_type,
    m.date,
    cast(sum(cast(m.electricity_kwh as decimal(18, 2))) as decimal(38, 2)) as electricity_kwh,
    count(*) as readings
from meter_daily as m
join accounts as a on a.account_id = m.account_id
group by a.division_code, a.industry_code, a.customer_type, m.date
"""
SAMPLE_EVERY_S = 0.1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


# --- the lake ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lake:
    """One size's lake: what was generated, with the parameters that generated it."""

    folder: str
    rows_wanted: int
    accounts_wanted: int
    seed: int
    rows: int
    accounts: int
    days: int
    first_day: str
    last_day: str
    meter_bytes: int
    accounts_bytes: int

    @property
    def meter(self) -> Path:
        return Path(self.folder) / METER_TABLE

    @property
    def registry(self) -> Path:
        return Path(self.folder) / ACCOUNTS_TABLE


def generate(folder: Path, rows_wanted: int, accounts_wanted: int, seed: int = 42) -> Lake:
    """Write (or reuse, if ``folder`` holds the same parameters' lake) about ``rows_wanted``
    meter readings of about ``accounts_wanted`` accounts, one Hive partition per day."""
    import polars as pl

    from sample.energy import EnergyModel
    from sample.power import ACCOUNT_COLUMNS, METER_ACCOUNTS_PER_SCALE, build_accounts, meter_days
    from sample.power import daily_window as window_of
    from sample.seeds import DEFAULT_SEEDS_DIR
    from sample.world import World

    marker = folder / "lake.json"
    wanted = {"rows_wanted": rows_wanted, "accounts_wanted": accounts_wanted, "seed": seed}
    if marker.exists():
        lake = Lake(**json.loads(marker.read_text()))
        if {key: getattr(lake, key) for key in wanted} == wanted and lake.folder == str(folder):
            return lake
    if folder.exists():
        shutil.rmtree(folder)
    scale = max(1, round(accounts_wanted / METER_ACCOUNTS_PER_SCALE))
    world = World(seed, 2010, 2025, DEFAULT_SEEDS_DIR)
    # A provisional window to build the registry, then the days that give the rows wanted.
    provisional = window_of(world, max(1, math.ceil(rows_wanted / accounts_wanted)))
    registry = build_accounts(world, EnergyModel(world), scale, provisional)
    last_day = provisional[-1]
    active = registry.frame.filter(
        (pl.col("opened_on") <= last_day)
        & (pl.col("closed_on").is_null() | (pl.col("closed_on") > last_day))
    ).height
    days = window_of(world, max(1, math.ceil(rows_wanted / active)))
    registry_path = folder / ACCOUNTS_TABLE / "part-0.parquet"
    registry_path.parent.mkdir(parents=True)
    registry.frame.select(ACCOUNT_COLUMNS).write_parquet(registry_path, compression="zstd")
    rows = meter_bytes = 0
    for day, table in meter_days(world, registry, days, progress=sys.stderr.isatty()):
        path = folder / METER_TABLE / f"date={day.isoformat()}" / "part-0.parquet"
        path.parent.mkdir(parents=True)
        # The day is the partition's name, not a column of its file (as the lake writes it).
        table.drop("date").write_parquet(path, compression="zstd", row_group_size=1 << 22)
        rows += table.height
        meter_bytes += path.stat().st_size
    lake = Lake(
        folder=str(folder),
        **wanted,
        rows=rows,
        accounts=registry.frame.height,
        days=len(days),
        first_day=days[0].isoformat(),
        last_day=days[-1].isoformat(),
        meter_bytes=meter_bytes,
        accounts_bytes=registry_path.stat().st_size,
    )
    marker.write_text(json.dumps(asdict(lake)))
    return lake


# --- one engine, in its own process --------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """``root`` and its living descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, ()))
    return tree


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and its living descendants (and of the children
    they reaped)."""
    total = 0
    for pid in process_tree(root):
        fields = stat_fields(pid)
        if fields:  # utime, stime, cutime, cstime are fields 14-17
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def tree_rss_bytes(root: int) -> int:
    total = 0
    for pid in process_tree(root):
        fields = stat_fields(pid)
        if fields:  # rss (pages) is field 24
            total += int(fields[21]) * PAGE_BYTES
    return total


def sql_text(value: object) -> str:
    """``value`` as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def run_duckdb(lake: Lake, result: Path, settings: dict) -> None:
    import duckdb

    con = duckdb.connect()
    for name, value in settings.items():
        con.execute(f"set {name} = {sql_text(value)}")
    meter = sql_text(lake.meter / "*" / "*.parquet")
    con.execute(
        f"create view meter_daily as select * from read_parquet({meter}, hive_partitioning = true)"
    )
    registry = sql_text(lake.registry / "*.parquet")
    con.execute(f"create view accounts as select * from read_parquet({registry})")
    result.mkdir(parents=True)
    con.execute(f"copy ({AGGREGATION}) to {sql_text(result / 'part-0.parquet')} (format parquet)")
    con.close()


def start_spark(scratch: Path):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("bench-scale")
    for key, value in {**SPARK_CONF, "spark.local.dir": str(scratch)}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_spark(spark) -> None:
    """Stop the session and wait for its JVM, so its CPU time counts in this process's
    children (the JVM exits when its standard input closes)."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    spark.stop()
    if gateway is not None:
        process = gateway.proc
        gateway.shutdown()
        process.stdin.close()
        process.wait(timeout=120)
        SparkContext._gateway = None
        SparkContext._jvm = None


def run_spark(spark, lake: Lake, result: Path) -> None:
    spark.read.parquet(str(lake.meter)).createOrReplaceTempView("meter_daily")
    spark.read.parquet(str(lake.registry)).createOrReplaceTempView("accounts")
    spark.sql(AGGREGATION).write.mode("overwrite").parquet(str(result))


def engine_main(engine: str, lake_json: str, result: Path, duckdb_settings: str) -> int:
    """The child: run one engine's job on the lake, print its timing as one JSON line."""
    lake = Lake(**json.loads(lake_json))
    me = os.getpid()
    spark = None
    if engine == "spark":
        scratch = result.parent / f"{result.name}-scratch"
        spark = start_spark(scratch)
    started, cpu_started = time.perf_counter(), tree_cpu_seconds(me)
    if spark is None:
        run_duckdb(lake, result, json.loads(duckdb_settings))
    else:
        run_spark(spark, lake, result)
    seconds, cpu_seconds = time.perf_counter() - started, tree_cpu_seconds(me) - cpu_started
    if spark is not None:
        stop_spark(spark)
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}))
    return 0


@dataclass(frozen=True)
class Measure:
    engine: str
    rows: int
    seconds: float  # the job's wall seconds
    cpu_seconds: float  # the job's CPU seconds (the process tree)
    process_seconds: float  # the whole process, start-up included
    process_cpu_seconds: float
    peak_rss_bytes: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def measure(engine: str, lake: Lake, result: Path, duckdb_settings: dict) -> Measure:
    """Run ``engine`` on ``lake`` in a fresh process; its result goes to ``result``."""
    if result.exists():
        shutil.rmtree(result)
    log = result.parent / f"{result.name}.log"
    command = [sys.executable, __file__, "--run-engine", engine, "--lake", json.dumps(asdict(lake))]
    command += ["--result", str(result), "--duckdb-settings", json.dumps(duckdb_settings)]
    peak = 0
    started = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen(command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(SAMPLE_EVERY_S):
                peak = max(peak, tree_rss_bytes(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 gives the child's resource usage, with that of the children it reaped (the JVM).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    process_seconds = time.perf_counter() - started
    text = log.read_text(errors="replace")
    if child.returncode != 0:
        tail = "\n".join(text.splitlines()[-30:])
        raise SystemExit(f"bench/scale.py: {engine} failed (exit {child.returncode}):\n{tail}")
    timing = json.loads(text.strip().splitlines()[-1])
    log.unlink()
    return Measure(
        engine=engine,
        rows=lake.rows,
        seconds=timing["seconds"],
        cpu_seconds=timing["cpu_seconds"],
        process_seconds=process_seconds,
        process_cpu_seconds=usage.ru_utime + usage.ru_stime,
        # The sampled tree: a child's ru_maxrss starts from its parent's size at fork (a large
        # test process made both engines look 1 GB), so it is only the fallback.
        peak_rss_bytes=peak or usage.ru_maxrss * 1024,  # ru_maxrss is in KiB on Linux
    )


def differences(first: Path, second: Path) -> list[str]:
    """What differs between two results (columns, types, rows); empty when they are equal."""
    import duckdb

    con = duckdb.connect()
    schemas = {}
    for folder in (first, second):
        files = sql_text(folder / "*.parquet")
        con.execute(f"create view {folder.name} as select * from read_parquet({files})")
        schemas[folder] = [row[:2] for row in con.execute(f"describe {folder.name}").fetchall()]
    if schemas[first] != schemas[second]:
        return [
            f"columns and types differ: {first.name} {schemas[first]}, {second.name} "
            f"{schemas[second]}"
        ]
    found = []
    for a, b in ((first.name, second.name), (second.name, first.name)):
        missing = f"select * from {a} except all select * from {b}"
        count = con.execute(f"select count(*) from ({missing})").fetchone()[0]
        if count:
            examples = con.execute(f"{missing} limit 5").fetchall()
            found.append(f"{count:,} row(s) of {a} not in {b}, e.g. {examples}")
    return found


# --- the run -------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """``10M`` -> 10,000,000; ``100k`` -> 100,000; ``2.5M``; ``1G``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 10M, 100k or 500M")
    unit = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match.group(2).lower()]
    return int(float(match.group(1)) * unit)


def size_label(rows: int) -> str:
    """10,000,000 -> ``10M``, 100,000 -> ``100k``."""
    if rows >= 10**6:
        return f"{rows / 10**6:g}M"
    return f"{rows / 10**3:g}k"


def size_folder(data: Path, rows: int, accounts: int, seed: int) -> Path:
    return data / f"{size_label(rows)}_{accounts}accounts_seed{seed}"


@dataclass(frozen=True)
class SizeResult:
    lake: Lake
    load_before: float
    measures: dict[str, Measure]

    def ratio(self, field: str) -> float:
        return getattr(self.measures["spark"], field) / getattr(self.measures["duckdb"], field)


def run_size(
    folder: Path,
    rows_wanted: int,
    accounts: int,
    seed: int,
    *,
    duckdb_settings: dict = DUCKDB_SETTINGS,
    keep_results: bool = False,
) -> SizeResult:
    """Generate (or reuse) one size's lake, run both engines on it, check their results are
    equal (``SystemExit`` naming the differences if not) and remove them unless asked."""
    started = time.perf_counter()
    lake = generate(folder, rows_wanted, accounts, seed)
    print(
        f"{size_label(rows_wanted)}: {lake.rows:,} readings of {lake.accounts:,} accounts, "
        f"{lake.days} days ({lake.first_day} .. {lake.last_day}), "
        f"{lake.meter_bytes / 1e6:,.1f} MB of Parquet ({lake.meter_bytes / lake.rows:.2f} B/row)"
        f" (ready in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    load = os.getloadavg()[0]
    measures = {}
    for engine in ENGINES:
        measures[engine] = measure(engine, lake, folder / f"result_{engine}", duckdb_settings)
        print(f"  {format_measure(measures[engine])}", flush=True)
    found = differences(folder / "result_duckdb", folder / "result_spark")
    if found:
        raise SystemExit(
            f"bench/scale.py: at {lake.rows:,} rows the results of DuckDB and Spark differ "
            f"({folder / 'result_duckdb'}, {folder / 'result_spark'}):\n" + "\n".join(found)
        )
    if not keep_results:
        for engine in ENGINES:
            shutil.rmtree(folder / f"result_{engine}")
    return SizeResult(lake, load, measures)


def format_measure(m: Measure) -> str:
    return (
        f"{m.engine}: job {m.seconds:.1f} s, {m.cpu_seconds:.1f} CPU s, {m.rows_per_s:,.0f} rows/s;"
        f" process {m.process_seconds:.1f} s, {m.process_cpu_seconds:.1f} CPU s;"
        f" peak RSS {m.peak_rss_bytes / 2**20:,.0f} MB"
    )


def table(results: list[SizeResult]) -> str:
    """The results as a markdown table, then the ratios Spark / DuckDB of each size."""
    lines = [
        "| rows | days | load before | engine | job s | job CPU s | rows/s | process s "
        "| process CPU s | peak RSS MB |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for engine in ENGINES:
            m = r.measures[engine]
            lines.append(
                f"| {r.lake.rows:,} | {r.lake.days} | {r.load_before:.2f} | {engine} "
                f"| {m.seconds:.1f} | {m.cpu_seconds:.1f} | {m.rows_per_s:,.0f} "
                f"| {m.process_seconds:.1f} | {m.process_cpu_seconds:.1f} "
                f"| {m.peak_rss_bytes / 2**20:,.0f} |"
            )
    lines += ["", "| rows | Spark / DuckDB: job s | job CPU s | process CPU s | peak RSS |"]
    lines.append("|---:|---:|---:|---:|---:|")
    for r in results:
        lines.append(
            f"| {r.lake.rows:,} | {r.ratio('seconds'):.2f} | {r.ratio('cpu_seconds'):.2f} "
            f"| {r.ratio('process_cpu_seconds'):.2f} | {r.ratio('peak_rss_bytes'):.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        type=lambda text: [parse_size(part) for part in text.split(",")],
        help=f"meter rows per size, comma-separated (default {DEFAULT_SIZES}; 500M opt-in)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the lakes' folder")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (and reuse it)")
    parser.add_argument(
        "--accounts",
        type=parse_size,
        default=PROVINCE_ACCOUNTS,
        help=f"non-household accounts read daily (default {PROVINCE_ACCOUNTS:,}, the province)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--duckdb-eager-aggregation",
        action="store_true",
        help="leave DuckDB's partial_aggregate_pushdown on (see DUCKDB_SETTINGS)",
    )
    parser.add_argument("--run-engine", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--duckdb-settings", help=argparse.SUPPRESS)
    parser.add_argument("--lake", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_engine:
        return engine_main(args.run_engine, args.lake, args.result, args.duckdb_settings)
    duckdb_settings = dict(DUCKDB_SETTINGS)
    if args.duckdb_eager_aggregation:
        del duckdb_settings["disabled_optimizers"]

    data = args.data.resolve()
    print(
        f"bench/scale.py {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"DuckDB {duckdb_settings}, Spark {SPARK_CONF['spark.master']}; data in {data}",
        flush=True,
    )
    results = []
    try:
        for rows in args.sizes:
            folder = size_folder(data, rows, args.accounts, args.seed)
            result = run_size(
                folder, rows, args.accounts, args.seed, duckdb_settings=duckdb_settings
            )
            results.append(result)
    finally:
        if not args.keep:  # only the sizes' folders: --data may hold other things
            for rows in args.sizes:
                shutil.rmtree(size_folder(data, rows, args.accounts, args.seed), ignore_errors=True)
            if data.is_dir() and not any(data.iterdir()):
                data.rmdir()
    print()
    print(table(results))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nthe bench's own process (generation): peak RSS {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
