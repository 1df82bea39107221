"""The exact certificates that spare the disclosure engine and the audit their LPs: hand-computed
cases (twins that can or cannot carry the move, a lone county, an identity that forbids the
certificate), and the same decisions and findings as the LPs alone on the existing problems and
on random hierarchies."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pytest

from disclosure import engine
from disclosure.audit import audit_system, audit_table
from disclosure.declaration import parse, systems
from disclosure.engine import (
    DisclosureError,
    EquationRows,
    Period,
    RelationRows,
    Rows,
    protect,
    twin_labels,
    verify,
)
from disclosure.rules import DisclosureRules
from disclosure.warehouse import register_published_names, suppress_system, suppress_table
from tests.unit.test_disclosure import (
    DECLARATION,
    JOINT,
    MARKET,
    MARKET_COLUMNS,
    grid_period,
    grid_warehouse,
    joint_sources,
    joint_warehouse,
    market_warehouse,
)

RULES = DisclosureRules(min_reporting_units=3, dominance_share=0.85, protection_level=0.15)


def tree(cities: dict[str, dict[str, list[float]]], primary=(), fixed=(), margins=False):
    """One period of a province P, its cities and their counties, by sector: ``cities`` maps a
    city to its counties' values per sector (``{"C1": {"K1": [s1, s2], …}}``); in every sector
    a city's counties add up to the city and the cities to P (the nowcast's equations), and with
    ``margins`` every division's sectors add up to its published total."""
    sectors = len(next(iter(next(iter(cities.values())).values())))
    rows = []
    for city, counties in cities.items():
        rows += [(county, values) for county, values in counties.items()]
        rows.append((city, [sum(v[s] for v in counties.values()) for s in range(sectors)]))
    province = [sum(v[s] for code, v in rows if code in cities) for s in range(sectors)]
    rows.append(("P", province))
    keys = [(code, f"s{s + 1}") for code, _ in rows for s in range(sectors)]
    values = np.array([[v[s]] for _, v in rows for s in range(sectors)], dtype=float)
    index = {key: k for k, key in enumerate(keys)}
    equations = []
    for s in range(sectors):
        sector = f"s{s + 1}"
        for city, counties in cities.items():
            members = [index[(county, sector)] for county in counties] + [index[(city, sector)]]
            coefficients = [1.0] * len(counties) + [-1.0]
            equations.append(EquationRows(f"{city} {sector}", np.array(members),
                                          np.array(coefficients), np.zeros(1)))  # fmt: skip
        members = [index[(city, sector)] for city in cities] + [index[("P", sector)]]
        coefficients = [1.0] * len(cities) + [-1.0]
        equations.append(EquationRows(f"P {sector}", np.array(members),
                                      np.array(coefficients), np.zeros(1)))  # fmt: skip
    if margins:
        for code, v in rows:
            members = [index[(code, f"s{s + 1}")] for s in range(sectors)]
            equations.append(EquationRows(f"{code} total", np.array(members),
                                          np.ones(sectors), np.array([sum(v)])))  # fmt: skip
    reasons = ["primary_units" if key in primary else None for key in keys]
    return Period(
        2023,
        keys,
        values,
        reasons,
        np.array([key in fixed or key[0] in fixed for key in keys]),
        equations,
    )


def hidden_of(period, result) -> set[tuple]:
    return {key for key, hidden in zip(period.keys, result.hidden, strict=True) if hidden}


def hide(period, keys) -> np.ndarray:
    return np.array([key in keys for key in period.keys])


# --- hand-computed cases ---------------------------------------------------------------------


def test_two_hidden_counties_of_a_city_are_twins_when_the_other_can_absorb_the_move():
    # C1 = K1 + K2 + K3 in one sector; K1 (100 t) and K2 (50 t) hidden, K3 and C1 published:
    # K1 + K2 = 150, so K1 reaches 0 (K2 = 150) and 150 (K2 = 0) ⊇ [85, 115].
    period = tree({"C1": {"K1": [100.0], "K2": [50.0], "K3": [200.0]}, "C2": {"K4": [70.0]}},
                  primary=[("K1", "s1"), ("K2", "s1")])  # fmt: skip
    [k1, k2], solved = verify(period, hide(period, {("K1", "s1"), ("K2", "s1")}), RULES)
    assert solved == 0 and k1.certified and k2.certified
    assert (k1.low, k1.high) == (0.0, 150.0) and (k2.low, k2.high) == (0.0, 150.0)
    [lp1, _], lp_solved = verify(
        period, hide(period, {("K1", "s1"), ("K2", "s1")}), RULES, certify=False
    )
    assert lp_solved == 4 and (lp1.low, lp1.high) == pytest.approx((0.0, 150.0))
    result = protect(period, RULES)
    assert hidden_of(period, result) == {("K1", "s1"), ("K2", "s1")}
    assert result.linear_programmes == 0 and result.certified_values == 2


