"""Disclosure control: thresholds from the seed, the primary rule, secondary suppression that
protects every primary cell against the attacker's LPs, and the independent audit."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pytest

from disclosure.audit import audit_system, audit_table
from disclosure.cells import FIXED, SHARE, UNITS, EquationData, periods
from disclosure.declaration import DeclarationError, System, parse, systems
from disclosure.engine import DisclosureError, protect, verify
from disclosure.rules import DisclosureRules, primary_reasons
from disclosure.warehouse import Source, register_published_names, suppress_system, suppress_table

RULES = DisclosureRules(min_reporting_units=3, dominance_share=0.85, protection_level=0.15)
GRID = {  # county → sector values; K1/s1 rests on one reporting unit
    "K1": [1000.0, 10.0, 500.0],
    "K2": [800.0, 20.0, 400.0],
    "K3": [900.0, 30.0, 600.0],
}
SECTORS = ["s1", "s2", "s3"]
DECLARATION = {
    "period": "year",
    "cell": ["division_code", "sector_code"],
    "values": ["total_tco2"],
    "reporting_units": "units",
    "largest_share": "share",
    "never_hidden": "division_code = 'P'",
    "margins_from": ["by_county"],
    "equations": [
        {"name": "sectors add up to the total", "sum_over": "sector_code",
         "margin": "select year, division_code, total_tco2 from by_county"},
        {"name": "counties add up to P", "sum_over": "division_code",
         "parent": "select child, parent from parents"},
    ],
}  # fmt: skip


def grid_cells(grid=GRID, units=None, shares=None) -> pl.DataFrame:
    """Counties × sectors plus the top row P (published elsewhere: never hidden)."""
    units = units or {("K1", "s1"): 1}
    shares = shares or {}
    rows = [
        (2023, county, sector, value, units.get((county, sector), 5), shares.get((county, sector)))
        for county, values in grid.items()
        for sector, value in zip(SECTORS, values, strict=True)
    ]
    rows += [
        (2023, "P", sector, sum(v[k] for v in grid.values()), units.get(("P", sector), 15), None)
        for k, sector in enumerate(SECTORS)
    ]
    schema = ["year", "division_code", "sector_code", "total_tco2", "units", "share"]
    return pl.DataFrame(rows, schema=schema, orient="row")


def grid_period(grid=GRID, units=None, shares=None):
    cells = grid_cells(grid, units, shares).with_columns(
        (pl.col("division_code") == "P").alias(FIXED),
        pl.col("units").alias(UNITS),
        pl.col("share").alias(SHARE),
    )
    margin = cells.group_by("year", "division_code").agg(pl.col("total_tco2").sum())
    parents = pl.DataFrame({"child": list(grid), "parent": ["P"] * len(grid)})
    system = System.single(parse("grid", DECLARATION))
    equations = [
        EquationData("sectors", "sector_code", margin=margin),
        EquationData("counties", "division_code", parent=parents),
    ]
    [period] = periods(system, {"grid": cells}, [], equations, RULES)
    return period


def hidden_cells(period, reasons) -> dict[tuple, str]:
    return {period.keys[i]: reason for i, reason in enumerate(reasons) if reason}


def test_thresholds_are_read_from_the_seed_with_nothing_repeated_in_code():
    assert DisclosureRules.from_seed() == RULES
    bad = pl.DataFrame({"rule_code": ["min_reporting_units"], "value": ["3"]})
    with pytest.raises(ValueError, match="dominance_share, protection_level"):
        DisclosureRules.from_frame(bad)


def test_primary_rule_units_households_empty_cells_and_dominance():
    reasons = primary_reasons(
        [100.0, 100.0, 0.0, 100.0, 100.0, 100.0],
        [2, None, 0, 9, 9, 3],
        [None, None, None, 0.9, 0.85, None],
        RULES,
    )
    assert reasons == ["primary_units", None, None, "primary_dominance", None, None]


def test_the_smallest_cell_rule_leaves_the_cell_pinned_and_the_engine_protects_it():
    period = grid_period()
    # The old rule: partner each equation with one hidden cell by its smallest visible cell:
    # K1/s2 (10 t) in K1's row, K2/s1 (800 t) in s1, then K2/s2 (20 t) in s2.
    old = np.zeros(len(period.keys), dtype=bool)
    for key in [("K1", "s1"), ("K1", "s2"), ("K2", "s1"), ("K2", "s2")]:
        old[period.keys.index(key)] = True
    [interval], _ = verify(period, old, RULES)
    # K1/s1 + K1/s2 = 1010, K1/s2 + K2/s2 = 30: K1/s1 lies in [980, 1010] around 1000.
    assert (interval.low, interval.high) == pytest.approx((980.0, 1010.0))
    assert not interval.protected

    result = protect(period, RULES)
    assert hidden_cells(period, result.reasons) == {
        ("K1", "s1"): "primary_units",
        ("K1", "s3"): "secondary",
        ("K2", "s1"): "secondary",
        ("K2", "s3"): "secondary",
    }
    # By hand: K1/s1 = t, K1/s3 = 1500 − t, K2/s1 = 1800 − t, K2/s3 = t − 600, all >= 0.
    [interval] = result.intervals
    assert (interval.low, interval.high) == pytest.approx((600.0, 1500.0))
    assert interval.protected
    assert protect(grid_period(), RULES).reasons == result.reasons  # deterministic


def test_a_cell_that_cells_published_elsewhere_pin_is_refused_not_published():
    grid = {"K1": [1900.0, 40.0, 60.0], "K2": [800.0, 400.0, 400.0], "K3": [900.0, 300.0, 600.0]}
    period = grid_period(grid)
    # K1's total (2000), a margin this table may not hide, bounds K1/s1 from above: no change of
    # the hideable cells moves 1900 up by 15 % (to 2185). Nothing is published, no exception.
    with pytest.raises(DisclosureError, match=r"\('K1', 's1'\) total_tco2 \(1,900.000\) cannot be"):
        protect(period, RULES)


def test_a_dominated_cell_is_protected_too():
    period = grid_period(units={}, shares={("K3", "s3"): 0.9})
    result = protect(period, RULES)
    assert hidden_cells(period, result.reasons)[("K3", "s3")] == "primary_dominance"
    assert all(interval.protected for interval in result.intervals)


def market_warehouse(city_values: dict[str, tuple[int, float, float, float]]):
    """A carbon-market-like table: cities of one sector and their province row; each city
    (entities, verified, allocated, largest entity); surplus/shortfall from the per-city sums."""
    con = duckdb.connect()
    rows = []
    for city, (entities, verified, allocated, largest) in city_values.items():
        rows.append(("140000" if city == "P" else city, entities, verified, allocated, largest))
    con.execute(
        "create table market (year int, division_code varchar, ets_sector varchar, "
        "entity_count int, verified double, allocated double, surplus double, shortfall double, "
        "largest_share double, is_suppressed boolean)"
    )
    total = [0, 0.0, 0.0, 0.0]
    for city, entities, verified, allocated, largest in rows:
        total = [
            total[0] + entities,
            total[1] + verified,
            total[2] + allocated,
            max(total[3], largest),
        ]
        con.execute(
            "insert into market values (2023, ?, 'power', ?, ?, ?, ?, ?, ?, false)",
            [
                city,
                entities,
                verified,
                allocated,
                max(allocated - verified, 0),
                max(verified - allocated, 0),
                largest / verified,
            ],
        )
    surplus, shortfall = con.execute("select sum(surplus), sum(shortfall) from market").fetchone()
    con.execute(
        "insert into market values (2023, '140000', 'power', ?, ?, ?, ?, ?, ?, false)",
        [total[0], total[1], total[2], surplus, shortfall, total[3] / total[1]],
    )
    con.execute(
        "create table parents as select * from (values ('140100', '140000'), "
        "('140200', '140000'), ('140300', '140000'), ('140400', '140000')) as t(child, parent)"
    )
    return con


MARKET = {
    "period": "year",
    "cell": ["division_code", "ets_sector"],
    "values": ["verified", "allocated", "surplus", "shortfall"],
    "reporting_units": "entity_count",
    "largest_share": "largest_share",
    "equations": [{"name": "cities add up to the province", "sum_over": "division_code",
                   "parent": "select child, parent from parents"}],
    "relations": ["surplus - shortfall = allocated - verified"],
}  # fmt: skip
MARKET_COLUMNS = ["year", "division_code", "ets_sector", "entity_count", "verified", "allocated",
                  "surplus", "shortfall", "is_suppressed"]  # fmt: skip


def test_the_carbon_market_table_gets_the_same_rule_across_its_value_columns():
    con = market_warehouse(
        {
            "140100": (1, 500.0, 450.0, 500.0),  # one entity: primary
            "140200": (5, 900.0, 950.0, 300.0),
            "140300": (4, 60.0, 70.0, 20.0),  # too small to protect 140100 alone
            "140400": (6, 2000.0, 1900.0, 400.0),
        }
    )
    declaration = parse("market", MARKET)
    summary = suppress_table(con, declaration, "market", MARKET_COLUMNS, {}, RULES)
    published = dict(
        con.execute("select division_code, is_suppressed from disclosure.market").fetchall()
    )
    assert published["140100"]
    assert summary.reasons["primary_units"] == 1 and summary.reasons["secondary"] >= 1
    # 阳泉-like 140300 (60 t) cannot absorb 15 % of 500 t: a larger city is hidden with it
    assert published["140200"] or published["140400"] or published["140000"]
    values = con.execute(
        "select count(*) from disclosure.market where is_suppressed and verified is not null"
    ).fetchone()[0]
    assert values == 0
    audit = audit_table(con, declaration, "disclosure.market", "market", RULES)
    assert audit.passed, [finding.line("market") for finding in audit.failures]
    # 140100 verified 500, allocated 450: a shortfall of 50, no surplus; each one protected
    assert {f.column for f in audit.findings} == {"verified", "allocated", "shortfall"}


def grid_warehouse(units=None) -> duckdb.DuckDBPyConnection:
    """The grid as a mart, its county totals as a published table, the parents of the counties."""
    con = duckdb.connect()
    con.register("cells_frame", grid_cells(units=units).to_arrow())
    con.execute("create table mart as select * from cells_frame")
    con.execute(
        "create table county_totals as select year, division_code, sum(total_tco2) as total_tco2 "
        "from mart group by all"
    )
    con.execute(
        "create table parents as select * from (values ('K1', 'P'), ('K2', 'P'), ('K3', 'P')) "
        "as t(child, parent)"
    )
    register_published_names(con, {"by_county": "county_totals"})
    return con


def test_the_audit_refuses_an_under_protected_or_published_cell_and_passes_the_engines():
    con = grid_warehouse()
    declaration = parse("grid", DECLARATION)
    # the old smallest-cell pattern, published as it would have been
    con.execute(
        "create table old as select year, division_code, sector_code, is_suppressed, "
        "case when is_suppressed then null else total_tco2 end as total_tco2 from ("
        "select *, (division_code, sector_code) in (('K1','s1'), ('K1','s2'), ('K2','s1'), "
        "('K2','s2')) as is_suppressed from mart)"
    )
    old = audit_table(con, declaration, "old", "mart", RULES)
    [failure] = old.failures
    assert failure.cell == ("K1", "s1") and failure.problem == "under-protected"
    assert (failure.low, failure.high) == pytest.approx((980.0, 1010.0))
    assert "bounded to [980, 1,010], required [850, 1,150]" in failure.line("grid")
    con.execute("create table nothing_hidden as select *, false as is_suppressed from mart")
    [published] = audit_table(con, declaration, "nothing_hidden", "mart", RULES).failures
    assert published.problem == "published"

    columns = ["year", "division_code", "sector_code", "total_tco2", "is_suppressed"]
    suppress_table(con, declaration, "mart", columns, {"by_county": "county_totals"}, RULES)
    audit = audit_table(con, declaration, "disclosure.grid", "mart", RULES)
    assert audit.passed and audit.hidden_cells == 4
    [finding] = audit.findings
    assert (finding.low, finding.high) == pytest.approx((600.0, 1500.0))
    decisions = con.execute(
        "select suppression_reason, count(*) from disclosure.grid__decisions group by 1 order by 1"
    ).fetchall()
    assert decisions == [("primary_units", 1), ("secondary", 3), (None, 8)]


def test_a_primary_cell_another_table_publishes_stays_visible_and_the_audit_refuses_it():
    units = {("K1", "s1"): 1, ("P", "s2"): 2}  # P's cells are published elsewhere
    con = grid_warehouse(units)
    declaration = parse("grid", DECLARATION)
    columns = ["year", "division_code", "sector_code", "total_tco2", "is_suppressed"]
    suppress_table(con, declaration, "mart", columns, {"by_county": "county_totals"}, RULES)
    decided = con.execute(
        "select suppression_reason, is_suppressed from disclosure.grid__decisions "
        "where division_code = 'P' and sector_code = 's2'"
    ).fetchone()
    assert decided == ("primary_units", False)
    [failure] = audit_table(con, declaration, "disclosure.grid", "mart", RULES).failures
    assert failure.cell == ("P", "s2") and failure.problem == "published"
    assert "meets the primary rule but is published" in failure.line("grid")


def test_a_declaration_that_cannot_be_used_is_refused_with_its_key():
    with pytest.raises(DeclarationError, match="grid: disclosure lacks equations"):
        parse("grid", {**DECLARATION, "equations": []})
    broken = {**DECLARATION, "equations": [{"name": "e", "sum_over": "year", "parent": "x"}]}
    with pytest.raises(DeclarationError, match="sum_over must be a cell column"):
        parse("grid", broken)
    with pytest.raises(DeclarationError, match="names nothing_here, not a value column"):
        parse("grid", {**DECLARATION, "relations": ["total_tco2 = nothing_here"]})


# A province P of two cities, C1 (counties K1, K2) and C2 (K3, K4), and two sectors. K1 is one
# power plant (s1: 1 reporting unit, 1,900 t of its county's 2,000 t: 95 %, above 85 %).
COUNTIES = {  # county: (city, s1, s2, process of s2)
    "K1": ("C1", 1900.0, 100.0, 0.0),
    "K2": ("C1", 800.0, 400.0, 100.0),
    "K3": ("C2", 900.0, 600.0, 0.0),
    "K4": ("C2", 700.0, 300.0, 0.0),
}
ENERGY = {"K1": (800.0, 0.0), "K2": (400.0, 100.0), "K3": (600.0, 50.0), "K4": (500.0, 0.0)}
JOINT = {
    "division_sector": {
        "period": "year",
        "cell": ["division_code", "sector_code"],
        "values": ["total_tco2"],
        "reporting_units": "units",
        "largest_share": "share",
        "never_hidden": "level = 'province'",
        "joint": ["county", "city", "energy"],
        "margins_from": ["by_sector"],
        "known": [{"name": "the province's totals",
                   "query": "select year, 'P' as division_code, 'all' as sector_code, "
                            "sum(total_tco2) as total_tco2, sum(energy_tco2) as energy_tco2, "
                            "sum(process_tco2) as process_tco2 from by_sector group by year"}],
        "equations": [
            {"name": "sectors add up to the total", "sum_over": "sector_code",
             "values": ["total_tco2"], "parent": "select sector_code, 'all' from sectors"},
            {"name": "counties add up to the city, cities to P", "sum_over": "division_code",
             "parent": "select child, parent from parents"},
        ],
    },
    "county": {
        "joint_with": "division_sector",
        "cell": {"division_code": "division_code", "sector_code": "'all'"},
        "values": ["total_tco2", "energy_tco2", "process_tco2"],
        "withheld": ["intensity"],
        "reporting_units": "units",
        "largest_share": "share",
        "relations": ["total_tco2 = energy_tco2 + process_tco2"],
    },
    "city": {
        "joint_with": "division_sector",
        "cell": {"division_code": "division_code", "sector_code": "'all'"},
        "values": ["total_tco2", "energy_tco2", "process_tco2"],
        "reporting_units": "units",
        "largest_share": "share",
        "relations": ["total_tco2 = energy_tco2 + process_tco2"],
    },
    "energy": {
        "joint_with": "division_sector",
        "cell": {"division_code": "division_code", "sector_code": "'all'"},
        "values": ["energy_tce", "fossil_tce", "other_tce"],
        "never_hidden": "division_code = 'P'",
        "relations": ["energy_tce = fossil_tce + other_tce"],
    },
}  # fmt: skip
COLUMNS = {
    "division_sector": ["year", "division_code", "sector_code", "total_tco2", "is_suppressed"],
    "county": ["year", "division_code", "city_code", "total_tco2", "energy_tco2",
               "process_tco2", "intensity", "gdp", "is_suppressed"],
    "city": ["year", "division_code", "total_tco2", "energy_tco2", "process_tco2",
             "is_suppressed"],
    "energy": ["year", "division_code", "energy_tce", "fossil_tce", "other_tce",
               "is_suppressed"],
}  # fmt: skip


def joint_warehouse() -> duckdb.DuckDBPyConnection:
    """The hand-made marts: sector cells, county and city totals with the rule's inputs (the
    plant is the largest entity of K1/s1, of K1 and of C1), energy, and the province by sector."""
    con = duckdb.connect()
    sector_cells = []
    for county, (_city, s1, s2, process) in COUNTIES.items():
        plant = 1900.0 if county == "K1" else None  # the only carbon-market entity
        sector_cells += [(county, "s1", s1, 1 if county == "K1" else 5, 0.0, plant),
                         (county, "s2", s2, 5, process, None)]  # fmt: skip
    con.execute(
        "create table cells (year int, division_code varchar, level varchar, sector_code varchar,"
        " total_tco2 double, units int, process_tco2 double, largest double)"
    )
    con.executemany("insert into cells values (2023, ?, 'county', ?, ?, ?, ?, ?)", sector_cells)
    con.execute(
        "create table parents as select * from (values ('K1', 'C1'), ('K2', 'C1'), "
        "('K3', 'C2'), ('K4', 'C2'), ('C1', 'P'), ('C2', 'P')) as t(child, parent)"
    )
    con.execute("create table sectors as select * from (values ('s1'), ('s2')) as t(sector_code)")
    for level, code in (("city", "parent"), ("province", "'P'")):
        source = "cells" if level == "city" else "(select * from cells where level = 'city')"
        con.execute(
            f"insert into cells select year, {code}, '{level}', sector_code, sum(total_tco2), "
            f"sum(units), sum(process_tco2), max(largest) from {source} "
            "join parents on child = division_code group by all"
        )
    con.execute("alter table cells add column share double")
    con.execute("update cells set share = largest / total_tco2")
    totals = (
        "select year, division_code, any_value(level) as level, sum(total_tco2) as total_tco2, "
        "sum(total_tco2) - sum(process_tco2) as energy_tco2, sum(process_tco2) as process_tco2, "
        "sum(units) as units, max(largest) / sum(total_tco2) as share from cells "
        "where level = '{level}' group by all"
    )
    con.execute(
        f"create table county as select t.*, p.parent as city_code, t.total_tco2 / 100 as "
        f"intensity, 100.0 as gdp from ({totals.format(level='county')}) as t "
        "join parents as p on p.child = t.division_code"
    )
    con.execute(f"create table city as {totals.format(level='city')}")
    con.execute(
        "create table sector_mart as select year, sector_code, total_tco2, "
        "total_tco2 - process_tco2 as energy_tco2, process_tco2 from cells "
        "where level = 'province'"
    )
    con.execute(
        "create table energy (year int, division_code varchar, fossil_tce double, other_tce double)"
    )
    con.executemany(
        "insert into energy values (2023, ?, ?, ?)", [(k, *v) for k, v in ENERGY.items()]
    )
    for code in ("C1", "C2", "P"):
        con.execute(
            f"insert into energy select 2023, '{code}', sum(fossil_tce), sum(other_tce) "
            f"from energy join parents on child = division_code where parent = '{code}'"
        )
    con.execute("alter table energy add column energy_tce double")
    con.execute("update energy set energy_tce = fossil_tce + other_tce")
    return con


def joint_sources() -> dict[str, Source]:
    relations = {"division_sector": "cells", "county": "county", "city": "city", "energy": "energy"}
    return {name: Source(relations[name], tuple(COLUMNS[name])) for name in relations}


def test_a_county_that_is_one_plant_has_its_total_hidden_and_protected_and_a_neighbour_gives_way():
    con = joint_warehouse()
    system = systems(JOINT)["division_sector"]
    sources = joint_sources()
    published = {name: f"disclosure.{name}" for name in sources}
    truth = {name: source.relation for name, source in sources.items()}
    register_published_names(con, {"by_sector": "sector_mart"})

    # The failure before: the county totals published as they are (every row visible). The
    # plant's cell K1/s1 (1,900 t) lies under K1's total, 2,000 t: the attacker's interval can
    # never reach 2,185, and K1's total itself rests on the plant.
    con.execute("create schema disclosure")
    con.execute(
        "create table disclosure.division_sector as select year, division_code, sector_code, "
        "is_suppressed, case when is_suppressed then null else total_tco2 end as total_tco2 "
        "from (select *, (division_code, sector_code) in (('K1', 's1'), ('K1', 's2'), "
        "('K2', 's1'), ('K2', 's2')) as is_suppressed from cells)"
    )
    for name in ("county", "city", "energy"):
        con.execute(
            f"create table disclosure.{name} as select *, false as is_suppressed from {name}"
        )
    before = audit_system(con, system, published, truth, RULES)
    lines = [finding.line() for finding in before.failures]
    assert "county 2023 K1/all total_tco2: 2,000 meets the primary rule but is published" in lines
    pinned = next(f for f in before.failures if f.cell == ("K1", "s1"))
    assert pinned.problem == "under-protected" and pinned.high == pytest.approx(2000.0)

    summary = suppress_system(con, system, sources, {"by_sector": "sector_mart"}, RULES)
    decided = dict(
        ((code, sector), reason)
        for code, sector, reason in con.execute(
            "select division_code, sector_code, suppression_reason from ("
            "select * from disclosure.division_sector__decisions union all "
            "select * from disclosure.county__decisions) where suppression_reason is not null"
        ).fetchall()
    )
    # By hand: K1/s1 up 285 t needs K1's total up and, in C1, K2/s1 and K2's total down (C1,
    # published, stays). Hidden: a = K1/s1, b = K2/s1, A = K1, B = K2 with a + 100 = A,
    # b + 400 = B, a + b = 2,700: a in [0, 2,700], A in [100, 2,800].
    assert decided == {
        ("K1", "s1"): "primary_units",
        ("K1", "all"): "primary_dominance",
        ("K2", "s1"): "secondary",
        ("K2", "all"): "secondary",
    }
    assert summary.hidden == {
        "division_sector": {2023: 2}, "county": {2023: 2}, "city": {2023: 0}, "energy": {2023: 2}
    }  # fmt: skip
    # A hidden row keeps its keys and GDP; every value and what gives it back (intensity) is null.
    rows = con.execute(
        "select division_code, total_tco2, energy_tco2, process_tco2, intensity, gdp, city_code "
        "from disclosure.county where is_suppressed order by 1"
    ).fetchall()
    assert rows == [("K1", None, None, None, None, 100.0, "C1"),
                    ("K2", None, None, None, None, 100.0, "C1")]  # fmt: skip
    # … and it is hidden wherever it is published: the two counties' energy too.
    energy = con.execute(
        "select division_code, energy_tce from disclosure.energy where is_suppressed order by 1"
    ).fetchall()
    assert energy == [("K1", None), ("K2", None)]

    after = audit_system(con, system, published, truth, RULES)
    assert after.passed, [finding.line() for finding in after.failures]
    bounds = {(f.table, *f.cell, f.column): (f.low, f.high) for f in after.findings}
    assert bounds[("division_sector", "K1", "s1", "total_tco2")] == pytest.approx((0, 2700))
    assert bounds[("county", "K1", "all", "total_tco2")] == pytest.approx((100, 2800))
    # K1's energy: its total less its process, the process of C1's two counties adding to 100
    assert bounds[("county", "K1", "all", "energy_tco2")] == pytest.approx((0, 2800))
    # K1's energy use: with K2 it adds up to C1's published 1,300 tce
    assert bounds[("energy", "K1", "all", "energy_tce")] == pytest.approx((0, 1300))
    assert {f.table for f in after.findings} == {"division_sector", "county", "energy"}


def test_a_column_resting_on_another_cell_is_withheld_where_that_cell_is_hidden():
    """dual_control_progress's base-year columns rest on the base year's cell: a county's row
    shows its own total and intensity by its own cell's decision, and its base intensity only
    where the base cell is a visible cell of the problem (hidden K1 and K2 here; 2022 is no
    cell of it)."""
    con = joint_warehouse()
    con.execute(
        "create table progress as select year, division_code, total_tco2, "
        "total_tco2 / 100 as intensity, base_code, base_year, 1.5 as base_intensity, "
        "2.5 as path_intensity from (values ('K1', 'K3', 2023), ('K2', 'K2', 2023), "
        "('K3', 'K1', 2023), ('K4', 'K3', 2023)) as b(code, base_code, base_year) "
        "join county on county.division_code = b.code"
    )
    con.execute("insert into progress select 2023, 'X', 0, 0, 'K4', 2022, 1.5, 2.5 where false")
    declarations = {
        **JOINT,
        "division_sector": {**JOINT["division_sector"],
                            "joint": [*JOINT["division_sector"]["joint"], "progress"]},
        "progress": {
            "joint_with": "division_sector",
            "cell": {"division_code": "division_code", "sector_code": "'all'"},
            # No values of its own: the rows follow their cells' decisions (the county totals
            # are county's values in these cells).
            "withheld": ["total_tco2", "intensity", "path_intensity"],
            "withheld_with": [{
                "cell": {"year": "base_year", "division_code": "base_code",
                         "sector_code": "'all'"},
                "columns": ["base_intensity", "path_intensity"],
            }],
        },
    }  # fmt: skip
    system = systems(declarations)["division_sector"]
    sources = {
        **joint_sources(),
        "progress": Source("progress", ("year", "division_code", "total_tco2", "intensity",
                                        "base_code", "base_year", "base_intensity",
                                        "path_intensity", "is_suppressed")),
    }  # fmt: skip
    suppress_system(con, system, sources, {"by_sector": "sector_mart"}, RULES)
    rows = con.execute(
        "select division_code, is_suppressed, total_tco2, intensity, base_intensity, "
        "path_intensity from disclosure.progress order by 1"
    ).fetchall()
    assert rows == [
        ("K1", True, None, None, 1.5, None),  # own cell hidden; its base K3 is visible
        ("K2", True, None, None, None, None),  # its own cell is its base: hidden
        ("K3", False, 1500.0, 15.0, None, None),  # visible, but its base K1 is hidden
        ("K4", False, 1000.0, 10.0, 1.5, 2.5),  # visible, and so is its base K3
    ]
    con.execute("update progress set base_year = 2022 where division_code = 'K4'")
    suppress_system(con, system, sources, {"by_sector": "sector_mart"}, RULES, reuse=False)
    assert con.execute(
        "select base_intensity from disclosure.progress where division_code = 'K4'"
    ).fetchone() == (None,)  # the base cell is no cell of the problem: nothing rests on it
    with pytest.raises(DeclarationError, match="lacks values \\(or withheld, to follow\\)"):
        systems(
            {
                **declarations,
                "progress": {
                    "joint_with": "division_sector",
                    "cell": declarations["progress"]["cell"],
                },
            }
        )
    with pytest.raises(DeclarationError, match="withheld_with 1 needs cell"):
        systems({**declarations, "progress": {**declarations["progress"],
                                              "withheld_with": [{"columns": ["x"]}]}})  # fmt: skip


def test_a_following_table_may_share_cells_and_have_rows_of_no_cell():
    """carbon_budgets follows the problem: its versions share a cell, and a plan's later years
    are no cell of it yet (no emissions): such a row hides nothing of its own, and what rests on
    another cell (the budget, on the base year's) follows that cell's decision (K1 and K2 are
    hidden in 2023, K3 and K4 visible)."""
    con = joint_warehouse()
    con.execute(
        "create table budgets as select *, cast(null as boolean) as is_suppressed from (values "
        "(2023, 'K1', 'v1', 10.0, 1.0), (2023, 'K1', 'v2', 11.0, 1.0), "
        "(2023, 'K4', 'v1', 12.0, 2.0), (2024, 'K4', 'v1', 13.0, null), "
        "(2024, 'K1', 'v1', 14.0, null)) as b(year, division_code, version, budget, used)"
    )
    declarations = {
        **JOINT,
        "division_sector": {**JOINT["division_sector"],
                            "joint": [*JOINT["division_sector"]["joint"], "budgets"]},
        "budgets": {
            "joint_with": "division_sector",
            "cell": {"division_code": "division_code", "sector_code": "'all'"},
            "withheld": ["used"],
            "withheld_with": [{
                "cell": {"year": "2023", "division_code": "division_code", "sector_code": "'all'"},
                "columns": ["budget"],
            }],
        },
    }  # fmt: skip
    system = systems(declarations)["division_sector"]
    sources = {
        **joint_sources(),
        "budgets": Source("budgets", ("year", "division_code", "version", "budget", "used",
                                      "is_suppressed")),
    }  # fmt: skip
    summary = suppress_system(con, system, sources, {"by_sector": "sector_mart"}, RULES)
    rows = con.execute(
        "select year, division_code, version, is_suppressed, budget, used "
        "from disclosure.budgets order by 1, 2, 3"
    ).fetchall()
    assert rows == [
        (2023, "K1", "v1", True, None, None),  # its cell hidden: every row of it
        (2023, "K1", "v2", True, None, None),
        (2023, "K4", "v1", False, 12.0, 2.0),
        (2024, "K1", "v1", False, None, None),  # no cell of its own; its base K1 is hidden
        (2024, "K4", "v1", False, 13.0, None),  # no cell of its own; its base K4 is visible
    ]
    assert summary.rows["budgets"] == 5
