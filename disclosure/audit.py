"""The attacker's audit of a table about to be published, independent of the engine.

It trusts nothing the engine decided: it reads the published table (``disclosure.<table>``:
visible values, nulls where hidden) and the published margins, rebuilds every declared equation
from them with its own code, recomputes which cells the primary rule protects from the mart and
the thresholds (SQL), and solves, with scipy's HiGHS, the minimum and the maximum of each such
cell given everything published and values >= 0. A cell fails when it is published, or when its
interval falls short of value × (1 ∓ p) and hiding more of this table could have widened it;
a cell that only published margins of other tables keep within that range is reported apart
(``pinned``), with the bound those margins impose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from disclosure.declaration import Declaration
from disclosure.rules import DisclosureRules


@dataclass(frozen=True)
class Finding:
    period: object
    cell: tuple
    column: str
    value: float
    low: float | None
    high: float | None
    required_low: float
    required_high: float
    problem: str  # "published", "under-protected", "pinned by margins", or "" when protected

    def line(self, table: str) -> str:
        where = f"{table} {self.period} {'/'.join(map(str, self.cell))} {self.column}"
        if self.problem == "published":
            return f"{where}: {self.value:,.0f} meets the primary rule but is published"
        return (
            f"{where}: {self.value:,.0f} bounded to [{self.low:,.0f}, {self.high:,.0f}], "
            f"required [{self.required_low:,.0f}, {self.required_high:,.0f}]"
            + (f" ({self.problem})" if self.problem else "")
        )


@dataclass
class AuditResult:
    table: str
    findings: list[Finding] = field(default_factory=list)
    hidden_cells: int = 0
    linear_programmes: int = 0

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.problem in ("published", "under-protected")]

    @property
    def pinned(self) -> list[Finding]:
        return [f for f in self.findings if f.problem == "pinned by margins"]

    @property
    def passed(self) -> bool:
        return not self.failures


def sensitive_predicate(declaration: Declaration, rules: DisclosureRules) -> str:
    """The primary rule in SQL, on the mart's columns (written apart from disclosure.rules)."""
    units, share, first = (
        declaration.reporting_units,
        declaration.largest_share,
        declaration.values[0],
    )
    return (
        f"(({units} is not null and {units} < {rules.min_reporting_units} "
        f"and not ({units} = 0 and {first} = 0)) "
        f"or coalesce({share}, 0) > {rules.dominance_share})"
    )


