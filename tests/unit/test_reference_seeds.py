"""The reference seeds hold the contract's codes and units and plausible, sourced factors."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from reference import SEEDS_DIR, codes, flagged, mapping, read_seed

SEEDS = SEEDS_DIR
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SHARED_REFERENCE = SHARED / "reference"
CONTRACT = SHARED / "contracts" / "README.md"

# The contract's units, written out from the data contract (not read from the seed under test):
# unit -> (canonical unit, multiplier to it).
CONTRACT_UNITS = {
    "吨": ("t", 1.0),
    "万吨": ("t", 1e4),
    "立方米": ("m3", 1.0),
    "万立方米": ("m3", 1e4),
    "亿立方米": ("m3", 1e8),
    "千瓦时": ("MWh", 1e-3),
    "万千瓦时": ("MWh", 10.0),
    "亿千瓦时": ("MWh", 1e5),
    "兆瓦时": ("MWh", 1.0),
    "吉焦": ("GJ", 1.0),
    "百万千焦": ("GJ", 1.0),
    "吨标准煤": ("tce", 1.0),
    "万吨标准煤": ("tce", 1e4),
    "重量箱": ("t", 0.05),
    "万重量箱": ("t", 500.0),
}
SOLID_AND_LIQUID_FUELS = [
    "原煤", "洗精煤", "其他洗煤", "型煤", "煤矸石", "焦炭", "其他焦化产品", "原油", "汽油", "煤油",
    "柴油", "燃料油", "石油焦", "液化石油气", "炼厂干气", "其他石油制品", "液化天然气",
]  # fmt: skip
GASEOUS_FUELS = ["焦炉煤气", "高炉煤气", "转炉煤气", "其他煤气", "天然气"]
FUELS = SOLID_AND_LIQUID_FUELS + GASEOUS_FUELS
NON_FUELS = {"电力": "MWh", "热力": "GJ", "其他能源": "tce"}
FACTOR_SETS = ["provincial_guidelines", "ipcc_2006"]
PRODUCTS = [
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
]
SECTORS = [
    "power", "steel", "coking", "nonferrous", "building_materials", "chemicals",
    "other_industry", "construction", "transport", "buildings", "agriculture",
]  # fmt: skip


def emission_factors(factor_set: str) -> dict[str, float]:
    """tCO2 per canonical unit of every fuel in a factor set."""
    factors = read_seed("ref_energy_factors").filter(pl.col("factor_set") == factor_set)
    return {
        name: float(ncv) * float(carbon) / 1000 * float(oxidation) * 44 / 12
        for name, ncv, carbon, oxidation in factors.select(
            "energy_name", "ncv_gj_per_unit", "carbon_content_tc_per_tj", "oxidation_rate"
        ).rows()
    }


@pytest.fixture(scope="module")
def reference_divisions() -> pl.DataFrame:
    path = SHARED_REFERENCE / "shanxi_divisions.csv"
    if not path.exists():
        pytest.skip(f"shared reference copy {path} is absent; cannot hold ref_divisions against it")
    return pl.read_csv(path, infer_schema=False)


def test_divisions_match_the_shared_reference(reference_divisions: pl.DataFrame) -> None:
    seed = read_seed("ref_divisions").select(
        "division_code",
        pl.col("division_name_zh").alias("name_zh"),
        pl.col("division_level").alias("level"),
        "parent_code",
    )
    assert seed.sort("division_code").equals(
        reference_divisions.select("division_code", "name_zh", "level", "parent_code").sort(
            "division_code"
        )
    )


def test_divisions_have_one_province_11_cities_117_counties_and_consistent_english() -> None:
    divisions = read_seed("ref_divisions")
    assert divisions["division_level"].value_counts().sort("division_level").rows() == [
        ("city", 11),
        ("county", 117),
        ("province", 1),
    ]
    assert not divisions["division_code"].str.ends_with("71").any()
    counties = divisions.filter(pl.col("division_level") == "county")
    for name_zh, name_en in counties.select("division_name_zh", "division_name_en").rows():
        if name_zh.endswith("区"):
            assert name_en.endswith(" District"), name_en
        elif name_zh.endswith("县"):
            assert name_en.endswith(" County"), name_en
        else:
            assert name_zh.endswith("市") and " " not in name_en, name_en
    english = dict(divisions.select("division_code", "division_name_en").rows())
    assert english["140000"] == "Shanxi Province"
    assert english["140100"] == "Taiyuan"
    assert english["140105"] == "Xiaodian District"
    assert english["140121"] == "Qingxu County"
    assert english["140181"] == "Gujiao"


def test_every_contract_unit_converts_to_its_canonical_unit() -> None:
    units = {
        unit: (canonical, float(multiplier))
        for unit, canonical, multiplier in read_seed("ref_units")
        .select("unit", "canonical_unit", "to_canonical_multiplier")
        .rows()
    }
    assert set(units) == set(CONTRACT_UNITS)
    for unit, (canonical, multiplier) in CONTRACT_UNITS.items():
        assert units[unit][0] == canonical, unit
        assert units[unit][1] == pytest.approx(multiplier), unit


def test_weight_cases_are_not_a_unit_of_fuel_mass() -> None:
    kinds = dict(read_seed("ref_units").select("unit", "quantity_kind").rows())
    assert kinds["重量箱"] == kinds["万重量箱"] == "flat_glass"
    assert kinds["吨"] == kinds["万吨"] == "mass"


def test_every_variety_of_the_contract_is_described() -> None:
    varieties = read_seed("ref_energy_varieties")
    units = dict(varieties.select("energy_name", "canonical_unit").rows())
    assert set(units) == set(FUELS) | set(NON_FUELS)
    assert all(units[name] == "t" for name in SOLID_AND_LIQUID_FUELS)
    assert all(units[name] == "m3" for name in GASEOUS_FUELS)
    assert all(units[name] == unit for name, unit in NON_FUELS.items())
    fossil = dict(varieties.select("energy_name", "is_fossil").rows())
    assert {name for name, flag in fossil.items() if flag == "true"} == set(FUELS)
    tce = {
        name: float(value) for name, value in varieties.select("energy_name", "tce_per_unit").rows()
    }
    assert tce["电力"] == pytest.approx(0.1229)
    assert tce["热力"] == pytest.approx(0.03412)
    assert tce["其他能源"] == 1
    assert tce["原煤"] == pytest.approx(0.7143)
    assert tce["天然气"] == pytest.approx(0.00133)


@pytest.mark.parametrize("factor_set", FACTOR_SETS)
def test_every_fuel_has_a_factor_in_the_set(factor_set: str) -> None:
    factors = read_seed("ref_energy_factors").filter(pl.col("factor_set") == factor_set)
    assert sorted(factors["energy_name"]) == sorted(FUELS)
    units = dict(read_seed("ref_energy_varieties").select("energy_name", "canonical_unit").rows())
    for name, unit in factors.select("energy_name", "canonical_unit").rows():
        assert unit == units[name], name
    assert factors.filter(
        pl.any_horizontal(pl.col("source_ncv", "source_carbon", "edition").str.len_chars() < 10)
    ).is_empty()


@pytest.mark.parametrize("factor_set", FACTOR_SETS)
def test_factor_components_are_in_their_units(factor_set: str) -> None:
    factors = read_seed("ref_energy_factors").filter(pl.col("factor_set") == factor_set)
    for name, unit, ncv, carbon, oxidation in factors.select(
        "energy_name",
        "canonical_unit",
        "ncv_gj_per_unit",
        "carbon_content_tc_per_tj",
        "oxidation_rate",
    ).rows():
        # GJ/t for solids and liquids; GJ/m3 for gases (a kJ/m3 or GJ/10^4 m3 slip fails here).
        low, high = (5.0, 55.0) if unit == "t" else (0.002, 0.045)
        assert low <= float(ncv) <= high, (name, ncv)
        assert 10.0 <= float(carbon) <= 80.0, (name, carbon)
        assert 0.85 <= float(oxidation) <= 1.0, (name, oxidation)


@pytest.mark.parametrize(
    ("factor_set", "energy_name", "low", "high"),
    [
        ("provincial_guidelines", "原煤", 1.7, 2.1),
        ("provincial_guidelines", "洗精煤", 2.0, 2.6),
        ("provincial_guidelines", "焦炭", 2.6, 3.1),
        ("provincial_guidelines", "原油", 2.9, 3.2),
        ("provincial_guidelines", "汽油", 2.8, 3.1),
        ("provincial_guidelines", "柴油", 3.0, 3.25),
        ("provincial_guidelines", "天然气", 0.0019, 0.0024),
        ("provincial_guidelines", "焦炉煤气", 0.0007, 0.0011),
        ("provincial_guidelines", "高炉煤气", 0.0008, 0.0012),
        ("ipcc_2006", "原煤", 2.2, 2.6),
        ("ipcc_2006", "焦炭", 2.8, 3.2),
        ("ipcc_2006", "柴油", 3.0, 3.3),
        ("ipcc_2006", "天然气", 0.0019, 0.0024),
    ],
)
def test_emission_factors_are_plausible(
    factor_set: str, energy_name: str, low: float, high: float
) -> None:
    assert low <= emission_factors(factor_set)[energy_name] <= high


def test_default_factors_reproduce_the_guideline_values() -> None:
    # Hand-computed from the cited documents: NCV x carbon content x oxidation x 44/12.
    factors = emission_factors("provincial_guidelines")
    assert factors["原煤"] == pytest.approx(20.908 * 26.37e-3 * 0.94 * 44 / 12)  # 1.9003 t/t
    assert factors["原煤"] == pytest.approx(1.9003, abs=1e-4)
    assert factors["焦炭"] == pytest.approx(2.8604, abs=1e-4)
    assert factors["柴油"] == pytest.approx(3.0959, abs=1e-4)
    assert factors["天然气"] * 1e4 == pytest.approx(21.622, abs=1e-3)  # tCO2 per 10^4 m3


def test_standard_coal_coefficients_agree_with_the_heating_values() -> None:
    ncv = dict(
        read_seed("ref_energy_factors")
        .filter(pl.col("factor_set") == "provincial_guidelines")
        .select("energy_name", "ncv_gj_per_unit")
        .rows()
    )
    tce = dict(read_seed("ref_energy_varieties").select("energy_name", "tce_per_unit").rows())
    for name in FUELS:
        gj_per_tce = float(ncv[name]) / float(tce[name])
        assert gj_per_tce == pytest.approx(29.3076, rel=0.005), name


def test_every_industry_division_maps_to_a_known_sector() -> None:
    industries = read_seed("ref_industry_sectors")
    sectors = read_seed("ref_sectors")
    assert sorted(sectors["sector_code"]) == sorted(SECTORS)
    codes = [f"{division:02d}" for division in range(1, 98)] + ["HH_URBAN", "HH_RURAL"]
    assert sorted(industries["industry_code"]) == sorted(codes)
    sector_of = dict(industries.select("industry_code", "sector_code").rows())
    assert set(sector_of.values()) == set(SECTORS)
    expected = {
        "44": "power",
        "31": "steel",
        "25": "coking",
        "32": "nonferrous",
        "30": "building_materials",
        "26": "chemicals",
        "28": "chemicals",
        "29": "chemicals",
        "06": "other_industry",
        "45": "other_industry",
        "46": "other_industry",
        "HH_URBAN": "buildings",
        "HH_RURAL": "buildings",
        "51": "buildings",
        "92": "buildings",
    }
    expected |= {f"{d:02d}": "agriculture" for d in range(1, 6)}
    expected |= {f"{d:02d}": "construction" for d in range(47, 51)}
    expected |= {f"{d:02d}": "transport" for d in range(53, 61)}
    for code, sector in expected.items():
        assert sector_of[code] == sector, code


@pytest.mark.parametrize(
    ("year", "region", "factor_type", "value"),
    [
        ("2021", "全国", "average", 0.5568),
        ("2022", "全国", "average", 0.5366),
        ("2023", "全国", "average", 0.5306),
        ("2021", "全国", "fossil", 0.8426),
        ("2022", "全国", "fossil", 0.8325),
        ("2023", "全国", "fossil", 0.8273),
        ("2022", "华北", "average", 0.6776),
        ("2022", "山西", "average", 0.7096),
        ("2023", "华北", "average", 0.6361),
    ],
)
def test_grid_factors_hold_the_published_values(
    year: str, region: str, factor_type: str, value: float
) -> None:
    grid = read_seed("ref_grid_factors").filter(
        (pl.col("year") == year)
        & (pl.col("region") == region)
        & (pl.col("factor_type") == factor_type)
    )
    assert grid.height == 1
    assert float(grid["value_tco2_per_mwh"][0]) == value


def test_grid_factors_are_unique_per_year_region_and_type() -> None:
    grid = read_seed("ref_grid_factors")
    assert not grid.select("year", "region", "factor_type").is_duplicated().any()
    assert grid["published_on"].str.to_date("%Y-%m-%d").null_count() == 0


def test_heat_factor_is_the_national_default() -> None:
    heat = read_seed("ref_heat_factors")
    assert heat.rows() and float(heat["value_tco2_per_gj"][0]) == 0.11


def test_every_product_of_the_contract_has_a_process_factor() -> None:
    process = read_seed("ref_process_factors")
    assert sorted(process["product_name"]) == sorted(PRODUCTS)
    value = {
        name: float(v) for name, v in process.select("product_name", "value_tco2_per_t").rows()
    }
    assert value["水泥熟料"] == 0.538
    assert value["石灰"] == 0.683
    assert value["电石"] == 1.154
    assert value["电解铝"] == pytest.approx(0.42 * (1 - 0.02 - 0.004) * 44 / 12)
    # Cement is counted through clinker, coke through combustion, pig iron through crude steel.
    assert value["水泥"] == value["焦炭"] == value["生铁"] == 0
    assert all(0 <= v < 3 for v in value.values())


def test_every_row_of_every_seed_cites_a_source() -> None:
    for path in sorted(SEEDS.glob("ref_*.csv")):
        seed = pl.read_csv(path, infer_schema=False)
        source_columns = [c for c in seed.columns if c.startswith("source")]
        if path.stem == "ref_sectors":
            # The plan's own sector names; their members are sourced in ref_industry_sectors.
            continue
        assert source_columns, path.name
        for column in source_columns:
            assert seed[column].null_count() == 0, (path.name, column)
            assert (seed[column].str.len_chars() >= 10).all(), (path.name, column)


# --- The code lists of the contract ------------------------------------------------------

# Seed -> the contract's words for it. Each seed holds one code list of the data contract
# (shared/contracts/README.md), in the contract's order.
CONTRACT_VOCABULARIES = [
    "ref_energy_uses",
    "ref_supply_items",
    "ref_products",
    "ref_ets_sectors",
    "ref_customer_types",
    "ref_fuel_types",
    "ref_grid_regions",
    "ref_grid_factor_types",
    "ref_plan_periods",
    "ref_target_indicators",
    "ref_target_bindings",
    "ref_functional_zones",
]


@pytest.fixture(scope="module")
def contract() -> str:
    if not CONTRACT.exists():
        pytest.skip(f"the data contract {CONTRACT} is absent; cannot hold the seeds against it")
    return CONTRACT.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CONTRACT_VOCABULARIES)
def test_every_code_is_a_code_of_the_contract_in_its_order(contract: str, name: str) -> None:
    # Each code is written `code` in the contract; its first mention comes after the first
    # mention of the code before it (the seeds keep the contract's order, which the sample's
    # random draws follow).
    positions = []
    for code in codes(name):
        match = re.search(f"`{re.escape(code)}`", contract)
        assert match, f"{name}: {code} is not a code of the data contract"
        positions.append(match.start())
    assert positions == sorted(positions), f"{name} is not in the contract's order"


def test_carbon_market_sectors_make_their_products_in_their_industry() -> None:
    sectors = read_seed("ref_ets_sectors")
    industry_of_product = mapping("ref_products", "industry_code")
    units = set(read_seed("ref_units")["unit"])
    for sector, industry, product, unit in sectors.select(
        "ets_sector", "industry_code", "product_name", "output_unit"
    ).rows():
        assert unit in units, sector
        if product is None:  # power: its output is generation
            assert sector == "power" and unit == "兆瓦时" and industry == "44"
        else:
            assert industry_of_product[product] == industry, sector
            assert unit == "吨", sector


def test_fuel_type_flags_are_consistent() -> None:
    coal = set(flagged("ref_fuel_types", "is_coal_fired"))
    non_fossil = set(flagged("ref_fuel_types", "is_non_fossil"))
    primary = set(flagged("ref_fuel_types", "is_primary_electricity"))
    assert coal == {"煤电"}
    assert not coal & non_fossil
    assert primary == {"水电", "风电", "光伏"} and primary <= non_fossil
    assert non_fossil - primary == {"生物质"}  # non-fossil, but generated from a fuel


def test_energy_use_flags_follow_the_guidelines() -> None:
    # 省级温室气体清单编制指南: combustion is end use and the fuel fed to power and heat plants;
    # NBS: final consumption is end use plus non-energy use; indirect emissions are end use's.
    assert set(flagged("ref_energy_uses", "is_combustion")) == {"终端消费", "火力发电", "供热"}
    assert set(flagged("ref_energy_uses", "is_final_consumption")) == {"终端消费", "原料用途"}
    assert flagged("ref_energy_uses", "is_indirect") == ("终端消费",)


def test_supply_items_have_their_balance_roles() -> None:
    roles = mapping("ref_supply_items", "balance_role")
    assert roles == {
        "一次能源生产量": "primary_production",
        "外省(市)调入量": "inflow",
        "调出到外省(市)量": "outflow",
        "进口量": "inflow",
        "出口量": "outflow",
        "库存增(-)减(+)量": "stock_change",
    }
    assert flagged("ref_supply_items", "may_be_negative") == ("库存增(-)减(+)量",)


@pytest.mark.parametrize(
    ("name", "flag", "code"),
    [
        ("ref_heat_factors", "is_default", "heat_default"),
        ("ref_grid_factor_types", "is_used_for_indirect", "average"),
        ("ref_plan_periods", "is_gdp_price_base", "14th"),
    ],
)
def test_exactly_one_row_carries_the_rule(name: str, flag: str, code: str) -> None:
    assert flagged(name, flag) == (code,)


def test_the_published_constant_prices_are_of_2020() -> None:
    # The 14th plan's base year: intensities of 2021-2025 are assessed at 2020 prices.
    base = read_seed("ref_plan_periods").filter(pl.col("is_gdp_price_base") == "true")
    assert base["base_year"].to_list() == ["2020"]


def test_grid_regions_are_ranked_province_region_nation() -> None:
    preference = {
        region: int(rank) for region, rank in mapping("ref_grid_regions", "preference").items()
    }
    assert preference == {"山西": 1, "华北": 2, "全国": 3}


def test_products_are_made_in_the_industries_of_gbt_4754() -> None:
    # GB/T 4754-2017: 3110/3120 炼铁、炼钢 → 31; 2520 炼焦 → 25; 3011 水泥制造, 3012 石灰和石膏制造,
    # 3041 平板玻璃制造 → 30; 3216 铝冶炼 → 32; 2621 氮肥制造, 2619 其他基础化学原料制造 → 26.
    assert mapping("ref_products", "industry_code") == {
        "粗钢": "31", "生铁": "31", "焦炭": "25", "水泥熟料": "30", "水泥": "30",
        "平板玻璃": "30", "电解铝": "32", "合成氨": "26", "电石": "26", "石灰": "30",
    }  # fmt: skip
    assert flagged("ref_products", "allows_weight_cases") == ("平板玻璃",)
