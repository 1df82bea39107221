"""Reference lists the row rules check codes against, read from the project's dbt seeds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import polars as pl

ACCOUNT_SCHEMA = {
    "account_id": pl.String,
    "opened_on": pl.Date,
    "closed_on": pl.Date,
    "_known": pl.Boolean,
}


@dataclass(frozen=True)
class ReferenceData:
    county_codes: frozenset[str]
    city_codes: frozenset[str]
    division_codes: frozenset[str]
    industry_codes: frozenset[str]
    units_by_energy: dict[str, frozenset[str]]
    # Known from earlier deliveries of other feeds (see ``with_warehouse``).
    entity_ids: frozenset[str] = frozenset()
    accounts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ACCOUNT_SCHEMA))

    @property
    def energy_names(self) -> frozenset[str]:
        return frozenset(self.units_by_energy)

    @property
    def province_and_city_codes(self) -> frozenset[str]:
        return self.city_codes | {code for code in self.division_codes if code.endswith("0000")}

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
    def from_seeds(cls, seeds_dir: Path) -> ReferenceData:
        def seed(name: str) -> pl.DataFrame:
            path = seeds_dir / f"{name}.csv"
            if not path.exists():
                raise FileNotFoundError(f"reference seed {path} is missing")
            return pl.read_csv(path, infer_schema=False)

        divisions = seed("ref_divisions")
        level = dict(zip(divisions["division_code"], divisions["division_level"], strict=True))
        industries = seed("ref_industry_sectors")["industry_code"]
        varieties = seed("ref_energy_varieties")
        units = seed("ref_units")
        units_by_canonical: dict[str, set[str]] = {}
        for unit, kind, canonical in units.select("unit", "quantity_kind", "canonical_unit").rows():
            units_by_canonical.setdefault(f"{kind}:{canonical}", set()).add(unit)
        kind_of_canonical = {
            canonical: kind
            for kind, canonical in units.select("quantity_kind", "canonical_unit").rows()
            if kind != "flat_glass"
        }
        units_by_energy = {
            name: frozenset(
                units_by_canonical.get(f"{kind_of_canonical.get(canonical)}:{canonical}", set())
            )
            for name, canonical in varieties.select("energy_name", "canonical_unit").rows()
        }
        return cls(
            county_codes=frozenset(c for c, lv in level.items() if lv == "county"),
            city_codes=frozenset(c for c, lv in level.items() if lv == "city"),
            division_codes=frozenset(level),
            industry_codes=frozenset(industries),
            units_by_energy=units_by_energy,
        )
