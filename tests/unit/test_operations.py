"""Operations warnings: the delivery calendar and its due dates, a feed's freshness at a pinned
reference date, and how `emissions run` reports warnings without failing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest.feeds import FEEDS
from orchestration.assets.operations import FRESHNESS_CHECK, build_freshness_check
from orchestration.resources import WarehouseResource
from orchestration.runner import RunOutcome, warning_lines
from orchestration.settings import Settings, SettingsError, reference_date
from quality.operations import (
    Delivery,
    DivisionChange,
    Revision,
    add_months,
    feed_freshness,
    freshness_warning,
    load_calendar,
)

CALENDAR = load_calendar()
ENERGY = CALENDAR["stats/energy_consumption"]


def freshness(feed: str, deliveries: list[Delivery], as_of: date, years=(2015, 2025)):
    results = feed_freshness(CALENDAR[feed], deliveries, as_of, *years)
    return freshness_warning(feed, results)


def test_every_partitioned_feed_has_a_delivery_calendar_with_sources():
    for feed, spec in FEEDS.items():
        if spec.partitioning is not None:
            assert CALENDAR.get(feed), f"{feed} has no report in quality/delivery_calendar.yml"
    for feed, reports in CALENDAR.items():
        assert feed in FEEDS, f"the calendar names {feed}, not a feed of the contract"
        for report in reports:
            assert len(report.source) > 40, f"{feed} {report.report}: cite where the lag comes from"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 12, 31), 10, date(2025, 10, 31)),  # the end of a month stays the end
        (date(2024, 4, 30), 10, date(2025, 2, 28)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),  # leap year
        (date(2024, 1, 15), 1, date(2024, 2, 15)),
        (date(2024, 1, 31), 0, date(2024, 1, 31)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_due_dates_follow_the_statistical_calendar():
    annual, monthly = ENERGY
    assert annual.due(date(2024, 1, 1)) == date(2025, 10, 31)  # ten months after the year
    assert monthly.due(date(2024, 2, 1)) == date(2024, 3, 20)  # 20 days after the month
    (meters,) = CALENDAR["power/meter_daily"]
    assert meters.due(date(2025, 6, 1)) == date(2025, 6, 2)  # the next morning


def test_a_late_annual_final_is_named_with_the_year_expected_and_its_due_date():
    deliveries = [Delivery(str(year), "annual") for year in range(2015, 2024)]
    deliveries += [Delivery(f"2025-{month:02d}", "quick") for month in range(1, 11)]
    line = freshness("stats/energy_consumption", deliveries, date(2025, 11, 15))
    assert line == "stats/energy_consumption: latest annual final 2023, expected 2024 by 2025-10-31"
    # the day before it falls due, it is not late
    assert freshness("stats/energy_consumption", deliveries, date(2025, 10, 30)) is None


def test_monthly_quick_reports_are_not_needed_once_the_years_annual_final_arrived():
    finals = [Delivery(str(year), "annual") for year in range(2015, 2025)]
    # 31 December 2025, platform years up to 2024: the 2024 final covers its twelve months
    assert freshness("stats/energy_consumption", finals, date(2025, 12, 31), (2015, 2024)) is None
    line = freshness("stats/energy_consumption", finals, date(2025, 12, 31), (2015, 2025))
    assert line == (
        "stats/energy_consumption: no monthly quick report delivered, expected 2025-11 "
        "by 2025-12-20"
    )


def test_nothing_after_the_platforms_last_year_nor_before_a_reports_first_year_is_expected():
    deliveries = [Delivery("2020", "annual")]
    # in 2030 the platform of 2015-2020 expects nothing beyond 2020
    assert freshness("stats/energy_consumption", deliveries, date(2030, 1, 1), (2015, 2020)) is None
    # the carbon market's first compliance year is 2021: nothing is due before 2022 ends
    assert freshness("ets/compliance", [], date(2022, 12, 30)) is None
    assert freshness("ets/compliance", [], date(2022, 12, 31)) == (
        "ets/compliance: no verified compliance year delivered, expected 2021 by 2022-12-31"
    )


def test_a_file_named_without_report_type_counts_for_every_report_of_its_period():
    deliveries = [Delivery("2024", None)]
    assert freshness("stats/gdp", deliveries, date(2025, 11, 1)) is None


def test_daily_feeds_expect_yesterdays_file():
    deliveries = [Delivery("2025-06-01")]
    assert freshness("power/meter_daily", deliveries, date(2025, 6, 2)) is None
    assert freshness("power/meter_daily", deliveries, date(2025, 6, 3)) == (
        "power/meter_daily: latest daily meter readings 2025-06-01, expected 2025-06-02 "
        "by 2025-06-03"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stats/gdp:\n  - {report: x, period: week, due: {days: 1}, source: s}\n", "period must"),
        ("stats/gdp:\n  - {report: x, period: year, due: {weeks: 1}, source: s}\n", "due must"),
        ("stats/gdp:\n  - {report: x, period: year, due: {days: 1}}\n", "missing source"),
        (
            "stats/gdp:\n  - {report: x, period: year, due: {days: 1}, source: s, covered_by: y}\n",
            "covered_by 'y' is not another report",
        ),
    ],
)
def test_a_malformed_calendar_names_the_file_feed_and_report(tmp_path: Path, text, message):
    path = tmp_path / "calendar.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as raised:
        load_calendar(path)
    assert str(path) in str(raised.value) and "stats/gdp" in str(raised.value)


def test_the_reference_date_is_pinned_by_emissions_as_of(tmp_path: Path):
    settings = Settings.from_env({"EMISSIONS_AS_OF": "2024-06-30"}, cwd=tmp_path)
    assert settings.as_of == date(2024, 6, 30)
    assert reference_date(settings.as_of) == date(2024, 6, 30)
    assert Settings.from_env(settings.as_env(), cwd=tmp_path) == settings
    unset = Settings.from_env({}, cwd=tmp_path)
    assert unset.as_of is None and unset.as_env()["EMISSIONS_AS_OF"] == ""
    with pytest.raises(SettingsError, match="EMISSIONS_AS_OF='30/06/2024' is not a date"):
        Settings.from_env({"EMISSIONS_AS_OF": "30/06/2024"}, cwd=tmp_path)


def deliveries_warehouse(path: Path, rows: list[tuple[str, str, str | None, str]]) -> Path:
    """A warehouse whose audit trail has these (feed, period, report type, status) files."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create schema audit; create table audit.file_deliveries (path varchar, "
            "feed varchar, period varchar, report_type varchar, status varchar)"
        )
        for feed, period, report_type, status in rows:
            con.execute(
                "insert into audit.file_deliveries values (?, ?, ?, ?, ?)",
                [f"{feed}/{period}", feed, period, report_type, status],
            )
    return path


