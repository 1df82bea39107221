"""The attacker's audit of the tables about to be published, independent of the engine.

It trusts nothing the engine decided: it reads the published tables of a disclosure problem
(``disclosure.<table>``: visible values, nulls where hidden), the cells other tables publish and
the published margins, rebuilds every declared equation from them with its own code, recomputes
which cells the primary rule protects from the marts and the thresholds (SQL), and solves, with
scipy's HiGHS, the minimum and the maximum of every value of each such cell given everything
published (each published value a constant, each null an unknown) and values >= 0. A value
fails when it is published, or when its interval falls short of value × (1 ∓ p). There is no
other category: a value that only a total published elsewhere could pin is the problem's to
protect, by hiding that total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from disclosure.declaration import Declaration, System
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
    problem: str  # "published", "under-protected", or "" when protected
    table: str = ""  # the published table the value is in

    def line(self, table: str | None = None) -> str:
        where = f"{table or self.table} {self.period} {'/'.join(map(str, self.cell))} {self.column}"
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
    hidden_values: int = 0
    linear_programmes: int = 0

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    @property
    def passed(self) -> bool:
        return not self.failures

    def of(self, table: str) -> list[Finding]:
        return [f for f in self.findings if f.table == table]


def sensitive_predicate(units: str, share: str, first_value: str, rules: DisclosureRules) -> str:
    """The primary rule in SQL, on a mart's columns (written apart from disclosure.rules)."""
    return (
        f"(({units} is not null and {units} < {rules.min_reporting_units} "
        f"and not ({units} = 0 and {first_value} = 0)) "
        f"or coalesce({share}, 0) > {rules.dominance_share})"
    )


def _cells_sql(cell: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"({expression}) as _cell_{column}" for column, expression in cell)


def _assembly(
    con: duckdb.DuckDBPyConnection,
    system: System,
    published: dict[str, str],
    sources: dict[str, str],
    rules: DisclosureRules,
) -> tuple[list[tuple], list[tuple]]:
    """(period, cell…, column, shown, truth, table) of every published value of the problem,
    and (period, cell…) of every cell the primary rule protects."""
    period = system.period
    values, sensitive = [], []
    for part in system.parts:
        cells = _cells_sql(part.cell)
        keys = ", ".join(f"_cell_{column}" for column in system.cell)
        for column in part.values:
            values.append(
                f"select p.{period}, {', '.join(f'p._cell_{c}' for c in system.cell)}, "
                f"'{column}' as _column, p._shown, t._true, '{part.table}' as _table, p._flag "
                f"from (select {period}, {cells}, cast({column} as double) as _shown, "
                f"{part.flag} as _flag from {published[part.table]}) as p "
                f"left join (select {period}, {cells}, cast({column} as double) as _true "
                f"from {sources[part.table]}) as t using ({period}, {keys})"
            )
        if part.reporting_units:
            predicate = sensitive_predicate(
                part.reporting_units, part.largest_share, part.values[0], rules
            )
            sensitive.append(
                f"select {period}, {cells} from {sources[part.table]} where {predicate}"
            )
    for index, known in enumerate(system.owner.known):
        described = con.execute(f"select * from ({known.query}) limit 0").description
        names = [row[0] for row in described]
        cells = ", ".join(f"{column} as _cell_{column}" for column in system.cell)
        for column in (c for c in names if c in system.values):
            values.append(
                f"select {period}, {', '.join(f'_cell_{c}' for c in system.cell)}, "
                f"'{column}' as _column, _shown, _shown as _true, 'known {index}' as _table, "
                f"false as _flag from (select {period}, {cells}, cast({column} as double) as "
                f"_shown from ({known.query}))"
            )
    rows = con.execute(" union all ".join(values) + " order by all").fetchall()
    protected = con.execute(" union all ".join(sensitive)).fetchall() if sensitive else []
    return rows, protected