def audit_table(
    con: duckdb.DuckDBPyConnection,
    declaration: Declaration,
    published: str,
    source: str,
    rules: DisclosureRules,
) -> AuditResult:
    """Attack ``published`` (the relation to be released) as an outsider would; ``source`` (the
    unsuppressed mart) gives only the true values and the rule's inputs of the cells to check.
    The published names of the margins must be registered on ``con`` (temporary views)."""
    key = list(declaration.key)
    values = list(declaration.values)
    joined = " and ".join(f"p.{c} = m.{c}" for c in key)
    rows = con.execute(
        f"with mart as (select *, {sensitive_predicate(declaration, rules)} as _sensitive, "
        f"({declaration.never_hidden or 'false'}) as _never_hidden from {source}) "
        f"select {', '.join(f'p.{c}' for c in key)}, "
        + ", ".join(f"cast(p.{c} as double)" for c in values)
        + f", p.{declaration.flag}, "
        + ", ".join(f"cast(m.{c} as double)" for c in values)
        + f", m._sensitive, m._never_hidden from {published} as p "
        f"inner join mart as m on {joined} order by all"
    ).fetchall()
    result = AuditResult(declaration.table)
    width = len(key)
    count = len(values)
    by_period: dict[object, list[tuple]] = {}
    for row in rows:
        by_period.setdefault(row[0], []).append(row)
    margins = [
        (
            equation,
            con.execute(equation.margin).fetchall() if equation.margin else None,
            dict(con.execute(equation.parent).fetchall()) if equation.parent else None,
        )
        for equation in declaration.equations
    ]
    for period, period_rows in by_period.items():
        cells = [tuple(row[1:width]) for row in period_rows]
        shown = np.array(
            [
                [np.nan if v is None else v for v in row[width : width + count]]
                for row in period_rows
            ]
        )
        hidden = np.array([bool(row[width + count]) for row in period_rows])
        truth = np.array(
            [row[width + count + 1 : width + 2 * count + 1] for row in period_rows], dtype=float
        )
        sensitive = np.array([bool(row[width + 2 * count + 1]) for row in period_rows])
        fixed = np.array([bool(row[width + 2 * count + 2]) for row in period_rows])
        if np.isnan(shown[~hidden]).any():
            raise ValueError(f"{declaration.table} {period}: a visible cell has no value")
        equations = _equations(declaration, margins, period, cells)
        result.hidden_cells += int(hidden.sum())
        unknown_now = _Unknowns(equations, shown, hidden, declaration, values)
        unknown_all = None
        for cell in np.flatnonzero(sensitive):
            for column in range(count):
                value = float(truth[cell, column])
                if value <= 0 and not hidden[cell]:
                    continue
                required_low = value * (1 - rules.protection_level)
                required_high = value * (1 + rules.protection_level)
                if not hidden[cell]:
                    result.findings.append(
                        Finding(
                            period,
                            cells[cell],
                            values[column],
                            value,
                            None,
                            None,
                            required_low,
                            required_high,
                            "published",
                        )
                    )
                    continue
                if value <= 0:
                    continue
                low, high = unknown_now.bounds(cell, column)
                slack = max(value * 1e-6, 1e-6)
                problem = ""
                if low > required_low + slack or high < required_high - slack:
                    if unknown_all is None:  # what hiding every hideable cell would leave
                        unknown_all = _Unknowns(
                            equations, shown, hidden | ~fixed, declaration, values
                        )
                    floor, ceiling = unknown_all.bounds(cell, column)
                    capped_low = max(required_low, floor)
                    capped_high = min(required_high, ceiling)
                    if low > capped_low + slack or high < capped_high - slack:
                        problem = "under-protected"
                    else:
                        problem = "pinned by margins"
                    required_low, required_high = capped_low, capped_high
                result.findings.append(
                    Finding(
                        period,
                        cells[cell],
                        values[column],
                        value,
                        low,
                        high,
                        required_low,
                        required_high,
                        problem,
                    )
                )
        result.linear_programmes += unknown_now.solves + (unknown_all.solves if unknown_all else 0)
    return result


def _equations(declaration, margins, period, cells) -> list[tuple[list[int], list[float], list]]:
    """(member cells, coefficients, right-hand side per value column) of every equation."""
    where = {cell: index for index, cell in enumerate(cells)}
    equations = []
    for equation, margin_rows, parent_of in margins:
        position = declaration.cell.index(equation.sum_over)
        if margin_rows is not None:
            count = len(declaration.values)
            totals = {
                tuple(row[1 : len(row) - count]): list(row[len(row) - count :])
                for row in margin_rows
                if row[0] == period
            }
            groups: dict[tuple, list[int]] = {}
            for index, cell in enumerate(cells):
                groups.setdefault(cell[:position] + cell[position + 1 :], []).append(index)
            for group, members in groups.items():
                if group not in totals:
                    raise ValueError(f"{declaration.table} {period}: no published margin {group}")
                equations.append((members, [1.0] * len(members), [float(v) for v in totals[group]]))
        else:
            families: dict[tuple, list[int]] = {}
            for index, cell in enumerate(cells):
                parent = parent_of.get(cell[position])
                if parent is not None:
                    families.setdefault(
                        (*cell[:position], parent, *cell[position + 1 :]), []
                    ).append(index)
            for parent_cell, members in families.items():
                if parent_cell in where:
                    equations.append(
                        (
                            [*members, where[parent_cell]],
                            [1.0] * len(members) + [-1.0],
                            [0.0] * len(declaration.values),
                        )
                    )
    return equations


