-- The platform's proposal for allocating a province's CO2-intensity target to the cities that
-- have no decided target of that plan (docs/methodology.md, Allocation). Decided allocations
-- always take precedence: they are fixed, and the undecided cities share what remains. One row
-- per plan period × city of a plan with a proposal: the decided cities (allocation_status
-- `decided`, their decided value) beside the proposed ones, so that the whole allocation can be
-- checked against the province's target (tests/assert_allocation_reaches_the_province_target).
--
-- For each plan period whose province has a current target R (int_dual_control__target_vintages)
-- and at least one city without one:
--   1. the data year y0: the latest year up to the plan's base year with annual finals of
--      every city; each city's emissions E and GDP G there (G at y0's prices);
--   2. its weight w = (E / G) × G_t = E × (1 + g)^(t − y0), its emissions in the target year t
--      at the y0 intensity, with G_t = G × (1 + g)^(t − y0), g the city's mean real growth over
--      the trend years; the cities' aggregate at the target year must reach (1 − R) × K,
--      K = (ΣE / ΣG) × ΣG_t;
--   3. the reduction the undecided cities share, R_u = (Σw − (1 − R)K − Σ_decided w·r) / Σ_u w:
--      if every city reaches its own, the cities' aggregate intensity falls by R;
--   4. a score per city: the factors of ref_allocation_factors, each standardised over the
--      undecided cities (z-score; 0 where it cannot be computed), times direction × weight;
--   5. r = R_u + D × (s − s̄) / max|s − s̄|, s̄ the w-weighted mean score (so Σ_u w·r = R_u Σ_u w),
--      D = max_deviation_pct_points; rounded up to rounding_step_pct_points (never below).
with vintages as (

    select * from {{ ref('int_dual_control__target_vintages') }}
    where is_current and indicator = 'co2_intensity_reduction_pct'

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

rules as (

    select
        max(case when rule_code = 'max_deviation_pct_points' then value end) as max_deviation,
        max(case when rule_code = 'rounding_step_pct_points' then value end) as rounding_step,
        max(case when rule_code = 'trend_years' then value end) as trend_years
    from {{ ref('ref_allocation_rules') }}

),

factors as (

    select * from {{ ref('ref_allocation_factors') }}

),

totals as (

    select * from {{ ref('int_emissions__division_totals') }}
    where report_type = 'annual' and division_level = 'city'

),

economy as (

    -- One row per year × division: the report of the highest precedence.
    select * from {{ ref('int_economy__gdp_constant_prices') }}

),

zones as (

    select * from {{ ref('stg_policy__functional_zones') }}

),

zone_codes as (

    -- 城市化地区: the zone flagged is_urbanised in ref_functional_zones.
    select functional_zone from {{ ref('ref_functional_zones') }} where is_urbanised

),

province_targets as (

    select
        vintages.plan_period,
        vintages.base_year,
        vintages.target_year,
        vintages.value as province_reduction_pct,
        vintages.binding
    from vintages
    inner join divisions
        on divisions.division_code = vintages.division_code
        and divisions.division_level = 'province'

),

cities as (

    select division_code, division_name_zh
    from divisions
    where division_level = 'city'

),

city_targets as (

    select vintages.plan_period, vintages.division_code, vintages.value
    from vintages
    inner join cities on cities.division_code = vintages.division_code

),

city_years as (

    -- Years in which every city has annual finals.
    select year
    from totals
    group by year
    having count(distinct division_code) = (select count(*) from cities)

),

decided_counts as (

    select plan_period, count(*) as decided_cities
    from city_targets
    group by plan_period

),

plans as (

    -- The plans with a provincial target and at least one city without a decided one.
    select
        province_targets.plan_period,
        province_targets.base_year,
        province_targets.target_year,
        province_targets.province_reduction_pct,
        province_targets.binding,
        max(city_years.year) as data_year
    from province_targets
    inner join city_years on city_years.year <= province_targets.base_year
    left join decided_counts on decided_counts.plan_period = province_targets.plan_period
    where coalesce(decided_counts.decided_cities, 0) < (select count(*) from cities)
    group by
        province_targets.plan_period,
        province_targets.base_year,
        province_targets.target_year,
        province_targets.province_reduction_pct,
        province_targets.binding

),

growth as (

    -- Each city's real GDP growth over the trend years up to the data year, as a log index.
    select
        plans.plan_period,
        totals.division_code,
        sum(ln(1 + totals.real_growth_pct / 100)) as log_growth,
        count(totals.real_growth_pct) as growth_years
    from plans
    cross join rules
    inner join totals
        on totals.year > plans.data_year - rules.trend_years
        and totals.year <= plans.data_year
    group by plans.plan_period, totals.division_code

),

urbanised as (

    select
        divisions.parent_code as division_code,
        avg(case
            when zones.division_code is null then null
            -- typed: a bare 1.0 is a decimal literal on Spark
            when zone_codes.functional_zone is not null then cast(1 as double)
            else cast(0 as double)
        end) as urbanised_share,
        count(zones.division_code) as counties_with_zone
    from divisions
    left join zones on zones.division_code = divisions.division_code
    left join zone_codes on zone_codes.functional_zone = zones.functional_zone
    where divisions.division_level = 'county'
    group by divisions.parent_code

),

inputs as (

    select
        plans.plan_period,
        plans.base_year,
        plans.target_year,
        plans.province_reduction_pct,
        plans.binding,
        plans.data_year,
        cities.division_code,
        current_year.total_tco2,
        current_year.gdp_100m_yuan,
        current_year.gdp_100m_yuan / current_year.population_10k as gdp_per_capita,
        economy.secondary_industry_100m_yuan / economy.gdp_100m_yuan as secondary_share,
        case when urbanised.counties_with_zone > 0 then urbanised.urbanised_share end
            as urbanised_share,
        -- the mean yearly real growth (geometric), where every trend year has a growth rate
        case when growth.growth_years = rules.trend_years then
            exp(growth.log_growth / growth.growth_years) - 1
        end as mean_real_growth,
        case when growth.growth_years = rules.trend_years then exp(growth.log_growth) end
            as real_growth_index,
        earlier.total_tco2 as earlier_tco2,
        rules.trend_years,
        city_targets.value as decided_reduction_pct
    from plans
    cross join cities
    cross join rules
    inner join totals as current_year
        on current_year.year = plans.data_year
        and current_year.division_code = cities.division_code
    left join economy
        on economy.year = plans.data_year
        and economy.division_code = cities.division_code
    left join totals as earlier
        on earlier.year = plans.data_year - rules.trend_years
        and earlier.division_code = cities.division_code
    left join urbanised on urbanised.division_code = cities.division_code
    left join growth
        on growth.plan_period = plans.plan_period
        and growth.division_code = cities.division_code
    left join city_targets
        on city_targets.plan_period = plans.plan_period
        and city_targets.division_code = cities.division_code

),

weighted as (

    -- GDP in the target year at the data year's prices; the weight is the emissions in the
    -- target year at the data year's intensity, E × (1 + g)^(T − y0) (independent of the price
    -- base); the trend is the yearly change of E / real GDP over the trend years.
    select
        *,
        gdp_100m_yuan * power(1 + coalesce(mean_real_growth, 0), target_year - data_year)
            as projected_gdp,
        total_tco2 * power(1 + coalesce(mean_real_growth, 0), target_year - data_year)
            as weight,
        (power(total_tco2 / earlier_tco2 / real_growth_index, 1.0 / trend_years) - 1) * 100
            as recent_trend
    from inputs

),

