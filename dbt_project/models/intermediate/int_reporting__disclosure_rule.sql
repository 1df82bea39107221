-- The disclosure rule of published cells (data contract, shared/contracts/README.md,
-- "Published extracts"): a cell is suppressed when fewer than `min_entities` reporting units
-- or carbon-market entities are behind it, or when one carbon-market entity's verified
-- emissions are more than `dominance_pct` % of it. One row, from the dbt vars
-- disclosure_min_entities and disclosure_dominance_pct; every model that suppresses reads it.
select
    cast({{ var('disclosure_min_entities') }} as integer) as min_entities,
    cast({{ var('disclosure_dominance_pct') }} as double) as dominance_pct
