{#
  The electricity–carbon model's CO2 of a period (a year, the months of a quick report) from the
  period's activity and, of it, the activity of heating-season days, with the coefficients of
  the row aliased `c` (int_emissions__nowcast_coefficients) for the year `target_year`: the sum
  over the period's days of the daily nowcast (int_emissions__nowcast_county_daily)
    activity_d × base_ratio × exp(drift_per_year × (target_year − anchor_year))
      × exp(heating_weight × (is_heating_day_d − anchor_heating_share)) × calibration
  written as one product, the heating term split into the season's days and the others:
    base_ratio × exp(drift …) × calibration
      × (heating_activity × exp(heating_weight × (1 − anchor_heating_share))
         + (activity − heating_activity) × exp(−heating_weight × anchor_heating_share)).
  So an annual figure (the backtest's) is the days' nowcasts summed, but for their rounding to
  the gram, without reading the days. Doubles in, a double out.
#}
{% macro nowcast_modelled_tco2(activity, heating_activity, c, target_year, calibration) -%}
    (
        ({{ heating_activity }}) * exp({{ c }}.heating_weight * (1 - {{ c }}.anchor_heating_share))
        + (({{ activity }}) - ({{ heating_activity }}))
            * exp(-{{ c }}.heating_weight * {{ c }}.anchor_heating_share)
    )
    * {{ c }}.base_ratio
    * exp({{ c }}.drift_per_year * ({{ target_year }} - {{ c }}.anchor_year))
    * {{ calibration }}
{%- endmacro %}
