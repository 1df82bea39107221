"""Partitions of the ingest assets: yearly, monthly or daily, by what a feed's file covers."""

from datetime import date, datetime
from pathlib import Path

import dagster as dg

from ingest.landing import scan_feed
from ingest.names import FileName, PeriodBounds
from ingest.spec import FeedSpec
from orchestration.settings import CHINA_TIMEZONE

FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
CRONS = {"year": "0 0 1 1 *", "month": "0 0 1 * *", "day": "0 0 * * *"}
# The province's days: a day's meter file is its readings from midnight to midnight China time,
# so the current (last) day partition is today in China, yesterday the one before.
DAY_TIMEZONE = CHINA_TIMEZONE


def _partitions(partitioning: str, first_year: int) -> dg.TimeWindowPartitionsDefinition:
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=CRONS[partitioning],
        start=datetime(first_year, 1, 1),
        fmt=FORMATS[partitioning],
        end_offset=1,
        timezone=DAY_TIMEZONE if partitioning == "day" else "UTC",
    )


def partitions_for(spec: FeedSpec, first_year: int) -> dg.TimeWindowPartitionsDefinition | None:
    """Partitions from 1 January of the first year to the current period (inclusive)."""
    if spec.partitioning is None:
        return None
    return _partitions(spec.partitioning, first_year)


def daily_partitions(first_year: int) -> dg.TimeWindowPartitionsDefinition:
    """The days of the daily feeds and of the daily models built from them (one definition, so
    a day's run covers both)."""
    return _partitions("day", first_year)


def partition_key(spec: FeedSpec, name: FileName) -> str | None:
    """The partition a delivered file belongs to (a monthly quick report to its year); None
    for an unpartitioned feed or a period the calendar does not have."""
    start = name.start_or_none
    if spec.partitioning is None or start is None:
        return None
    return start.strftime(FORMATS[spec.partitioning])


def landing_partition_keys(
    spec: FeedSpec,
    landing_dir: Path,
    first_year: int,
    last_year: int,
    today: date | None = None,
) -> list[str]:
    """The partition keys a run of the feed must cover to see every entry in its landing folder,
    sorted: those of the files whose name gives a period within the platform's years and not
    after today, and the latest partition when an entry gives none (a badly named file, a
    period out of range, a link, a hidden file): a run of any window sees those and rejects
    them. Never a key outside the partitions definition."""
    partitions = partitions_for(spec, first_year)
    if partitions is None:
        return []
    bounds = PeriodBounds(today or date.today(), first_year, last_year)
    files, refused = scan_feed(landing_dir, spec)
    keys, unplaced = set(), bool(refused)
    for path in files:
        name = spec.parse_name(path.name)
        if name is None or bounds.refusal(name, partitioned=True) is not None:
            unplaced = True
        else:
            keys.add(partition_key(spec, name))
    if unplaced:
        keys.add(partitions.get_last_partition_key())
    return sorted(key for key in keys if key is not None)
