"""The code location: every asset, check, resource, job, schedule and sensor of the platform."""

import json
import warnings

import dagster as dg

from ingest.feeds import DAILY_FEEDS, FEEDS, FeedSpec
from orchestration.assets.disclosure import disclosure_definitions, table_declarations
from orchestration.assets.ingest import ingest_assets
from orchestration.assets.operations import operations_checks
from orchestration.assets.publish import publication_definitions
from orchestration.assets.reports import build_report_asset
from orchestration.dbt import (
    DBT_TARGETS,
    build_dbt_assets,
    dbt_environment,
    dbt_resource,
    dbt_vars,
    ensure_manifest,
)
from orchestration.owners import with_owners
from orchestration.partitions import daily_partitions, partitions_for
from orchestration.resources import PlatformPaths, WarehouseResource
from orchestration.schedules import build_publish_after_nowcast, build_yesterday_schedule
from orchestration.sensors import build_landing_sensor
from orchestration.settings import Settings
from orchestration.spark import build_lake_export_asset

TRANSFORM_JOB = "transform_and_publish"
NOWCAST_JOB = "nowcast_daily"
PUBLISH_NOWCAST_JOB = "publish_nowcast"
AUDIT_TABLES = ("file_deliveries", "quarantined_rows")

# Single-run backfills of the ingest partitions use a parameter Dagster marks beta.
warnings.filterwarnings("ignore", category=dg.BetaWarning)


def ingest_job_name(spec: FeedSpec) -> str:
    return f"ingest_{spec.table}"


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    """Definitions for the given settings (default: from the environment). Tests pass their own."""
    settings = settings or Settings.from_env()
    settings.export()  # dbt's profiles.yml reads EMISSIONS_WAREHOUSE through env_var()
    variables = dbt_vars(settings.factor_set, settings.first_year, settings.last_year)
    manifest = ensure_manifest(
        variables,
        DBT_TARGETS[settings.engine],
        dbt_environment(settings.engine, settings.lake_dir),
    )
    days = daily_partitions(settings.first_year)
    dbt_models = build_dbt_assets(
        manifest, variables, settings.engine, settings.lake_dir, days=days
    )
    raw_assets = ingest_assets(settings.first_year, settings.last_year, settings.as_of)
    # The audit tables are written by every ingest asset as a side effect; dbt models that read
    # them (the data-quality report) see them as these two nodes downstream of all ingests.
    audit_specs = [
        dg.AssetSpec(
            key=f"audit_{table}",
            deps=[asset.key for asset in raw_assets],
            group_name="raw",
            kinds={"duckdb"},
            description=f"audit.{table}: written by every ingest asset as it loads files.",
            metadata={"dagster/table_name": f"audit.{table}"},
        )
        for table in AUDIT_TABLES
    ]
    # On Spark, dbt reads the lake: the raw tables are exported to it after ingest, before dbt.
    engine_assets = (
        [
            build_lake_export_asset(
                [*(a.key for a in raw_assets), *(s.key for s in audit_specs)], settings.lake_dir
            )
        ]
        if settings.engine == "spark"
        else []
    )
    disclosure_assets, disclosure_checks = disclosure_definitions(manifest)
    publish_assets, gate_checks = publication_definitions(manifest, as_of=settings.as_of)
    # Warnings, never blocking: feeds' freshness (on the ingest assets, evaluated by every run of
    # the transform job too, so a feed that delivers nothing is noticed) and revisions.
    warnings_checks = operations_checks(
        settings.as_of, settings.first_year, settings.last_year, [a.key for a in publish_assets]
    )
    report = build_report_asset([asset.key for asset in publish_assets])

    ingest_jobs = {
        feed: dg.define_asset_job(
            ingest_job_name(spec),
            selection=dg.AssetSelection.assets(spec.asset_name),
            partitions_def=partitions_for(spec, settings.first_year),
            description=f"Load new files of the {feed} feed into raw.{spec.table}.",
        )
        for feed, spec in FEEDS.items()
    }
    transform = dg.define_asset_job(
        TRANSFORM_JOB,
        selection=(dg.AssetSelection.all() - dg.AssetSelection.groups("raw"))
        | dg.AssetSelection.checks(*warnings_checks),
        partitions_def=days,
        description="Build the dbt models (the daily ones for the run's days), run the quality "
        "gates, publish and render the reports.",
    )
    daily_tables = [t for t in table_declarations(manifest).values() if t.daily is not None]
    daily_models = dg.AssetSelection.assets(*dbt_models[1].keys)
    nowcast = dg.define_asset_job(
        NOWCAST_JOB,
        selection=dg.AssetSelection.assets(*(FEEDS[feed].asset_name for feed in DAILY_FEEDS))
        | daily_models,
        partitions_def=days,
        description="A day (or a range of days): the meter and generation files of its days "
        "loaded, then the daily models built for those days only.",
    )
    publish_nowcast = dg.define_asset_job(
        PUBLISH_NOWCAST_JOB,
        selection=dg.AssetSelection.assets(
            *(t.gated_asset_key for t in daily_tables),
            *(f"published_{t.name}" for t in daily_tables),
            report.key,
        ),
        description="After a day's nowcast: disclosure control, quality gates and release of "
        f"the daily table(s) ({', '.join(t.name for t in daily_tables)}), then the report site.",
    )
    return dg.Definitions(
        assets=with_owners(
            json.loads(manifest.read_text(encoding="utf-8")),
            [
                *raw_assets,
                *audit_specs,
                *engine_assets,
                *dbt_models,
                *disclosure_assets,
                *publish_assets,
                report,
            ],
        ),
        asset_checks=[*disclosure_checks, *gate_checks, *warnings_checks],
        jobs=[*ingest_jobs.values(), transform, nowcast, publish_nowcast],
        schedules=[build_yesterday_schedule(nowcast, daily_tables, days)],
        sensors=[
            build_landing_sensor(
                settings.landing_dir,
                {
                    feed: nowcast if feed in DAILY_FEEDS else job
                    for feed, job in ingest_jobs.items()
                },
                {feed: partitions_for(spec, settings.first_year) for feed, spec in FEEDS.items()},
            ),
            build_publish_after_nowcast(nowcast, publish_nowcast),
        ],
        resources={
            "warehouse": WarehouseResource(path=str(settings.warehouse_path)),
            "paths": PlatformPaths(
                home=str(settings.home),
                landing_dir=str(settings.landing_dir),
                published_dir=str(settings.published_dir),
                site_dir=str(settings.site_dir),
                keep_releases=settings.keep_releases,
            ),
            "dbt": dbt_resource(),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded lazily by `dagster dev` and `emissions`, from the environment's settings."""
    return build_defs()
