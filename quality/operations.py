"""Operations warnings: feeds late against the statistical calendar, and re-delivered annual
reports that move a division's total; they warn, and never withhold a publication."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

CALENDAR_FILE = Path(__file__).resolve().parent / "delivery_calendar.yml"
GRAINS = ("year", "month", "day")
REPORT_KEYS = {"report", "period", "report_type", "due", "covered_by", "from", "source"}

REVISIONS_RELATION = "intermediate.int_revisions__division_changes"
# The feeds whose vintages int_revisions__division_totals_by_vintage totals: energy CO2 of the
# energy-consumption reports, GDP at current prices of the GDP reports.
REVISED_FEEDS = ("stats/energy_consumption", "stats/gdp")
REVISION_THRESHOLD = "revision_change_max_pct"
DIVISIONS_PER_LEVEL = 3  # divisions of each level a warning line names (the metadata has all)


# ---- periods ------------------------------------------------------------------------------


def parse_period(text: str, grain: str) -> date | None:
    """The first day of a delivery's period (``2023``, ``2023-05``, ``2023-05-31``), or None
    when the text is not a period of that grain."""
    parts = text.split("-")
    if len(parts) != GRAINS.index(grain) + 1 or not all(part.isdigit() for part in parts):
        return None
    try:
        return date(
            int(parts[0]),
            int(parts[1]) if len(parts) > 1 else 1,
            int(parts[2]) if len(parts) > 2 else 1,
        )
    except ValueError:
        return None


def format_period(start: date, grain: str) -> str:
    return {"year": f"{start:%Y}", "month": f"{start:%Y-%m}", "day": f"{start:%Y-%m-%d}"}[grain]


def period_containing(day: date, grain: str) -> date:
    if grain == "year":
        return date(day.year, 1, 1)
    if grain == "month":
        return date(day.year, day.month, 1)
    return day


def period_last_day(start: date, grain: str) -> date:
    if grain == "year":
        return date(start.year, 12, 31)
    if grain == "month":
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start


def previous_period(start: date, grain: str) -> date:
    if grain == "year":
        return date(start.year - 1, 1, 1)
    if grain == "month":
        return date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    return start - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the last day of a month stays the last day (31 December plus
    ten months is 31 October), another day is clamped to the target month's length."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    length = calendar.monthrange(year, month + 1)[1]
    is_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month + 1, length if is_month_end else min(day.day, length))


# ---- the delivery calendar ----------------------------------------------------------------


@dataclass(frozen=True)
class ReportCalendar:
    """One report of a feed and when it is due (quality/delivery_calendar.yml)."""

    feed: str
    report: str
    grain: str
    report_type: str | None
    due_months: int
    due_days: int
    source: str
    covered_by: str | None = None
    first_year: int | None = None

    def due(self, start: date) -> date:
        """The day by which the period starting on ``start`` is due."""
        last_day = period_last_day(start, self.grain)
        return add_months(last_day, self.due_months) + timedelta(days=self.due_days)

    def counts(self, report_type: str | None) -> bool:
        """Whether a delivery of this report type is this report (no type on either side:
        it is)."""
        return self.report_type is None or report_type is None or report_type == self.report_type

    def expected(self, as_of: date, first_year: int, last_year: int) -> date | None:
        """The start of the latest period due by ``as_of`` within the platform's years, or None
        when none is due yet."""
        candidate = period_containing(as_of, self.grain)
        last = period_containing(date(last_year, 12, 31), self.grain)
        candidate = min(candidate, last)
        while self.due(candidate) > as_of:
            candidate = previous_period(candidate, self.grain)
        earliest = max(first_year, self.first_year or first_year)
        return candidate if candidate.year >= earliest else None


def load_calendar(path: Path = CALENDAR_FILE) -> dict[str, tuple[ReportCalendar, ...]]:
    """The delivery calendar by feed; a malformed entry raises ValueError naming the file, the
    feed, the entry and what is wrong."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"delivery calendar {path}: {error}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping of feed → reports")
    feeds: dict[str, tuple[ReportCalendar, ...]] = {}
    for feed, entries in document.items():
        reports = []
        for index, entry in enumerate(entries or (), start=1):
            where = f"{path}: {feed}, report {index}"
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: expected a mapping")
            unknown = set(entry) - REPORT_KEYS
            missing = {"report", "period", "due", "source"} - set(entry)
            if unknown or missing:
                raise ValueError(
                    f"{where}: "
                    + "; ".join(
                        part
                        for part in (
                            f"unknown key(s) {', '.join(sorted(unknown))}" if unknown else "",
                            f"missing {', '.join(sorted(missing))}" if missing else "",
                        )
                        if part
                    )
                )
            if entry["period"] not in GRAINS:
                raise ValueError(f"{where}: period must be one of {', '.join(GRAINS)}")
            due = entry["due"]
            if not isinstance(due, dict) or set(due) - {"months", "days"} or not due:
                raise ValueError(f"{where}: due must be {{months: M, days: D}}")
            if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in due.values()):
                raise ValueError(f"{where}: due months and days are whole numbers >= 0")
            reports.append(
                ReportCalendar(
                    feed=feed,
                    report=entry["report"],
                    grain=entry["period"],
                    report_type=entry.get("report_type"),
                    due_months=due.get("months", 0),
                    due_days=due.get("days", 0),
                    source=" ".join(str(entry["source"]).split()),
                    covered_by=entry.get("covered_by"),
                    first_year=entry.get("from"),
                )
            )
        names = {report.report for report in reports}
        for report in reports:
            if report.covered_by is not None and report.covered_by not in names - {report.report}:
                raise ValueError(
                    f"{path}: {feed}, report {report.report!r}: covered_by "
                    f"{report.covered_by!r} is not another report of the feed"
                )
        feeds[feed] = tuple(reports)
    return feeds