def audit_system(
    con: duckdb.DuckDBPyConnection,
    system: System,
    published: dict[str, str],
    sources: dict[str, str],
    rules: DisclosureRules,
) -> AuditResult:
    """Attack ``published`` (per table, the relation to be released) as an outsider would;
    ``sources`` (per table, the unsuppressed mart) give only the true values and the rule's
    inputs of the cells to check. The published names of the margins and known cells must be
    registered on ``con`` (temporary views)."""
    rows, protected = _assembly(con, system, published, sources, rules)
    width = len(system.cell)
    margins = [
        (
            equation,
            con.execute(equation.margin).fetchall() if equation.margin else None,
            dict(con.execute(equation.parent).fetchall()) if equation.parent else None,
        )
        for equation in system.owner.equations
    ]
    result = AuditResult(system.table)
    by_period: dict[object, list[tuple]] = {}
    for row in rows:
        by_period.setdefault(row[0], []).append(row)
    sensitive_by_period: dict[object, set[tuple]] = {}
    for row in protected:
        sensitive_by_period.setdefault(row[0], set()).add(tuple(row[1:]))
    columns = list(system.values)
    for period, period_rows in by_period.items():
        cells: dict[tuple, int] = {}
        entries: dict[tuple[int, int], tuple[float, float, str]] = {}
        flags: dict[int, set[bool]] = {}
        for row in period_rows:
            cell = tuple(row[1 : 1 + width])
            column, shown, truth, table, flag = row[1 + width :]
            index = cells.setdefault(cell, len(cells))
            shown = np.nan if shown is None else float(shown)
            if not flag and np.isnan(shown):
                raise ValueError(
                    f"{table} {period} {'/'.join(map(str, cell))}: a visible cell has no {column}"
                )
            entries[(index, columns.index(column))] = (
                shown,
                float(truth) if truth is not None else 0.0,
                table,
            )
            flags.setdefault(index, set()).add(bool(flag))
        result.hidden_cells += sum(True in flag for flag in flags.values())
        result.hidden_values += sum(np.isnan(shown) for shown, _, _ in entries.values())
        keys = list(cells)
        equations = _equations(system, margins, period, keys, columns)
        unknowns = _Unknowns(equations, system, entries, keys, columns)
        for cell_key in sorted(sensitive_by_period.get(period, ())):
            cell = cells.get(cell_key)
            if cell is None:
                continue
            for column, name in enumerate(columns):
                entry = entries.get((cell, column))
                if entry is None:
                    continue
                shown, value, table = entry
                required_low = value * (1 - rules.protection_level)
                required_high = value * (1 + rules.protection_level)
                if not np.isnan(shown):
                    if value > 0:
                        result.findings.append(
                            Finding(
                                period,
                                cell_key,
                                name,
                                value,
                                None,
                                None,
                                required_low,
                                required_high,
                                "published",
                                table,
                            )
                        )
                    continue
                if value <= 0:
                    continue
                low, high = unknowns.bounds(cell, column)
                slack = max(value * 1e-6, 1e-6)
                short = low > required_low + slack or high < required_high - slack
                result.findings.append(
                    Finding(
                        period,
                        cell_key,
                        name,
                        value,
                        low,
                        high,
                        required_low,
                        required_high,
                        "under-protected" if short else "",
                        table,
                    )
                )
        result.linear_programmes += unknowns.solves
    return result


def audit_table(
    con: duckdb.DuckDBPyConnection,
    declaration: Declaration,
    published: str,
    source: str,
    rules: DisclosureRules,
) -> AuditResult:
    """The attack on a table that is a disclosure problem on its own."""
    return audit_system(
        con,
        System.single(declaration),
        {declaration.table: published},
        {declaration.table: source},
        rules,
    )


