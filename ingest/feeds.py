"""The feeds of the data contract: folder, file naming, columns, keys and row rules of each."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from ingest.reference import ReferenceData

REPORT_TYPES = ("annual", "quick")
ENERGY_USES = ("终端消费", "火力发电", "供热", "炼焦", "炼油", "制气", "洗选煤", "原料用途")

# A rule sees the all-text frame plus the file's period and yields a boolean Series per row:
# True where the row breaks the rule.
RuleCheck = Callable[[pl.DataFrame, "FileName", ReferenceData], pl.Series]


@dataclass(frozen=True)
class RowRule:
    column: str
    rule: str  # short code stored in audit.quarantined_rows.rule
    check: RuleCheck


@dataclass(frozen=True)
class FileName:
    """What a delivered file's name says: ``<period>[_<report_type>].<ext>``."""

    period: str
    report_type: str | None


@dataclass(frozen=True)
class FeedSpec:
    feed: str  # the landing-zone folder, e.g. "stats/energy_consumption"
    columns: tuple[str, ...]
    key: tuple[str, ...]
    name_pattern: re.Pattern[str]
    formats: tuple[str, ...]
    rules: tuple[RowRule, ...] = field(default=())
    optional_columns: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        """The raw table: ``raw.<source>__<entity>``."""
        return self.feed.replace("/", "__")

    @property
    def asset_name(self) -> str:
        return f"raw_{self.table}"

    def parse_name(self, file_name: str) -> FileName | None:
        match = self.name_pattern.fullmatch(file_name)
        if match is None:
            return None
        groups = match.groupdict()
        return FileName(period=groups["period"], report_type=groups.get("report_type"))


# ---- reusable row rules -------------------------------------------------------------------


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def required(column: str) -> RowRule:
    return RowRule(column, "required", lambda df, _n, _r: df.select(_blank(column)).to_series())


def one_of(column: str, allowed: tuple[str, ...], rule: str) -> RowRule:
    return RowRule(
        column,
        rule,
        lambda df, _n, _r: df.select(~_blank(column) & ~pl.col(column).is_in(allowed)).to_series(),
    )


def in_reference(column: str, attribute: str, rule: str) -> RowRule:
    def check(df: pl.DataFrame, _name: FileName, reference: ReferenceData) -> pl.Series:
        allowed = list(getattr(reference, attribute))
        return df.select(~_blank(column) & ~pl.col(column).is_in(allowed)).to_series()

    return RowRule(column, rule, check)


def number(column: str, *, minimum: float | None = 0.0, integer: bool = False) -> RowRule:
    """Not a number, or below the minimum (``negative_quantity`` when the minimum is 0)."""

    def check(df: pl.DataFrame, _name: FileName, _reference: ReferenceData) -> pl.Series:
        text = pl.col(column).str.strip_chars()
        value = text.cast(pl.Int64 if integer else pl.Float64, strict=False)
        bad = ~_blank(column) & (value.is_null() | value.is_nan())
        if minimum is not None:
            bad = bad | (value < minimum).fill_null(False)
        return df.select(bad).to_series()

    rule = "not_a_number" if minimum is None else ("negative" if minimum == 0 else "below_minimum")
    return RowRule(column, rule, check)


def period_matches_file(column: str) -> RowRule:
    def check(df: pl.DataFrame, name: FileName, _reference: ReferenceData) -> pl.Series:
        return df.select(pl.col(column).str.strip_chars() != name.period).to_series()

    return RowRule(column, "period_outside_file", check)


def report_type_matches_file(column: str) -> RowRule:
    def check(df: pl.DataFrame, name: FileName, _reference: ReferenceData) -> pl.Series:
        if name.report_type is None:
            return pl.Series([False] * df.height)
        return df.select(pl.col(column).str.strip_chars() != name.report_type).to_series()

    return RowRule(column, "report_type_outside_file", check)


def unit_allowed_for_energy(unit_column: str, energy_column: str) -> RowRule:
    def check(df: pl.DataFrame, _name: FileName, reference: ReferenceData) -> pl.Series:
        pairs = [(e, u) for e, units in reference.units_by_energy.items() for u in units]
        allowed = pl.DataFrame(
            {"_energy": [e for e, _ in pairs], "_unit": [u for _, u in pairs], "_ok": True},
            schema={"_energy": pl.String, "_unit": pl.String, "_ok": pl.Boolean},
        )
        joined = df.select(
            pl.col(energy_column).alias("_energy"), pl.col(unit_column).alias("_unit")
        )
        joined = joined.join(allowed, on=["_energy", "_unit"], how="left", maintain_order="left")
        known_energy = pl.col("_energy").is_in(list(reference.units_by_energy))
        return joined.select(known_energy & pl.col("_ok").is_null() & ~_blank("_unit")).to_series()

    return RowRule(unit_column, "unit_not_allowed", check)


YEAR_OR_MONTH = r"(?P<period>\d{4}(?:-(?:0[1-9]|1[0-2]))?)_(?P<report_type>annual|quick)"

ENERGY_CONSUMPTION = FeedSpec(
    feed="stats/energy_consumption",
    columns=(
        "period",
        "report_type",
        "division_code",
        "industry_code",
        "energy_name",
        "use",
        "quantity",
        "unit",
        "reporting_units",
    ),
    key=("division_code", "industry_code", "energy_name", "use"),
    name_pattern=re.compile(YEAR_OR_MONTH + r"\.(?:csv|xlsx)"),
    formats=("csv", "xlsx"),
    rules=(
        *(
            required(c)
            for c in ("period", "report_type", "division_code", "industry_code", "energy_name")
        ),
        required("use"),
        required("quantity"),
        required("unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        RowRule(
            "energy_name",
            "unknown_energy",
            lambda df, _n, ref: df.select(
                ~_blank("energy_name") & ~pl.col("energy_name").is_in(list(ref.units_by_energy))
            ).to_series(),
        ),
        one_of("use", ENERGY_USES, "unknown_use"),
        number("quantity"),
        unit_allowed_for_energy("unit", "energy_name"),
        number("reporting_units", integer=True),
    ),
)

FEEDS: dict[str, FeedSpec] = {spec.feed: spec for spec in (ENERGY_CONSUMPTION,)}
