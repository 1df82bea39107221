"""Disclosure decision of every division × sector × year cell (primary and secondary suppression).

Not published: it names why a cell is hidden. The rules' thresholds are this model's config in
out_emissions__division_sector_disclosure.yml; the algorithm is quality/confidentiality.py.
"""

import polars as pl

from quality.confidentiality import DisclosureRules, suppress


def model(dbt, session):
    dbt.config(materialized="table")
    rules = DisclosureRules(
        min_reporting_units=int(dbt.config.get("min_reporting_units")),
        dominance_share=float(dbt.config.get("dominance_share")),
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