def test_twins_too_small_to_absorb_the_move_leave_the_lps_to_decide():
    # K2 (10 t) cannot take 15 t of K1 (100 t): the certificate reaches only [0, 110] and
    # proves nothing upwards; its minimum, 0, it does prove (K1 → 0, K2 → 110).
    period = tree({"C1": {"K1": [100.0], "K2": [10.0], "K3": [200.0]}, "C2": {"K4": [70.0]}},
                  primary=[("K1", "s1"), ("K2", "s1")])  # fmt: skip
    hidden = hide(period, {("K1", "s1"), ("K2", "s1")})
    [k1, k2], solved = verify(period, hidden, RULES)
    assert not k1.certified and (k1.low, k1.high) == pytest.approx((0.0, 110.0))
    assert not k1.protected
    assert k2.certified and (k2.low, k2.high) == (0.0, 110.0)  # 10 t moves by 100 t
    assert solved == 1  # K1's maximum only
    # The engine hides K3 (200 t: cheaper than C1 and P together); the three are twins
    # then and K1 reaches [0, 310] without an LP.
    result = protect(period, RULES)
    assert hidden_of(period, result) == {("K1", "s1"), ("K2", "s1"), ("K3", "s1")}
    assert result.reasons[period.keys.index(("K3", "s1"))] == "secondary"
    by_cell = {period.keys[i.cell]: i for i in result.intervals}
    assert by_cell[("K1", "s1")].certified and by_cell[("K1", "s1")].high == 310.0
    reference = protect(period, RULES, certify=False)
    assert reference.reasons == result.reasons
    assert result.linear_programmes < reference.linear_programmes


def test_a_lone_hidden_county_is_pinned_and_gets_a_secondary_without_an_attacker_lp():
    # K1 alone hidden in C1: K1 = C1 − K2 − K3 exactly (pinned), short both ways; the mover
    # hides the county that carries the move at least cost.
    period = tree({"C1": {"K1": [100.0], "K2": [40.0], "K3": [300.0]}, "C2": {"K4": [70.0]}},
                  primary=[("K1", "s1")])  # fmt: skip
    [pinned], _ = verify(period, hide(period, {("K1", "s1")}), RULES)
    assert (pinned.low, pinned.high) == pytest.approx((100.0, 100.0))
    assert not pinned.protected and not pinned.certified
    result = protect(period, RULES)
    assert hidden_of(period, result) == {("K1", "s1"), ("K2", "s1")}  # 40 t ≥ 15 t, cheapest
    [interval] = result.intervals
    assert interval.certified and (interval.low, interval.high) == (0.0, 140.0)
    assert result.linear_programmes == 1  # the mover's; the pinned ends needed no LP
    reference = protect(period, RULES, certify=False)
    assert reference.reasons == result.reasons
    # K1's maximum, the mover, K1's minimum once K2 is hidden, and the last check's maximum
    # (its minimum was solved in the same component)
    assert reference.linear_programmes == 4
    [lp] = reference.intervals
    assert (lp.low, lp.high) == pytest.approx((0.0, 140.0)) and not lp.certified


