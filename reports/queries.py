"""Named SQL queries of a page: references, dependency order and execution on DuckDB.

A query refers to another query of the same page as `${other}` (or plainly `from other`);
each result is registered on the page's connection as a view named after the query, so the
reference reads the materialised result. `${params.city}` becomes the bound parameter `$city`
(also inside a quoted literal `'${params.city}'`, which binds `CAST($city AS VARCHAR)`), and a
page constant `${vars.threshold}` (front matter `vars:`) the bound parameter `$vars_threshold`:
a value is never spliced into the SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from reports.errors import PageError
from reports.expressions import RowSequence

QUERY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_PLAIN_REFERENCE = re.compile(r"\b(?:from|join)\s+(\"?)([A-Za-z_][A-Za-z0-9_]*)\1", re.IGNORECASE)


@dataclass(frozen=True)
class SqlQuery:
    """A fenced ```sql name``` block: `line` is the fence's line, the SQL starts on the next."""

    name: str
    sql: str
    line: int


PARAMETER_NAMESPACES = ("params", "vars")


@dataclass(frozen=True)
class Reference:
    """A `${...}` reference found in SQL: a query name, a `params.` or a `vars.` field."""

    target: str
    line: int
    is_parameter: bool
    namespace: str = "params"  # of a parameter: "params" (templated pages) or "vars"

    @property
    def bound_name(self) -> str:
        """The DuckDB parameter it becomes: `$city` for params.city, `$vars_x` for vars.x."""
        return self.target if self.namespace == "params" else f"{self.namespace}_{self.target}"


@dataclass(frozen=True)
class PreparedSql:
    """SQL with references rewritten to view names and `$parameters`, plus what it reads."""

    text: str
    references: tuple[Reference, ...]
    plain_references: frozenset[str]

    @property
    def query_references(self) -> list[Reference]:
        return [reference for reference in self.references if not reference.is_parameter]

    @property
    def parameter_names(self) -> list[str]:
        """The bound parameter names, once each (`city`, `vars_threshold`)."""
        names = [ref.bound_name for ref in self.references if ref.is_parameter]
        return list(dict.fromkeys(names))

    @property
    def parameters(self) -> list[Reference]:
        """The first reference of each distinct parameter."""
        found: dict[tuple[str, str], Reference] = {}
        for reference in self.references:
            if reference.is_parameter:
                found.setdefault((reference.namespace, reference.target), reference)
        return list(found.values())


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parameter_namespace(raw: str) -> str | None:
    namespace, dot, _ = raw.partition(".")
    return namespace if dot and namespace in PARAMETER_NAMESPACES else None


def _reference(raw: str, line: int) -> Reference:
    namespace = _parameter_namespace(raw)
    if namespace is not None:
        name = raw.removeprefix(f"{namespace}.")
        if not _PARAMETER_NAME.fullmatch(name):
            raise PageError(line, f"bad parameter reference ${{{raw}}}")
        return Reference(name, line, is_parameter=True, namespace=namespace)
    if not QUERY_NAME.fullmatch(raw):
        raise PageError(line, f"bad query reference ${{{raw}}}: expected ${{query_name}}")
    return Reference(raw, line, is_parameter=False)


def prepare_sql(sql: str, first_line: int) -> PreparedSql:
    """Rewrite `${query}` / `${params.x}` outside comments; find plain `from q` references."""
    output: list[str] = []
    code: list[str] = []  # the SQL with literals and comments blanked, for plain references
    references: list[Reference] = []
    position = 0

    def line_at(offset: int) -> int:
        return first_line + sql.count("\n", 0, offset)

    while position < len(sql):
        character = sql[position]
        two = sql[position : position + 2]
        if two == "--":
            end = sql.find("\n", position)
            end = len(sql) if end == -1 else end
            output.append(sql[position:end])
            code.append(" ")
            position = end
        elif two == "/*":
            end = sql.find("*/", position + 2)
            end = len(sql) if end == -1 else end + 2
            output.append(sql[position:end])
            code.append(" ")
            position = end
        elif character in "'\"":
            end = position + 1
            while end < len(sql):
                if sql[end] == character:
                    if sql[end + 1 : end + 2] == character:
                        end += 2
                        continue
                    break
                end += 1
            literal = sql[position : end + 1]
            if end >= len(sql):
                raise PageError(line_at(position), "unterminated quoted text in SQL")
            if character == "'" and "${" in literal:
                output.append(_rewrite_literal(literal, line_at(position), references))
            else:
                output.append(literal)
            code.append(" " if character == "'" else literal)
            position = end + 1
        elif two == "${":
            end = sql.find("}", position)
            if end == -1:
                raise PageError(line_at(position), "unterminated ${ in SQL")
            reference = _reference(sql[position + 2 : end].strip(), line_at(position))
            references.append(reference)
            replacement = (
                f"${reference.bound_name}"
                if reference.is_parameter
                else quote_identifier(reference.target)
            )
            output.append(replacement)
            code.append(" " if reference.is_parameter else replacement)
            position = end + 1
        else:
            output.append(character)
            code.append(character)
            position += 1
    plain = frozenset(match.group(2) for match in _PLAIN_REFERENCE.finditer("".join(code)))
    text = "".join(output).strip().rstrip(";").strip()
    return PreparedSql(text, tuple(references), plain)


