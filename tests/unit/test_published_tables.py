"""Published tables declared once, in the marts' YAML (`config.meta.publish`), read from the
dbt manifest: the declarations, their errors, and a data dictionary unchanged by the move."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import dagster as dg
import pytest

from publish.tables import DeclarationError, published_tables, tables_of_manifest

BEFORE = Path(__file__).with_name("published_data_dictionary.json")


def model(name: str, publish=None, columns=None, schema: str = "marts") -> dict:
    """A model node as dbt writes it into manifest.json (config.meta, per column too)."""
    return {
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "alias": name,
        "patch_path": f"shanxi_emissions://models/marts/{name}.yml",
        "config": {"meta": {"publish": publish} if publish is not None else {}},
        "columns": {
            column: {"name": column, "config": {"meta": {"publish": doc} if doc else {}}}
            for column, doc in (columns or {}).items()
        },
    }


YEAR = {"zh": "年份", "en": "Year", "unit": ""}
TOTAL = {"zh": "排放总量", "en": "Total CO2", "unit": "tCO2"}
CITY = {"table": "emissions_by_city", "description_zh": "各市", "description_en": "Cities"}


def manifest(*nodes: dict) -> dict:
    return {"nodes": {f"model.shanxi_emissions.{node['name']}": node for node in nodes}}


def test_the_data_dictionary_is_unchanged_by_the_move_to_the_marts_yaml(dbt_manifest):
    """Every label of every table as quality/published_tables.yml had it (the dictionary
    generated before the move, tests/unit/published_data_dictionary.json), in the same order.
    A deliberate change of a label changes that file in the same commit."""
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    tables = published_tables(dbt_manifest)
    assert set(before) <= set(tables), f"no longer published: {set(before) - set(tables)}"
    for name, documented in before.items():
        table = tables[name]
        now = {
            "description_zh": table.description_zh,
            "description_en": table.description_en,
            "columns": [asdict(column) for column in table.columns],
        }
        assert now == documented, name


def test_the_real_declarations_name_their_marts(dbt_manifest):
    tables = published_tables(dbt_manifest)
    sector = tables["emissions_by_sector"]
    assert (sector.model, sector.relation) == (
        "out_emissions__by_sector",
        "marts.out_emissions__by_sector",
    )
    assert sector.declared_in == "dbt_project/models/marts/out_emissions__by_sector.yml"
    assert sector.gated_asset_key == dg.AssetKey("out_emissions__by_sector")
    city = tables["emissions_by_city"]  # its rows are cells of the division × sector problem
    assert city.source_relation == "disclosure.emissions_by_city"
    assert city.gated_asset_key == dg.AssetKey("disclosure_emissions_by_city")
    suppressed = tables["emissions_by_division_sector"]
    # declared on the unsuppressed mart, published from what the disclosure asset wrote, with
    # the suppression flag that asset adds where the declaration puts it
    assert suppressed.model == "out_emissions__by_division_sector"
    assert suppressed.source_relation == "disclosure.emissions_by_division_sector"
    assert suppressed.gated_asset_key == dg.AssetKey("disclosure_emissions_by_division_sector")
    assert suppressed.column_names[5:7] == ("total_tco2", "is_suppressed")
    compliance = tables["ets_compliance_by_city_sector"]
    assert compliance.model == "out_ets__compliance_by_city_sector"
    assert compliance.column_names[:4] == (
        "year",
        "division_level",
        "division_code",
        "division_name_zh",
    )


def test_the_suppression_flag_a_disclosure_adds_is_placed_as_declared():
    flag = {"name": "is_suppressed", "zh": "是否保密", "en": "Suppressed", "unit": ""}
    publish = {**CITY, "disclosure": {"suppressed_flag": {**flag, "after": "year"}}}
    columns = {"year": YEAR, "total_tco2": TOTAL}
    [table] = tables_of_manifest(
        manifest(model("out_emissions__by_city", publish, columns))
    ).values()
    assert table.column_names == ("year", "is_suppressed", "total_tco2")
    publish = {**CITY, "disclosure": {"suppressed_flag": {**flag, "below": "year"}}}
    with pytest.raises(DeclarationError, match="suppressed_flag needs name, zh, en and unit"):
        tables_of_manifest(manifest(model("out_emissions__by_city", publish, columns)))


def test_published_columns_are_those_declared_in_yaml_order():
    nodes = manifest(
        model(
            "out_emissions__by_city",
            CITY,
            {"total_tco2": TOTAL, "internal_note": None, "year": YEAR},
        ),
        model("out_emissions__by_county"),  # a mart that is not published
    )
    (table,) = tables_of_manifest(nodes).values()
    assert table.name == "emissions_by_city"
    assert table.column_names == ("total_tco2", "year")
    assert table.columns[0].unit == "tCO2"
    assert table.relation == table.source_relation == "marts.out_emissions__by_city"
    assert table.disclosure is None


def test_a_table_under_disclosure_is_gated_and_published_from_its_disclosure_table():
    publish = {**CITY, "disclosure": {"dimensions": ["division_code"]}}
    nodes = manifest(model("out_emissions__by_city", publish, {"year": YEAR}))
    table = tables_of_manifest(nodes)["emissions_by_city"]
    assert table.disclosure == {"dimensions": ["division_code"]}
    assert table.source_relation == "disclosure.emissions_by_city"
    assert table.gated_asset_key == dg.AssetKey("disclosure_emissions_by_city")
    assert table.relation == "marts.out_emissions__by_city"


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        (
            [model("out_a", CITY, {"year": YEAR}), model("out_b", CITY, {"year": YEAR})],
            "published table emissions_by_city is declared twice: on out_a "
            r"\(dbt_project/models/marts/out_a.yml\) and on out_b",
        ),
        (
            [model("out_a", CITY, {"total_tco2": TOTAL})],
            "out_a.yml: model out_a: config.meta.publish: the published columns must include year",
        ),
        (
            [model("out_a", CITY, {"year": {"zh": "年份", "en": "Year"}})],
            "model out_a: column year: config.meta.publish must have exactly zh, en and unit",
        ),
        (
            [model("out_a", {**CITY, "model": "marts.out_a"}, {"year": YEAR})],
            r"unknown key\(s\) model",
        ),
        (
            [model("out_a", {**CITY, "table": "Emissions-By-City"}, {"year": YEAR})],
            "must be lower_snake_case",
        ),
        (
            [model("out_a", {**CITY, "description_en": ""}, {"year": YEAR})],
            "description_en must be a non-empty text",
        ),
    ],
)
def test_a_malformed_declaration_names_its_yaml_file(nodes, message):
    with pytest.raises(DeclarationError, match=message):
        tables_of_manifest(manifest(*nodes))


def test_without_a_manifest_the_error_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="dbt parse"):
        published_tables(tmp_path / "manifest.json")


def test_a_new_table_needs_its_model_its_yaml_and_its_suite_only(dbt_manifest, tmp_path):
    """What the code finds by itself once a mart's YAML declares a table and its suite exists:
    the gate on the mart, the publish asset behind every gate (publication_definitions)."""
    import shutil

    from orchestration.assets.publish import publication_definitions
    from quality.gate import SUITES_DIR, SuiteBindingError

    document = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    example = model(
        "out_emissions__province_by_year",
        {"table": "emissions_province_by_year", "description_zh": "全省分年度二氧化碳排放",
         "description_en": "The province's CO2 by year"},
        {"year": YEAR, "total_tco2": TOTAL},
    )  # fmt: skip
    document["nodes"]["model.shanxi_emissions.out_emissions__province_by_year"] = example
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    suites = tmp_path / "suites"
    shutil.copytree(SUITES_DIR, suites)
    with pytest.raises(SuiteBindingError, match=r"emissions_province_by_year .* has no suite"):
        publication_definitions(path, suites)
    (suites / "emissions_province_by_year.yml").write_text(
        "expectations:\n  - type: expect_column_values_to_be_between\n"
        "    kwargs: {column: total_tco2, min_value: 0}\n",
        encoding="utf-8",
    )
    assets, checks = publication_definitions(path, suites)
    by_key = {asset.key: asset for asset in assets}
    new = by_key[dg.AssetKey("published_emissions_province_by_year")]
    gates = [c for c in checks if next(iter(c.check_keys)).name.startswith("gx_")]
    gated = {next(iter(check.check_keys)).asset_key for check in gates}
    assert dg.AssetKey("out_emissions__province_by_year") in gated
    for asset in assets:  # one failed gate stops every publication, the new one's too
        assert set(asset.asset_deps[asset.key]) == gated
    (check,) = [
        c for c in checks if next(iter(c.check_keys)).name == "gx_emissions_province_by_year"
    ]
    assert next(iter(check.check_keys)).asset_key == dg.AssetKey("out_emissions__province_by_year")
    assert new.descriptions_by_key[new.key].startswith("全省分年度二氧化碳排放")


DATE = {"zh": "日期", "en": "Date", "unit": ""}


def test_a_daily_table_declares_when_its_day_is_due():
    from datetime import UTC, date, datetime

    from orchestration.assets.publish import due_day, freshness_policy

    declared = {
        **CITY,
        "daily": {
            "date_column": "date",
            "runs_at": "06:00",
            "due": "07:00",
            "timezone": "Asia/Shanghai",
        },
    }
    (table,) = tables_of_manifest(
        manifest(model("out_x", declared, {"date": DATE, "year": YEAR, "total_tco2": TOTAL}))
    ).values()
    assert table.daily.deadline_cron == "0 7 * * *"
    assert table.daily.runs_at == "06:00"
    policy = freshness_policy(table.daily)
    assert (policy.deadline_cron, policy.timezone) == ("0 7 * * *", "Asia/Shanghai")
    # 06:59 in Shanghai (22:59 UTC the day before): yesterday is not due yet, the day before is.
    assert due_day(table.daily, None, datetime(2026, 3, 1, 22, 59, tzinfo=UTC)) == date(2026, 2, 28)
    assert due_day(table.daily, None, datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) == date(2026, 3, 1)
    assert due_day(table.daily, date(2021, 1, 1)) == date(2020, 12, 31)  # EMISSIONS_AS_OF
    assert freshness_policy(None) is None


DAILY = {"date_column": "date", "runs_at": "06:00", "due": "07:00", "timezone": "Asia/Shanghai"}


@pytest.mark.parametrize(
    ("daily", "message"),
    [
        ({**DAILY, "date_column": "day"}, "no published column"),
        ({**DAILY, "due": "7am"}, "HH:MM"),
        ({**DAILY, "runs_at": "08:00"}, "before due"),
        ({**DAILY, "timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"date_column": "date", "runs_at": "06:00", "due": "07:00"}, "needs exactly"),
    ],
)
def test_a_malformed_daily_declaration_says_what_is_wrong(daily, message):
    node = model("out_x", {**CITY, "daily": daily}, {"date": DATE, "year": YEAR})
    with pytest.raises(DeclarationError, match=message):
        tables_of_manifest(manifest(node))


def test_the_daily_nowcast_has_a_freshness_policy_and_its_due_day_check(dbt_manifest):
    from orchestration.assets.publish import publication_definitions

    assets, checks = publication_definitions(dbt_manifest)
    by_key = {asset.key: asset for asset in assets}
    nowcast = by_key[dg.AssetKey("published_emissions_nowcast_daily")]
    assert nowcast.specs_by_key[nowcast.key].freshness_policy is not None
    assert (
        by_key[dg.AssetKey("published_emissions_by_city")]
        .specs_by_key[dg.AssetKey("published_emissions_by_city")]
        .freshness_policy
        is None
    )
    names = {(key.asset_key.to_user_string(), key.name) for c in checks for key in c.check_keys}
    assert ("published_emissions_nowcast_daily", "has_the_due_day") in names
