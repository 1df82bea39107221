"""Disclosure decision of every division × sector × year cell (primary and secondary suppression).

Not published: it names why a cell is hidden. The rule's thresholds are the one row of
int_reporting__disclosure_rule (dbt vars disclosure_min_entities, disclosure_dominance_pct); the
algorithm is quality/confidentiality.py.
"""

import polars as pl

from quality.confidentiality import DisclosureRules, suppress


def model(dbt, session):
    dbt.config(materialized="table")
    rule = pl.from_arrow(dbt.ref("int_reporting__disclosure_rule").arrow())
    if rule.height != 1:
        raise ValueError(f"int_reporting__disclosure_rule has {rule.height} rows, not one")
    rules = DisclosureRules(
        min_reporting_units=int(rule["min_entities"][0]),
        dominance_share=float(rule["dominance_pct"][0]) / 100,
    )
    cells = pl.from_arrow(
        dbt.ref("out_emissions__by_division_sector")
        .project(
            "year, division_code, sector_code, total_tco2::double as total_tco2, "
            "reporting_units, max_entity_share"
        )
        .arrow()
    )
    divisions = pl.from_arrow(
        dbt.ref("ref_divisions").project("division_code, division_level, parent_code").arrow()
    )
    decided = suppress(cells, divisions, rules)
    return decided.select(
        "year",
        "division_code",
        "sector_code",
        "is_suppressed",
        "suppression_reason",
    )