def test_an_identity_that_ties_a_value_to_pinned_values_forbids_the_certificate():
    # Cells K1 and K2 (hidden) with total = energy + process; their totals add up to C's (so,
    # without the identity, K1's and K2's totals would be twins), but K1's energy and process
    # are pinned by published regions R1 and R2 (K1 their only member): K1's total is pinned.
    keys = [("K1", "all"), ("K2", "all"), ("C", "all"), ("R1", "all"), ("R2", "all")]
    values = np.array(
        [[100.0, 60.0, 40.0], [50.0, 30.0, 20.0], [150.0, 90.0, 60.0], [60.0, 60.0, 60.0],
         [40.0, 40.0, 40.0]]
    )  # fmt: skip
    equations = [
        EquationRows("totals", np.array([0, 1, 2]), np.array([1.0, 1.0, -1.0]), np.zeros(3),
                     np.array([0])),
        EquationRows("energy", np.array([0, 3]), np.array([1.0, -1.0]), np.zeros(3),
                     np.array([1])),
        EquationRows("process", np.array([0, 4]), np.array([1.0, -1.0]), np.zeros(3),
                     np.array([2])),
    ]  # fmt: skip
    identity = RelationRows(np.array([0, 1, 2]), np.array([1.0, -1.0, -1.0]), "=")
    period = Period(2023, keys, values, ["primary_units", None, None, None, None],
                    np.zeros(5, dtype=bool), equations, [identity],
                    ("total", "energy", "process"))  # fmt: skip
    hidden = hide(period, {("K1", "all"), ("K2", "all")})
    rows = Rows(period)
    labels = twin_labels(rows.columns)
    k1, k2 = rows.variable[0, 0], rows.variable[1, 0]
    assert labels[k1] != labels[k2]  # the identity rows tell them apart
    without = Rows(Period(2023, keys, values, period.primary, period.fixed, equations,
                          value_columns=period.value_columns))  # fmt: skip
    assert twin_labels(without.columns)[k1] == twin_labels(without.columns)[k2]
    intervals, _ = verify(period, hidden, RULES)
    total = next(i for i in intervals if i.column == 0)
    assert not total.certified and not total.protected
    assert (total.low, total.high) == pytest.approx((100.0, 100.0))
    reference, _ = verify(period, hidden, RULES, certify=False)
    assert [end for i in intervals for end in (i.low, i.high)] == pytest.approx(
        [end for i in reference for end in (i.low, i.high)]
    )


def test_a_cell_in_no_equation_is_free_and_a_negative_value_turns_the_certificate_off():
    period = tree({"C1": {"K1": [100.0], "K2": [50.0]}}, primary=[("K1", "s1"), ("K2", "s1")])
    lonely = Period(2023, [*period.keys, ("X", "s1")], np.vstack([period.values, [[5.0]]]),
                    [*period.primary, "primary_units"], np.append(period.fixed, False),
                    period.equations)  # fmt: skip
    intervals, _ = verify(lonely, np.array([*hide(period, set(period.keys[:2])), True]), RULES)
    assert intervals[-1].certified and (intervals[-1].low, intervals[-1].high) == (0.0, np.inf)
    # A negative county: the true table is no table of the attacker's (values >= 0): LPs only.
    negative = tree({"C1": {"K1": [100.0], "K2": [-5.0], "K3": [50.0]}},
                    primary=[("K1", "s1")])  # fmt: skip
    hidden = hide(negative, {("K1", "s1"), ("K2", "s1"), ("K3", "s1")})
    assert not engine.truth_is_a_table(negative, Rows(negative))
    intervals, solved = verify(negative, hidden, RULES)
    assert solved == 2 and not any(i.certified for i in intervals)


def test_twin_labels_are_exact_even_when_every_hash_collides(monkeypatch):
    period = tree(
        {"C1": {"K1": [1.0, 2.0], "K2": [3.0, 4.0]}, "C2": {"K3": [5.0, 6.0], "K4": [1.0, 1.0]}}
    )
    columns = Rows(period).columns
    honest = twin_labels(columns)
    monkeypatch.setattr(engine, "_mix", lambda x: np.zeros_like(x))
    colliding = twin_labels(columns)
    dense = columns.toarray().T
    for a in range(len(dense)):
        for b in range(len(dense)):
            same = bool(np.array_equal(dense[a], dense[b]) and dense[a].any())
            assert (honest[a] == honest[b] and honest[a] >= 0) == same
            assert (colliding[a] == colliding[b] and colliding[a] >= 0) == same


def test_the_kept_components_are_those_of_the_hidden_cells_as_cells_are_hidden():
    rng = np.random.default_rng(11)
    for _ in range(30):
        period = random_tree(rng)
        rows = Rows(period)
        hidden = rng.random(len(period.keys)) < 0.3
        groups = engine._Groups(rows, hidden)
        for cell in rng.permutation(np.flatnonzero(~hidden))[:5].tolist():
            hidden[cell] = True
            groups.add(cell)
            expected = engine.components(period, hidden, rows)
            for member, component in expected.items():
                assert sorted(groups.group(member)[1]) == component


# --- the certificate changes no decision -----------------------------------------------------


