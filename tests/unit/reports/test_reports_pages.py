"""The real pages of reports/pages/ built over a synthetic release with the contract's columns.

What a page must show is computed here from the same published tables (through the same
views the build uses), so the assertions check the pages' SQL and wiring, not copied numbers.
"""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from reports_helpers import chart_specs, links_of
from synthetic_release import (
    FAST_NOWCAST_CITY,
    FAST_SECTOR,
    HIDDEN_CITY,
    HIDDEN_CITY_YEAR,
    HIDDEN_COUNTIES,
    HIDDEN_TOTAL_CITY,
    OVER_BUDGET_CITY,
    write_synthetic_release,
)

from publish.catalog import published_views_connection
from reports.errors import ReportBuildError
from reports.formats import format_value
from reports.parser import page_vars, parse_page
from reports.site import build_published_site, build_site

PAGES = Path(__file__).resolve().parents[3] / "reports" / "pages"
CITY_CODES = [f"14{index:02d}00" for index in range(1, 12)]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_release(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("site") / "site"
    return build_published_site(release, out, PAGES)


def query(release: Path, sql: str, *params) -> list[tuple]:
    connection = published_views_connection(release)
    try:
        return connection.execute(sql, list(params)).fetchall()
    finally:
        connection.close()


def page(site, relative: str) -> str:
    return (site.out_dir / relative).read_text(encoding="utf-8")


def text(html_text: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text)))


def test_every_page_is_written_without_warnings(site):
    assert sorted(str(path) for path in site.pages) == sorted(
        ["index.html", "sectors.html", "carbon_market.html", "nowcast.html", "dual_control.html"]
        + ["data_quality.html"]
        + [f"cities/{code}.html" for code in CITY_CODES]
        + [
            "data_dictionary.html",
            "docs/methodology.html",
            "docs/factors.html",
            "docs/nowcast.html",
        ]
    )
    assert site.warnings == []


def test_every_chart_and_table_offers_its_rows_for_download(site, release: Path):
    """Each chart and table is followed by CSV and Parquet links; the files hold the rows the
    page's query returned, with Chinese text readable (UTF-8 with BOM) and types kept."""
    import polars as pl

    body = page(site, "cities/140100.html")
    links = [v for tag, a, v in links_of(body) if tag == "a" and "/downloads/" in "/" + v]
    assert links and all(link.startswith("../downloads/cities/140100/") for link in links)
    source = (PAGES / "cities" / "[city].md").read_text(encoding="utf-8")
    charts_and_tables = len(re.findall(r"<(?:LineChart|AreaChart|BarChart|DataTable)\b", source))
    assert body.count('<p class="downloads">') == charts_and_tables
    assert len(links) == 2 * charts_and_tables
    for link in links:
        assert (site.out_dir / "cities" / link).is_file(), link
    csv_files = sorted((site.out_dir / "downloads" / "cities" / "140100").glob("*.csv"))
    assert csv_files and csv_files[0].read_bytes().startswith(b"\xef\xbb\xbf")
    for csv_file in csv_files:
        from_csv = pl.read_csv(csv_file, infer_schema=False)
        from_parquet = pl.read_parquet(csv_file.with_suffix(".parquet"))
        assert from_csv.columns == from_parquet.columns
        assert from_csv.height == from_parquet.height
    # the sectors page's table of sectors, as its query gives it
    sector_files = list((site.out_dir / "downloads" / "sectors").glob("*.parquet"))
    assert sector_files
    years = {
        frame["year"].dtype
        for frame in map(pl.read_parquet, sector_files)
        if "year" in frame.columns
    }
    assert years and all(dtype.is_integer() for dtype in years)


def test_each_page_names_its_releases_and_links_the_dictionary_and_methodology(site, release):
    (expected,) = query(
        release,
        "select release_id from release_manifests where table_name = 'emissions_by_sector'",
    )
    footer = page(site, "sectors.html").split('<footer class="page-footer">')[1]
    assert "emissions_by_sector" in footer and expected[0] in footer
    hrefs = {v for tag, a, v in links_of(footer) if tag == "a"}
    assert {"data_dictionary.html", "docs/methodology.html", "docs/factors.html"} <= hrefs
    nested = page(site, "cities/140100.html").split('<footer class="page-footer">')[1]
    assert "../data_dictionary.html" in {v for tag, a, v in links_of(nested) if tag == "a"}


