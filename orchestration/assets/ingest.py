"""Ingest assets: one per landing-zone feed, loading each delivered file once into ``raw``."""

from datetime import date
from pathlib import Path

import dagster as dg

from ingest.feeds import FEEDS, UPSTREAM_FEEDS
from ingest.load import FeedLoadReport, load_feed
from ingest.names import PeriodBounds
from ingest.reference import ReferenceData
from ingest.spec import FeedSpec
from orchestration.partitions import partitions_for
from orchestration.resources import WAREHOUSE_POOL, PlatformPaths, WarehouseResource
from orchestration.settings import reference_date

QUARANTINE_CHECK = "no_quarantined_or_rejected"


def load_metadata(
    report: FeedLoadReport, current_rows: int, partitions: int = 1
) -> dict[str, object]:
    """The run's counts and its files. A run over a range of ``partitions`` (a single-run
    backfill of a daily feed) is recorded by Dagster as one materialisation per partition, each
    carrying this metadata: there ``files`` lists only the files not loaded whole (rejected,
    duplicate, with quarantined rows), else the metadata of a backfill over n days would grow
    with n² (1,461 days: 2 million file entries serialised into the event log, a minute of the
    run). Every file of every run is in audit.file_deliveries."""
    outcomes = report.outcomes
    if partitions > 1:
        outcomes = [o for o in outcomes if o.status != "loaded" or o.rows_quarantined]
    return {
        "files_loaded": report.count("loaded"),
        "files_rejected": report.count("rejected"),
        "files_duplicate": report.count("duplicate"),
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "current_rows": current_rows,
        "files": dg.MetadataValue.json(
            [
                {
                    "path": o.path,
                    "sha256": o.sha256,
                    "status": o.status,
                    "rows_loaded": o.rows_loaded,
                    "rows_quarantined": o.rows_quarantined,
                    "reason": o.reason,
                }
                for o in outcomes
            ]
        ),
    }


def build_ingest_asset(
    spec: FeedSpec, first_year: int, last_year: int, as_of: date | None = None
) -> dg.AssetsDefinition:
    partitions = partitions_for(spec, first_year)

    @dg.asset(
        name=spec.asset_name,
        group_name="raw",
        kinds={"duckdb", "polars"},
        pool=WAREHOUSE_POOL,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        description=(
            f"Rows of the `{spec.feed}` feed as delivered (text), one file at a time: file-level "
            "violations are rejected (moved to rejected/ with a reason), row-level ones "
            "quarantined (audit.quarantined_rows), every file recorded in audit.file_deliveries. "
            "Fails when every file of the run was rejected."
        ),
        metadata={"dagster/table_name": f"raw.{spec.table}", "landing_folder": spec.feed},
        deps=[dg.AssetKey(FEEDS[feed].asset_name) for feed in UPSTREAM_FEEDS.get(spec.feed, ())],
        check_specs=[
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=spec.asset_name,
                description="Warns when a file of this materialisation was rejected or had rows "
                "quarantined; the valid rows loaded all the same.",
            )
        ],
    )
    def ingest_feed(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
    ):
        window = None
        partitions = 1
        if context.has_partition_key or context.has_partition_key_range:
            time_window = context.partition_time_window
            window = (time_window.start.date(), time_window.end.date())
            partitions = len(context.partition_keys)
        reference = ReferenceData.from_seeds()
        bounds = PeriodBounds(reference_date(as_of), first_year, last_year)
        with warehouse.connect() as con:
            report = load_feed(
                con,
                spec,
                reference,
                landing_dir=Path(paths.landing_dir),
                archive_dir=paths.archive_dir,
                rejected_dir=paths.rejected_dir,
                window=window,
                bounds=bounds,
            )
            current_rows = con.execute(
                f"select count(*) from raw.{spec.table} where not _is_superseded"
            ).fetchone()[0]
        problems = []
        for outcome in report.outcomes:
            if outcome.status == "rejected":
                problems.append(f"{outcome.path}: rejected: {outcome.reason}")
            elif outcome.rows_quarantined:
                problems.append(
                    f"{outcome.path}: {outcome.rows_quarantined} row(s) quarantined "
                    "(see audit.quarantined_rows)"
                )
        for problem in problems:
            context.log.warning(problem)
        if report.all_rejected:
            raise dg.Failure(
                description=report.all_rejected_line(),
                metadata=load_metadata(report, current_rows, partitions),
            )
        yield dg.MaterializeResult(metadata=load_metadata(report, current_rows, partitions))
        yield dg.AssetCheckResult(
            check_name=QUARANTINE_CHECK,
            passed=not problems,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(problems[:20]) or "every file loaded whole",
            metadata={
                "files_rejected": report.count("rejected"),
                "rows_quarantined": report.rows_quarantined,
            },
        )

    return ingest_feed


def ingest_assets(
    first_year: int, last_year: int, as_of: date | None = None
) -> list[dg.AssetsDefinition]:
    return [build_ingest_asset(spec, first_year, last_year, as_of) for spec in FEEDS.values()]
