"""The project seeds the sample world is built on: divisions, units, factors, code lists.

Everything is read from the dbt seeds (``dbt_project/seeds`` by default) through ``reference``,
so the sample world and the warehouse agree on codes, units and factors, and the calibration
to CEADs holds with exactly the factors the warehouse uses. The code lists of the contract
(products, customer types, energy uses, fuel types, carbon-market sectors, ...) come from
the seeds too; the sample's own calibration (``parameters``) is keyed by those codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from reference import SEEDS_DIR, codes, flagged, mapping, read_seed

DEFAULT_SEEDS_DIR = SEEDS_DIR
DEFAULT_FACTOR_SET = "provincial_guidelines"
CO2_PER_C = 44.0 / 12.0


def _read_seed(seeds_dir: Path, name: str) -> pl.DataFrame:
    return read_seed(name, seeds_dir)


@dataclass(frozen=True)
class Divisions:
    """Shanxi's divisions from ``ref_divisions.csv``: province, cities, counties."""

    frame: pl.DataFrame  # division_code, name_zh, level, parent_code

    @property
    def province_code(self) -> str:
        return self.frame.filter(pl.col("level") == "province")["division_code"][0]

    @property
    def cities(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("level") == "city").sort("division_code")

    @property
    def counties(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("level") == "county").sort("division_code")

    @cached_property
    def _county_by_names(self) -> dict[tuple[str, str], str]:
        city_names = dict(self.cities.select("division_code", "name_zh").iter_rows())
        return {
            (city_names[parent], name): code
            for code, name, parent in self.counties.select(
                "division_code", "name_zh", "parent_code"
            ).iter_rows()
        }

    def county_code(self, city_name: str, county_name: str) -> str:
        """The code of a county given its city's and its own Chinese name."""
        try:
            return self._county_by_names[(city_name, county_name)]
        except KeyError:
            raise KeyError(
                f"no county {county_name!r} in {city_name} in the division seed"
            ) from None


def load_divisions(seeds_dir: Path) -> Divisions:
    """Read ``ref_divisions.csv`` (also accepts the reference copy's column names)."""
    frame = _read_seed(seeds_dir, "ref_divisions.csv")
    renames = {"division_name_zh": "name_zh", "division_level": "level"}
    frame = frame.rename({old: new for old, new in renames.items() if old in frame.columns})
    frame = frame.select(
        pl.col("division_code").str.strip_chars(),
        pl.col("name_zh").str.strip_chars(),
        pl.col("level").str.strip_chars(),
        pl.col("parent_code").str.strip_chars().replace("", None),
    )
    # Functional zones (codes ending in 71) are not divisions.
    frame = frame.filter(~pl.col("division_code").str.ends_with("71"))
    return Divisions(frame)


def load_unit_multipliers(seeds_dir: Path) -> dict[str, float]:
    """Unit -> multiplier to its canonical unit, from ``ref_units.csv``."""
    frame = _read_seed(seeds_dir, "ref_units.csv")
    return {
        row["unit"]: float(row["to_canonical_multiplier"]) for row in frame.iter_rows(named=True)
    }


def co2_per_unit(ncv_gj: float, carbon_tc_per_tj: float, oxidation: float) -> float:
    """Tonnes CO2 per unit: NCV (GJ/unit) x carbon content (tC/TJ) / 1000 x oxidation x 44/12."""
    return ncv_gj * carbon_tc_per_tj / 1000.0 * oxidation * CO2_PER_C


def load_emission_factors(
    seeds_dir: Path, factor_set: str = DEFAULT_FACTOR_SET
) -> dict[str, float]:
    """Tonnes CO2 per canonical unit (t or m3) of each fuel, from ``ref_energy_factors.csv``."""
    frame = _read_seed(seeds_dir, "ref_energy_factors.csv").filter(
        pl.col("factor_set") == factor_set
    )
    if frame.height == 0:
        raise ValueError(f"ref_energy_factors.csv has no factor set {factor_set!r}")
    return {
        row["energy_name"]: co2_per_unit(
            float(row["ncv_gj_per_unit"]),
            float(row["carbon_content_tc_per_tj"]),
            float(row["oxidation_rate"]),
        )
        for row in frame.iter_rows(named=True)
    }


def load_energy_factor_components(
    seeds_dir: Path, factor_set: str = DEFAULT_FACTOR_SET
) -> dict[str, dict[str, float]]:
    """Each component of ``ref_energy_factors.csv`` (ncv_gj_per_unit, carbon_content_tc_per_tj,
    oxidation_rate) per fuel of the factor set."""
    frame = _read_seed(seeds_dir, "ref_energy_factors.csv").filter(
        pl.col("factor_set") == factor_set
    )
    components = ("ncv_gj_per_unit", "carbon_content_tc_per_tj", "oxidation_rate")
    return {
        column: {name: float(value) for name, value in frame.select("energy_name", column).rows()}
        for column in components
    }


