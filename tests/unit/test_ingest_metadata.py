"""The ingest asset's metadata stays small over a long range of daily partitions (Dagster copies
it onto every partition's materialisation)."""

from __future__ import annotations

from ingest.ledger import FileOutcome
from ingest.load import FeedLoadReport
from orchestration.assets.ingest import FILES_LISTED_MAX, load_metadata


def report(days: int) -> FeedLoadReport:
    outcomes = [
        FileOutcome(f"power/meter_daily/day-{day:04d}.parquet", f"{day:064d}", "loaded", 100)
        for day in range(days)
    ]
    outcomes[3] = FileOutcome(outcomes[3].path, outcomes[3].sha256, "loaded", 98, 2, "2 rows")
    outcomes.append(FileOutcome("power/meter_daily/bad.parquet", "x" * 64, "rejected", 0, 0, "no"))
    return FeedLoadReport("power/meter_daily", outcomes)


def listed(metadata: dict) -> list[str]:
    return [entry["path"] for entry in metadata["files"].value]


def test_a_long_range_lists_only_the_files_not_loaded_whole_and_counts_all():
    metadata = load_metadata(report(1461), current_rows=146_098, partitions=1461)
    assert listed(metadata) == [
        "power/meter_daily/day-0003.parquet",
        "power/meter_daily/bad.parquet",
    ]
    assert metadata["files_loaded"] == 1461 and metadata["files_rejected"] == 1


def test_one_partition_or_few_files_list_every_file():
    assert len(listed(load_metadata(report(1461), current_rows=0, partitions=1))) == 1462
    few = FILES_LISTED_MAX - 1
    assert len(listed(load_metadata(report(few), current_rows=0, partitions=few))) == few + 1
