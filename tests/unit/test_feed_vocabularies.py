"""The code lists the row rules use come from the seeds (issue 12, item 2): a code added to a
seed is accepted without touching ingest/, and no code is written in ingest/ as a literal."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from landing_zone import LandingZone

import reference
from ingest.reference import ReferenceData, units_by_energy, units_by_product

INGEST_DIR = Path(__file__).resolve().parents[2] / "ingest"
# The seeds of the contract's code lists and the columns holding codes.
CODE_LISTS = {
    "ref_report_types": ("report_type",),
    "ref_energy_uses": ("use",),
    "ref_supply_items": ("item",),
    "ref_products": ("product_name",),
    "ref_units": ("unit", "quantity_kind", "canonical_unit"),
    "ref_ets_sectors": ("ets_sector", "output_unit"),
    "ref_customer_types": ("customer_type",),
    "ref_fuel_types": ("fuel_type",),
    "ref_grid_regions": ("region",),
    "ref_grid_factor_types": ("factor_type",),
    "ref_plan_periods": ("plan_period",),
    "ref_target_indicators": ("indicator",),
    "ref_target_bindings": ("binding",),
    "ref_functional_zones": ("functional_zone",),
    "ref_energy_varieties": ("energy_name",),
}


def literals(path: Path) -> list[tuple[int, str]]:
    """String literals of a module, docstrings left out, f-strings' text parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_no_code_of_a_contract_vocabulary_is_a_literal_in_ingest():
    codes = {
        code
        for seed, columns in CODE_LISTS.items()
        for column in columns
        for code in reference.codes(seed, column)
    }
    found = [
        f"{path.name}:{line}: {text!r} holds {code!r}"
        for path in sorted(INGEST_DIR.glob("*.py"))
        for line, text in literals(path)
        for code in codes
        # a code of Chinese characters anywhere in a literal; a Latin one as the whole literal
        if (code == text) or (not code.isascii() and code in text)
    ]
    assert found == []


def test_units_come_from_ref_units_by_quantity_kind():
    assert units_by_energy()["原煤"] == {"吨", "万吨"}, "no weight cases for coal"
    assert units_by_energy()["热力"] == {"吉焦", "百万千焦"}
    products = units_by_product()
    assert products["平板玻璃"] == {"吨", "万吨", "重量箱", "万重量箱"}
    assert products["粗钢"] == {"吨", "万吨"}


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    copy = tmp_path / "seeds"
    shutil.copytree(reference.SEEDS_DIR, copy)
    return copy


def add_row(seeds: Path, seed: str, row: str) -> None:
    path = seeds / f"{seed}.csv"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + row + "\n", "utf-8")


def test_a_code_added_to_its_seed_is_accepted_by_the_rules(seeds: Path, tmp_path: Path):
    add_row(seeds, "ref_fuel_types", "氢能,hydrogen,false,true,test")
    add_row(seeds, "ref_customer_types", "充换电,charging,test")
    before, after = ReferenceData.from_seeds(), ReferenceData.from_seeds(seeds)
    header = (
        "date,plant_id,plant_name,division_code,fuel_type,capacity_mw,generation_mwh,"
        "coal_consumption_tce,exported_mwh"
    )
    county = sorted(before.county_codes)[0]
    rows = [f"2025-06-01,P1,氢能示范电站,{county},氢能,10,100,,0"]
    outcomes = []
    for name, data in (("before", before), ("after", after)):
        zone = LandingZone(tmp_path / name, data)
        zone.deliver("power/generation_daily", "2025-06-01.csv", header, rows)
        report = zone.load("power/generation_daily")
        outcomes.append((report.rows_loaded, zone.quarantined("power/generation_daily")))
        zone.close()
    assert outcomes == [(0, [(2, "fuel_type", "unknown_fuel_type")]), (1, [])]
    assert "充换电" in after.customer_types and "充换电" not in before.customer_types


def test_a_fuel_flagged_coal_fired_in_its_seed_needs_its_coal(seeds: Path, tmp_path: Path):
    path = seeds / "ref_fuel_types.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("煤层气,coal-bed methane,false", "煤层气,coal-bed methane,true"))
    zone = LandingZone(tmp_path, ReferenceData.from_seeds(seeds))
    county = sorted(zone.reference.county_codes)[0]
    header = (
        "date,plant_id,plant_name,division_code,fuel_type,capacity_mw,generation_mwh,"
        "coal_consumption_tce,exported_mwh"
    )
    zone.deliver(
        "power/generation_daily",
        "2025-06-01.csv",
        header,
        [f"2025-06-01,P1,煤层气电厂,{county},煤层气,100,1000,,0"],
    )
    zone.load("power/generation_daily")
    assert zone.quarantined("power/generation_daily") == [
        (2, "coal_consumption_tce", "coal_consumption_only_for_coal")
    ]
    zone.close()
