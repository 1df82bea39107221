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

Before its LPs, the audit looks for its own proof (written here, apart from the engine's):
twins, unknowns whose columns in the rebuilt rows (every equation and identity, inequalities
too, each with its coefficient) are the same. Moving a value by +t and its twins by −t in total
changes no row, and unknowns have no upper bound, so, starting from the true values, the value
reaches 0 and value + Σ twins' true values: the attacker's minimum is 0 and its maximum at
least that sum. This holds where the true values are a table of the published data (every
unknown >= 0, every row of the unknown's component met to 1e-9 of its size: checked, never
assumed); an unknown in no row at all is free, [0, ∞). A value whose certificate reaches
value × (1 ± p) with a margin of 1e-6 of the value (at least 1 g) passes without an LP
(``Finding.certified``: ``low`` is the minimum, 0; ``high`` a point the attacker cannot exclude,
so the true maximum is at least it); any other value gets its LPs (only the maximum when it has
a twin: its minimum is 0). The certificate's interval lies within the LPs', so a value passes
or fails as it would by LPs alone, and the findings are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack
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
    # False: low and high are the attacker's minimum and maximum (LPs; a low of 0 may come
    # from the twin certificate, which proves 0 the minimum). True: the twin certificate
    # proved the value protected without an LP: low = 0 is the minimum, high = value + its
    # twins' values (∞ for a value in no equation) is a value the attacker cannot exclude, so
    # the maximum is at least high, possibly more.
    certified: bool = False

    def line(self, table: str | None = None) -> str:
        where = f"{table or self.table} {self.period} {'/'.join(map(str, self.cell))} {self.column}"
        if self.problem == "published":
            return f"{where}: {self.value:,.0f} meets the primary rule but is published"
        if self.certified:
            return (
                f"{where}: {self.value:,.0f} reaches [{self.low:,.0f}, {self.high:,.0f}] or "
                f"wider (twin certificate), required [{self.required_low:,.0f}, "
                f"{self.required_high:,.0f}]"
            )
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
    linear_programmes: int = 0  # LPs solved
    certified_values: int = 0  # hidden values proved protected by the twin certificate alone

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
) -> tuple[pl.DataFrame, list[tuple]]:
    """(period, cell…, column, shown, truth, table, flag) of every published value of the
    problem, sorted, and (period, cell…) of every cell the primary rule protects."""
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
    con.complete()  # a result left unfinished on the connection (execute()) is run to its end
    rows = con.sql(" union all ".join(values) + " order by all").pl()
    protected = con.execute(" union all ".join(sensitive)).fetchall() if sensitive else []
    return rows, protected


def audit_system(
    con: duckdb.DuckDBPyConnection,
    system: System,
    published: dict[str, str],
    sources: dict[str, str],
    rules: DisclosureRules,
    certify: bool = True,
) -> AuditResult:
    """Attack ``published`` (per table, the relation to be released) as an outsider would;
    ``sources`` (per table, the unsuppressed mart) give only the true values and the rule's
    inputs of the cells to check. The published names of the margins and known cells must be
    registered on ``con`` (temporary views). ``certify``: a value the twin certificate proves
    protected gets no LP (False: every value by LP, for comparison)."""
    rows, protected = _assembly(con, system, published, sources, rules)
    columns = list(system.values)
    equations = _Equations(con, system, columns)
    result = AuditResult(system.table)
    sensitive_by_period: dict[object, set[tuple]] = {}
    for row in protected:
        sensitive_by_period.setdefault(row[0], set()).add(tuple(row[1:]))
    protection = rules.protection_level
    for period, table in _tables(rows, system, columns):
        result.hidden_cells += table.hidden_cells
        result.hidden_values += int(np.isnan(table.shown[table.present]).sum())
        unknowns = _Unknowns(equations.rows(period, table.keys), system, table, columns)
        sensitive = sensitive_by_period.get(period, ())
        where = {key: index for index, key in enumerate(table.keys)} if sensitive else {}
        for cell_key in sorted(sensitive):
            cell = where.get(cell_key)
            if cell is None:
                continue
            for column, name in enumerate(columns):
                if not table.present[cell, column]:
                    continue
                shown = float(table.shown[cell, column])
                value = float(table.truth[cell, column])
                source = table.names[table.table[cell, column]]
                required_low = value * (1 - protection)
                required_high = value * (1 + protection)
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
                                source,
                            )
                        )
                    continue
                if value <= 0:
                    continue
                slack = max(value * 1e-6, 1e-6)
                reached = unknowns.certificate(cell, column) if certify else None
                if (
                    reached is not None
                    and reached[1] >= required_high + slack
                    and reached[0] <= required_low - slack
                ):
                    low, high, certified = reached[0], reached[1], True
                    unknowns.certified += 1
                else:
                    low, high = unknowns.bounds(cell, column, reached[0] if reached else None)
                    certified = False
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
                        source,
                        certified,
                    )
                )
        result.linear_programmes += unknowns.solves
        result.certified_values += unknowns.certified
    return result


