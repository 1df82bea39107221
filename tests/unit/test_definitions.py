"""The code location loads, validates, and is one connected graph from ingest to report."""

from __future__ import annotations

import json

import dagster as dg

from ingest.feeds import FEEDS
from orchestration.dbt import dbt_build_args, dbt_vars
from orchestration.definitions import TRANSFORM_JOB, build_defs
from orchestration.resources import WAREHOUSE_POOL
from orchestration.settings import REPO_ROOT, Settings


def test_dbt_build_args_pass_the_settings_as_vars():
    args = dbt_build_args(dbt_vars("ipcc_2006", 2016, 2024))
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {"factor_set": "ipcc_2006", "first_year": 2016, "last_year": 2024}


def test_definitions_load_and_validate(home):
    defs = build_defs(home)
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def(TRANSFORM_JOB) is not None
    assert defs.resolve_job_def("ingest_power__meter_daily").partitions_def is not None


def test_one_connected_graph_from_ingest_to_report(home):
    graph = build_defs(home).resolve_asset_graph()
    key = dg.AssetKey

    def upstream(of: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(key(of)).parent_keys}

    assert "raw_stats__energy_consumption" in upstream("stg_stats__energy_consumption")
    assert "stg_stats__energy_consumption" in upstream("int_energy__annual_consumption")
    assert "out_emissions__by_sector" in upstream("published_emissions_by_sector")
    assert "out_emissions__by_city" in upstream("disclosure_emissions_by_city")
    assert "disclosure_emissions_by_city" in upstream("published_emissions_by_city")
    assert "published_emissions_by_city" in upstream("report_site")
    # no dangling source: every source of dbt is an ingest asset we materialise, or an audit
    # table those ingest assets write
    materialisable = {k.to_user_string() for k in graph.materializable_asset_keys}
    external = {k.to_user_string() for k in graph.get_all_asset_keys()} - materialisable
    assert external <= {"audit_file_deliveries", "audit_quarantined_rows"}
    for name in external:
        assert "raw_stats__energy_consumption" in upstream(name)


def test_gate_is_a_blocking_check_on_the_mart(home):
    graph = build_defs(home).resolve_asset_graph()
    checks = {
        check_key.name: graph.get_check_spec(check_key)
        for check_key in graph.asset_check_keys
        if check_key.asset_key == dg.AssetKey("out_emissions__by_sector")
    }
    assert checks["gx_emissions_by_sector"].blocking
    # dbt's own tests of the mart are asset checks too
    assert any(name.startswith("unique_combination") for name in checks)


def test_every_published_table_is_gated_and_waits_on_every_gate(home, dbt_manifest):
    from publish.tables import published_tables

    graph = build_defs(home).resolve_asset_graph()
    tables = published_tables(dbt_manifest)
    gated = {table.gated_asset_key for table in tables.values()}
    for table in tables.values():
        check = dg.AssetCheckKey(table.gated_asset_key, f"gx_{table.name}")
        assert check in graph.asset_check_keys and graph.get_check_spec(check).blocking
        published = graph.get(dg.AssetKey(f"published_{table.name}"))
        assert set(published.parent_keys) == gated, table.name
    published_keys = {k for k in graph.get_all_asset_keys() if k.path[0].startswith("published_")}
    assert published_keys == {dg.AssetKey(f"published_{name}") for name in tables}


def test_every_warehouse_writer_is_in_the_single_slot_pool(home):
    defs = build_defs(home)
    graph = defs.resolve_asset_graph()
    writers = [
        "raw_stats__energy_consumption",
        "out_emissions__by_city",
        "published_emissions_by_city",
    ]
    for name in writers:
        node = graph.get(dg.AssetKey(name))
        assert node.pools == {WAREHOUSE_POOL}, name


def test_ingest_assets_are_partitioned_as_their_feeds(home):
    graph = build_defs(home).resolve_asset_graph()

    def last_key(name: str) -> str | None:
        partitions = graph.get(dg.AssetKey(name)).partitions_def
        return None if partitions is None else partitions.get_first_partition_key()

    assert last_key("raw_stats__energy_consumption") == "2015"
    assert last_key("raw_stats__industrial_output") == "2015-01"
    assert last_key("raw_power__meter_daily") == "2015-01-01"
    assert last_key("raw_ets__entities") is None
    quarantine_checks = [
        k for k in graph.asset_check_keys if k.name == "no_quarantined_or_rejected"
    ]
    assert len(quarantine_checks) == len(FEEDS)  # one per feed of the contract


