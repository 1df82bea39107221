"""The page expression language: parsing, JavaScript-like evaluation, and what it refuses."""

from __future__ import annotations

import pytest

from reports.expressions import ExpressionError, evaluate, parse_expression, referenced_names
from reports.queries import QueryResult

ROWS = [{"name": "太原市", "total": 55.0}, {"name": "大同市", "total": 25.0}]
QUERY = QueryResult("q", ["name", "total"], {"name": "string", "total": "number"}, ROWS)
EMPTY = QueryResult("empty", ["name"], {"name": "string"}, [])
SCOPE = {"q": QUERY, "empty": EMPTY, "row": ROWS[0], "params": {"city": "140100"}}


def run(source: str, scope: dict | None = None):
    return evaluate(parse_expression(source), SCOPE if scope is None else scope)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("q.length > 0", True),
        ("q.length", 2),
        ("empty.length > 0", False),
        ("q[0].total > 5", True),
        ("q[1].total", 25.0),
        ("q[0]['name']", "太原市"),
        ("row.name == '太原市'", True),
        ('row.name === "大同市"', False),
        ("row.name != 'x'", True),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 % 4", 2.0),
        ("-q[0].total", -55.0),
        ("!false && true", True),
        ("false || 'fallback'", "fallback"),
        ("q.length > 1 ? 'many' : 'one'", "many"),
        ("q.length > 5 and true", False),
        ("not (q.length > 5)", True),
        ("'共 ' + q.length + ' 个'", "共 2 个"),
        ('["a", "b"]', ["a", "b"]),
        ("params.city", "140100"),
        ("fmt(q[0].total * 1000000, '万吨')", "5,500.0 万吨"),
        ("q[7]", None),
        ("null == undefined", True),
        ("1.5e3", 1500.0),
    ],
)
def test_evaluates_like_evidence(source, expected):
    assert run(source) == expected


def test_truthiness_follows_javascript_not_python():
    # An empty query result is an (empty) array: true in JavaScript, so write .length > 0.
    assert run("empty ? 'yes' : 'no'") == "yes"
    assert run("0 ? 'yes' : 'no'") == "no"
    assert run("'' ? 'yes' : 'no'") == "no"
    assert run("null ? 'yes' : 'no'") == "no"


def test_and_or_short_circuit_so_guards_work():
    # q[5] is null; reading .total of it would fail if && did not stop at the false left side.
    assert run("q.length > 5 && q[5].total > 0") is False


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("q.length >", "unexpected"),
        ("q[0].", "expected a name"),
        ("row.missing", "no column 'missing' in row (columns: name, total)"),
        ("nope.length", "unknown name 'nope'"),
        ("q.rows", "a query result has no member 'rows'"),
        ("q[5].total", "cannot read 'total' of null"),
        ("__import__('os')", "unknown function '__import__'"),
        ("row.name.upper()", "only named functions can be called"),
        ("q[0].total / 0", "division by zero"),
        ("row.name < 5", "cannot compare"),
        ("1 +", "unexpected"),
        ("a = 1", "unexpected character '='"),
        ("", "empty expression"),
    ],
)
def test_refuses_with_a_reason(source, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(source)


def test_no_python_attribute_is_reachable():
    for source in ("row.__class__", "q.__dict__", "row['__class__']"):
        with pytest.raises(ExpressionError):
            run(source)


def test_referenced_names_lists_free_names_only():
    expression = parse_expression("q.length > 0 && row.total > fmt(other[0].x, 'pct')")
    assert referenced_names(expression) == {"q", "row", "other"}