aggregates as (

    select
        *,
        sum(total_tco2) over (partition by plan_period)
            / sum(gdp_100m_yuan) over (partition by plan_period)
            * sum(projected_gdp) over (partition by plan_period) as aggregate_at_base_intensity
    from weighted

),

factor_values as (

    select aggregates.plan_period, aggregates.division_code, factors.factor, factors.weight
        as factor_weight, factors.direction,
        case factors.factor
            when 'gdp_per_capita' then aggregates.gdp_per_capita
            when 'urbanised_share' then aggregates.urbanised_share
            when 'secondary_share' then aggregates.secondary_share
            when 'recent_trend' then aggregates.recent_trend
        end as factor_value
    from aggregates
    cross join factors
    where aggregates.decided_reduction_pct is null

),

standardised as (

    select
        *,
        coalesce(
            (factor_value - avg(factor_value) over (partition by plan_period, factor))
            / nullif(stddev_pop(factor_value) over (partition by plan_period, factor), 0),
            0
        ) as z
    from factor_values

),

scores as (

    select plan_period, division_code, sum(factor_weight * direction * z) as score
    from standardised
    group by plan_period, division_code

),

shares as (

    select
        aggregates.*,
        scores.score,
        (
            sum(aggregates.weight) over (partition by aggregates.plan_period)
            - (1 - aggregates.province_reduction_pct / 100) * aggregates.aggregate_at_base_intensity
            - sum(coalesce(aggregates.decided_reduction_pct, 0) / 100 * aggregates.weight)
                over (partition by aggregates.plan_period)
        ) / sum(case when aggregates.decided_reduction_pct is null then aggregates.weight end)
            over (partition by aggregates.plan_period) * 100 as shared_reduction_pct,
        sum(scores.score * aggregates.weight) over (partition by aggregates.plan_period)
            / sum(case when scores.score is not null then aggregates.weight end)
                over (partition by aggregates.plan_period) as mean_score
    from aggregates
    left join scores
        on scores.plan_period = aggregates.plan_period
        and scores.division_code = aggregates.division_code

),

spread as (

    select
        *,
        max(abs(score - mean_score)) over (partition by plan_period) as largest_deviation
    from shares

),

proposed as (

    select
        *,
        case when decided_reduction_pct is null then
            shared_reduction_pct
            + coalesce(
                (select max_deviation from rules) * (score - mean_score)
                / nullif(largest_deviation, 0),
                0
            )
        end as exact_reduction_pct
    from spread

)

select
    plan_period,
    division_code,
    cast('co2_intensity_reduction_pct' as string) as indicator,
    base_year,
    target_year,
    coalesce(
        decided_reduction_pct,
        ceil(round(exact_reduction_pct / (select rounding_step from rules), 9))
        * (select rounding_step from rules)
    ) as value,
    case when decided_reduction_pct is null then 'proposed' else 'decided' end
        as allocation_status,
    binding,
    exact_reduction_pct,
    shared_reduction_pct,
    province_reduction_pct,
    score,
    mean_score,
    data_year,
    total_tco2,
    gdp_100m_yuan,
    total_tco2 / (gdp_100m_yuan * 10000) as intensity_tco2_per_10k_yuan,
    projected_gdp as projected_gdp_100m_yuan,
    mean_real_growth * 100 as mean_real_growth_pct,
    weight,
    aggregate_at_base_intensity,
    gdp_per_capita,
    urbanised_share,
    secondary_share,
    recent_trend as recent_trend_pct_per_year
from proposed
