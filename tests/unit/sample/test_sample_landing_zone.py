"""The generated landing zone follows the data contract: names, columns, codes, formats."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from sample_helpers import read_any, seed

from ingest.uscc import is_valid_uscc

YEAR, MONTH, DAY = r"\d{4}", r"\d{4}-(0[1-9]|1[0-2])", r"\d{4}-\d{2}-\d{2}"
# Feed -> (file name pattern, period column, columns), as in the contract.
CONTRACT = {
    "stats/energy_consumption": (
        rf"(?P<period>{YEAR}|{MONTH})_(annual|quick)\.csv",
        "period",
        ["period", "report_type", "division_code", "industry_code", "energy_name", "use",
         "quantity", "unit", "reporting_units"],
    ),
    "stats/energy_supply": (
        rf"(?P<period>{YEAR})_(annual|quick)\.csv",
        "period",
        ["period", "report_type", "division_code", "energy_name", "item", "quantity", "unit"],
    ),
    "stats/gdp": (
        rf"(?P<period>{YEAR})_(annual|quick)\.xlsx",
        "period",
        ["period", "report_type", "division_code", "gdp_100m_yuan", "real_growth_pct",
         "secondary_industry_100m_yuan"],
    ),
    "stats/population": (
        rf"(?P<period>{YEAR})\.csv", "year", ["year", "division_code", "resident_population_10k"]
    ),
    "stats/industrial_output": (
        rf"(?P<period>{MONTH})_(annual|quick)\.csv",
        "period",
        ["period", "report_type", "division_code", "product_name", "quantity", "unit"],
    ),
    "policy/targets": (
        rf"targets_(?P<period>{DAY})\.csv",
        None,
        ["plan_period", "division_code", "indicator", "base_year", "target_year", "value",
         "binding", "document", "decided_on"],
    ),
    "policy/functional_zones": (
        rf"zones_(?P<period>{DAY})\.csv",
        None,
        ["division_code", "functional_zone", "is_resource_based"],
    ),
    "forestry/carbon_sinks": (
        rf"(?P<period>{YEAR})\.csv",
        "year",
        ["year", "division_code", "forest_area_ha", "forest_stock_m3", "grassland_area_ha",
         "sink_tco2", "method"],
    ),
    "ets/entities": (
        rf"entities_(?P<period>{DAY})\.csv",
        None,
        ["entity_id", "entity_name", "division_code", "industry_code", "ets_sector", "first_year"],
    ),
    "ets/compliance": (
        rf"(?P<period>{YEAR})\.xlsx",
        "compliance_year",
        ["compliance_year", "entity_id", "verified_emissions_tco2", "allocated_allowances_tco2",
         "surrendered_allowances_tco2", "ccer_offset_tco2", "output_quantity", "output_unit",
         "verification_date"],
    ),
    "power/accounts": (
        rf"accounts_(?P<period>{DAY})\.csv",
        None,
        ["account_id", "division_code", "industry_code", "customer_type", "entity_id",
         "opened_on", "closed_on"],
    ),
    "power/meter_daily": (
        rf"(?P<period>{DAY})\.parquet", "date", ["account_id", "date", "electricity_kwh"]
    ),
    "power/generation_daily": (
        rf"(?P<period>{DAY})\.csv",
        "date",
        ["date", "plant_id", "plant_name", "division_code", "fuel_type", "capacity_mw",
         "generation_mwh", "coal_consumption_tce", "exported_mwh"],
    ),
    "factors/grid": (
        rf"(?P<period>{YEAR})\.csv",
        "year",
        ["year", "region", "factor_type", "value_tco2_per_mwh", "source", "published_on"],
    ),
}  # fmt: skip
SOLIDS_AND_LIQUIDS = [
    "原煤", "洗精煤", "其他洗煤", "型煤", "煤矸石", "焦炭", "其他焦化产品", "原油", "汽油", "煤油",
    "柴油", "燃料油", "石油焦", "液化石油气", "炼厂干气", "其他石油制品", "液化天然气",
]  # fmt: skip
GASES = ["焦炉煤气", "高炉煤气", "转炉煤气", "其他煤气", "天然气"]
ENERGY_UNITS = {
    **{name: {"吨", "万吨"} for name in SOLIDS_AND_LIQUIDS},
    **{name: {"立方米", "万立方米", "亿立方米"} for name in GASES},
    "电力": {"千瓦时", "万千瓦时", "亿千瓦时", "兆瓦时"},
    "热力": {"吉焦", "百万千焦"},
    "其他能源": {"吨标准煤", "万吨标准煤"},
}  # fmt: skip
USES = {"终端消费", "火力发电", "供热", "炼焦", "炼油", "制气", "洗选煤", "原料用途"}
COUNTY_FEEDS = [
    "stats/energy_consumption",
    "stats/industrial_output",
    "ets/entities",
    "power/accounts",
    "power/generation_daily",
]


def frames(root: Path, feed: str) -> list[tuple[Path, pl.DataFrame]]:
    return [(path, read_any(path)) for path in sorted((root / feed).iterdir())]


def test_every_feed_is_delivered(landing):
    root, summary = landing
    assert sorted(summary.files_per_feed) == sorted(CONTRACT)
    for feed in CONTRACT:
        files = list((root / feed).iterdir())
        assert len(files) == summary.files_per_feed[feed] > 0, feed
        assert summary.rows_per_feed[feed] > 0
    assert summary.elapsed_seconds > 0


@pytest.mark.parametrize("feed", sorted(CONTRACT))
def test_file_names_columns_and_periods_follow_the_contract(landing, feed):
    root, _ = landing
    pattern, period_column, columns = CONTRACT[feed]
    for path, frame in frames(root, feed):
        match = re.fullmatch(pattern, path.name)
        assert match, f"{feed}/{path.name} does not follow the contract's naming"
        assert frame.columns == columns, path.name
        assert frame.height > 0
        if period_column:
            periods = frame[period_column].cast(pl.String).unique().to_list()
            assert periods == [match["period"]], path.name
        if "report_type" in frame.columns:
            report_type = path.stem.rsplit("_", 1)[-1]
            assert frame["report_type"].unique().to_list() == [report_type]


def test_energy_consumption_files_by_year(landing):
    root, _ = landing
    names = {p.name for p in (root / "stats/energy_consumption").iterdir()}
    # As of 2025-12-31: the 2024 finals came in on 31 October 2025; the quicks of 2021 to 2024
    # (QUICK_HISTORY_YEARS, four) and 2025 to November (December's is due on 20 January).
    annual = {f"{year}_annual.csv" for year in range(2015, 2025)}
    quick = {f"{year}-{m:02d}_quick.csv" for year in range(2021, 2025) for m in range(1, 13)}
    quick |= {f"2025-{m:02d}_quick.csv" for m in range(1, 12)}
    assert names == annual | quick  # 2025 is quick-only; 2021 to 2024 have both


def test_codes_exist_in_the_seeds(landing):
    root, _ = landing
    divisions = seed("ref_divisions")
    counties = set(divisions.filter(pl.col("division_level") == "county")["division_code"])
    all_codes = set(divisions["division_code"])
    for feed in COUNTY_FEEDS:
        for path, frame in frames(root, feed):
            assert set(frame["division_code"]) <= counties, path.name
    for feed in ("stats/energy_supply", "stats/gdp", "stats/population"):
        for path, frame in frames(root, feed):
            assert set(frame["division_code"]) <= all_codes, path.name
    industry = re.compile(r"(0[1-9]|[1-8]\d|9[0-7])|HH_URBAN|HH_RURAL")
    for feed in ("stats/energy_consumption", "ets/entities", "power/accounts"):
        for path, frame in frames(root, feed):
            assert all(industry.fullmatch(code) for code in frame["industry_code"]), path.name


def test_energy_rows_use_contract_values(landing):
    root, _ = landing
    energy = pl.concat(frame for _, frame in frames(root, "stats/energy_consumption"))
    assert set(energy["use"]) <= USES
    assert {"炼焦", "洗选煤", "原料用途", "火力发电", "供热"} <= set(energy["use"])
    for name, unit in energy.select("energy_name", "unit").unique().iter_rows():
        assert unit in ENERGY_UNITS[name], (name, unit)
    assert (energy["quantity"].cast(pl.Float64) >= 0).all()
    # Units vary within a variety, so unit normalisation matters.
    units_of_electricity = set(energy.filter(pl.col("energy_name") == "电力")["unit"])
    assert len(units_of_electricity) >= 3
    assert {"万吨", "吨"} <= set(energy.filter(pl.col("energy_name") == "原煤")["unit"])
    # Reporting units: empty for households, at least 1 otherwise, some cells with 1 or 2.
    households = energy.filter(pl.col("industry_code").str.starts_with("HH_"))
    assert households["reporting_units"].is_null().all()
    units = energy.filter(~pl.col("industry_code").str.starts_with("HH_"))["reporting_units"]
    units = units.cast(pl.Int64)
    assert units.min() >= 1 and units.max() <= 40
    assert (units <= 2).sum() > 100


def test_no_duplicate_keys(landing):
    root, _ = landing
    keys = {
        "stats/energy_consumption": ["division_code", "industry_code", "energy_name", "use"],
        "stats/industrial_output": ["division_code", "product_name"],
        "stats/gdp": ["division_code"],
        "power/meter_daily": ["account_id"],
        "power/generation_daily": ["plant_id"],
        "ets/compliance": ["entity_id"],
        "power/accounts": ["account_id"],
    }
    for feed, key in keys.items():
        for path, frame in frames(root, feed):
            assert not frame.select(key).is_duplicated().any(), path.name


def test_encodings_are_mixed_and_real(landing):
    root, _ = landing
    for feed in ("stats/energy_supply", "stats/industrial_output"):
        for path in (root / feed).iterdir():
            raw = path.read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert "period" in raw.decode("gb18030")
    for path in (root / "stats/population").iterdir():
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    boms = [
        path.read_bytes().startswith(b"\xef\xbb\xbf")
        for path in (root / "stats/energy_consumption").iterdir()
    ]
    assert any(boms) and not all(boms)
    for path in (root / "stats/gdp").iterdir():
        assert path.read_bytes().startswith(b"PK")  # a zip container: XLSX
    for path in (root / "power/meter_daily").iterdir():
        assert path.read_bytes()[:4] == b"PAR1"


def test_entities_and_their_updates(landing):
    root, _ = landing
    files = sorted((root / "ets/entities").iterdir())
    assert files[0].name == "entities_2021-03-31.csv" and len(files) >= 2
    first = read_any(files[0])
    assert set(first["ets_sector"]) == {"power"} and set(first["first_year"]) == {"2021"}
    everything = pl.concat(read_any(path) for path in files)
    assert all(is_valid_uscc(code) for code in everything["entity_id"])
    latest = everything.unique("entity_id", keep="last")
    assert 150 <= latest.height <= 400
    assert set(latest["ets_sector"]) == {"power", "steel", "cement", "aluminium"}
    assert set(latest.filter(pl.col("ets_sector") != "power")["first_year"]) == {"2024"}
    # Later files rename or move some entities delivered before, and add new ones.
    changed = everything.filter(pl.col("entity_id").is_duplicated())
    assert changed["entity_id"].n_unique() >= 3
    renamed = changed.group_by("entity_id").agg(pl.col("entity_name").n_unique() > 1)
    moved = changed.group_by("entity_id").agg(pl.col("division_code").n_unique() > 1)
    assert renamed["entity_name"].any() and moved["division_code"].any()


def test_grid_factors_are_the_published_values(landing):
    root, _ = landing
    delivered = pl.concat(read_any(path) for path in sorted((root / "factors/grid").iterdir()))
    published = seed("ref_grid_factors").select(delivered.columns)
    in_range = published.filter(
        pl.col("year").cast(pl.Int64).is_between(2015, 2025)
        & (pl.col("published_on") <= "2025-12-31")  # released by the world's last day
    )
    assert in_range.height > 0
    assert delivered.sort(delivered.columns).equals(in_range.sort(in_range.columns))
