"""Benchmark: disclosure control of one problem with the exact certificates and with LPs alone.

    .venv/bin/python bench/disclosure.py --warehouse "$EMISSIONS_HOME/warehouse.duckdb"
    .venv/bin/python bench/disclosure.py --warehouse … --periods 0    # every period

It reads a built warehouse (the marts of ``dbt build``), attached read-only: an in-memory
database sees its tables through views, the marts of the problem limited to their first
``--periods`` periods (0: all), and receives the ``disclosure`` tables. The problem (default
``emissions_nowcast_daily``, the daily nowcast: 1,419 cells a day, in every sector a city's
counties add up to the city and the cities to the province) is built from the dbt manifest's
declarations as the code location builds it (``orchestration.assets.disclosure``). Then, in the
same run, first with the certificates off (every interval end by LP: the baseline), then on:

- the engine, ``disclosure.warehouse.suppress_system`` (read the marts, decide, write);
- the audit, ``disclosure.audit.audit_system`` on the tables just written, as the blocking
  check calls it.

Printed per mode: CPU seconds (``time.process_time``, this process, DuckDB's threads included),
LPs solved and values certified, and the ratios off / on. Both modes must hide the same cells
and the audit must find the same values short (none, on the engine's own tables): the bench
exits non-zero if not.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path and bench/ingest.py would shadow
# the `ingest` package: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(REPO)

import duckdb  # noqa: E402  (after the sys.path fix)

from disclosure.audit import audit_system  # noqa: E402
from disclosure.declaration import System  # noqa: E402
from disclosure.warehouse import (  # noqa: E402
    Source,
    decisions_relation,
    published_relation,
    register_published_names,
    rules_from_warehouse,
    suppress_system,
)
from orchestration.assets.disclosure import disclosure_systems, margin_relations  # noqa: E402
from publish.tables import MANIFEST_PATH, PublishedTable, published_tables  # noqa: E402

TABLE = "emissions_nowcast_daily"


@dataclass
class Mode:
    certify: bool
    engine_cpu: float
    engine_lps: int
    engine_certified: int
    audit_cpu: float
    audit_lps: int
    audit_certified: int
    checked: int
    decisions: list[tuple]
    short: list[tuple]


def connect(
    warehouse: Path, system: System, tables: dict[str, PublishedTable], periods: int
) -> duckdb.DuckDBPyConnection:
    """An in-memory database with a view of every table of ``warehouse`` (read-only) under its
    own schema and name, but its own ``disclosure`` schema; the problem's marts limited to their
    first ``periods`` periods (0: all)."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as warehouse (read_only)")
    parts = {tables[part.table].relation for part in system.parts}
    listed = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = 'warehouse' and schema_name <> 'disclosure' "
        "union all select schema_name, view_name from duckdb_views() "
        "where database_name = 'warehouse' and schema_name <> 'disclosure' and not internal"
    ).fetchall()
    for schema, name in listed:
        con.execute(f'create schema if not exists "{schema}"')
        relation = f"{schema}.{name}"
        where = ""
        if relation in parts and periods:
            where = (
                f" where {system.period} in (select distinct {system.period} "
                f"from warehouse.{relation} order by 1 limit {periods})"
            )
        con.execute(
            f'create view "{schema}"."{name}" as select * from warehouse."{schema}"."{name}"'
            + where
        )
    return con


def run_mode(
    con: duckdb.DuckDBPyConnection,
    system: System,
    tables: dict[str, PublishedTable],
    certify: bool,
) -> Mode:
    """The engine, then the audit of what it wrote, as the code location runs them."""
    margins = margin_relations(system, tables)
    sources = {
        part.table: Source(
            tables[part.table].relation, tuple(c.name for c in tables[part.table].columns)
        )
        for part in system.parts
    }
    rules = rules_from_warehouse(con)
    started = time.process_time()
    # Every period solved in both modes: no decision kept from the other mode's run.
    summary = suppress_system(con, system, sources, margins, rules, certify, reuse=False)
    engine_cpu = time.process_time() - started
    decisions = []
    for table in system.tables:
        decisions += con.execute(
            f"select '{table}', * from {decisions_relation(table)} order by all"
        ).fetchall()
    published = {table: published_relation(table) for table in system.tables}
    names = {**{name: tables[name].source_relation for name in system.tables}, **margins}
    started = time.process_time()
    register_published_names(con, names)
    audit = audit_system(
        con, system, published, {t: tables[t].relation for t in system.tables}, rules, certify
    )
    audit_cpu = time.process_time() - started
    return Mode(
        certify,
        engine_cpu,
        summary.linear_programmes,
        summary.certified_values,
        audit_cpu,
        audit.linear_programmes,
        audit.certified_values,
        len(audit.findings),
        decisions,
        [(f.table, f.period, f.cell, f.column, f.problem) for f in audit.failures],
    )


def ratio(baseline: float, measured: float) -> str:
    return f"{baseline / measured:.1f}×" if measured > 0 else "–"


def report(periods: int, cells: int, off: Mode, on: Mode) -> str:
    lines = [
        f"{periods} periods, {cells:,} cells; values the audit checked: {on.checked:,}",
        "| certificates | engine CPU s | engine LPs | certified | audit CPU s | audit LPs | "
        "certified |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mode in (off, on):
        lines.append(
            f"| {'on' if mode.certify else 'off (baseline)'} | {mode.engine_cpu:.1f} | "
            f"{mode.engine_lps:,} | {mode.engine_certified:,} | {mode.audit_cpu:.1f} | "
            f"{mode.audit_lps:,} | {mode.audit_certified:,} |"
        )
    lines.append(
        f"off / on: engine {ratio(off.engine_cpu, on.engine_cpu)}, audit "
        f"{ratio(off.audit_cpu, on.audit_cpu)}, both "
        f"{ratio(off.engine_cpu + off.audit_cpu, on.engine_cpu + on.audit_cpu)}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built warehouse")
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH, help="the dbt manifest")
    parser.add_argument("--table", default=TABLE, help="the table that owns the problem")
    parser.add_argument("--periods", type=int, default=60, help="first periods (0: all)")
    args = parser.parse_args()
    if not args.warehouse.is_file():
        parser.error(f"{args.warehouse}: no such warehouse")
    tables = published_tables(args.manifest)
    system = disclosure_systems(tables)[args.table]
    con = connect(args.warehouse, system, tables, args.periods)
    off = run_mode(con, system, tables, certify=False)
    on = run_mode(con, system, tables, certify=True)
    periods = len({row[1] for row in on.decisions})
    print(report(periods, len(on.decisions), off, on))
    if on.decisions != off.decisions:
        sys.exit("the certificates changed the engine's decisions")
    if on.short != off.short:
        sys.exit("the certificates changed the audit's findings")
    if on.short:
        sys.exit(f"the audit found {len(on.short)} value(s) short in the engine's tables")


if __name__ == "__main__":
    main()
