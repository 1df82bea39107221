"""Disclosure control on the warehouse: read the unsuppressed marts of a disclosure problem's
tables and its published margins, decide its hidden cells once for all of them, write each
table's ``disclosure.<table>`` (exactly the published columns, suppressed values null) and
``disclosure.<table>__decisions`` (each of its cells and the reason; never published)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
import polars as pl

from disclosure.cells import FIXED, SHARE, UNITS, EquationData, periods
from disclosure.declaration import Declaration, Part, System
from disclosure.engine import protect
from disclosure.reuse import DIGEST_COLUMN, keys_digest, period_digest
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


def kept_relation(owner: str) -> str:
    """Every cell's decision of the problem with its period's digest, for the next run."""
    return f"{SCHEMA}.{owner}__kept_decisions"


def _previous_decisions(
    con: duckdb.DuckDBPyConnection, owner: str, period_column: str
) -> dict[str, tuple[str, list, list]]:
    """The last run's decisions by period (as text): its digest, reasons and flags in the
    period's key order; empty when there is none (the first run, or an older layout)."""
    relation = kept_relation(owner)
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [SCHEMA, relation.split(".", 1)[1]],
    ).fetchall()[0][0]
    if not exists:
        return {}
    frame = con.sql(
        f"select cast({period_column} as varchar) as period, {DIGEST_COLUMN}, "
        f"suppression_reason, is_suppressed from {relation} order by period, cell_position"
    ).pl()
    kept = {}
    for (period,), group in frame.partition_by("period", as_dict=True, maintain_order=True).items():
        kept[period] = (
            group[DIGEST_COLUMN][0],
            group["suppression_reason"].to_list(),
            group["is_suppressed"].to_list(),
        )
    return kept


def published_relation(table: str) -> str:
    return f"{SCHEMA}.{table}"


@dataclass(frozen=True)
class Source:
    """Where a table of the problem comes from: its unsuppressed mart and its published
    columns (the suppression flag among them)."""

    relation: str
    columns: tuple[str, ...]


@dataclass
class Summary:
    table: str  # the problem's owner
    cells: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    linear_programmes: int = 0  # LPs solved
    certified_values: int = 0  # primary values proved protected by the twin certificate alone
    periods_decided: int = 0  # periods solved in this run
    periods_kept: int = 0  # periods whose digest was the last run's: its decision kept
    cpu_seconds: float = 0.0
    # per table: its rows, and its hidden rows per period
    rows: dict[str, int] = field(default_factory=dict)
    hidden: dict[str, dict[object, int]] = field(default_factory=dict)
    reasons_by_table: dict[str, dict[str, int]] = field(default_factory=dict)


def part_cells_sql(system: System, part: Part, relation: str, rule_inputs: bool) -> str:
    """The part's rows as cells: period, cell columns, its values (and the rule's inputs)."""
    cell = ", ".join(f"({expression}) as {column}" for column, expression in part.cell)
    values = ", ".join(f"cast({column} as double) as {column}" for column in part.values)
    extra = ""
    if rule_inputs:
        units = part.reporting_units or "cast(null as bigint)"
        share = f"cast({part.largest_share} as double)" if part.largest_share else "null"
        extra = f", {units} as {UNITS}, cast({share} as double) as {SHARE}, " + (
            f"coalesce(({part.never_hidden or 'false'}), false) as {FIXED}"
        )
    return f"select {system.period}, {cell}, {values}{extra} from {relation}"


def read_equations(con: duckdb.DuckDBPyConnection, declaration: Declaration) -> list[EquationData]:
    data = []
    for equation in declaration.equations:
        frames = (
            {"margin": con.sql(equation.margin).pl()}
            if equation.margin
            else {"parent": con.sql(equation.parent).pl()}
        )
        data.append(
            EquationData(equation.name, equation.sum_over, values=equation.values, **frames)
        )
    return data


