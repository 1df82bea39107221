"""Parse a page (front matter, markdown, ```sql name``` blocks, components, {#each}/{#if}).

The result is a `Page`: its front matter, its named queries and a tree of nodes (markdown
text, `{expression}` interpolations, components with their props, each/if blocks). Everything
that can be checked without running a query is checked here, so a page with an unknown
component, an unknown prop, a bad expression or an unknown query reference fails before any
SQL runs, with the page path and line in the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from reports.components import COMPONENTS, check_literal_prop
from reports.errors import PageError, ReportBuildError
from reports.expressions import (
    Expression as ExpressionTree,
)
from reports.expressions import (
    ExpressionError,
    Name,
    parse_expression,
    referenced_names,
)
from reports.queries import QUERY_NAME, SqlQuery, execution_order, prepare_sql

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*?)\s*$")
_TAG_NAME = re.compile(r"<([A-Z][A-Za-z0-9]*)")
_CLOSE_TAG = re.compile(r"</([A-Z][A-Za-z0-9]*)\s*>")
_PROP_NAME = re.compile(r"[A-Za-z_][\w\-:]*")
_BARE_VALUE = re.compile(r"(?:(?!/>)[^\s>])+")
_EACH = re.compile(r"^#each\s+(.+?)\s+as\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s*$", re.S)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
RESERVED_NAMES = frozenset({"params", "vars"})


# --- Nodes ----------------------------------------------------------------------------------


@dataclass
class TextNode:
    """Markdown text, passed to markdown-it as it is."""

    text: str
    line: int


@dataclass
class ExpressionNode:
    """A `{expression}` whose value is printed (HTML-escaped) in the text."""

    expression: ExpressionTree
    source: str
    line: int


@dataclass
class QueryNode:
    """Where a ```sql name``` block stood: nothing is shown unless the SQL display is on."""

    name: str
    line: int


@dataclass
class Prop:
    """A component prop: literal text, a `{...}` expression, a quoted template, or a flag."""

    name: str
    kind: str  # literal, expression, template, flag
    text: str
    line: int
    expression: ExpressionTree | None = None
    parts: list[str | ExpressionTree] = field(default_factory=list)


@dataclass
class ComponentNode:
    name: str
    props: dict[str, Prop]
    line: int
    children: list[ComponentNode] = field(default_factory=list)


@dataclass
class EachNode:
    source: ExpressionTree
    item_name: str
    index_name: str | None
    line: int
    body: list[Node] = field(default_factory=list)
    else_body: list[Node] = field(default_factory=list)


@dataclass
class IfNode:
    line: int
    branches: list[tuple[ExpressionTree, list[Node]]] = field(default_factory=list)
    else_body: list[Node] = field(default_factory=list)


Node = TextNode | ExpressionNode | QueryNode | ComponentNode | EachNode | IfNode


@dataclass
class Page:
    """A parsed page: `path` is the path shown in error messages."""

    path: str
    front_matter: dict[str, Any]
    queries: dict[str, SqlQuery]
    body: list[Node]


# --- Tokens ---------------------------------------------------------------------------------


@dataclass
class _Token:
    kind: str  # text, expression, block, open, close, query
    line: int
    text: str = ""
    name: str = ""
    props: dict[str, Prop] = field(default_factory=dict)
    self_closing: bool = False
    expression: ExpressionTree | None = None


def parse_page(text: str, path: str) -> Page:
    """Parse page source; raise ReportBuildError naming `path` and the line on any problem."""
    try:
        return _parse(text, path)
    except PageError as error:
        raise ReportBuildError.at(path, error.line, error.message) from None


def _parse(text: str, path: str) -> Page:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front_matter, body, body_line = _split_front_matter(text)
    _check_front_matter(front_matter, text)
    tokens, queries = _tokenize_segments(body, body_line)
    execution_order(queries)  # unknown ${references} and cycles fail here, before any SQL runs
    _check_vars_used(queries, page_vars(front_matter))
    nodes = _build_tree(tokens, set(queries))
    return Page(path, front_matter, queries, nodes)


def page_vars(front_matter: dict[str, Any]) -> dict[str, Any]:
    """The page's constants (front matter `vars:`), e.g. a threshold the SQL reads."""
    return dict(front_matter.get("vars") or {})


