{#
  dbt-spark 1.11's seed load on the session method passes each value as a binding that it puts
  between quotes unescaped: a value with an apostrophe (many sources do: "the Ministry's …") is
  a syntax error, and an empty cell becomes the text 'None'. This override, found by dbt's
  dispatch before dbt-spark's own, writes each value as an escaped Spark string literal (null
  for an empty cell) cast to the column's type, as dbt-spark's does otherwise.
  The seed's table is external (its location under $EMISSIONS_LAKE/spark/reference/): created
  again over the files of the last load, it would read them too. So the first insert overwrites
  them (an empty seed overwrites them with no row).
#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% if agate_table.rows | length == 0 %}
      {% set sql %}
          insert overwrite {{ this.render() }}
          select {% for col_name in agate_table.column_names -%}
              cast(null as {{ column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) }})
              {%- if not loop.last %}, {% endif -%}
          {%- endfor %} where 1 = 0
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {{ return(sql) }}
  {% endif %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert {{ 'overwrite' if loop.first else 'into' }} {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                  {%- set value = row[loop.index0] -%}
                  {%- if value is none -%}
                    cast(null as {{ type }})
                  {%- else -%}
                    cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                  {%- endif -%}
                  {%- if not loop.last %},{% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {%- endfor %}
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}
