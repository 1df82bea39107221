"""A small synthetic published release with the contract's columns, to test the real pages.

Every table of the data contract's "Published extracts" (only the columns the contract says
must exist), the two reporting tables and the targets (the seed ref_plan_targets, with the
columns the mart publishes) are computed in DuckDB from the real division list
(dbt_project/seeds/ref_divisions.csv) with simple formulas, then written the way
publish.release writes a release: `.releases/<table>/<id>/year=YYYY/*.parquet`, a
_manifest.json with gate results, and a relative symlink `published/<table>` to it.

The numbers are made up but consistent (cities are the sums of their counties, the province
the sum of its cities), so tests can compute what a page must show from the same tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[3]
DIVISIONS_CSV = REPO_ROOT / "dbt_project" / "seeds" / "ref_divisions.csv"
SECTORS_CSV = REPO_ROOT / "dbt_project" / "seeds" / "ref_sectors.csv"
SEEDS_DIR = REPO_ROOT / "dbt_project" / "seeds"
FIRST_YEAR, LAST_YEAR = 2019, 2025  # 2025 is a quick (preliminary) year
FAST_SECTOR = "chemicals"  # grows 12 % a year; every other sector less than 5 %
RELEASE_ID = "20260101T000000000000Z"
# Division rows suppressed by disclosure control (their amounts null, is_suppressed true).
HIDDEN_COUNTIES = ("140105", "140106")  # 太原: a plant's county and its neighbour, every year
HIDDEN_CITY, HIDDEN_CITY_YEAR = "140300", 2022  # 阳泉 in 2022, with two of its counties
NOWCAST_FROM, NOWCAST_TO = "2024-07-01", "2025-12-31"  # the daily nowcast's days
FAST_NOWCAST_CITY = "140700"  # 晋中: its nowcast rises most against a year before
HIDDEN_TOTAL_CITY, HIDDEN_TOTAL_DAY = "141100", "2025-12-10"  # 吕梁's total hidden one day
OVER_BUDGET_CITY = "140700"  # 晋中: its forecast is 8 % above its budget of 2025

CONTRACT_COLUMNS = {
    "emissions_by_sector": [
        "year", "report_type", "sector_code", "sector_name_zh", "energy_tco2", "process_tco2",
        "total_tco2", "electricity_indirect_tco2", "heat_indirect_tco2",
    ],
    "emissions_by_city": [
        "year", "report_type", "division_code", "division_name_zh", "energy_tco2",
        "process_tco2", "total_tco2", "electricity_indirect_tco2", "gdp_100m_yuan_constant",
        "intensity_tco2_per_10k_yuan", "population_10k", "is_suppressed",
    ],
    "emissions_by_division_sector": [
        "year", "report_type", "division_code", "division_level", "sector_code", "total_tco2",
        "is_suppressed",
    ],
    "energy_by_division": [
        "year", "report_type", "division_code", "division_level", "energy_tce",
        "non_fossil_share_pct", "is_suppressed",
    ],
}  # fmt: skip
CONTRACT_COLUMNS["emissions_by_county"] = CONTRACT_COLUMNS["emissions_by_city"]  # same columns

SQL = f"""
create table divisions as
    select * from read_csv('{DIVISIONS_CSV.as_posix()}', all_varchar = true);
create table sectors as
    select * from read_csv('{SECTORS_CSV.as_posix()}', all_varchar = true);
create table years as
    select range::integer as year,
        case when range = {LAST_YEAR} then 'quick' else 'annual' end as report_type
    from range({FIRST_YEAR}, {LAST_YEAR} + 1);

-- County × sector × year: a size per county, a share per sector, a growth per sector.
create table county_sector as
select
    y.year, y.report_type, d.division_code, d.division_name_zh, d.parent_code as city_code,
    s.sector_code, s.sector_name_zh,
    (30000 + (cast(d.division_code as integer) * 7919) % 260000)
        * (1 + cast(s.sort_order as integer) % 4)
        * power(case when s.sector_code = '{FAST_SECTOR}' then 1.12
                     else 1.0 + (cast(s.sort_order as integer) % 5) / 100.0 - 0.02 end,
                y.year - {FIRST_YEAR}) as total_tco2,
    case when s.sector_code in ('steel', 'building_materials', 'chemicals', 'nonferrous')
         then 0.15 else 0.0 end as process_share,
    (cast(d.division_code as integer) + cast(s.sort_order as integer)) % 23 = 0 as is_small
