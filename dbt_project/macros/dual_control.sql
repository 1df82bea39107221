{#
  The even-pace path of a five-year-plan intensity target (the plan's binding pace): the share of
  the base year's intensity a year may have, (1 − r/100)^((Y − B)/(T − B)), for the reduction r
  (a percentage, 18 = −18 %) from base year B to target year T. The one formula of the path:
  progress (out_dual_control__progress) and the carbon budgets (out_dual_control__budgets) use it.
#}
{% macro intensity_path_factor(reduction_pct, year, base_year, target_year) -%}
    power(
        1 - ({{ reduction_pct }}) / 100.0,
        cast(({{ year }}) - ({{ base_year }}) as double)
            / cast(({{ target_year }}) - ({{ base_year }}) as double)
    )
{%- endmacro %}
