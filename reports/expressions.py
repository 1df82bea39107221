"""A small, safe expression language for report pages: `q.length > 0`, `row.col == 'x'`.

Expressions appear in `{...}` text interpolations, `{#if ...}` / `{#each ...}` blocks and
`prop={...}` component props. They are parsed by a hand-written Pratt parser into a tiny AST
and evaluated against a scope of query results and loop variables. Nothing is ever handed to
Python's `eval`: the only operations are literals, names, `.member` / `[index]` access on rows
and query results, arithmetic, comparisons, `&&` `||` `!` (and `and` `or` `not`), the ternary
`a ? b : c`, list literals and the whitelisted function `fmt(value, 'format')`.

Truthiness follows JavaScript (as in Evidence): `0`, `''`, `null` and `false` are false, a query
result or list is true even when empty, so write `q.length > 0`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.formats import format_value


class ExpressionError(ValueError):
    """An expression could not be parsed or evaluated; the message says why."""


# --- AST ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Member:
    target: Expression
    name: str


@dataclass(frozen=True)
class Index:
    target: Expression
    index: Expression


@dataclass(frozen=True)
class Unary:
    operator: str
    operand: Expression


@dataclass(frozen=True)
class Binary:
    operator: str
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Conditional:
    condition: Expression
    if_true: Expression
    if_false: Expression


@dataclass(frozen=True)
class ListLiteral:
    items: tuple[Expression, ...]


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Expression, ...]


Expression = Literal | Name | Member | Index | Unary | Binary | Conditional | ListLiteral | Call


# --- Tokenizer ------------------------------------------------------------------------------

_TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d]\w*)
  | (?P<operator>===|!==|==|!=|<=|>=|&&|\|\||[<>!+\-*/%?:.,()\[\]])
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_KEYWORD_LITERALS = {"true": True, "false": False, "null": None, "undefined": None}
_WORD_OPERATORS = {"and": "&&", "or": "||", "not": "!"}


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, operator, end
    text: str
    value: Any
    position: int


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), body)


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN_PATTERN.match(source, position)
        if match is None:
            raise ExpressionError(f"unexpected character {source[position]!r} in {source!r}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "number":
            value: Any = float(text) if any(c in text for c in ".eE") else int(text)
            tokens.append(_Token("number", text, value, position))
        elif kind == "string":
            tokens.append(_Token("string", text, _unescape(text[1:-1]), position))
        elif kind == "name":
            if text in _WORD_OPERATORS:
                tokens.append(_Token("operator", _WORD_OPERATORS[text], None, position))
            else:
                tokens.append(_Token("name", text, None, position))
        elif kind == "operator":
            tokens.append(_Token("operator", text, None, position))
        position = match.end()
    tokens.append(_Token("end", "", None, len(source)))
    return tokens


# --- Parser (precedence climbing) -----------------------------------------------------------

_BINARY_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "===": 3,
    "!==": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
_CANONICAL_OPERATOR = {"===": "==", "!==": "!="}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.position = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.position]

    def advance(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        if self.current.kind != "operator" or self.current.text != text:
            found = self.current.text or "end of expression"
            raise ExpressionError(f"expected {text!r} but found {found!r} in {self.source!r}")
        self.advance()

    def parse(self) -> Expression:
        if self.current.kind == "end":
            raise ExpressionError("empty expression")
        expression = self.parse_conditional()
        if self.current.kind != "end":
            raise ExpressionError(f"unexpected {self.current.text!r} in {self.source!r}")
        return expression

    def parse_conditional(self) -> Expression:
        condition = self.parse_binary(1)
        if self.current.kind == "operator" and self.current.text == "?":
            self.advance()
            if_true = self.parse_conditional()
            self.expect(":")
            if_false = self.parse_conditional()
            return Conditional(condition, if_true, if_false)
        return condition

    def parse_binary(self, minimum_precedence: int) -> Expression:
        left = self.parse_unary()
        while True:
            token = self.current
            precedence = _BINARY_PRECEDENCE.get(token.text) if token.kind == "operator" else None
            if precedence is None or precedence < minimum_precedence:
                return left
            self.advance()
            right = self.parse_binary(precedence + 1)
            operator = _CANONICAL_OPERATOR.get(token.text, token.text)
            left = Binary(operator, left, right)

    def parse_unary(self) -> Expression:
        token = self.current
        if token.kind == "operator" and token.text in ("!", "-", "+"):
            self.advance()
            return Unary(token.text, self.parse_unary())
        return self.parse_postfix(self.parse_primary())

    def parse_postfix(self, expression: Expression) -> Expression:
        while self.current.kind == "operator" and self.current.text in (".", "[", "("):
            token = self.advance()
            if token.text == ".":
                name = self.advance()
                if name.kind != "name":
                    raise ExpressionError(f"expected a name after '.' in {self.source!r}")
                expression = Member(expression, name.text)
            elif token.text == "[":
                index = self.parse_conditional()
                self.expect("]")
                expression = Index(expression, index)
            else:
                if not isinstance(expression, Name):
                    raise ExpressionError(f"only named functions can be called in {self.source!r}")
                if expression.name not in FUNCTIONS:
                    known = ", ".join(sorted(FUNCTIONS))
                    raise ExpressionError(
                        f"unknown function {expression.name!r} (allowed: {known})"
                    )
                arguments = self.parse_sequence(")")
                expression = Call(expression.name, arguments)
        return expression

    def parse_sequence(self, closing: str) -> tuple[Expression, ...]:
        items: list[Expression] = []
        while not (self.current.kind == "operator" and self.current.text == closing):
            items.append(self.parse_conditional())
            if self.current.kind == "operator" and self.current.text == ",":
                self.advance()
            elif not (self.current.kind == "operator" and self.current.text == closing):
                found = self.current.text or "end of expression"
                raise ExpressionError(f"expected ',' or {closing!r} but found {found!r}")
        self.advance()
        return tuple(items)

    def parse_primary(self) -> Expression:
        token = self.advance()
        if token.kind in ("number", "string"):
            return Literal(token.value)
        if token.kind == "name":
            if token.text in _KEYWORD_LITERALS:
                return Literal(_KEYWORD_LITERALS[token.text])
            return Name(token.text)
        if token.kind == "operator" and token.text == "(":
            expression = self.parse_conditional()
            self.expect(")")
            return expression
        if token.kind == "operator" and token.text == "[":
            return ListLiteral(self.parse_sequence("]"))
        found = token.text or "end of expression"
        raise ExpressionError(f"unexpected {found!r} in {self.source!r}")


def parse_expression(source: str) -> Expression:
    """Parse `source` into an expression tree; raise ExpressionError if it is not valid."""
    return _Parser(source.strip()).parse()


def referenced_names(expression: Expression) -> set[str]:
    """The free names an expression reads (e.g. query names), for validation and ordering."""
    if isinstance(expression, Name):
        return {expression.name}
    if isinstance(expression, Member):
        return referenced_names(expression.target)
    if isinstance(expression, Index):
        return referenced_names(expression.target) | referenced_names(expression.index)
    if isinstance(expression, Unary):
        return referenced_names(expression.operand)
    if isinstance(expression, Binary):
        return referenced_names(expression.left) | referenced_names(expression.right)
    if isinstance(expression, Conditional):
        return (
            referenced_names(expression.condition)
            | referenced_names(expression.if_true)
            | referenced_names(expression.if_false)
        )
    if isinstance(expression, ListLiteral | Call):
        items = expression.items if isinstance(expression, ListLiteral) else expression.arguments
        return set().union(*(referenced_names(item) for item in items))
    return set()


# --- Evaluation -----------------------------------------------------------------------------


class RowSequence:
    """Protocol-like base for sequences of rows (query results) the evaluator may index."""

    rows: list[dict[str, Any]]


def _format_function(value: Any, fmt: Any = None) -> str:
    if fmt is not None and not isinstance(fmt, str):
        raise ExpressionError("fmt(value, format): the format must be a string")
    try:
        return format_value(value, fmt)
    except ValueError as error:
        raise ExpressionError(str(error)) from error


FUNCTIONS: dict[str, Callable[..., Any]] = {"fmt": _format_function}


def is_truthy(value: Any) -> bool:
    """JavaScript truthiness: empty strings, 0, NaN, null and false are false; lists are true."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, RowSequence):
        return "a query result"
    if isinstance(value, Mapping):
        return "a row"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _member(value: Any, name: str) -> Any:
    if isinstance(value, RowSequence):
        if name == "length":
            return len(value.rows)
        raise ExpressionError(
            f"a query result has no member {name!r}: use .length or [index].{name}"
        )
    if isinstance(value, Mapping):
        if name in value:
            return value[name]
        known = ", ".join(str(key) for key in value)
        raise ExpressionError(f"no column {name!r} in row (columns: {known})")
    if isinstance(value, list | tuple | str) and name == "length":
        return len(value)
    raise ExpressionError(f"cannot read {name!r} of {_describe(value)}")


