"""Render a parsed page to an HTML fragment: run its queries, expand blocks, draw components.

The page tree is expanded into one markdown document in which every component and every
interpolated value stands as an opaque placeholder word; markdown-it renders that document
once (so an `{#each}` that writes list items yields one list), then the placeholders are
replaced by the components' HTML and the HTML-escaped values.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
from markdown_it import MarkdownIt

from reports.components import COMPONENTS, ChildCall, ComponentError, RenderContext, coerce_prop
from reports.errors import PageError, ReportBuildError
from reports.expressions import ExpressionError, evaluate, is_truthy
from reports.formats import interpolation_text
from reports.parser import (
    ComponentNode,
    EachNode,
    ExpressionNode,
    IfNode,
    Node,
    Page,
    Prop,
    QueryNode,
    TextNode,
    page_vars,
)
from reports.queries import QueryResult, run_queries


def markdown_renderer() -> MarkdownIt:
    """CommonMark with raw HTML, tables and strikethrough."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


# The components whose data is offered for download beneath them (a chart or a table; a single
# value is read off the page).
DOWNLOADABLE = frozenset({"LineChart", "AreaChart", "BarChart", "DataTable"})
DOWNLOAD_FORMATS = ("csv", "parquet")


@dataclass
class RenderedPage:
    """The HTML body of one page and what the renderer noticed on the way. ``downloads``
    names the queries whose results the page links for download (in order of first use)."""

    body_html: str
    results: dict[str, QueryResult]
    warnings: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)


@dataclass
class _Expansion:
    """Markdown with placeholders, and the HTML each placeholder stands for."""

    nonce: str
    downloads_href: str | None = None  # the folder of the page's downloads, relative to it
    markdown: list[str] = field(default_factory=list)
    replacements: dict[str, str] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)

    def placeholder(self, html_text: str, *, block: bool) -> None:
        key = f"rptph{self.nonce}n{len(self.replacements)}e"
        self.replacements[key] = html_text
        self.markdown.append(f"\n\n{key}\n\n" if block else key)


def render_page(
    page: Page,
    connection: duckdb.DuckDBPyConnection,
    params: Mapping[str, Any] | None = None,
    *,
    show_sql: bool = False,
    downloads_href: str | None = None,
) -> RenderedPage:
    """Run the page's queries on `connection` and render its body; errors name page and line.

    With ``downloads_href`` (a folder, relative to the page), every chart and table is followed
    by links to its query's rows as CSV and Parquet in that folder (``<query>.csv``), which the
    caller writes from ``RenderedPage.downloads`` and ``results``."""
    try:
        variables = page_vars(page.front_matter)
        results = run_queries(page.queries, connection, params or {}, variables=variables)
        context = RenderContext()
        scope: dict[str, Any] = {**results, "params": dict(params or {}), "vars": variables}
        expansion = _Expansion(secrets.token_hex(4), downloads_href)
        _expand(page.body, scope, expansion, context, page, show_sql)
    except PageError as error:
        raise ReportBuildError.at(page.path, error.line, error.message) from None
    body = markdown_renderer().render("".join(expansion.markdown))
    body = _substitute(body, expansion.replacements)
    warnings = [f"{page.path}: {warning}" for warning in context.warnings]
    return RenderedPage(body, results, warnings, expansion.downloads)


def _substitute(body: str, replacements: Mapping[str, str]) -> str:
    if not replacements:
        return body
    keys = "|".join(re.escape(key) for key in replacements)
    body = re.sub(rf"<p>({keys})</p>\n?", lambda match: replacements[match.group(1)], body)
    return re.sub(keys, lambda match: replacements[match.group(0)], body)


def _expand(
    nodes: list[Node],
    scope: dict[str, Any],
    expansion: _Expansion,
    context: RenderContext,
    page: Page,
    show_sql: bool,
) -> None:
    for node in nodes:
        if isinstance(node, TextNode):
            expansion.markdown.append(node.text)
        elif isinstance(node, QueryNode):
            if show_sql:
                sql = html.escape(page.queries[node.name].sql.strip())
                expansion.placeholder(
                    f'<details class="sql"><summary>SQL: {html.escape(node.name)}</summary>'
                    f"<pre><code>{sql}</code></pre></details>\n",
                    block=True,
                )
        elif isinstance(node, ExpressionNode):
            value = _evaluate(node.expression, scope, node.line)
            if isinstance(value, QueryResult | list | dict):
                raise PageError(node.line, f"{{{node.source.strip()}}} is not a single value")
            expansion.placeholder(html.escape(interpolation_text(value)), block=False)
        elif isinstance(node, ComponentNode):
            spec = COMPONENTS[node.name]
            props = _evaluate_props(node, scope)
            children = [
                ChildCall(child.name, _evaluate_props(child, scope)) for child in node.children
            ]
            assert spec.render is not None
            try:
                rendered = spec.render(props, children, context)
            except ComponentError as error:
                raise PageError(node.line, str(error)) from None
            data = props.get("data")
            if (
                expansion.downloads_href is not None
                and node.name in DOWNLOADABLE
                and isinstance(data, QueryResult)
                and data.name in page.queries
            ):
                rendered += _download_links(expansion.downloads_href, data.name)
                if data.name not in expansion.downloads:
                    expansion.downloads.append(data.name)
            expansion.placeholder(rendered, block=not spec.inline)
        elif isinstance(node, EachNode):
            items = _evaluate(node.source, scope, node.line)
            if isinstance(items, QueryResult):
                items = items.rows
            if not isinstance(items, list):
                raise PageError(node.line, "{#each} needs a query result or a list")
            for index, item in enumerate(items):
                inner = {**scope, node.item_name: item}
                if node.index_name:
                    inner[node.index_name] = index
                _expand(node.body, inner, expansion, context, page, show_sql)
            if not items:
                _expand(node.else_body, scope, expansion, context, page, show_sql)
        elif isinstance(node, IfNode):
            for condition, body in node.branches:
                if is_truthy(_evaluate(condition, scope, node.line)):
                    _expand(body, scope, expansion, context, page, show_sql)
                    break
            else:
                _expand(node.else_body, scope, expansion, context, page, show_sql)


def _download_links(folder: str, query: str) -> str:
    links = " · ".join(
        f'<a href="{html.escape(folder + query)}.{extension}" download>{extension.upper()}</a>'
        for extension in DOWNLOAD_FORMATS
    )
    return f'\n<p class="downloads">下载数据 Download data: {links}</p>\n'


def _evaluate(expression: Any, scope: Mapping[str, Any], line: int) -> Any:
    try:
        return evaluate(expression, scope)
    except ExpressionError as error:
        raise PageError(line, f"bad expression: {error}") from None


def _prop_value(prop: Prop, scope: Mapping[str, Any]) -> Any:
    if prop.kind == "flag":
        return True
    if prop.kind == "literal":
        return prop.text
    if prop.kind == "expression":
        return _evaluate(prop.expression, scope, prop.line)
    texts = []
    for part in prop.parts:
        value = part if isinstance(part, str) else _evaluate(part, scope, prop.line)
        texts.append(value if isinstance(part, str) else interpolation_text(value))
    return "".join(texts)


def _evaluate_props(node: ComponentNode, scope: Mapping[str, Any]) -> dict[str, Any]:
    spec = COMPONENTS[node.name]
    values: dict[str, Any] = {}
    for name, prop in node.props.items():
        raw = _prop_value(prop, scope)
        try:
            values[name] = coerce_prop(name, spec.props[name], raw)
        except ComponentError as error:
            raise PageError(prop.line, f"<{node.name}> {error}") from None
    return values