def _equations(system, margins, period, cells, columns) -> list[tuple[list, list, float, int]]:
    """(member cells, coefficients, right-hand side, value column) of every equation, per value
    column it speaks of."""
    where = {cell: index for index, cell in enumerate(cells)}
    equations = []
    for equation, margin_rows, parent_of in margins:
        position = system.cell.index(equation.sum_over)
        spoken = [columns.index(c) for c in (equation.values or columns)]
        if margin_rows is not None:
            count = len(spoken)
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
                    raise ValueError(f"{system.table} {period}: no published margin {group}")
                for k, column in enumerate(spoken):
                    equations.append(
                        (members, [1.0] * len(members), float(totals[group][k]), column)
                    )
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
                    for column in spoken:
                        equations.append(
                            (
                                [*members, where[parent_cell]],
                                [1.0] * len(members) + [-1.0],
                                0.0,
                                column,
                            )
                        )
    return equations


class _Unknowns:
    """The LPs of one period: every published null a variable, every published value a
    constant; equations over the values a cell has, identities within each cell."""

    def __init__(self, equations, system, entries, cells, columns):
        self.variables = {
            key: k
            for k, key in enumerate(key for key, entry in entries.items() if np.isnan(entry[0]))
        }
        size = len(self.variables)
        rows, cols, data, rhs = [], [], [], []
        ub_rows, ub_cols, ub_data = [], [], []

        def add(members, coefficients, total, column, target):
            constant, terms = 0.0, []
            for cell, coefficient in zip(members, coefficients, strict=True):
                entry = entries.get((cell, column))
                if entry is None:
                    continue  # the cell has no such value: not in this sum
                variable = self.variables.get((cell, column))
                if variable is None:
                    constant += coefficient * entry[0]
                else:
                    terms.append((variable, coefficient))
            if terms:
                row = len(target[3])
                for variable, coefficient in terms:
                    target[0].append(row)
                    target[1].append(variable)
                    target[2].append(coefficient)
                target[3].append(total - constant)

        equal = (rows, cols, data, rhs)
        for members, coefficients, total, column in equations:
            add(members, coefficients, total, column, equal)
        ub_rhs: list[float] = []
        at_least = (ub_rows, ub_cols, ub_data, ub_rhs)
        for relation in system.relations:
            spoken = [(columns.index(column), k) for column, k in relation.terms]
            for cell in range(len(cells)):
                if any((cell, column) not in entries for column, _ in spoken):
                    continue  # an identity speaks of the cells that have all its values
                if relation.sense == "=":
                    _add_within(entries, self.variables, cell, spoken, 1.0, equal)
                else:  # Σ k × value >= 0, as −Σ k × value <= 0
                    _add_within(entries, self.variables, cell, spoken, -1.0, at_least)
        self.a_eq = coo_matrix((data, (rows, cols)), shape=(len(rhs), size)).tocsr()
        self.b_eq = np.array(rhs, dtype=float)
        self.a_ub = (
            coo_matrix((ub_data, (ub_rows, ub_cols)), shape=(len(ub_rhs), size)).tocsr()
            if ub_rhs
            else None
        )
        self.b_ub = np.array(ub_rhs, dtype=float)
        graph = abs(self.a_eq.T) @ abs(self.a_eq)
        if self.a_ub is not None:
            graph = graph + abs(self.a_ub.T) @ abs(self.a_ub)
        self.components = (
            connected_components(graph != 0, directed=False)[1] if size else np.array([])
        )
        self.solves = 0

    def bounds(self, cell: int, column: int) -> tuple[float, float]:
        variable = self.variables[(cell, column)]
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
                A_eq=a_eq[keep] if len(keep) else None,
                b_eq=self.b_eq[keep] if len(keep) else None,
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


def _add_within(entries, variables, cell, spoken, sign, target) -> None:
    """One identity of one cell as a row: Σ sign × k × value, unknowns left, constants right."""
    constant, terms = 0.0, []
    for column, coefficient in spoken:
        variable = variables.get((cell, column))
        if variable is None:
            constant += sign * coefficient * entries[(cell, column)][0]
        else:
            terms.append((variable, sign * coefficient))
    if terms:
        row = len(target[3])
        for variable, coefficient in terms:
            target[0].append(row)
            target[1].append(variable)
            target[2].append(coefficient)
        target[3].append(-constant)
