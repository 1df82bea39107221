"""The project seeds the sample world is built on: divisions, units and emission factors.

Everything is read from the dbt seeds (``dbt_project/seeds`` by default), so the sample
world and the warehouse agree on codes, units and factors, and the calibration to CEADs
holds with exactly the factors the warehouse uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from reference import SEEDS_DIR, read_seed

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


def load_process_factors(seeds_dir: Path) -> dict[str, float]:
    """Tonnes CO2 of process emissions per tonne of product, from ``ref_process_factors.csv``."""
    frame = _read_seed(seeds_dir, "ref_process_factors.csv")
    return {
        row["product_name"]: float(row["value_tco2_per_t"]) for row in frame.iter_rows(named=True)
    }
