"""The report site asset: Evidence-style pages rendered over the published release."""

from pathlib import Path

import dagster as dg

from orchestration.resources import PlatformPaths
from orchestration.settings import REPORT_PAGES_DIR


def build_report_asset(published_asset_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name="report_site",
        deps=published_asset_keys,
        group_name="reports",
        kinds={"html"},
        description="Static report site (var/site/) built from reports/pages/ over the published "
        "Parquet release, never the live warehouse.",
    )
    def report_site(
        context: dg.AssetExecutionContext, paths: PlatformPaths
    ) -> dg.MaterializeResult:
        from reports.site import build_published_site

        result = build_published_site(
            Path(paths.published_dir), Path(paths.site_dir), REPORT_PAGES_DIR
        )
        for warning in result.warnings:
            context.log.warning(warning)
        return dg.MaterializeResult(
            metadata={
                "pages": len(result.pages),
                "index": dg.MetadataValue.path(str(Path(paths.site_dir) / "index.html")),
            }
        )

    return report_site