def required_tables(front_matter: dict[str, Any]) -> list[str]:
    """The published tables the page needs (front matter `requires:`)."""
    return list(front_matter.get("requires") or [])


def _front_matter_line(text: str, key: str) -> int:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _check_front_matter(front_matter: dict[str, Any], text: str) -> None:
    """`vars:` maps names to plain values; `requires:` lists table names."""
    declared = front_matter.get("vars")
    if declared is not None:
        line = _front_matter_line(text, "vars")
        if not isinstance(declared, dict):
            raise PageError(line, "vars: must map names to values, e.g. vars: {threshold_pct: 10}")
        for name, value in declared.items():
            if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
                raise PageError(line, f"vars: {name!r} is not a name (letters, digits, _)")
            if value is None or not isinstance(value, str | int | float | bool):
                raise PageError(
                    line, f"vars: {name} must be a number, text or true/false, not {value!r}"
                )
    required = front_matter.get("requires")
    if required is not None:
        line = _front_matter_line(text, "requires")
        if isinstance(required, str):
            required = front_matter["requires"] = [required]
        if not isinstance(required, list) or not all(
            isinstance(name, str) and _IDENTIFIER.fullmatch(name) for name in required
        ):
            raise PageError(
                line, "requires: must list table names, e.g. requires: [emissions_by_city]"
            )


def _check_vars_used(queries: dict[str, SqlQuery], declared: dict[str, Any]) -> None:
    for query in queries.values():
        for reference in prepare_sql(query.sql, query.line + 1).parameters:
            if reference.namespace == "vars" and reference.target not in declared:
                known = ", ".join(f"vars.{name}" for name in declared) or "none"
                raise PageError(
                    reference.line,
                    f"query '{query.name}' uses ${{vars.{reference.target}}}, which the front "
                    f"matter does not declare (vars: {known})",
                )


def _split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            try:
                data = yaml.safe_load("\n".join(lines[1:index])) or {}
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                line = mark.line + 2 if mark is not None else 1
                problem = getattr(error, "problem", None) or str(error)
                raise PageError(line, f"bad front matter: {problem}") from None
            if not isinstance(data, dict):
                raise PageError(1, "front matter must be a mapping of keys to values")
            return data, "\n".join(lines[index + 1 :]), index + 2
    raise PageError(1, "front matter opened with --- is never closed")


