"""The page components (BigValue, charts, DataTable, Value): registry, prop checks and HTML.

Each component declares its props with a kind (query data, column, format, bool …) so the
parser can refuse unknown components and props, and literal values are checked before any
query runs. Charts are built with Altair and emitted as Vega-Lite JSON in a
`<script type="application/json">` that `assets/reports.js` hands to vega-embed in the
browser; Altair's own HTML (which loads scripts from a CDN) is never used.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import altair as alt

from reports.formats import NumberFormat, format_value, parse_format
from reports.queries import QueryResult

FONT_STACK = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'
PALETTE = [
    "#236aa4",
    "#e0822d",
    "#45a1bf",
    "#8f3d56",
    "#85c7c6",
    "#f4b548",
    "#46a485",
    "#a5cdee",
    "#8dacbf",
    "#d2c6ac",
]
VEGA_CONFIG: dict[str, Any] = {
    "font": FONT_STACK,
    "view": {"stroke": None},
    "axis": {
        "labelFont": FONT_STACK,
        "titleFont": FONT_STACK,
        "labelFontSize": 11,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "gridColor": "#e5e7eb",
        "domainColor": "#9ca3af",
        "tickColor": "#9ca3af",
    },
    "legend": {"labelFont": FONT_STACK, "titleFont": FONT_STACK, "orient": "top"},
    "title": {
        "font": FONT_STACK,
        "subtitleFont": FONT_STACK,
        "anchor": "start",
        "fontSize": 14,
        "fontWeight": 600,
    },
    "range": {"category": PALETTE},
    "mark": {"color": PALETTE[0]},
}
DEFAULT_CHART_HEIGHT = 260


class ComponentError(ValueError):
    """A component cannot be rendered with the props it was given."""


@dataclass(frozen=True)
class PropSpec:
    """A prop's kind: data, column, columns, text, bool, int, rows, number, format or choice."""

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None


@dataclass
class RenderContext:
    """Per-page rendering state: warnings and a counter for unique element ids."""

    warnings: list[str] = field(default_factory=list)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self.counter)}"


@dataclass(frozen=True)
class ChildCall:
    """An evaluated child component (e.g. a Column of a DataTable)."""

    name: str
    props: Mapping[str, Any]


Renderer = Callable[[Mapping[str, Any], Sequence[ChildCall], RenderContext], str]


@dataclass(frozen=True)
class ComponentSpec:
    """What the parser and renderer know about one component."""

    name: str
    props: Mapping[str, PropSpec]
    render: Renderer | None  # None for child-only components (Column)
    inline: bool = False
    children: frozenset[str] = frozenset()
    parents: frozenset[str] = frozenset()  # if set, only valid inside these components


# --- Prop values ----------------------------------------------------------------------------


def check_literal_prop(spec: PropSpec, text: str) -> str | None:
    """The problem with a literal (non-expression) prop value, or None if it is acceptable."""
    if spec.kind == "bool" and text not in ("true", "false"):
        return f"expected true or false, got {text!r}"
    if spec.kind == "int" and not text.lstrip("-").isdigit():
        return f"expected a whole number, got {text!r}"
    if spec.kind == "rows" and not (text.isdigit() or text == "all"):
        return f"expected a number of rows or all, got {text!r}"
    if spec.kind == "number":
        try:
            float(text)
        except ValueError:
            return f"expected a number, got {text!r}"
    if spec.kind == "format":
        try:
            parse_format(text)
        except ValueError as error:
            return str(error)
    if spec.kind == "choice" and text not in spec.choices:
        return f"expected one of {', '.join(spec.choices)}, got {text!r}"
    return None


def coerce_prop(name: str, spec: PropSpec, value: Any) -> Any:
    """Convert an evaluated prop value to the prop's kind; raise ComponentError if it cannot."""
    kind = spec.kind
    if kind == "data":
        if isinstance(value, QueryResult):
            return value
        if isinstance(value, Mapping):
            return QueryResult.from_row("row", value)
        raise ComponentError(f"{name}= must be a query, e.g. {name}={{my_query}}")
    if kind == "columns":
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return value
        raise ComponentError(f'{name}= must be a column or a list like {{["a", "b"]}}')
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise ComponentError(f"{name}= must be true or false, got {value!r}")
    if kind in ("int", "rows"):
        if kind == "rows" and value == "all":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ComponentError(f"{name}= must be a whole number, got {value!r}") from None
    if kind == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ComponentError(f"{name}= must be a number, got {value!r}") from None
    if kind == "format":
        try:
            parse_format(str(value))
        except ValueError as error:
            raise ComponentError(str(error)) from None
        return str(value)
    if kind == "choice":
        if value not in spec.choices:
            raise ComponentError(f"{name}= must be one of {', '.join(spec.choices)}")
        return value
    if value is None:
        return None
    return value if isinstance(value, str) else format_value(value)


