"""Delivered files' names: the contract's patterns, what a name says, which periods may load."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ingest.files import FileRejected

YEAR = r"\d{4}"
MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
DAY = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"


@dataclass(frozen=True)
class FileName:
    """What a delivered file's name says: ``<period>[_<report_type>].<ext>``."""

    period: str
    report_type: str | None

    @property
    def start(self) -> date:
        """First day of the period: ``2019`` → 2019-01-01, ``2019-03`` → 2019-03-01. Raises
        ValueError for a day the calendar does not have (``2025-02-30``)."""
        parts = [int(part) for part in self.period.split("-")]
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)

    @property
    def start_or_none(self) -> date | None:
        try:
            return self.start
        except ValueError:
            return None


def alternatives(codes: Iterable[str]) -> str:
    """A regular expression matching exactly one of ``codes``."""
    return "|".join(re.escape(code) for code in sorted(codes, key=lambda code: (-len(code), code)))


PERIOD_WORDS = {YEAR: "<YYYY>", MONTH: "<YYYY-MM>", DAY: "<YYYY-MM-DD>"}


@dataclass(frozen=True)
class Naming:
    """How a feed's files are named: the pattern, and the rule in words for a rejection."""

    pattern: re.Pattern[str]
    words: str


def naming(
    period: str,
    *,
    report_types: Iterable[str],
    prefix: str | None = None,
    report_type: str = "optional",
    extensions: tuple[str, ...] = ("csv", "xlsx"),
    words: str | None = None,
) -> Naming:
    """``[<prefix>_]<period>[_<report_type>].<ext>`` as the contract names deliveries;
    ``report_type`` is "required", "optional" or "none"; ``words`` replaces the generated
    wording of an unusual pattern."""
    report_types = list(report_types)
    head = f"{prefix}_" if prefix else ""
    kind = f"_(?P<report_type>{alternatives(report_types)})"
    tail = {"required": kind, "optional": f"(?:{kind})?", "none": ""}[report_type]
    extension = "|".join(extensions)
    pattern = re.compile(f"{head}(?P<period>{period}){tail}\\.(?:{extension})")
    kinds = f"_<{'|'.join(report_types)}>"
    tail_words = {"required": kinds, "optional": f"[{kinds}]", "none": ""}[report_type]
    generated = f"{head}{PERIOD_WORDS.get(period, '<period>')}{tail_words}.<{extension}>"
    return Naming(pattern, words or generated)


@dataclass(frozen=True)
class PeriodBounds:
    """The periods a delivered file may carry in its name: none after ``today``, and for a
    feed of periods (partitioned: statistics, readings, factors) only the platform's years
    (settings EMISSIONS_FIRST_YEAR..EMISSIONS_LAST_YEAR). A registry or a decision (entities,
    accounts, targets) is dated by its delivery, any day up to today. Without years, any year
    up to today."""

    today: date
    first_year: int | None = None
    last_year: int | None = None

    def refusal(self, name: FileName, *, partitioned: bool) -> FileRejected | None:
        """Why a file with this name is rejected whole, or None."""
        start = name.start_or_none
        if start is None:
            return FileRejected(
                "file_name", f"the period {name.period} in the name is not a calendar date"
            )
        if start > self.today:
            return FileRejected(
                "period_in_future",
                f"the period {name.period} in the name starts after today ({self.today})",
            )
        if partitioned and self.first_year is not None and start.year < self.first_year:
            return FileRejected(
                "period_out_of_range",
                f"the period {name.period} in the name is before the platform's first year "
                f"{self.first_year} (EMISSIONS_FIRST_YEAR)",
            )
        if partitioned and self.last_year is not None and start.year > self.last_year:
            return FileRejected(
                "period_out_of_range",
                f"the period {name.period} in the name is after the platform's last year "
                f"{self.last_year} (EMISSIONS_LAST_YEAR)",
            )
        return None
