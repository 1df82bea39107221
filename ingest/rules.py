"""The row-rule kit: each rule flags, for every row of a delivered frame, whether the row breaks it.

A rule is a polars expression (all of a file's are evaluated in one pass), or, for the few that
need a join or Python (the credit-code check character), a check of the whole frame. The code
lists a rule checks against are attributes of ``ReferenceData`` (the seeds), never literals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ingest.names import FileName
from ingest.reference import ReferenceData

RuleExpression = Callable[[pl.Schema, FileName, ReferenceData], pl.Expr]
RuleCheck = Callable[[pl.DataFrame, FileName, ReferenceData], pl.Series]

# What the staged types hold, the widest range a numeric column may declare: a value beyond
# would overflow the staging model's cast. Quantities are held to DECIMAL(38,6), 32 digits
# before the point (the published columns' type for Spark parity; DOUBLE, which staging casts
# to today, holds more), counts to a 32-bit INTEGER (staging casts them so; within BIGINT).
DECIMAL_38_6_LIMIT = 1e32  # |value| < 10^32 (compared as a double: the nearest one, 1e32)
INTEGER_LIMIT = 2**31  # |value| < 2^31
YEAR_LIMIT = 10_000  # a year has four digits
INFINITY = float("inf")

# Plain ASCII decimals, after stripping blanks: no exponent, no grouping, no NaN or inf, no
# hexadecimal, no full-width digits ([0-9], not \d, which is Unicode in polars' regex).
PLAIN_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
PLAIN_INTEGER = r"^[+-]?[0-9]+(?:\.0*)?$"  # 3 and 3.0 (as spreadsheets write whole numbers)


@dataclass(frozen=True)
class RowRule:
    column: str
    rule: str  # short code stored in audit.quarantined_rows.rule
    expression: RuleExpression | None = None
    check: RuleCheck | None = None

    def broken(self, frame: pl.DataFrame, name: FileName, reference: ReferenceData) -> pl.Series:
        if self.expression is not None:
            return frame.select(self.expression(frame.schema, name, reference)).to_series()
        assert self.check is not None
        return self.check(frame, name, reference)


def expression_rule(column: str, rule: str, build: RuleExpression) -> RowRule:
    return RowRule(column, rule, expression=build)


def text(column: str) -> pl.Expr:
    """The column as stripped text, whatever its type (Parquet delivers typed columns)."""
    return pl.col(column).cast(pl.String).str.strip_chars()


def blank(column: str, schema: pl.Schema | None = None) -> pl.Expr:
    """Null, or empty text. A typed (non-text) column is blank only where null."""
    if schema is not None and column in schema and schema[column] != pl.String:
        return pl.col(column).is_null()
    return pl.col(column).is_null() | (text(column) == "")


def _codes(reference: ReferenceData, attribute: str) -> list[str]:
    return sorted(getattr(reference, attribute))


def required(column: str) -> RowRule:
    return expression_rule(column, "required", lambda schema, _n, _r: blank(column, schema))


def required_all(*columns: str) -> tuple[RowRule, ...]:
    return tuple(required(column) for column in columns)


def in_reference(column: str, attribute: str, rule: str) -> RowRule:
    """A code of ``ReferenceData.<attribute>``, or blank (``required`` says if it may be)."""

    def build(_schema: pl.Schema, _name: FileName, reference: ReferenceData) -> pl.Expr:
        return ~blank(column) & ~pl.col(column).is_in(_codes(reference, attribute))

    return expression_rule(column, rule, build)


@dataclass(frozen=True)
class Range:
    """The values a numeric column may hold: less than ``limit`` in magnitude (at most what its
    staged type holds) and at least ``minimum`` (above it if ``strict``; None: any sign)."""

    limit: float
    minimum: float | None = 0.0
    strict: bool = False
    integer: bool = False

    def __post_init__(self) -> None:
        if self.limit > (INTEGER_LIMIT if self.integer else DECIMAL_38_6_LIMIT):
            raise ValueError(f"a range up to {self.limit:g} overflows the column's staged type")
        if self.minimum is not None and self.minimum < 0:
            raise ValueError("a minimum is None (any sign) or at least 0")


def quantity(minimum: float | None = 0.0, *, strict: bool = False) -> Range:
    """A decimal quantity, staged as DECIMAL(38,6)."""
    return Range(DECIMAL_38_6_LIMIT, minimum, strict)


def count() -> Range:
    """A whole number of things (≥ 0), staged as an integer."""
    return Range(INTEGER_LIMIT, 0, integer=True)


def year(minimum: float = 0) -> Range:
    """A four-digit year, staged as an integer."""
    return Range(YEAR_LIMIT, minimum, integer=True)


def number(column: str, allowed: Range) -> tuple[RowRule, ...]:
    """A number within ``allowed`` (a blank is left to ``required``), else one of:

    - ``not_a_number``: not a plain ASCII decimal (NaN, inf, 1e5, 1,234.5, 0x10, full-width
      digits, …), or in a typed column (Parquet) NaN or infinite;
    - ``not_an_integer``: a fraction where a whole number is due;
    - ``out_of_range``: its magnitude reaches the range's limit (what the staged type holds);
    - ``negative``: below 0 where the minimum is 0 or more;
    - ``below_minimum``: from 0 up to a positive minimum (or to a strict one, inclusive).
    """

    def numeric(schema: pl.Schema) -> bool:
        return schema[column].is_numeric()

    def value(schema: pl.Schema) -> pl.Expr:
        """The number as a double (NaN and infinities of a typed column kept: the comparisons
        below leave them to ``not_a_number``); null where blank or not a plain decimal."""
        if numeric(schema):
            return pl.col(column).cast(pl.Float64)
        return pl.when(text(column).str.contains(PLAIN_DECIMAL)).then(
            text(column).cast(pl.Float64, strict=False)
        )

    def rule(code: str, build: Callable[[pl.Schema], pl.Expr]) -> RowRule:
        return expression_rule(column, code, lambda schema, _n, _r: build(schema).fill_null(False))

    def not_a_number(schema: pl.Schema) -> pl.Expr:
        if numeric(schema):
            return ~pl.col(column).cast(pl.Float64).is_finite()
        return ~blank(column) & ~text(column).str.contains(PLAIN_DECIMAL)

    def out_of_range(schema: pl.Schema) -> pl.Expr:
        magnitude = value(schema).abs()
        if numeric(schema):  # NaN and infinities are not numbers, not out of range
            return magnitude.is_between(allowed.limit, INFINITY, closed="left")
        return magnitude >= allowed.limit  # a plain decimal too long for a double is infinite

    def not_an_integer(schema: pl.Schema) -> pl.Expr:
        if numeric(schema):
            number = value(schema)
            return number.is_finite() & (number != number.floor())
        return text(column).str.contains(PLAIN_DECIMAL) & ~text(column).str.contains(PLAIN_INTEGER)

    def negative(schema: pl.Schema) -> pl.Expr:
        return value(schema).is_between(-INFINITY, 0, closed="none")

    def below_minimum(schema: pl.Schema) -> pl.Expr:
        closed = "both" if allowed.strict else "left"
        return value(schema).is_between(0, allowed.minimum, closed=closed)

    rules = [rule("not_a_number", not_a_number), rule("out_of_range", out_of_range)]
    if allowed.integer:
        rules.append(rule("not_an_integer", not_an_integer))
    if allowed.minimum is not None:
        rules.append(rule("negative", negative))
        if allowed.minimum > 0 or allowed.strict:
            rules.append(rule("below_minimum", below_minimum))
    return tuple(rules)


def period_matches_file(column: str) -> RowRule:
    def build(schema: pl.Schema, name: FileName, _reference: ReferenceData) -> pl.Expr:
        if schema[column] == pl.Date and len(name.period) == len("YYYY-MM-DD"):
            return pl.col(column) != pl.lit(name.start)
        return text(column) != name.period

    return expression_rule(column, "period_outside_file", build)


def report_type_matches_file(column: str) -> RowRule:
    def build(_schema: pl.Schema, name: FileName, _reference: ReferenceData) -> pl.Expr:
        if name.report_type is None:
            return pl.repeat(False, pl.len())
        return text(column) != name.report_type

    return expression_rule(column, "report_type_outside_file", build)


def _as_date(column: str) -> pl.Expr:
    return text(column).str.to_date("%Y-%m-%d", strict=False)


def iso_date(column: str) -> RowRule:
    return expression_rule(
        column, "not_an_iso_date", lambda _s, _n, _r: ~blank(column) & _as_date(column).is_null()
    )


BOOLEAN_WORDS = ("true", "false")  # how the contract writes a boolean column's values


def boolean(column: str) -> RowRule:
    """``true`` or ``false`` as the contract writes them, or blank (``required`` says if it may
    be): ``not_a_boolean`` otherwise (1, yes, 是, True)."""
    return expression_rule(
        column,
        "not_a_boolean",
        lambda _s, _n, _r: ~blank(column) & ~text(column).is_in(list(BOOLEAN_WORDS)),
    )


def after(column: str, earlier: str, rule: str) -> RowRule:
    """A number greater than the row's ``earlier`` (where both are numbers)."""

    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        later = text(column).cast(pl.Float64, strict=False)
        first = text(earlier).cast(pl.Float64, strict=False)
        return (later <= first).fill_null(False)

    return expression_rule(column, rule, build)


