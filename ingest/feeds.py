"""The feeds of the data contract: folder, file naming, columns, keys and row rules of each."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from ingest.reference import ReferenceData
from reference import codes

REPORT_TYPES = ("annual", "quick")
ENERGY_USES = ("终端消费", "火力发电", "供热", "炼焦", "炼油", "制气", "洗选煤", "原料用途")

# A rule yields, for every row of a delivered frame, True where the row breaks it. Most rules
# are a polars expression (all of a file's are evaluated in one pass); the few that need a join
# or Python (the credit-code check character) look at the whole frame.
RuleExpression = Callable[[pl.Schema, "FileName", ReferenceData], pl.Expr]
RuleCheck = Callable[[pl.DataFrame, "FileName", ReferenceData], pl.Series]


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


@dataclass(frozen=True)
class FileName:
    """What a delivered file's name says: ``<period>[_<report_type>].<ext>``."""

    period: str
    report_type: str | None

    @property
    def start(self) -> date:
        """First day of the period: ``2019`` → 2019-01-01, ``2019-03`` → 2019-03-01."""
        parts = [int(part) for part in self.period.split("-")]
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


@dataclass(frozen=True)
class FeedSpec:
    feed: str  # the landing-zone folder, e.g. "stats/energy_consumption"
    columns: tuple[str, ...]
    key: tuple[str, ...]
    name_pattern: re.Pattern[str]
    formats: tuple[str, ...]
    # The naming rule in words, for the rejection of a file that breaks it.
    name_rule: str = "<period>[_<report_type>].<ext>"
    rules: tuple[RowRule, ...] = field(default=())
    optional_columns: tuple[str, ...] = ()
    # Dagster partitions of the ingest asset: "year", "month", "day", or None for registries
    # delivered at any time (entities, accounts).
    partitioning: str | None = None
    # Raw columns stored typed rather than as delivered text (the large feeds): column → type.
    types: dict[str, str] = field(default_factory=dict)

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


def _text(column: str) -> pl.Expr:
    """The column as stripped text, whatever its type (Parquet delivers typed columns)."""
    return pl.col(column).cast(pl.String).str.strip_chars()


def _blank(column: str, schema: pl.Schema | None = None) -> pl.Expr:
    """Null, or empty text. A typed (non-text) column is blank only where null."""
    if schema is not None and column in schema and schema[column] != pl.String:
        return pl.col(column).is_null()
    return pl.col(column).is_null() | (_text(column) == "")


def _as_date(column: str) -> pl.Expr:
    return _text(column).str.to_date("%Y-%m-%d", strict=False)


def required(column: str) -> RowRule:
    return expression_rule(column, "required", lambda schema, _n, _r: _blank(column, schema))


def one_of(column: str, allowed: tuple[str, ...], rule: str) -> RowRule:
    return expression_rule(
        column, rule, lambda _s, _n, _r: ~_blank(column) & ~pl.col(column).is_in(allowed)
    )


def in_reference(column: str, attribute: str, rule: str) -> RowRule:
    def build(_schema: pl.Schema, _name: FileName, reference: ReferenceData) -> pl.Expr:
        return ~_blank(column) & ~pl.col(column).is_in(list(getattr(reference, attribute)))

    return expression_rule(column, rule, build)


