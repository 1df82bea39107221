-- The daily nowcast (published as emissions_nowcast_daily): every day × division (province,
-- city, county) × key sector, the chosen model's CO2 (int_emissions__nowcast_county_daily),
-- counties summed exactly to their city and the province; and each city's and the province's
-- total of the day (sector_code 'total', method sum_of_sectors of ref_nowcast_methods: its
-- sectors summed exactly; counties publish none). The 80 % band: nowcast × the 10th
-- and 90th percentiles of final / nowcast of the backtest (int_emissions__nowcast_backtest_cells,
-- every held-out year) of the same level × sector, widened to hold the nowcast itself where
-- the backtest's residuals all lie on one side of it (a band is an interval around the
-- published estimate); null while no year has been backtested.
-- Disclosure inputs (not published): the units behind the cell and the largest one's share.
-- A daily model (macros/day_window.sql): a build computes the days of its window (every day
-- without one).
{{ daily_model_config('date', 'daily_nowcast') }}
with county_daily as (

    select * from {{ ref('int_emissions__nowcast_county_daily') }}
    where model = 'chosen' {{ day_window_filter('nowcast_date') }}

),

divisions as (

    select division_code, division_level, parent_code from {{ ref('ref_divisions') }}

),

ancestors as (

    {{ county_ancestors('divisions') }}

),

inputs as (

    select inputs.*, ancestors.division_code as ancestor_code, ancestors.division_level
    from {{ ref('int_emissions__nowcast_disclosure_inputs') }} as inputs
    inner join ancestors on ancestors.county_code = inputs.division_code
    where true {{ day_window_filter('inputs.nowcast_date') }}

),

sector_inputs as (

    -- The units of a city or province cell: its counties' summed; its largest unit's share:
    -- the largest of its counties' largest units over the cell's activity.
    select nowcast_date, ancestor_code as division_code, sector_code,
        sum(reporting_units) as reporting_units,
        max(max_unit_activity) / nullif(sum(activity), 0) as max_unit_share
    from inputs
    group by nowcast_date, ancestor_code, sector_code

),

unit_co2 as (

    -- A county cell's largest unit in tCO2: its share of the cell's activity × the cell's
    -- nowcast (sectors' activities have different units; their CO2 adds up).
    select inputs.nowcast_date, inputs.ancestor_code, inputs.division_level,
        inputs.reporting_units,
        inputs.max_unit_share * cast(county_daily.nowcast_tco2 as double) as max_unit_tco2,
        cast(county_daily.nowcast_tco2 as double) as nowcast_tco2
    from inputs
    inner join county_daily
        on county_daily.nowcast_date = inputs.nowcast_date
        and county_daily.division_code = inputs.division_code
        and county_daily.sector_code = inputs.sector_code

),

total_inputs as (

    -- The units of a city's or the province's total: every unit of its sectors; its largest
    -- unit's share of the total's CO2.
    select nowcast_date, ancestor_code as division_code, 'total' as sector_code,
        sum(reporting_units) as reporting_units,
        max(max_unit_tco2) / nullif(sum(nowcast_tco2), 0) as max_unit_share
    from unit_co2
    where division_level <> 'county'
    group by nowcast_date, ancestor_code

),

disclosure_inputs as (

    select * from sector_inputs
    union all
    select * from total_inputs

),

sector_cells as (

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

total_method as (

    select method, model_version from {{ ref('ref_nowcast_methods') }}
    where model = 'chosen' and is_power is null

),

cells_and_totals as (

    select * from sector_cells
    union all
    select sector_cells.nowcast_date, sector_cells.year, sector_cells.division_code,
        sector_cells.division_level, 'total' as sector_code, total_method.method,
        total_method.model_version,
        sum(sector_cells.electricity_mwh) as electricity_mwh,
        sum(sector_cells.nowcast_tco2) as nowcast_tco2
    from sector_cells
    cross join total_method
    where sector_cells.division_level <> 'county'
    group by sector_cells.nowcast_date, sector_cells.year, sector_cells.division_code,
        sector_cells.division_level, total_method.method, total_method.model_version

),

bands as (

    select division_level, sector_code,
        -- Rounded to 6 decimals: both engines' quantiles (equal but for the last bits of an
        -- interpolation) give the same band.
        least({{ round_to_digits(quantile_linear('residual_ratio', 0.1), 6) }}, 1.0) as low_ratio,
        greatest({{ round_to_digits(quantile_linear('residual_ratio', 0.9), 6) }}, 1.0) as high_ratio
    from {{ ref('int_emissions__nowcast_backtest_cells') }}
    where model = 'chosen'
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
from cells_and_totals as cells
left join bands
    on bands.division_level = cells.division_level
    and bands.sector_code = cells.sector_code
left join disclosure_inputs
    on disclosure_inputs.nowcast_date = cells.nowcast_date
    and disclosure_inputs.division_code = cells.division_code
    and disclosure_inputs.sector_code = cells.sector_code
