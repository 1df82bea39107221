-- Progress towards the carbon-intensity target of each five-year plan (published as
-- dual_control_progress): one row per year × division with a current target of
-- co2_intensity_reduction_pct (int_dual_control__target_vintages), for the plan's years with
-- emissions, and for the plan's base year where that year belongs to no other plan of the
-- division (the start of the path: 2020 for the 14th plan).
--   intensity_Y        = total_tco2_Y / (GDP_Y at the plan's base-year prices × 10^4)
--   base intensity I_B = the intensity of the base year B (its GDP at its own prices)
--   even-pace path     = I_B × (1 − r/100)^((Y − B) / (T − B))     (macro intensity_path_factor)
--   reduction to date  = (1 − intensity_Y / I_B) × 100
--   required to date   = (1 − (1 − r/100)^((Y − B) / (T − B))) × 100
--   status             = on_track where intensity_Y ≤ the path, else behind
-- r is the target's value (a reduction, 18 = −18 %), T its target year. Sinks are not netted.
-- Energy intensity is at the same prices; the non-fossil share is energy_by_division's.
-- The columns resting on the base year's emissions are withheld where that cell is hidden
-- (disclosure withheld_with in the YAML), the year's own where its own cell is.
with targets as (

    select * from {{ ref('int_dual_control__target_vintages') }}
    where is_current and indicator = 'co2_intensity_reduction_pct'

),

plans as (

    select * from {{ ref('ref_plan_periods') }}

),

totals as (

    select * from {{ ref('int_emissions__division_totals') }}

),

gdp as (

    select * from {{ ref('int_economy__gdp_constant_prices_by_plan') }}

),

energy as (

    select * from {{ ref('out_energy__by_division') }}

),

plan_targets as (

    select
        targets.plan_period,
        targets.division_code,
        targets.base_year,
        targets.target_year,
        targets.value as plan_reduction_pct,
        targets.source,
        plans.first_year as plan_first_year,
        plans.last_year as plan_last_year
    from targets
    inner join plans on plans.plan_period = targets.plan_period

),

-- A year of a plan's rows: in its period, or its base year where no other plan of the division
-- holds that year (the 14th plan's 2020; the 15th plan's base 2025 is the 14th plan's year).
plan_years as (

    select plan_targets.*, totals.year
    from plan_targets
    inner join totals
        on totals.division_code = plan_targets.division_code
        and totals.year between plan_targets.base_year and plan_targets.plan_last_year
    where totals.year >= plan_targets.plan_first_year
        or not exists (
            select 1 from plan_targets as other
            where other.division_code = plan_targets.division_code
                and totals.year between other.plan_first_year and other.plan_last_year
        )

),

bases as (

    select * from {{ ref('int_dual_control__plan_bases') }}

),

measured as (

    select
        plan_years.*,
        totals.report_type,
        totals.division_level,
        totals.division_name_zh,
        totals.total_tco2,
        gdp.gdp_100m_yuan_constant,
        totals.total_tco2 / (gdp.gdp_100m_yuan_constant * 10000) as intensity,
        energy.energy_tce / (gdp.gdp_100m_yuan_constant * 10000) as energy_intensity,
        energy.non_fossil_share_pct,
        bases.base_report_type,
        bases.base_intensity,
        {{ intensity_path_factor(
            'plan_years.plan_reduction_pct', 'plan_years.year', 'plan_years.base_year',
            'plan_years.target_year') }} as path_factor
    from plan_years
    inner join totals
        on totals.division_code = plan_years.division_code and totals.year = plan_years.year
    left join gdp
        on gdp.division_code = plan_years.division_code
        and gdp.year = plan_years.year
        and gdp.plan_period = plan_years.plan_period
    left join energy
        on energy.division_code = plan_years.division_code and energy.year = plan_years.year
    left join bases
        on bases.division_code = plan_years.division_code
        and bases.plan_period = plan_years.plan_period

),

judged as (

    select
        *,
        base_intensity * path_factor as target_path_intensity,
        case
            when intensity is null or base_intensity is null then 'no_data'
            when intensity <= base_intensity * path_factor then 'on_track'
            else 'behind'
        end as status
    from measured

)

select
    cast(year as integer) as year,
    cast(division_code as string) as division_code,
    cast(division_name_zh as string) as division_name_zh,
    cast(division_level as string) as division_level,
    cast(plan_period as string) as plan_period,
    cast(base_year as integer) as base_year,
    cast(target_year as integer) as target_year,
    cast(plan_reduction_pct as double) as plan_reduction_pct,
    cast(source as string) as target_source,
    cast(report_type as string) as report_type,
    cast(base_report_type as string) as base_report_type,
    cast(total_tco2 as double) as total_tco2,
    cast(gdp_100m_yuan_constant as double) as gdp_100m_yuan_constant,
    cast(intensity as double) as intensity_tco2_per_10k_yuan,
    cast(base_intensity as double) as base_intensity_tco2_per_10k_yuan,
    cast(target_path_intensity as double) as target_path_intensity,
    cast((1 - intensity / base_intensity) * 100 as double) as reduction_to_date_pct,
    cast((1 - path_factor) * 100 as double) as required_reduction_pct,
    cast(status as string) as status,
    cast(case status
        when 'on_track' then '达到进度要求'
        when 'behind' then '落后于进度要求'
        else '无数据'
    end as string) as status_zh,
    cast(energy_intensity as double) as energy_intensity_tce_per_10k_yuan,
    cast(non_fossil_share_pct as double) as non_fossil_share_pct
from judged