def random_tree(rng: np.random.Generator, margins: bool | None = None):
    sectors = int(rng.integers(1, 4))
    cities = {}
    for c in range(int(rng.integers(1, 5))):
        cities[f"C{c + 1}"] = {
            f"K{c + 1}{k + 1}": [
                float(
                    rng.choice([0, rng.integers(1, 2000), rng.integers(1, 50)], p=[0.1, 0.7, 0.2])
                )
                for _ in range(sectors)
            ]
            for k in range(int(rng.integers(1, 6)))
        }
    codes = [code for counties in cities.values() for code in counties] + list(cities) + ["P"]
    keys = [(code, f"s{s + 1}") for code in codes for s in range(sectors)]
    primary = [key for key in keys if rng.random() < 0.3]
    fixed = ("P",) if rng.random() < 0.5 else ()
    margins = bool(rng.random() < 0.4) if margins is None else margins
    return tree(cities, primary, fixed, margins)


def outcome(period, certify):
    try:
        result = protect(period, RULES, certify)
    except DisclosureError as error:
        return str(error), None
    return result.reasons, result


def test_the_engine_decides_alike_with_and_without_the_certificate_on_random_hierarchies():
    rng = np.random.default_rng(2024)
    certified = refused = solved = reference_solved = 0
    for _ in range(120):
        period = random_tree(rng)
        reasons, result = outcome(period, True)
        reference, lp = outcome(period, False)
        assert reasons == reference
        if result is None:
            refused += 1
            continue
        certified += result.certified_values
        solved += result.linear_programmes
        reference_solved += lp.linear_programmes
        for interval, exact in zip(result.intervals, lp.intervals, strict=True):
            assert interval.protected and exact.protected
            if interval.certified:  # the certificate's interval lies within the LPs'
                assert exact.low <= interval.low + 1e-6 and exact.high >= interval.high - 1e-6
            else:
                assert (interval.low, interval.high) == pytest.approx((exact.low, exact.high))
    assert certified > 100 and refused > 0  # both paths were exercised
    assert solved < reference_solved


def test_the_engine_decides_alike_with_and_without_the_certificate_on_the_existing_problems():
    for period in (grid_period(), grid_period(units={}, shares={("K3", "s3"): 0.9})):
        assert outcome(period, True)[0] == outcome(period, False)[0]
    grid = {"K1": [1900.0, 40.0, 60.0], "K2": [800.0, 400.0, 400.0], "K3": [900.0, 300.0, 600.0]}
    assert "cannot be protected" in outcome(grid_period(grid), True)[0]
    assert outcome(grid_period(grid), True)[0] == outcome(grid_period(grid), False)[0]


# --- the audit's certificate passes and fails exactly what its LPs do ------------------------


def key_of(finding):
    return (finding.period, finding.cell, finding.column, finding.problem, finding.table)


def assert_same_audit(certified, reference):
    assert [key_of(f) for f in certified.findings] == [key_of(f) for f in reference.findings]
    assert [key_of(f) for f in certified.failures] == [key_of(f) for f in reference.failures]
    assert certified.linear_programmes <= reference.linear_programmes
    for finding, exact in zip(certified.findings, reference.findings, strict=True):
        if finding.certified:
            assert finding.problem == "" and finding.low == 0.0
            assert exact.low <= 1e-6 and exact.high >= finding.high - 1e-6 * finding.high
            assert finding.high >= finding.required_high
        elif finding.low is not None:
            assert (finding.low, finding.high) == pytest.approx((exact.low, exact.high))


def nowcast_warehouse(period: Period) -> duckdb.DuckDBPyConnection:
    """A hierarchy as a mart with the nowcast's declaration: in every sector a city's counties
    add up to the city, the cities to P."""
    con = duckdb.connect()
    rows = [
        (2023, code, sector, float(value[0]), 1 if reason else 5)
        for (code, sector), value, reason in zip(
            period.keys, period.values, period.primary, strict=True
        )
    ]
    frame = pl.DataFrame(rows, schema=["year", "division_code", "sector_code", "total_tco2",
                                       "units"], orient="row")  # fmt: skip
    con.register("frame", frame.to_arrow())
    con.execute("create table mart as select *, cast(null as double) as share from frame")
    parents = {
        code: equation.name.split()[0]
        for equation in period.equations
        for code in {period.keys[m][0] for m in equation.members[:-1]}
    }
    con.execute("create table parents (child varchar, parent varchar)")
    con.executemany("insert into parents values (?, ?)", list(parents.items()))
    return con