def _tokenize_segments(body: str, first_line: int) -> tuple[list[_Token], dict[str, SqlQuery]]:
    """Split the body into fenced code, sql blocks and template text, then scan the text."""
    lines = body.split("\n")
    tokens: list[_Token] = []
    queries: dict[str, SqlQuery] = {}
    pending: list[str] = []
    pending_line = first_line
    index = 0

    def flush(next_line: int) -> None:
        nonlocal pending, pending_line
        if pending:
            tokens.extend(_scan_template("\n".join(pending) + "\n", pending_line))
        pending = []
        pending_line = next_line

    while index < len(lines):
        line = lines[index]
        line_number = first_line + index
        fence = _FENCE_OPEN.match(line)
        if fence is None or (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            if not pending:
                pending_line = line_number
            pending.append(line)
            index += 1
            continue
        marker = fence.group(2)
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
        end = next((i for i in range(index + 1, len(lines)) if closing.match(lines[i])), None)
        info = fence.group(3).split()
        is_sql = bool(info) and info[0].lower() == "sql"
        if end is None:
            if is_sql:
                raise PageError(line_number, "```sql block is never closed")
            end = len(lines) - 1  # CommonMark: an unclosed fence runs to the end
        flush(first_line + end + 1)
        if is_sql:
            if len(info) < 2 or not QUERY_NAME.fullmatch(info[1]):
                raise PageError(line_number, "a ```sql block needs a name: ```sql my_query")
            name = info[1]
            if name in RESERVED_NAMES:
                raise PageError(line_number, f"'{name}' is reserved and cannot name a query")
            if name in queries:
                first = queries[name].line
                raise PageError(line_number, f"query '{name}' is defined twice (line {first})")
            sql = "\n".join(lines[index + 1 : end])
            queries[name] = SqlQuery(name, sql, line_number)
            tokens.append(_Token("query", line_number, name=name))
        else:
            code = "\n".join(lines[index : end + 1]) + "\n"
            tokens.append(_Token("text", line_number, text=code))
        index = end + 1
    flush(first_line + len(lines))
    return tokens, queries


def _find_closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `{` at `start`, skipping quoted strings; -1 if none."""
    depth = 0
    position = start
    while position < len(text):
        character = text[position]
        if character in "'\"":
            end = position + 1
            while end < len(text) and text[end] != character:
                end += 2 if text[end] == "\\" else 1
            position = end + 1
            continue
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return -1


def _expression(source: str, line: int) -> ExpressionTree:
    try:
        return parse_expression(source)
    except ExpressionError as error:
        raise PageError(line, f"bad expression {{{source.strip()}}}: {error}") from None


def _scan_template(text: str, first_line: int) -> list[_Token]:
    """Scan markdown text for `{...}` blocks and expressions and `<Component>` tags."""
    tokens: list[_Token] = []
    buffer: list[str] = []
    buffer_start = 0
    position = 0

    def line_at(offset: int) -> int:
        return first_line + text.count("\n", 0, offset)

    def flush(upto: int) -> None:
        nonlocal buffer, buffer_start
        if buffer:
            tokens.append(_Token("text", line_at(buffer_start), text="".join(buffer)))
        buffer = []
        buffer_start = upto

    def add(piece: str, at: int) -> None:
        nonlocal buffer_start
        if not buffer:
            buffer_start = at
        buffer.append(piece)

    while position < len(text):
        character = text[position]
        if text.startswith("<!--", position):
            end = text.find("-->", position + 4)
            end = len(text) if end == -1 else end + 3
            add(text[position:end], position)
            position = end
        elif character == "`":
            run = len(text[position:]) - len(text[position:].lstrip("`"))
            closing = re.compile(rf"(?<!`){'`' * run}(?!`)").search(text, position + run)
            end = closing.end() if closing else position + run
            add(text[position:end], position)
            position = end
        elif character == "\\" and text[position + 1 : position + 2] in ("{", "}", "<"):
            add(text[position : position + 2], position)
            position += 2
        elif character == "{":
            end = _find_closing_brace(text, position)
            if end == -1:
                raise PageError(line_at(position), "unclosed { (write \\{ for a literal brace)")
            content = text[position + 1 : end]
            line = line_at(position)
            if content[:1] in ("#", ":", "/"):
                line_start = text.rfind("\n", 0, position) + 1
                line_end = text.find("\n", end)
                line_end = len(text) if line_end == -1 else line_end
                standalone = (
                    not text[line_start:position].strip() and not text[end + 1 : line_end].strip()
                )
                if standalone:  # a block tag alone on its line leaves no blank line behind
                    indent = position - line_start
                    joined = "".join(buffer)
                    buffer = [joined[: len(joined) - indent]] if indent else [joined]
                    end = min(line_end, len(text) - 1)
                flush(end + 1)
                tokens.append(_Token("block", line, text=content.strip()))
                buffer_start = end + 1
            else:
                flush(end + 1)
                tokens.append(
                    _Token("expression", line, text=content, expression=_expression(content, line))
                )
                buffer_start = end + 1
            position = end + 1
        elif character == "<" and _CLOSE_TAG.match(text, position):
            match = _CLOSE_TAG.match(text, position)
            assert match is not None
            flush(match.end())
            tokens.append(_Token("close", line_at(position), name=match.group(1)))
            position = match.end()
        elif character == "<" and _TAG_NAME.match(text, position):
            token, end = _scan_tag(text, position, line_at)
            flush(end)
            tokens.append(token)
            position = end
        else:
            add(character, position)
            position += 1
    flush(position)
    return tokens


def _scan_tag(text: str, start: int, line_at: Callable[[int], int]) -> tuple[_Token, int]:
    match = _TAG_NAME.match(text, start)
    assert match is not None
    name = match.group(1)
    line = line_at(start)
    props: dict[str, Prop] = {}
    position = match.end()
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            raise PageError(line, f"<{name}> tag is never closed with > or />")
        if text.startswith("/>", position):
            return _Token("open", line, name=name, props=props, self_closing=True), position + 2
        if text[position] == ">":
            return _Token("open", line, name=name, props=props), position + 1
        prop_match = _PROP_NAME.match(text, position)
        if prop_match is None:
            raise PageError(line_at(position), f"unexpected {text[position]!r} in <{name}> tag")
        prop_name = prop_match.group()
        prop_line = line_at(position)
        position = prop_match.end()
        if prop_name in props:
            raise PageError(prop_line, f"prop '{prop_name}' given twice in <{name}>")
        if not text.startswith("=", position):
            props[prop_name] = Prop(prop_name, "flag", "true", prop_line)
            continue
        position += 1
        quote = text[position : position + 1]
        if quote in ("'", '"'):
            end = text.find(quote, position + 1)
            if end == -1:
                raise PageError(prop_line, f"unclosed {quote} in prop '{prop_name}' of <{name}>")
            value = text[position + 1 : end]
            props[prop_name] = _template_prop(prop_name, value, prop_line)
            position = end + 1
        elif quote == "{":
            end = _find_closing_brace(text, position)
            if end == -1:
                raise PageError(prop_line, f"unclosed {{ in prop '{prop_name}' of <{name}>")
            source = text[position + 1 : end]
            props[prop_name] = Prop(
                prop_name, "expression", source, prop_line, _expression(source, prop_line)
            )
            position = end + 1
        else:
            bare = _BARE_VALUE.match(text, position)
            if bare is None:
                raise PageError(prop_line, f"prop '{prop_name}' of <{name}> has no value")
            props[prop_name] = Prop(prop_name, "literal", bare.group(), prop_line)
            position = bare.end()


def _template_prop(name: str, value: str, line: int) -> Prop:
    if "{" not in value:
        return Prop(name, "literal", value, line)
    parts: list[str | ExpressionTree] = []
    position = 0
    while position < len(value):
        start = value.find("{", position)
        if start == -1:
            parts.append(value[position:])
            break
        if start > position:
            parts.append(value[position:start])
        end = _find_closing_brace(value, start)
        if end == -1:
            raise PageError(line, f"unclosed {{ in prop '{name}'")
        parts.append(_expression(value[start + 1 : end], line))
        position = end + 1
    return Prop(name, "template", value, line, parts=parts)


# --- Tree -----------------------------------------------------------------------------------


@dataclass
class _Frame:
    kind: str  # root, component, each, if
    node: Any
    items: list[Any]
    line: int
    scope: frozenset[str]
    has_else: bool = False


def _check_names(expression: ExpressionTree, scope: frozenset[str], line: int, what: str) -> None:
    for name in sorted(referenced_names(expression)):
        if name not in scope:
            known = ", ".join(sorted(scope)) or "none"
            raise PageError(
                line, f"{what} refers to unknown query or variable '{name}' (known: {known})"
            )


def _component(token: _Token, parent: _Frame, scope: frozenset[str]) -> ComponentNode:
    spec = COMPONENTS.get(token.name)
    if spec is None:
        raise PageError(token.line, f"unknown component <{token.name}>")
    parent_name = parent.node.name if parent.kind == "component" else None
    if spec.parents and parent_name not in spec.parents:
        allowed = ", ".join(f"<{name}>" for name in sorted(spec.parents))
        raise PageError(token.line, f"<{token.name}> is only allowed inside {allowed}")
    if parent_name is not None:
        parent_spec = COMPONENTS[parent_name]
        if token.name not in parent_spec.children:
            raise PageError(token.line, f"<{token.name}> is not allowed inside <{parent_name}>")
    for prop in token.props.values():
        prop_spec = spec.props.get(prop.name)
        if prop_spec is None:
            known = ", ".join(spec.props)
            raise PageError(
                prop.line, f"unknown prop '{prop.name}' for <{token.name}> (props: {known})"
            )
        if prop.kind == "literal" and prop_spec.kind == "data":
            if not _IDENTIFIER.fullmatch(prop.text):
                raise PageError(prop.line, f"{prop.name}= must name a query: {prop.name}={{q}}")
            prop.kind, prop.expression = "expression", Name(prop.text)
        elif prop.kind in ("literal", "flag"):
            problem = check_literal_prop(prop_spec, prop.text)
            if problem:
                raise PageError(prop.line, f"<{token.name}> {prop.name}: {problem}")
        expressions = [prop.expression] if prop.expression is not None else []
        expressions += [part for part in prop.parts if not isinstance(part, str)]
        for expression in expressions:
            _check_names(expression, scope, prop.line, f"<{token.name}> {prop.name}=")
    for name, prop_spec in spec.props.items():
        if prop_spec.required and name not in token.props:
            raise PageError(token.line, f"<{token.name}> needs the prop {name}=")
    return ComponentNode(token.name, dict(token.props), token.line)


def _build_tree(tokens: list[_Token], query_names: set[str]) -> list[Node]:
    base_scope = frozenset(query_names | RESERVED_NAMES)
    root = _Frame("root", None, [], 0, base_scope)
    stack = [root]
    for token in tokens:
        frame = stack[-1]
        if frame.kind == "component" and token.kind != "open" and token.kind != "close":
            if token.kind == "text" and not token.text.strip():
                continue
            leading = token.text[: len(token.text) - len(token.text.lstrip())]
            raise PageError(
                token.line + leading.count("\n"),
                f"only child components are allowed inside <{frame.node.name}>",
            )
        if token.kind == "text":
            frame.items.append(TextNode(token.text, token.line))
        elif token.kind == "query":
            frame.items.append(QueryNode(token.name, token.line))
        elif token.kind == "expression":
            assert token.expression is not None
            _check_names(token.expression, frame.scope, token.line, f"{{{token.text.strip()}}}")
            frame.items.append(ExpressionNode(token.expression, token.text, token.line))
        elif token.kind == "open":
            node = _component(token, frame, frame.scope)
            if token.self_closing:
                frame.items.append(node)
            else:
                stack.append(_Frame("component", node, node.children, token.line, frame.scope))
        elif token.kind == "close":
            if frame.kind != "component" or frame.node.name != token.name:
                opened = (
                    f" (<{frame.node.name}> opened at line {frame.line} is still open)"
                    if frame.kind == "component"
                    else ""
                )
                raise PageError(token.line, f"</{token.name}> closes nothing{opened}")
            stack.pop()
            stack[-1].items.append(frame.node)
        else:
            _block(token, stack)
    if len(stack) > 1:
        frame = stack[-1]
        what = f"<{frame.node.name}>" if frame.kind == "component" else f"{{#{frame.kind}}}"
        raise PageError(frame.line, f"{what} is never closed")
    return root.items


def _block(token: _Token, stack: list[_Frame]) -> None:
    frame = stack[-1]
    content = token.text
    if content.startswith("#each"):
        match = _EACH.match(content)
        if match is None:
            raise PageError(token.line, "expected {#each query as row} or {#each query as row, i}")
        source = _expression(match.group(1), token.line)
        _check_names(source, frame.scope, token.line, "{#each}")
        item_name, index_name = match.group(2), match.group(3)
        node = EachNode(source, item_name, index_name, token.line)
        scope = frame.scope | {item_name} | ({index_name} if index_name else set())
        stack.append(_Frame("each", node, node.body, token.line, frozenset(scope)))
        frame.items.append(node)
    elif content.startswith("#if"):
        condition = content.removeprefix("#if")
        if not condition.strip() or not condition[0].isspace():
            raise PageError(token.line, "expected {#if condition}")
        expression = _expression(condition, token.line)
        _check_names(expression, frame.scope, token.line, "{#if}")
        node = IfNode(token.line)
        node.branches.append((expression, []))
        stack.append(_Frame("if", node, node.branches[0][1], token.line, frame.scope))
        frame.items.append(node)
    elif content.startswith(":else"):
        rest = content.removeprefix(":else").strip()
        if frame.kind not in ("if", "each") or frame.has_else:
            raise PageError(token.line, "{:else} without an open {#if} or {#each}")
        if rest.startswith("if ") or rest == "if":
            if frame.kind != "if":
                raise PageError(token.line, "{:else if} is only allowed inside {#if}")
            expression = _expression(rest.removeprefix("if"), token.line)
            _check_names(expression, frame.scope, token.line, "{:else if}")
            frame.node.branches.append((expression, []))
            frame.items = frame.node.branches[-1][1]
        elif rest:
            raise PageError(token.line, f"unexpected {{:else {rest}}}")
        else:
            frame.has_else = True
            frame.items = frame.node.else_body
            if frame.kind == "each":  # the loop variable is not defined in the else branch
                frame.scope = stack[-2].scope
    elif content in ("/each", "/if"):
        expected = content[1:]
        if frame.kind != expected:
            raise PageError(token.line, f"{{{content}}} without an open {{#{expected}}}")
        stack.pop()
    else:
        raise PageError(token.line, f"unknown block {{{content}}}")
