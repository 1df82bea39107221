"""Disclosure control on the warehouse: read a suppressing table's unsuppressed mart and its
published margins, decide its hidden cells, write ``disclosure.<table>`` (exactly the published
columns, suppressed values null) and ``disclosure.<table>__decisions`` (every cell and its
reason; never published)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
import polars as pl

from disclosure.cells import FIXED, EquationData, periods
from disclosure.declaration import Declaration
from disclosure.engine import protect
from disclosure.rules import REASONS, SEED, DisclosureRules

SCHEMA = "disclosure"


def rules_from_warehouse(con: duckdb.DuckDBPyConnection) -> DisclosureRules:
    """The thresholds as dbt loaded them (reference.ref_disclosure_rules)."""
    return DisclosureRules.from_frame(
        con.sql(f"select rule_code, value from reference.{SEED}").pl()
    )


def register_published_names(con: duckdb.DuckDBPyConnection, relations: dict[str, str]) -> None:
    """Temporary views named after published tables, over the relation each is published from,
    so margin queries speak of published tables only."""
    for name, relation in relations.items():
        con.execute(f"create or replace temporary view {name} as select * from {relation}")


def decisions_relation(table: str) -> str:
    return f"{SCHEMA}.{table}__decisions"


def published_relation(table: str) -> str:
    return f"{SCHEMA}.{table}"


@dataclass
class Summary:
    table: str
    cells: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    pinned_by_margins: list[str] = field(default_factory=list)
    linear_programmes: int = 0
    cpu_seconds: float = 0.0


def read_equations(con: duckdb.DuckDBPyConnection, declaration: Declaration) -> list[EquationData]:
    data = []
    for equation in declaration.equations:
        if equation.margin:
            data.append(
                EquationData(equation.name, equation.sum_over, margin=con.sql(equation.margin).pl())
            )
        else:
            data.append(
                EquationData(equation.name, equation.sum_over, parent=con.sql(equation.parent).pl())
            )
    return data


def suppress_table(
    con: duckdb.DuckDBPyConnection,
    declaration: Declaration,
    source: str,
    published_columns: list[str],
    margin_relations: dict[str, str],
    rules: DisclosureRules,
) -> Summary:
    """Decide and write the table's suppression; returns what was decided and what it cost."""
    started = time.process_time()
    register_published_names(con, margin_relations)
    key = list(declaration.key)
    values = ", ".join(f"cast({column} as double) as {column}" for column in declaration.values)
    fixed = declaration.never_hidden or "false"
    cells = con.sql(
        f"select {', '.join(key)}, {values}, {declaration.reporting_units}, "
        f"cast({declaration.largest_share} as double) as {declaration.largest_share}, "
        f"({fixed}) as {FIXED} from {source}"
    ).pl()
    summary = Summary(declaration.table, cells=cells.height)
    decided = []
    for period in periods(declaration, cells, read_equations(con, declaration), rules):
        result = protect(period, rules)
        summary.linear_programmes += result.linear_programmes
        for reason in result.reasons:
            if reason is not None:
                summary.reasons[reason] += 1
        for interval in result.pinned_by_margins:
            summary.pinned_by_margins.append(
                f"{declaration.table} {period.label} {period.keys[interval.cell]} "
                f"{period.value_columns[interval.column]}: {interval.value:,.0f} can only be kept "
                f"within [{interval.required_low:,.0f}, {interval.required_high:,.0f}] "
                "(bounded by published margins)"
            )
        decided += [
            (period.label, *cell_key, reason, hidden)
            for cell_key, reason, hidden in zip(
                period.keys, result.reasons, result.hidden, strict=True
            )
        ]
    decisions = pl.DataFrame(
        decided,
        schema={
            **{column: cells.schema[column] for column in key},
            "suppression_reason": pl.String,
            "is_suppressed": pl.Boolean,
        },
        orient="row",
    )
    hidden_columns = set(declaration.values) | set(declaration.withheld)
    selected = []
    for column in published_columns:
        if column == declaration.flag:
            selected.append("decisions.is_suppressed")
        elif column in hidden_columns:
            selected.append(
                f"case when decisions.is_suppressed then null else mart.{column} end as {column}"
            )
        else:
            selected.append(f"mart.{column}")
    joined = " and ".join(f"decisions.{column} = mart.{column}" for column in key)
    con.register("decisions_frame", decisions.to_arrow())
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create or replace table {decisions_relation(declaration.table)} as "
            "select * from decisions_frame order by all"
        )
        con.execute(
            f"create or replace table {published_relation(declaration.table)} as "
            f"select {', '.join(selected)} from {source} as mart "
            f"inner join {decisions_relation(declaration.table)} as decisions on {joined} "
            f"order by {', '.join(f'mart.{column}' for column in key)}"
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("decisions_frame")
    summary.cpu_seconds = time.process_time() - started
    return summary
