"""The landing-zone sensor: new files request runs of the ingest partitions they belong to."""

import json
import os
from pathlib import Path

import dagster as dg

from ingest.feeds import FEEDS
from ingest.landing import scan_feed
from orchestration.partitions import partition_key


def scan_new_files(landing_dir: Path, since_ns: int) -> tuple[dict[str, set[str | None]], int]:
    """Feeds → partition keys of the entries modified after ``since_ns``.

    The key is None for unpartitioned feeds, for a file whose name gives no period (it breaks
    the contract) and for a link or a FIFO: any run of its feed rejects it with a reason, so it
    requests the latest one. Links are not followed (their own time counts). Hidden files are
    left out: they are uploads in progress (written as ``.name.part``, then renamed, which is
    a new file), or recorded by the next run of their feed.
    """
    wanted: dict[str, set[str | None]] = {}
    newest = since_ns
    for feed, spec in FEEDS.items():
        files, refused = scan_feed(landing_dir, spec)
        entries = [(path, True) for path in files]
        entries += [(entry.path, False) for entry in refused if entry.moves]
        for path, regular in entries:
            try:
                modified = os.lstat(path).st_mtime_ns
            except FileNotFoundError:  # gone since the scan
                continue
            if modified <= since_ns:
                continue
            newest = max(newest, modified)
            name = spec.parse_name(path.name) if regular else None
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
            "2025-06-01.parquet → 2025-06-01); a file whose period has no partition (badly "
            "named, before the first year, in the future) or a link requests the latest one, "
            "whose run rejects it with a reason."
        ),
    )
    def landing_zone_sensor(context: dg.SensorEvaluationContext):
        cursor = json.loads(context.cursor) if context.cursor else {"mtime_ns": 0}
        wanted, newest = scan_new_files(landing_dir, cursor["mtime_ns"])
        for feed, keys in wanted.items():
            job = jobs[feed]
            feed_partitions = partitions[feed]
            if feed_partitions is not None:
                existing = set(feed_partitions.get_partition_keys())
                placed = {key for key in keys if key in existing}
                if placed != keys:
                    placed.add(feed_partitions.get_last_partition_key())
                keys = placed
            for key in sorted(keys, key=lambda k: k or ""):
                yield dg.RunRequest(
                    run_key=f"{feed}:{key}:{newest}",
                    job_name=job.name,
                    partition_key=key,
                    tags={"landing/feed": feed},
                )
        context.update_cursor(json.dumps({"mtime_ns": newest}))

    return landing_zone_sensor
