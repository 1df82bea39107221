"""The landing-zone sensor: new files request runs of the ingest partitions they belong to."""

import json
import os
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from ingest.feeds import DAILY_FEEDS, FEEDS
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


def day_ranges(keys: list[str]) -> list[tuple[str, str]]:
    """Sorted day keys (ISO dates) as runs of consecutive days: (first, last) each."""
    ranges: list[tuple[str, str]] = []
    for key in sorted(keys):
        if ranges and date.fromisoformat(key) - date.fromisoformat(ranges[-1][1]) == timedelta(1):
            ranges[-1] = (ranges[-1][0], key)
        else:
            ranges.append((key, key))
    return ranges


def build_landing_sensor(
    landing_dir: Path,
    jobs: dict[str, "dg.JobDefinition"],
    partitions: dict[str, dg.PartitionsDefinition | None],
):
    """``jobs``: the job each feed's new files request (its ingest; a daily feed's: the day's
    nowcast, which ingests the day's files of every daily feed and builds the day)."""
    unique_jobs = list({job.name: job for job in jobs.values()}.values())

    @dg.sensor(
        name="landing_zone_sensor",
        jobs=unique_jobs,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Watches the landing zone: each new or changed file requests a run of its feed's "
            "ingest asset for the partition its name gives (2023_annual.csv → 2023); a day's "
            "meter or dispatch file (2025-06-01.parquet) a run of nowcast_daily for that day, "
            "consecutive days one run; a file whose period has no partition (badly named, "
            "before the first year, in the future) or a link requests the latest one, whose run "
            "rejects it with a reason."
        ),
    )
    def landing_zone_sensor(context: dg.SensorEvaluationContext):
        cursor = json.loads(context.cursor) if context.cursor else {"mtime_ns": 0}
        wanted, newest = scan_new_files(landing_dir, cursor["mtime_ns"])
        # job → the partition keys its feeds' new files ask for, and those feeds
        requested: dict[str, tuple[set, set[str]]] = {}
        for feed, keys in wanted.items():
            feed_partitions = partitions[feed]
            if feed_partitions is not None:
                existing = set(feed_partitions.get_partition_keys())
                placed = {key for key in keys if key in existing}
                if placed != keys:
                    placed.add(feed_partitions.get_last_partition_key())
                keys = placed
            job_keys, feeds = requested.setdefault(jobs[feed].name, (set(), set()))
            job_keys.update(keys)
            feeds.add(feed)
        for job_name, (keys, feeds) in requested.items():
            tags = {"landing/feed": ",".join(sorted(feeds))}
            daily = all(partitions[feed] is not None for feed in feeds) and all(
                feed in DAILY_FEEDS for feed in feeds
            )
            if daily and len(keys) > 1:
                for first, last in day_ranges(list(keys)):
                    yield dg.RunRequest(
                        run_key=f"{job_name}:{first}..{last}:{newest}",
                        job_name=job_name,
                        partition_key=first if first == last else None,
                        tags=tags
                        if first == last
                        else {
                            **tags,
                            "dagster/asset_partition_range_start": first,
                            "dagster/asset_partition_range_end": last,
                        },
                    )
                continue
            for key in sorted(keys, key=lambda k: k or ""):
                yield dg.RunRequest(
                    run_key=f"{job_name}:{key}:{newest}",
                    job_name=job_name,
                    partition_key=key,
                    tags=tags,
                )
        context.update_cursor(json.dumps({"mtime_ns": newest}))

    return landing_zone_sensor
