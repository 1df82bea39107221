-- CO2 per canonical unit of each fuel in the chosen factor set (var factor_set):
--   tCO2 per unit = NCV (GJ/unit) × carbon content (tC/TJ) / 1000 × oxidation rate × 44/12,
-- 44/12 being the mass ratio of CO2 to C; /1000 turns tC/TJ into tC/GJ. Rounded to 15
-- significant digits, so a factor is the same number however the product was ordered (20 × 30
-- / 1000 × 0.9 × 44/12 is 1.98, not 1.9800000000000002); the relative error is below 10^-14.
with factors as (

    select * from {{ ref('ref_energy_factors') }}
    where factor_set = '{{ var("factor_set") }}'

),

computed as (

    select
        *,
        ncv_gj_per_unit * carbon_content_tc_per_tj / 1000.0 * oxidation_rate * 44.0 / 12.0
            as tco2_per_unit_exact
    from factors

)

select
    factor_set,
    energy_name,
    canonical_unit,
    ncv_gj_per_unit,
    carbon_content_tc_per_tj,
    oxidation_rate,
    round(
        tco2_per_unit_exact,
        14 - cast(floor(log10(tco2_per_unit_exact)) as integer)
    ) as tco2_per_unit,
    source_ncv,
    source_carbon
from computed
