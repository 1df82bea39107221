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
