-- The backtest of the nowcast, cell by cell: every held-out year (a year with an annual final
-- and daily data on every day, the model fitted on the years before it) × division (county,
-- city, province: counties summed up ref_divisions) × sector (and 'total', every sector) ×
-- model: the year's nowcast (its days summed), the final, and final / nowcast (the residual
-- ratio). low_ratio, high_ratio: the 10th and 90th percentiles of the residual ratios of the
-- same level × sector × model in the other held-out years (leave one year out), so the 80 %
-- interval nowcast × [low_ratio, high_ratio] of a year never uses that year's truth; null with
-- no other held-out year.
with held_out_years as (

    select year
    from {{ ref('int_emissions__nowcast_annual_cells') }}
    group by year
    having bool_and(is_full_year) and count(final_tco2) > 0

),

county_estimates as (

    -- The year's nowcast of each county × sector × model: its days' nowcasts summed
    -- (int_emissions__nowcast_county_daily), computed from the year's activities
    -- (macros/nowcast.sql), so the annual models never read the daily ones.
    select
        cells.year,
        cells.division_code,
        cells.sector_code,
        coefficients.model,
        {{ decimal_amount(nowcast_modelled_tco2(
            "cast(case when cells.sector_code = 'power' and coefficients.model = 'chosen'"
                ~ " then cells.plant_tco2 when cells.sector_code = 'power'"
                ~ " then cells.plant_generation_mwh else cells.electricity_mwh end as double)",
            "cast(case when cells.sector_code = 'power' then 0"
                ~ " else cells.heating_electricity_mwh end as double)",
            'coefficients', 'cells.year', 'coefficients.calibration_ratio')) }} as nowcast_tco2
    from {{ ref('int_emissions__nowcast_annual_cells') }} as cells
    inner join held_out_years on held_out_years.year = cells.year
    inner join {{ ref('int_emissions__nowcast_coefficients') }} as coefficients
        on coefficients.target_year = cells.year
        and coefficients.division_code = cells.division_code
        and coefficients.sector_code = cells.sector_code

),

county_cells as (

    select county_estimates.*, finals.total_tco2 as final_tco2
    from county_estimates
    inner join {{ ref('int_emissions__county_sector') }} as finals
        on finals.year = county_estimates.year
        and finals.division_code = county_estimates.division_code
        and finals.sector_code = county_estimates.sector_code
        and finals.report_type = 'annual'

),

divisions as (

    select division_code, division_level, parent_code from {{ ref('ref_divisions') }}

),

-- Each county with itself, its city and the province.
ancestors as (

    {{ county_ancestors('divisions') }}

),

by_sector as (

    select county_cells.year, ancestors.division_code, ancestors.division_level,
        county_cells.sector_code, county_cells.model,
        sum(county_cells.nowcast_tco2) as nowcast_tco2,
        sum(county_cells.final_tco2) as final_tco2
    from county_cells
    inner join ancestors on ancestors.county_code = county_cells.division_code
    group by county_cells.year, ancestors.division_code, ancestors.division_level,
        county_cells.sector_code, county_cells.model

),

cells as (

    select * from by_sector
    union all
    select year, division_code, division_level, 'total' as sector_code, model,
        sum(nowcast_tco2) as nowcast_tco2, sum(final_tco2) as final_tco2
    from by_sector
    group by year, division_code, division_level, model

),

residuals as (

    select cells.*,
        case when nowcast_tco2 > 0
            then cast(final_tco2 as double) / cast(nowcast_tco2 as double)
        end as residual_ratio
    from cells

),

intervals as (

    select held_out.year, held_out.division_level, held_out.sector_code, held_out.model,
        {{ round_to_digits(quantile_linear('other.residual_ratio', 0.1), 6) }} as low_ratio,
        {{ round_to_digits(quantile_linear('other.residual_ratio', 0.9), 6) }} as high_ratio
    from (select distinct year, division_level, sector_code, model from residuals) as held_out
    inner join residuals as other
        on other.division_level = held_out.division_level
        and other.sector_code = held_out.sector_code
        and other.model = held_out.model
        and other.year <> held_out.year
    group by held_out.year, held_out.division_level, held_out.sector_code, held_out.model

)

select
    residuals.year,
    residuals.division_code,
    residuals.division_level,
    residuals.sector_code,
    residuals.model,
    residuals.nowcast_tco2,
    residuals.final_tco2,
    residuals.residual_ratio,
    intervals.low_ratio,
    intervals.high_ratio
from residuals
left join intervals
    on intervals.year = residuals.year
    and intervals.division_level = residuals.division_level
    and intervals.sector_code = residuals.sector_code
    and intervals.model = residuals.model
