"""Each component rendered on small inline data, and the Vega-Lite specs of the charts."""

from __future__ import annotations

import re

import pytest
import vl_convert
from reports_helpers import chart_specs, render

from reports.components import FONT_STACK
from reports.errors import ReportBuildError

BY_YEAR = """
```sql by_year
select year, sum(total_tco2) as total_tco2, sum(energy_tco2) as energy_tco2,
       sum(process_tco2) as process_tco2
from emissions_by_city group by year order by year
```
"""
LATEST_BY_CITY = """
```sql cities
select division_name_zh as city, energy_tco2, process_tco2, total_tco2, year
from emissions_by_city where year = 2023 order by total_tco2
```
"""
BY_CITY_YEAR = """
```sql city_years
select year, division_name_zh as city, total_tco2 from emissions_by_city order by year, city
```
"""


def only_spec(source: str) -> dict:
    specs = chart_specs(render(source).body_html)
    assert len(specs) == 1
    return specs[0]


def compiles(spec: dict) -> dict:
    """The spec compiled to Vega by the real Vega-Lite compiler bundled in vl-convert."""
    return vl_convert.vegalite_to_vega(spec)


def text_of(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html_text)


def test_big_value_with_unit_comparison_and_direction():
    source = """
```sql latest
select 80000000.0 as total_tco2, 14.3 as change_pct
```
<BigValue data={latest} value=total_tco2 title="2023 年排放" fmt=万吨
    comparison=change_pct comparisonFmt=pct1 comparisonTitle="比上年" downIsGood=true/>
"""
    body = render(source).body_html
    assert '<p class="big-value-title">2023 年排放</p>' in body
    assert '<p class="big-value-number">8,000.0 万吨</p>' in body
    # Rising emissions are bad when down is good; the arrow carries the sign.
    assert '<p class="big-value-comparison bad">▲ 14.3%' in body
    assert "比上年" in body


def test_big_value_falling_is_good_when_down_is_good():
    source = """
```sql q
select 5 as v, -2.04 as d
```
<BigValue data={q} value=v comparison=d comparisonFmt=pct1 downIsGood/>
"""
    assert '<p class="big-value-comparison good">▼ 2.0%' in render(source).body_html


def test_big_value_on_empty_result_shows_a_dash_and_warns():
    source = "```sql q\nselect 1 as v where false\n```\n<BigValue data={q} value=v/>\n"
    rendered = render(source)
    assert '<p class="big-value-number">–</p>' in rendered.body_html
    assert any("returned no rows" in warning for warning in rendered.warnings)


def test_value_inline_in_a_sentence_with_row_and_format():
    source = (
        LATEST_BY_CITY
        + "排放最多：<Value data={cities} column=city row=1/>，"
        + "<Value data={cities} column=total_tco2 row=1 fmt=万吨/>。\n"
    )
    body = render(source).body_html
    expected = (
        '<p>排放最多：<span class="value">太原市</span>，'
        '<span class="value">5,500.0 万吨</span>。</p>'
    )
    assert expected in body


def test_data_table_with_columns_titles_formats_and_alignment():
    source = (
        LATEST_BY_CITY
        + """
<DataTable data={cities} rows=1>
    <Column id=city title="城市"/>
    <Column id=total_tco2 title="排放" fmt=万吨/>
</DataTable>
"""
    )
    body = render(source).body_html
    assert '<div class="data-table" data-page-size="1">' in body
    assert '<th class="align-left">城市</th><th class="align-right">排放</th>' in body
    assert '<td class="align-left">大同市</td><td class="align-right">2,500.0 万吨</td>' in body
    assert "energy_tco2" not in body  # only the listed columns


def test_data_table_without_columns_shows_every_column_plainly():
    body = render(LATEST_BY_CITY + "<DataTable data={cities} rows=all/>\n").body_html
    assert "data-page-size" not in body
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", body)
    assert headers == ["city", "energy_tco2", "process_tco2", "total_tco2", "year"]
    assert '<td class="align-right">2023</td>' in body  # a year, not 2,023
    assert '<td class="align-right">55,000,000</td>' in body


def test_data_table_escapes_cell_text():
    source = "```sql q\nselect '<script>x</script>' as s\n```\n<DataTable data={q}/>\n"
    body = render(source).body_html
    assert "<script>x" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body


