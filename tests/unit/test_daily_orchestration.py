"""The daily nowcast's orchestration: partitioned dbt assets, the day's job, the landing sensor's
day runs, the morning schedule, the publication after a day and the backfill's refusals."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.execution.api import create_execution_plan

from ingest.feeds import DAILY_FEEDS, FEEDS
from orchestration.dbt import (
    DAILY_STEP,
    DAILY_TAG,
    DBT_STEP,
    WINDOW_ENVIRONMENT,
    dbt_build_args,
    window_environment,
)
from orchestration.definitions import NOWCAST_JOB, PUBLISH_NOWCAST_JOB, TRANSFORM_JOB, build_defs
from orchestration.runner import RunRefused, days_tags
from orchestration.schedules import NOWCAST_SCHEDULE, PUBLISH_SENSOR, yesterday
from orchestration.sensors import day_ranges


def touch(path: Path, mtime_ns: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n", encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_the_daily_feeds_are_those_of_a_file_a_day():
    assert set(DAILY_FEEDS) == {"power/meter_daily", "power/generation_daily"}
    assert all(FEEDS[feed].partitioning == "day" for feed in DAILY_FEEDS)


def test_a_window_goes_to_dbt_as_dates_only():
    assert window_environment(("2025-03-01", "2025-03-02")) == dict(
        zip(WINDOW_ENVIRONMENT, ("2025-03-01", "2025-03-02"), strict=True)
    )
    assert window_environment(None) == dict.fromkeys(WINDOW_ENVIRONMENT, "")
    with pytest.raises(ValueError):
        window_environment(("2025-03-01", "2025-03-02'; drop table x; --"))


def test_a_window_build_leaves_out_the_unit_tests():
    assert "--exclude-resource-type" not in dbt_build_args("{}")
    args = dbt_build_args("{}", unit_tests=False)
    assert args[-2:] == ["--exclude-resource-type", "unit_test"]


def test_consecutive_days_are_one_range():
    keys = ["2025-03-03", "2025-03-01", "2025-03-02", "2025-03-05", "2025-02-28", "2025-04-01"]
    assert day_ranges(keys) == [
        ("2025-02-28", "2025-03-03"),
        ("2025-03-05", "2025-03-05"),
        ("2025-04-01", "2025-04-01"),
    ]


def test_the_daily_models_are_one_partitioned_asset_on_the_feeds_days(home):
    defs = build_defs(home)
    graph = defs.resolve_asset_graph()
    daily = defs.resolve_assets_def(dg.AssetKey("out_emissions__nowcast_daily"))
    assert daily.node_def.name == DAILY_STEP
    meter = defs.resolve_assets_def(dg.AssetKey(FEEDS["power/meter_daily"].asset_name))
    assert daily.partitions_def == meter.partitions_def
    assert daily.partitions_def.timezone == "Asia/Shanghai"
    # the daily models are those dbt tags daily, every other model is unpartitioned
    keys = {key.to_user_string() for key in daily.keys}
    assert keys == {
        "int_power__electricity_daily",
        "int_power__plant_emissions_daily",
        "int_emissions__nowcast_county_daily",
        "int_emissions__nowcast_disclosure_inputs",
        "out_emissions__nowcast_daily",
    }
    annual = defs.resolve_assets_def(dg.AssetKey("int_emissions__nowcast_coefficients"))
    assert annual.node_def.name == DBT_STEP and annual.partitions_def is None
    # the annual models read the daily inputs, the daily nowcast reads the annual models
    assert (
        dg.AssetKey("int_power__electricity_daily")
        in graph.get(dg.AssetKey("int_emissions__nowcast_annual_cells")).parent_keys
    )
    assert (
        dg.AssetKey("int_emissions__nowcast_coefficients")
        in graph.get(dg.AssetKey("int_emissions__nowcast_county_daily")).parent_keys
    )
    # ... and never the daily nowcast: the backtest computes the year from the annual cells
    backtest = graph.get(dg.AssetKey("int_emissions__nowcast_backtest_cells")).parent_keys
    assert not {k for k in backtest if k in daily.keys}
    assert DAILY_TAG == "daily"


def test_a_whole_run_builds_the_days_between_the_annual_steps(home):
    defs = build_defs(home)
    job = defs.resolve_job_def(TRANSFORM_JOB)
    plan = create_execution_plan(
        job,
        tags={
            "dagster/asset_partition_range_start": "2024-01-01",
            "dagster/asset_partition_range_end": "2024-01-03",
        },
    )
    dbt_steps = [
        step.key
        for step in plan.get_steps_to_execute_in_topo_order()
        if step.key.startswith((DBT_STEP, DAILY_STEP))
    ]
    # seeds and staging, the daily inputs, the annual models, the daily nowcast
    assert [key.startswith(DAILY_STEP) for key in dbt_steps] == [False, True, False, True]


def test_a_days_job_loads_the_days_files_and_builds_the_day_only(home):
    defs = build_defs(home)
    job = defs.resolve_job_def(NOWCAST_JOB)
    plan = create_execution_plan(job, tags={"dagster/partition": "2024-01-02"})
    steps = {step.key for step in plan.get_steps_to_execute_in_topo_order()}
    assets = {FEEDS[feed].asset_name for feed in DAILY_FEEDS}
    assert assets | {DAILY_STEP} <= steps
    assert not {step for step in steps if step.startswith(DBT_STEP)}
    publish = defs.resolve_job_def(PUBLISH_NOWCAST_JOB)
    keys = {key.to_user_string() for key in publish.asset_layer.executable_asset_keys}
    assert {"published_emissions_nowcast_daily", "report_site"} <= keys
    assert "published_emissions_by_city" not in keys


def test_a_days_files_request_one_nowcast_run_per_run_of_days(home):
    landing = home.landing_dir
    for day in ("2024-03-01", "2024-03-02", "2024-03-05"):
        touch(landing / f"power/meter_daily/{day}.parquet", 10**18)
    touch(landing / "power/generation_daily/2024-03-05.csv", 10**18)
    touch(landing / "stats/gdp/2023_annual.csv", 10**18)
    defs = build_defs(home)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    with dg.build_sensor_context(cursor=None, definitions=defs) as context:
        requests = list(sensor.evaluate_tick(context).run_requests)
    runs = sorted(
        (
            r.job_name,
            r.partition_key or r.tags["dagster/asset_partition_range_start"],
            r.partition_key or r.tags["dagster/asset_partition_range_end"],
        )
        for r in requests
    )
    assert runs == [
        ("ingest_stats__gdp", "2023", "2023"),
        (NOWCAST_JOB, "2024-03-01", "2024-03-02"),
        (NOWCAST_JOB, "2024-03-05", "2024-03-05"),
    ]


def test_the_morning_schedule_asks_for_yesterday_unless_it_is_done(home):
    defs = build_defs(home)
    schedule = defs.resolve_schedule_def(NOWCAST_SCHEDULE)
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    # 06:00 in China on 3 March is 22:00 UTC on 2 March: yesterday is 2 March
    tick = datetime(2024, 3, 2, 22, 0, tzinfo=UTC)
    assert yesterday("Asia/Shanghai", tick) == "2024-03-02"
    with dg.instance_for_test() as instance:
        repository = defs.get_repository_def()
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=tick, repository_def=repository
        )
        request = schedule.evaluate_tick(context).run_requests[0]
        assert request.partition_key == "2024-03-02"
        instance.report_runless_asset_event(
            dg.AssetMaterialization("out_emissions__nowcast_daily", partition="2024-03-02")
        )
        result = schedule.evaluate_tick(
            dg.build_schedule_context(
                instance=instance, scheduled_execution_time=tick, repository_def=repository
            )
        )
        assert not result.run_requests
        assert "2024-03-02 is done" in result.skip_message


def test_a_successful_day_run_is_published(home):
    defs = build_defs(home)
    sensor = defs.resolve_sensor_def(PUBLISH_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(
            defs.resolve_job_def(NOWCAST_JOB),
            run_id="0123abcd-0000-0000-0000-000000000000",
            tags={"dagster/partition": "2024-03-02"},
        )
        event = dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_SUCCESS.value, job_name=NOWCAST_JOB
        )
        context = dg.build_run_status_sensor_context(
            sensor_name=PUBLISH_SENSOR,
            dagster_event=event,
            dagster_instance=instance,
            dagster_run=run,
        )
        request = sensor(context)
    assert request.run_key == f"{PUBLISH_SENSOR}:{run.run_id}"
    assert request.tags["emissions/nowcast_days"] == "2024-03-02"
    assert defs.resolve_job_def(PUBLISH_NOWCAST_JOB) is not None


def test_a_backfill_outside_the_days_is_refused_in_one_line(home):
    job = build_defs(home).resolve_job_def(NOWCAST_JOB)
    assert days_tags(job, (date(2024, 1, 1), date(2024, 1, 31))) == {
        "dagster/asset_partition_range_start": "2024-01-01",
        "dagster/asset_partition_range_end": "2024-01-31",
    }
    with pytest.raises(RunRefused, match="2001-01-01: no day partition of nowcast_daily"):
        days_tags(job, (date(2001, 1, 1), date(2024, 1, 1)))
    with pytest.raises(RunRefused, match="is after"):
        days_tags(job, (date(2024, 1, 2), date(2024, 1, 1)))


def test_a_day_windows_data_tests_read_the_windows_days_only(tmp_path: Path, monkeypatch):
    """A day's build tests that day's rows: the data tests of a daily model read it through the
    window (macros/day_window.sql's get_where_subquery); without a window, every row."""
    from orchestration.dbt import run_dbt_cli

    selection = ["--select", "out_emissions__nowcast_daily,resource_type:test"]

    def compiled(window: tuple[str, str] | None) -> str:
        for variable, value in window_environment(window).items():
            monkeypatch.setenv(variable, value)
        target = tmp_path / ("window" if window else "whole")
        completed = run_dbt_cli(["compile", *selection], tmp_path / "w.duckdb", target)
        assert completed.returncode == 0, completed.stdout[-2000:]
        (sql,) = [
            path.read_text(encoding="utf-8")
            for path in (target / "compiled").rglob("unique_combination_*.sql")
        ]
        return sql

    windowed = compiled(("2024-03-02", "2024-03-02"))
    assert "\"date\" >= cast('2024-03-02' as date)" in windowed
    assert "\"date\" <= cast('2024-03-02' as date)" in windowed
    assert "2024-03-02" not in compiled(None)
