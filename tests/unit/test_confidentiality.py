"""Disclosure control: primary cells hidden, secondary cells chosen so nothing is recovered."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from quality.confidentiality import DisclosureRules, recoverable_cells, suppress

DIVISIONS = pl.DataFrame(
    {
        "division_code": ["140000", "140100", "140200", "140105", "140106", "140212", "140213"],
        "division_level": ["province", "city", "city", "county", "county", "county", "county"],
        "parent_code": [None, "140000", "140000", "140100", "140100", "140200", "140200"],
    }
)
SECTORS = ["power", "steel", "coking"]


def cells(county_values: dict[tuple[str, str], tuple[float, int, float | None]]) -> pl.DataFrame:
    """Counties' (tCO2, reporting units, max entity share) summed up to cities and province."""
    rows = []
    parent = dict(DIVISIONS.select("division_code", "parent_code").rows())
    totals: dict[tuple[str, str], list[float]] = {}
    for (county, sector), (value, units, share) in county_values.items():
        rows.append((2023, county, sector, value, units, share))
        for ancestor in (parent[county], parent[parent[county]]):
            total = totals.setdefault((ancestor, sector), [0.0, 0])
            total[0] += value
            total[1] += units or 0
    for (division, sector), (value, units) in totals.items():
        rows.append((2023, division, sector, value, units, None))
    return pl.DataFrame(
        rows,
        schema={
            "year": pl.Int64,
            "division_code": pl.String,
            "sector_code": pl.String,
            "total_tco2": pl.Float64,
            "reporting_units": pl.Int64,
            "max_entity_share": pl.Float64,
        },
        orient="row",
    )


def base_values() -> dict[tuple[str, str], tuple[float, int, float | None]]:
    values = {}
    for index, (county, sector) in enumerate(
        itertools.product(["140105", "140106", "140212", "140213"], SECTORS)
    ):
        values[(county, sector)] = (1000.0 + 37 * index, 5 + index % 4, None)
    return values


def hidden(result: pl.DataFrame) -> dict[tuple[str, str], str]:
    return {
        (row["division_code"], row["sector_code"]): row["suppression_reason"]
        for row in result.filter("is_suppressed").iter_rows(named=True)
    }


def test_nothing_hidden_when_every_cell_is_safe():
    result = suppress(cells(base_values()), DIVISIONS, DisclosureRules())
    assert hidden(result) == {}


def test_a_cell_with_fewer_than_three_units_is_hidden_with_a_partner_in_every_sum():
    values = base_values()
    values[("140105", "steel")] = (500.0, 2, None)
    result = suppress(cells(values), DIVISIONS, DisclosureRules())
    reasons = hidden(result)
    assert reasons[("140105", "steel")] == "primary_reporting_units"
    # the county's other sectors, the city's other county, and so on up the hierarchy
    assert len(reasons) >= 4
    assert set(reasons.values()) == {"primary_reporting_units", "secondary"}
    assert recoverable_cells(result, DIVISIONS) == []


def test_a_cell_dominated_by_one_market_entity_is_hidden():
    values = base_values()
    values[("140212", "power")] = (90000.0, 12, 0.9)
    values[("140213", "coking")] = (900.0, 12, 0.85)  # exactly at the threshold: visible
    result = suppress(cells(values), DIVISIONS, DisclosureRules(dominance_share=0.85))
    reasons = hidden(result)
    assert reasons[("140212", "power")] == "primary_dominance"
    assert ("140213", "coking") not in reasons or reasons[("140213", "coking")] == "secondary"
    assert recoverable_cells(result, DIVISIONS) == []


def test_nothing_can_be_recovered_by_subtraction_from_published_totals():
    values = base_values()
    values[("140105", "power")] = (70000.0, 1, None)
    values[("140213", "coking")] = (300.0, 2, None)
    values[("140106", "steel")] = (40000.0, 9, 0.95)
    result = suppress(cells(values), DIVISIONS, DisclosureRules())
    published = result.with_columns(
        pl.when("is_suppressed").then(None).otherwise(pl.col("total_tco2")).alias("total_tco2")
    )
    assert recoverable_cells(published, DIVISIONS) == []
    # Try it as an attacker would: every published equation (division totals by sector,
    # children summing to their parent per sector) with one unknown would give it away.
    truth = {(r[1], r[2]): r[3] for r in cells(values).rows()}
    division_totals = {}
    for (division, _sector), value in truth.items():
        division_totals[division] = division_totals.get(division, 0.0) + value
    shown = {
        (r["division_code"], r["sector_code"]): r["total_tco2"]
        for r in published.iter_rows(named=True)
    }
    for division, total in division_totals.items():
        unknown = [k for k in shown if k[0] == division and shown[k] is None]
        assert len(unknown) != 1, f"{unknown} = {total} - the visible sectors"


def test_unknown_division_is_an_error():
    bad = cells(base_values()).with_columns(pl.lit("149999").alias("division_code"))
    with pytest.raises(ValueError, match="149999"):
        suppress(bad, DIVISIONS, DisclosureRules())


def test_cells_of_households_alone_are_not_hidden():
    values = base_values()
    values[("140105", "coking")] = (800.0, None, None)  # households: no reporting units
    frame = cells(values).with_columns(
        pl.when((pl.col("division_code") == "140105") & (pl.col("sector_code") == "coking"))
        .then(None)
        .otherwise(pl.col("reporting_units"))
        .alias("reporting_units")
    )
    result = suppress(frame, DIVISIONS, DisclosureRules())
    assert hidden(result) == {}