# ---- freshness ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """A delivered file's period and report type, as its name says."""

    period: str
    report_type: str | None = None


@dataclass(frozen=True)
class Freshness:
    """One report of a feed against the calendar at the reference date."""

    report: ReportCalendar
    latest: date | None  # start of the latest period delivered
    expected: date | None  # start of the latest period due (None: nothing due yet)
    covered_until: date | None  # last day the deliveries (or a covering report) reach

    @property
    def is_late(self) -> bool:
        if self.expected is None:
            return False
        needed = period_last_day(self.expected, self.report.grain)
        return self.covered_until is None or self.covered_until < needed

    def _period(self, start: date | None) -> str:
        return "none" if start is None else format_period(start, self.report.grain)

    def line(self) -> str:
        """``latest annual final 2023, expected 2024 by 2025-10-31``."""
        if self.expected is None:
            return f"{self.report.report}: nothing due yet"
        latest = (
            f"no {self.report.report} delivered"
            if self.latest is None
            else f"latest {self.report.report} {self._period(self.latest)}"
        )
        return (
            f"{latest}, expected {self._period(self.expected)} "
            f"by {self.report.due(self.expected).isoformat()}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.report.report,
            "latest": None if self.latest is None else self._period(self.latest),
            "expected": None if self.expected is None else self._period(self.expected),
            "due_by": None if self.expected is None else self.report.due(self.expected).isoformat(),
            "late": self.is_late,
            "source": self.report.source,
        }


def feed_freshness(
    reports: Sequence[ReportCalendar],
    deliveries: Iterable[Delivery],
    as_of: date,
    first_year: int,
    last_year: int,
) -> list[Freshness]:
    """Each report of a feed: its latest delivery against the latest period due by ``as_of``."""
    deliveries = list(deliveries)

    def delivered(report: ReportCalendar) -> list[date]:
        starts = (
            parse_period(delivery.period, report.grain)
            for delivery in deliveries
            if report.counts(delivery.report_type)
        )
        return [start for start in starts if start is not None]

    by_name = {report.report: report for report in reports}
    results = []
    for report in reports:
        starts = delivered(report)
        latest = max(starts, default=None)
        ends = [period_last_day(start, report.grain) for start in starts]
        if report.covered_by is not None:
            cover = by_name[report.covered_by]
            ends += [period_last_day(start, cover.grain) for start in delivered(cover)]
        results.append(
            Freshness(
                report=report,
                latest=latest,
                expected=report.expected(as_of, first_year, last_year),
                covered_until=max(ends, default=None),
            )
        )
    return results


