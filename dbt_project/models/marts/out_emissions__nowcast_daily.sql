-- The daily nowcast (published as emissions_nowcast_daily): every day × division (province,
-- city, county) × key sector, the chosen model's CO2 (int_emissions__nowcast_county_daily),
-- counties summed exactly to their city and the province. The 80 % band: nowcast × the 10th
-- and 90th percentiles of final / nowcast of the backtest (int_emissions__nowcast_backtest_cells,
-- every held-out year) of the same level × sector, widened to hold the nowcast itself where
-- the backtest's residuals all lie on one side of it (a band is an interval around the
-- published estimate); null while no year has been backtested.
-- Disclosure inputs (not published): the units behind the cell and the largest one's share.
with county_daily as (

    select * from {{ ref('int_emissions__nowcast_county_daily') }}
    where model = 'chosen'

),

divisions as (

    select division_code, division_level, parent_code from {{ ref('ref_divisions') }}

),

ancestors as (

    select county.division_code as county_code, county.division_code, 'county' as division_level
    from divisions as county
    where county.division_level = 'county'
    union all
    select county.division_code, city.division_code, 'city'
    from divisions as county
    inner join divisions as city on city.division_code = county.parent_code
    where county.division_level = 'county'
    union all
    select county.division_code, province.division_code, 'province'
    from divisions as county
    inner join divisions as city on city.division_code = county.parent_code
    inner join divisions as province on province.division_code = city.parent_code
    where county.division_level = 'county'

),

inputs as (

    select inputs.*, ancestors.division_code as ancestor_code, ancestors.division_level
    from {{ ref('int_emissions__nowcast_disclosure_inputs') }} as inputs
    inner join ancestors on ancestors.county_code = inputs.division_code

),

disclosure_inputs as (

    -- The units of a city or province cell: its counties' summed; its largest unit's share:
    -- the largest of its counties' largest units over the cell's activity.
    select nowcast_date, ancestor_code as division_code, sector_code,
        sum(reporting_units) as reporting_units,
        max(max_unit_activity) / nullif(sum(activity), 0) as max_unit_share
    from inputs
    group by nowcast_date, ancestor_code, sector_code

),

cells as (

    select
        county_daily.nowcast_date,
        county_daily.year,
        ancestors.division_code,
        ancestors.division_level,
        county_daily.sector_code,
        county_daily.method,
        county_daily.model_version,
        sum(county_daily.electricity_mwh) as electricity_mwh,
        sum(county_daily.nowcast_tco2) as nowcast_tco2
    from county_daily
    inner join ancestors on ancestors.county_code = county_daily.division_code
    group by county_daily.nowcast_date, county_daily.year, ancestors.division_code,
        ancestors.division_level, county_daily.sector_code, county_daily.method,
        county_daily.model_version

),

bands as (

    select division_level, sector_code,
        least({{ quantile_linear('residual_ratio', 0.1) }}, 1.0) as low_ratio,
        greatest({{ quantile_linear('residual_ratio', 0.9) }}, 1.0) as high_ratio
    from {{ ref('int_emissions__nowcast_backtest_cells') }}
    where model = 'chosen' and sector_code <> 'total'
    group by division_level, sector_code

)

select
    cells.nowcast_date as {{ adapter.quote('date') }},
    cast(cells.year as integer) as year,
    cast(cells.division_code as {{ dbt.type_string() }}) as division_code,
    cast(cells.division_level as {{ dbt.type_string() }}) as division_level,
    cast(cells.sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(cells.electricity_mwh as decimal(38, 6)) as electricity_mwh,
    cast(cells.nowcast_tco2 as decimal(38, 6)) as nowcast_tco2,
    {{ decimal_amount('cast(cells.nowcast_tco2 as double) * bands.low_ratio') }} as nowcast_low_tco2,
    {{ decimal_amount('cast(cells.nowcast_tco2 as double) * bands.high_ratio') }} as nowcast_high_tco2,
    cast(cells.method as {{ dbt.type_string() }}) as method,
    cast(cells.model_version as {{ dbt.type_string() }}) as model_version,
    cast(coalesce(disclosure_inputs.reporting_units, 0) as bigint) as reporting_units,
    cast(disclosure_inputs.max_unit_share as double) as max_unit_share
from cells
left join bands
    on bands.division_level = cells.division_level
    and bands.sector_code = cells.sector_code
left join disclosure_inputs
    on disclosure_inputs.nowcast_date = cells.nowcast_date
    and disclosure_inputs.division_code = cells.division_code
    and disclosure_inputs.sector_code = cells.sector_code
