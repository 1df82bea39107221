"""Reference lists the row rules check codes against, read from the project's dbt seeds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class ReferenceData:
    county_codes: frozenset[str]
    city_codes: frozenset[str]
    division_codes: frozenset[str]
    industry_codes: frozenset[str]
    units_by_energy: dict[str, frozenset[str]]

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
