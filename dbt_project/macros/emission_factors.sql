{#
  Combustion CO2 per canonical unit of a fuel:
    NCV (GJ/unit) × carbon content (tC/TJ) / 1000 × oxidation rate × 44/12,
  44/12 being the mass ratio of CO2 to C and /1000 turning tC/TJ into tC/GJ. Rounded to 15
  significant digits, so a factor is the same number however the product was ordered
  (20 × 30 / 1000 × 0.9 × 44/12 is 1.98, not 1.9800000000000002); the relative error is below
  10^-14. Used by int_factors__energy_co2_per_unit (the chosen set) and
  out_emissions__by_factor_set (every set).
#}
{% macro tco2_per_unit(ncv, carbon_content, oxidation_rate) -%}
    {{ round_to_digits(
        ncv ~ ' * ' ~ carbon_content ~ ' / 1000.0 * ' ~ oxidation_rate ~ ' * 44.0 / 12.0',
        '14 - cast(floor(log10(' ~ ncv ~ ' * ' ~ carbon_content ~ ' / 1000.0 * '
            ~ oxidation_rate ~ ' * 44.0 / 12.0)) as integer)'
    ) }}
{%- endmacro %}