@dataclass
class _Table:
    """What one period publishes: its cells (sorted keys) × the problem's value columns, each
    value shown (NaN: null, an unknown), its truth (0 where the mart has none), whether the
    cell has it and which table publishes it (an index into ``names``)."""

    keys: list[tuple]
    shown: np.ndarray
    truth: np.ndarray
    present: np.ndarray
    table: np.ndarray
    names: list[str]
    hidden_cells: int  # cells flagged suppressed in a table that publishes them
    order: np.ndarray  # (cell, column) of every value in the rows' order: cell, column name


def _tables(rows: pl.DataFrame, system: System, columns: list[str]):
    """(period, _Table) of every period of the assembled rows (sorted by period, cell, column
    name), a value published twice taken from its last row."""
    period = system.period
    cell_columns = [f"_cell_{column}" for column in system.cell]
    visible_null = rows.filter(~pl.col("_flag").fill_null(False) & pl.col("_shown").is_null())
    if visible_null.height:
        first = visible_null.row(0, named=True)
        raise ValueError(
            f"{first['_table']} {first[period]} "
            f"{'/'.join(str(first[c]) for c in cell_columns)}: a visible cell has no "
            f"{first['_column']}"
        )
    names = sorted(set(rows["_table"].unique().to_list()))
    new_cell = pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(c).shift(1)) for c in [period, *cell_columns]]
    )
    rows = rows.with_columns(
        (new_cell.cast(pl.Int64).cum_sum().over(period) - 1).alias("_cell"),
        pl.col("_column")
        .replace_strict({c: k for k, c in enumerate(columns)}, return_dtype=pl.Int64)
        .alias("_k"),
        pl.col("_table")
        .replace_strict({n: k for k, n in enumerate(names)}, return_dtype=pl.Int64)
        .alias("_t"),
        pl.col("_true").fill_null(0.0),
        pl.col("_flag").fill_null(False),
    )
    width = len(columns)
    for (label,), part in rows.partition_by(period, as_dict=True, maintain_order=True).items():
        cell = part["_cell"].to_numpy()
        column = part["_k"].to_numpy()
        first = np.ones(len(cell), dtype=bool)
        first[1:] = cell[1:] != cell[:-1]
        keys = part.select(cell_columns).filter(pl.Series(first)).rows()
        flagged = np.zeros(len(keys), dtype=bool)
        flagged[cell[part["_flag"].to_numpy()]] = True
        entry = cell * width + column
        last = np.ones(len(cell), dtype=bool)  # a value's last row: it is the one kept
        last[:-1] = entry[1:] != entry[:-1]
        cell, column = cell[last], column[last]
        shown = np.full((len(keys), width), np.nan)
        truth = np.zeros((len(keys), width))
        present = np.zeros((len(keys), width), dtype=bool)
        table = np.full((len(keys), width), -1, dtype=np.int64)
        shown[cell, column] = part["_shown"].to_numpy()[last]
        truth[cell, column] = part["_true"].to_numpy()[last]
        present[cell, column] = True
        table[cell, column] = part["_t"].to_numpy()[last]
        yield (
            label,
            _Table(
                keys,
                shown,
                truth,
                present,
                table,
                names,
                int(flagged.sum()),
                np.stack([cell, column], axis=1),
            ),
        )


