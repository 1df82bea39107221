"""Disclosure control of the division × sector table (统计法: no respondent identifiable).

Primary suppression hides a cell that would reveal a single enterprise: fewer than
``min_reporting_units`` reporting units (法人单位) behind it (a cell of households alone has
none, and is not hidden), or one carbon-market entity's verified
emissions above ``dominance_share`` of it. Secondary suppression then hides further cells so that
no hidden value can be recovered by subtraction from what is published:

- within a division, the sector cells add up to the division's total (published in
  emissions_by_city / emissions_by_county / emissions_by_sector);
- within a sector, the cells of a city's counties add up to the city's cell, and the cities'
  cells to the province's.

Each of these sums is a constraint whose total is known. A constraint with exactly one hidden
cell gives that cell away, so another of its cells (the smallest visible one, to lose the least)
is hidden too; this repeats until every constraint has no hidden cell or at least two. A division
total itself is published, so in the sector dimension the total is never a candidate. This is the
usual hypercube heuristic: with at least two hidden cells per published equation no single
hidden value follows from one subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

PRIMARY_UNITS = "primary_reporting_units"
PRIMARY_DOMINANCE = "primary_dominance"
SECONDARY = "secondary"


@dataclass(frozen=True)
class DisclosureRules:
    min_reporting_units: int = 3
    dominance_share: float = 0.85


def suppress(cells: pl.DataFrame, divisions: pl.DataFrame, rules: DisclosureRules) -> pl.DataFrame:
    """Decide which cells to hide.

    ``cells``: year, division_code, sector_code, total_tco2, reporting_units, max_entity_share
    (null where no carbon-market entity is in the cell) for every division level.
    ``divisions``: division_code, division_level (province, city, county), parent_code.
    Returns ``cells`` with ``is_suppressed`` and ``suppression_reason`` (null when visible).
    """
    levels = divisions.select("division_code", "division_level", "parent_code")
    frame = cells.join(levels, on="division_code", how="left")
    if frame["division_level"].null_count():
        unknown = frame.filter(pl.col("division_level").is_null())["division_code"].unique()
        raise ValueError(f"cells of unknown divisions: {', '.join(unknown.to_list()[:5])}")
    # reporting_units is null where only households are behind a cell: no respondent to protect.
    few_units = pl.col("reporting_units").is_not_null() & (
        pl.col("reporting_units") < rules.min_reporting_units
    )
    frame = frame.with_columns(
        pl.when(few_units)
        .then(pl.lit(PRIMARY_UNITS))
        .when(pl.col("max_entity_share").fill_null(0) > rules.dominance_share)
        .then(pl.lit(PRIMARY_DOMINANCE))
        .otherwise(pl.lit(None, pl.String))
        .alias("suppression_reason")
    )
    # Only cells with emissions are at risk: an empty cell (0 t, no units) reveals nothing.
    frame = frame.with_columns(
        pl.when((pl.col("total_tco2") == 0) & (pl.col("reporting_units").fill_null(0) == 0))
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("suppression_reason"))
        .alias("suppression_reason")
    )
    results = [
        _secondary(group)
        for _key, group in frame.sort("year").group_by("year", maintain_order=True)
    ]
    out = pl.concat(results) if results else frame
    return out.with_columns(pl.col("suppression_reason").is_not_null().alias("is_suppressed")).drop(
        "division_level", "parent_code"
    )


def constraints(frame: pl.DataFrame) -> list[list[int]]:
    """Row indices of the cells of every published sum (see the module docstring)."""
    indexed = frame.with_row_index("_i")
    groups: list[list[int]] = []
    # within a division: its sector cells (their sum is the division's published total)
    for _key, group in indexed.group_by("division_code"):
        groups.append(group["_i"].to_list())
    # within a sector: a parent's cell and its children's cells
    by_code = {
        (code, sector): index
        for code, sector, index in indexed.select("division_code", "sector_code", "_i").rows()
    }
    children = indexed.filter(pl.col("parent_code").is_not_null())
    for (parent, sector), group in children.group_by(["parent_code", "sector_code"]):
        parent_index = by_code.get((parent, sector))
        members = group["_i"].to_list()
        if parent_index is not None:
            members.append(parent_index)
        groups.append(members)
    return groups


def _secondary(frame: pl.DataFrame) -> pl.DataFrame:
    reasons = frame["suppression_reason"].to_list()
    values = frame["total_tco2"].fill_null(0).to_list()
    groups = constraints(frame)
    changed = True
    while changed:
        changed = False
        for members in groups:
            hidden = [i for i in members if reasons[i] is not None]
            if len(hidden) != 1:
                continue
            visible = [i for i in members if reasons[i] is None and values[i] > 0]
            if not visible:
                visible = [i for i in members if reasons[i] is None]
            if not visible:
                continue
            chosen = min(visible, key=lambda i: (values[i], i))
            reasons[chosen] = SECONDARY
            changed = True
    return frame.with_columns(pl.Series("suppression_reason", reasons, dtype=pl.String))


def recoverable_cells(published: pl.DataFrame, divisions: pl.DataFrame) -> list[tuple]:
    """Hidden cells that one subtraction from a published sum would give away (for tests and
    the quality gate): every constraint with exactly one hidden cell."""
    frame = published.join(
        divisions.select("division_code", "parent_code"), on="division_code", how="left"
    )
    exposed = []
    for _key, year_frame in frame.group_by("year"):
        flags = year_frame["is_suppressed"].to_list()
        for members in constraints(year_frame):
            hidden = [i for i in members if flags[i]]
            if len(hidden) == 1:
                row = year_frame.row(hidden[0], named=True)
                exposed.append((row["year"], row["division_code"], row["sector_code"]))
    return exposed
