"""The landing-zone sensor: new files request runs of the ingest partitions they belong to."""

import json
from pathlib import Path

import dagster as dg

from ingest.feeds import FEEDS
from orchestration.partitions import partition_key


def scan_new_files(landing_dir: Path, since_ns: int) -> tuple[dict[str, set[str | None]], int]:
    """Feeds → partition keys of the files modified after ``since_ns``.

    The key is None for unpartitioned feeds, and for a file whose name breaks the contract (it
    has no period): any run of its feed rejects it with a reason, so it requests the latest one.
    """
    wanted: dict[str, set[str | None]] = {}
    newest = since_ns
    for feed, spec in FEEDS.items():
        folder = landing_dir / feed
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if not path.is_file() or path.name.startswith("."):
                continue
            modified = path.stat().st_mtime_ns
            if modified <= since_ns:
                continue
            newest = max(newest, modified)
            name = spec.parse_name(path.name)
            key = partition_key(spec, name) if name is not None else None
            wanted.setdefault(feed, set()).add(key)
    return wanted, newest


def build_landing_sensor(
    landing_dir: Path,
    jobs: dict[str, "dg.JobDefinition"],
    partitions: dict[str, dg.PartitionsDefinition | None],
):
    @dg.sensor(
        name="landing_zone_sensor",
        jobs=list(jobs.values()),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Watches the landing zone: each new or changed file requests a run of its feed's "
            "ingest asset for the partition its name gives (2023_annual.csv → 2023, "
            "2025-06-01.parquet → 2025-06-01)."
        ),
    )
    def landing_zone_sensor(context: dg.SensorEvaluationContext):
        cursor = json.loads(context.cursor) if context.cursor else {"mtime_ns": 0}
        wanted, newest = scan_new_files(landing_dir, cursor["mtime_ns"])
        for feed, keys in wanted.items():
            job = jobs[feed]
            if partitions[feed] is not None and None in keys:
                keys = (keys - {None}) | {partitions[feed].get_last_partition_key()}
            for key in sorted(keys, key=lambda k: k or ""):
                yield dg.RunRequest(
                    run_key=f"{feed}:{key}:{newest}",
                    job_name=job.name,
                    partition_key=key,
                    tags={"landing/feed": feed},
                )
        context.update_cursor(json.dumps({"mtime_ns": newest}))

    return landing_zone_sensor