class _Unknowns:
    """The LPs of one period with ``unknown`` cells as variables (cell × value column)."""

    def __init__(self, equations, shown, unknown, declaration, values):
        self.count = len(values)
        self.variables = {cell: k for k, cell in enumerate(np.flatnonzero(unknown))}
        size = len(self.variables) * self.count
        rows, cols, data, rhs = [], [], [], []
        for members, coefficients, totals in equations:
            for column in range(self.count):
                constant = 0.0
                row = len(rhs)
                used = False
                for cell, coefficient in zip(members, coefficients, strict=True):
                    if cell in self.variables:
                        rows.append(row)
                        cols.append(self.variables[cell] * self.count + column)
                        data.append(coefficient)
                        used = True
                    else:
                        constant += coefficient * shown[cell, column]
                if used:
                    rhs.append(totals[column] - constant)
        self.a_eq = coo_matrix((data, (rows, cols)), shape=(len(rhs), size)).tocsr()
        self.b_eq = np.array(rhs)
        # identities: appended as further equality rows, inequalities as -Σ ≤ 0
        self.a_eq, self.b_eq = _append_relations(
            self.a_eq, self.b_eq, declaration, values, len(self.variables), "="
        )
        self.a_ub, self.b_ub = _relation_matrix(declaration, values, len(self.variables), ">=")
        graph = abs(self.a_eq.T) @ abs(self.a_eq)
        if self.a_ub is not None:
            graph = graph + abs(self.a_ub.T) @ abs(self.a_ub)
        graph = graph != 0
        self.components = connected_components(graph, directed=False)[1] if size else np.array([])
        self.size = size
        self.solves = 0

    def bounds(self, cell: int, column: int) -> tuple[float, float]:
        variable = self.variables[cell] * self.count + column
        inside = np.flatnonzero(self.components == self.components[variable])
        a_eq = self.a_eq[:, inside]
        keep = np.flatnonzero(np.abs(a_eq).sum(axis=1).A1 > 0)
        a_ub = self.a_ub[:, inside] if self.a_ub is not None else None
        keep_ub = np.flatnonzero(np.abs(a_ub).sum(axis=1).A1 > 0) if a_ub is not None else []
        target = np.zeros(len(inside))
        target[int(np.searchsorted(inside, variable))] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            solution = linprog(
                sign * target,
                A_ub=a_ub[keep_ub] if len(keep_ub) else None,
                b_ub=self.b_ub[keep_ub] if len(keep_ub) else None,
                A_eq=a_eq[keep],
                b_eq=self.b_eq[keep],
                bounds=(0, None),
                method="highs",
            )
            self.solves += 1
            if solution.status == 3:  # unbounded
                ends.append(np.inf if sign < 0 else 0.0)
            elif solution.status != 0:
                raise ValueError(f"the attacker's LP failed: {solution.message}")
            else:
                ends.append(sign * solution.fun)
        return ends[0], ends[1]


def _relation_matrix(declaration, values, cells, sense):
    rows, cols, data = [], [], []
    count = len(values)
    relations = [r for r in declaration.relations if r.sense == sense]
    for r_index, relation in enumerate(relations):
        for k in range(cells):
            row = r_index * cells + k
            for column, coefficient in relation.terms:
                rows.append(row)
                cols.append(k * count + values.index(column))
                data.append(-coefficient if sense == ">=" else coefficient)
    if not relations:
        return None, None
    shape = (len(relations) * cells, cells * count)
    return coo_matrix((data, (rows, cols)), shape=shape).tocsr(), np.zeros(shape[0])


def _append_relations(a_eq, b_eq, declaration, values, cells, sense):
    extra, _ = _relation_matrix(declaration, values, cells, sense)
    if extra is None:
        return a_eq, b_eq
    from scipy.sparse import vstack

    return vstack([a_eq, extra]).tocsr(), np.concatenate([b_eq, np.zeros(extra.shape[0])])
