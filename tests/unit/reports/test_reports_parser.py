"""The page parser: front matter, sql blocks, components and props, blocks, located errors."""

from __future__ import annotations

import pytest

from reports.errors import ReportBuildError
from reports.expressions import ListLiteral, Name
from reports.parser import (
    ComponentNode,
    EachNode,
    ExpressionNode,
    IfNode,
    QueryNode,
    TextNode,
    page_vars,
    parse_page,
    required_tables,
)

PAGE = """---
title: 城市 {params.title}
params:
  city: select division_code as city from emissions_by_city
---
# 概览

```sql by_year
select year, sum(total_tco2) as total from emissions_by_city group by year
```

Some text with `{code}` and \\{braces}.

```python
print({"not": "a component <Foo/>"})
```

<LineChart data={by_year} x=year y={["total", "other"]} title="趋势 {by_year[0].year}"
    fmt='#,##0.0' markers />

{#each by_year as row, i}
- {row.year}
{:else}
nothing
{/each}

{#if by_year.length > 1}
many
{:else if by_year.length == 1}
one
{:else}
none
{/if}

<DataTable data={by_year} rows=5>
    <Column id=year title="年份"/>
    <Column id=total fmt=万吨 />
</DataTable>
"""


def test_front_matter_queries_and_body():
    page = parse_page(PAGE, "pages/cities/[city].md")
    assert page.front_matter["title"] == "城市 {params.title}"
    assert page.front_matter["params"] == {
        "city": "select division_code as city from emissions_by_city"
    }
    assert list(page.queries) == ["by_year"]
    query = page.queries["by_year"]
    assert query.line == 8  # the fence's line, counted from the top of the file
    assert query.sql.strip().startswith("select year, sum(total_tco2)")
    kinds = [type(node).__name__ for node in page.body]
    assert "QueryNode" in kinds
    body_text = "".join(node.text for node in page.body if isinstance(node, TextNode))
    assert "select year" not in body_text  # SQL is not shown in the page
    assert "# 概览" in body_text


def test_code_spans_fences_and_escaped_braces_stay_literal():
    page = parse_page(PAGE, "p.md")
    body_text = "".join(node.text for node in page.body if isinstance(node, TextNode))
    assert "`{code}`" in body_text
    assert "\\{braces}" in body_text
    assert 'print({"not": "a component <Foo/>"})' in body_text


def test_component_props_of_every_kind():
    page = parse_page(PAGE, "p.md")
    chart = next(n for n in page.body if isinstance(n, ComponentNode) and n.name == "LineChart")
    assert chart.line == 18
    props = chart.props
    assert props["data"].kind == "expression" and props["data"].expression == Name("by_year")
    assert props["x"].kind == "literal" and props["x"].text == "year"
    assert isinstance(props["y"].expression, ListLiteral)
    assert props["title"].kind == "template"
    assert props["title"].parts[0] == "趋势 "
    assert props["fmt"].kind == "literal" and props["fmt"].text == "#,##0.0"
    assert props["fmt"].line == 19
    assert props["markers"].kind == "flag"


def test_each_if_blocks_and_their_branches():
    page = parse_page(PAGE, "p.md")
    each = next(node for node in page.body if isinstance(node, EachNode))
    assert (each.item_name, each.index_name) == ("row", "i")
    assert any(isinstance(node, ExpressionNode) for node in each.body)
    assert each.else_body[0].text == "nothing\n"
    # The {#each} line leaves no blank line behind: the list item starts the body.
    assert each.body[0].text == "- "
    conditional = next(node for node in page.body if isinstance(node, IfNode))
    assert len(conditional.branches) == 2
    assert conditional.branches[0][1][0].text == "many\n"
    assert conditional.branches[1][1][0].text == "one\n"
    assert conditional.else_body[0].text == "none\n"


def test_data_table_columns_are_children():
    page = parse_page(PAGE, "p.md")
    table = next(n for n in page.body if isinstance(n, ComponentNode) and n.name == "DataTable")
    assert [child.props["id"].text for child in table.children] == ["year", "total"]
    assert table.children[0].props["title"].text == "年份"


def test_sql_block_positions_are_kept_for_the_optional_sql_display():
    page = parse_page(PAGE, "p.md")
    assert [node.name for node in page.body if isinstance(node, QueryNode)] == ["by_year"]


def test_bare_data_name_is_a_query_reference():
    page = parse_page("```sql q\nselect 1 as a\n```\n<Value data=q/>\n", "p.md")
    value = next(node for node in page.body if isinstance(node, ComponentNode))
    assert value.props["data"].expression == Name("q")


def error_of(source: str, path: str = "reports/pages/index.md") -> str:
    with pytest.raises(ReportBuildError) as caught:
        parse_page(source, path)
    return str(caught.value)


