{#
  What DuckDB and Spark SQL spell differently, one dispatched macro each (duckdb__ is the
  warehouse's own form, spark__ the Spark SQL one). Everything else the models write is SQL both
  engines read alike, or one of dbt's cross-database macros (dbt.datediff, dbt.split_part,
  dbt.type_string, adapter.quote).
#}

{# The integers start..stop (both included), as a one-column relation named `column_name`. #}
{% macro integer_series(start, stop, column_name) -%}
    {{ return(adapter.dispatch('integer_series')(start, stop, column_name)) }}
{%- endmacro %}

{% macro default__integer_series(start, stop, column_name) -%}
    (select cast(range as integer) as {{ column_name }} from range({{ start }}, {{ stop }} + 1))
{%- endmacro %}

{% macro spark__integer_series(start, stop, column_name) -%}
    (select cast(id as integer) as {{ column_name }} from range({{ start }}, {{ stop }} + 1))
{%- endmacro %}

{#
  The running product of `expression` over `window` (a window specification), nulls skipped.
  DuckDB has the aggregate product(); Spark has none: there the frame's values are collected in
  the window's order and multiplied from the first, left to right.
#}
{% macro window_product(expression, window) -%}
    {{ return(adapter.dispatch('window_product')(expression, window)) }}
{%- endmacro %}

{% macro default__window_product(expression, window) -%}
    product({{ expression }}) over ({{ window }})
{%- endmacro %}

{% macro spark__window_product(expression, window) -%}
    aggregate(
        collect_list(cast({{ expression }} as double)) over ({{ window }}),
        cast(1 as double),
        (accumulated, factor) -> accumulated * factor
    )
{%- endmacro %}

{#
  A double rounded to `digits` decimal places, `digits` an expression of the row (DuckDB's
  round takes any integer; Spark's only a constant). Spark's form is the arithmetic DuckDB's
  round does (its RoundOperatorPrecision): the value times 10^digits rounded half away from
  zero to an integer, divided by 10^digits; for digits >= 0.
#}
{% macro round_to_digits(value, digits) -%}
    {{ return(adapter.dispatch('round_to_digits')(value, digits)) }}
{%- endmacro %}

{% macro default__round_to_digits(value, digits) -%}
    round({{ value }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_to_digits(value, digits) -%}
    (round(({{ value }}) * power(10, {{ digits }}), 0) / power(10, {{ digits }}))
{%- endmacro %}

{# The number of distinct combinations of `columns` (a list of non-null columns). #}
{% macro count_distinct_combinations(columns) -%}
    {{ return(adapter.dispatch('count_distinct_combinations')(columns)) }}
{%- endmacro %}

{% macro default__count_distinct_combinations(columns) -%}
    count(distinct ({{ columns | join(', ') }}))
{%- endmacro %}

{% macro spark__count_distinct_combinations(columns) -%}
    count(distinct {{ columns | join(', ') }})
{%- endmacro %}

{#
  A double amount (a quantity times a factor) as DECIMAL(38,6), rounded to the sixth decimal
  (the gram of a tCO2) as DuckDB's cast rounds it: the double times 10^6, rounded half away from
  zero to an integer, then /10^6. Spark's own cast rounds the double's shortest decimal form
  instead, which differs by 10^-6 where the product lies next to a half (0.9899725 × 10^6 is
  989972.4999… as a double, 989972.5 once multiplied). Only for doubles: a DECIMAL is cast as is.
#}
{% macro decimal_amount(expression) -%}
    {{ return(adapter.dispatch('decimal_amount')(expression)) }}
{%- endmacro %}

{% macro default__decimal_amount(expression) -%}
    cast({{ expression }} as decimal(38, 6))
{%- endmacro %}

{% macro spark__decimal_amount(expression) -%}
    cast(cast(round(cast({{ expression }} as double) * 1000000.0, 0) as decimal(38, 0)) / 1000000
        as decimal(38, 6))
{%- endmacro %}

{#
  The sum of a double column, the same number whatever order the rows come in: each value as
  DECIMAL(38,6) (decimal_amount, to the millionth of its unit), summed exactly, then a double
  again. A plain sum of doubles depends on the order of the additions, which neither engine
  fixes (DuckDB's parallel aggregation differs from run to run in the last bit); a last bit then
  decides the gram of an amount cast from it.
#}
{% macro exact_sum(expression) -%}
    cast(sum({{ decimal_amount(expression) }}) as double)
{%- endmacro %}

{#
  The `fraction` quantile of `expression` over the group, interpolated linearly between the
  closest ranks (DuckDB's quantile_cont, Spark's exact percentile: the same definition).
#}
{% macro quantile_linear(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile_linear')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile_linear(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_linear(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#
  The values of `expression` over the group, sorted, joined by commas (a deterministic text:
  a digest of it is the same in both engines).
#}
{% macro sorted_list(expression) -%}
    {{ return(adapter.dispatch('sorted_list')(expression)) }}
{%- endmacro %}

{% macro default__sorted_list(expression) -%}
    coalesce(string_agg({{ expression }}, ',' order by {{ expression }}), '')
{%- endmacro %}

{% macro spark__sorted_list(expression) -%}
    array_join(sort_array(collect_list({{ expression }})), ',')
{%- endmacro %}
