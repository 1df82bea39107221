"""Whole-site builds into tmp_path: layout, assets, offline links, templated pages, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import duckdb
import pytest
import vl_convert
from reports_helpers import chart_specs, city_connection, links_of, write_pages, write_published

from publish.catalog import published_views_connection
from reports.errors import ReportBuildError
from reports.serve import make_server
from reports.site import SITE_MARKER, build_site

INDEX = """---
title: 概览
---
# 山西省概览

```sql by_year
select year, sum(total_tco2) as total_tco2 from emissions_by_city group by year order by year
```

<BigValue data={by_year} value=total_tco2 fmt=万吨 title="排放"/>

<LineChart data={by_year} x=year y=total_tco2 fmt=万吨 title="趋势"/>

[太原市](/cities/140100) · [城市列表](cities/) · [外部链接](https://example.org/)
"""

CITY = """---
title: "{params.title} 碳排放"
group_title: 城市
params:
  city: >-
    select division_code as city, division_name_zh as title
    from emissions_by_city group by all order by city
---
# {params.title}

```sql city_years
select year, total_tco2 from emissions_by_city
where division_code = ${params.city}
order by year
```

<BarChart data={city_years} x=year y=total_tco2 fmt=万吨/>

<DataTable data={city_years}/>

[返回首页 Home](/)
"""

CITIES_INDEX = """# 各城市

```sql cities
select distinct division_code, division_name_zh from emissions_by_city order by 1
```

{#each cities as c}
- [{c.division_name_zh}]({c.division_code})
{/each}
"""


def build(tmp_path: Path, pages: dict[str, str], factory=city_connection, **options):
    pages_dir = write_pages(tmp_path / "pages", pages)
    return build_site(pages_dir, tmp_path / "site", connection_factory=factory, **options)


@pytest.fixture
def site(tmp_path: Path):
    result = build(
        tmp_path,
        {"index.md": INDEX, "cities/[city].md": CITY, "cities/index.md": CITIES_INDEX},
    )
    return result


def read(site_dir: Path, relative: str) -> str:
    return (site_dir / relative).read_text(encoding="utf-8")


def test_writes_every_page_and_the_assets(site):
    assert sorted(str(page) for page in site.pages) == [
        "cities/140100.html",
        "cities/140200.html",
        "cities/index.html",
        "index.html",
    ]
    assets = site.out_dir / "assets"
    assert (assets / "style.css").is_file()
    assert (assets / "reports.js").is_file()
    bundle = read(site.out_dir, "assets/vega-bundle.js")
    assert "window.vegaEmbed" in bundle and "window.vegaLite" in bundle
    assert (site.out_dir / SITE_MARKER).is_file()
    assert site.warnings == []


def test_pages_are_utf8_with_the_cjk_font_stack(site):
    index = read(site.out_dir, "index.html")
    assert '<meta charset="utf-8">' in index
    assert '<html lang="zh-CN">' in index
    assert "<title>概览 · " in index
    css = read(site.out_dir, "assets/style.css")
    assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif' in css


def test_sidebar_lists_every_page_and_groups_templated_pages(site):
    index = read(site.out_dir, "index.html")
    sidebar = index.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="index.html" aria-current="page">概览</a>' in sidebar
    assert '<summary><a href="cities/index.html">城市</a></summary>' in sidebar
    assert sidebar.index("太原市") < sidebar.index("大同市")  # the params query's order
    assert '<a href="cities/140100.html">太原市</a>' in sidebar
    city = read(site.out_dir, "cities/140100.html")
    city_sidebar = city.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert '<a class="site-title" href="../index.html">' in city_sidebar
    assert '<a href="../cities/140100.html" aria-current="page">太原市</a>' in city_sidebar
    assert "<details open>" in city_sidebar
    assert '<link rel="stylesheet" href="../assets/style.css">' in city
    assert '<script src="../assets/vega-bundle.js"></script>' in city


def test_nothing_is_loaded_from_the_internet(site):
    for page in site.pages:
        for tag, attribute, value in links_of(read(site.out_dir, str(page))):
            assert not value.startswith(("http://", "https://", "//")) or (
                tag == "a" and value == "https://example.org/"  # the author's own text link
            ), (page, tag, attribute, value)
            assert not value.startswith("/"), (page, value)  # relative: works from file://


def test_author_links_become_relative_html_links(site):
    index = read(site.out_dir, "index.html")
    assert '<a href="cities/140100.html">太原市</a>' in index
    assert '<a href="cities/index.html">城市列表</a>' in index
    cities = read(site.out_dir, "cities/index.html")
    assert '<a href="140100.html">太原市</a>' in cities
    city = read(site.out_dir, "cities/140200.html")
    assert '<a href="../index.html">返回首页 Home</a>' in city


def test_embedded_specs_are_valid_vega_lite(site):
    specs = chart_specs(read(site.out_dir, "index.html"))
    specs += chart_specs(read(site.out_dir, "cities/140100.html"))
    assert len(specs) == 2
    for spec in specs:
        json.dumps(spec)
        assert "$schema" not in spec
        vega = vl_convert.vegalite_to_vega(spec)
        assert vega["marks"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_shipped_scripts_run_as_classic_scripts_and_embed_every_chart(site):
    """The vl-convert bundle defines vegaEmbed without modules; reports.js embeds each spec."""
    harness = Path(__file__).parent / "fixtures" / "embed_harness.js"
    completed = subprocess.run(
        [
            "node",
            str(harness),
            str(site.out_dir / "assets" / "vega-bundle.js"),
            str(site.out_dir / "assets" / "reports.js"),
            str(site.out_dir / "index.html"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(completed.stdout)
    assert report["bundledEmbed"] == "function"
    assert [(call["target"], call["mark"]) for call in report["calls"]] == [("chart-1", "line")]
    options = report["calls"][0]["options"]
    assert options["mode"] == "vega-lite"
    assert options["actions"]["editor"] is False  # the editor link would open the internet


def test_templated_page_binds_its_parameter(site):
    taiyuan = read(site.out_dir, "cities/140100.html")
    datong = read(site.out_dir, "cities/140200.html")
    assert "<h1>太原市</h1>" in taiyuan and "<h1>大同市</h1>" in datong
    assert "<title>太原市 碳排放 · " in taiyuan
    assert "5,000.0 万吨" in taiyuan and "5,500.0 万吨" in taiyuan
    assert "2,000.0 万吨" not in taiyuan
    assert "2,000.0 万吨" in datong


def test_parameter_values_with_quotes_are_bound_not_spliced(tmp_path):
    def factory():
        connection = city_connection()
        connection.execute(
            "insert into emissions_by_city (year, division_code, division_name_zh, total_tco2) "
            "values (2023, 'O''Brien', 'O''Brien 市', 1.0), "
            "(2023, 'x'' or ''1''=''1', 'injected', 2.0)"
        )
        return connection

    page = """---
params:
  code: select distinct division_code as code from emissions_by_city
---
```sql rows
select count(*) as n, sum(total_tco2) as total from emissions_by_city
where division_code = '${params.code}'
```
Rows: {rows[0].n}
"""
    result = build(tmp_path, {"index.md": "# Home\n", "by_code/[code].md": page}, factory=factory)
    assert "by_code/O'Brien.html" in {str(path) for path in result.pages}
    assert "<p>Rows: 1</p>" in read(result.out_dir, "by_code/O'Brien.html")
    # Spliced, `x' or '1'='1` would match every one of the 6 rows.
    assert "<p>Rows: 1</p>" in read(result.out_dir, "by_code/x' or '1'='1.html")
    index = read(result.out_dir, "index.html")
    assert 'href="by_code/O%27Brien.html"' in index


def test_index_is_generated_when_the_pages_have_none(tmp_path):
    result = build(tmp_path, {"about.md": "# 关于 About\n"})
    index = read(result.out_dir, "index.html")
    assert '<ul class="page-index"><li><a href="about.html">关于 About</a></li></ul>' in index


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (
            {"index.md": "# x\n\n<PieChat/>\n"},
            "index.md:3: unknown component <PieChat>",
        ),
        (
            {"index.md": "```sql q\nselect 1 as a\n```\n\n\n<Value data={q} colum=a/>\n"},
            "index.md:6: unknown prop 'colum' for <Value>",
        ),
        (
            {"index.md": "# x\n\n```sql q\nselect * from no_such_table\n```\n"},
            "index.md:3: query 'q' failed: Catalog Error",
        ),
        (
            {"index.md": "```sql q\nselect 1 as a\n```\n```sql r\nselect * from ${p}\n```\n"},
            "index.md:5: query 'r' refers to unknown query ${p}",
        ),
        (
            {"cities/[city].md": "---\ntitle: x\n---\n# {params.city}\n"},
            "[city].md:1: templated page needs front matter params",
        ),
        (
            {"index.md": "# x\n\n![logo](https://example.org/logo.png)\n"},
            "index.md:3: the page loads https://example.org/logo.png from the internet",
        ),
    ],
)
def test_build_errors_name_the_page_and_the_line(tmp_path, pages, expected):
    with pytest.raises(ReportBuildError) as caught:
        build(tmp_path, pages)
    message = str(caught.value)
    assert expected in message
    page_path = message.split(":", 1)[0]
    assert page_path.endswith(next(iter(pages)))


def test_every_failing_page_is_reported_at_once(tmp_path):
    with pytest.raises(ReportBuildError) as caught:
        build(tmp_path, {"a.md": "<Nope/>\n", "b.md": "\n<Nada/>\n"})
    assert [(Path(p.path).name, p.line) for p in caught.value.problems] == [
        ("a.md", 1),
        ("b.md", 2),
    ]


def test_a_failed_build_leaves_the_previous_site_intact(tmp_path):
    first = build(tmp_path, {"index.md": "# 第一版\n"})
    before = read(first.out_dir, "index.html")
    with pytest.raises(ReportBuildError):
        build(tmp_path, {"index.md": "# 第二版\n<PieChat/>\n"})
    assert read(first.out_dir, "index.html") == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")]
    assert leftovers == []
    second = build(tmp_path, {"index.md": "# 第三版\n"})
    assert "第三版" in read(second.out_dir, "index.html")
    assert oct(second.out_dir.stat().st_mode & 0o777) == "0o755"


def test_refuses_to_replace_a_folder_it_did_not_build(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "precious.txt").write_text("keep me")
    with pytest.raises(ReportBuildError, match="refusing to replace it"):
        build(tmp_path, {"index.md": "# x\n"})
    assert (tmp_path / "site" / "precious.txt").read_text() == "keep me"


def test_two_pages_may_not_write_the_same_file(tmp_path):
    pages = {"cities/140100.md": "# 太原\n", "cities/[city].md": CITY}
    with pytest.raises(ReportBuildError, match=r"writes cities/140100.html, as .*140100.md does"):
        build(tmp_path, pages)


def test_sql_can_be_shown_on_request(tmp_path):
    result = build(tmp_path, {"index.md": "```sql q\nselect 42 as a\n```\n"}, show_sql=True)
    index = read(result.out_dir, "index.html")
    assert '<details class="sql"><summary>SQL: q</summary><pre><code>select 42 as a' in index


def _partition_2024(folder: Path) -> Path:
    """A year=2024 partition (the 2023 rows again) in ``folder``."""
    extra = folder / "year=2024"
    extra.mkdir(parents=True)
    connection = city_connection()
    connection.execute(
        f"copy (select * exclude (year) from emissions_by_city where year = 2023) "
        f"to '{(extra / 'part-0.parquet').as_posix()}' (format parquet)"
    )
    return extra


def test_published_views_follow_symlinks_and_skip_hidden_folders(tmp_path):
    # The layout of publish.release: published/<table> is a relative symlink to a release.
    published = tmp_path / "published"
    release = write_published(published / ".releases" / "r1")
    os.symlink(Path(".releases/r1/emissions_by_city"), published / "emissions_by_city")
    (release / "emissions_by_city" / "_manifest.json").write_text("{}")
    # A partition that is itself a symlink (DuckDB's ** glob would not follow it), to a folder
    # of the releases folder.
    extra = _partition_2024(published / ".releases" / "shared")
    os.symlink(extra, release / "emissions_by_city" / "year=2024")
    (published / "_staging").mkdir()
    os.symlink(Path(".releases/r1/emissions_by_city"), published / ".emissions_by_city.switching")
    (published / "_manifest.json").write_text("{}")

    views = published_views_connection(published)
    names = {
        row[0]
        for row in views.execute(
            "select view_name from duckdb_views() where not internal"
        ).fetchall()
    }
    assert names == {"emissions_by_city"}
    counts = views.execute(
        "select year, count(*) from emissions_by_city group by year order by year"
    ).fetchall()
    assert counts == [(2022, 2), (2023, 2), (2024, 2)]


def test_a_release_linking_to_a_file_outside_the_releases_cannot_be_read(tmp_path):
    # DuckDB judges the allowed folders on the resolved path: a link inside a release to
    # anything outside the releases is refused when read, loudly, naming the file.
    published = tmp_path / "published"
    release = write_published(published / ".releases" / "r1")
    os.symlink(Path(".releases/r1/emissions_by_city"), published / "emissions_by_city")
    extra = _partition_2024(tmp_path / "elsewhere")
    os.symlink(extra, release / "emissions_by_city" / "year=2024")
    views = published_views_connection(published)
    with pytest.raises(duckdb.PermissionException, match=r"year=2024/part-0\.parquet"):
        views.execute("select count(*) from emissions_by_city").fetchall()


def test_pages_whose_tables_are_not_published_get_a_notice_and_a_warning(tmp_path):
    # Only emissions_by_city is published: the real pages that need more tables say so.
    published = write_published(tmp_path / "published")
    pages = Path(__file__).resolve().parents[3] / "reports" / "pages"
    result = build_site(
        pages,
        tmp_path / "site",
        connection_factory=lambda: published_views_connection(published),
    )
    index = read(result.out_dir, "index.html")
    assert "本页所需的数据表尚未发布或没有数据：<code>emissions_by_sector</code>" in index
    assert "<title>全省概览 Provincial overview" in index
    assert any(
        warning.endswith(
            "index.md: the release has no table emissions_by_sector "
            "(not published yet, or empty): a notice written instead"
        )
        for warning in result.warnings
    ), result.warnings
    # The templated city pages need several tables: none is written, and the build says so.
    assert not (result.out_dir / "cities").exists()
    assert any(
        "[city].md" in warning and "no pages written" in warning for warning in result.warnings
    )


def test_a_page_whose_required_tables_exist_renders_normally(tmp_path):
    page = "---\nrequires: [emissions_by_city]\n---\n# 有数据\n\n```sql q\nselect 1 as a\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert "<h1>有数据</h1>" in read(result.out_dir, "index.html")
    assert result.warnings == []


def test_release_manifests_and_gate_results_are_tables_of_the_connection(tmp_path):
    published = write_published(tmp_path / "published")
    gate = {
        "suite": "emissions_by_city",
        "model": "marts.out_emissions__by_city",
        "success": True,
        "row_count": 6,
        "outcomes": [
            {
                "expectation": "expect_column_values_to_not_be_null",
                "column": "year",
                "success": True,
                "observed": None,
                "unexpected_count": 0,
                "sample": [{"secret": "a delivered row"}],
            },
            {
                "expectation": "expect_table_row_count_to_be_between",
                "column": None,
                "success": True,
                "observed": 6,
                "unexpected_count": None,
                "sample": [],
            },
        ],
    }
    manifest = {
        "release_id": "r1",
        "created_at": "2026-01-02T03:04:05+00:00",
        "row_count": 6,
        "files": [{"path": "a"}, {"path": "b"}, {"path": "c"}],
        "gate_results": [gate],
        "description": {"zh": "各市", "en": "cities"},
        "source_model": "marts.x",
    }
    (published / "emissions_by_city" / "_manifest.json").write_text(json.dumps(manifest))
    connection = published_views_connection(published)
    assert connection.execute(
        "select table_name, release_id, cast(created_at as varchar), row_count, file_count, "
        "gate_passed, expectation_count, failed_expectation_count from release_manifests"
    ).fetchall() == [("emissions_by_city", "r1", "2026-01-02 03:04:05", 6, 3, True, 2, 0)]
    assert connection.execute(
        "select expectation, column_name, success, observed from release_gate_results "
        "order by expectation"
    ).fetchall() == [
        ("expect_column_values_to_not_be_null", "year", True, None),
        ("expect_table_row_count_to_be_between", None, True, "6"),
    ]
    columns = [row[0] for row in connection.execute("describe release_gate_results").fetchall()]
    assert "sample" not in columns  # rows of a failed expectation never reach a page


def test_published_year_is_an_integer_and_two_windows_over_it_work(tmp_path):
    # DuckDB 2.0 fails on two window functions partitioned by a Hive partition column
    # ("PhysicalWindow::GetPartitionData: partition columns not supported"); the views make
    # the partition columns computed ones.
    published = write_published(tmp_path / "published")
    connection = published_views_connection(published)
    assert connection.execute("select typeof(year) from emissions_by_city limit 1").fetchall() == [
        ("INTEGER",)
    ]
    ranks = connection.execute(
        "select year, division_name_zh, "
        "rank() over (partition by year order by total_tco2 desc) as by_total, "
        "rank() over (partition by year order by population_10k) as by_population "
        "from emissions_by_city order by year, by_total"
    ).fetchall()
    assert ranks[:2] == [(2022, "太原市", 1, 2), (2022, "大同市", 2, 1)]


def test_serve_answers_on_the_loopback_interface(site):
    server = make_server(site.out_dir, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as response:
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "山西省概览" in response.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
