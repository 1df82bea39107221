"""Disclosure control as Dagster assets: ``disclosure_<table>`` for every published table that
suppresses, each with a blocking check that attacks the exact table about to be published."""

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
from publish.release import PublishedTable, published_tables

AUDIT_CHECK = "no_cell_recoverable"
SEED_KEYS = (dg.AssetKey("ref_disclosure_rules"), dg.AssetKey("ref_divisions"))


def table_declarations() -> dict[str, PublishedTable]:
    """Every published table by name: the one place this module reads the declarations."""
    return published_tables()


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
        dg.AssetKey(table.model.split(".")[-1]),
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
            f"{published_relation(table.name)}: {table.model} as it is published, cells that "
            "would reveal an enterprise hidden (primary and secondary suppression, thresholds "
            f"in ref_disclosure_rules); every cell's reason in {decisions_relation(table.name)}."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                AUDIT_CHECK,
                asset=f"disclosure_{table.name}",
                blocking=True,
                description=(
                    "The attacker's LPs (minimum and maximum of every hidden cell under every "
                    "published equation, values >= 0) on the table to be published: every cell "
                    "the primary rule protects keeps its protection interval, or publication stops."
                ),
            )
        ],
    )
    def disclosure_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            rules = rules_from_warehouse(con)
            summary = suppress_table(con, declaration, table.model, columns, margins, rules)
            for line in summary.pinned_by_margins:
                context.log.warning(line)
            yield dg.MaterializeResult(
                metadata={
                    "cells": summary.cells,
                    **{f"cells_{reason}": count for reason, count in summary.reasons.items()},
                    "pinned_by_margins": len(summary.pinned_by_margins),
                    "linear_programmes": summary.linear_programmes,
                    "cpu_seconds": round(summary.cpu_seconds, 2),
                    "dagster/table_name": published_relation(table.name),
                }
            )
            register_published_names(con, margins)
            audit = audit_table(
                con, declaration, published_relation(table.name), table.model, rules
            )
        failures = [finding.line(table.name) for finding in audit.failures]
        for line in failures:
            context.log.error(line)
        yield dg.AssetCheckResult(
            check_name=AUDIT_CHECK,
            passed=audit.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                "\n".join(failures)
                if failures
                else f"every one of {len(audit.findings)} protected cell values keeps "
                f"±{rules.protection_level:.0%} against the published equations"
                + (
                    f" ({len(audit.pinned)} as far as other tables' margins allow)"
                    if audit.pinned
                    else ""
                )
            ),
            metadata={
                "hidden_cells": audit.hidden_cells,
                "checked": len(audit.findings),
                "under_protected": len(failures),
                "pinned_by_margins": dg.MetadataValue.json(
                    [finding.line(table.name) for finding in audit.pinned]
                ),
                "linear_programmes": audit.linear_programmes,
            },
        )

    return disclosure_asset


def disclosure_definitions() -> list[dg.AssetsDefinition]:
    tables = table_declarations()
    return [build_disclosure_asset(t, tables) for t in tables.values() if t.disclosure]
