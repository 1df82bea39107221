"""Disclosure control as Dagster assets: ``disclosure_<table>`` for every published table that
suppresses. The tables of one disclosure problem (the division × sector cells and the division
totals of emissions_by_county, emissions_by_city and energy_by_division) are materialised
together by one multi-asset, from one decision, so that a cell hidden in one table is hidden
wherever it is published; a blocking check on every one of them attacks exactly the tables
about to be published, under every published equation of the problem."""

import time
from pathlib import Path

import dagster as dg

from disclosure.audit import audit_system
from disclosure.declaration import System, systems
from disclosure.warehouse import (
    Source,
    decisions_relation,
    published_relation,
    register_published_names,
    rules_from_warehouse,
    suppress_system,
)
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource
from publish.tables import PublishedTable, published_tables

AUDIT_CHECK = "no_cell_recoverable"
SEED_KEYS = (
    dg.AssetKey("ref_disclosure_rules"),
    dg.AssetKey("ref_divisions"),
    dg.AssetKey("ref_sectors"),
)


def table_declarations(manifest_path: Path | None = None) -> dict[str, PublishedTable]:
    """Every published table by name (from the dbt manifest): the one place this module reads
    the declarations."""
    return published_tables(manifest_path)


def disclosure_systems(tables: dict[str, PublishedTable]) -> dict[str, System]:
    """Every disclosure problem of the published tables, by the table that owns it."""
    return systems({t.name: dict(t.disclosure) for t in tables.values() if t.disclosure})


def margin_relations(system: System, tables: dict[str, PublishedTable]) -> dict[str, str]:
    """Published name → the relation it is published from, for the tables the margins and the
    known cells read (tables that never suppress)."""
    unknown = [name for name in system.owner.margins_from if name not in tables]
    if unknown:
        raise ValueError(
            f"{system.table}: disclosure margins_from names unpublished table(s) "
            f"{', '.join(unknown)}"
        )
    return {name: tables[name].source_relation for name in system.owner.margins_from}


def asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(f"disclosure_{table}")


def build_disclosure_asset(
    system: System, tables: dict[str, PublishedTable]
) -> dg.AssetsDefinition:
    margins = margin_relations(system, tables)
    sources = {
        part.table: Source(
            tables[part.table].relation, tuple(c.name for c in tables[part.table].columns)
        )
        for part in system.parts
    }
    # The margins and known cells are read from their marts (tables that never suppress, built
    # by the same dbt step as the parts' marts, which these assets depend on), but are not
    # declared dependencies: a failing blocking gate of such a table (emissions_by_sector) would
    # otherwise stop the gates of every table of the problem from running, and a run that fails
    # should name every broken rule.
    unbuilt = [
        name
        for name in system.owner.margins_from
        if tables[name].disclosure is not None or not tables[name].relation.startswith("marts.")
    ]
    if unbuilt:
        raise ValueError(
            f"{system.table}: disclosure margins_from must name marts that never suppress: "
            f"{', '.join(unbuilt)}"
        )
    together = (
        f" (one decision with {', '.join(t for t in system.tables if t != system.table)})"
        if len(system.parts) > 1
        else ""
    )
    specs = [
        dg.AssetSpec(
            asset_key(part.table),
            deps=[dg.AssetKey(tables[part.table].model), *SEED_KEYS],
            group_name="disclosure",
            kinds={"duckdb", "python"},
            description=(
                f"{published_relation(part.table)}: {tables[part.table].relation} as it is "
                "published, cells that would reveal an enterprise hidden (primary and "
                "secondary suppression, thresholds in ref_disclosure_rules)"
                + (together if part.table == system.table else f" (decided with {system.table})")
                + f"; every cell's reason in {decisions_relation(part.table)}."
                + (
                    f" Reads the published totals of {', '.join(system.owner.margins_from)} "
                    "from their marts."
                    if system.owner.margins_from
                    else ""
                )
            ),
            metadata={"dagster/table_name": published_relation(part.table)},
        )
        for part in system.parts
    ]

    @dg.multi_asset(name=f"disclosure_{system.table}", specs=specs, pool=WAREHOUSE_POOL)
    def disclosure_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            rules = rules_from_warehouse(con)
            summary = suppress_system(con, system, sources, margins, rules)
        context.log.info(
            f"{system.table}: {summary.cells} cells of {len(system.parts)} table(s), "
            + ", ".join(f"{count} {reason}" for reason, count in summary.reasons.items())
            + f"; {summary.periods_decided} period(s) decided, {summary.periods_kept} kept from "
            "the last run (inputs unchanged)"
            + f"; {summary.linear_programmes} LPs ({summary.certified_values} values proved "
            f"protected without one) in {summary.cpu_seconds:.1f} s CPU"
        )
        for part in system.parts:
            hidden = summary.hidden[part.table]
            yield dg.MaterializeResult(
                asset_key=asset_key(part.table),
                metadata={
                    "rows": summary.rows[part.table],
                    "hidden_rows": sum(hidden.values()),
                    "hidden_rows_by_period": dg.MetadataValue.json(
                        {str(period): count for period, count in hidden.items()}
                    ),
                    **{
                        f"rows_{reason}": count
                        for reason, count in summary.reasons_by_table[part.table].items()
                    },
                    "periods_decided": summary.periods_decided,
                    "periods_kept": summary.periods_kept,
                    "linear_programmes": summary.linear_programmes,
                    "certified_values": summary.certified_values,
                    "cpu_seconds": round(summary.cpu_seconds, 2),
                },
            )

    return disclosure_asset