def test_unknown_component_names_page_and_line():
    source = "# Title\n\nText\n\n<PieChat data={q}/>\n\n```sql q\nselect 1\n```\n"
    assert error_of(source) == "reports/pages/index.md:5: unknown component <PieChat>"


def test_unknown_prop_names_page_line_and_the_known_props():
    source = "```sql q\nselect 1 as a\n```\n\n<BigValue\n  data={q}\n  value=a\n  colour=red\n/>\n"
    message = error_of(source)
    assert message.startswith("reports/pages/index.md:8: unknown prop 'colour' for <BigValue>")
    assert "comparison" in message


def test_unknown_query_reference_in_sql_names_its_line():
    source = "---\ntitle: x\n---\n```sql a\nselect *\nfrom ${missing}\n```\n"
    message = error_of(source)
    assert message.startswith("reports/pages/index.md:6: query 'a' refers to unknown query")
    assert "${missing}" in message


def test_unknown_query_in_a_component_names_its_line():
    source = "```sql q\nselect 1 as a\n```\n\n<Value data={qq} column=a/>\n"
    message = error_of(source)
    assert message.startswith("reports/pages/index.md:5: <Value> data= refers to unknown query")
    assert "'qq'" in message


@pytest.mark.parametrize(
    ("source", "line", "cause"),
    [
        ("text {q.length >} more\n", 1, "bad expression {q.length >}"),
        ("\n\n{#each q}\nx\n{/each}\n", 3, "expected {#each query as row}"),
        ("{#if true}\nx\n", 1, "{#if} is never closed"),
        ("x\n{/if}\n", 2, "{/if} without an open {#if}"),
        ("<Column id=a/>\n", 1, "<Column> is only allowed inside <DataTable>"),
        ("```sql\nselect 1\n```\n", 1, "a ```sql block needs a name"),
        ("```sql a\nselect 1\n```\n```sql a\nselect 2\n```\n", 4, "query 'a' is defined twice"),
        ("```sql a\nselect * from ${b}\n```\n```sql b\nselect * from ${a}\n```\n", 1, "cycle"),
        ("```sql a\nselect 1 as x\n```\n<Value data={a} row=first/>\n", 4, "expected a whole"),
        ("```sql a\nselect 1 as x\n```\n<Value data={a} fmt=bogus/>\n", 4, "unknown fmt 'bogus'"),
        ("```sql a\nselect 1 as x\n```\n<BigValue data={a}/>\n", 4, "needs the prop value="),
        ("```sql a\nselect 1 as x\n```\n<BarChart data={a} type=pie/>\n", 4, "expected one of"),
        ("```sql a\nselect 1 as x\n```\n<DataTable data={a}>\ntext\n</DataTable>\n", 5, "only"),
        ("<LineChart data={q}\n", 1, "<LineChart> tag is never closed"),
        ("---\ntitle: [unclosed\n---\n", 2, "bad front matter"),
        ("{#each [1, 2] as n}\n{n}\n{/each}\n{n}\n", 4, "unknown query or variable 'n'"),
    ],
)
def test_errors_name_the_line_and_the_cause(source, line, cause):
    message = error_of(source, "pages/p.md")
    assert message.startswith(f"pages/p.md:{line}: "), message
    assert cause in message


def test_front_matter_vars_and_requires_are_read():
    page = parse_page(
        "---\nvars:\n  threshold_pct: 5\n  label: 增长较快\nrequires: emissions_by_sector\n---\n"
        "```sql q\nselect ${vars.threshold_pct} as t\n```\n{vars.label} {q[0].t}\n",
        "pages/p.md",
    )
    assert page_vars(page.front_matter) == {"threshold_pct": 5, "label": "增长较快"}
    assert required_tables(page.front_matter) == ["emissions_by_sector"]


@pytest.mark.parametrize(
    ("source", "line", "cause"),
    [
        ("---\nvars: 5\n---\n", 2, "vars: must map names to values"),
        ("---\ntitle: t\nvars:\n  bad name: 1\n---\n", 3, "'bad name' is not a name"),
        ("---\nvars:\n  limits: [1, 2]\n---\n", 2, "vars: limits must be a number, text or"),
        ("---\nrequires: {a: 1}\n---\n", 2, "requires: must list table names"),
        ("---\nvars: {a: 1}\n---\n\n```sql q\nselect\n ${vars.b}\n```\n", 7, "${vars.b}, which"),
        ("```sql vars\nselect 1\n```\n", 1, "'vars' is reserved"),
    ],
)
def test_bad_vars_and_requires_name_the_line(source, line, cause):
    message = error_of(source, "pages/p.md")
    assert message.startswith(f"pages/p.md:{line}: "), message
    assert cause in message
