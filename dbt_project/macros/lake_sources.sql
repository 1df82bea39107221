{#
  The sources on Spark: each table of the dbt sources (raw feeds, audit trail) is the Parquet
  folder $EMISSIONS_LAKE/<schema>/<table>/ written by orchestration/lake.py (export_raw). This
  on-run-start hook registers each one as an external table of its schema, again at every run,
  so a table exported anew (new columns, new partitions) is read as it now is; dropping an
  external table leaves its files. On DuckDB the sources are the warehouse's own tables and the
  hook does nothing.
#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('EMISSIONS_LAKE') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ ' using parquet location '
                ~ "'" ~ lake ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