JOINT = ("emissions_by_division_sector", "emissions_by_county", "emissions_by_city",
         "energy_by_division")  # fmt: skip


def test_each_suppressing_table_is_a_disclosure_asset_gated_and_published_from_it(home):
    graph = build_defs(home).resolve_asset_graph()
    for table in (*JOINT, "ets_compliance_by_city_sector"):
        key = dg.AssetKey(f"disclosure_{table}")
        node = graph.get(key)
        assert node.pools == {WAREHOUSE_POOL}
        checks = {
            k.name: graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == key
        }
        # the attack and the suite, both blocking: no warning category is left
        assert set(checks) == {"no_cell_recoverable", f"gx_{table}"}
        assert all(check.blocking for check in checks.values())
        assert key in graph.get(dg.AssetKey(f"published_{table}")).parent_keys
    # the division × sector cells and the division totals: one decision, one step
    [definition] = {graph.assets_def_for_key(dg.AssetKey(f"disclosure_{table}")) for table in JOINT}
    assert definition.node_def.name == "disclosure_emissions_by_division_sector"
    parents = {
        k.to_user_string()
        for table in JOINT
        for k in graph.get(dg.AssetKey(f"disclosure_{table}")).parent_keys
    }
    assert {
        "out_emissions__by_division_sector",
        "out_emissions__by_county",
        "out_emissions__by_city",
        "out_energy__by_division",
        "ref_disclosure_rules",
    } <= parents
    # emissions_by_sector's totals are read from its mart (built by the same dbt step) without
    # waiting on its gate: a failing gate there must not keep these tables' gates from running
    assert "out_emissions__by_sector" not in parents
    # no dbt Python model is left (dbt-spark cannot run them): disclosure is a Dagster asset
    from orchestration.dbt import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    languages = {node.get("language") for node in manifest["nodes"].values()}
    assert "python" not in languages and "sql" in languages


def test_each_set_of_vars_has_its_own_parse_and_a_second_call_reuses_it(dbt_manifest, monkeypatch):
    """Code locations or test workers with other settings never overwrite each other's parse
    (they used to share target/manifest.json and parsed again at every switch). A parse is
    also kept per warehouse: dbt's partial parse hashes the profile, which names it."""
    import time

    from orchestration.dbt import dbt_vars, ensure_manifest, parse_dir

    default_settings = Settings.from_env({}, cwd=REPO_ROOT)
    defaults = dbt_vars(
        default_settings.factor_set, default_settings.first_year, default_settings.last_year
    )
    other = dbt_vars("provincial_guidelines", 2017, 2020)
    assert parse_dir(defaults) != parse_dir(other)
    monkeypatch.setenv("EMISSIONS_WAREHOUSE", "/elsewhere/warehouse.duckdb")
    elsewhere = parse_dir(defaults)
    monkeypatch.setenv("EMISSIONS_WAREHOUSE", str(default_settings.warehouse_path))
    assert parse_dir(defaults) != elsewhere
    assert dbt_manifest.parent == parse_dir(defaults)
    started = time.perf_counter()
    assert ensure_manifest(defaults) == dbt_manifest  # no parse: well under dbt's start-up
    assert time.perf_counter() - started < 1.0
    assert (dbt_manifest.parent / "manifest_vars.json").read_text(encoding="utf-8") == defaults


def test_every_asset_has_an_owner_from_the_dbt_groups(home):
    """Owners are declared once (the dbt groups of dbt_project/models/_groups.yml): every asset
    has one, a mart the statisticians', a staging model and an ingest asset the engineers'."""
    graph = build_defs(home).resolve_asset_graph()
    owners = {key.to_user_string(): graph.get(key).owners for key in graph.get_all_asset_keys()}
    assert all(owners.values()), [key for key, found in owners.items() if not found]
    assert owners["out_emissions__by_city"] == ["team:emissions_statistics"]
    assert owners["stg_stats__gdp"] == ["team:data_engineering"]
    assert owners["raw_stats__gdp"] == ["team:data_engineering"]
    assert owners["ref_divisions"] == ["team:reference_data"]
    assert owners["report_site"] == ["team:emissions_statistics"]


def test_dg_check_defs_loads_the_project(home):
    """`dg check defs` finds the project of pyproject.toml's [tool.dg] and loads its code
    location (what `dg dev` and `emissions ui` serve)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    dg_cli = Path(sys.executable).with_name("dg")
    completed = subprocess.run(
        [str(dg_cli), "check", "defs"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **home.as_env()},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "All definitions loaded successfully" in output
