"""Quality gates as blocking asset checks, and the publish assets they guard, for every table
that a mart's YAML declares published (publish.tables, read from the dbt manifest)."""

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from orchestration.resources import WAREHOUSE_POOL, PlatformPaths, WarehouseResource
from orchestration.settings import REPO_ROOT
from publish.layout import current_release
from publish.release import git_revision, publish_table
from publish.tables import Daily, PublishedTable, published_tables
from quality.gate import SUITES_DIR, Suite, bind_suites, run_suite

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


def _relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, _, name = relation.rpartition(".")
    return bool(
        con.execute(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ? "
            "union all select 1 from duckdb_views() where schema_name = ? and view_name = ?",
            [schema, name, schema, name],
        ).fetchall()
    )


def register_published_views(
    con: duckdb.DuckDBPyConnection, table: PublishedTable, tables: Mapping[str, PublishedTable]
) -> None:
    """Temporary views named as the tables are published, over what each would publish (its
    source relation, its published columns), so that suites speak of published tables. The
    gated table's relation must exist; the others are registered where they exist."""
    for other in tables.values():
        if other.name != table.name and not _relation_exists(con, other.source_relation):
            continue
        available = {
            row[0]
            for row in con.execute(f"select * from {other.source_relation} limit 0").description
        }
        missing = [name for name in other.column_names if name not in available]
        if missing:
            raise dg.Failure(
                f"{other.name}: {other.source_relation} lacks the published column(s) "
                f"{', '.join(missing)} declared in {other.declared_in}"
            )
        columns = ", ".join(f'"{name}"' for name in other.column_names)
        con.execute(
            f'create or replace temporary view "{other.name}" as '
            f"select {columns} from {other.source_relation}"
        )


def build_gate_check(
    table: PublishedTable, suite: Suite, tables: Mapping[str, PublishedTable]
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=table.gated_asset_key,
        name=f"gx_{table.name}",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=(
            f"Great Expectations suite quality/suites/{table.name}.yml on "
            f"{table.source_relation} (as {table.name}): {len(suite.expectations)} expectations "
            f"and {len(suite.checks)} derived checks; failing blocks every publication."
        ),
    )
    def gate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            register_published_views(con, table, tables)
            frame = con.sql(f'select * from "{table.name}"').df()
            result = run_suite(
                frame,
                suite,
                run_query=lambda sql: con.execute(sql).fetchall(),
                fetch_frame=lambda sql: con.sql(sql).df(),
                relation=table.source_relation,
            )
            con.execute(RESULTS_DDL)
            con.execute(
                "insert into audit.quality_results values (?, ?, ?, ?, ?, ?)",
                [
                    context.run.run_id,
                    table.name,
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


def freshness_policy(daily: Daily | None) -> dg.FreshnessPolicy | None:
    """A daily table's: materialised since yesterday's deadline by today's (the UI shows it red
    when the morning's release has not come)."""
    if daily is None:
        return None
    return dg.FreshnessPolicy.cron(
        deadline_cron=daily.deadline_cron,
        lower_bound_delta=timedelta(hours=24),
        timezone=daily.timezone,
    )


def due_day(daily: Daily, as_of: date | None, now: datetime | None = None) -> date:
    """The last day whose rows must be published: yesterday once today's deadline has passed,
    else the day before. With EMISSIONS_AS_OF set, its morning after the deadline: the day
    before it."""
    if as_of is not None:
        return as_of - timedelta(days=1)
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(daily.timezone))
    hour, minute = (int(part) for part in daily.due.split(":"))
    passed = (local.hour, local.minute) >= (hour, minute)
    return local.date() - timedelta(days=1 if passed else 2)


def build_daily_check(table: PublishedTable, as_of: date | None) -> dg.AssetChecksDefinition:
    daily = table.daily
    assert daily is not None

    @dg.asset_check(
        asset=f"published_{table.name}",
        name="has_the_due_day",
        description=(
            f"Warns when published/{table.name} lacks the day due: yesterday's rows "
            f"({daily.date_column}) by {daily.due} {daily.timezone} (EMISSIONS_AS_OF: the day "
            "before it). A warning: what is there stays published."
        ),
    )
    def has_the_due_day(paths: PlatformPaths) -> dg.AssetCheckResult:
        due = due_day(daily, as_of)
        folder = Path(paths.published_dir) / table.name
        files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
        latest = None
        if files:
            with duckdb.connect() as con:
                latest = con.execute(
                    f"select max({daily.date_column}) from read_parquet(?, union_by_name = true)",
                    [[str(path) for path in files]],
                ).fetchone()[0]
        missing = (due - latest).days if latest is not None else None
        passed = latest is not None and latest >= due
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{table.name}: published to {latest}, {due} due"
                if passed
                else f"{table.name}: {due} is due by {daily.due} {daily.timezone} but the "
                + (
                    f"release ends on {latest} ({missing} day(s) missing)"
                    if latest
                    else "release has no rows"
                )
            ),
            metadata={
                "due_day": due.isoformat(),
                "latest_day": latest.isoformat() if latest else None,
                "days_missing": missing,
            },
        )

    return has_the_due_day