def test_line_chart_spec_with_year_axis_unit_and_chinese_title():
    spec = only_spec(
        BY_YEAR + '<LineChart data={by_year} x=year y=total_tco2 fmt=万吨 title="全省排放"/>\n'
    )
    assert spec["mark"]["type"] == "line"
    assert spec["title"]["text"] == "全省排放"
    assert spec["encoding"]["x"]["type"] == "ordinal"  # years are not 2,022 on a number axis
    y_axis = spec["encoding"]["y"]["axis"]
    assert y_axis["labelExpr"] == "format(datum.value * 0.0001, ',~f')"
    assert y_axis["title"] == "total_tco2 (万吨)"
    assert [row["y_text"] for row in spec["data"]["values"]] == ["7,000.0 万吨", "8,000.0 万吨"]
    assert spec["config"]["font"] == FONT_STACK
    assert "$schema" not in spec  # no URL in the page
    compiles(spec)


def test_line_chart_with_several_y_columns_draws_one_series_each():
    spec = only_spec(
        BY_YEAR + '<LineChart data={by_year} x=year y={["energy_tco2", "process_tco2"]}/>\n'
    )
    values = spec["data"]["values"]
    assert len(values) == 4
    assert {row["series"] for row in values} == {"energy_tco2", "process_tco2"}
    assert spec["encoding"]["color"]["sort"] == ["energy_tco2", "process_tco2"]
    compiles(spec)


def test_line_chart_with_a_series_column():
    spec = only_spec(
        BY_CITY_YEAR + "<LineChart data={city_years} x=year y=total_tco2 series=city/>\n"
    )
    assert spec["encoding"]["color"]["field"] == "series"
    assert spec["encoding"]["color"]["legend"]["title"] == "city"
    assert {row["series"] for row in spec["data"]["values"]} == {"太原市", "大同市"}
    compiles(spec)


def test_bar_chart_stacked_by_default_and_sorted_by_value():
    spec = only_spec(
        LATEST_BY_CITY + '<BarChart data={cities} x=city y={["energy_tco2", "process_tco2"]}/>\n'
    )
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["stack"] == "zero"
    assert spec["encoding"]["x"]["sort"] == {"field": "y", "op": "sum", "order": "descending"}
    assert spec["encoding"]["order"]["field"] == "series_order"
    compiles(spec)


def test_bar_chart_grouped_uses_an_offset_and_no_stack():
    spec = only_spec(
        LATEST_BY_CITY
        + '<BarChart data={cities} x=city y={["energy_tco2", "process_tco2"]} type=grouped/>\n'
    )
    assert spec["encoding"]["y"]["stack"] is None
    assert spec["encoding"]["xOffset"]["field"] == "series"
    compiles(spec)


def test_bar_chart_swap_xy_puts_categories_on_the_vertical_axis():
    spec = only_spec(
        LATEST_BY_CITY + "<BarChart data={cities} x=city y=total_tco2 swapXY=true fmt=万吨/>\n"
    )
    assert spec["encoding"]["y"]["field"] == "x"
    assert spec["encoding"]["y"]["type"] == "nominal"
    assert spec["encoding"]["x"]["field"] == "y"
    assert spec["encoding"]["x"]["type"] == "quantitative"
    assert spec["height"] == {"step": 26}
    compiles(spec)


def test_area_chart_stacked_to_100_percent():
    spec = only_spec(
        BY_YEAR
        + '<AreaChart data={by_year} x=year y={["energy_tco2", "process_tco2"]} type=stacked100/>\n'
    )
    assert spec["mark"]["type"] == "area"
    assert spec["encoding"]["y"]["stack"] == "normalize"
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
    compiles(spec)


def test_chart_defaults_x_to_the_first_column_and_y_to_the_number_columns():
    spec = only_spec(BY_YEAR + "<LineChart data={by_year}/>\n")
    assert {row["series"] for row in spec["data"]["values"]} == {
        "total_tco2",
        "energy_tco2",
        "process_tco2",
    }
    assert spec["data"]["values"][0]["x"] == 2022


def test_spec_json_cannot_close_its_script_element():
    source = (
        "```sql q\nselect '</script><b>' as label, 1 as v\n```\n<BarChart data={q} x=label y=v/>\n"
    )
    body = render(source).body_html
    assert "</script><b>" not in body
    assert chart_specs(body)[0]["data"]["values"][0]["x"] == "</script><b>"


def test_unknown_chart_column_names_page_line_query_and_columns():
    source = BY_YEAR + "\n<LineChart data={by_year} x=yaer y=total_tco2/>\n"
    with pytest.raises(ReportBuildError) as caught:
        render(source, path="reports/pages/index.md")
    message = str(caught.value)
    assert message.startswith("reports/pages/index.md:8: <LineChart> x=yaer: no column 'yaer'")
    assert "query 'by_year'" in message and "total_tco2" in message