def test_the_freshness_check_warns_from_the_audit_trail_at_the_pinned_date(tmp_path: Path):
    warehouse = deliveries_warehouse(
        tmp_path / "w.duckdb",
        [
            ("stats/energy_consumption", "2022", "annual", "superseded"),
            ("stats/energy_consumption", "2022", "annual", "loaded"),
            ("stats/energy_consumption", "2023", "annual", "rejected"),  # not a delivery
            ("stats/gdp", "2024", "annual", "loaded"),  # another feed
        ],
    )
    check = build_freshness_check(
        FEEDS["stats/energy_consumption"], ENERGY, date(2024, 11, 1), 2015, 2025
    )
    result = check(warehouse=WarehouseResource(path=str(warehouse)))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description == (
        "stats/energy_consumption: latest annual final 2022, expected 2023 by 2024-10-31; "
        "no monthly quick report delivered, expected 2024-09 by 2024-10-20"
    )
    assert result.metadata["as_of"].value == "2024-11-01"


def test_the_freshness_check_of_an_empty_warehouse_says_what_is_missing(tmp_path: Path):
    check = build_freshness_check(FEEDS["stats/gdp"], CALENDAR["stats/gdp"], None, 2015, 2016)
    result = check(warehouse=WarehouseResource(path=str(tmp_path / "empty.duckdb")))
    assert not result.passed  # today is long after 2016's reports were due
    assert result.description.startswith("stats/gdp: no annual final delivered, expected 2016")


def test_a_revision_line_names_files_divisions_levels_and_changes():
    revision = Revision(
        feed="stats/energy_consumption",
        period="2023",
        measure="energy_tco2",
        measure_name="energy CO2",
        unit="tCO2",
        previous_path="stats/energy_consumption/2023_annual.csv",
        revised_path="stats/energy_consumption/revision/2023_annual.csv",
        revised_received_at=datetime(2024, 11, 2, 9),
        changes=[
            DivisionChange("140100", "太原市", "city", "山西省", 320, 380, 60, 18.75),
            DivisionChange("140105", "小店区", "county", "太原市", 300, 360, 60, 20.0),
            DivisionChange("140107", "杏花岭区", "county", "太原市", 0, 5, 5, None),
        ],
    )
    assert revision.line() == (
        "stats/energy_consumption 2023 annual: revision/2023_annual.csv against "
        "2023_annual.csv moves energy CO2 of city 太原市 140100 320 → 380 tCO2 (+60 tCO2, "
        "+18.8%); county 小店区 140105 (太原市) 300 → 360 tCO2 (+60 tCO2, +20.0%), "
        "杏花岭区 140107 (太原市) 0 → 5 tCO2 (+5 tCO2, new)"
    )
    assert revision.line(per_level=1).endswith("(+60 tCO2, +20.0%) and 1 more")