NOWCAST = {
    "period": "year",
    "cell": ["division_code", "sector_code"],
    "values": ["total_tco2"],
    "reporting_units": "units",
    "largest_share": "share",
    "equations": [{"name": "counties add up to the city, cities to P",
                   "sum_over": "division_code", "parent": "select child, parent from parents"}],
}  # fmt: skip
NOWCAST_COLUMNS = ["year", "division_code", "sector_code", "total_tco2", "is_suppressed"]


def test_the_audit_finds_alike_with_and_without_the_certificate_on_random_hierarchies():
    rng = np.random.default_rng(7)
    declaration = parse("nowcast", NOWCAST)
    certified = failing = 0
    for _ in range(25):
        period = random_tree(rng, margins=False)
        con = nowcast_warehouse(period)
        try:
            suppress_table(con, declaration, "mart", NOWCAST_COLUMNS, {}, RULES)
        except DisclosureError:
            continue
        audits = [
            audit_table(con, declaration, "disclosure.nowcast", "mart", RULES, certify)
            for certify in (True, False)
        ]
        assert audits[0].passed and audits[1].passed
        assert_same_audit(*audits)
        certified += audits[0].certified_values
        # a careless publication: the primary cells and a random few others hidden
        careless = [("-", "-")] + [key for key in period.keys if rng.random() < 0.3]
        con.execute(
            "create or replace table careless_keys (division_code varchar, sector_code varchar)"
        )
        con.executemany("insert into careless_keys values (?, ?)", careless)
        con.execute(
            "create or replace table careless as select * exclude (is_suppressed, total_tco2), "
            "is_suppressed, case when is_suppressed then null else total_tco2 end as total_tco2 "
            "from (select *, units < 3 or (division_code, sector_code) in "
            "(select (division_code, sector_code) from careless_keys) as is_suppressed from mart)"
        )
        audits = [
            audit_table(con, declaration, "careless", "mart", RULES, certify)
            for certify in (True, False)
        ]
        assert_same_audit(*audits)
        failing += len(audits[0].failures)
    assert certified > 20 and failing > 0


def test_the_audit_finds_alike_with_and_without_the_certificate_on_the_existing_problems():
    con = grid_warehouse()
    declaration = parse("grid", DECLARATION)
    columns = ["year", "division_code", "sector_code", "total_tco2", "is_suppressed"]
    suppress_table(con, declaration, "mart", columns, {"by_county": "county_totals"}, RULES)
    assert_same_audit(
        *(audit_table(con, declaration, "disclosure.grid", "mart", RULES, c) for c in (1, 0))
    )

    con = market_warehouse(
        {
            "140100": (1, 500.0, 450.0, 500.0),
            "140200": (5, 900.0, 950.0, 300.0),
            "140300": (4, 60.0, 70.0, 20.0),
            "140400": (6, 2000.0, 1900.0, 400.0),
        }
    )
    market = parse("market", MARKET)
    decided = []
    for certify in (False, True):
        suppress_table(con, market, "market", MARKET_COLUMNS, {}, RULES, certify)
        decided.append(con.execute("select * from disclosure.market__decisions").fetchall())
    assert decided[0] == decided[1]
    assert_same_audit(
        *(audit_table(con, market, "disclosure.market", "market", RULES, c) for c in (1, 0))
    )

    con = joint_warehouse()
    system = systems(JOINT)["division_sector"]
    sources = joint_sources()
    register_published_names(con, {"by_sector": "sector_mart"})
    decided = []
    for certify in (False, True):
        suppress_system(con, system, sources, {"by_sector": "sector_mart"}, RULES, certify)
        decided.append(
            [
                con.execute(f"select * from disclosure.{name}__decisions order by all").fetchall()
                for name in sources
            ]
        )
    assert decided[0] == decided[1]
    published = {name: f"disclosure.{name}" for name in sources}
    truth = {name: source.relation for name, source in sources.items()}
    assert_same_audit(*(audit_system(con, system, published, truth, RULES, c) for c in (1, 0)))