def audit_table(
    con: duckdb.DuckDBPyConnection,
    declaration: Declaration,
    published: str,
    source: str,
    rules: DisclosureRules,
    certify: bool = True,
) -> AuditResult:
    """The attack on a table that is a disclosure problem on its own."""
    return audit_system(
        con,
        System.single(declaration),
        {declaration.table: published},
        {declaration.table: source},
        rules,
        certify,
    )


class _Equations:
    """Every declared equation as rows over a period's cells: (member cells, coefficients,
    value column, right-hand side) flattened. The rows depend on the period's cell keys only
    (kept while consecutive periods have the same keys), the margins' right-hand sides on the
    period."""

    def __init__(self, con: duckdb.DuckDBPyConnection, system: System, columns: list[str]):
        self.system = system
        self.columns = columns
        self.declared = []
        for equation in system.owner.equations:
            totals: dict[object, dict[tuple, list]] | None = None
            parent_of = None
            spoken = [columns.index(c) for c in (equation.values or columns)]
            if equation.margin:
                totals = {}
                for row in con.execute(equation.margin).fetchall():
                    totals.setdefault(row[0], {})[tuple(row[1 : len(row) - len(spoken)])] = list(
                        row[len(row) - len(spoken) :]
                    )
            else:
                parent_of = dict(con.execute(equation.parent).fetchall())
            self.declared.append((equation, spoken, totals, parent_of))
        self.keys: list[tuple] | None = None

    def rows(self, period: object, keys: list[tuple]):
        """(members, coefficients, row of each member, column of each row, rhs of each row)."""
        if keys != self.keys:
            self._shape(keys)
            self.keys = keys
        rhs = np.zeros(len(self.row_column))
        for row, totals, group, k in self.margin_rows:
            margin = totals.get(period, {}).get(group)
            if margin is None:
                raise ValueError(f"{self.system.table} {period}: no published margin {group}")
            rhs[row] = float(margin[k])
        return self.members, self.coefficients, self.row_of, self.row_column, rhs

    def _shape(self, cells: list[tuple]) -> None:
        where = {cell: index for index, cell in enumerate(cells)}
        members: list[list[int]] = []
        coefficients: list[list[float]] = []
        row_column: list[int] = []
        self.margin_rows: list[tuple[int, dict, tuple, int]] = []
        for equation, spoken, totals, parent_of in self.declared:
            position = self.system.cell.index(equation.sum_over)
            if totals is not None:
                groups: dict[tuple, list[int]] = {}
                for index, cell in enumerate(cells):
                    groups.setdefault(cell[:position] + cell[position + 1 :], []).append(index)
                for group, group_members in groups.items():
                    for k, column in enumerate(spoken):
                        self.margin_rows.append((len(row_column), totals, group, k))
                        members.append(group_members)
                        coefficients.append([1.0] * len(group_members))
                        row_column.append(column)
            else:
                families: dict[tuple, list[int]] = {}
                for index, cell in enumerate(cells):
                    parent = parent_of.get(cell[position])
                    if parent is not None:
                        families.setdefault(
                            (*cell[:position], parent, *cell[position + 1 :]), []
                        ).append(index)
                for parent_cell, family in families.items():
                    if parent_cell in where:
                        for column in spoken:
                            members.append([*family, where[parent_cell]])
                            coefficients.append([1.0] * len(family) + [-1.0])
                            row_column.append(column)
        lengths = [len(m) for m in members]
        self.members = np.array([c for m in members for c in m], dtype=np.int64)
        self.coefficients = np.array([c for m in coefficients for c in m], dtype=float)
        self.row_of = np.repeat(np.arange(len(members)), lengths)
        self.row_column = np.array(row_column, dtype=np.int64)


