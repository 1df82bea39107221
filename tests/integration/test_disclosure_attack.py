"""The attacker on the whole graph's output: every hidden cell of the published tables, its
minimum and maximum under every published equation (LP, values >= 0), read from the release."""

from __future__ import annotations

import duckdb
import pytest

from disclosure.audit import audit_table
from disclosure.declaration import parse
from disclosure.rules import DisclosureRules
from publish.tables import published_tables

pytestmark = pytest.mark.integration


# The carbon-market table is empty on this sample (its first compliance year is 2021): its rule
# is tested on hand-made cells in tests/unit/test_disclosure.py.
def test_no_primary_cell_of_the_release_can_be_narrowed_below_its_protection(built):
    name = "emissions_by_division_sector"
    settings = built.settings
    table = published_tables()[name]
    declaration = parse(name, table.disclosure)
    published = settings.published_dir
    con = duckdb.connect()
    # What an outsider has: the released Parquet files of the table and of its margins.
    for released in {name, *declaration.margins_from}:
        con.execute(
            f"create view {released} as select * replace (cast(year as integer) as year) from "
            f"read_parquet('{published / released}/year=*/*.parquet', hive_partitioning = true)"
        )
    # The true values (to judge the intervals) and the reference codes, from the warehouse.
    con.execute(f"attach '{settings.warehouse_path}' as warehouse (read_only)")
    con.execute("create schema reference")
    for seed in ("ref_divisions", "ref_disclosure_rules"):
        con.execute(f"create view reference.{seed} as select * from warehouse.reference.{seed}")
    rules = DisclosureRules.from_seed()
    source = f"warehouse.{table.relation}"
    audit = audit_table(con, declaration, name, source, rules)
    assert audit.hidden_cells > 0 and audit.findings
    assert audit.passed, "\n".join(finding.line(name) for finding in audit.failures)
    for finding in audit.findings:
        assert finding.low <= finding.required_low + 1e-6 * finding.value + 1e-6
        assert finding.high >= finding.required_high - 1e-6 * finding.value - 1e-6
        if finding.problem != "pinned by margins":
            assert finding.required_low == pytest.approx(
                finding.value * (1 - rules.protection_level)
            )
            assert finding.required_high == pytest.approx(
                finding.value * (1 + rules.protection_level)
            )
    # A cell the margins pin is bounded by a published division total, never by this table.
    for finding in audit.pinned:
        assert finding.high == pytest.approx(finding.required_high)