from divisions d cross join sectors s cross join years y
where d.division_level = 'county';

create table county as
select
    year, any_value(report_type) as report_type, division_code,
    any_value(division_name_zh) as division_name_zh, any_value(city_code) as city_code,
    sum(total_tco2 * (1 - process_share)) as energy_tco2,
    sum(total_tco2 * process_share) as process_tco2,
    sum(total_tco2) as total_tco2,
    sum(total_tco2) * 0.18 as electricity_indirect_tco2,
    (60 + (cast(division_code as integer) * 31) % 240) * power(1.06, year - {FIRST_YEAR})
        as gdp_100m_yuan_constant,
    10 + (cast(division_code as integer) * 13) % 60 as population_10k
from county_sector group by year, division_code;

-- Suppressed division rows (disclosure control): two counties of 太原 in every year (a plant
-- and the neighbour that gives way), and 阳泉 with two of its counties in {HIDDEN_CITY_YEAR}.
create table hidden as
select year, division_code from county
where division_code in ('{HIDDEN_COUNTIES[0]}', '{HIDDEN_COUNTIES[1]}')
    or (year = {HIDDEN_CITY_YEAR} and division_code in ('140302', '140303'))
union all
select {HIDDEN_CITY_YEAR}, '{HIDDEN_CITY}';

create table emissions_by_county as
select year, report_type, division_code, division_name_zh,
    case when h.year is null then energy_tco2 end as energy_tco2,
    case when h.year is null then process_tco2 end as process_tco2,
    case when h.year is null then total_tco2 end as total_tco2,
    case when h.year is null then electricity_indirect_tco2 end as electricity_indirect_tco2,
    gdp_100m_yuan_constant,
    case when h.year is null then total_tco2 / (gdp_100m_yuan_constant * 10000) end
        as intensity_tco2_per_10k_yuan,
    population_10k, h.year is not null as is_suppressed
from county left join hidden as h using (year, division_code);

create table emissions_by_city as
select t.*, h.year is not null as is_suppressed
from (
    select c.year, any_value(c.report_type) as report_type, c.city_code as division_code,
        any_value(d.division_name_zh) as division_name_zh,
        sum(c.energy_tco2) as energy_tco2, sum(c.process_tco2) as process_tco2,
        sum(c.total_tco2) as total_tco2,
        sum(c.electricity_indirect_tco2) as electricity_indirect_tco2,
        sum(c.gdp_100m_yuan_constant) as gdp_100m_yuan_constant,
        sum(c.total_tco2) / (sum(c.gdp_100m_yuan_constant) * 10000)
            as intensity_tco2_per_10k_yuan,
        sum(c.population_10k) as population_10k
    from county c join divisions d on d.division_code = c.city_code
    group by c.year, c.city_code
) as t left join hidden as h using (year, division_code);
update emissions_by_city set energy_tco2 = null, process_tco2 = null, total_tco2 = null,
    electricity_indirect_tco2 = null, intensity_tco2_per_10k_yuan = null where is_suppressed;

create table emissions_by_sector as
select year, any_value(report_type) as report_type, sector_code,
    any_value(sector_name_zh) as sector_name_zh,
    sum(total_tco2 * (1 - process_share)) as energy_tco2,
    sum(total_tco2 * process_share) as process_tco2,
    sum(total_tco2) as total_tco2,
    sum(total_tco2) * 0.2 as electricity_indirect_tco2,
    sum(total_tco2) * 0.03 as heat_indirect_tco2
from county_sector group by year, sector_code;

create table emissions_by_division_sector as
select year, report_type, division_code, 'county' as division_level, sector_code,
    case when not is_small then total_tco2 end as total_tco2, is_small as is_suppressed
