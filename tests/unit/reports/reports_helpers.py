"""Helpers of the report renderer tests: small inline DuckDB data, page folders, HTML checks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb

from reports.parser import parse_page
from reports.render import RenderedPage, render_page

CITY_ROWS = """
    (2022, 'annual', '140100', '太原市', 40e6, 10e6, 50e6, 5.0e6, 5000.0, 1.0, 500.0),
    (2022, 'annual', '140200', '大同市', 16e6, 4e6, 20e6, 2.0e6, 1000.0, 2.0, 300.0),
    (2023, 'quick', '140100', '太原市', 44e6, 11e6, 55e6, 5.5e6, 5500.0, 1.0, 510.0),
    (2023, 'quick', '140200', '大同市', 20e6, 5e6, 25e6, 2.5e6, 1250.0, 2.0, 310.0)
"""
CITY_COLUMNS = (
    "year, report_type, division_code, division_name_zh, energy_tco2, process_tco2, total_tco2, "
    "electricity_indirect_tco2, gdp_100m_yuan_constant, intensity_tco2_per_10k_yuan, "
    "population_10k"
)


def city_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a tiny `emissions_by_city` table (2 cities × 2 years)."""
    connection = duckdb.connect(":memory:")
    connection.execute(
        f"create table emissions_by_city as select * from (values {CITY_ROWS}) t({CITY_COLUMNS})"
    )
    return connection


def render(source: str, params: dict | None = None, path: str = "pages/test.md") -> RenderedPage:
    """Parse and render page source against the tiny city table."""
    connection = city_connection()
    try:
        return render_page(parse_page(source, path), connection, params)
    finally:
        connection.close()


def write_pages(root: Path, pages: dict[str, str]) -> Path:
    """Write `{relative path: source}` below `root` and return `root`."""
    for relative, source in pages.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


SPEC_PATTERN = re.compile(
    r'<script type="application/json" class="vega-spec" data-target="([^"]+)">(.*?)</script>',
    re.S,
)


def chart_specs(html_text: str) -> list[dict]:
    """The Vega-Lite specs embedded in a page, parsed from their JSON."""
    return [json.loads(match.group(2)) for match in SPEC_PATTERN.finditer(html_text)]


class LinkCollector(HTMLParser):
    """Collects every src/href attribute value of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset") and value is not None:
                self.links.append((tag, name, value))


def links_of(html_text: str) -> list[tuple[str, str, str]]:
    collector = LinkCollector()
    collector.feed(html_text)
    return collector.links


def write_published(root: Path) -> Path:
    """A published folder with `emissions_by_city` as Hive `year=YYYY/` Parquet partitions."""
    connection = city_connection()
    root.mkdir(parents=True, exist_ok=True)
    target = (root / "emissions_by_city").as_posix()
    connection.execute(
        f"copy (select * exclude (year), year from emissions_by_city) to '{target}' "
        "(format parquet, partition_by (year), compression zstd)"
    )
    connection.close()
    return root