def load_process_factors(seeds_dir: Path) -> dict[str, float]:
    """Tonnes CO2 of process emissions per tonne of product, from ``ref_process_factors.csv``."""
    frame = _read_seed(seeds_dir, "ref_process_factors.csv")
    return {
        row["product_name"]: float(row["value_tco2_per_t"]) for row in frame.iter_rows(named=True)
    }


@dataclass(frozen=True)
class EtsSector:
    """A sector of the national carbon market (``ref_ets_sectors``)."""

    ets_sector: str
    industry_code: str
    product_name: str | None  # the product whose output is verified; None: generation (power)
    output_unit: str


@dataclass(frozen=True)
class Vocabulary:
    """The contract's code lists the sample world draws from, in the seeds' (contract) order."""

    products: tuple[str, ...]
    product_industries: dict[str, str]
    weight_case_products: frozenset[str]  # delivered in weight cases (平板玻璃)
    customer_types: tuple[str, ...]
    energy_uses: tuple[str, ...]
    combustion_uses: frozenset[str]
    fossil_varieties: frozenset[str]  # burnt, with a combustion factor (ref_energy_varieties)
    canonical_units: dict[str, str]  # energy variety -> its canonical unit
    electricity: str  # the variety of category electricity (电力)
    heat: str  # the variety of category heat (热力)
    fuel_types: tuple[str, ...]
    coal_fired_fuel_types: frozenset[str]
    non_fossil_fuel_types: frozenset[str]
    primary_electricity_fuel_types: frozenset[str]
    ets_sectors: tuple[EtsSector, ...]
    # The main functional zones in the contract's order: urbanised, agricultural, ecological.
    functional_zones: tuple[str, ...] = ()

    @property
    def thermal_fuel_types(self) -> frozenset[str]:
        """Fuel types that burn a fossil fuel: the carbon-market power plants."""
        return frozenset(self.fuel_types) - self.non_fossil_fuel_types

    @property
    def power_sector(self) -> EtsSector:
        """The carbon-market sector whose output is generation (no product)."""
        (sector,) = (s for s in self.ets_sectors if s.product_name is None)
        return sector

    @property
    def product_sectors(self) -> tuple[EtsSector, ...]:
        """The carbon-market sectors whose output is a product of stats/industrial_output."""
        return tuple(s for s in self.ets_sectors if s.product_name is not None)


def _single(frame: pl.DataFrame, column: str, value: str, key: str) -> str:
    (code,) = frame.filter(pl.col(column) == value)[key].to_list()
    return code


def load_vocabulary(seeds_dir: Path) -> Vocabulary:
    """The code lists of the seeds in ``seeds_dir``."""
    varieties = read_seed("ref_energy_varieties", seeds_dir)
    sectors = read_seed("ref_ets_sectors", seeds_dir)
    return Vocabulary(
        products=codes("ref_products", seeds_dir=seeds_dir),
        product_industries=mapping("ref_products", "industry_code", seeds_dir=seeds_dir),
        weight_case_products=frozenset(
            flagged("ref_products", "allows_weight_cases", seeds_dir=seeds_dir)
        ),
        customer_types=codes("ref_customer_types", seeds_dir=seeds_dir),
        energy_uses=codes("ref_energy_uses", seeds_dir=seeds_dir),
        combustion_uses=frozenset(flagged("ref_energy_uses", "is_combustion", seeds_dir=seeds_dir)),
        fossil_varieties=frozenset(
            flagged("ref_energy_varieties", "is_fossil", seeds_dir=seeds_dir)
        ),
        canonical_units=dict(varieties.select("energy_name", "canonical_unit").iter_rows()),
        electricity=_single(varieties, "energy_category", "electricity", "energy_name"),
        heat=_single(varieties, "energy_category", "heat", "energy_name"),
        fuel_types=codes("ref_fuel_types", seeds_dir=seeds_dir),
        coal_fired_fuel_types=frozenset(
            flagged("ref_fuel_types", "is_coal_fired", seeds_dir=seeds_dir)
        ),
        non_fossil_fuel_types=frozenset(
            flagged("ref_fuel_types", "is_non_fossil", seeds_dir=seeds_dir)
        ),
        primary_electricity_fuel_types=frozenset(
            flagged("ref_fuel_types", "is_primary_electricity", seeds_dir=seeds_dir)
        ),
        ets_sectors=tuple(
            EtsSector(
                ets_sector=row["ets_sector"],
                industry_code=row["industry_code"],
                product_name=row["product_name"] or None,
                output_unit=row["output_unit"],
            )
            for row in sectors.iter_rows(named=True)
        ),
        functional_zones=codes("ref_functional_zones", seeds_dir=seeds_dir),
    )
