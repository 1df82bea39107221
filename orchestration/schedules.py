"""The daily nowcast's automation: the morning schedule that makes sure yesterday is done, and
the sensor that publishes a day once its nowcast run succeeded."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from publish.tables import PublishedTable

NOWCAST_SCHEDULE = "nowcast_yesterday"
PUBLISH_SENSOR = "publish_after_nowcast"


def yesterday(timezone: str, now: datetime) -> str:
    """The day before ``now``'s in ``timezone``, ISO."""
    return (now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)).isoformat()


def build_yesterday_schedule(
    nowcast: dg.JobDefinition,
    daily_tables: list[PublishedTable],
    days: dg.TimeWindowPartitionsDefinition,
) -> dg.ScheduleDefinition:
    """At the daily table's ``daily.runs_at`` in its timezone (its declaration, e.g. 06:00
    Asia/Shanghai, an hour before it is due), a run of yesterday's partition of ``nowcast``,
    unless the daily mart already has that day (then a skip naming it); the day's
    publication follows by the run-status sensor."""
    table = daily_tables[0]
    daily = table.daily
    hour, minute = (int(part) for part in daily.runs_at.split(":"))
    done_key = dg.AssetKey(table.model)

    @dg.schedule(
        name=NOWCAST_SCHEDULE,
        job=nowcast,
        cron_schedule=f"{minute} {hour} * * *",
        execution_timezone=daily.timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(
            f"Every morning at {daily.runs_at} ({daily.timezone}; due {daily.due}): yesterday's "
            "nowcast (meter and dispatch files loaded, the daily models built for the day), "
            f"unless {table.model} "
            f"already has the day; then {PUBLISH_SENSOR} publishes {table.name}."
        ),
    )
    def nowcast_yesterday(context: dg.ScheduleEvaluationContext):
        day = yesterday(daily.timezone, context.scheduled_execution_time or datetime.now())
        if day not in days.get_partition_keys(
            current_time=context.scheduled_execution_time, dynamic_partitions_store=None
        ):
            return dg.SkipReason(f"{day} is no partition of the days (before the first year)")
        done = context.instance.get_materialized_partitions(done_key)
        if day in done:
            return dg.SkipReason(f"{day} is done: {table.model} has it")
        return dg.RunRequest(run_key=f"{NOWCAST_SCHEDULE}:{day}", partition_key=day)

    return nowcast_yesterday


def build_publish_after_nowcast(
    nowcast: dg.JobDefinition, publish: dg.JobDefinition
) -> dg.SensorDefinition:
    """Each successful run of ``nowcast`` (a day, a range of days: from the landing sensor, the
    schedule, a backfill) requests one run of ``publish``: disclosure, gates and release of the
    daily table, then the report site."""

    @dg.run_status_sensor(
        name=PUBLISH_SENSOR,
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nowcast],
        request_job=publish,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"After every successful {nowcast.name} run: a {publish.name} run (disclosure "
            "control, quality gates, release of the daily table, report site)."
        ),
    )
    def publish_after_nowcast(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        days = run.tags.get("dagster/partition") or "..".join(
            run.tags.get(f"dagster/asset_partition_range_{end}", "") for end in ("start", "end")
        )
        return dg.RunRequest(
            run_key=f"{PUBLISH_SENSOR}:{run.run_id}",
            tags={"emissions/nowcast_run": run.run_id, "emissions/nowcast_days": days},
        )

    return publish_after_nowcast
