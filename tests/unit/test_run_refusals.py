"""`emissions run` refuses, in one line and with a non-zero exit, what it cannot run: a landing
zone where no feed has a file, a selection that selects no asset."""

from __future__ import annotations

import pytest

from orchestration.cli import main
from orchestration.definitions import build_defs
from orchestration.runner import RunRefused, selected_job
from orchestration.settings import Settings


def test_a_run_with_no_file_in_any_feed_says_so_in_one_line(home: Settings, capsys):
    # Before: two runs of the unpartitioned feeds loaded nothing and said "ok", then dbt failed.
    (home.landing_dir / "stats" / "gdp").mkdir(parents=True)  # a feed folder, but empty
    assert main(["run"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("emissions: no feed has any file in the landing zone ")
    assert str(home.landing_dir) in lines[0]
    assert not (home.dagster_home / "dagster.yaml").exists()  # refused before any run


def test_hidden_files_alone_are_no_delivery(home: Settings, capsys):
    folder = home.landing_dir / "stats" / "gdp"
    folder.mkdir(parents=True)
    (folder / ".2023_annual.xlsx.swp").write_bytes(b"an editor's leftovers")
    assert main(["run"]) == 1
    assert "no feed has any file" in capsys.readouterr().err


def test_a_selection_of_no_asset_is_one_line(home: Settings, capsys):
    defs = build_defs(home)
    with pytest.raises(RunRefused, match=r"^--select 'nonexistent': no asset is named "):
        selected_job(defs, "nonexistent")
    with pytest.raises(RunRefused, match=r"^--select 'key:\"raw_stats__gdp\" and': "):
        selected_job(defs, 'key:"raw_stats__gdp" and')
    assert selected_job(defs, "raw_stats__gdp").name == "selected_assets"
    with pytest.raises(RunRefused, match=r"; did you mean raw_stats__gdp\b"):
        selected_job(defs, "raw_stat__gdp")

    # Everything downstream of a raw table reaches the audit tables the ingest only records:
    # they are left out of the job, and what depends on the feed is in it.
    downstream = selected_job(defs, "key:raw_policy__targets+").asset_layer.executable_asset_keys
    names = {key.to_user_string() for key in downstream}
    assert {"stg_policy__targets", "out_dual_control__budgets", "published_carbon_budgets"} <= names
    assert not {name for name in names if name.startswith("audit_")}

    assert main(["run", "--select", "nonexistent"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("emissions: --select 'nonexistent': no asset is named ")


def test_a_feed_whose_files_all_fail_says_so_and_the_other_feeds_still_load(home: Settings, capsys):
    # Before: the loop stopped at the first failed feed, so the feeds after it loaded nothing.
    gdp = home.landing_dir / "stats" / "gdp"
    gdp.mkdir(parents=True)
    (gdp / "2023_annual.csv").write_text("not,the,columns\n1,2,3\n", encoding="utf-8")
    population = home.landing_dir / "stats" / "population"
    population.mkdir(parents=True)
    (population / "2023.csv").write_text(
        "year,division_code,resident_population_10k\n2023,140000,3465.99\n", encoding="utf-8"
    )
    assert main(["run"]) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.err.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, failed
    assert failed[0].startswith("FAILED step raw_stats__gdp: stats/gdp: all 1 file(s)")
    assert "dagster._core" not in failed[0]
    assert "transform_and_publish" in captured.out and "skipped" in captured.out
    import duckdb

    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        loaded = con.execute("select count(*) from raw.stats__population").fetchone()[0]
    finally:
        con.close()
    assert loaded == 1  # population comes after gdp in load order, and it loaded
