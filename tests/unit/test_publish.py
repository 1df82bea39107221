"""Write–audit–publish: releases, manifests, atomic switch, pruning, refusal after a failed gate,
and releases that every reader opens with its defaults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from publish import release as publishing
from publish.layout import current_release
from publish.release import PublishError, publish_table
from publish.tables import ColumnDoc, PublishedTable

TABLE = PublishedTable(
    name="emissions_by_city",
    model="cities",
    relation="marts.cities",
    description_zh="各市排放",
    description_en="Emissions by city",
    columns=(
        ColumnDoc("year", "年份", "Year", ""),
        ColumnDoc("division_code", "行政区划代码", "Division code", ""),
        ColumnDoc("total_tco2", "排放总量", "Total CO2", "tCO2"),
    ),
)
PASSED = [{"suite": "emissions_by_city", "model": "marts.cities", "success": True,
           "row_count": 4, "outcomes": []}]  # fmt: skip
METADATA = {
    "_manifest.json",
    "_data_dictionary.md",
    "_data_dictionary.json",
    "_quality_report.html",
}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.cities as select year, division_code, "
        "cast(total_tco2 as decimal(38, 6)) as total_tco2, internal_note from (values "
        "(2020, '140100', 100.0, 'x'), (2020, '140200', 50.0, 'y'), (2021, '140100', 110.0, 'x'),"
        " (2021, '140200', 52.0, 'y')) t(year, division_code, total_tco2, internal_note)"
    )
    yield con
    con.close()


def release_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_release_has_partitions_manifest_dictionary_and_offline_report(con, tmp_path: Path):
    release = publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    current = tmp_path / "emissions_by_city"
    # a real folder (no link: zips and Windows shares carry it) of the release's files
    assert current.is_dir() and not current.is_symlink()
    assert current_release(tmp_path, "emissions_by_city") == release.path
    assert release_files(current) == release_files(release.path)
    # Parquet partitions and the four metadata files, whose names readers skip: nothing else.
    assert set(release_files(current)) == METADATA | {
        "year=2020/part_0.parquet",
        "year=2021/part_0.parquet",
    }
    manifest = json.loads((current / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["row_count"] == 4 and manifest["gate_results"] == PASSED
    assert manifest["source_model"] == manifest["source_relation"] == "marts.cities"
    assert sorted(f["path"] for f in manifest["files"]) == [
        "year=2020/part_0.parquet",
        "year=2021/part_0.parquet",
    ]
    for entry in manifest["files"]:
        assert hashlib.sha256((current / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    frame = pl.read_parquet(current / "year=*/*.parquet", hive_partitioning=True)
    assert set(frame.columns) == {"year", "division_code", "total_tco2"}, "only listed columns"
    dictionary = json.loads((current / "_data_dictionary.json").read_text(encoding="utf-8"))
    assert dictionary[2] == {
        "name": "total_tco2",
        "zh": "排放总量",
        "en": "Total CO2",
        "unit": "tCO2",
    }
    markdown = (current / "_data_dictionary.md").read_text(encoding="utf-8")
    assert "| total_tco2 | 排放总量 | Total CO2 | tCO2 |" in markdown.splitlines()
    html = (current / "_quality_report.html").read_text(encoding="utf-8")
    assert "emissions_by_city" in html and "http://" not in html and "https://" not in html


def test_every_reader_opens_a_release_with_its_defaults(con, tmp_path: Path):
    """pandas, pyarrow, polars and DuckDB read ``published/<table>`` as it is: the metadata
    beside the Parquet carries names they skip (a `manifest.json` there broke pandas and
    pyarrow: "Could not open Parquet input source")."""
    import pandas as pd
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    folder = tmp_path / "emissions_by_city"
    expected = {(2020, "140100", 100.0), (2020, "140200", 50.0), (2021, "140100", 110.0),
                (2021, "140200", 52.0)}  # fmt: skip

    def rows(records) -> set[tuple]:
        return {(int(r["year"]), r["division_code"], float(r["total_tco2"])) for r in records}

    assert rows(pd.read_parquet(folder).to_dict("records")) == expected
    assert rows(ds.dataset(folder, partitioning="hive").to_table().to_pylist()) == expected
    assert rows(pq.read_table(folder).to_pylist()) == expected
    # polars needs a glob (it refuses a folder of mixed extensions) and turns Hive partitions
    # into columns only when asked for a glob; its defaults read every row without `year`.
    glob = (folder / "**" / "*.parquet").as_posix()
    assert pl.read_parquet(glob).columns == ["division_code", "total_tco2"]
    assert pl.read_parquet(glob).height == 4
    assert rows(pl.read_parquet(glob, hive_partitioning=True).to_dicts()) == expected
    assert rows(duckdb.sql(f"select * from read_parquet('{glob}')").pl().to_dicts()) == expected


def test_failed_gate_is_refused_and_the_last_release_stays(con, tmp_path: Path):
    first = publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    before = release_files(first.path)
    failed = [{**PASSED[0], "success": False}]
    with pytest.raises(PublishError, match="quality gate failed"):
        publish_table(con, TABLE, tmp_path, gate_results=failed, keep_releases=3)
    assert current_release(tmp_path, "emissions_by_city") == first.path
    assert release_files(first.path) == before


def test_a_publish_killed_midway_leaves_the_previous_release_whole(con, tmp_path, monkeypatch):
    import pandas as pd

    first = publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    before = release_files(first.path)
    con.execute("update marts.cities set total_tco2 = total_tco2 * 2")

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt("killed while writing the report")

    monkeypatch.setattr(publishing, "write_gate_report", killed)
    with pytest.raises(KeyboardInterrupt):
        publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    assert current_release(tmp_path, "emissions_by_city") == first.path
    assert release_files(first.path) == before
    # the half-written release is hidden: beside the releases, never in a reader's way
    (partial,) = [p for p in first.path.parent.iterdir() if p.name.endswith(".partial")]
    assert partial.name.startswith(".")
    assert pd.read_parquet(tmp_path / "emissions_by_city")["total_tco2"].sum() == 312
    monkeypatch.undo()
    second = publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    assert not any(p.name.endswith(".partial") for p in second.path.parent.iterdir())


def test_old_releases_are_pruned_to_the_configured_number(con, tmp_path: Path):
    releases = [
        publish_table(
            con,
            TABLE,
            tmp_path,
            gate_results=PASSED,
            keep_releases=2,
            release_id=f"2026010{i}T000000000000Z",
        )
        for i in range(1, 5)
    ]
    kept = sorted(p.name for p in releases[0].path.parent.iterdir())
    assert kept == [releases[2].release_id, releases[3].release_id]
    assert current_release(tmp_path, "emissions_by_city") == releases[3].path


def test_a_mart_lacking_a_documented_column_is_refused(con, tmp_path: Path):
    con.execute("alter table marts.cities drop column total_tco2")
    with pytest.raises(PublishError, match=r"marts\.cities lacks column\(s\) total_tco2"):
        publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)


def test_a_table_under_disclosure_is_published_from_the_disclosure_relation(con, tmp_path):
    con.execute("create schema disclosure")
    con.execute(
        "create table disclosure.emissions_by_city as "
        "select year, division_code, null::decimal(18, 1) as total_tco2 from marts.cities"
    )
    table = PublishedTable(**{**TABLE.__dict__, "disclosure": {"rule": "dominance"}})
    release = publish_table(con, table, tmp_path, gate_results=PASSED, keep_releases=3)
    assert release.manifest["source_relation"] == "disclosure.emissions_by_city"
    frame = pl.read_parquet(release.path / "**/*.parquet")
    assert frame.height == 4 and frame["total_tco2"].null_count() == 4


def test_a_copied_published_folder_gives_every_reader_numbers(con, tmp_path: Path):
    """The published folder copied as a zip or a share would copy it (no links followed or
    kept): pandas, polars, pyarrow and DuckDB read numbers (the warehouse's DECIMAL amounts as
    doubles), catalog.sql makes the views over the copy with the amounts as DECIMAL again,
    and datapackage.json describes every table with its fields."""
    import shutil

    import pandas as pd
    import pyarrow.parquet as pq

    published = tmp_path / "published"
    con.execute(
        "create or replace table marts.cities as select year, division_code, "
        "cast(total_tco2 + 0.123456 as decimal(38, 6)) as total_tco2 from marts.cities"
    )
    publish_table(con, TABLE, published, gate_results=PASSED, keep_releases=3)
    copy = tmp_path / "elsewhere" / "copy of published"
    shutil.copytree(published, copy, symlinks=False)
    shutil.rmtree(published)  # nothing may still point there
    folder = copy / "emissions_by_city"

    frame = pd.read_parquet(folder)
    assert str(frame["total_tco2"].dtype) == "float64"
    assert sorted(frame["total_tco2"]) == [50.123456, 52.123456, 100.123456, 110.123456]
    assert str(pq.read_table(folder).schema.field("total_tco2").type) == "double"
    glob = (folder / "**" / "*.parquet").as_posix()
    assert pl.read_parquet(glob, hive_partitioning=True)["total_tco2"].dtype == pl.Float64
    kinds = duckdb.execute(f"select distinct typeof(total_tco2) from read_parquet('{glob}')")
    assert kinds.fetchall() == [("DOUBLE",)]

    manifest = json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["amount_columns"] == {"total_tco2": 6}
    script = (copy / "catalog.sql").read_text(encoding="utf-8")
    assert str(tmp_path) not in script, "catalog.sql names no path of the machine it came from"
    import os

    reader = duckdb.connect()
    here = os.getcwd()
    os.chdir(copy)
    try:
        reader.execute(script)
        rows = reader.execute(
            "select year, sum(total_tco2), typeof(sum(total_tco2)) from emissions_by_city "
            "group by 1 order by 1"
        ).fetchall()
        (count,) = reader.execute("select count(*) from release_manifests").fetchone()
    finally:
        os.chdir(here)
    from decimal import Decimal

    assert rows == [
        (2020, Decimal("150.246912"), "DECIMAL(38,6)"),
        (2021, Decimal("162.246912"), "DECIMAL(38,6)"),
    ]
    assert count == 1

    package = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    (resource,) = package["resources"]
    assert resource["name"] == "emissions_by_city" and resource["format"] == "parquet"
    assert all((copy / path).is_file() for path in resource["path"])
    fields = {field["name"]: field for field in resource["schema"]["fields"]}
    assert fields["total_tco2"]["type"] == "number" and fields["total_tco2"]["unit"] == "tCO2"
    assert fields["year"]["type"] == "integer" and fields["division_code"]["type"] == "string"
    assert resource["release_id"] == manifest["release_id"] and resource["rows"] == 4


def test_an_amount_a_double_cannot_keep_is_refused_naming_the_column(con, tmp_path: Path):
    con.execute(
        "create or replace table marts.cities as select 2020 as year, '140100' as division_code,"
        " cast(12345678901.5 as decimal(38, 6)) as total_tco2"
    )
    with pytest.raises(PublishError, match=r"total_tco2 holds 12345678901\.5"):
        publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    assert not (tmp_path / "emissions_by_city").exists()


def test_a_folder_that_is_not_a_release_is_never_replaced(con, tmp_path: Path):
    """Someone's own folder under the table's name (no manifest naming a kept release) is
    refused, not exchanged and deleted: nothing of it is lost."""
    mine = tmp_path / "emissions_by_city"
    mine.mkdir()
    (mine / "my_notes.csv").write_text("kept\n", encoding="utf-8")
    with pytest.raises(PublishError, match="shows no release of emissions_by_city"):
        publish_table(con, TABLE, tmp_path, gate_results=PASSED, keep_releases=3)
    assert (mine / "my_notes.csv").read_text(encoding="utf-8") == "kept\n"
