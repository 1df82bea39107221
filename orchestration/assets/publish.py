"""Quality gates as blocking asset checks on the marts, and the publish assets they guard."""

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.resources import WAREHOUSE_POOL, PlatformPaths, WarehouseResource
from orchestration.settings import REPO_ROOT
from publish.release import PublishedTable, git_revision, publish_table, published_tables
from quality.gate import SUITES_DIR, Suite, run_suite

RESULTS_DDL = """
create schema if not exists audit;
create table if not exists audit.quality_results (
    run_id varchar not null,
    suite varchar not null,
    model varchar not null,
    success boolean not null,
    checked_at timestamp not null,
    result json not null
)
"""


def model_asset_key(model: str) -> dg.AssetKey:
    """``marts.out_emissions__by_city`` is the dbt asset ``out_emissions__by_city``."""
    return dg.AssetKey(model.split(".")[-1])


def build_gate_check(table: PublishedTable) -> dg.AssetChecksDefinition:
    suite = Suite.load(SUITES_DIR / f"{table.suite}.yml")

    @dg.asset_check(
        asset=table.gated_asset_key,
        name=f"gx_{suite.name}",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=(
            f"Great Expectations suite quality/suites/{suite.name}.yml: "
            f"{len(suite.expectations)} expectations; failing blocks publication of {table.name}."
        ),
    )
    def gate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            frame = con.sql(f"select * from {table.source_relation}").df()
            result = run_suite(
                frame,
                suite,
                run_query=lambda sql: con.execute(sql).fetchall(),
                fetch_frame=lambda sql: con.sql(sql).df(),
            )
            con.execute(RESULTS_DDL)
            con.execute(
                "insert into audit.quality_results values (?, ?, ?, ?, ?, ?)",
                [
                    context.run.run_id,
                    suite.name,
                    table.source_relation,
                    result.success,
                    datetime.now(UTC).replace(tzinfo=None),
                    json.dumps(result.to_dict(), ensure_ascii=False),
                ],
            )
        failures = [
            {
                "line": outcome.one_line(suite.name),
                "check": outcome.check,
                "expectation": outcome.expectation,
                "column": outcome.column,
                "observed": outcome.observed,
                "unexpected_count": outcome.unexpected_count,
                "sample": outcome.sample,
            }
            for outcome in result.failures
        ]
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(result.reasons()) or f"all {len(result.outcomes)} passed",
            metadata={
                "rows": result.row_count,
                "expectations": len(result.outcomes),
                "failed": len(failures),
                "failed_expectations": dg.MetadataValue.json(failures),
            },
        )

    return gate


def build_publish_asset(
    table: PublishedTable, gated_models: list[dg.AssetKey]
) -> dg.AssetsDefinition:
    # Every published table waits on every gated mart: one failed gate stops the whole release
    # set, so departments never get tables from two different states of the accounts.
    @dg.asset(
        name=f"published_{table.name}",
        deps=[table.gated_asset_key, *gated_models],
        group_name="published",
        kinds={"parquet"},
        pool=WAREHOUSE_POOL,
        description=(
            f"{table.description_zh} ({table.description_en}): Parquet release of "
            f"{table.source_relation} under published/{table.name}/, written only after its gate "
            "passed."
        ),
    )
    def publish(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            con.execute(RESULTS_DDL)
            rows = con.execute(
                "select result from audit.quality_results where run_id = ? and suite = ?",
                [context.run_id, table.suite],
            ).fetchall()
            if not rows:
                raise dg.Failure(
                    f"{table.name}: no quality gate ran for {table.model} in this run; "
                    "materialise the mart with its checks before publishing"
                )
            gate_results = [json.loads(row[0]) for row in rows]
            release = publish_table(
                con,
                table,
                Path(paths.published_dir),
                gate_results=gate_results,
                keep_releases=paths.keep_releases,
                git_rev=git_revision(REPO_ROOT),
            )
        return dg.MaterializeResult(
            metadata={
                "release_id": release.release_id,
                "rows": release.row_count,
                "path": dg.MetadataValue.path(str(Path(paths.published_dir) / table.name)),
                "files": len(release.manifest["files"]),
            }
        )

    return publish


def publication_definitions() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    tables = list(published_tables().values())
    gated = sorted({t.gated_asset_key for t in tables}, key=lambda k: k.to_user_string())
    return (
        [build_publish_asset(t, [k for k in gated if k != t.gated_asset_key]) for t in tables],
        [build_gate_check(t) for t in tables],
    )