def test_the_data_dictionary_lists_every_published_column_with_its_label(site, release):
    dictionary = text(page(site, "data_dictionary.html"))
    tables = query(release, "select table_name from release_manifests order by 1")
    columns = query(
        release,
        "select table_name, column_name, comment from duckdb_columns() "
        "where table_name in (select table_name from release_manifests)",
    )
    assert tables and columns
    for (table,) in tables:
        assert table in dictionary
    for _, column, comment in columns:
        assert column in dictionary
        if comment:
            assert unescape(comment) in dictionary


def test_the_methodology_links_the_factors_page(site):
    methodology = page(site, "docs/methodology.html")
    assert "factors.html#ref_energy_factors" in {
        v for tag, a, v in links_of(methodology) if tag == "a"
    }


def test_every_page_is_linked_from_the_sidebar_of_the_overview(site):
    hrefs = {value for tag, attribute, value in links_of(page(site, "index.html")) if tag == "a"}
    for written in site.pages:
        assert str(written) in hrefs, written


PROVINCE_INTENSITY_TARGETS = (
    "select plan_period, plan_name_zh, plan_first_year, plan_last_year, base_year, target_year, "
    "value, source from dual_control_targets "
    "where division_code = '140000' and indicator = 'co2_intensity_reduction_pct' "
    "order by base_year"
)


def province_intensity(release: Path, year: int) -> float:
    """The province's CO2 (its sectors: never suppressed) over its cities' GDP (never either)."""
    return query(
        release,
        "select (select sum(total_tco2) from emissions_by_sector where year = ?) "
        "/ sum(gdp_100m_yuan_constant * 10000) from emissions_by_city where year = ?",
        year,
        year,
    )[0][0]


def path_chart(body: str) -> dict[tuple[int, str], float | None]:
    path = next(spec for spec in chart_specs(body) if "目标路径" in str(spec.get("title")))
    return {(row["x"], row["series"]): row["y"] for row in path["data"]["values"]}


def test_overview_shows_the_latest_total_and_the_intensity_path(site, release):
    year, total, quick = query(
        release,
        "select year, sum(total_tco2), bool_or(report_type = 'quick') from emissions_by_sector "
        "group by year order by year desc limit 1",
    )[0]
    body = page(site, "index.html")
    assert f'<p class="big-value-number">{format_value(total, "万吨")}</p>' in body
    assert f"{year} 年全省排放总量 Total" in body
    assert ("数据为快报" in body) == quick
    # The targets are the published table's, not constants of the page.
    assert (
        "vars" not in parse_page((PAGES / "index.md").read_text(encoding="utf-8"), "i").front_matter
    )
    (_, name, _, _, base_year, target_year, reduction, source), *_ = query(
        release, PROVINCE_INTENSITY_TARGETS
    )
    assert source == "decided"
    base = province_intensity(release, base_year)
    target = base * (1 - reduction / 100)
    shown = text(body)
    assert f"{base_year} 年基期强度 Base (t/万元) {format_value(base, 'num2')}" in shown
    assert f"{target_year} 年目标强度 {name} target {format_value(target, 'num2')}" in shown
    values = path_chart(body)
    assert values[(target_year, "目标路径 Target path")] == pytest.approx(target)
    assert values[(base_year, "实际强度 Actual")] == pytest.approx(base)