# ---- how `emissions run` shows warnings ----------------------------------------------------


def _checked_asset(severity: dg.AssetCheckSeverity, passed: bool, name: str = "late_feed"):
    @dg.asset(
        name=name,
        check_specs=[dg.AssetCheckSpec("freshness", asset=name)],
    )
    def checked():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(
            check_name="freshness",
            passed=passed,
            severity=severity,
            description="stats/gdp: no annual final delivered,\nexpected 2024 by 2025-10-31",
        )

    return checked


def test_failed_warn_checks_are_one_line_each_and_error_ones_are_not_warnings():
    warned = dg.materialize([_checked_asset(dg.AssetCheckSeverity.WARN, False)])
    failed = dg.materialize(
        [_checked_asset(dg.AssetCheckSeverity.ERROR, False, "broken")], raise_on_error=False
    )
    assert warned.success
    lines = warning_lines([*warned.all_events, *failed.all_events])
    assert lines == [
        "check late_feed:freshness: stats/gdp: no annual final delivered, expected 2024 by "
        "2025-10-31"
    ]
    outcome = RunOutcome("abc", True, 2, 0, 0, warning_lines=lines)
    summary = outcome.summary_line().splitlines()
    assert summary[0] == f"WARNING {lines[0]}"
    assert summary[-1] == "runs abc succeeded: 2 step(s) ok, 0 failed, 0 skipped, 1 warning(s)"


def test_a_check_evaluated_by_several_runs_counts_by_its_last_evaluation():
    late = dg.materialize([_checked_asset(dg.AssetCheckSeverity.WARN, False)])
    on_time = dg.materialize([_checked_asset(dg.AssetCheckSeverity.WARN, True)])
    assert warning_lines([*late.all_events, *on_time.all_events]) == []
    assert len(warning_lines([*on_time.all_events, *late.all_events])) == 1


def test_the_freshness_check_is_a_non_blocking_warning_on_every_calendar_feeds_ingest_asset(home):
    from dagster._core.execution.api import create_execution_plan

    from orchestration.definitions import TRANSFORM_JOB, build_defs

    defs = build_defs(home)
    graph = defs.resolve_asset_graph()
    checked = {
        key.asset_key.to_user_string()
        for key in graph.asset_check_keys
        if key.name == FRESHNESS_CHECK
    }
    assert checked == {FEEDS[feed].asset_name for feed, reports in CALENDAR.items() if reports}
    for key in graph.asset_check_keys:
        if key.name == FRESHNESS_CHECK:
            assert not graph.get_check_spec(key).blocking
    # the daily transform job evaluates them too: a feed that delivers nothing is noticed
    plan = create_execution_plan(defs.resolve_job_def(TRANSFORM_JOB))
    plan_steps = set(plan.step_keys_to_execute)
    assert "raw_ets__compliance_freshness" in plan_steps
    assert "raw_ets__compliance" not in plan_steps  # the ingest itself is not in that job


def test_revisions_checks_are_ordered_before_every_publication_and_never_block(home):
    from dagster._core.execution.api import create_execution_plan

    from orchestration.definitions import TRANSFORM_JOB, build_defs

    defs = build_defs(home)
    graph = defs.resolve_asset_graph()
    names = {"revisions_of_stats__energy_consumption", "revisions_of_stats__gdp"}
    keys = [key for key in graph.asset_check_keys if key.name in names]
    assert {key.name for key in keys} == names
    plan = create_execution_plan(defs.resolve_job_def(TRANSFORM_JOB))
    deps = plan.get_all_step_deps()
    # Every step a publication waits for, directly or through others (the county totals are
    # published through their disclosure asset, which waits for the checks on their mart).
    upstream, pending = set(), ["published_emissions_by_sector"]
    while pending:
        for step in deps.get(pending.pop(), ()):
            if step not in upstream:
                upstream.add(step)
                pending.append(step)
    for key in keys:
        assert f"{key.asset_key.to_user_string()}_{key.name}" in upstream


def test_a_failed_blocking_check_of_warn_severity_orders_but_never_blocks_downstream():
    """What the revisions checks rely on: blocking, they run before the publications that
    depend on their asset; of WARN severity, their failure lets those publications run."""

    @dg.asset
    def mart():
        return 1

    @dg.asset_check(asset=mart, blocking=True)
    def revisions_of_feed():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    @dg.asset(deps=[mart])
    def published():
        return 2

    result = dg.materialize([mart, published, revisions_of_feed], raise_on_error=False)
    assert result.success
    keys = [event.asset_key.to_user_string() for event in result.get_asset_materialization_events()]
    assert keys == ["mart", "published"]
    assert len(warning_lines(result.all_events)) == 1
