"""Partitions of the ingest assets: yearly, monthly or daily, by what a feed's file covers."""

from datetime import datetime

import dagster as dg

from ingest.feeds import FeedSpec, FileName

FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
CRONS = {"year": "0 0 1 1 *", "month": "0 0 1 * *", "day": "0 0 * * *"}


def partitions_for(spec: FeedSpec, first_year: int) -> dg.TimeWindowPartitionsDefinition | None:
    """Partitions from 1 January of the first year to the current period (inclusive)."""
    if spec.partitioning is None:
        return None
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=CRONS[spec.partitioning],
        start=datetime(first_year, 1, 1),
        fmt=FORMATS[spec.partitioning],
        end_offset=1,
    )


def partition_key(spec: FeedSpec, name: FileName) -> str | None:
    """The partition a delivered file belongs to (a monthly quick report to its year)."""
    if spec.partitioning is None:
        return None
    return name.start.strftime(FORMATS[spec.partitioning])
