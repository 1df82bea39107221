-- CO2 per canonical unit of each fuel in the chosen factor set (var factor_set):
--   tCO2 per unit = NCV (GJ/unit) × carbon content (tC/TJ) / 1000 × oxidation rate × 44/12
-- (macro tco2_per_unit: rounded to 15 significant digits).
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
    {{ tco2_per_unit('ncv_gj_per_unit', 'carbon_content_tc_per_tj', 'oxidation_rate') }}
        as tco2_per_unit,
    source_ncv,
    source_carbon
from factors