def suppress_system(
    con: duckdb.DuckDBPyConnection,
    system: System,
    sources: dict[str, Source],
    margin_relations: dict[str, str],
    rules: DisclosureRules,
    certify: bool = True,
    reuse: bool = True,
) -> Summary:
    """Decide the problem's suppression and write every table of it (one transaction); returns
    what was decided and what it cost. ``certify``: as ``disclosure.engine.protect`` (False:
    every interval by LP, for comparison). A period whose digest (``disclosure.reuse``) is the
    one kept by the last run keeps its decision (``reuse=False``: every period solved)."""
    started = time.process_time()
    register_published_names(con, margin_relations)
    rows = {
        part.table: con.sql(
            part_cells_sql(system, part, sources[part.table].relation, rule_inputs=True)
        ).pl()
        for part in system.cell_parts
    }
    known = [con.sql(entry.query).pl() for entry in system.owner.known]
    summary = Summary(system.table)
    key = list(system.key)
    columns: list[list] = [[] for _ in key]  # the decisions, column by column
    reasons: list[str | None] = []
    hidden: list[bool] = []
    digests: list[str] = []
    positions: list[int] = []
    previous = _previous_decisions(con, system.table, system.period) if reuse else {}
    key_columns: tuple[list[tuple], list[tuple]] | None = None  # a period's keys, by column
    shared_keys: tuple[list[tuple], str] | None = None  # a key list and its digest
    for period in periods(system, rows, known, read_equations(con, system.owner), rules):
        if shared_keys is None or shared_keys[0] is not period.keys:
            shared_keys = (period.keys, keys_digest(period.keys))
        digest = period_digest(period, rules, shared_keys[1])
        kept = previous.get(str(period.label))
        if kept is not None and kept[0] == digest and len(kept[1]) == len(period.keys):
            period_reasons, period_hidden = kept[1], kept[2]
            summary.periods_kept += 1
        else:
            result = protect(period, rules, certify)
            summary.linear_programmes += result.linear_programmes
            summary.certified_values += result.certified_values
            summary.periods_decided += 1
            period_reasons, period_hidden = result.reasons, result.hidden
        if key_columns is None or key_columns[0] is not period.keys:  # periods share keys
            key_columns = (period.keys, list(zip(*period.keys, strict=True)))
        columns[0] += [period.label] * len(period.keys)
        for column, values in zip(columns[1:], key_columns[1], strict=True):
            column += values
        reasons += period_reasons
        hidden += period_hidden
        digests += [digest] * len(period.keys)
        positions += range(len(period.keys))
    first = rows[system.parts[0].table]
    decisions = pl.DataFrame(
        [
            *(
                pl.Series(column, values, dtype=first.schema[column])
                for column, values in zip(key, columns, strict=True)
            ),
            pl.Series("suppression_reason", reasons, dtype=pl.String),
            pl.Series("is_suppressed", hidden, dtype=pl.Boolean),
        ]
    )
    kept_frame = decisions.with_columns(
        pl.Series(DIGEST_COLUMN, digests, dtype=pl.String),
        pl.Series("cell_position", positions, dtype=pl.Int64),
    )
    summary.cells = decisions.height
    for reason, count in decisions["suppression_reason"].drop_nulls().value_counts().iter_rows():
        summary.reasons[reason] += count
    con.register("decisions_frame", decisions.to_arrow())
    con.register("kept_frame", kept_frame.to_arrow())
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            "create or replace temporary table system_decisions as select * from decisions_frame"
        )
        for part in system.parts:
            _write_part(con, system, part, sources[part.table], summary)
        con.execute(
            f"create or replace table {kept_relation(system.table)} as select * from kept_frame"
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("decisions_frame")
        con.unregister("kept_frame")
    summary.cpu_seconds = time.process_time() - started
    return summary


def _write_part(
    con: duckdb.DuckDBPyConnection, system: System, part: Part, source: Source, summary: Summary
) -> None:
    cell_columns = ", ".join(
        f"({expression}) as _cell_{column}" for column, expression in part.cell
    )
    joined = " and ".join(
        [f"decisions.{system.period} = mart.{system.period}"]
        + [f"decisions.{column} = mart._cell_{column}" for column, _ in part.cell]
    )
    mart = f"(select *, {cell_columns} from {source.relation}) as mart"
    con.execute(
        f"create or replace table {decisions_relation(part.table)} as "
        f"select distinct decisions.* from system_decisions as decisions "
        f"inner join {mart} on {joined} order by all"
    )
    hidden_columns = set(part.values) | set(part.withheld)
    # A column resting on another cell too (withheld_with) is shown only where that cell is a
    # visible cell of the problem: its own cell's decision and every other's must allow it.
    other_cells = []
    shown_with: dict[str, list[str]] = {}
    for index, dependency in enumerate(part.withheld_with):
        alias = f"other_{index}"
        on = " and ".join(
            f"{alias}.{column} = mart._dep_{index}_{column}" for column, _ in dependency.cell
        )
        other_cells.append(f"left join system_decisions as {alias} on {on}")
        for column in dependency.columns:
            shown_with.setdefault(column, []).append(f"{alias}.is_suppressed = false")
    # A part with values of its own is cells of the problem: every row must be one. A part
    # that only follows (no values: its columns are withheld with cells of the problem) may
    # have rows whose own cell is none (a plan's later years, before their emissions exist):
    # such a row hides nothing of its own, and what rests on other cells follows those.
    follows = not part.values
    own = "coalesce(decisions.is_suppressed, false)" if follows else "decisions.is_suppressed"
    selected = []
    for column in source.columns:
        if column == part.flag:
            selected.append(f"{own} as {column}")
        elif column in hidden_columns or column in shown_with:
            conditions = shown_with.get(column, [])
            if column in hidden_columns:
                conditions = [f"not {own}", *conditions]
            selected.append(
                f"case when {' and '.join(conditions)} then mart.{column} end as {column}"
            )
        else:
            selected.append(f"mart.{column}")
    dependency_columns = "".join(
        f", ({expression}) as _dep_{index}_{column}"
        for index, dependency in enumerate(part.withheld_with)
        for column, expression in dependency.cell
    )
    mart = f"(select *, {cell_columns}{dependency_columns} from {source.relation}) as mart"
    order = ", ".join(
        [f"mart.{system.period}"] + [f"mart._cell_{column}" for column, _ in part.cell]
    )
    con.execute(
        f"create or replace table {published_relation(part.table)} as "
        f"select {', '.join(selected)} from {mart} "
        f"{'left' if follows else 'inner'} join {decisions_relation(part.table)} as decisions "
        f"on {joined} "
        f"{' '.join(other_cells)} order by {order}"
    )
    rows, *_ = con.execute(f"select count(*) from {source.relation}").fetchone()
    published, *_ = con.execute(f"select count(*) from {published_relation(part.table)}").fetchone()
    if published != rows:
        raise RuntimeError(
            f"{part.table}: {rows} rows in {source.relation} but {published} cells decided "
            "(a row is no cell of the problem)"
        )
    summary.rows[part.table] = rows
    summary.hidden[part.table] = dict(
        con.execute(
            f"select {system.period}, count(*) filter (where is_suppressed) "
            f"from {decisions_relation(part.table)} group by all order by all"
        ).fetchall()
    )
    summary.reasons_by_table[part.table] = dict(
        con.execute(
            f"select suppression_reason, count(*) from {decisions_relation(part.table)} "
            "where suppression_reason is not null group by all order by all"
        ).fetchall()
    )


def suppress_table(
    con: duckdb.DuckDBPyConnection,
    declaration: Declaration,
    source: str,
    published_columns: list[str],
    margin_relations: dict[str, str],
    rules: DisclosureRules,
    certify: bool = True,
    reuse: bool = True,
) -> Summary:
    """One table that is a disclosure problem on its own (no joint tables)."""
    return suppress_system(
        con,
        System.single(declaration),
        {declaration.table: Source(source, tuple(published_columns))},
        margin_relations,
        rules,
        certify,
        reuse,
    )
