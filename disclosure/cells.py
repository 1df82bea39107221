"""The engine's view of a disclosure problem: its cells, period by period, assembled from the
rows of every table of the problem (a cell's values are those of the tables that publish it),
with the equations the declaration names (margins and parent codes already fetched as frames)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from disclosure.declaration import System
from disclosure.engine import DisclosureError, EquationRows, Period, RelationRows
from disclosure.rules import DisclosureRules, primary_reasons

FIXED = "_never_hidden"
UNITS = "_reporting_units"
SHARE = "_largest_share"
REASON = "_reason"
COLUMN = "_column"
VALUE = "_value"
TABLE = "_table"
CELL = "_cell"


@dataclass(frozen=True)
class EquationData:
    """A declared equation with what it needs: the margin frame (period, the other cell columns,
    the value columns) or the parent frame (child code, parent code)."""

    name: str
    sum_over: str
    margin: pl.DataFrame | None = None
    parent: pl.DataFrame | None = None
    values: tuple[str, ...] | None = None


def periods(
    system: System,
    rows: dict[str, pl.DataFrame],
    known: list[pl.DataFrame],
    equations: list[EquationData],
    rules: DisclosureRules,
) -> list[Period]:
    """``rows``: each table's rows as cells (period, cell columns, its value columns, and
    ``_reporting_units``, ``_largest_share``, ``_never_hidden``), one row per cell; ``known``:
    frames of cells published by tables that never suppress (period, cell columns, values)."""
    key = list(system.key)
    value_columns = list(system.values)
    long_parts, rule_parts = [], []
    for part in system.cell_parts:
        frame = rows[part.table]
        duplicated = frame.select(key).is_duplicated()
        if duplicated.any():
            first = frame.filter(duplicated).row(0, named=True)
            raise DisclosureError(f"{part.table}: cell {first} appears more than once")
        values = frame.select(
            pl.col(column).cast(pl.Float64).fill_null(0.0) for column in part.values
        )
        if part.reporting_units:
            reasons = primary_reasons(
                values[part.values[0]].to_list(),
                frame[UNITS].to_list(),
                frame[SHARE].to_list(),
                rules,
            )
        else:
            reasons = [None] * frame.height
        rule_parts.append(
            frame.select(key).with_columns(
                pl.Series(REASON, reasons, dtype=pl.String),
                frame[FIXED].cast(pl.Boolean).fill_null(False).alias(FIXED),
            )
        )
        long_parts.append(_long(frame.select(key).hstack(values), key, part.values, part.table))
    for index, frame in enumerate(known):
        columns = [c for c in frame.columns if c in value_columns]
        values = frame.select(pl.col(c).cast(pl.Float64).fill_null(0.0) for c in columns)
        long_parts.append(_long(frame.select(key).hstack(values), key, columns, f"known {index}"))
        rule_parts.append(
            frame.select(key).with_columns(
                pl.lit(None, dtype=pl.String).alias(REASON), pl.lit(True).alias(FIXED)
            )
        )
    long = pl.concat(_aligned(long_parts, key))
    clash = long.select(*key, COLUMN).is_duplicated()
    if clash.any():
        first = long.filter(clash).sort(*key, COLUMN, TABLE)
        tables = first.head(2)[TABLE].to_list()
        row = first.row(0, named=True)
        raise DisclosureError(
            f"{system.table}: cell {tuple(row[c] for c in key)} has {row[COLUMN]} from both "
            f"{tables[0]} and {tables[1]}"
        )
    rules_of = (
        pl.concat(_aligned(rule_parts, key))
        .group_by(key, maintain_order=True)
        .agg(pl.col(REASON).drop_nulls().first(), pl.col(FIXED).any())
        .sort(key)
    )
    # every value's cell: its position among its period's cells (the order of ``rules_of``)
    rules_of = rules_of.with_columns(pl.int_range(pl.len()).over(system.period).alias(CELL))
    column_index = {column: k for k, column in enumerate(value_columns)}
    located = long.join(rules_of.select(*key, CELL), on=key, how="inner").with_columns(
        pl.col(COLUMN).replace_strict(column_index, return_dtype=pl.Int64)
    )
    located_by_period = dict(located.partition_by(system.period, as_dict=True))
    relations = [
        RelationRows(
            np.array([column_index[column] for column, _ in relation.terms]),
            np.array([coefficient for _, coefficient in relation.terms]),
            relation.sense,
        )
        for relation in system.relations
    ]
    shapes = [_EquationShape(system, equation, value_columns) for equation in equations]
    # the periods' cells, read once: rules_of is sorted by period, then by cell
    counts = rules_of.group_by(system.period, maintain_order=True).len()
    ends = np.cumsum(counts["len"].to_numpy()).tolist()
    every_key = rules_of.select(system.cell).rows()
    every_reason = rules_of[REASON].to_list()
    every_fixed = rules_of[FIXED].to_numpy()
    result = []
    keys: list[tuple] = []
    start = 0
    for label, end in zip(counts[system.period].to_list(), ends, strict=True):
        cells_of_period = every_key[start:end]
        if cells_of_period != keys:  # else the previous period's list, shared
            keys = cells_of_period
        values = np.zeros((len(keys), len(value_columns)))
        present = np.zeros((len(keys), len(value_columns)), dtype=bool)
        entries = located_by_period.get((label,))
        if entries is not None:
            cells = entries[CELL].to_numpy()
            columns = entries[COLUMN].to_numpy()
            values[cells, columns] = entries[VALUE].to_numpy()
            present[cells, columns] = True
        equation_rows = []
        for shape in shapes:
            equation_rows += shape.rows(label, keys)
        result.append(
            Period(
                label,
                keys,
                values,
                every_reason[start:end],
                every_fixed[start:end],
                equation_rows,
                relations,
                tuple(value_columns),
                present,
            )
        )
        start = end
    return result


def _long(frame: pl.DataFrame, key: list[str], columns: list[str], table: str) -> pl.DataFrame:
    long = frame.unpivot(on=columns, index=key, variable_name=COLUMN, value_name=VALUE)
    return long.with_columns(pl.lit(table).alias(TABLE))


def _aligned(frames: list[pl.DataFrame], key: list[str]) -> list[pl.DataFrame]:
    """The key columns of every frame cast to the first frame's types (a literal 'all' of one
    table against the codes of another)."""
    schema = frames[0].schema
    return [frame.with_columns(pl.col(c).cast(schema[c]) for c in key) for frame in frames]


class _EquationShape:
    """A declared equation's rows in a period: its groups of cells depend only on the period's
    cell keys (kept while consecutive periods have the same keys: the daily tables have the
    same cells every day), its right-hand sides on the period's margins."""

    def __init__(self, system: System, equation: EquationData, value_columns: list[str]):
        self.system = system
        self.equation = equation
        self.width = len(value_columns)
        self.position = system.cell.index(equation.sum_over)
        self.others = [k for k in range(len(system.cell)) if k != self.position]
        self.restricted = list(equation.values) if equation.values else list(value_columns)
        self.columns = np.array([value_columns.index(column) for column in self.restricted])
        self.keys: list[tuple] | None = None
        self.groups: list[tuple[tuple, np.ndarray]] = []  # margins: (group, members)
        self.parent_rows: list[EquationRows] = []  # parent codes: the rows themselves
        if equation.margin is not None:
            self.margins = dict(equation.margin.partition_by(system.period, as_dict=True))
        else:
            self.parent_of = dict(equation.parent.iter_rows())

    def rows(self, label: object, keys: list[tuple]) -> list[EquationRows]:
        if keys != self.keys:
            self._shape(keys)
            self.keys = keys
        if self.equation.margin is None:
            return self.parent_rows
        margin_columns = [self.system.cell[k] for k in self.others]
        frame = self.margins.get((label,))
        margins = {}
        if frame is not None:
            for row in frame.select(*margin_columns, *self.restricted).iter_rows():
                rhs = np.zeros(self.width)
                rhs[self.columns] = np.array(row[len(self.others) :], dtype=float)
                margins[tuple(row[: len(self.others)])] = rhs
        rows = []
        for group, members in self.groups:
            if group not in margins:
                raise DisclosureError(
                    f"{self.system.table} {label}: {self.equation.name}: no published margin "
                    f"for {group}"
                )
            rows.append(
                EquationRows(
                    f"{self.equation.name} {group}",
                    members,
                    np.ones(len(members)),
                    margins[group],
                    self.columns,
                )
            )
        return rows

    def _shape(self, keys: list[tuple]) -> None:
        if self.equation.margin is not None:
            groups: dict[tuple, list[int]] = defaultdict(list)
            for cell, key in enumerate(keys):
                groups[tuple(key[k] for k in self.others)].append(cell)
            self.groups = [(group, np.array(members)) for group, members in groups.items()]
            return
        position = self.position
        index = {key: cell for cell, key in enumerate(keys)}
        children: dict[tuple, list[int]] = defaultdict(list)
        for cell, key in enumerate(keys):
            parent = self.parent_of.get(key[position])
            if parent is not None:
                parent_key = tuple(parent if k == position else key[k] for k in range(len(key)))
                children[parent_key].append(cell)
        self.parent_rows = [
            EquationRows(
                f"{self.equation.name} {parent_key}",
                np.array([*members, index[parent_key]]),
                np.array([1.0] * len(members) + [-1.0]),
                np.zeros(self.width),
                self.columns,
            )
            for parent_key, members in children.items()
            if parent_key in index  # the parent's cell is not published: no equation
        ]