from county_sector
union all
select year, any_value(report_type), city_code, 'city', sector_code, sum(total_tco2), false
from county_sector group by year, city_code, sector_code
union all
select year, any_value(report_type), '140000', 'province', sector_code, sum(total_tco2), false
from county_sector group by year, sector_code;

create table energy_by_division as
select e.*, h.year is not null as is_suppressed
from (
    select year, report_type, division_code, 'county' as division_level,
        total_tco2 / 2.4 as energy_tce, 8 + (year - {FIRST_YEAR}) * 1.5 as non_fossil_share_pct
    from county
    union all
    select year, any_value(report_type), city_code, 'city', sum(total_tco2) / 2.4,
        8 + (year - {FIRST_YEAR}) * 1.5
    from county group by year, city_code
    union all
    select year, any_value(report_type), '140000', 'province', sum(total_tco2) / 2.4,
        8 + (year - {FIRST_YEAR}) * 1.5
    from county group by year
) as e left join hidden as h using (year, division_code);
update energy_by_division set energy_tce = null, non_fossil_share_pct = null
where is_suppressed;

-- Carbon market: power from 2021, the three new sectors from 2024; 大同 has 2 power
-- entities (suppressed), and the smallest other power city is suppressed with it.
create table ets_cells as
select
    y.year, d.division_code, d.division_name_zh, e.ets_sector, e.sector_code,
    case when d.division_code = '140200' and e.ets_sector = 'power' then 2
         else 3 + (cast(d.division_code as integer) // 100 + length(e.ets_sector)) % 9 end
        as entity_count,
    1e6 * (1 + (cast(d.division_code as integer) // 100) % 7)
        * case e.ets_sector when 'power' then 5 else 1 end as verified_emissions_tco2
from divisions d
cross join (values ('power', 'power', 2021), ('steel', 'steel', 2024),
                   ('cement', 'building_materials', 2024), ('aluminium', 'nonferrous', 2024))
    as e(ets_sector, sector_code, first_year)
cross join range(2021, {LAST_YEAR}) as r(year_value)
cross join lateral (select year_value::integer as year) y
where d.division_level = 'city' and y.year >= e.first_year
    and not (e.ets_sector = 'aluminium' and d.division_code not in ('140800', '141000', '141100'));

create table ets_compliance_by_city_sector as
with cells as (
    select *,
        entity_count - (case when cast(division_code as integer) % 3 = 0 then 1 else 0 end)
            as compliant,
        verified_emissions_tco2 * 0.98 as allocated,
        entity_count < 3 or (division_code = '140300' and ets_sector = 'power')
            as is_suppressed
    from ets_cells
),
province as (
    select year, '140000' as division_code, '山西省' as division_name_zh, ets_sector,
        any_value(sector_code) as sector_code, sum(entity_count) as entity_count,
        sum(verified_emissions_tco2) as verified_emissions_tco2, sum(compliant) as compliant,
        sum(allocated) as allocated, false as is_suppressed
    from cells group by year, ets_sector
)
select year, division_level, division_code, division_name_zh, ets_sector, sector_code,
    entity_count::bigint as entity_count,
    case when not is_suppressed then compliant::bigint end as compliant_entity_count,
    case when not is_suppressed then compliant * 100.0 / entity_count end as compliance_rate_pct,
    case when not is_suppressed then verified_emissions_tco2 end as verified_emissions_tco2,
    case when not is_suppressed then allocated end as allocated_allowances_tco2,
    case when not is_suppressed then verified_emissions_tco2 * 0.97 end
        as surrendered_allowances_tco2,
    case when not is_suppressed then verified_emissions_tco2 * 0.03 end as ccer_offset_tco2,
    case when not is_suppressed then verified_emissions_tco2 * 0.01 end as surplus_tco2,
    case when not is_suppressed then verified_emissions_tco2 * 0.03 end as shortfall_tco2,
    case when not is_suppressed then 0.0::double end as unsurrendered_tco2,
    is_suppressed
from (select 'city' as division_level, year, division_code, division_name_zh, ets_sector,
          sector_code, entity_count, verified_emissions_tco2, compliant, allocated,
          is_suppressed from cells
      union all
      select 'province', year, division_code, division_name_zh, ets_sector, sector_code,
          entity_count, verified_emissions_tco2, compliant, allocated, is_suppressed
      from province);

-- Targets: the seed's rows (decided targets and the platform's proposal) with the columns the
-- mart publishes, as if the policy/targets feed had delivered nothing.
create table dual_control_targets as
select
    t.target_year::integer as year, t.plan_period, t.division_code, t.indicator,
    t.base_year::integer as base_year, t.target_year::integer as target_year,
    t.value::double as value, t.decision_status as source,
    nullif(t.decided_on, '')::date as decided_on, nullif(t.binding, '') as binding,
    nullif(t.document, '') as document, t.source as basis, d.division_name_zh,
    d.division_level, i.indicator_zh, i.unit, i.direction, p.plan_name_zh,
    p.first_year::integer as plan_first_year, p.last_year::integer as plan_last_year,
    1 as vintage_count
from read_csv('{(SEEDS_DIR / "ref_plan_targets.csv").as_posix()}', all_varchar = true) t
join read_csv('{(SEEDS_DIR / "ref_plan_periods.csv").as_posix()}', all_varchar = true) p
    using (plan_period)
join read_csv('{(SEEDS_DIR / "ref_target_indicators.csv").as_posix()}', all_varchar = true) i
    using (indicator)
join divisions d using (division_code);

-- The daily nowcast of the province and the cities (no counties: the fixture stays small),
-- {NOWCAST_FROM} to {NOWCAST_TO}: each city × sector a size, a weekly wave, 4 % more a year
-- (the fast sector 12 %, five times as large in {FAST_NOWCAST_CITY}, which so rises most);
-- 阳泉 × coking suppressed every day (the province stays visible); each city's and the
-- province's total of the day (sector 'total'), 吕梁's suppressed on 2025-12-10.
create table nowcast_cities as
select
    day::date as date, year(day)::integer as year, d.division_code, s.sector_code,
    (200 + (cast(d.division_code as integer) / 100 * 37) % 900)
        * (1 + cast(s.sort_order as integer) % 3)
        * (1 + 0.05 * sin(dayofyear(day) / 7.0))
        * case when s.sector_code = '{FAST_SECTOR}' and d.division_code = '{FAST_NOWCAST_CITY}'
            then 5 else 1 end
        * power(case when s.sector_code = '{FAST_SECTOR}' then 1.12 else 1.04 end,
                year(day) - 2024) as tco2
from range(date '{NOWCAST_FROM}', date '{NOWCAST_TO}' + interval 1 day, interval 1 day) as t(day)
cross join divisions d cross join sectors s
where d.division_level = 'city';

create table emissions_nowcast_daily as
with sectors as (
    select date, year, division_code, 'city' as division_level, sector_code, tco2
    from nowcast_cities
    union all
    select date, year, '140000', 'province', sector_code, sum(tco2) from nowcast_cities
    group by date, year, sector_code
),
cells as (
    select * from sectors
    union all
    select date, year, division_code, division_level, 'total', sum(tco2) from sectors
    group by date, year, division_code, division_level
)
select date, year, division_code, division_level, sector_code,
    case when not hidden then tco2 * 1.6 end as electricity_mwh,
    case when not hidden then tco2 end as nowcast_tco2,
    case when not hidden then tco2 * 0.97 end as nowcast_low_tco2,
    case when not hidden then tco2 * 1.03 end as nowcast_high_tco2,
    case sector_code when 'power' then 'plant_fuel' when 'total' then 'sum_of_sectors'
        else 'electricity_ratio_trend' end as method,
    '2026.2' as model_version, hidden as is_suppressed
from (
    select *, (division_code = '{HIDDEN_CITY}' and sector_code = 'coking')
        or (division_code = '{HIDDEN_TOTAL_CITY}' and sector_code = 'total'
            and date = date '{HIDDEN_TOTAL_DAY}') as hidden
    from cells
);

create table emissions_nowcast_backtest as
select year::integer as year, level as division_level, sector_code, model,
    case level when 'province' then 1 when 'city' then 11 else 117 end as n_divisions,
    case when model = 'chosen' then 0.2 * k else 1.5 * k end as mape_pct,
    case when model = 'chosen' then -0.1 else 1.2 end as bias_pct,
    case when level = 'province' then 0.0 else 78.0 end as coverage_pct
from (values (2023), (2024)) as y(year)
cross join (values ('province', 1), ('city', 2), ('county', 4)) as l(level, k)
cross join (values ('total'), ('steel')) as s(sector_code)
cross join (values ('chosen'), ('naive')) as m(model);

-- Carbon budgets of the 14th plan (2021–2025), the current version and one earlier: each
-- division's 2020 total × 0.99 a year; 2025 (the quick year) used to October, its forecast
-- the year's total, ±2 %; 晋中's forecast 8 % above its budget (over budget).
create table budget_divisions as
select division_code, division_level, division_name_zh, total_tco2 as base_tco2
from (
    select division_code, 'city' as division_level, division_name_zh, total_tco2
    from emissions_by_city where year = 2020
    union all
    select '140000', 'province', '山西省', sum(total_tco2)
    from emissions_by_sector where year = 2020
);
create table carbon_budgets as
select
    y.year::integer as year, d.division_code, d.division_name_zh, d.division_level,
    '14th' as plan_period, v.version as budget_version, v.is_current,
    d.base_tco2 * power(0.99, y.year - 2020) * v.scale as budget_tco2,
    sum(d.base_tco2 * power(0.99, y.year - 2020) * v.scale)
        over (partition by d.division_code, v.version) as plan_budget_tco2,
    case when y.year = 2025 then 'monthly_quicks' end as used_basis,
    case when y.year = 2025 then d.base_tco2 * power(0.99, 5) * f.ratio * 10 / 12 end
        as used_to_date_tco2,
    case when y.year = 2025 then date '2025-10-31' end as as_of_date,
    case when y.year = 2025 then d.base_tco2 * power(0.99, 5) * f.ratio end
        as forecast_year_end_tco2,
    case when y.year = 2025 then d.base_tco2 * power(0.99, 5) * f.ratio * 0.98 end
        as forecast_low_tco2,
    case when y.year = 2025 then d.base_tco2 * power(0.99, 5) * f.ratio * 1.02 end
        as forecast_high_tco2,
    case when y.year <> 2025 then 'no_forecast'
        when f.ratio * 0.98 > v.scale then 'over_budget'
        when f.ratio > v.scale then 'at_risk' else 'within_budget' end as budget_status,
    false as is_suppressed
from budget_divisions as d
cross join (values (2021), (2022), (2023), (2024), (2025)) as y(year)
cross join (values ('decided + GDP 2025-01-17', true, 1.0),
                   ('decided + GDP 2024-01-23', false, 1.01)) as v(version, is_current, scale)
cross join lateral (select case when d.division_code = '{OVER_BUDGET_CITY}' then 1.08
                                else 0.97 end as ratio) as f;

-- Early warnings of October 2025: every city and the province × every sector and all; the fast
-- sector grows 12 % (红), the others 1 % (绿), the totals 4 % (黄); September was all 绿.
create table emission_warnings as
select
    p.period, 2025 as year, p.month, d.division_code, d.division_name_zh, d.division_level,
    s.sector_code, 'ytd_growth_pct' as indicator, g.growth as value,
    case when g.growth > 10 then '红' when g.growth > 6 then '橙' when g.growth > 3 then '黄'
        else '绿' end as level,
    case when g.growth > 10 then 10.0 when g.growth > 6 then 6.0 else 3.0 end as threshold,
    d.division_name_zh || s.words || '2025年1–' || p.month::varchar || '月排放同比增长'
        || g.growth::varchar || '%' as reason_zh,
    null::varchar as drivers_zh, p.month = 10 as is_latest, false as is_suppressed
from budget_divisions as d
cross join (select sector_code, sector_name_zh || '行业' as words from sectors
            union all select 'all', '') as s
cross join (values ('2025-09', 9), ('2025-10', 10)) as p(period, month)
cross join lateral (select case when p.month = 9 then 1.0
                                when s.sector_code = '{FAST_SECTOR}' then 12.0
                                when s.sector_code = 'all' then 4.0 else 1.0 end as growth) as g;

-- The forecast's backtest: 2023 and 2024, every month, the chosen model far better.
create table carbon_budget_forecast_backtest as
select y.year::integer as year, m.month::integer as month, l.level as division_level, o.model,
    case when o.model = 'chosen' then 0.5 * l.k else 2.0 * l.k end as mape_pct,
    case when o.model = 'chosen' then 80.0 else 60.0 end as coverage_pct
from (values (2023), (2024)) as y(year)
cross join range(1, 13) as m(month)
cross join (values ('province', 1), ('city', 2), ('county', 3)) as l(level, k)
cross join (values ('chosen'), ('naive')) as o(model);

create table quality_ingest_summary as
select * from (values
    (2024, 'stats/gdp', 'file', 'loaded', null, null, 1::bigint, 129::bigint, 2::bigint),
    (2024, 'stats/gdp', 'row', 'quarantined', 'not_positive', 'gdp_100m_yuan', 1, null, 2),
    (2024, 'stats/energy_consumption', 'file', 'loaded', null, null, 13, 163449, 0),
    (2024, 'stats/energy_consumption', 'file', 'superseded', null, null, 1, 12000, 0),
    (2025, 'ets/compliance', 'file', 'rejected', 'columns', null, 1, 0, 0),
    (2025, 'power/meter_daily', 'row', 'quarantined', 'unknown_or_closed_account',
        'account_id', 3, null, 17)
) t(year, feed, check_stage, outcome, rule, column_name, file_count, rows_loaded,
    rows_quarantined);
alter table quality_ingest_summary add column last_received_at timestamp
    default timestamp '2026-03-01 08:00:00';
"""


def _gate_results(table: str, rows: int) -> list[dict]:
    """What quality.gate writes into a manifest: one suite, its outcomes."""
    return [
        {
            "suite": table,
            "model": f"marts.{table}",
            "success": True,
            "row_count": rows,
            "outcomes": [
                {"expectation": "expect_table_row_count_to_be_between", "column": None,
                 "success": True, "observed": rows, "unexpected_count": None, "sample": []},
                {"expectation": "expect_column_values_to_not_be_null", "column": "year",
                 "success": True, "observed": None, "unexpected_count": 0, "sample": []},
            ],
        }
    ]  # fmt: skip


def write_synthetic_release(published: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """Write the release below `published` (tables in `skip` are left out) and return it."""
    connection = duckdb.connect(":memory:")
    connection.execute(SQL)
    tables = {name: columns for name, columns in CONTRACT_COLUMNS.items()}
    for name in (
        "ets_compliance_by_city_sector",
        "quality_ingest_summary",
        "dual_control_targets",
        "emissions_nowcast_daily",
        "emissions_nowcast_backtest",
        "carbon_budgets",
        "emission_warnings",
        "carbon_budget_forecast_backtest",
    ):
        tables[name] = [row[0] for row in connection.execute(f"describe {name}").fetchall()]
    for name, columns in tables.items():
        if name in skip:
            continue
        release = published / ".releases" / name / RELEASE_ID
        release.mkdir(parents=True)
        select = ", ".join(f'"{column}"' for column in columns)
        connection.execute(
            f"copy (select {select} from {name} order by all) to '{release.as_posix()}' "
            "(format parquet, compression zstd, partition_by (year), "
            "filename_pattern 'part_{i}', overwrite_or_ignore)"
        )
        rows = connection.execute(f"select count(*) from {name}").fetchall()[0][0]
        manifest = {
            "table": name,
            "release_id": RELEASE_ID,
            "created_at": "2026-01-01T00:00:00+00:00",
            "git_revision": None,
            "source_model": f"marts.{name}",
            "row_count": rows,
            "files": [
                {"path": path.relative_to(release).as_posix()}
                for path in sorted(release.rglob("*.parquet"))
            ],
            "gate_results": _gate_results(name, rows),
            "description": {"zh": name, "en": name},
        }
        (release / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        (published / name).symlink_to(release.relative_to(published))
    connection.close()
    return published
