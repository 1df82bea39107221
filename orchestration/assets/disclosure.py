"""Disclosure control as Dagster assets: ``disclosure_<table>`` for every published table that
suppresses, each with a blocking check that attacks the exact table about to be published and a
warning check naming the cells that only other tables' published margins keep from protection."""

from pathlib import Path

import dagster as dg

from disclosure.audit import audit_table
from disclosure.declaration import Declaration, parse
from disclosure.warehouse import (
    decisions_relation,
    published_relation,
    register_published_names,
    rules_from_warehouse,
    suppress_table,
)
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource
from publish.tables import PublishedTable, published_tables

AUDIT_CHECK = "no_cell_recoverable"
PINNED_CHECK = "pinned_by_published_margins"
SEED_KEYS = (dg.AssetKey("ref_disclosure_rules"), dg.AssetKey("ref_divisions"))


def table_declarations(manifest_path: Path | None = None) -> dict[str, PublishedTable]:
    """Every published table by name (from the dbt manifest): the one place this module reads
    the declarations."""
    return published_tables(manifest_path)


def margin_relations(declaration: Declaration, tables: dict[str, PublishedTable]) -> dict[str, str]:
    """Published name → the relation it is published from, for the tables the margins read."""
    unknown = [name for name in declaration.margins_from if name not in tables]
    if unknown:
        raise ValueError(
            f"{declaration.table}: disclosure margins_from names unpublished table(s) "
            f"{', '.join(unknown)}"
        )
    return {name: tables[name].source_relation for name in declaration.margins_from}


def build_disclosure_asset(
    table: PublishedTable, tables: dict[str, PublishedTable]
) -> dg.AssetsDefinition:
    declaration = parse(table.name, table.disclosure or {})
    margins = margin_relations(declaration, tables)
    deps = [
        dg.AssetKey(table.model),
        *(tables[name].gated_asset_key for name in declaration.margins_from),
        *SEED_KEYS,
    ]
    columns = [column.name for column in table.columns]

    @dg.asset(
        name=f"disclosure_{table.name}",
        deps=deps,
        group_name="disclosure",
        kinds={"duckdb", "python"},
        pool=WAREHOUSE_POOL,
        description=(
            f"{published_relation(table.name)}: {table.relation} as it is published, cells that "
            "would reveal an enterprise hidden (primary and secondary suppression, thresholds "
            f"in ref_disclosure_rules); every cell's reason in {decisions_relation(table.name)}."
        ),
    )
    def disclosure_asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rules = rules_from_warehouse(con)
            summary = suppress_table(con, declaration, table.relation, columns, margins, rules)
        context.log.info(
            f"{table.name}: {summary.cells} cells, "
            + ", ".join(f"{count} {reason}" for reason, count in summary.reasons.items())
            + f"; {summary.linear_programmes} LPs in {summary.cpu_seconds:.1f} s CPU"
        )
        return dg.MaterializeResult(
            metadata={
                "cells": summary.cells,
                **{f"cells_{reason}": count for reason, count in summary.reasons.items()},
                "pinned_by_margins": len(summary.pinned_by_margins),
                "linear_programmes": summary.linear_programmes,
                "cpu_seconds": round(summary.cpu_seconds, 2),
                "dagster/table_name": published_relation(table.name),
            }
        )

    return disclosure_asset


def build_disclosure_checks(
    table: PublishedTable, tables: dict[str, PublishedTable]
) -> dg.AssetChecksDefinition:
    """The attack on the table to be published, solved once: the blocking check that refuses
    the release, and the warning check naming the cells only other tables' margins bound."""
    key = dg.AssetKey(f"disclosure_{table.name}")
    declaration = parse(table.name, table.disclosure or {})
    margins = margin_relations(declaration, tables)

    @dg.multi_asset_check(
        name=f"disclosure_{table.name}_attack",
        pool=WAREHOUSE_POOL,
        specs=[
            dg.AssetCheckSpec(
                AUDIT_CHECK,
                asset=key,
                blocking=True,
                description=(
                    "The attacker's LPs (minimum and maximum of every hidden cell under every "
                    "published equation, values >= 0), rebuilt from the table to be published and "
                    "its margins: every cell the primary rule protects keeps its protection "
                    "interval, or nothing is published."
                ),
            ),
            dg.AssetCheckSpec(
                PINNED_CHECK,
                asset=key,
                description=(
                    "Cells no suppression of this table can protect to the full interval, because "
                    "a total another table publishes bounds them (a warning: only suppressing "
                    "that total would help)."
                ),
            ),
        ],
    )
    def attack(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            register_published_names(con, margins)
            rules = rules_from_warehouse(con)
            audit = audit_table(
                con, declaration, published_relation(table.name), table.relation, rules
            )
        level = f"±{rules.protection_level:.0%}"
        failures = [{"line": finding.line(table.name)} for finding in audit.failures]
        for failure in failures:
            context.log.error(failure["line"])
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=AUDIT_CHECK,
            passed=audit.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{len(failures)} protected cell value(s) can be narrowed below {level}"
                if failures
                else f"all {len(audit.findings)} protected cell values keep {level} "
                "(or as much as the published margins allow)"
            ),
            metadata={
                "hidden_cells": audit.hidden_cells,
                "checked": len(audit.findings),
                "failed": len(failures),
                "failed_expectations": dg.MetadataValue.json(failures),
                "linear_programmes": audit.linear_programmes,
            },
        )
        pinned = [finding.line(table.name) for finding in audit.pinned]
        for line in pinned:
            context.log.info(line)
        if pinned:
            context.log.warning(
                f"{table.name}: {len(pinned)} cell value(s) only published margins of other "
                f"tables keep within {level}; check {PINNED_CHECK} lists them"
            )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=PINNED_CHECK,
            passed=not pinned,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(pinned)} cell value(s) kept within {level} by published margins alone"
                if pinned
                else "no cell is bounded by another table's margins"
            ),
            metadata={"cells": dg.MetadataValue.json(pinned)},
        )

    return attack


def disclosure_definitions(
    manifest_path: Path | None = None,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    tables = table_declarations(manifest_path)
    suppressing = [t for t in tables.values() if t.disclosure]
    return (
        [build_disclosure_asset(t, tables) for t in suppressing],
        [build_disclosure_checks(t, tables) for t in suppressing],
    )