class _Unknowns:
    """The LPs of one period: every published null a variable, every published value a
    constant; equations over the values a cell has, identities within each cell."""

    def __init__(self, equations, system: System, table: _Table, columns: list[str]):
        cell, column = table.order[:, 0], table.order[:, 1]
        unknown = np.isnan(table.shown[cell, column])
        size = int(unknown.sum())
        # every published null a variable, in the rows' order (cell, then column name)
        self.variable = np.full(table.shown.shape, -1, dtype=np.int64)
        self.variable[cell[unknown], column[unknown]] = np.arange(size)
        self.truth = table.truth[cell[unknown], column[unknown]]
        shown, present = table.shown, table.present
        blocks = {True: [], False: []}  # per sense (equal or not): (rows, variables, data, rhs)

        def add(row_of, cells, columns_of, coefficients, rhs, equal):
            """Rows of terms over cells' values: constants to the right, unknowns kept."""
            has = present[cells, columns_of]
            values = shown[cells, columns_of]
            unknown = has & np.isnan(values)
            known = has & ~unknown
            count = len(rhs)
            constant = np.bincount(
                row_of[known], weights=coefficients[known] * values[known], minlength=count
            )
            kept = np.bincount(row_of[unknown], minlength=count) > 0
            renumbered = np.cumsum(kept) - 1
            blocks[equal].append(
                (
                    renumbered[row_of[unknown]],
                    self.variable[cells[unknown], columns_of[unknown]],
                    coefficients[unknown],
                    (rhs - constant)[kept],
                )
            )

        members, coefficients, row_of, row_column, rhs = equations
        add(row_of, members, row_column[row_of], coefficients, rhs, True)
        for relation in system.relations:
            spoken = np.array([columns.index(c) for c, _ in relation.terms])
            sign = 1.0 if relation.sense == "=" else -1.0  # Σ k × value >= 0 as −Σ k × v <= 0
            within = np.flatnonzero(present[:, spoken].all(axis=1))  # cells with all its values
            terms = len(spoken)
            add(
                np.repeat(np.arange(len(within)), terms),
                np.repeat(within, terms),
                np.tile(spoken, len(within)),
                np.tile(sign * np.array([k for _, k in relation.terms]), len(within)),
                np.zeros(len(within)),
                relation.sense == "=",
            )
        stacked = {}
        for equal, parts in blocks.items():
            rows, cols, data, rhs = [], [], [], []
            offset = 0
            for part_rows, part_cols, part_data, part_rhs in parts:
                rows.append(part_rows + offset)
                cols.append(part_cols)
                data.append(part_data)
                rhs.append(part_rhs)
                offset += len(part_rhs)
            stacked[equal] = tuple(
                np.concatenate(x) if x else np.zeros(0) for x in (rows, cols, data, rhs)
            )
        rows, cols, data, rhs = stacked[True]
        ub_rows, ub_cols, ub_data, ub_rhs = stacked[False]
        self.a_eq = coo_matrix((data, (rows, cols)), shape=(len(rhs), size)).tocsr()
        self.b_eq = np.array(rhs, dtype=float)
        self.a_ub = (
            coo_matrix((ub_data, (ub_rows, ub_cols)), shape=(len(ub_rhs), size)).tocsr()
            if len(ub_rhs)
            else None
        )
        self.b_ub = np.array(ub_rhs, dtype=float)
        graph = abs(self.a_eq.T) @ abs(self.a_eq)
        if self.a_ub is not None:
            graph = graph + abs(self.a_ub.T) @ abs(self.a_ub)
        self.components = (
            connected_components(graph != 0, directed=False)[1] if size else np.array([])
        )
        self._twins(size)
        self.solves = 0
        self.certified = 0
        self._models: dict[int, tuple] = {}

    def _twins(self, size: int) -> None:
        """Each unknown's twins: the other unknowns whose column (every equation and identity
        row, inequalities too, with its coefficient) is the same; their true values' sum; and
        whether the true values are a table the published data allow (values >= 0, every row
        holding to 1e-9 of its size) in the unknown's component."""
        stacked = self.a_eq if self.a_ub is None else vstack([self.a_eq, self.a_ub])
        columns = stacked.tocsc()
        columns.sum_duplicates()
        columns.eliminate_zeros()
        columns.sort_indices()
        groups: dict[tuple, list[int]] = {}
        for variable in range(size):
            start, end = columns.indptr[variable], columns.indptr[variable + 1]
            column = (
                columns.indices[start:end].tobytes(),
                (columns.data[start:end] + 0.0).tobytes(),
            )
            groups.setdefault(column, []).append(variable)
        self.twin_sum = np.zeros(size)
        self.twin_count = np.zeros(size, dtype=np.int64)
        self.free = np.diff(columns.indptr) == 0  # in no row: [0, ∞)
        self.trusted = np.zeros(size, dtype=bool)
        if not size:
            return
        for members in groups.values():
            if len(members) > 1:
                total = float(self.truth[members].sum())
                self.twin_sum[members] = total - self.truth[members]
                self.twin_count[members] = len(members) - 1
        untrusted = np.zeros(int(self.components.max()) + 1, dtype=bool)
        untrusted[self.components[self.truth < 0]] = True
        for matrix, rhs, equal in ((self.a_eq, self.b_eq, True), (self.a_ub, self.b_ub, False)):
            if matrix is None or not matrix.shape[0]:
                continue
            residual = matrix @ self.truth - rhs
            size_of = np.maximum(1.0, abs(matrix) @ np.abs(self.truth) + np.abs(rhs))
            off = (np.abs(residual) if equal else residual) > 1e-9 * size_of
            if off.any():
                touched = matrix[np.flatnonzero(off)].tocoo().col
                untrusted[self.components[touched]] = True
        self.trusted = ~untrusted[self.components]

    def certificate(self, cell: int, column: int) -> tuple[float, float] | None:
        """The interval ends the twins prove reachable: (0, value + Σ twins) — moving the value
        by +t and its twins by −t in total changes no row — or (0, ∞) for an unknown in no row;
        None without a twin or where the true values are not a table of the published data."""
        variable = int(self.variable[cell, column])
        if not self.trusted[variable]:
            return None
        if self.free[variable]:
            return 0.0, np.inf
        if not self.twin_count[variable]:
            return None
        return 0.0, float(self.truth[variable]) + max(float(self.twin_sum[variable]), 0.0)

    def _model(self, variable: int) -> tuple:
        """The LP data of the variable's component (cached: its values share them)."""
        label = int(self.components[variable])
        model = self._models.get(label)
        if model is None:
            inside = np.flatnonzero(self.components == label)
            a_eq = self.a_eq[:, inside]
            keep = np.flatnonzero(np.abs(a_eq).sum(axis=1).A1 > 0)
            a_ub = self.a_ub[:, inside] if self.a_ub is not None else None
            keep_ub = np.flatnonzero(np.abs(a_ub).sum(axis=1).A1 > 0) if a_ub is not None else []
            model = self._models[label] = (
                inside,
                a_ub[keep_ub] if len(keep_ub) else None,
                self.b_ub[keep_ub] if len(keep_ub) else None,
                a_eq[keep] if len(keep) else None,
                self.b_eq[keep] if len(keep) else None,
            )
        return model

    def bounds(self, cell: int, column: int, low: float | None = None) -> tuple[float, float]:
        """The minimum and maximum by LP (the minimum given: only the maximum)."""
        variable = int(self.variable[cell, column])
        inside, a_ub, b_ub, a_eq, b_eq = self._model(variable)
        target = np.zeros(len(inside))
        target[int(np.searchsorted(inside, variable))] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            if sign > 0 and low is not None:
                ends.append(low)
                continue
            solution = linprog(
                sign * target,
                A_ub=a_ub,
                b_ub=b_ub,
                A_eq=a_eq,
                b_eq=b_eq,
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