def freshness_warning(feed: str, results: Sequence[Freshness]) -> str | None:
    """The feed's late reports in one line, or None when none is late: ``stats/energy_consumption:
    latest annual final 2023, expected 2024 by 2025-10-31; latest monthly quick report …``."""
    late = [result.line() for result in results if result.is_late]
    return f"{feed}: " + "; ".join(late) if late else None


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, _, name = relation.partition(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def delivered_periods(con: duckdb.DuckDBPyConnection, feed: str) -> list[Delivery]:
    """The periods and report types of the feed's loaded deliveries (superseded vintages count:
    their period was delivered), from audit.file_deliveries; none before the first ingest."""
    if not relation_exists(con, "audit.file_deliveries"):
        return []
    rows = con.execute(
        "select distinct period, report_type from audit.file_deliveries "
        "where feed = ? and status in ('loaded', 'superseded') and period is not null",
        [feed],
    ).fetchall()
    return [Delivery(period, report_type) for period, report_type in rows]


# ---- revisions ----------------------------------------------------------------------------

LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class DivisionChange:
    division_code: str
    division_name_zh: str
    division_level: str
    parent_name_zh: str | None
    previous_value: float
    revised_value: float
    change: float
    change_pct: float | None  # None when the previous vintage had 0

    def text(self, unit: str) -> str:
        """``小店区 140105 (太原市) 300 → 360 tCO2 (+60 tCO2, +20.0%)``."""
        name = f"{self.division_name_zh} {self.division_code}"
        if self.division_level == "county" and self.parent_name_zh:
            name += f" ({self.parent_name_zh})"
        pct = "new" if self.change_pct is None else f"{self.change_pct:+.1f}%"
        return (
            f"{name} {self.previous_value:,.0f} → {self.revised_value:,.0f} {unit} "
            f"({self.change:+,.0f} {unit}, {pct})"
        )


@dataclass
class Revision:
    """A re-delivered annual report against the vintage it superseded, and the divisions whose
    total moved beyond the threshold (province, cities, counties; the largest change first)."""

    feed: str
    period: str
    measure: str
    measure_name: str
    unit: str
    previous_path: str
    revised_path: str
    revised_received_at: datetime
    changes: list[DivisionChange] = field(default_factory=list)

    def line(self, per_level: int = DIVISIONS_PER_LEVEL) -> str:
        """``stats/energy_consumption 2023 annual: revision/2023_annual.csv against
        2023_annual.csv moves energy CO2 of city 太原市 140100 320 → 380 tCO2 (+60 tCO2,
        +18.8%); county 小店区 140105 (太原市) 300 → 360 tCO2 (+60 tCO2, +20.0%)``: file
        names below the feed's folder, at most ``per_level`` divisions of each level."""
        parts = []
        for level in LEVELS:
            changes = [change for change in self.changes if change.division_level == level]
            if not changes:
                continue
            shown = ", ".join(change.text(self.unit) for change in changes[:per_level])
            more = len(changes) - per_level
            parts.append(f"{level} {shown}" + (f" and {more} more" if more > 0 else ""))
        prefix = f"{self.feed}/"
        return (
            f"{self.feed} {self.period} annual: {self.revised_path.removeprefix(prefix)} against "
            f"{self.previous_path.removeprefix(prefix)} moves {self.measure_name} of "
            + "; ".join(parts)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "period": self.period,
            "measure": self.measure,
            "unit": self.unit,
            "previous_file": self.previous_path,
            "revised_file": self.revised_path,
            "revised_received_at": self.revised_received_at.isoformat(),
            "divisions": [
                {
                    "division_code": c.division_code,
                    "division_name_zh": c.division_name_zh,
                    "division_level": c.division_level,
                    "previous": c.previous_value,
                    "revised": c.revised_value,
                    "change": c.change,
                    "change_pct": c.change_pct,
                }
                for c in self.changes
            ],
        }


REVISIONS_QUERY = f"""
select feed, period, measure, measure_name, unit, previous_path, revised_path,
       revised_received_at, division_code, division_name_zh, division_level, parent_name_zh,
       cast(previous_value as double), cast(revised_value as double), cast(change as double),
       change_pct
from {REVISIONS_RELATION}
where feed = ?
  and (cast(? as timestamp) is null or revised_received_at > cast(? as timestamp))
  and (change_pct is null and change <> 0 or abs(change_pct) > ?)
order by revised_received_at, period, revised_path, measure, division_sort, abs(change) desc,
         division_code
"""


def revisions(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    threshold_pct: float,
    received_after: datetime | None = None,
) -> list[Revision]:
    """The feed's re-delivered annual reports (received after ``received_after``, if given)
    that move a division's total by more than ``threshold_pct`` % against the vintage each
    superseded (a division absent from the superseded vintage always counts), from the
    warehouse's intermediate.int_revisions__division_changes."""
    if not relation_exists(con, REVISIONS_RELATION):
        raise LookupError(
            f"{REVISIONS_RELATION} is not in the warehouse: build the dbt models first"
        )
    if received_after is not None and received_after.tzinfo is not None:
        received_after = received_after.astimezone(UTC).replace(tzinfo=None)
    rows = con.execute(REVISIONS_QUERY, [feed, received_after, received_after, threshold_pct])
    found: dict[tuple, Revision] = {}
    for row in rows.fetchall():
        feed_, period, measure, measure_name, unit, previous_path, revised_path, received = row[:8]
        key = (feed_, period, measure, previous_path, revised_path, received)
        revision = found.setdefault(
            key,
            Revision(
                feed_, period, measure, measure_name, unit, previous_path, revised_path, received
            ),
        )
        revision.changes.append(DivisionChange(*row[8:]))
    return list(found.values())
