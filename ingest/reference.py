"""What the row rules check codes against: the contract's code lists and what other feeds loaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import polars as pl

import reference

ACCOUNT_SCHEMA = {
    "account_id": pl.String,
    "opened_on": pl.Date,
    "closed_on": pl.Date,
    "_known": pl.Boolean,
}


def _codes(seed: str, seeds_dir: Path | None = None) -> frozenset[str]:
    return frozenset(reference.codes(seed, seeds_dir=seeds_dir))


def _flagged(seed: str, flag: str, seeds_dir: Path | None = None) -> frozenset[str]:
    return frozenset(reference.flagged(seed, flag, seeds_dir=seeds_dir))


def _units_by_canonical(seeds_dir: Path | None) -> tuple[dict[str, frozenset[str]], dict]:
    """(canonical unit → the units of its own quantity kind, canonical unit → every unit that
    converts to it). A canonical unit's own kind is the kind of the unit equal to it
    (``to_canonical_multiplier`` 1: 吨 for t); a unit of another kind converting to it (the
    weight cases, 重量箱 → t) is allowed only where a seed allows it."""
    units = reference.read_seed("ref_units", seeds_dir)
    rows = units.select("unit", "quantity_kind", "canonical_unit", "to_canonical_multiplier").rows()
    own_kind: dict[str, set[str]] = {}
    for _unit, kind, canonical, multiplier in rows:
        if float(multiplier) == 1:
            own_kind.setdefault(canonical, set()).add(kind)
    ambiguous = {canonical: kinds for canonical, kinds in own_kind.items() if len(kinds) > 1}
    if ambiguous:
        raise ValueError(f"ref_units: canonical units equal to units of several kinds: {ambiguous}")
    same_kind: dict[str, set[str]] = {}
    convertible: dict[str, set[str]] = {}
    for unit, kind, canonical, _multiplier in rows:
        convertible.setdefault(canonical, set()).add(unit)
        if {kind} == own_kind.get(canonical):
            same_kind.setdefault(canonical, set()).add(unit)
    return (
        {canonical: frozenset(found) for canonical, found in same_kind.items()},
        {canonical: frozenset(found) for canonical, found in convertible.items()},
    )


def units_by_energy(seeds_dir: Path | None = None) -> dict[str, frozenset[str]]:
    """Energy variety → the units allowed for it: those of its canonical unit's own kind."""
    same_kind, _convertible = _units_by_canonical(seeds_dir)
    varieties = reference.read_seed("ref_energy_varieties", seeds_dir)
    return {
        name: same_kind.get(canonical, frozenset())
        for name, canonical in varieties.select("energy_name", "canonical_unit").rows()
    }


def units_by_product(seeds_dir: Path | None = None) -> dict[str, frozenset[str]]:
    """Product → the units allowed for it: those of the unit its output converts to (the one
    its process factor is per, ref_process_factors.canonical_unit, as staging converts it), of
    that unit's own kind, and of any kind converting to it where ref_products.allows_weight_cases.
    """
    same_kind, convertible = _units_by_canonical(seeds_dir)
    canonical_of = reference.mapping("ref_process_factors", "canonical_unit", seeds_dir=seeds_dir)
    weight_cases = set(
        reference.flagged("ref_products", "allows_weight_cases", seeds_dir=seeds_dir)
    )
    allowed = {}
    for product in reference.codes("ref_products", seeds_dir=seeds_dir):
        canonical = canonical_of.get(product)
        units = convertible if product in weight_cases else same_kind
        allowed[product] = units.get(canonical, frozenset()) if canonical else frozenset()
    return allowed


# Field of ReferenceData → how it is read from the seeds (a seeds folder, or None: the project's).
SEEDED_CODE_LISTS: dict[str, Callable[[Path | None], object]] = {
    "report_types": lambda d: _codes("ref_report_types", d),
    "energy_uses": lambda d: _codes("ref_energy_uses", d),
    "supply_items": lambda d: _codes("ref_supply_items", d),
    # the supply items that may be negative (the stock change)
    "negative_supply_items": lambda d: _flagged("ref_supply_items", "may_be_negative", d),
    "units_by_product": units_by_product,
    "ets_sectors": lambda d: _codes("ref_ets_sectors", d),
    "ets_output_units": lambda d: frozenset(
        reference.codes("ref_ets_sectors", "output_unit", seeds_dir=d)
    ),
    "customer_types": lambda d: _codes("ref_customer_types", d),
    "fuel_types": lambda d: _codes("ref_fuel_types", d),
    "coal_fired_fuel_types": lambda d: _flagged("ref_fuel_types", "is_coal_fired", d),
    "grid_regions": lambda d: _codes("ref_grid_regions", d),
    "grid_factor_types": lambda d: _codes("ref_grid_factor_types", d),
    "plan_periods": lambda d: _codes("ref_plan_periods", d),
    "target_indicators": lambda d: _codes("ref_target_indicators", d),
    "target_bindings": lambda d: _codes("ref_target_bindings", d),
    "functional_zones": lambda d: _codes("ref_functional_zones", d),
}


