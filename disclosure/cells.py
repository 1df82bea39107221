"""The engine's view of a table: its cells, period by period, with the equations the declaration
names (margins and parent codes already fetched as frames)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from disclosure.declaration import Declaration
from disclosure.engine import DisclosureError, EquationRows, Period, RelationRows
from disclosure.rules import DisclosureRules, primary_reasons

FIXED = "_never_hidden"


@dataclass(frozen=True)
class EquationData:
    """A declared equation with what it needs: the margin frame (period, the other cell columns,
    the value columns) or the parent frame (child code, parent code)."""

    name: str
    sum_over: str
    margin: pl.DataFrame | None = None
    parent: pl.DataFrame | None = None


def periods(
    declaration: Declaration,
    cells: pl.DataFrame,
    equations: list[EquationData],
    rules: DisclosureRules,
) -> list[Period]:
    """``cells``: the unsuppressed mart's rows (period, cell columns, value columns, reporting
    units, largest share, and ``_never_hidden``), one row per cell."""
    value_columns = list(declaration.values)
    duplicated = cells.select(declaration.key).is_duplicated()
    if duplicated.any():
        first = cells.filter(duplicated).row(0, named=True)
        raise DisclosureError(f"{declaration.table}: cell {first} appears more than once")
    sorted_cells = cells.sort(list(declaration.key))
    result = []
    for (label,), frame in sorted_cells.group_by(declaration.period, maintain_order=True):
        keys = list(frame.select(declaration.cell).iter_rows())
        values = (
            frame.select(pl.col(column).cast(pl.Float64).fill_null(0.0) for column in value_columns)
            .to_numpy()
            .astype(float)
            .reshape(len(keys), len(value_columns))
        )
        primary = primary_reasons(
            values[:, 0].tolist(),
            frame[declaration.reporting_units].to_list(),
            frame[declaration.largest_share].to_list(),
            rules,
        )
        fixed = (
            frame[FIXED].fill_null(False).to_numpy()
            if FIXED in frame.columns
            else np.zeros(len(keys), dtype=bool)
        )
        rows = []
        for equation in equations:
            rows += _equation_rows(declaration, equation, label, keys, value_columns)
        relations = [
            RelationRows(
                np.array([value_columns.index(column) for column, _ in relation.terms]),
                np.array([coefficient for _, coefficient in relation.terms]),
                relation.sense,
            )
            for relation in declaration.relations
        ]
        result.append(
            Period(label, keys, values, primary, fixed, rows, relations, tuple(value_columns))
        )
    return result


def _equation_rows(
    declaration: Declaration,
    equation: EquationData,
    label: object,
    keys: list[tuple],
    value_columns: list[str],
) -> list[EquationRows]:
    position = declaration.cell.index(equation.sum_over)
    others = [k for k in range(len(declaration.cell)) if k != position]
    index = {key: cell for cell, key in enumerate(keys)}
    rows = []
    if equation.margin is not None:
        margin_columns = [declaration.cell[k] for k in others]
        margins = {
            tuple(row[: len(others)]): np.array(row[len(others) :], dtype=float)
            for row in equation.margin.filter(pl.col(declaration.period) == label)
            .select(*margin_columns, *value_columns)
            .iter_rows()
        }
        groups: dict[tuple, list[int]] = defaultdict(list)
        for cell, key in enumerate(keys):
            groups[tuple(key[k] for k in others)].append(cell)
        for group, members in groups.items():
            if group not in margins:
                raise DisclosureError(
                    f"{declaration.table} {label}: {equation.name}: no published margin for {group}"
                )
            rows.append(
                EquationRows(
                    f"{equation.name} {group}",
                    np.array(members),
                    np.ones(len(members)),
                    margins[group],
                )
            )
    else:
        parent_of = dict(equation.parent.iter_rows())
        children: dict[tuple, list[int]] = defaultdict(list)
        for cell, key in enumerate(keys):
            parent = parent_of.get(key[position])
            if parent is not None:
                parent_key = tuple(parent if k == position else key[k] for k in range(len(key)))
                children[parent_key].append(cell)
        for parent_key, members in children.items():
            if parent_key not in index:
                continue  # the parent's cell is not published: no equation
            rows.append(
                EquationRows(
                    f"{equation.name} {parent_key}",
                    np.array([*members, index[parent_key]]),
                    np.array([1.0] * len(members) + [-1.0]),
                    np.zeros(len(value_columns)),
                )
            )
    return rows
