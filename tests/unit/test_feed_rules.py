"""Row rules of every feed: each bad-input class is quarantined with its rule, the rest loads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from landing_zone import LandingZone

from ingest.reference import ReferenceData
from ingest.uscc import make_uscc

REFERENCE = ReferenceData(
    county_codes=frozenset({"140105", "140106"}),
    city_codes=frozenset({"140100"}),
    division_codes=frozenset({"140000", "140100", "140105", "140106"}),
    industry_codes=frozenset({"31", "44", "HH_URBAN"}),
    units_by_energy={"原煤": frozenset({"吨", "万吨"}), "电力": frozenset({"万千瓦时"})},
)


def valid_uscc(serial: int) -> str:
    return make_uscc("140105", f"MA{serial:06d}")


def bad_check_character(code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:17] + alphabet[(alphabet.index(code[17]) + 1) % 31]


@pytest.fixture
def zone(tmp_path: Path):
    zone = LandingZone(tmp_path, REFERENCE)
    yield zone
    zone.close()


ENTITY_HEADER = "entity_id,entity_name,division_code,industry_code,ets_sector,first_year"


def deliver_entities(zone: LandingZone, codes: list[str]) -> None:
    rows = [f"{code},山西测试发电有限公司{i},140105,44,power,2021" for i, code in enumerate(codes)]
    zone.deliver("ets/entities", "entities_2025-01-15.csv", ENTITY_HEADER, rows)


def test_entities_with_a_bad_check_character_are_quarantined(zone: LandingZone):
    good = valid_uscc(1)
    bad = bad_check_character(valid_uscc(2))
    deliver_entities(zone, [good, bad])
    report = zone.load("ets/entities")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert zone.quarantined("ets/entities") == [(3, "entity_id", "bad_check_character")]


def test_compliance_for_unknown_entities_and_offsets_over_5_percent(zone: LandingZone):
    known = valid_uscc(3)
    deliver_entities(zone, [known])
    zone.load("ets/entities")
    header = (
        "compliance_year,entity_id,verified_emissions_tco2,allocated_allowances_tco2,"
        "surrendered_allowances_tco2,ccer_offset_tco2,output_quantity,output_unit,"
        "verification_date"
    )
    rows = [
        f"2023,{known},1000000,980000,950000,50000,1800000,兆瓦时,2024-06-30",  # 5%: allowed
        f"2023,{valid_uscc(4)},1000,1000,1000,0,1,兆瓦时,2024-06-30",  # unknown entity
        f"2023,{known},1000000,980000,900000,60000,1800000,兆瓦时,2024-06-30",  # 6% ccer
        f"2023,{known},1000000,980000,900000,0,1800000,兆瓦时,30/06/2024",  # not ISO
    ]
    zone.deliver("ets/compliance", "2023.csv", header, rows)
    report = zone.load("ets/compliance")
    assert report.rows_loaded == 1
    assert zone.quarantined("ets/compliance") == [
        (3, "entity_id", "unknown_entity"),
        (4, "ccer_offset_tco2", "ccer_over_cap"),
        (5, "verification_date", "not_an_iso_date"),
    ]


def test_meter_readings_for_unknown_or_closed_accounts(zone: LandingZone):
    header = "account_id,division_code,industry_code,customer_type,entity_id,opened_on,closed_on"
    zone.deliver(
        "power/accounts",
        "accounts_2025-01-01.csv",
        header,
        [
            "A1,140105,44,大工业,,2010-01-01,",
            "A2,140105,31,大工业,,2010-01-01,2025-05-31",
            "A3,140106,HH_URBAN,居民,,2010-01-01,",
        ],
    )
    assert zone.load("power/accounts").rows_loaded == 3
    zone.deliver(
        "power/meter_daily",
        "2025-06-01.csv",
        "account_id,date,electricity_kwh",
        [
            "A1,2025-06-01,120000.5",
            "A2,2025-06-01,5",  # closed on 2025-05-31
            "A9,2025-06-01,5",  # unknown
            "A3,2025-06-01,-1",  # negative
            "A3,2025-05-31,5",  # another day than the file's
        ],
    )
    report = zone.load("power/meter_daily")
    assert report.rows_loaded == 1
    assert zone.quarantined("power/meter_daily") == [
        (3, "account_id", "unknown_or_closed_account"),
        (4, "account_id", "unknown_or_closed_account"),
        (5, "electricity_kwh", "negative"),
        (6, "date", "period_outside_file"),
    ]


def test_weight_cases_only_for_flat_glass_and_unknown_products(zone: LandingZone):
    zone.deliver(
        "stats/industrial_output",
        "2024-03_quick.csv",
        "period,report_type,division_code,product_name,quantity,unit",
        [
            "2024-03,quick,140105,平板玻璃,120,万重量箱",
            "2024-03,quick,140105,粗钢,120,万重量箱",
            "2024-03,quick,140105,钢材,120,万吨",
            "2024-03,annual,140106,焦炭,30,万吨",
        ],
    )
    report = zone.load("stats/industrial_output")
    assert report.rows_loaded == 1
    assert zone.quarantined("stats/industrial_output") == [
        (3, "unit", "unit_not_allowed"),
        (4, "product_name", "unknown_product"),
        (5, "report_type", "report_type_outside_file"),
    ]


def test_only_the_stock_item_may_be_negative(zone: LandingZone):
    zone.deliver(
        "stats/energy_supply",
        "2023_annual.csv",
        "period,report_type,division_code,energy_name,item,quantity,unit",
        [
            "2023,annual,140000,原煤,库存增(-)减(+)量,-350,万吨",
            "2023,annual,140000,原煤,调出到外省(市)量,-5,万吨",
            "2023,annual,140105,原煤,一次能源生产量,5,万吨",  # a county: not in this feed
        ],
    )
    report = zone.load("stats/energy_supply")
    assert report.rows_loaded == 1
    assert zone.quarantined("stats/energy_supply") == [
        (3, "quantity", "negative"),
        (4, "division_code", "unknown_division"),
    ]


def test_coal_consumption_only_for_coal_plants(zone: LandingZone):
    header = (
        "date,plant_id,plant_name,division_code,fuel_type,capacity_mw,generation_mwh,"
        "coal_consumption_tce,exported_mwh"
    )
    zone.deliver(
        "power/generation_daily",
        "2025-06-01.csv",
        header,
        [
            "2025-06-01,P1,太原一电厂,140105,煤电,1200,24000,7200,8000",
            "2025-06-01,P2,太原二电厂,140105,煤电,600,12000,,0",  # coal plant without coal
            "2025-06-01,P3,右玉风电场,140106,风电,200,900,10,0",  # wind with coal
            "2025-06-01,P4,光伏电站,140106,光伏,0,100,,0",  # capacity must be > 0
        ],
    )
    report = zone.load("power/generation_daily")
    assert report.rows_loaded == 1
    assert zone.quarantined("power/generation_daily") == [
        (3, "coal_consumption_tce", "coal_consumption_only_for_coal"),
        (4, "coal_consumption_tce", "coal_consumption_only_for_coal"),
        (5, "capacity_mw", "below_minimum"),
    ]


def test_meter_readings_in_parquet_load_typed(zone: LandingZone):
    import datetime as dt

    import polars as pl

    zone.deliver(
        "power/accounts",
        "accounts_2025-01-01.csv",
        "account_id,division_code,industry_code,customer_type,entity_id,opened_on,closed_on",
        ["A1,140105,44,大工业,,2010-01-01,"],
    )
    zone.load("power/accounts")
    path = zone.landing / "power/meter_daily/2025-06-02.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "date": [dt.date(2025, 6, 2), dt.date(2025, 6, 2)],
            "electricity_kwh": [1234.5, 10.0],
        }
    ).write_parquet(path)
    report = zone.load("power/meter_daily")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    row = zone.con.execute(
        "select account_id, date, electricity_kwh from raw.power__meter_daily"
    ).fetchone()
    assert row == ("A1", dt.date(2025, 6, 2), 1234.5)
    raw_row = zone.con.execute("select raw_row->>'date' from audit.quarantined_rows").fetchone()
    assert raw_row == ("2025-06-02",)


TARGETS_HEADER = (
    "plan_period,division_code,indicator,base_year,target_year,value,binding,document,decided_on"
)


def test_policy_targets_rows_follow_the_contract(zone: LandingZone):
    document = "晋政发〔2022〕12号"
    zone.deliver(
        "policy/targets",
        "targets_2022-03-01.csv",
        TARGETS_HEADER,
        [
            f"14th,140000,co2_intensity_reduction_pct,2020,2025,18,约束性,{document},2022-03-01",
            f"14th,140100,energy_intensity_reduction_pct,2020,2025,14.5,约束性,{document},2022-03-01",
            f"13th,140000,co2_intensity_reduction_pct,2015,2020,18,约束性,{document},2022-03-01",
            f"14th,140000,gdp_growth_pct,2020,2025,6,预期性,{document},2022-03-01",
            f"14th,140105,non_fossil_share_pct,2025,2025,15,约束性,{document},2022-03-01",
            f"14th,149999,coal_share_max_pct,2020,2025,x,约束性,{document},2022-03-01",
            f"15th,140000,co2_total_cap_tco2,2025,2030,5.2e8,指导性,{document},2025/12/31",
            "15th,140000,energy_intensity_reduction_pct,2025,2030,13,约束性,,2025-12-31",
            f"14th,140000,co2_intensity_reduction_pct,2020,2025,17,约束性,{document},2022-03-01",
        ],
    )
    report = zone.load("policy/targets")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 8)
    assert zone.quarantined("policy/targets") == [
        (2, "plan_period,division_code,indicator", "duplicate_key"),
        (4, "plan_period", "unknown_plan_period"),
        (5, "indicator", "unknown_indicator"),
        (6, "target_year", "target_year_not_after_base_year"),
        (7, "value", "not_a_number"),
        (7, "division_code", "unknown_division"),
        (8, "value", "not_a_number"),
        (8, "decided_on", "not_an_iso_date"),
        (8, "binding", "unknown_binding"),
        (9, "document", "required"),
        (10, "plan_period,division_code,indicator", "duplicate_key"),
    ]
    columns = zone.con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'policy__targets' order by ordinal_position"
    ).fetchall()
    assert columns == [
        *[(column, "VARCHAR") for column in TARGETS_HEADER.split(",")],
        ("_sha256", "VARCHAR"),
        ("_file_period", "VARCHAR"),
        ("_line_number", "BIGINT"),
        ("_is_superseded", "BOOLEAN"),
    ]
    assert zone.con.execute(
        "select indicator, value, _file_period from raw.policy__targets"
    ).fetchall() == [("energy_intensity_reduction_pct", "14.5", "2022-03-01")]


def test_policy_targets_files_are_named_by_the_decisions_date(zone: LandingZone):
    zone.deliver("policy/targets", "targets_2022.csv", TARGETS_HEADER, [])
    report = zone.load("policy/targets")
    assert report.outcomes[0].reason.startswith(
        "file_name: the name 'targets_2022.csv' does not follow targets_<YYYY-MM-DD>.<csv|xlsx>"
    )


ZONES_HEADER = "division_code,functional_zone,is_resource_based"
COUNTIES = frozenset(f"1401{n:02d}" for n in range(5, 10))


@pytest.fixture
def counties_zone(tmp_path: Path):
    """A landing zone knowing the counties 140105–140109 (one row per county in each test)."""
    zone = LandingZone(
        tmp_path,
        replace(
            REFERENCE, county_codes=COUNTIES, division_codes=REFERENCE.division_codes | COUNTIES
        ),
    )
    yield zone
    zone.close()


def test_functional_zones_rows_follow_the_contract(counties_zone: LandingZone):
    zone = counties_zone
    zone.deliver(
        "policy/functional_zones",
        "zones_2021-01-01.csv",
        ZONES_HEADER,
        [
            "140105,城市化地区,true",
            "140106,农产品主产区,false",
            "140000,城市化地区,false",
            "140107,生态保护区,false",
            "140108,重点生态功能区,是",
            "140109,重点生态功能区,",
            "140105,农产品主产区,false",
        ],
    )
    report = zone.load("policy/functional_zones")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 6)
    assert zone.quarantined("policy/functional_zones") == [
        (2, "division_code", "duplicate_key"),
        (4, "division_code", "unknown_division"),
        (5, "functional_zone", "unknown_functional_zone"),
        (6, "is_resource_based", "not_a_boolean"),
        (7, "is_resource_based", "required"),
        (8, "division_code", "duplicate_key"),
    ]
    assert zone.con.execute(
        "select division_code, functional_zone, is_resource_based, _file_period "
        "from raw.policy__functional_zones"
    ).fetchall() == [("140106", "农产品主产区", "false", "2021-01-01")]


SINKS_HEADER = (
    "year,division_code,forest_area_ha,forest_stock_m3,grassland_area_ha,sink_tco2,method"
)


def test_carbon_sinks_rows_follow_the_contract(counties_zone: LandingZone):
    zone = counties_zone
    zone.deliver(
        "forestry/carbon_sinks",
        "2023.csv",
        SINKS_HEADER,
        [
            "2023,140105,7141.6,285664,1469.8,14294,蓄积量变化法",
            "2022,140106,100,4000,10,200,蓄积量变化法",
            "2023,140107,100,4000,10,-5,蓄积量变化法",
            "2023,140100,100,4000,10,200,蓄积量变化法",
            "2023,140108,1e3,4000,10,200,",
        ],
    )
    report = zone.load("forestry/carbon_sinks")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 4)
    assert zone.quarantined("forestry/carbon_sinks") == [
        (3, "year", "period_outside_file"),
        (4, "sink_tco2", "negative"),
        (5, "division_code", "unknown_division"),
        (6, "forest_area_ha", "not_a_number"),
        (6, "method", "required"),
    ]
    zone.deliver("forestry/carbon_sinks", "2023_annual.csv", SINKS_HEADER, [])
    rejected = zone.load("forestry/carbon_sinks")
    assert rejected.outcomes[0].reason.startswith("file_name: the name '2023_annual.csv'")