def test_overview_labels_each_year_with_its_plan_and_draws_a_proposal_apart(site, release):
    """Years belong to the plan period whose years hold them (none before the first plan of the
    table: the page used to label 2019 as 十四五); a proposed target's path is its own series,
    from the actual intensity of its base year, never drawn as the decided path."""
    plans = query(release, PROVINCE_INTENSITY_TARGETS)
    proposals = [plan for plan in plans if plan[-1] == "proposed"]
    assert proposals, "the synthetic release carries the seed's 15th-plan proposal"
    body = page(site, "index.html")
    table = body[body.index(">目标来源</th>") :]
    table = table[: table.index("</table>")]
    labels = {
        int(year): unescape(label)
        for year, label in re.findall(
            r'<tr><td class="align-right">(\d{4})</td><td class="align-left">([^<]*)</td>', table
        )
    }
    first_year, last_year = query(release, "select min(year), max(year) from emissions_by_city")[0]
    assert set(range(first_year, last_year + 1)) <= set(labels)
    for year, label in labels.items():
        holding = [plan[1] for plan in plans if plan[2] <= year <= plan[3]]
        assert label == (holding[0] if holding else ""), year
    assert labels[first_year] == ""  # 2019 is before the 14th plan
    values = path_chart(body)
    for _, name, _, _, base_year, target_year, reduction, _ in proposals:
        expected = province_intensity(release, base_year) * (1 - reduction / 100)
        assert values[(target_year, "建议路径 Proposed path")] == pytest.approx(expected)
        assert values[(target_year, "目标路径 Target path")] is None
        assert f"{name}：{target_year} 年碳排放强度比 {base_year} 年下降" in text(body)
    assert "建议值 proposed，非已决定目标" in text(body)


def test_sector_page_highlights_exactly_the_sectors_above_its_threshold(site, release):
    threshold = page_vars(
        parse_page((PAGES / "sectors.md").read_text(encoding="utf-8"), "s").front_matter
    )["fast_growth_pct"]
    fast = query(
        release,
        "select s.sector_name_zh from emissions_by_sector s join emissions_by_sector p "
        "on p.sector_code = s.sector_code and p.year = s.year - 1 "
        "where s.year = (select max(year) from emissions_by_sector) "
        "and (s.total_tco2 / p.total_tco2 - 1) * 100 > ? order by 1",
        threshold,
    )
    fast_names = sorted(name for (name,) in fast)
    assert (
        fast_names
        and FAST_SECTOR
        in query(
            release,
            "select sector_code from emissions_by_sector where sector_name_zh = ?",
            fast[0][0],
        )[0]
    )
    body = page(site, "sectors.html")
    highlighted = re.findall(r'<tr class="highlight"><td class="align-left">([^<]+)</td>', body)
    assert sorted(highlighted) == fast_names
    assert f"同比增速超过 <strong>{threshold}%</strong>" in body


def test_the_sector_threshold_comes_from_the_front_matter(tmp_path, release):
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    source = (pages / "sectors.md").read_text(encoding="utf-8")
    (pages / "sectors.md").write_text(
        re.sub(r"fast_growth_pct: \d+", "fast_growth_pct: 1000", source), encoding="utf-8"
    )
    result = build_site(
        pages, tmp_path / "site", connection_factory=lambda: published_views_connection(release)
    )
    body = (result.out_dir / "sectors.html").read_text(encoding="utf-8")
    assert 'class="highlight"' not in body
    assert "没有行业的同比增速超过 1000%" in body


@pytest.mark.parametrize("code", ["140100", "140700"])
def test_city_page_lists_its_counties_and_its_rank(site, release, code):
    year = query(release, "select max(year) from emissions_by_city")[0][0]
    counties = query(
        release,
        "select division_name_zh from emissions_by_county where year = ? "
        "and left(division_code, 4) = left(?, 4) order by total_tco2 desc nulls last, "
        "division_code",
        year,
        code,
    )
    rank = query(
        release,
        "select r from (select division_code, rank() over (order by total_tco2 desc) as r "
        "from emissions_by_city where year = ?) where division_code = ?",
        year,
        code,
    )[0][0]
    body = page(site, f"cities/{code}.html")
    shown = text(body)
    assert f"下辖 {len(counties)} 个县级行政区" in shown
    table_names = re.findall(r"<tr><td class=\"align-left\">([^<]+)</td><td class=\"align-left\">"
                             r"(\d{6})</td>", body)  # fmt: skip
    assert [name for name, _ in table_names] == [name for (name,) in counties]
    assert f"排放量第 {rank} 位" in shown
    assert len(chart_specs(body)) >= 8