def _index(value: Any, index: Any) -> Any:
    if isinstance(value, RowSequence):
        value = value.rows
    if isinstance(value, list | tuple | str):
        if isinstance(index, bool) or not isinstance(index, int | float) or index != int(index):
            raise ExpressionError(f"a list index must be a whole number, not {index!r}")
        position = int(index)
        return value[position] if 0 <= position < len(value) else None
    if isinstance(value, Mapping):
        if isinstance(index, str):
            return _member(value, index)
        raise ExpressionError(f"a row is indexed by a column name, not {index!r}")
    raise ExpressionError(f"cannot index {_describe(value)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _arithmetic(operator: str, left: Any, right: Any) -> Any:
    if operator == "+" and (isinstance(left, str) or isinstance(right, str)):
        return f"{_as_text(left)}{_as_text(right)}"
    if not (_is_number(left) and _is_number(right)):
        raise ExpressionError(
            f"cannot apply {operator!r} to {_describe(left)} and {_describe(right)}"
        )
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        raise ExpressionError("division by zero")
    if operator == "/":
        return left / right
    return math.fmod(left, right)


def _as_text(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator == "==":
        return _equal(left, right)
    if operator == "!=":
        return not _equal(left, right)
    if left is None or right is None:
        return False
    comparable = (_is_number(left) and _is_number(right)) or type(left) is type(right)
    if not comparable:
        raise ExpressionError(f"cannot compare {_describe(left)} with {_describe(right)}")
    try:
        if operator == "<":
            return left < right
        if operator == "<=":
            return left <= right
        if operator == ">":
            return left > right
        return left >= right
    except TypeError as error:
        raise ExpressionError(f"cannot compare {left!r} with {right!r}") from error


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return left == right


def evaluate(expression: Expression, scope: Mapping[str, Any]) -> Any:
    """Evaluate an expression tree against `scope` (names → query results, rows, values)."""
    if isinstance(expression, Literal):
        return expression.value
    if isinstance(expression, Name):
        if expression.name in scope:
            return scope[expression.name]
        known = ", ".join(sorted(scope)) or "none"
        raise ExpressionError(f"unknown name {expression.name!r} (known: {known})")
    if isinstance(expression, Member):
        return _member(evaluate(expression.target, scope), expression.name)
    if isinstance(expression, Index):
        return _index(evaluate(expression.target, scope), evaluate(expression.index, scope))
    if isinstance(expression, Unary):
        operand = evaluate(expression.operand, scope)
        if expression.operator == "!":
            return not is_truthy(operand)
        if not _is_number(operand):
            raise ExpressionError(f"cannot apply {expression.operator!r} to {_describe(operand)}")
        return -operand if expression.operator == "-" else operand
    if isinstance(expression, Binary):
        left = evaluate(expression.left, scope)
        if expression.operator == "&&":
            return evaluate(expression.right, scope) if is_truthy(left) else left
        if expression.operator == "||":
            return left if is_truthy(left) else evaluate(expression.right, scope)
        right = evaluate(expression.right, scope)
        if expression.operator in ("+", "-", "*", "/", "%"):
            return _arithmetic(expression.operator, left, right)
        return _compare(expression.operator, left, right)
    if isinstance(expression, Conditional):
        if is_truthy(evaluate(expression.condition, scope)):
            return evaluate(expression.if_true, scope)
        return evaluate(expression.if_false, scope)
    if isinstance(expression, ListLiteral):
        return [evaluate(item, scope) for item in expression.items]
    if isinstance(expression, Call):
        arguments: Sequence[Any] = [evaluate(item, scope) for item in expression.arguments]
        try:
            return FUNCTIONS[expression.function](*arguments)
        except TypeError as error:
            raise ExpressionError(f"bad arguments to {expression.function}(): {error}") from error
    raise ExpressionError(f"cannot evaluate {expression!r}")  # pragma: no cover