def number(column: str, *, minimum: float | None = 0.0, integer: bool = False) -> RowRule:
    """Not a number, or below the minimum (``negative`` when the minimum is 0)."""

    def build(schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        target = pl.Int64 if integer else pl.Float64
        if schema[column].is_numeric():
            value = pl.col(column).cast(target, strict=False)
        else:
            value = pl.col(column).str.strip_chars().cast(target, strict=False)
        bad = ~_blank(column, schema) & (value.is_null() | value.is_nan())
        if minimum is not None:
            bad = bad | (value < minimum).fill_null(False)
        return bad

    rule = "not_a_number" if minimum is None else ("negative" if minimum == 0 else "below_minimum")
    return expression_rule(column, rule, build)


def period_matches_file(column: str) -> RowRule:
    def build(schema: pl.Schema, name: FileName, _reference: ReferenceData) -> pl.Expr:
        if schema[column] == pl.Date and len(name.period) == len("YYYY-MM-DD"):
            return pl.col(column) != pl.lit(name.start)
        return _text(column) != name.period

    return expression_rule(column, "period_outside_file", build)


def report_type_matches_file(column: str) -> RowRule:
    def build(_schema: pl.Schema, name: FileName, _reference: ReferenceData) -> pl.Expr:
        if name.report_type is None:
            return pl.repeat(False, pl.len())
        return _text(column) != name.report_type

    return expression_rule(column, "report_type_outside_file", build)


def iso_date(column: str) -> RowRule:
    return expression_rule(
        column, "not_an_iso_date", lambda _s, _n, _r: ~_blank(column) & _as_date(column).is_null()
    )


def known_entity(column: str) -> RowRule:
    def build(_schema: pl.Schema, _name: FileName, reference: ReferenceData) -> pl.Expr:
        return ~_blank(column) & ~pl.col(column).is_in(list(reference.entity_ids))

    return expression_rule(column, "unknown_entity", build)


def ccer_within_limit() -> RowRule:
    """CCER offsets may cover at most 5% of verified emissions."""

    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        ccer = pl.col("ccer_offset_tco2").cast(pl.Float64, strict=False)
        verified = pl.col("verified_emissions_tco2").cast(pl.Float64, strict=False)
        return (ccer > verified * 0.05 + 1e-9).fill_null(False)

    return expression_rule("ccer_offset_tco2", "ccer_over_5_percent", build)


def coal_consumption_for_coal_plants() -> RowRule:
    """coal_consumption_tce is required for 煤电 and empty for every other fuel."""

    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        is_coal = pl.col("fuel_type") == "煤电"
        blank = _blank("coal_consumption_tce")
        return (is_coal & blank) | (~is_coal & ~blank)

    return expression_rule("coal_consumption_tce", "coal_consumption_only_for_coal", build)


def stock_item_only_negative() -> RowRule:
    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        value = pl.col("quantity").cast(pl.Float64, strict=False)
        return ((value < 0) & (pl.col("item") != "库存增(-)减(+)量")).fill_null(False)

    return expression_rule("quantity", "negative", build)


def product_unit() -> RowRule:
    """Weight cases (重量箱) only for 平板玻璃."""

    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        weight_case = pl.col("unit").is_in(["重量箱", "万重量箱"])
        return weight_case & (pl.col("product_name") != "平板玻璃")

    return expression_rule("unit", "unit_not_allowed", build)


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

    return RowRule(unit_column, "unit_not_allowed", check=check)


def valid_uscc(column: str) -> RowRule:
    """Unified social credit code with a correct GB 32100-2015 check character."""
    from ingest.uscc import is_valid_uscc

    def check(df: pl.DataFrame, _name: FileName, _reference: ReferenceData) -> pl.Series:
        values = df[column].to_list()
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
        return ~_blank(column) & ~pl.col(column).is_in(open_ids.implode())

    return expression_rule(column, "unknown_or_closed_account", build)


def name_pattern(
    period: str,
    *,
    prefix: str | None = None,
    report_type: str = "optional",
    extensions: tuple[str, ...] = ("csv", "xlsx"),
) -> re.Pattern[str]:
    """``[<prefix>_]<period>[_<report_type>].<ext>`` as the contract names deliveries."""
    head = f"{prefix}_" if prefix else ""
    kind = r"_(?P<report_type>annual|quick)"
    tail = {"required": kind, "optional": f"(?:{kind})?", "none": ""}[report_type]
    extension = "|".join(extensions)
    return re.compile(f"{head}(?P<period>{period}){tail}\\.(?:{extension})")


YEAR = r"\d{4}"
MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
DAY = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
SUPPLY_ITEMS = (
    "一次能源生产量",
    "外省(市)调入量",
    "调出到外省(市)量",
    "进口量",
    "出口量",
    "库存增(-)减(+)量",
)
PRODUCTS = (
    "粗钢",
    "生铁",
    "焦炭",
    "水泥熟料",
    "水泥",
    "平板玻璃",
    "电解铝",
    "合成氨",
    "电石",
    "石灰",
)
PRODUCT_UNITS = ("吨", "万吨", "重量箱", "万重量箱")
ETS_SECTORS = ("power", "steel", "cement", "aluminium")
CUSTOMER_TYPES = ("大工业", "一般工商业", "居民", "农业")
FUEL_TYPES = ("煤电", "燃气", "煤层气", "水电", "风电", "光伏", "生物质", "其他")
GRID_REGIONS = ("全国", "华北", "山西")
GRID_FACTOR_TYPES = ("average", "fossil", "excluding_market_nonfossil")


def _required(*columns: str) -> tuple[RowRule, ...]:
    return tuple(required(column) for column in columns)


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
    # Monthly reports are quick reports (contract): `YYYY-MM_annual` is not a delivery. The
    # accounting relies on it to find a year's non-final reports from the report type alone.
    name_pattern=name_pattern(f"{YEAR}|{MONTH}(?=_quick\\.)", report_type="required"),
    name_rule="<YYYY>_<annual|quick>.<ext> or <YYYY-MM>_quick.<ext> (monthly reports are quick)",
    formats=("csv", "xlsx"),
    partitioning="year",
    rules=(
        *_required("period", "report_type", "division_code", "industry_code", "energy_name"),
        *_required("use", "quantity", "unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        in_reference("energy_name", "energy_names", "unknown_energy"),
        one_of("use", ENERGY_USES, "unknown_use"),
        number("quantity"),
        unit_allowed_for_energy("unit", "energy_name"),
        number("reporting_units", integer=True),
    ),
)

ENERGY_SUPPLY = FeedSpec(
    feed="stats/energy_supply",
    columns=("period", "report_type", "division_code", "energy_name", "item", "quantity", "unit"),
    key=("division_code", "energy_name", "item"),
    name_pattern=name_pattern(YEAR),
    formats=("csv", "xlsx"),
    partitioning="year",
    rules=(
        *_required("period", "report_type", "division_code", "energy_name", "item"),
        *_required("quantity", "unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        one_of("report_type", REPORT_TYPES, "unknown_report_type"),
        in_reference("division_code", "province_and_city_codes", "unknown_division"),
        in_reference("energy_name", "energy_names", "unknown_energy"),
        one_of("item", SUPPLY_ITEMS, "unknown_item"),
        number("quantity", minimum=None),
        stock_item_only_negative(),
        unit_allowed_for_energy("unit", "energy_name"),
    ),
)

GDP = FeedSpec(
    feed="stats/gdp",
    columns=(
        "period",
        "report_type",
        "division_code",
        "gdp_100m_yuan",
        "real_growth_pct",
        "secondary_industry_100m_yuan",
    ),
    key=("division_code",),
    name_pattern=name_pattern(YEAR),
    formats=("csv", "xlsx"),
    partitioning="year",
    rules=(
        *_required("period", "report_type", "division_code", "gdp_100m_yuan", "real_growth_pct"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        one_of("report_type", REPORT_TYPES, "unknown_report_type"),
        in_reference("division_code", "division_codes", "unknown_division"),
        number("gdp_100m_yuan", minimum=1e-9),
        number("real_growth_pct", minimum=None),
        number("secondary_industry_100m_yuan"),
    ),
)

POPULATION = FeedSpec(
    feed="stats/population",
    columns=("year", "division_code", "resident_population_10k"),
    key=("division_code",),
    name_pattern=name_pattern(YEAR),
    formats=("csv", "xlsx"),
    partitioning="year",
    rules=(
        *_required("year", "division_code", "resident_population_10k"),
        period_matches_file("year"),
        in_reference("division_code", "division_codes", "unknown_division"),
        number("resident_population_10k", minimum=1e-9),
    ),
)

INDUSTRIAL_OUTPUT = FeedSpec(
    feed="stats/industrial_output",
    columns=("period", "report_type", "division_code", "product_name", "quantity", "unit"),
    key=("division_code", "product_name"),
    name_pattern=name_pattern(MONTH),
    formats=("csv", "xlsx"),
    partitioning="month",
    rules=(
        *_required("period", "report_type", "division_code", "product_name", "quantity", "unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        one_of("report_type", REPORT_TYPES, "unknown_report_type"),
        in_reference("division_code", "county_codes", "unknown_division"),
        one_of("product_name", PRODUCTS, "unknown_product"),
        number("quantity"),
        one_of("unit", PRODUCT_UNITS, "unknown_unit"),
        product_unit(),
    ),
)

ETS_ENTITIES = FeedSpec(
    feed="ets/entities",
    columns=(
        "entity_id",
        "entity_name",
        "division_code",
        "industry_code",
        "ets_sector",
        "first_year",
    ),
    key=("entity_id",),
    name_pattern=name_pattern(DAY, prefix="entities", report_type="none"),
    formats=("csv", "xlsx"),
    rules=(
        *_required("entity_id", "entity_name", "division_code", "industry_code", "ets_sector"),
        required("first_year"),
        valid_uscc("entity_id"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        one_of("ets_sector", ETS_SECTORS, "unknown_sector"),
        number("first_year", minimum=2013, integer=True),
    ),
)

ETS_COMPLIANCE = FeedSpec(
    feed="ets/compliance",
    columns=(
        "compliance_year",
        "entity_id",
        "verified_emissions_tco2",
        "allocated_allowances_tco2",
        "surrendered_allowances_tco2",
        "ccer_offset_tco2",
        "output_quantity",
        "output_unit",
        "verification_date",
    ),
    key=("entity_id",),
    name_pattern=name_pattern(YEAR),
    formats=("csv", "xlsx"),
    partitioning="year",
    rules=(
        *_required("compliance_year", "entity_id", "verified_emissions_tco2"),
        *_required("allocated_allowances_tco2", "surrendered_allowances_tco2"),
        *_required("output_quantity", "output_unit", "verification_date"),
        period_matches_file("compliance_year"),
        known_entity("entity_id"),
        number("verified_emissions_tco2"),
        number("allocated_allowances_tco2"),
        number("surrendered_allowances_tco2"),
        number("ccer_offset_tco2"),
        number("output_quantity"),
        one_of("output_unit", ("兆瓦时", "吨"), "unknown_unit"),
        iso_date("verification_date"),
        ccer_within_limit(),
    ),
)

POWER_ACCOUNTS = FeedSpec(
    feed="power/accounts",
    columns=(
        "account_id",
        "division_code",
        "industry_code",
        "customer_type",
        "entity_id",
        "opened_on",
        "closed_on",
    ),
    key=("account_id",),
    name_pattern=name_pattern(DAY, prefix="accounts", report_type="none"),
    formats=("csv", "xlsx"),
    rules=(
        *_required("account_id", "division_code", "industry_code", "customer_type", "opened_on"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        one_of("customer_type", CUSTOMER_TYPES, "unknown_customer_type"),
        valid_uscc("entity_id"),
        iso_date("opened_on"),
        iso_date("closed_on"),
    ),
)

METER_DAILY = FeedSpec(
    feed="power/meter_daily",
    columns=("account_id", "date", "electricity_kwh"),
    key=("account_id",),
    name_pattern=name_pattern(DAY, report_type="none", extensions=("parquet", "csv")),
    formats=("parquet", "csv"),
    types={"date": "date", "electricity_kwh": "double"},
    partitioning="day",
    rules=(
        *_required("account_id", "date", "electricity_kwh"),
        period_matches_file("date"),
        number("electricity_kwh"),
        open_account("account_id"),
    ),
)

GENERATION_DAILY = FeedSpec(
    feed="power/generation_daily",
    columns=(
        "date",
        "plant_id",
        "plant_name",
        "division_code",
        "fuel_type",
        "capacity_mw",
        "generation_mwh",
        "coal_consumption_tce",
        "exported_mwh",
    ),
    key=("plant_id",),
    name_pattern=name_pattern(DAY, report_type="none"),
    formats=("csv", "xlsx"),
    partitioning="day",
    rules=(
        *_required("date", "plant_id", "plant_name", "division_code", "fuel_type"),
        *_required("capacity_mw", "generation_mwh", "exported_mwh"),
        period_matches_file("date"),
        in_reference("division_code", "county_codes", "unknown_division"),
        one_of("fuel_type", FUEL_TYPES, "unknown_fuel_type"),
        number("capacity_mw", minimum=1e-9),
        number("generation_mwh"),
        number("coal_consumption_tce"),
        number("exported_mwh"),
        coal_consumption_for_coal_plants(),
    ),
)

GRID_FACTORS = FeedSpec(
    feed="factors/grid",
    columns=("year", "region", "factor_type", "value_tco2_per_mwh", "source", "published_on"),
    key=("region", "factor_type"),
    name_pattern=name_pattern(YEAR, report_type="none"),
    formats=("csv", "xlsx"),
    partitioning="year",
    rules=(
        *_required("year", "region", "factor_type", "value_tco2_per_mwh", "source"),
        required("published_on"),
        period_matches_file("year"),
        one_of("region", GRID_REGIONS, "unknown_region"),
        one_of("factor_type", GRID_FACTOR_TYPES, "unknown_factor_type"),
        number("value_tco2_per_mwh", minimum=1e-9),
        iso_date("published_on"),
    ),
)


def target_year_after_base_year() -> RowRule:
    def build(_schema: pl.Schema, _name: FileName, _reference: ReferenceData) -> pl.Expr:
        base = _text("base_year").cast(pl.Int64, strict=False)
        target = _text("target_year").cast(pl.Int64, strict=False)
        return (target <= base).fill_null(False)

    return expression_rule("target_year", "target_year_not_after_base_year", build)


# The feed policy/targets of the contract (双控目标), one file per decision. Its codes are the
# seeds'. (Stand-in of the targets branch: the ingest branch delivers this spec.)
POLICY_TARGETS = FeedSpec(
    feed="policy/targets",
    columns=(
        "plan_period",
        "division_code",
        "indicator",
        "base_year",
        "target_year",
        "value",
        "binding",
        "document",
        "decided_on",
    ),
    key=("plan_period", "division_code", "indicator"),
    name_pattern=name_pattern(DAY, prefix="targets", report_type="none", extensions=("csv",)),
    name_rule="targets_<YYYY-MM-DD>.csv (the date of the decision)",
    formats=("csv",),
    rules=(
        *_required("plan_period", "division_code", "indicator", "base_year", "target_year"),
        *_required("value", "binding", "document", "decided_on"),
        one_of("plan_period", codes("ref_plan_periods"), "unknown_plan_period"),
        in_reference("division_code", "division_codes", "unknown_division"),
        one_of("indicator", codes("ref_target_indicators"), "unknown_indicator"),
        number("base_year", minimum=1949, integer=True),
        number("target_year", minimum=1949, integer=True),
        target_year_after_base_year(),
        number("value", minimum=None),
        one_of("binding", codes("ref_target_bindings"), "unknown_binding"),
        iso_date("decided_on"),
    ),
)

# In load order: entities before compliance, accounts before meter readings.
FEEDS: dict[str, FeedSpec] = {
    spec.feed: spec
    for spec in (
        ENERGY_CONSUMPTION,
        ENERGY_SUPPLY,
        GDP,
        POPULATION,
        INDUSTRIAL_OUTPUT,
        ETS_ENTITIES,
        ETS_COMPLIANCE,
        POWER_ACCOUNTS,
        METER_DAILY,
        GENERATION_DAILY,
        GRID_FACTORS,
        POLICY_TARGETS,
    )
}

# Feeds whose rows are checked against what another feed loaded before them.
UPSTREAM_FEEDS: dict[str, tuple[str, ...]] = {
    "ets/compliance": ("ets/entities",),
    "power/meter_daily": ("power/accounts",),
}
