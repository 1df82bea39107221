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
from synthetic_release import FAST_SECTOR, write_synthetic_release

from publish.catalog import published_views_connection
from reports.errors import ReportBuildError
from reports.formats import format_value
from reports.parser import page_vars, parse_page
from reports.site import build_site

PAGES = Path(__file__).resolve().parents[3] / "reports" / "pages"
CITY_CODES = [f"14{index:02d}00" for index in range(1, 12)]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_release(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("site") / "site"
    return build_site(PAGES, out, connection_factory=lambda: published_views_connection(release))


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
        ["index.html", "sectors.html", "carbon_market.html", "data_quality.html"]
        + [f"cities/{code}.html" for code in CITY_CODES]
    )
    assert site.warnings == []


def test_every_page_is_linked_from_the_sidebar_of_the_overview(site):
    hrefs = {value for tag, attribute, value in links_of(page(site, "index.html")) if tag == "a"}
    for written in site.pages:
        assert str(written) in hrefs, written


def test_overview_shows_the_latest_total_and_the_intensity_path(site, release):
    year, total, quick = query(
        release,
        "select year, sum(total_tco2), bool_or(report_type = 'quick') from emissions_by_city "
        "group by year order by year desc limit 1",
    )[0]
    body = page(site, "index.html")
    assert f'<p class="big-value-number">{format_value(total, "万吨")}</p>' in body
    assert f"{year} 年全省排放总量 Total" in body
    assert ("数据为快报" in body) == quick
    front = page_vars(
        parse_page((PAGES / "index.md").read_text(encoding="utf-8"), "i").front_matter
    )
    base = query(
        release,
        "select sum(total_tco2) / sum(gdp_100m_yuan_constant * 10000) from emissions_by_city "
        "where year = ?",
        front["plan14_base_year"],
    )[0][0]
    target = base * (1 - front["plan14_reduction_pct"] / 100)
    shown = text(body)
    assert f"{front['plan14_base_year']} 年基期强度 Base (t/万元) {format_value(base, 'num2')}" in (
        shown
    )
    assert (
        f"{front['plan14_target_year']} 年目标强度 14th-plan target {format_value(target, 'num2')}"
        in (shown)
    )
    path = next(spec for spec in chart_specs(body) if "目标路径" in str(spec.get("title")))
    values = {(row["x"], row["series"]): row["y"] for row in path["data"]["values"]}
    assert values[(front["plan14_target_year"], "目标路径 Target path")] == pytest.approx(target)
    assert values[(front["plan14_base_year"], "实际强度 Actual")] == pytest.approx(base)
    assert (front["plan15_target_year"], "目标路径 Target path") in values


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
        "and left(division_code, 4) = left(?, 4) order by total_tco2 desc",
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
    assert len(result.pages) == 15  # every other page as usual