def table_rows(body: str) -> list[list[str]]:
    return [
        [unescape(cell) for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_overview_reads_the_province_from_its_sectors_while_a_city_is_suppressed(site, release):
    sectors, visible_cities = query(
        release,
        "select (select sum(total_tco2) from emissions_by_sector where year = ?), "
        "sum(total_tco2) from emissions_by_city where year = ?",
        HIDDEN_CITY_YEAR,
        HIDDEN_CITY_YEAR,
    )[0]
    assert visible_cities < sectors  # the suppressed city is missing from the cities' sum
    body = page(site, "index.html")
    [row] = [r for r in table_rows(body) if r[:1] == [str(HIDDEN_CITY_YEAR)] and len(r) == 7]
    assert row[2] == format_value(sectors, "万吨")


def test_city_page_shows_suppressed_counties_as_dashes_with_the_statistics_law_note(site, release):
    year, city_total = query(
        release,
        "select year, total_tco2 from emissions_by_city where division_code = '140100' "
        "order by year desc limit 1",
    )[0]
    names = dict(
        query(
            release,
            "select division_code, division_name_zh from emissions_by_county "
            "where year = ? and is_suppressed",
            year,
        )
    )
    assert set(names) == set(HIDDEN_COUNTIES)
    body = page(site, "cities/140100.html")
    rows = {r[1]: r for r in table_rows(body) if len(r) == 7 and re.fullmatch(r"\d{6}", r[1])}
    for code in HIDDEN_COUNTIES:
        # name and code kept; total, share, change and intensity withheld
        assert rows[code][0] == names[code]
        assert rows[code][2:] == ["–", "–", "–", "–", "保密 suppressed"]
    visible, total = query(
        release,
        "select division_code, total_tco2 from emissions_by_county where year = ? "
        "and left(division_code, 4) = '1401' and not is_suppressed "
        "order by total_tco2 desc limit 1",
        year,
    )[0]
    # a visible county's share is of the city's published total, not of the visible counties'
    assert rows[visible][3] == format_value(total * 100 / city_total, "pct1")
    shown = text(body)
    assert "其中 2 个的数值依《统计法》保密" in shown
    assert "依《统计法》第二十五条，可能推算出单个企业数据的县（市、区）数值不公布" in shown


def test_a_suppressed_city_year_is_shown_as_dashes_and_has_no_rank(site, release):
    body = page(site, f"cities/{HIDDEN_CITY}.html")
    [row] = [r for r in table_rows(body) if r[:1] == [str(HIDDEN_CITY_YEAR)] and len(r) == 9]
    assert row[2:6] == ["–"] * 4 and row[7] == "–" and row[8] == "保密 suppressed"
    assert row[6] != "–"  # GDP is not confidential
    assert "本市 1 个年份的数值依《统计法》保密" in text(body)
    # the other cities of that year are ranked among the ten with published values
    ranks = query(
        release,
        "select count(*) from emissions_by_city where year = ? and total_tco2 is not null",
        HIDDEN_CITY_YEAR,
    )[0][0]
    assert ranks == 10


def test_a_coverage_above_100_percent_gets_its_footnote(site, release):
    """Verified emissions follow the enterprise boundary, the sector total the statistics'
    classification: where the ratio passes 100 % the page says why, naming the sectors."""
    over = query(
        release,
        """
        with market as (
            select year, sector_code, sum(verified_emissions_tco2) as verified
            from ets_compliance_by_city_sector where division_level = 'province'
            group by all
        )
        select count(*) from market
        join emissions_by_sector as sectors using (year, sector_code)
        where market.year = (select max(year) from ets_compliance_by_city_sector)
          and verified * 100.0 / nullif(sectors.total_tco2, 0) > 100
        """,
    )[0][0]
    shown = text(page(site, "carbon_market.html"))
    assert over > 0  # the synthetic release has such a sector, as the sample has steel
    assert "覆盖比例超过 100%。这不是错误" in shown
    assert "coverage above 100 % is not an error" in shown


def test_carbon_market_page_never_shows_a_suppressed_value(site, release):
    year = query(release, "select max(year) from ets_compliance_by_city_sector")[0][0]
    suppressed = query(
        release,
        "select division_name_zh, ets_sector from ets_compliance_by_city_sector "
        "where year = ? and division_level = 'city' and is_suppressed order by all",
        year,
    )
    assert suppressed
    body = page(site, "carbon_market.html")
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    suppressed_rows = [row for row in rows if "保密 suppressed" in row]
    assert len(suppressed_rows) == len(suppressed)
    for row in suppressed_rows:
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
        # city, sector, entity count, then every value withheld
        assert cells[3:8] == ["–"] * 5, cells
    entities = query(
        release,
        "select sum(entity_count) from ets_compliance_by_city_sector "
        "where year = ? and division_level = 'province'",
        year,
    )[0][0]
    assert f'重点排放单位 Covered entities</p><p class="big-value-number">{entities}</p>' in body


def test_data_quality_page_counts_rules_and_gates_without_rows(site, release):
    body = page(site, "data_quality.html")
    rules = query(
        release,
        "select feed, rule, sum(rows_quarantined) from quality_ingest_summary "
        "where check_stage = 'row' group by all",
    )
    shown = text(body)
    for feed, rule, rows in rules:
        assert f"{feed} {rule}" in shown
        assert format_value(rows, "num0") in shown
    tables = query(release, "select count(*) from release_manifests")[0][0]
    assert f"当前发布的 {tables} 张数据表全部通过质量检查" in shown


def broken_pages(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    source = (pages / relative).read_text(encoding="utf-8")
    assert old in source
    (pages / relative).write_text(source.replace(old, new, 1), encoding="utf-8")
    return pages


def line_of(pages: Path, relative: str, needle: str) -> int:
    source = (pages / relative).read_text(encoding="utf-8")
    return source[: source.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("relative", "old", "new", "needle", "cause"),
    [
        ("sectors.md", "from emissions_by_sector\norder by year, sector_code",
         "from emissions_by_sectr\norder by year, sector_code", "```sql sector_years",
         "query 'sector_years' failed: Catalog Error"),
        ("carbon_market.md", "<BigValue data={latest} value=entity_count",
         "<BigNumber data={latest} value=entity_count", "<BigNumber",
         "unknown component <BigNumber>"),
        ("cities/[city].md", "<DataTable data={counties} rows=all>",
         "<DataTable data={counties} rows=all colour=red>", "colour=red",
         "unknown prop 'colour' for <DataTable>"),
    ],
)  # fmt: skip
def test_a_broken_page_fails_the_build_naming_page_and_line(
    tmp_path, release, relative, old, new, needle, cause
):
    pages = broken_pages(tmp_path, relative, old, new)
    site_dir = tmp_path / "site"
    with pytest.raises(ReportBuildError) as caught:
        build_site(pages, site_dir, connection_factory=lambda: published_views_connection(release))
    line = line_of(pages, relative, needle)
    problems = [str(problem) for problem in caught.value.problems]
    assert any(
        problem.startswith(f"{pages / relative}:{line}: ") and cause in problem
        for problem in problems
    ), problems
    assert not site_dir.exists()


def test_a_release_with_no_carbon_market_rows_still_builds(tmp_path):
    # A world before the market's first compliance year publishes the table empty: a release
    # folder with its manifest and no Parquet file.
    published = write_synthetic_release(
        tmp_path / "published", skip=("ets_compliance_by_city_sector",)
    )
    empty = published / "ets_compliance_by_city_sector"
    empty.mkdir()
    (empty / "_manifest.json").write_text('{"row_count": 0, "gate_results": []}', encoding="utf-8")
    result = build_site(
        PAGES, tmp_path / "site", connection_factory=lambda: published_views_connection(published)
    )
    body = (result.out_dir / "carbon_market.html").read_text(encoding="utf-8")
    assert "本页所需的数据表尚未发布或没有数据：<code>ets_compliance_by_city_sector</code>" in body
    assert len(result.warnings) == 1
    assert result.warnings[0].endswith(
        "carbon_market.md: the release has no table ets_compliance_by_city_sector "
        "(not published yet, or empty): a notice written instead"
    )
    assert len(result.pages) == 18  # every other page as usual, and the data dictionary


def test_nowcast_page_compares_each_citys_month_like_for_like(site, release):
    """电碳监测: each city's total of the latest complete month against the same month a year
    before (both nowcasts), with the range its 80 % band gives; a city whose total is
    suppressed on a day of the month is left out, said so, never compared on a partial sum;
    the city that rose most first."""
    rows = query(
        release,
        """
        select division_code,
            (sum(nowcast_tco2) filter (where date >= '2025-12-01')
             / sum(nowcast_tco2) filter (where date between '2024-12-01' and '2024-12-31')
             - 1) * 100,
            (sum(nowcast_high_tco2) filter (where date >= '2025-12-01')
             / sum(nowcast_tco2) filter (where date between '2024-12-01' and '2024-12-31')
             - 1) * 100,
            count(*) filter (where is_suppressed)
        from emissions_nowcast_daily
        where division_level = 'city' and sector_code = 'total'
            and (date >= '2025-12-01' or date between '2024-12-01' and '2024-12-31')
        group by division_code
        order by 2 desc
        """,
    )
    names = dict(
        query(release, "select distinct division_code, division_name_zh from emissions_by_city")
    )
    assert rows[0][0] == FAST_NOWCAST_CITY
    shown = text(page(site, "nowcast.html"))
    assert "2025-12-01 – 2025-12-31" in shown
    table = shown[shown.index("城市 City 当月 上年同月 同比") :]
    compared = [row for row in rows if row[3] == 0]
    position = {code: table.index(f" {names[code]} ") for code, *_ in rows}
    for higher, growth_high, *_ in compared:  # a city that rose more comes first
        for lower, growth_low, *_ in compared:
            if growth_high > growth_low + 0.01:
                assert position[higher] < position[lower], (names[higher], names[lower])
    for code, growth, high, hidden in rows:
        after = table[position[code] :].split()[:9]
        if hidden:
            assert code == HIDDEN_TOTAL_CITY and "保密" in after, after
            assert format_value(growth, "pct1") not in after
        else:
            assert format_value(growth, "pct1") in after, (names[code], after)
            assert format_value(high, "pct1") in after, (names[code], after)


def test_nowcast_page_shows_the_latest_day_and_the_backtest(site, release):
    latest, total = query(
        release,
        "select date, nowcast_tco2 from emissions_nowcast_daily "
        "where division_level = 'province' and sector_code = 'total' "
        "and date = (select max(date) from emissions_nowcast_daily)",
    )[0]
    shown = text(page(site, "nowcast.html"))
    assert f"最新一日 {latest.isoformat()}" in shown
    assert format_value(total, "tco2") in shown
    mape = query(
        release,
        "select mape_pct from emissions_nowcast_backtest where year = 2024 "
        "and division_level = 'county' and sector_code = 'total' and model = 'naive'",
    )[0][0]
    assert f"2024 县 county {format_value(0.8, 'pct')} {format_value(mape, 'pct')}" in shown


def test_dual_control_page_shows_the_budgets_forecast_and_new_red_warnings(site, release):
    html_text = text(page(site, "dual_control.html"))
    assert "2025 年预算" in html_text and "2025-10-31" in html_text
    # 晋中's forecast is 8 % above its budget (its interval too): first, over budget.
    with published_views_connection(release) as con:
        over, budget = con.execute(
            "select division_name_zh, budget_tco2 from carbon_budgets "
            "where is_current and year = 2025 and division_code = ?",
            [OVER_BUDGET_CITY],
        ).fetchone()
        fast = con.execute(
            "select sector_name_zh from emissions_by_sector where sector_code = ? limit 1",
            [FAST_SECTOR],
        ).fetchone()[0]
        reds = con.execute(
            "select count(*) from emission_warnings where is_latest and level = '红'"
        ).fetchone()[0]
    table = html_text[html_text.index("城市 City") :]
    assert table.index(over) < min(
        table.index(name) for name in ("太原市", "大同市", "阳泉市") if name in table
    )
    assert f"{over} {format_value(budget, '万吨')}" in table
    assert "超预算 over budget" in table and "预算内 within budget" in table
    # The latest period's red warnings, every one with its reason: the fast sector's.
    assert html_text.count("红 ") >= reds > 0
    assert f"{fast}行业2025年1–10月排放同比增长12.0%" in html_text
    assert "4.0%" not in html_text.split("预警")[-1].split("年末预测回测")[0]  # 黄 is not listed