def _require_column(result: QueryResult, column: str, component: str, prop: str) -> str:
    if column not in result.columns:
        known = ", ".join(result.columns)
        raise ComponentError(
            f"<{component}> {prop}={column}: no column '{column}' in query "
            f"'{result.name}' (columns: {known})"
        )
    return column


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _json_for_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _format(fmt: str | None) -> NumberFormat | None:
    return parse_format(fmt) if fmt else None


# --- BigValue and Value ---------------------------------------------------------------------


def render_value(props: Mapping[str, Any], _: Sequence[ChildCall], ctx: RenderContext) -> str:
    result: QueryResult = props["data"]
    column = props.get("column") or (result.columns[0] if result.columns else "")
    _require_column(result, column, "Value", "column")
    row = props.get("row") or 0
    if not 0 <= row < len(result.rows):
        ctx.warnings.append(f"<Value> row {row} of query '{result.name}' does not exist")
        return '<span class="value value-missing">–</span>'
    text = format_value(result.rows[row][column], props.get("fmt"), column)
    return f'<span class="value">{_escape(text)}</span>'


def render_big_value(props: Mapping[str, Any], _: Sequence[ChildCall], ctx: RenderContext) -> str:
    result: QueryResult = props["data"]
    value_column = _require_column(result, props["value"], "BigValue", "value")
    title = props.get("title") or value_column
    parts = [f'<div class="big-value"><p class="big-value-title">{_escape(title)}</p>']
    first = result.rows[0] if result.rows else None
    if first is None:
        ctx.warnings.append(f"<BigValue> query '{result.name}' returned no rows")
    value_text = format_value(
        first[value_column] if first else None, props.get("fmt"), value_column
    )
    parts.append(f'<p class="big-value-number">{_escape(value_text)}</p>')
    comparison = props.get("comparison")
    if comparison:
        _require_column(result, comparison, "BigValue", "comparison")
        parts.append(_comparison_html(first[comparison] if first else None, props))
    sparkline = props.get("sparkline")
    if sparkline and result.rows:
        _require_column(result, sparkline, "BigValue", "sparkline")
        spec = _sparkline_spec(result, sparkline, value_column)
        parts.append(_chart_html(spec, ctx, css_class="sparkline", label=f"{title} 趋势"))
    parts.append("</div>")
    return "".join(parts)


def _comparison_html(value: Any, props: Mapping[str, Any]) -> str:
    title = props.get("comparisonTitle") or ""
    classes = ["big-value-comparison"]
    arrow = ""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if props.get("comparisonDelta", True) and is_number and value != 0:
        rising = value > 0
        arrow = "▲ " if rising else "▼ "
        good = rising != bool(props.get("downIsGood", False))
        classes.append("good" if good else "bad")
        value = abs(value)  # the arrow carries the sign
    text = format_value(value, props.get("comparisonFmt"))
    title_html = f' <span class="big-value-comparison-title">{_escape(title)}</span>'
    return f'<p class="{" ".join(classes)}">{arrow}{_escape(text)}{title_html if title else ""}</p>'


def _sparkline_spec(result: QueryResult, x_column: str, value_column: str) -> dict[str, Any]:
    rows = [
        {"x": _json_value(row[x_column]), "y": row[value_column]}
        for row in result.rows
        if row[value_column] is not None
    ]
    x_type = _x_type(result, x_column, "line")
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X(
                "x", type=x_type, axis=None, sort=None if x_type == "nominal" else alt.Undefined
            ),
            y=alt.Y("y", type="quantitative", axis=None, scale=alt.Scale(zero=False)),
        )
        .properties(width=120, height=28)
    )
    return _finish_spec(chart, {"view": {"stroke": None}})


# --- DataTable ------------------------------------------------------------------------------


