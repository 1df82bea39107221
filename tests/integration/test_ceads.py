"""CEADs' 2019 Shanxi inventory fed through our dbt models: every difference explained by factors.

CEADs (Shan et al. 2018, Sci Data 5:170201; 2020, Sci Data 7:54) publishes CO2 per fuel and
sector, not the physical fuel quantities behind it. We turn each sector × fuel emission into a
quantity with our default factor set (provincial_guidelines): q = E / (tCO2 per unit), deliver
those quantities as raw energy_consumption rows (in 万吨 and 亿立方米, so units are converted
too), add transformation and non-energy rows that must count for nothing, deliver clinker output
for CEADs' cement process CO2, and run the accounting models twice:

* with provincial_guidelines the models must give back CEADs, fuel by fuel and sector by sector;
* with ipcc_2006 each fuel differs from CEADs by exactly its factor ratio
  (ipcc tCO2 per unit / provincial tCO2 per unit): after dividing by the ratio the residual is 0.

The table of fuel × difference × ratio is printed (pytest -s shows it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.raw_tables import ensure_all_raw_tables
from orchestration.dbt import run_dbt_cli
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

YEAR = 2019
COUNTY = "140105"  # 太原市小店区: every row is placed in one county; sectors come from industries
CEADS_TOTAL_2019_MT = 564.86
SEEDS = DBT_PROJECT_DIR / "seeds"

# CEADs' 17 fuels (labels normalised) → our energy varieties (ref_energy_varieties).
CEADS_FUELS = {
    "raw coal": "原煤",
    "cleaned coal": "洗精煤",
    "other washed coal": "其他洗煤",
    "briquettes": "型煤",
    "coke": "焦炭",
    "coke oven gas": "焦炉煤气",
    "other gas": "其他煤气",
    "other coking products": "其他焦化产品",
    "crude oil": "原油",
    "gasoline": "汽油",
    "kerosene": "煤油",
    "diesel oil": "柴油",
    "fuel oil": "燃料油",
    "lpg": "液化石油气",
    "refinery gas": "炼厂干气",
    "other petroleum products": "其他石油制品",
    "natural gas": "天然气",
}

# CEADs' 47 sectors (labels normalised) → a GB/T 4754-2017 division of the same activity.
CEADS_SECTORS = {
    "farming, forestry, animal husbandry, fishery and water conservancy": "01",
    "coal mining and dressing": "06",
    "petroleum and natural gas extraction": "07",
    "ferrous metals mining and dressing": "08",
    "nonferrous metals mining and dressing": "09",
    "nonmetal minerals mining and dressing": "10",
    "other minerals mining and dressing": "12",
    "logging and transport of wood and bamboo": "02",
    "food processing": "13",
    "food production": "14",
    "beverage production": "15",
    "tobacco processing": "16",
    "textile industry": "17",
    "garments and other fiber products": "18",
    "leather, furs, down and related products": "19",
    "timber processing, bamboo, cane, palm fiber & straw products": "20",
    "furniture manufacturing": "21",
    "papermaking and paper products": "22",
    "printing and record medium reproduction": "23",
    "cultural, educational and sports articles": "24",
    "petroleum processing and coking": "25",
    "raw chemical materials and chemical products": "26",
    "medical and pharmaceutical products": "27",
    "chemical fiber": "28",
    "rubber products": "29",
    "plastic products": "29",
    "nonmetal mineral products": "30",
    "smelting and pressing of ferrous metals": "31",
    "smelting and pressing of nonferrous metals": "32",
    "metal products": "33",
    "ordinary machinery": "34",
    "equipment for special purposes": "35",
    "transportation equipment": "37",
    "electric equipment and machinery": "38",
    "electronic and telecommunications equipment": "39",
    "instruments, meters, cultural and office machinery": "40",
    "other manufacturing industry": "41",
    "scrap and waste": "42",
    "production and supply of electric power, steam and hot water": "44",
    "production and supply of gas": "45",
    "production and supply of tap water": "46",
    "construction": "47",
    "transportation, storage, post and telecommunication services": "54",
    "wholesale, retail trade and catering services": "51",
    "others": "82",
    "urban": "HH_URBAN",
    "rural": "HH_RURAL",
}
TOTAL_SECTOR = "total emissions"
LABEL_ALIASES = {"total consumption": TOTAL_SECTOR, "cleanedcoal": "cleaned coal"}
GAS_UNIT, SOLID_UNIT = ("亿立方米", 1e8), ("万吨", 1e4)


def normalise(label: str) -> str:
    """'Raw_Coal', 'Raw Coal', 'CleanedCoal', 'TotalEmissions' → 'raw coal', 'cleaned coal', …"""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", label.strip()).replace("_", " ")
    text = re.sub(r"\s+", " ", text).lower()
    return LABEL_ALIASES.get(text, text)


def ceads_2019(reference: Path) -> pl.DataFrame:
    frame = pl.read_csv(reference / "ceads_shanxi_province_emissions.csv")
    return frame.filter(pl.col("year") == YEAR).with_columns(
        pl.col("sector").map_elements(normalise, return_dtype=pl.String),
        pl.col("source").map_elements(normalise, return_dtype=pl.String),
    )


def factors_per_unit(factor_set: str) -> dict[str, float]:
    """tCO2 per canonical unit of each variety, straight from the seed (the formula the model
    implements is held by its dbt unit tests)."""
    seed = pl.read_csv(SEEDS / "ref_energy_factors.csv").filter(pl.col("factor_set") == factor_set)
    return {
        row["energy_name"]: row["ncv_gj_per_unit"]
        * row["carbon_content_tc_per_tj"]
        / 1000
        * row["oxidation_rate"]
        * 44
        / 12
        for row in seed.iter_rows(named=True)
    }


def clinker_factor() -> float:
    seed = pl.read_csv(SEEDS / "ref_process_factors.csv")
    return seed.filter(pl.col("product_name") == "水泥熟料")["value_tco2_per_t"].item()


def derived_feeds(ceads: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Energy-consumption and industrial-output rows reproducing CEADs with our default set."""
    tco2_per_unit = factors_per_unit("provincial_guidelines")
    gases = {
        row["energy_name"]
        for row in pl.read_csv(SEEDS / "ref_energy_varieties.csv").iter_rows(named=True)
        if row["canonical_unit"] == "m3"
    }
    fuel_rows = ceads.filter(
        pl.col("source").is_in(list(CEADS_FUELS))
        & (pl.col("sector") != TOTAL_SECTOR)
        & (pl.col("emissions_mt_co2") > 0)
    )
    rows = []
    for sector, source, emissions_mt in fuel_rows.select(
        "sector", "source", "emissions_mt_co2"
    ).iter_rows():
        industry = CEADS_SECTORS[sector]
        energy = CEADS_FUELS[source]
        unit, multiplier = GAS_UNIT if energy in gases else SOLID_UNIT
        quantity = emissions_mt * 1e6 / tco2_per_unit[energy] / multiplier
        use = "火力发电" if industry == "44" else "终端消费"
        rows.append((industry, energy, use, quantity, unit))
    # Rows that must add nothing: coal into coking and washing, feedstock for ammonia.
    rows += [
        ("25", "原煤", "炼焦", 3000.0, "万吨"),
        ("06", "原煤", "洗选煤", 9000.0, "万吨"),
        ("26", "洗精煤", "原料用途", 150.0, "万吨"),
        ("26", "天然气", "原料用途", 5.0, "亿立方米"),
    ]
    energy = pl.DataFrame(
        {
            "period": str(YEAR),
            "report_type": "annual",
            "division_code": COUNTY,
            "industry_code": [r[0] for r in rows],
            "energy_name": [r[1] for r in rows],
            "use": [r[2] for r in rows],
            "quantity": [repr(r[3]) for r in rows],
            "unit": [r[4] for r in rows],
            "reporting_units": "5",
        }
    )
    process_mt = ceads.filter((pl.col("source") == "process") & (pl.col("sector") == TOTAL_SECTOR))[
        "emissions_mt_co2"
    ].item()
    monthly_clinker_t = process_mt * 1e6 / clinker_factor() / 12
    output = pl.DataFrame(
        {
            "period": [f"{YEAR}-{month:02d}" for month in range(1, 13)],
            "report_type": "annual",
            "division_code": COUNTY,
            "product_name": "水泥熟料",
            "quantity": repr(monthly_clinker_t),
            "unit": "吨",
        }
    )
    return energy, output