def test_the_audits_certified_finding_reports_the_ends_the_twins_reach():
    period = tree({"C1": {"K1": [100.0], "K2": [50.0], "K3": [200.0]}, "C2": {"K4": [70.0]}},
                  primary=[("K1", "s1"), ("K2", "s1")])  # fmt: skip
    con = nowcast_warehouse(period)
    declaration = parse("nowcast", NOWCAST)
    summary = suppress_table(con, declaration, "mart", NOWCAST_COLUMNS, {}, RULES)
    assert summary.reasons["secondary"] == 0 and summary.certified_values == 2
    assert summary.linear_programmes == 0
    audit = audit_table(con, declaration, "disclosure.nowcast", "mart", RULES)
    assert audit.passed and audit.linear_programmes == 0 and audit.certified_values == 2
    k1 = next(f for f in audit.findings if f.cell == ("K1", "s1"))
    # K1 + K2 = 150 (C1 less K3): K1 reaches 0 and 100 + 50; the LPs find the same here.
    assert k1.certified and (k1.low, k1.high) == (0.0, 150.0)
    assert "reaches [0, 150] or wider (twin certificate), required [85, 115]" in k1.line()
    exact = audit_table(con, declaration, "disclosure.nowcast", "mart", RULES, certify=False)
    assert exact.linear_programmes == 4
    lp = next(f for f in exact.findings if f.cell == ("K1", "s1"))
    assert not lp.certified and (lp.low, lp.high) == pytest.approx((0.0, 150.0))


REGIONS = {
    "period": "year",
    "cell": ["division_code", "sector_code"],
    "values": ["total_tco2", "energy_tco2", "process_tco2"],
    "reporting_units": "units",
    "largest_share": "share",
    "equations": [
        {"name": "the counties' totals add up to C", "sum_over": "division_code",
         "values": ["total_tco2"],
         "parent": "select child, parent from parents where kind = 'city'"},
        {"name": "a region's energy and process are its county's", "sum_over": "division_code",
         "values": ["energy_tco2", "process_tco2"],
         "parent": "select child, parent from parents where kind = 'region'"},
    ],
    "relations": ["total_tco2 = energy_tco2 + process_tco2"],
}  # fmt: skip


def test_the_audit_does_not_certify_a_total_its_identity_ties_to_pinned_parts():
    # K1 and K2 hidden; their totals add up to C's, so without the identity they would be
    # twins, but K1's energy and process are R1's (published): K1's total is pinned at 100.
    con = duckdb.connect()
    con.execute(
        "create table cells as select * from (values "
        "(2023, 'K1', 'all', 100.0, 60.0, 40.0, 1), (2023, 'K2', 'all', 50.0, 30.0, 20.0, 5), "
        "(2023, 'C', 'all', 150.0, 90.0, 60.0, 6), (2023, 'R1', 'all', 100.0, 60.0, 40.0, 5), "
        "(2023, 'R2', 'all', 50.0, 30.0, 20.0, 5)) as t(year, division_code, sector_code, "
        "total_tco2, energy_tco2, process_tco2, units)"
    )
    con.execute("alter table cells add column share double")
    con.execute(
        "create table parents as select * from (values ('K1', 'C', 'city'), ('K2', 'C', 'city'),"
        " ('K1', 'R1', 'region'), ('K2', 'R2', 'region')) as t(child, parent, kind)"
    )
    con.execute(
        "create table careless as select year, division_code, sector_code, is_suppressed, "
        "case when is_suppressed then null else total_tco2 end as total_tco2, "
        "case when is_suppressed then null else energy_tco2 end as energy_tco2, "
        "case when is_suppressed then null else process_tco2 end as process_tco2 "
        "from (select *, division_code in ('K1', 'K2') as is_suppressed from cells)"
    )
    declaration = parse("regions", REGIONS)
    audits = [
        audit_table(con, declaration, "careless", "cells", RULES, certify)
        for certify in (True, False)
    ]
    assert_same_audit(*audits)
    assert audits[0].certified_values == 0
    failures = {f.column: f for f in audits[0].failures}
    assert set(failures) == {"total_tco2", "energy_tco2", "process_tco2"}
    for column, pinned in (("total_tco2", 100.0), ("energy_tco2", 60.0), ("process_tco2", 40.0)):
        failure = failures[column]
        assert failure.problem == "under-protected" and not failure.certified
        assert (failure.low, failure.high) == pytest.approx((pinned, pinned))
    # Without the identity the totals are twins indeed, and the LPs agree that K1's is free.
    loose = parse("regions", {**REGIONS, "relations": []})
    [total] = [f for f in audit_table(con, loose, "careless", "cells", RULES).findings
               if f.column == "total_tco2"]  # fmt: skip
    assert total.certified and (total.low, total.high) == (0.0, 150.0)
