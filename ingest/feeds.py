"""The feeds of the data contract (../shared/contracts/README.md): one spec per landing folder.

Every code list a rule checks against comes from the seeds (``ReferenceData``, ``reference``);
every numeric column declares its range, within what its staged type holds.
"""

from __future__ import annotations

import reference
from ingest.names import DAY, MONTH, YEAR, alternatives, naming
from ingest.rules import (
    after,
    at_most_share_of,
    boolean,
    count,
    in_reference,
    iso_date,
    known_entity,
    negative_only_where,
    number,
    open_account,
    period_matches_file,
    quantity,
    report_type_matches_file,
    required,
    required_all,
    required_only_where,
    unit_allowed_for,
    valid_uscc,
    year,
)
from ingest.spec import FeedSpec


def _report_types() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every report type, the preliminary ones: those another supersedes, i.e. all but the
    final of precedence 1; ref_report_types)."""
    types = reference.read_seed("ref_report_types")
    final = min(int(precedence) for precedence in types["precedence"])
    preliminary = tuple(
        code
        for code, precedence in types.select("report_type", "precedence").rows()
        if int(precedence) != final
    )
    return tuple(types["report_type"]), preliminary


REPORT_TYPES, PRELIMINARY_REPORT_TYPES = _report_types()

# The carbon market's rules (ref_ets_rules, each with its source): the CCER cap and the
# earliest compliance year.
_ETS_RULES = reference.mapping("ref_ets_rules", "value")
CCER_MAXIMUM_SHARE = float(_ETS_RULES["ccer_maximum_share"])
ETS_FIRST_POSSIBLE_YEAR = int(float(_ETS_RULES["first_compliance_year"]))


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
    # Monthly reports are quick (preliminary) reports (contract): `YYYY-MM_annual` is not a
    # delivery. The accounting relies on it to find a year's non-final reports by report type.
    naming=naming(
        f"{YEAR}|{MONTH}(?=_(?:{alternatives(PRELIMINARY_REPORT_TYPES)})\\.)",
        report_types=REPORT_TYPES,
        report_type="required",
        words=(
            f"<YYYY>_<{'|'.join(REPORT_TYPES)}>.<ext> or "
            f"<YYYY-MM>_{'|'.join(PRELIMINARY_REPORT_TYPES)}.<ext> "
            f"(monthly reports are {'|'.join(PRELIMINARY_REPORT_TYPES)} reports)"
        ),
    ),
    partitioning="year",
    rules=(
        *required_all("period", "report_type", "division_code", "industry_code", "energy_name"),
        *required_all("use", "quantity", "unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        in_reference("energy_name", "energy_names", "unknown_energy"),
        in_reference("use", "energy_uses", "unknown_use"),
        *number("quantity", quantity()),
        unit_allowed_for("unit", "energy_name", "units_by_energy"),
        *number("reporting_units", count()),
    ),
)

ENERGY_SUPPLY = FeedSpec(
    feed="stats/energy_supply",
    columns=("period", "report_type", "division_code", "energy_name", "item", "quantity", "unit"),
    key=("division_code", "energy_name", "item"),
    naming=naming(YEAR, report_types=REPORT_TYPES),
    partitioning="year",
    rules=(
        *required_all("period", "report_type", "division_code", "energy_name", "item"),
        *required_all("quantity", "unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        in_reference("report_type", "report_types", "unknown_report_type"),
        in_reference("division_code", "province_and_city_codes", "unknown_division"),
        in_reference("energy_name", "energy_names", "unknown_energy"),
        in_reference("item", "supply_items", "unknown_item"),
        *number("quantity", quantity(minimum=None)),
        negative_only_where("quantity", "item", "negative_supply_items"),
        unit_allowed_for("unit", "energy_name", "units_by_energy"),
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
    naming=naming(YEAR, report_types=REPORT_TYPES),
    partitioning="year",
    rules=(
        *required_all("period", "report_type", "division_code", "gdp_100m_yuan"),
        required("real_growth_pct"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        in_reference("report_type", "report_types", "unknown_report_type"),
        in_reference("division_code", "division_codes", "unknown_division"),
        *number("gdp_100m_yuan", quantity(0, strict=True)),
        *number("real_growth_pct", quantity(minimum=None)),
        *number("secondary_industry_100m_yuan", quantity()),
    ),
)

POPULATION = FeedSpec(
    feed="stats/population",
    columns=("year", "division_code", "resident_population_10k"),
    key=("division_code",),
    naming=naming(YEAR, report_types=REPORT_TYPES),
    partitioning="year",
    rules=(
        *required_all("year", "division_code", "resident_population_10k"),
        period_matches_file("year"),
        in_reference("division_code", "division_codes", "unknown_division"),
        *number("resident_population_10k", quantity(0, strict=True)),
    ),
)

INDUSTRIAL_OUTPUT = FeedSpec(
    feed="stats/industrial_output",
    columns=("period", "report_type", "division_code", "product_name", "quantity", "unit"),
    key=("division_code", "product_name"),
    naming=naming(MONTH, report_types=REPORT_TYPES),
    partitioning="month",
    rules=(
        *required_all("period", "report_type", "division_code", "product_name", "quantity"),
        required("unit"),
        period_matches_file("period"),
        report_type_matches_file("report_type"),
        in_reference("report_type", "report_types", "unknown_report_type"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("product_name", "products", "unknown_product"),
        *number("quantity", quantity()),
        in_reference("unit", "product_units", "unknown_unit"),
        unit_allowed_for("unit", "product_name", "units_by_product"),
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
    naming=naming(DAY, report_types=REPORT_TYPES, prefix="entities", report_type="none"),
    rules=(
        *required_all("entity_id", "entity_name", "division_code", "industry_code", "ets_sector"),
        required("first_year"),
        valid_uscc("entity_id"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        in_reference("ets_sector", "ets_sectors", "unknown_sector"),
        *number("first_year", year(minimum=ETS_FIRST_POSSIBLE_YEAR)),
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
    naming=naming(YEAR, report_types=REPORT_TYPES),
    partitioning="year",
    rules=(
        *required_all("compliance_year", "entity_id", "verified_emissions_tco2"),
        *required_all("allocated_allowances_tco2", "surrendered_allowances_tco2"),
        *required_all("output_quantity", "output_unit", "verification_date"),
        period_matches_file("compliance_year"),
        known_entity("entity_id"),
        *number("verified_emissions_tco2", quantity()),
        *number("allocated_allowances_tco2", quantity()),
        *number("surrendered_allowances_tco2", quantity()),
        *number("ccer_offset_tco2", quantity()),
        *number("output_quantity", quantity()),
        in_reference("output_unit", "ets_output_units", "unknown_unit"),
        iso_date("verification_date"),
        at_most_share_of(
            "ccer_offset_tco2", "verified_emissions_tco2", CCER_MAXIMUM_SHARE, "ccer_over_cap"
        ),
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
    naming=naming(DAY, report_types=REPORT_TYPES, prefix="accounts", report_type="none"),
    rules=(
        *required_all("account_id", "division_code", "industry_code", "customer_type"),
        required("opened_on"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("industry_code", "industry_codes", "unknown_industry"),
        in_reference("customer_type", "customer_types", "unknown_customer_type"),
        valid_uscc("entity_id"),
        iso_date("opened_on"),
        iso_date("closed_on"),
    ),
)

METER_DAILY = FeedSpec(
    feed="power/meter_daily",
    columns=("account_id", "date", "electricity_kwh"),
    key=("account_id",),
    naming=naming(
        DAY, report_types=REPORT_TYPES, report_type="none", extensions=("parquet", "csv")
    ),
    types={"date": "date", "electricity_kwh": "double"},
    partitioning="day",
    rules=(
        *required_all("account_id", "date", "electricity_kwh"),
        period_matches_file("date"),
        *number("electricity_kwh", quantity()),
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
    naming=naming(DAY, report_types=REPORT_TYPES, report_type="none"),
    partitioning="day",
    rules=(
        *required_all("date", "plant_id", "plant_name", "division_code", "fuel_type"),
        *required_all("capacity_mw", "generation_mwh", "exported_mwh"),
        period_matches_file("date"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("fuel_type", "fuel_types", "unknown_fuel_type"),
        *number("capacity_mw", quantity(0, strict=True)),
        *number("generation_mwh", quantity()),
        *number("coal_consumption_tce", quantity()),
        *number("exported_mwh", quantity()),
        required_only_where(
            "coal_consumption_tce",
            "fuel_type",
            "coal_fired_fuel_types",
            "coal_consumption_only_for_coal",
        ),
    ),
)

GRID_FACTORS = FeedSpec(
    feed="factors/grid",
    columns=("year", "region", "factor_type", "value_tco2_per_mwh", "source", "published_on"),
    key=("region", "factor_type"),
    naming=naming(YEAR, report_types=REPORT_TYPES, report_type="none"),
    partitioning="year",
    rules=(
        *required_all("year", "region", "factor_type", "value_tco2_per_mwh", "source"),
        required("published_on"),
        period_matches_file("year"),
        in_reference("region", "grid_regions", "unknown_region"),
        in_reference("factor_type", "grid_factor_types", "unknown_factor_type"),
        *number("value_tco2_per_mwh", quantity(0, strict=True)),
        iso_date("published_on"),
    ),
)

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
    naming=naming(DAY, report_types=REPORT_TYPES, prefix="targets", report_type="none"),
    rules=(
        *required_all("plan_period", "division_code", "indicator", "base_year", "target_year"),
        *required_all("value", "binding", "document", "decided_on"),
        in_reference("plan_period", "plan_periods", "unknown_plan_period"),
        in_reference("division_code", "division_codes", "unknown_division"),
        in_reference("indicator", "target_indicators", "unknown_indicator"),
        *number("base_year", year()),
        *number("target_year", year()),
        after("target_year", "base_year", "target_year_not_after_base_year"),
        *number("value", quantity(minimum=None)),
        in_reference("binding", "target_bindings", "unknown_binding"),
        iso_date("decided_on"),
    ),
)

FUNCTIONAL_ZONES = FeedSpec(
    feed="policy/functional_zones",
    columns=("division_code", "functional_zone", "is_resource_based"),
    key=("division_code",),
    # A later file replaces the whole table (contract): staging reads the latest file only.
    naming=naming(DAY, report_types=REPORT_TYPES, prefix="zones", report_type="none"),
    rules=(
        *required_all("division_code", "functional_zone", "is_resource_based"),
        in_reference("division_code", "county_codes", "unknown_division"),
        in_reference("functional_zone", "functional_zones", "unknown_functional_zone"),
        boolean("is_resource_based"),
    ),
)

CARBON_SINKS = FeedSpec(
    feed="forestry/carbon_sinks",
    columns=(
        "year",
        "division_code",
        "forest_area_ha",
        "forest_stock_m3",
        "grassland_area_ha",
        "sink_tco2",
        "method",
    ),
    key=("division_code",),
    naming=naming(YEAR, report_types=REPORT_TYPES, report_type="none"),
    partitioning="year",
    rules=(
        *required_all("year", "division_code", "forest_area_ha", "forest_stock_m3"),
        *required_all("grassland_area_ha", "sink_tco2", "method"),
        period_matches_file("year"),
        in_reference("division_code", "county_codes", "unknown_division"),
        *number("forest_area_ha", quantity()),
        *number("forest_stock_m3", quantity()),
        *number("grassland_area_ha", quantity()),
        # Net removals of the year, a positive number: sinks are never netted off emissions.
        *number("sink_tco2", quantity()),
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
        FUNCTIONAL_ZONES,
        CARBON_SINKS,
    )
}

# The feeds of a file a day (the meter readings and the dispatch): the nowcast's days.
DAILY_FEEDS = tuple(feed for feed, spec in FEEDS.items() if spec.partitioning == "day")

# Feeds whose rows are checked against what another feed loaded before them.
UPSTREAM_FEEDS: dict[str, tuple[str, ...]] = {
    "ets/compliance": ("ets/entities",),
    "power/meter_daily": ("power/accounts",),
}
