-- The disclosure rule of published cells (data contract, shared/contracts/README.md,
-- "Published extracts"): a cell is suppressed when fewer than `min_entities` reporting units
-- or carbon-market entities are behind it, or when one carbon-market entity's verified
-- emissions are more than `dominance_pct` % of it. One row; the reporting marts read it.
select
    3 as min_entities,
    85.0 as dominance_pct