def render_data_table(
    props: Mapping[str, Any], children: Sequence[ChildCall], ctx: RenderContext
) -> str:
    result: QueryResult = props["data"]
    columns: list[tuple[str, str, str | None, str | None]] = []  # id, title, fmt, align
    if children:
        for child in children:
            column = _require_column(result, child.props["id"], "Column", "id")
            title = child.props.get("title") or column
            columns.append((column, title, child.props.get("fmt"), child.props.get("align")))
    else:
        columns = [(column, column, None, None) for column in result.columns]
    page_size = props.get("rows", 10)
    row_numbers = props.get("rowNumbers", False)
    highlight = props.get("highlight")
    if highlight:
        _require_column(result, highlight, "DataTable", "highlight")
    head = ["<tr>"] + (['<th class="row-number">#</th>'] if row_numbers else [])
    alignments = []
    for column, title, _, align in columns:
        numeric = result.kinds.get(column) in ("integer", "number")
        alignment = align or ("right" if numeric else "left")
        alignments.append(alignment)
        head.append(f'<th class="align-{alignment}">{_escape(title)}</th>')
    head.append("</tr>")
    body = []
    for index, row in enumerate(result.rows, start=1):
        cells = [f'<td class="row-number">{index}</td>'] if row_numbers else []
        for (column, _, fmt, _), alignment in zip(columns, alignments, strict=True):
            text = format_value(row[column], fmt, column)
            cells.append(f'<td class="align-{alignment}">{_escape(text)}</td>')
        marked = highlight and row[highlight] not in (None, False, 0, "")
        body.append(('<tr class="highlight">' if marked else "<tr>") + "".join(cells) + "</tr>")
    if not body:
        span = len(columns) + (1 if row_numbers else 0)
        body.append(f'<tr><td class="empty" colspan="{span}">无数据 No data</td></tr>')
    title = props.get("title")
    caption = f"<caption>{_escape(title)}</caption>" if title else ""
    size_attribute = f' data-page-size="{page_size}"' if page_size else ""
    return (
        f'<div class="data-table"{size_attribute}><table>{caption}<thead>{"".join(head)}'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


# --- Charts ---------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _is_year_like(result: QueryResult, column: str) -> bool:
    lowered = column.lower()
    if lowered in ("year", "年", "年份") or lowered.endswith("_year"):
        return True
    values = [value for value in result.values(column) if value is not None]
    return bool(values) and all(isinstance(v, int) and 1900 <= v <= 2100 for v in values)


def _x_type(result: QueryResult, column: str, chart: str) -> str:
    kind = result.kinds.get(column)
    if kind in ("date", "datetime"):
        return "temporal"
    if kind == "integer" and _is_year_like(result, column):
        return "ordinal"
    if kind in ("integer", "number"):
        return "ordinal" if chart == "bar" else "quantitative"
    return "nominal"


def _finish_spec(chart: alt.TopLevelMixin, config: Mapping[str, Any] | None = None) -> dict:
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL; vega-embed is told the mode instead
    spec["config"] = dict(config if config is not None else VEGA_CONFIG)
    spec["config"]["font"] = FONT_STACK
    return spec


def _chart_html(spec: dict[str, Any], ctx: RenderContext, *, css_class: str, label: str) -> str:
    chart_id = ctx.next_id("chart")
    return (
        f'<div class="vega-chart {css_class}" id="{chart_id}" role="img" '
        f'aria-label="{_escape(label)}"><noscript>图表需要 JavaScript。</noscript></div>'
        f'<script type="application/json" class="vega-spec" data-target="{chart_id}">'
        f"{_json_for_script(spec)}</script>"
    )


def _series_chart(kind: str) -> Renderer:
    """The renderer of a LineChart, AreaChart or BarChart."""

    def render(props: Mapping[str, Any], _: Sequence[ChildCall], ctx: RenderContext) -> str:
        spec = chart_spec(kind, props)
        label = props.get("title") or {"line": "折线图", "area": "面积图", "bar": "柱状图"}[kind]
        chart = _chart_html(spec, ctx, css_class="series-chart", label=label)
        return f'<figure class="chart chart-{kind}">{chart}</figure>'

    return render


def chart_spec(kind: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The Vega-Lite spec (a dict) of a line, area or bar chart for the given props."""
    component = {"line": "LineChart", "area": "AreaChart", "bar": "BarChart"}[kind]
    result: QueryResult = props["data"]
    if not result.columns:
        raise ComponentError(f"<{component}> query '{result.name}' has no columns")
    x = _require_column(result, props.get("x") or result.columns[0], component, "x")
    series = props.get("series")
    if series:
        _require_column(result, series, component, "series")
    ys = props.get("y") or [
        column
        for column in result.columns
        if column not in (x, series) and result.kinds.get(column) in ("integer", "number")
    ]
    if not ys:
        raise ComponentError(f"<{component}> needs y=: query '{result.name}' has no number column")
    for y in ys:
        _require_column(result, y, component, "y")
    if series and len(ys) > 1:
        raise ComponentError(f"<{component}> use either series= or several y columns, not both")

    y_format = _format(props.get("fmt") or props.get("yFmt"))
    x_format = props.get("xFmt")
    rows = []
    series_order: dict[Any, int] = {}
    for row in result.rows:
        for y in ys:
            value = row[y]
            label = y if len(ys) > 1 else (row[series] if series else None)
            rows.append(
                {
                    "x": _json_value(row[x]),
                    "x_text": format_value(row[x], x_format, x),
                    "series": _json_value(label),
                    "series_order": series_order.setdefault(label, len(series_order)),
                    "y": value,
                    "y_text": y_format.format(value) if y_format else format_value(value, None, y),
                }
            )
    has_color = bool(series) or len(ys) > 1
    chart_type = props.get("type") or ("grouped" if kind == "line" else "stacked")
    swap = bool(props.get("swapXY")) and kind == "bar"
    x_type = _x_type(result, x, kind)

    if x_type == "nominal":
        if kind == "bar" and props.get("sort", True):
            x_sort: Any = alt.EncodingSortField(field="y", op="sum", order="descending")
        else:
            x_sort = None  # keep the query's order
    else:
        x_sort = alt.Undefined
    x_axis = alt.Axis(
        title=props.get("xAxisTitle") or None,
        labelAngle=0 if x_type != "quantitative" and not swap else alt.Undefined,
        labelLimit=160,
    )
    if x_format and x_type == "quantitative":
        x_axis["labelExpr"] = parse_format(x_format).vega_label_expression()
    x_encoding = alt.X("x", type=x_type, axis=x_axis, sort=x_sort)

    unit = y_format.unit if y_format else ""
    y_title = props.get("yAxisTitle")
    if y_title is None:
        base_title = ys[0] if len(ys) == 1 else ""
        y_title = f"{base_title} ({unit})".strip() if unit and base_title else (base_title or unit)
    y_axis = alt.Axis(title=y_title or None)
    stack: Any = alt.Undefined
    if kind in ("bar", "area") and has_color:
        stack = {"stacked": "zero", "stacked100": "normalize", "grouped": None}[chart_type]
        if kind == "area" and chart_type == "grouped":
            stack = None
    elif kind == "line":
        stack = None
    if stack == "normalize":
        y_axis["format"] = ".0%"
    elif y_format:
        y_axis["labelExpr"] = y_format.vega_label_expression()
    scale = alt.Scale()
    if props.get("yMin") is not None or props.get("yMax") is not None:
        low = props.get("yMin")
        high = props.get("yMax")
        if low is not None and high is not None:
            scale = alt.Scale(domain=[low, high], zero=False)
        elif low is not None:
            scale = alt.Scale(domainMin=low, zero=False)
        else:
            scale = alt.Scale(domainMax=high)
    y_encoding = alt.Y("y", type="quantitative", axis=y_axis, stack=stack, scale=scale)

    tooltip = [alt.Tooltip("x_text", type="nominal", title=x)]
    if has_color:
        tooltip.append(alt.Tooltip("series", type="nominal", title=series or "系列"))
    y_label = ys[0] if len(ys) == 1 else "值"
    tooltip.append(alt.Tooltip("y_text", type="nominal", title=y_label))

    encodings: dict[str, Any] = {"tooltip": tooltip}
    if swap:
        x_encoding = alt.Y("x", type=x_type, axis=x_axis, sort=x_sort)
        y_encoding = alt.X("y", type="quantitative", axis=y_axis, stack=stack, scale=scale)
        encodings.update(y=x_encoding, x=y_encoding)
    else:
        encodings.update(x=x_encoding, y=y_encoding)
    if has_color:
        legend = alt.Legend(title=series if series else None) if props.get("legend", True) else None
        series_sort = [_json_value(label) for label in series_order]
        encodings["color"] = alt.Color("series", type="nominal", legend=legend, sort=series_sort)
        if kind != "line":  # the first series is stacked first (at the axis)
            encodings["order"] = alt.Order("series_order", type="quantitative", sort="ascending")
        if kind == "bar" and chart_type == "grouped":
            offset = alt.YOffset if swap else alt.XOffset
            encodings["yOffset" if swap else "xOffset"] = offset(
                "series", type="nominal", sort=series_sort
            )

    if kind == "line":
        mark = alt.Chart(alt.Data(values=rows)).mark_line(
            point=bool(props.get("markers", True)), strokeWidth=2
        )
    elif kind == "area":
        mark = alt.Chart(alt.Data(values=rows)).mark_area(line=True, opacity=0.75)
    else:
        mark = alt.Chart(alt.Data(values=rows)).mark_bar()
    height: Any = props.get("chartAreaHeight") or DEFAULT_CHART_HEIGHT
    if swap and not props.get("chartAreaHeight") and x_type != "quantitative":
        bars_per_category = len(ys) if chart_type == "grouped" and len(ys) > 1 else 1
        height = alt.Step(26 * bars_per_category)
    chart = mark.encode(**encodings).properties(width="container", height=height)
    title = props.get("title")
    if title:
        chart = chart.properties(
            title=alt.TitleParams(title, subtitle=props.get("subtitle") or alt.Undefined)
        )
    return _finish_spec(chart)


# --- Registry -------------------------------------------------------------------------------

_CHART_PROPS: dict[str, PropSpec] = {
    "data": PropSpec("data", required=True),
    "x": PropSpec("column"),
    "y": PropSpec("columns"),
    "series": PropSpec("column"),
    "title": PropSpec("text"),
    "subtitle": PropSpec("text"),
    "xAxisTitle": PropSpec("text"),
    "yAxisTitle": PropSpec("text"),
    "fmt": PropSpec("format"),
    "yFmt": PropSpec("format"),
    "xFmt": PropSpec("format"),
    "yMin": PropSpec("number"),
    "yMax": PropSpec("number"),
    "legend": PropSpec("bool"),
    "chartAreaHeight": PropSpec("int"),
}

COMPONENTS: dict[str, ComponentSpec] = {
    "BigValue": ComponentSpec(
        "BigValue",
        {
            "data": PropSpec("data", required=True),
            "value": PropSpec("column", required=True),
            "title": PropSpec("text"),
            "fmt": PropSpec("format"),
            "comparison": PropSpec("column"),
            "comparisonFmt": PropSpec("format"),
            "comparisonTitle": PropSpec("text"),
            "comparisonDelta": PropSpec("bool"),
            "downIsGood": PropSpec("bool"),
            "sparkline": PropSpec("column"),
        },
        render_big_value,
    ),
    "Value": ComponentSpec(
        "Value",
        {
            "data": PropSpec("data", required=True),
            "column": PropSpec("column"),
            "row": PropSpec("int"),
            "fmt": PropSpec("format"),
        },
        render_value,
        inline=True,
    ),
    "LineChart": ComponentSpec(
        "LineChart",
        {
            **_CHART_PROPS,
            "markers": PropSpec("bool"),
            "type": PropSpec("choice", choices=("grouped",)),
        },
        _series_chart("line"),
    ),
    "AreaChart": ComponentSpec(
        "AreaChart",
        {**_CHART_PROPS, "type": PropSpec("choice", choices=("stacked", "stacked100"))},
        _series_chart("area"),
    ),
    "BarChart": ComponentSpec(
        "BarChart",
        {
            **_CHART_PROPS,
            "type": PropSpec("choice", choices=("stacked", "grouped", "stacked100")),
            "swapXY": PropSpec("bool"),
            "sort": PropSpec("bool"),
        },
        _series_chart("bar"),
    ),
    "DataTable": ComponentSpec(
        "DataTable",
        {
            "data": PropSpec("data", required=True),
            "rows": PropSpec("rows"),
            "title": PropSpec("text"),
            "rowNumbers": PropSpec("bool"),
            "highlight": PropSpec("column"),
        },
        render_data_table,
        children=frozenset({"Column"}),
    ),
    "Column": ComponentSpec(
        "Column",
        {
            "id": PropSpec("column", required=True),
            "title": PropSpec("text"),
            "fmt": PropSpec("format"),
            "align": PropSpec("choice", choices=("left", "center", "right")),
        },
        None,
        parents=frozenset({"DataTable"}),
    ),
}