def build_alert_check(table: PublishedTable) -> dg.AssetChecksDefinition:
    alerts = table.alerts
    assert alerts is not None
    levels = "/".join(alerts.levels)

    @dg.asset_check(
        asset=f"published_{table.name}",
        name="no_new_alerts",
        description=(
            f"Warns when published/{table.name} has a row newly at {levels} "
            f"({alerts.level_column}) in the latest period of its "
            f"{', '.join(alerts.key)}: one the period before did not have. A warning: the "
            "table is published; the check says what a reader must look at."
        ),
    )
    def no_new_alerts(paths: PlatformPaths) -> dg.AssetCheckResult:
        new = new_alerts(Path(paths.published_dir), table)
        shown = "; ".join(reason for *_, reason in new[:5]) + ("; …" if len(new) > 5 else "")
        return dg.AssetCheckResult(
            passed=not new,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{table.name}: {len(new)} new {levels}: {shown}"
                if new
                else f"{table.name}: no new {levels} in the latest period"
            ),
            metadata={"new_alerts": len(new)},
        )

    return no_new_alerts


def new_alerts(published_dir: Path, table: PublishedTable) -> list[tuple]:
    """The rows of the published table newly at an alert level in their key's latest period:
    (key…, level, reason) each, most recent first."""
    alerts = table.alerts
    assert alerts is not None
    folder = published_dir / table.name
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return []
    key = ", ".join(alerts.key)
    order = ", ".join(f"{column} desc nulls last" for column in alerts.order)
    level, reason = alerts.level_column, alerts.reason_column
    marks = ", ".join("?" for _ in alerts.levels)
    with duckdb.connect() as con:
        return con.execute(
            f"with ranked as (select {key}, {level} as level, {reason} as reason, "
            f"row_number() over (partition by {key} order by {order}) as age "
            "from read_parquet(?, union_by_name = true)) "
            f"select latest.* exclude (age) from ranked as latest "
            f"left join ranked as before on before.age = 2 and "
            + " and ".join(
                f"before.{column} is not distinct from latest.{column}" for column in alerts.key
            )
            + f" where latest.age = 1 and latest.level in ({marks}) "
            f"and (before.level is null or before.level not in ({marks})) order by all",
            [[str(path) for path in files], *alerts.levels, *alerts.levels],
        ).fetchall()


def materialised_in_run(context: dg.AssetExecutionContext, key: dg.AssetKey) -> bool:
    """Whether ``key`` was materialised by this run (its latest materialisation is this run's)."""
    event = context.instance.get_latest_materialization_event(key)
    return event is not None and event.run_id == context.run_id


def build_publish_asset(
    table: PublishedTable, gated_keys: list[dg.AssetKey]
) -> dg.AssetsDefinition:
    # Every published table waits on every gated asset: one failed gate stops the whole release
    # set, so departments never get tables from two different states of the accounts.
    @dg.asset(
        name=f"published_{table.name}",
        deps=gated_keys,
        group_name="published",
        kinds={"parquet"},
        pool=WAREHOUSE_POOL,
        freshness_policy=freshness_policy(table.daily),
        description=(
            f"{table.description_zh} ({table.description_en}): Parquet release of "
            f"{table.source_relation} under published/{table.name}/, written only after every "
            "gate passed."
        ),
    )
    def publish(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            con.execute(RESULTS_DDL)
            rows = con.execute(
                "select result from audit.quality_results where run_id = ? and suite = ?",
                [context.run_id, table.name],
            ).fetchall()
            if not rows and not materialised_in_run(context, table.gated_asset_key):
                # A selection that reaches this table's publication only through the release
                # set's dependencies (`--select 'out_x+'`): its source was not rebuilt, so its
                # current release stands; said in one line, never a failure of the run.
                current = current_release(Path(paths.published_dir), table.name)
                latest = current.name if current else None
                context.log.warning(
                    f"{table.name}: not published again: "
                    f"{table.gated_asset_key.to_user_string()} was not materialised in this run"
                    + (f"; release {latest} stays" if latest else "; it has no release yet")
                )
                return dg.MaterializeResult(
                    metadata={"republished": False, "release_id": latest or ""}
                )
            if not rows:
                raise dg.Failure(
                    f"{table.name}: no quality gate ran on {table.source_relation} in this run; "
                    f"materialise {table.gated_asset_key.to_user_string()} with its checks "
                    "before publishing"
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


def publication_definitions(
    manifest_path: Path | None = None, suites_dir: Path = SUITES_DIR, as_of: date | None = None
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """A gate check and a publish asset per published table of the manifest, and for a daily
    table the check that its due day is published; a table without a suite, or a suite without
    a table, stops the code location loading (naming both)."""
    tables = published_tables(manifest_path)
    suites = bind_suites({t.name: t.declared_in for t in tables.values()}, suites_dir)
    gated = sorted({t.gated_asset_key for t in tables.values()}, key=lambda k: k.to_user_string())
    return (
        [build_publish_asset(t, gated) for t in tables.values()],
        [build_gate_check(t, suites[t.name], tables) for t in tables.values()]
        + [build_daily_check(t, as_of) for t in tables.values() if t.daily is not None]
        + [build_alert_check(t) for t in tables.values() if t.alerts is not None],
    )