def load_raw(warehouse: Path, energy: pl.DataFrame, output: pl.DataFrame) -> None:
    """Raw tables of every feed (the contract's columns, all text), two of them filled."""
    with duckdb.connect(str(warehouse)) as con:
        ensure_all_raw_tables(con)
        for table, frame in (
            ("stats__energy_consumption", energy),
            ("stats__industrial_output", output),
        ):
            delivered = frame.with_columns(
                pl.lit("ceads-derived").alias("_sha256"),
                pl.col("period").alias("_file_period"),
                pl.int_range(2, frame.height + 2).cast(pl.Int64).alias("_line_number"),
                pl.lit(False).alias("_is_superseded"),
            )
            con.register("delivered", delivered.to_arrow())
            con.execute(f"insert into raw.{table} by name select * from delivered")
            con.unregister("delivered")


def run_dbt(args: list[str], target: Path, warehouse: Path) -> None:
    completed = run_dbt_cli(args, warehouse, target)
    assert completed.returncode == 0, f"dbt {' '.join(args)} failed:\n{completed.stdout[-4000:]}"


def account(warehouse: Path, target: Path, factor_set: str) -> dict[str, pl.DataFrame]:
    variables = json.dumps({"factor_set": factor_set, "first_year": YEAR, "last_year": YEAR})
    # The fuel-level view is not upstream of the marts (one pass sums the consumption).
    selection = ["+out_emissions__by_sector", "int_emissions__county_industry_fuel"]
    run_dbt(["run", "--select", *selection, "--vars", variables], target, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_fuel = con.sql(
            """select energy_name, sum(energy_tco2)::double as energy_tco2
               from intermediate.int_emissions__county_industry_fuel group by energy_name"""
        ).pl()
        by_sector = con.sql(
            """select sector_code, energy_tco2::double as energy_tco2,
                      process_tco2::double as process_tco2, total_tco2::double as total_tco2
               from marts.out_emissions__by_sector"""
        ).pl()
    return {"by_fuel": by_fuel, "by_sector": by_sector}


@pytest.fixture(scope="module")
def accounts(shared_reference: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ceads")
    warehouse = folder / "warehouse.duckdb"
    ceads = ceads_2019(shared_reference)
    energy, output = derived_feeds(ceads)
    load_raw(warehouse, energy, output)
    target = folder / "target"
    run_dbt(["seed"], target, warehouse)
    provincial = account(warehouse, target, "provincial_guidelines")
    ipcc = account(warehouse, target, "ipcc_2006")
    return ceads, provincial, ipcc


def ceads_by_fuel(ceads: pl.DataFrame) -> dict[str, float]:
    totals = ceads.filter(
        (pl.col("sector") == TOTAL_SECTOR) & pl.col("source").is_in(list(CEADS_FUELS))
    )
    return {
        CEADS_FUELS[source]: mt * 1e6
        for source, mt in totals.select("source", "emissions_mt_co2").iter_rows()
    }


def test_labels_normalise_across_spellings():
    assert normalise("Raw_Coal") == normalise("Raw Coal") == "raw coal"
    assert normalise("CleanedCoal") == normalise("Cleaned Coal") == "cleaned coal"
    assert normalise("TotalEmissions") == normalise("Total Consumption") == TOTAL_SECTOR
    assert normalise("Scope_1_Total") == normalise("Scope 1 Total") == "scope 1 total"


def test_every_ceads_sector_and_fuel_is_mapped(shared_reference: Path):
    ceads = ceads_2019(shared_reference)
    sectors = set(ceads["sector"].unique()) - {TOTAL_SECTOR}
    assert sectors == set(CEADS_SECTORS), sectors ^ set(CEADS_SECTORS)
    fuels = set(ceads["source"].unique())
    assert set(CEADS_FUELS) <= fuels
    assert fuels - set(CEADS_FUELS) == {
        "process", "scope 1 total", "scope 2 electricity", "scope 2 heat", "other energy"
    }  # fmt: skip


def test_default_factor_set_gives_back_ceads_fuel_by_fuel(accounts):
    ceads, provincial, _ = accounts
    expected = ceads_by_fuel(ceads)
    ours = dict(provincial["by_fuel"].iter_rows())
    for energy, tco2 in expected.items():
        # 10 g per row: each row is rounded to the gram, a fuel has at most ~47 rows.
        assert ours.get(energy, 0.0) == pytest.approx(tco2, abs=1e-4 * 47 + 1e-6), energy


def test_default_factor_set_gives_back_ceads_total_and_sectors(accounts):
    ceads, provincial, _ = accounts
    by_sector = provincial["by_sector"]
    total_mt = by_sector["total_tco2"].sum() / 1e6
    ceads_total = ceads.filter(
        (pl.col("sector") == TOTAL_SECTOR) & (pl.col("source") == "scope 1 total")
    )["emissions_mt_co2"].item()
    assert ceads_total == pytest.approx(CEADS_TOTAL_2019_MT, abs=0.01)
    assert total_mt == pytest.approx(ceads_total, abs=1e-6)
    # Transformation inputs and feedstock (12,150 万吨 of coal, 5 亿 m3 of gas) added nothing.
    shares = {
        row["sector_code"]: row["total_tco2"] / 1e6 / total_mt
        for row in by_sector.iter_rows(named=True)
    }
    assert shares["power"] == pytest.approx(0.59, abs=0.01)
    assert shares["steel"] == pytest.approx(0.16, abs=0.01)
    assert shares["coking"] == pytest.approx(0.07, abs=0.01)
    process = by_sector.filter(pl.col("sector_code") == "building_materials")["process_tco2"].item()
    assert process / 1e6 == pytest.approx(14.48, abs=0.01)


def test_ipcc_set_differs_from_ceads_by_exactly_the_factor_ratio(accounts):
    """The table a reviewer reads: fuel, CEADs, ours (ipcc_2006), difference, factor ratio, and
    the residual once the difference is explained by the ratio."""
    ceads, _, ipcc = accounts
    expected = ceads_by_fuel(ceads)
    ours = dict(ipcc["by_fuel"].iter_rows())
    provincial_factor = factors_per_unit("provincial_guidelines")
    ipcc_factor = factors_per_unit("ipcc_2006")
    english = dict(
        pl.read_csv(SEEDS / "ref_energy_varieties.csv")
        .select("energy_name", "energy_name_en")
        .rows()
    )
    header = ("fuel", "CEADs Mt", "ipcc Mt", "diff Mt", "ratio", "residual t", "")
    lines = ["{:<24} {:>10} {:>10} {:>9} {:>7} {:>11}  {}".format(*header)]
    explained = 0.0
    for energy, ceads_tco2 in sorted(expected.items(), key=lambda item: -item[1]):
        if ceads_tco2 == 0:
            assert ours.get(energy, 0.0) == 0.0
            continue
        ratio = ipcc_factor[energy] / provincial_factor[energy]
        ours_tco2 = ours[energy]
        residual = ours_tco2 / ratio - ceads_tco2
        explained += ours_tco2 - ceads_tco2
        lines.append(
            f"{english[energy]:<24} {ceads_tco2 / 1e6:10.3f} {ours_tco2 / 1e6:10.3f} "
            f"{(ours_tco2 - ceads_tco2) / 1e6:9.3f} {ratio:7.4f} {residual:11.4f}  {energy}"
        )
        assert residual == pytest.approx(0.0, abs=1e-3 * 47), energy
    print("\n" + "\n".join(lines))
    total_difference = (
        ipcc["by_sector"]["total_tco2"].sum()
        - sum(expected.values())
        - (ipcc["by_sector"]["process_tco2"].sum())
    )
    assert total_difference == pytest.approx(explained, abs=1.0)
    # IPCC's bituminous coal (25.8 GJ/t) is far above Chinese raw coal as delivered (20.9 GJ/t):
    # the raw-coal ratio is the largest part of the difference.
    raw_coal_ratio = ipcc_factor["原煤"] / provincial_factor["原煤"]
    assert raw_coal_ratio == pytest.approx(2.44068 / 1.90030, rel=1e-4)
