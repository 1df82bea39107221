-- CO2 per canonical unit of each fuel in the chosen factor set (var factor_set):
--   tCO2 per unit = NCV (GJ/unit) × carbon content (tC/TJ) / 1000 × oxidation rate × 44/12,
-- 44/12 being the mass ratio of CO2 to C; /1000 turns tC/TJ into tC/GJ. Rounded to 10^-12 t
-- per unit (so a factor is the same number however the product was ordered: 20 × 30 / 1000 ×
-- 0.9 × 44/12 is 1.98, not 1.9800000000000002); the error is below 10^-3 t on 10^9 t of fuel.
with factors as (

    select * from {{ ref('ref_energy_factors') }}
    where factor_set = '{{ var("factor_set") }}'

)

select
    factor_set,
    energy_name,
    canonical_unit,
    ncv_gj_per_unit,
    carbon_content_tc_per_tj,
    oxidation_rate,
    round(ncv_gj_per_unit * carbon_content_tc_per_tj / 1000.0 * oxidation_rate * 44.0 / 12.0, 12)
        as tco2_per_unit,
    source_ncv,
    source_carbon
from factors