def known_entity(column: str) -> RowRule:
    def build(_schema: pl.Schema, _name: FileName, reference: ReferenceData) -> pl.Expr:
        return ~blank(column) & ~pl.col(column).is_in(list(reference.entity_ids))

    return expression_rule(column, "unknown_entity", build)


def at_most_share_of(column: str, total: str, share: float, rule: str) -> RowRule:
    """At most ``share`` of the row's ``total`` (where both are numbers)."""

    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        part = pl.col(column).cast(pl.Float64, strict=False)
        whole = pl.col(total).cast(pl.Float64, strict=False)
        return (part > whole * share + 1e-9).fill_null(False)

    return expression_rule(column, rule, build)


def required_only_where(column: str, code_column: str, attribute: str, rule: str) -> RowRule:
    """Required where the row's ``code_column`` is in ``ReferenceData.<attribute>``, and
    empty everywhere else (coal consumption for coal-fired plants only)."""

    def build(_schema: pl.Schema, _name: FileName, reference: ReferenceData) -> pl.Expr:
        where = pl.col(code_column).is_in(_codes(reference, attribute))
        empty = blank(column)
        return (where & empty) | (~where & ~empty)

    return expression_rule(column, rule, build)


def negative_only_where(column: str, code_column: str, attribute: str) -> RowRule:
    """Below 0 only where the row's ``code_column`` is in ``ReferenceData.<attribute>`` (the
    stock change of the energy supply)."""

    def build(_schema: pl.Schema, _name: FileName, reference: ReferenceData) -> pl.Expr:
        plain = text(column).str.contains(PLAIN_DECIMAL)
        value = pl.when(plain).then(text(column).cast(pl.Float64, strict=False))
        may = pl.col(code_column).is_in(_codes(reference, attribute))
        return ((value < 0) & ~may).fill_null(False)

    return expression_rule(column, "negative", build)


