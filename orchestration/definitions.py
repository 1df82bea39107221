"""The code location: every asset, check, resource, job, schedule and sensor of the platform."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.ingest import ingest_assets
from orchestration.assets.publish import publication_definitions
from orchestration.assets.reports import build_report_asset
from orchestration.dbt import build_dbt_assets, dbt_resource, ensure_manifest
from orchestration.resources import PlatformPaths, WarehouseResource
from orchestration.settings import Settings

ALL_ASSETS_JOB = "materialize_everything"


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    """Definitions for the given settings (default: from the environment). Tests pass their own."""
    settings = settings or Settings.from_env()
    settings.export()  # dbt's profiles.yml reads EMISSIONS_WAREHOUSE through env_var()
    dbt_models = build_dbt_assets(
        ensure_manifest(), (settings.factor_set, settings.first_year, settings.last_year)
    )
    publish_assets, gate_checks = publication_definitions()
    report = build_report_asset([asset.key for asset in publish_assets])
    everything = dg.define_asset_job(
        ALL_ASSETS_JOB,
        selection=dg.AssetSelection.all(),
        description="Ingest every feed, build the dbt models, check, publish and render reports.",
    )
    return dg.Definitions(
        assets=[*ingest_assets(), dbt_models, *publish_assets, report],
        asset_checks=gate_checks,
        jobs=[everything],
        schedules=[
            dg.ScheduleDefinition(
                name="daily_materialisation",
                job=everything,
                cron_schedule="0 6 * * *",
                execution_timezone="Asia/Shanghai",
                default_status=dg.DefaultScheduleStatus.STOPPED,
            )
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