def test_unknown_data_table_column_is_an_error():
    source = LATEST_BY_CITY + "<DataTable data={cities}>\n<Column id=nope/>\n</DataTable>\n"
    with pytest.raises(ReportBuildError, match="no column 'nope'"):
        render(source)


def test_each_block_writes_one_list_and_else_when_empty():
    source = (
        LATEST_BY_CITY
        + """
{#each cities as row, i}
- {i}: {row.city} {fmt(row.total_tco2, '万吨')}
{/each}

```sql none
select 1 as a where false
```
{#each none as row}
- {row.a}
{:else}
没有数据
{/each}
"""
    )
    body = render(source).body_html
    assert "<ul>\n<li>0: 大同市 2,500.0 万吨</li>\n<li>1: 太原市 5,500.0 万吨</li>\n</ul>" in body
    assert "<p>没有数据</p>" in body


def test_if_else_if_else_choose_one_branch():
    source = (
        BY_YEAR
        + """
{#if by_year.length > 5}
many
{:else if by_year[0].year == 2022}
starts in {by_year[0].year}
{:else}
other
{/if}
"""
    )
    body = render(source).body_html
    assert "<p>starts in 2022</p>" in body
    assert "many" not in body and "other" not in body


def test_interpolated_values_are_escaped():
    source = "```sql q\nselect '<img src=x onerror=alert(1)>' as s\n```\n\nName: {q[0].s}\n"
    body = render(source).body_html
    assert "<img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_params_are_available_in_text_and_props():
    source = (
        "```sql q\nselect 1 as v\n```\n# {params.title}\n"
        '<BigValue data={q} value=v title="{params.title} 合计"/>\n'
    )
    body = render(source, params={"title": "太原市"}).body_html
    assert "<h1>太原市</h1>" in body
    assert '<p class="big-value-title">太原市 合计</p>' in body


def test_a_bad_expression_at_render_time_names_the_line():
    source = "```sql q\nselect 1 as v where false\n```\n\nFirst: {q[0].v}\n"
    with pytest.raises(ReportBuildError) as caught:
        render(source, path="pages/p.md")
    assert str(caught.value) == "pages/p.md:5: bad expression: cannot read 'v' of null"


def test_markdown_tables_are_rendered():
    body = render("| 城市 | 排放 |\n|---|---:|\n| 太原市 | 1 |\n").body_html
    assert "<table>" in body
    assert '<th style="text-align:right">排放</th>' in body
    assert "<td>太原市</td>" in body


def test_big_value_of_a_year_is_not_given_thousands_separators():
    body = render("```sql q\nselect 2023 as year\n```\n<BigValue data={q} value=year/>\n").body_html
    assert '<p class="big-value-number">2023</p>' in body


def test_sql_is_not_shown_in_the_page():
    body = render(BY_YEAR + "text\n").body_html
    assert "sum(total_tco2)" not in body
    assert text_of(body).strip() == "text"


def test_data_table_highlights_the_rows_a_boolean_column_marks():
    source = (
        "```sql cities\nselect division_name_zh as city, total_tco2,\n"
        "    total_tco2 > 30e6 as is_large\nfrom emissions_by_city where year = 2023 "
        "order by city\n```\n"
        "<DataTable data={cities} highlight=is_large>\n<Column id=city/>\n</DataTable>\n"
    )
    body = render(source).body_html
    rows = re.findall(r"<tr( class=\"highlight\")?><td[^>]*>([^<]*)</td></tr>", body)
    assert rows == [("", "大同市"), (' class="highlight"', "太原市")]  # 25 and 55 million t


def test_data_table_highlight_needs_an_existing_column():
    source = "```sql q\nselect 1 as a\n```\n<DataTable data={q} highlight=missing/>\n"
    with pytest.raises(ReportBuildError, match="highlight=missing: no column 'missing'"):
        render(source)


def test_page_vars_are_printed_and_usable_in_props():
    source = (
        "---\nvars:\n  threshold_pct: 30\n---\n"
        "```sql big\nselect division_name_zh as city from emissions_by_city\n"
        "where year = 2023 and total_tco2 / 1e6 > ${vars.threshold_pct}\n```\n"
        "超过 {vars.threshold_pct} 百万吨：{big[0].city}，共 {big.length} 个。\n"
    )
    assert "超过 30 百万吨：太原市，共 1 个。" in text_of(render(source).body_html)