def _seeded(name: str):
    """A field defaulting to the project's seed: a test that builds a small ReferenceData by hand
    names the divisions it needs and still checks against the contract's code lists."""
    return field(default_factory=lambda: SEEDED_CODE_LISTS[name](None))


@dataclass(frozen=True)
class ReferenceData:
    """Code lists the row rules check against. Divisions and industries are given; every other
    code list of the contract defaults to its seed (read through ``reference``)."""

    county_codes: frozenset[str]
    city_codes: frozenset[str]
    division_codes: frozenset[str]
    industry_codes: frozenset[str]
    units_by_energy: dict[str, frozenset[str]]
    # The contract's other code lists, each from its seed (see SEEDED_CODE_LISTS).
    report_types: frozenset[str] = _seeded("report_types")
    energy_uses: frozenset[str] = _seeded("energy_uses")
    supply_items: frozenset[str] = _seeded("supply_items")
    negative_supply_items: frozenset[str] = _seeded("negative_supply_items")
    units_by_product: dict[str, frozenset[str]] = _seeded("units_by_product")  # noqa: RUF009
    ets_sectors: frozenset[str] = _seeded("ets_sectors")
    ets_output_units: frozenset[str] = _seeded("ets_output_units")
    customer_types: frozenset[str] = _seeded("customer_types")
    fuel_types: frozenset[str] = _seeded("fuel_types")
    coal_fired_fuel_types: frozenset[str] = _seeded("coal_fired_fuel_types")
    grid_regions: frozenset[str] = _seeded("grid_regions")
    grid_factor_types: frozenset[str] = _seeded("grid_factor_types")
    plan_periods: frozenset[str] = _seeded("plan_periods")
    target_indicators: frozenset[str] = _seeded("target_indicators")
    target_bindings: frozenset[str] = _seeded("target_bindings")
    functional_zones: frozenset[str] = _seeded("functional_zones")
    # Known from earlier deliveries of other feeds (see ``with_warehouse``).
    entity_ids: frozenset[str] = frozenset()
    accounts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ACCOUNT_SCHEMA))

    @property
    def energy_names(self) -> frozenset[str]:
        return frozenset(self.units_by_energy)

    @property
    def products(self) -> frozenset[str]:
        return frozenset(self.units_by_product)

    @property
    def product_units(self) -> frozenset[str]:
        return frozenset().union(*self.units_by_product.values())

    @property
    def province_and_city_codes(self) -> frozenset[str]:
        return self.city_codes | (self.division_codes - self.city_codes - self.county_codes)

    def with_warehouse(self, con: duckdb.DuckDBPyConnection) -> ReferenceData:
        """Add the entities and accounts loaded so far (current deliveries only)."""
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        entity_ids = self.entity_ids
        if "raw.ets__entities" in tables:
            entity_ids = frozenset(
                row[0]
                for row in con.execute(
                    "select distinct entity_id from raw.ets__entities where not _is_superseded"
                ).fetchall()
            )
        accounts = self.accounts
        if "raw.power__accounts" in tables:
            # The latest delivery of each account wins (the registry is re-delivered whole).
            accounts = con.sql(
                """select account_id,
                       try_cast(nullif(trim(opened_on), '') as date) as opened_on,
                       try_cast(nullif(trim(closed_on), '') as date) as closed_on,
                       true as _known
                from raw.power__accounts
                where not _is_superseded
                qualify row_number() over (
                    partition by account_id order by _file_period desc, _line_number desc) = 1"""
            ).pl()
        return replace(self, entity_ids=entity_ids, accounts=accounts)

    @classmethod
    def from_seeds(cls, seeds_dir: Path | None = None) -> ReferenceData:
        """Every code list from the seeds (the project's, ``reference.SEEDS_DIR``, by default)."""
        divisions = reference.mapping("ref_divisions", "division_level", seeds_dir=seeds_dir)
        levels = {level for level in divisions.values()}
        by_level = {
            level: frozenset(code for code, lv in divisions.items() if lv == level)
            for level in levels
        }
        return cls(
            county_codes=by_level.get("county", frozenset()),
            city_codes=by_level.get("city", frozenset()),
            division_codes=frozenset(divisions),
            industry_codes=_codes("ref_industry_sectors", seeds_dir),
            units_by_energy=units_by_energy(seeds_dir),
            **{name: build(seeds_dir) for name, build in SEEDED_CODE_LISTS.items()},
        )