def build_disclosure_checks(
    system: System, tables: dict[str, PublishedTable]
) -> dg.AssetChecksDefinition:
    """The attack on the tables to be published, solved once for the problem: a blocking check
    on each table's disclosure asset, failing them all when any value is recoverable (the
    tables are one decision)."""
    margins = margin_relations(system, tables)
    published = {table: published_relation(table) for table in system.tables}
    sources = {table: tables[table].relation for table in system.tables}
    names = {**{name: tables[name].source_relation for name in system.tables}, **margins}

    @dg.multi_asset_check(
        name=f"disclosure_{system.table}_attack",
        pool=WAREHOUSE_POOL,
        specs=[
            dg.AssetCheckSpec(
                AUDIT_CHECK,
                asset=asset_key(table),
                blocking=True,
                description=(
                    "The attacker's LPs (minimum and maximum of every hidden value under every "
                    "published equation of the problem, values >= 0; none where hidden twins "
                    "prove the interval wide enough), rebuilt from the tables to be published"
                    + (f" ({', '.join(system.tables)})" if len(system.tables) > 1 else "")
                    + ": every value the primary rule protects keeps its protection interval, "
                    "or nothing is published."
                ),
            )
            for table in system.tables
        ],
    )
    def attack(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        started = time.process_time()
        with warehouse.connect() as con:
            register_published_names(con, names)
            rules = rules_from_warehouse(con)
            audit = audit_system(con, system, published, sources, rules)
        cpu_seconds = round(time.process_time() - started, 2)
        level = f"±{rules.protection_level:.0%}"
        for finding in audit.failures:
            context.log.error(finding.line())
        for table in system.tables:
            own = audit.of(table)
            failures = [{"line": f.line()} for f in own if f.problem]
            yield dg.AssetCheckResult(
                asset_key=asset_key(table),
                check_name=AUDIT_CHECK,
                passed=audit.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=(
                    f"{len(failures)} protected value(s) of {table} can be narrowed below "
                    f"{level} ({len(audit.failures)} in the tables decided together)"
                    if not audit.passed
                    else f"all {len(own)} protected values of {table} keep {level}"
                ),
                metadata={
                    "hidden_cells": audit.hidden_cells,
                    "checked": len(own),
                    "checked_in_the_problem": len(audit.findings),
                    "failed": len(failures),
                    "failed_expectations": dg.MetadataValue.json(failures),
                    "linear_programmes": audit.linear_programmes,
                    "certified_values": audit.certified_values,
                    "cpu_seconds": cpu_seconds,
                },
            )

    return attack


def disclosure_definitions(
    manifest_path: Path | None = None,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    tables = table_declarations(manifest_path)
    problems = disclosure_systems(tables)
    return (
        [build_disclosure_asset(system, tables) for system in problems.values()],
        [build_disclosure_checks(system, tables) for system in problems.values()],
    )
