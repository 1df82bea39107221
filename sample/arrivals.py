"""When each file of the sample world arrives: the delivery calendar, read once.

The sample world runs to an as-of date, the last day with data. Its landing zone is what has
arrived by the morning after (the platform's today, ``EMISSIONS_AS_OF`` = as_of + 1 day: the
morning the grid company delivers the last day's meter and dispatch files). A report arrives on
the day it is due by the platform's delivery calendar (``quality/delivery_calendar.yml``, the
one declaration of the sources' lags, also read by the freshness warnings), so the sample is
never late and never early: annual finals ten months after their year, monthly quick reports
20 days after their month, the annual quick reports of GDP one and of the energy balance two
months after their year, population three, carbon-market compliance twelve, meter readings
and dispatch reports the next day. The annual revision of the monthly industrial output (the
``YYYY-MM_annual`` files) comes with the yearbook, when the energy finals are due. Dated
deliveries (the account registry, the carbon-market entity lists, the grid factor releases)
arrive on their date.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from quality.operations import ReportCalendar, load_calendar


@cache
def _calendar() -> dict[str, tuple[ReportCalendar, ...]]:
    return load_calendar()


def report(feed: str, report_type: str | None) -> ReportCalendar:
    """The calendar's report of ``feed`` that a delivery of ``report_type`` counts for."""
    reports = _calendar().get(feed, ())
    matching = [r for r in reports if r.report_type == report_type] or [
        r for r in reports if r.counts(report_type)
    ]
    if not matching:
        raise KeyError(
            f"quality/delivery_calendar.yml has no report of {feed} for report type "
            f"{report_type!r}: the sample cannot tell when it arrives"
        )
    return matching[0]


def due(feed: str, report_type: str | None, start: dt.date) -> dt.date:
    """The day the period starting on ``start`` of ``feed``'s report is due (and arrives)."""
    return report(feed, report_type).due(start)


def landing_day(as_of: dt.date) -> dt.date:
    """The platform's today for a world whose last day with data is ``as_of``."""
    return as_of + dt.timedelta(days=1)


def has_arrived(feed: str, report_type: str | None, start: dt.date, as_of: dt.date) -> bool:
    """Whether the report of the period starting on ``start`` is in the landing zone of a
    world whose last day with data is ``as_of``."""
    return due(feed, report_type, start) <= landing_day(as_of)