def _rewrite_literal(literal: str, line: int, references: list[Reference]) -> str:
    """'a ${params.x} b' → ('a ' || CAST($x AS VARCHAR) || ' b'), the same for ${vars.x};
    other ${} stay literal text."""
    body = literal[1:-1]
    parts: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(body):
        raw = match.group(1)
        if _parameter_namespace(raw) is None:
            continue
        reference = _reference(raw, line)
        references.append(reference)
        if match.start() > position:
            parts.append("'" + body[position : match.start()] + "'")
        parts.append(f"CAST(${reference.bound_name} AS VARCHAR)")
        position = match.end()
    if not parts:
        return literal
    if position < len(body):
        parts.append("'" + body[position:] + "'")
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def execution_order(queries: Mapping[str, SqlQuery]) -> list[str]:
    """Query names in dependency order; unknown `${refs}` and cycles raise PageError."""
    dependencies: dict[str, list[str]] = {}
    for name, query in queries.items():
        prepared = prepare_sql(query.sql, query.line + 1)
        needed: list[str] = []
        for reference in prepared.query_references:
            if reference.target not in queries:
                known = ", ".join(queries) or "none"
                raise PageError(
                    reference.line,
                    f"query '{name}' refers to unknown query ${{{reference.target}}} "
                    f"(queries of this page: {known})",
                )
            needed.append(reference.target)
        needed += [other for other in prepared.plain_references if other in queries]
        dependencies[name] = [other for other in dict.fromkeys(needed) if other != name]
        if any(ref.target == name for ref in prepared.query_references):
            raise PageError(query.line, f"query '{name}' refers to itself")

    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = [*path[path.index(name) :], name]
            raise PageError(queries[name].line, "queries form a cycle: " + " -> ".join(cycle))
        state[name] = "visiting"
        for other in dependencies[name]:
            visit(other, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in queries:
        visit(name, [])
    return order


@dataclass
class QueryResult(RowSequence):
    """The rows of one query as Python values, with column names and coarse kinds."""

    name: str
    columns: list[str]
    kinds: dict[str, str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def values(self, column: str) -> list[Any]:
        return [row.get(column) for row in self.rows]

    @classmethod
    def from_row(cls, name: str, row: Mapping[str, Any]) -> QueryResult:
        """A one-row result from a row dict (e.g. an `{#each}` loop variable)."""
        columns = list(row)
        return cls(name, columns, {c: value_kind(row[c]) for c in columns}, [dict(row)])


def _arrow_kind(data_type: pa.DataType) -> str:
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_integer(data_type):
        return "integer"
    if pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "number"
    if pa.types.is_date(data_type):
        return "date"
    if pa.types.is_timestamp(data_type):
        return "datetime"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    return "other"


def value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "number"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "string"
    return "other"


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def existing_relations(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the persistent tables and views the connection can read."""
    rows = connection.execute(
        "select table_name from duckdb_tables() where not temporary "
        "union select view_name from duckdb_views() where not internal and not temporary"
    ).fetchall()
    return {row[0] for row in rows}


def run_queries(
    queries: Mapping[str, SqlQuery],
    connection: duckdb.DuckDBPyConnection,
    params: Mapping[str, Any],
    *,
    variables: Mapping[str, Any] | None = None,
    max_rows: int = 100_000,
) -> dict[str, QueryResult]:
    """Run every query in dependency order; each result becomes a view named after its query.

    `params` are the values of a templated page (`${params.x}`), `variables` the page's
    front matter `vars:` (`${vars.x}`); both are bound, never spliced.
    """
    supplied = {"params": params, "vars": variables or {}}
    order = execution_order(queries)
    relations = existing_relations(connection)
    results: dict[str, QueryResult] = {}
    for name in order:
        query = queries[name]
        if name in relations:
            raise PageError(
                query.line, f"query name '{name}' hides the table '{name}': rename the query"
            )
        prepared = prepare_sql(query.sql, query.line + 1)
        bound: dict[str, Any] = {}
        for parameter in prepared.parameters:
            values = supplied[parameter.namespace]
            if parameter.target not in values:
                what = "parameters" if parameter.namespace == "params" else "front matter vars"
                known = ", ".join(f"{parameter.namespace}.{key}" for key in values)
                raise PageError(
                    query.line,
                    f"query '{name}' uses unknown parameter "
                    f"${{{parameter.namespace}.{parameter.target}}} "
                    f"({what}: {known or 'none on this page'})",
                )
            if parameter.bound_name in bound:
                raise PageError(
                    query.line,
                    f"query '{name}': ${{{parameter.namespace}.{parameter.target}}} and another "
                    f"parameter are both bound as ${parameter.bound_name}: rename one",
                )
            bound[parameter.bound_name] = values[parameter.target]
        try:
            relation = connection.sql(prepared.text, params=bound or None)
            if relation is None:
                raise PageError(query.line, f"query '{name}' returned no result set")
            table = relation.to_arrow_table()
        except PageError:
            raise
        except Exception as error:  # any failure of the author's SQL is a located build error
            message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise PageError(query.line, f"query '{name}' failed: {message}") from error
        if table.num_rows > max_rows:
            raise PageError(
                query.line,
                f"query '{name}' returned {table.num_rows} rows, more than {max_rows}: "
                "aggregate in SQL before showing it",
            )
        columns = list(table.column_names)
        if len(set(columns)) != len(columns):
            raise PageError(query.line, f"query '{name}' returns duplicate column names")
        connection.register(name, table)
        kinds = {field.name: _arrow_kind(field.type) for field in table.schema}
        rows = [{k: _normalise(v) for k, v in row.items()} for row in table.to_pylist()]
        results[name] = QueryResult(name, columns, kinds, rows)
    return results
