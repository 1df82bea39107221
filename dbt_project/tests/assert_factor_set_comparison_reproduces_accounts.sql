-- The factor-set comparison recomputes the combustion CO2 from the consumption under every set;
-- under the chosen set (var factor_set) it must give the published numbers exactly. Returns the
-- cells that differ (none expected).
-- Shown in Dagster as an asset check of out_emissions__by_factor_set.
{{ config(meta={'dagster': {'ref': {'name': 'out_emissions__by_factor_set'}}}) }}
select compared.year, compared.division_code, compared.sector_code, compared.energy_tco2,
    accounts.energy_tco2 as accounts_energy_tco2
from {{ ref('out_emissions__by_factor_set') }} as compared
inner join {{ ref('int_emissions__division_sector') }} as accounts
    on accounts.year = compared.year
    and accounts.division_code = compared.division_code
    and accounts.sector_code = compared.sector_code
where compared.is_chosen_set
  and compared.energy_tco2 <> accounts.energy_tco2
