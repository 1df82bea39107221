"""The landing-zone sensor asks for the partitions that new files belong to."""

import json
import os
from pathlib import Path

import dagster as dg

from ingest.feeds import FEEDS
from orchestration.definitions import build_defs
from orchestration.sensors import scan_new_files


def touch(path: Path, mtime_ns: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n", encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_new_files_map_to_their_partitions(tmp_path: Path):
    touch(tmp_path / "stats/energy_consumption/2023_annual.csv", 2_000)
    touch(tmp_path / "stats/energy_consumption/2024-03_quick.csv", 3_000)
    touch(tmp_path / "power/meter_daily/2025-06-01.parquet", 4_000)
    touch(tmp_path / "ets/entities/entities_2025-01-15.csv", 5_000)
    touch(tmp_path / "stats/gdp/2019_annual.csv", 1_000)  # seen before the cursor
    wanted, newest = scan_new_files(tmp_path, since_ns=1_500)
    assert wanted == {
        "stats/energy_consumption": {"2023", "2024"},
        "power/meter_daily": {"2025-06-01"},
        "ets/entities": {None},
    }
    assert newest == 5_000
    assert scan_new_files(tmp_path, since_ns=newest) == ({}, newest)


def test_sensor_requests_runs_and_moves_its_cursor(home):
    landing = home.landing_dir
    touch(landing / "stats/industrial_output/2024-03_quick.csv", 10**18)
    touch(landing / "stats/industrial_output/not-a-period.csv", 10**18)
    defs = build_defs(home)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    with dg.build_sensor_context(cursor=None, definitions=defs) as context:
        requests = list(sensor.evaluate_tick(context).run_requests)
        cursor = json.loads(context.cursor)
    keys = sorted(r.partition_key for r in requests)
    # the misnamed file asks for the latest partition, whose run rejects it with a reason
    latest = defs.resolve_job_def("ingest_stats__industrial_output").partitions_def
    assert keys == sorted({"2024-03", latest.get_last_partition_key()})
    assert {r.job_name for r in requests} == {"ingest_stats__industrial_output"}
    assert cursor == {"mtime_ns": 10**18}
    assert FEEDS["stats/industrial_output"].partitioning == "month"


def test_hidden_ness_is_judged_below_the_feed_folder_and_links_are_not_followed(tmp_path: Path):
    landing = tmp_path / ".cache" / "landing zone"  # a dot-folder and a space above the feeds
    touch(landing / "stats/gdp/2023_annual.csv", 2_000)
    touch(landing / "stats/gdp/.2024_annual.csv.part", 3_000)  # an upload in progress
    touch(landing / "stats/gdp/.batch/2022_annual.csv", 3_000)
    outside = tmp_path / "outside.csv"
    touch(outside, 9_000)
    (landing / "stats/gdp/2021_annual.csv").symlink_to(outside)
    os.utime(landing / "stats/gdp/2021_annual.csv", ns=(4_000, 4_000), follow_symlinks=False)
    wanted, newest = scan_new_files(landing, since_ns=1_000)
    # the link asks for a run that rejects it (its own time counts, not its target's)
    assert wanted == {"stats/gdp": {"2023", None}}
    assert newest == 4_000


def test_a_period_without_a_partition_requests_the_latest(home):
    """A file of 2012 asked for partition 2012, which the partitions do not have."""
    touch(home.landing_dir / "stats/gdp/2012_annual.csv", 10**18)
    touch(home.landing_dir / "stats/gdp/2019_annual.csv", 10**18)
    defs = build_defs(home)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    with dg.build_sensor_context(cursor=None, definitions=defs) as context:
        requests = list(sensor.evaluate_tick(context).run_requests)
    latest = defs.resolve_job_def("ingest_stats__gdp").partitions_def.get_last_partition_key()
    assert sorted(r.partition_key for r in requests) == sorted({"2019", latest})