def unit_allowed_for(unit_column: str, code_column: str, attribute: str) -> RowRule:
    """The unit is one ``ReferenceData.<attribute>`` (code → units) allows for the row's code;
    rows of unknown codes are left to the code's own rule."""

    def check(df: pl.DataFrame, _name: FileName, reference: ReferenceData) -> pl.Series:
        units_by_code: dict[str, frozenset[str]] = getattr(reference, attribute)
        pairs = [(code, unit) for code, units in units_by_code.items() for unit in units]
        allowed = pl.DataFrame(
            {"_code": [c for c, _ in pairs], "_unit": [u for _, u in pairs], "_ok": True},
            schema={"_code": pl.String, "_unit": pl.String, "_ok": pl.Boolean},
        )
        joined = df.select(
            pl.col(code_column).cast(pl.String).alias("_code"),
            pl.col(unit_column).cast(pl.String).alias("_unit"),
        )
        joined = joined.join(allowed, on=["_code", "_unit"], how="left", maintain_order="left")
        known = pl.col("_code").is_in(list(units_by_code))
        return joined.select(known & pl.col("_ok").is_null() & ~blank("_unit")).to_series()

    return RowRule(unit_column, "unit_not_allowed", check=check)


def valid_uscc(column: str) -> RowRule:
    """Unified social credit code with a correct GB 32100-2015 check character."""
    from ingest.uscc import is_valid_uscc

    def check(df: pl.DataFrame, _name: FileName, _reference: ReferenceData) -> pl.Series:
        values = df[column].cast(pl.String).to_list()
        return pl.Series(
            [v is not None and v.strip() != "" and not is_valid_uscc(v) for v in values]
        )

    return RowRule(column, "bad_check_character", check=check)


def open_account(column: str) -> RowRule:
    """A reading of a daily file must name a known account open on the file's day (rows of
    another day are quarantined by the period rule)."""

    def build(_schema: pl.Schema, name: FileName, reference: ReferenceData) -> pl.Expr:
        day = name.start
        accounts = reference.accounts
        open_ids = accounts.filter(
            (pl.col("opened_on").is_null() | (pl.col("opened_on") <= day))
            & (pl.col("closed_on").is_null() | (pl.col("closed_on") >= day))
        )["account_id"]
        return ~blank(column) & ~pl.col(column).is_in(open_ids.implode())

    return expression_rule(column, "unknown_or_closed_account", build)
