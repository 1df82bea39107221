-- The allocation proposal reaches the province's target: if every city reaches its own target
-- (decided or proposed), the cities' aggregate CO2 intensity in the target year, at the
-- projected constant-price GDP, falls by at least the province's reduction. Offending plans.
select
    plan_period,
    sum(weight * (1 - value / 100)) as cities_at_their_targets,
    max((1 - province_reduction_pct / 100) * aggregate_at_base_intensity) as province_target
from {{ ref('int_dual_control__allocation_proposals') }}
group by plan_period
having sum(weight * (1 - value / 100))
    > max((1 - province_reduction_pct / 100) * aggregate_at_base_intensity) * (1 + 1e-9)
