"""The worked example of adding a published table: a model, its YAML, its suite, nothing else.

The dbt project is copied aside with one new mart whose YAML declares it published; dbt parses
it as the code location does; the code location's publication definitions then have its gate
and its publish asset, found by publish.tables (from the manifest) and quality.gate.bind_suites
(from quality/suites/<table>.yml).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from orchestration.assets.publish import publication_definitions
from orchestration.dbt import DBT_EXECUTABLE
from orchestration.settings import DBT_PROJECT_DIR
from publish.tables import published_tables
from quality.gate import SUITES_DIR, SuiteBindingError

MODEL_SQL = """\
-- The province's territorial CO2 by year, from the key sectors' accounts.
select
    year,
    any_value(report_type) as report_type,
    cast(sum(total_tco2) as decimal(38, 6)) as total_tco2
from {{ ref('out_emissions__by_sector') }}
group by year
"""

MODEL_YAML = """\
version: 2

models:
  - name: out_emissions__province_by_year
    description: The province's territorial CO2 by year (published as emissions_province_by_year).
    config:
      meta:
        publish:
          table: emissions_province_by_year
          description_zh: 全省分年度二氧化碳排放总量
          description_en: The province's territorial CO2 by year
    columns:
      - name: year
        config:
          meta:
            publish: {zh: 年份, en: Year, unit: ""}
      - name: report_type
        config:
          meta:
            publish: {zh: 报表类型（annual 年报 / quick 快报）, en: Report type, unit: ""}
      - name: total_tco2
        config:
          meta:
            publish: {zh: 二氧化碳排放总量, en: Territorial CO2, unit: tCO2}
"""

SUITE_YAML = """\
# Suite-level rules of the published table emissions_province_by_year.
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: total_tco2}
checks:
  - name: equals_the_sectors
    description: The province's total is the sum of its key sectors, each year.
    query: >
      select p.year, abs(p.total_tco2 - s.total_tco2) as difference_tco2
      from emissions_province_by_year as p
      join (select year, sum(total_tco2) as total_tco2 from emissions_by_sector group by year)
        as s using (year)
    expectations:
      - type: expect_column_values_to_be_between
        kwargs: {column: difference_tco2, max_value: {threshold: sum_tolerance_tco2}}
"""


def test_adding_a_published_table_touches_its_model_its_yaml_and_its_suite(tmp_path: Path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    marts = project / "models" / "marts"
    (marts / "out_emissions__province_by_year.sql").write_text(MODEL_SQL, encoding="utf-8")
    (marts / "out_emissions__province_by_year.yml").write_text(MODEL_YAML, encoding="utf-8")
    suites = tmp_path / "suites"
    shutil.copytree(SUITES_DIR, suites)
    parsed = subprocess.run(
        [str(DBT_EXECUTABLE), "parse", "--quiet", "--profiles-dir", str(project)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    manifest = project / "target" / "manifest.json"

    table = published_tables(manifest)["emissions_province_by_year"]
    assert table.relation == "marts.out_emissions__province_by_year"
    assert table.column_names == ("year", "report_type", "total_tco2")
    assert table.declared_in == "dbt_project/models/marts/out_emissions__province_by_year.yml"
    with pytest.raises(SuiteBindingError, match=r"emissions_province_by_year .* has no suite"):
        publication_definitions(manifest, suites)

    (suites / "emissions_province_by_year.yml").write_text(SUITE_YAML, encoding="utf-8")
    assets, checks = publication_definitions(manifest, suites)
    check_keys = {key for check in checks for key in check.check_keys}
    assert dg.AssetCheckKey(dg.AssetKey(table.model), "gx_emissions_province_by_year") in check_keys
    published = {asset.key: asset for asset in assets}
    assert dg.AssetKey("published_emissions_province_by_year") in published
    gated = {key.asset_key for key in check_keys if key.name.startswith("gx_")}
    for asset in published.values():
        assert set(asset.asset_deps[asset.key]) == gated
