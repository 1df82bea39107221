"""dbt exposures: every published table and every report page, generated from their own
declarations (publish/exposures.py), the checked-in file up to date."""

from __future__ import annotations

import json

import yaml

from publish.exposures import EXPOSURES_FILE, PAGES_DIR, exposures_yaml
from publish.tables import published_tables
from reports.site import discover_pages


def test_the_exposures_file_is_what_the_declarations_make(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    assert EXPOSURES_FILE.read_text(encoding="utf-8") == exposures_yaml(manifest), (
        "dbt_project/models/_exposures.yml is out of date: run "
        "`.venv/bin/python -m publish.exposures` and commit it"
    )


def test_every_published_table_and_page_is_an_exposure_with_its_marts_and_owner(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    parsed = {node["name"]: node for node in manifest["exposures"].values()}
    tables = published_tables(dbt_manifest)
    for name, table in tables.items():
        exposure = parsed[f"published_{name}"]
        assert exposure["depends_on"]["nodes"] == [f"model.shanxi_emissions.{table.model}"]
        assert exposure["owner"]["name"].endswith("Emissions statistics")
    pages = discover_pages(PAGES_DIR)
    assert len([name for name in parsed if name.startswith("page_")]) == len(pages)
    index = parsed["page_index"]
    front = yaml.safe_load((PAGES_DIR / "index.md").read_text(encoding="utf-8").split("---")[1])
    assert sorted(index["depends_on"]["nodes"]) == sorted(
        f"model.shanxi_emissions.{tables[name].model}" for name in front["requires"]
    )
