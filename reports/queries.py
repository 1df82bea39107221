"""Named SQL queries of a page: references, dependency order and execution on DuckDB.

A query refers to another query of the same page as `${other}` (or plainly `from other`);
each result is registered on the page's connection as a view named after the query, so the
reference reads the materialised result. `${params.city}` becomes the bound parameter `$city`
(also inside a quoted literal `'${params.city}'`, which binds `CAST($city AS VARCHAR)`): a
parameter value is never spliced into the SQL text.
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


@dataclass(frozen=True)
class Reference:
    """A `${...}` reference found in SQL: a query name or a `params.` field, and its line."""

    target: str
    line: int
    is_parameter: bool


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
        names = [ref.target for ref in self.references if ref.is_parameter]
        return list(dict.fromkeys(names))


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reference(raw: str, line: int) -> Reference:
    if raw.startswith("params."):
        name = raw.removeprefix("params.")
        if not _PARAMETER_NAME.fullmatch(name):
            raise PageError(line, f"bad parameter reference ${{{raw}}}")
        return Reference(name, line, is_parameter=True)
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
                f"${reference.target}"
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
    """'a ${params.x} b' → ('a ' || CAST($x AS VARCHAR) || ' b'); other ${} stay literal text."""
    body = literal[1:-1]
    parts: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(body):
        raw = match.group(1)
        if not raw.startswith("params."):
            continue
        reference = _reference(raw, line)
        references.append(reference)
        if match.start() > position:
            parts.append("'" + body[position : match.start()] + "'")
        parts.append(f"CAST(${reference.target} AS VARCHAR)")
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
    max_rows: int = 100_000,
) -> dict[str, QueryResult]:
    """Run every query in dependency order; each result becomes a view named after its query."""
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
        for parameter in prepared.parameter_names:
            if parameter not in params:
                known = ", ".join(f"params.{key}" for key in params) or "none on this page"
                raise PageError(
                    query.line,
                    f"query '{name}' uses unknown parameter ${{params.{parameter}}} "
                    f"(parameters: {known})",
                )
            bound[parameter] = params[parameter]
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
