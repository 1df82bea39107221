"""Ingest assets: one per landing-zone feed, loading each delivered file once into ``raw``."""

from pathlib import Path

import dagster as dg

from ingest.feeds import FEEDS, UPSTREAM_FEEDS, FeedSpec
from ingest.load import load_feed, summarise
from ingest.reference import ReferenceData
from orchestration.resources import WAREHOUSE_POOL, PlatformPaths, WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


def build_ingest_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.asset_name,
        group_name="raw",
        kinds={"duckdb", "polars"},
        pool=WAREHOUSE_POOL,
        description=(
            f"Rows of the `{spec.feed}` feed as delivered (text), one file at a time: file-level "
            "violations are rejected, row-level ones quarantined (audit.quarantined_rows), every "
            "file recorded in audit.file_deliveries."
        ),
        metadata={"dagster/table_name": f"raw.{spec.table}", "landing_folder": spec.feed},
        deps=[dg.AssetKey(FEEDS[feed].asset_name) for feed in UPSTREAM_FEEDS.get(spec.feed, ())],
    )
    def ingest_feed(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
    ) -> dg.MaterializeResult:
        reference = ReferenceData.from_seeds(SEEDS_DIR)
        with warehouse.connect() as con:
            report = load_feed(
                con,
                spec,
                reference,
                landing_dir=Path(paths.landing_dir),
                archive_dir=paths.archive_dir,
                rejected_dir=paths.rejected_dir,
            )
            total_rows = con.execute(
                f"select count(*) from raw.{spec.table} where not _is_superseded"
            ).fetchone()[0]
        for outcome in report.outcomes:
            if outcome.status == "rejected":
                context.log.warning(f"{outcome.path}: rejected: {outcome.reason}")
            elif outcome.rows_quarantined:
                context.log.warning(
                    f"{outcome.path}: {outcome.rows_quarantined} row(s) quarantined "
                    "(see audit.quarantined_rows)"
                )
        metadata = summarise(report)
        metadata["current_rows"] = total_rows
        metadata["files"] = dg.MetadataValue.json(
            [
                {"path": o.path, "sha256": o.sha256, "status": o.status, "reason": o.reason}
                for o in report.outcomes
            ]
        )
        return dg.MaterializeResult(metadata=metadata)

    return ingest_feed


def ingest_assets() -> list[dg.AssetsDefinition]:
    return [build_ingest_asset(spec) for spec in FEEDS.values()]
