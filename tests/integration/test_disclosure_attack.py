"""The attacker on the whole graph's output: every hidden value of the published tables, its
minimum and maximum under every published equation (LP, values >= 0), read from the release:
the division × sector cells and the division totals of emissions_by_county, emissions_by_city
and energy_by_division, one problem, with the province's totals of emissions_by_sector."""

from __future__ import annotations

import duckdb
import pytest

from disclosure.audit import audit_system
from disclosure.declaration import systems
from disclosure.rules import DisclosureRules
from publish.tables import published_tables

pytestmark = pytest.mark.integration


def attack(settings, name: str):
    tables = published_tables()
    system = systems({t.name: dict(t.disclosure) for t in tables.values() if t.disclosure})[name]
    con = duckdb.connect()
    # What an outsider has: the released Parquet files of the tables and of their margins.
    for released in {*system.tables, *system.owner.margins_from}:
        con.execute(
            f"create view {released} as select * replace (cast(year as integer) as year) from "
            f"read_parquet('{settings.published_dir / released}/year=*/*.parquet', "
            "hive_partitioning = true)"
        )
    # The true values (to judge the intervals) and the reference codes, from the warehouse.
    con.execute(f"attach '{settings.warehouse_path}' as warehouse (read_only)")
    con.execute("create schema reference")
    for seed in ("ref_divisions", "ref_sectors", "ref_disclosure_rules"):
        con.execute(f"create view reference.{seed} as select * from warehouse.reference.{seed}")
    sources = {table: f"warehouse.{tables[table].relation}" for table in system.tables}
    audit = audit_system(
        con, system, {t: t for t in system.tables}, sources, DisclosureRules.from_seed()
    )
    return con, system, audit


# The carbon-market table is empty on this sample (its first compliance year is 2021): its rule
# is tested on hand-made cells in tests/unit/test_disclosure.py.
def test_no_primary_value_of_the_release_can_be_narrowed_below_its_protection(built):
    con, system, audit = attack(built.settings, "emissions_by_division_sector")
    rules = DisclosureRules.from_seed()
    assert audit.hidden_cells > 0 and audit.findings
    assert audit.passed, "\n".join(finding.line() for finding in audit.failures)
    for finding in audit.findings:  # no exception: the full interval, every value
        assert finding.low <= finding.value * (1 - rules.protection_level) * (1 + 1e-6) + 1e-6
        assert finding.high >= finding.value * (1 + rules.protection_level) * (1 - 1e-6) - 1e-6
    # The county totals that pinned sector cells (a county of one or two plants) are hidden,
    # and hidden alike in every table that publishes the row.
    hidden = con.execute("select count(*) from emissions_by_county where is_suppressed").fetchone()[
        0
    ]
    assert hidden > 0
    disagreeing = con.execute(
        "select count(*) from energy_by_division as e join (select year, division_code, "
        "is_suppressed from emissions_by_county union all select year, division_code, "
        "is_suppressed from emissions_by_city) as t using (year, division_code) "
        "where e.is_suppressed <> t.is_suppressed"
    ).fetchone()[0]
    assert disagreeing == 0
    # Before: the county totals published whole (as the release before this change had them).
    con.execute(
        "create or replace view emissions_by_county as select p.* replace "
        "(cast(p.year as integer) as year, m.total_tco2 as total_tco2, m.energy_tco2 as "
        "energy_tco2, m.process_tco2 as process_tco2, m.electricity_indirect_tco2 as "
        "electricity_indirect_tco2, m.heat_indirect_tco2 as heat_indirect_tco2, false as "
        "is_suppressed) from read_parquet("
        f"'{built.settings.published_dir / 'emissions_by_county'}/year=*/*.parquet', "
        "hive_partitioning = true) as p join warehouse.marts.out_emissions__by_county as m "
        "on m.year = cast(p.year as integer) and m.division_code = p.division_code"
    )
    tables = {t: t for t in system.tables}
    sources = {t: f"warehouse.{published_tables()[t].relation}" for t in system.tables}
    before = audit_system(con, system, tables, sources, rules)
    assert any(
        finding.table == "emissions_by_division_sector" and finding.problem == "under-protected"
        for finding in before.failures
    ), "the county totals pinned no sector cell"
