"""Operations warnings as Dagster asset checks of WARN severity: each feed's freshness against
the statistical calendar, on its ingest asset, and the revisions of annual reports, before
publication. They show in the UI and in `emissions run`'s summary and never stop a release."""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import dagster as dg

from ingest.feeds import FEEDS, FeedSpec
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.settings import reference_date
from quality.gate import load_thresholds
from quality.operations import (
    CALENDAR_FILE,
    REVISED_FEEDS,
    REVISION_THRESHOLD,
    ReportCalendar,
    delivered_periods,
    feed_freshness,
    freshness_warning,
    load_calendar,
    revisions,
)

FRESHNESS_CHECK = "freshness"
# The mart whose totals the revisions move; every publication waits on its checks, so a
# blocking check here is evaluated before any table is published (its WARN never blocks).
REVISIONS_ASSET = dg.AssetKey("out_emissions__by_county")


def revisions_check_name(feed: str) -> str:
    """``stats/energy_consumption`` → ``revisions_of_stats__energy_consumption``."""
    return f"revisions_of_{FEEDS[feed].table}"


def _due_rule(report: ReportCalendar) -> str:
    parts = [f"{report.due_months} month(s)"] if report.due_months else []
    parts += [f"{report.due_days} day(s)"] if report.due_days else []
    return f"{report.report} due {' '.join(parts)} after the {report.grain}"


def build_freshness_check(
    spec: FeedSpec,
    reports: Sequence[ReportCalendar],
    as_of: date | None,
    first_year: int,
    last_year: int,
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=spec.asset_name,
        name=FRESHNESS_CHECK,
        pool=WAREHOUSE_POOL,
        description=(
            f"Warns when a report of {spec.feed} is late against quality/{CALENDAR_FILE.name} "
            f"({'; '.join(_due_rule(report) for report in reports)}), as of EMISSIONS_AS_OF or "
            "today. A warning: what was delivered is still published."
        ),
    )
    def freshness(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        today = reference_date(as_of)
        with warehouse.connect() as con:
            deliveries = delivered_periods(con, spec.feed)
        results = feed_freshness(reports, deliveries, today, first_year, last_year)
        warning = freshness_warning(spec.feed, results)
        return dg.AssetCheckResult(
            passed=warning is None,
            severity=dg.AssetCheckSeverity.WARN,
            description=warning or f"{spec.feed}: every report on time as of {today}",
            metadata={
                "as_of": today.isoformat(),
                "late": sum(result.is_late for result in results),
                "reports": dg.MetadataValue.json([result.as_dict() for result in results]),
            },
        )

    return freshness


def freshness_checks(
    as_of: date | None, first_year: int, last_year: int
) -> list[dg.AssetChecksDefinition]:
    """A freshness check on the ingest asset of every feed with a report in the calendar."""
    calendar = load_calendar()
    return [
        build_freshness_check(FEEDS[feed], reports, as_of, first_year, last_year)
        for feed, reports in calendar.items()
        if reports and feed in FEEDS
    ]


def last_release_time(
    instance: dg.DagsterInstance, published: Sequence[dg.AssetKey]
) -> datetime | None:
    """When a table was last published (its latest materialisation), or None if never."""
    times = [
        event.timestamp
        for event in (instance.get_latest_materialization_event(key) for key in published)
        if event is not None
    ]
    return datetime.fromtimestamp(max(times), UTC) if times else None


def build_revisions_check(feed: str, published: Sequence[dg.AssetKey]) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=REVISIONS_ASSET,
        name=revisions_check_name(feed),
        blocking=True,  # ordered before publication; a WARN result never blocks it
        pool=WAREHOUSE_POOL,
        description=(
            f"Warns when an annual report of {feed} re-delivered since the last release moves a "
            f"county's, city's or the province's total by more than {REVISION_THRESHOLD} "
            "(quality/thresholds.yml) against the vintage it superseded "
            "(intermediate.int_revisions__division_changes). A warning: the revision is "
            "published."
        ),
    )
    def revisions_of_feed(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        threshold = load_thresholds()[REVISION_THRESHOLD]
        since = last_release_time(context.instance, published)
        try:
            with warehouse.connect() as con:
                found = revisions(con, feed, threshold, received_after=since)
        except LookupError as missing:
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"revisions of {feed} not compared: {missing}",
            )
        window = "since the last release" if since else "(nothing published yet)"
        return dg.AssetCheckResult(
            passed=not found,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(revision.line() for revision in found)
            or f"no annual report of {feed} re-delivered {window} moves a division's total "
            f"by more than {threshold}%",
            metadata={
                "threshold_pct": threshold,
                "received_after": since.isoformat() if since else None,
                "revisions": dg.MetadataValue.json([revision.as_dict() for revision in found]),
            },
        )

    return revisions_of_feed


def revisions_checks(published: Sequence[dg.AssetKey]) -> list[dg.AssetChecksDefinition]:
    """A revisions check per feed whose annual reports the revision models compare."""
    return [build_revisions_check(feed, published) for feed in REVISED_FEEDS]


def operations_checks(
    as_of: date | None,
    first_year: int,
    last_year: int,
    published: Sequence[dg.AssetKey],
) -> list[dg.AssetChecksDefinition]:
    """Every operations warning: the feeds' freshness and the revisions of annual reports."""
    return [*freshness_checks(as_of, first_year, last_year), *revisions_checks(published)]
