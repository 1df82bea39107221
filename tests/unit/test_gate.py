"""The quality gate: YAML suites, query-resolved values, thresholds, derived checks, failures."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from quality.gate import Suite, resolve_kwargs, run_suite, substitute

SUITE = """
expectations:
  - type: expect_compound_columns_to_be_unique
    kwargs: {column_list: [year, division_code]}
  - type: expect_column_values_to_be_between
    kwargs: {column: total_tco2, min_value: 0}
  - type: expect_column_distinct_values_to_equal_set
    kwargs:
      column: division_code
      value_set: {query: "select code from main.divisions"}
checks:
  - name: yoy_change
    description: a city's total changes by at most ${yoy_change_max_pct}% a year
    query: >
      select year, division_code,
             100 * (total_tco2 / lag(total_tco2) over (partition by division_code
                                                       order by year) - 1) as change_pct
      from main.cities qualify change_pct is not null
    expectations:
      - type: expect_column_values_to_be_between
        kwargs:
          column: change_pct
          min_value: {scalar: "select -${yoy_change_max_pct}"}
          max_value: {threshold: yoy_change_max_pct}
"""


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    con.execute("create table divisions as select * from (values ('140100'), ('140200')) t(code)")
    con.execute(
        "create table cities as select * from (values "
        "(2020, '140100', 100.0), (2021, '140100', 110.0), "
        "(2020, '140200', 50.0), (2021, '140200', 52.0)) t(year, division_code, total_tco2)"
    )
    yield con
    con.close()


def gate(con: duckdb.DuckDBPyConnection, tmp_path: Path, thresholds: dict):
    path = tmp_path / "city_totals.yml"
    path.write_text(SUITE, encoding="utf-8")
    suite = Suite.load(path)
    return run_suite(
        con.sql("select * from cities").df(),
        suite,
        run_query=lambda sql: con.execute(sql).fetchall(),
        fetch_frame=lambda sql: con.sql(sql).df(),
        thresholds=thresholds,
        relation="main.cities",
    )


def test_thresholds_are_substituted_and_resolved():
    assert substitute("select ${x} + 1", {"x": 25}) == "select 25 + 1"
    with pytest.raises(KeyError, match="unknown threshold"):
        substitute("select ${missing}", {})
    run = lambda sql: [(7,)]  # noqa: E731
    assert resolve_kwargs({"v": {"threshold": "x"}, "w": {"scalar": "s"}}, run, {"x": 3}) == {
        "v": 3,
        "w": 7,
    }


def test_passing_suite(warehouse, tmp_path):
    result = gate(warehouse, tmp_path, {"yoy_change_max_pct": 25})
    assert result.success, result.reasons()
    assert {o.check for o in result.outcomes} == {None, "yoy_change"}


def test_an_implausible_jump_fails_the_derived_check_with_the_offending_rows(warehouse, tmp_path):
    warehouse.execute(
        "update cities set total_tco2 = 200 where year = 2021 and division_code = '140100'"
    )
    result = gate(warehouse, tmp_path, {"yoy_change_max_pct": 5})
    assert not result.success
    (failure,) = result.failures
    assert failure.check == "yoy_change"
    assert failure.expectation == "expect_column_values_to_be_between"
    assert failure.unexpected_count == 1
    assert failure.sample[0]["division_code"] == "140100"
    assert result.reasons() == [
        "city_totals/yoy_change: expect_column_values_to_be_between on change_pct failed: "
        "1 unexpected row(s); e.g. " + str(failure.sample[0])
    ]


def test_every_expectation_records_what_it_observed(warehouse, tmp_path):
    """The quality page shows an observed value for every expectation: GX's own where it has
    one, else how many rows broke the rule of how many, and a range's smallest and largest."""
    result = gate(warehouse, tmp_path, {"yoy_change_max_pct": 5})
    observed = {(o.check, o.expectation, o.column): o.observed for o in result.outcomes}
    assert observed[(None, "expect_column_values_to_be_between", "total_tco2")] == (
        "0 of 4 row(s) outside the rule; values 50 … 110"
    )
    assert observed[(None, "expect_compound_columns_to_be_unique", "year,division_code")] == (
        "0 of 4 row(s) outside the rule"
    )
    assert observed[(None, "expect_column_distinct_values_to_equal_set", "division_code")] == (
        "0 value(s) not in the set, 0 of the set missing"
    )
    assert observed[("yoy_change", "expect_column_values_to_be_between", "change_pct")] == (
        "1 of 2 row(s) outside the rule; values 4 … 10"
    )
    assert all(value is not None for value in observed.values())


def test_a_missing_city_fails_completeness(warehouse, tmp_path):
    warehouse.execute("delete from cities where division_code = '140200'")
    result = gate(warehouse, tmp_path, {"yoy_change_max_pct": 25})
    failed = {(o.expectation, o.column) for o in result.failures}
    assert failed == {("expect_column_distinct_values_to_equal_set", "division_code")}


def test_every_published_table_has_its_suite_and_every_suite_loads(dbt_manifest):
    import re

    from publish.tables import published_tables
    from quality.gate import SUITES_DIR, bind_suites, load_thresholds

    thresholds = load_thresholds()
    assert all(isinstance(v, int | float) for v in thresholds.values())
    tables = published_tables(dbt_manifest)
    suites = bind_suites({name: table.declared_in for name, table in tables.items()})
    assert sorted(suites) == sorted(tables)
    for name, suite in suites.items():
        path = SUITES_DIR / f"{name}.yml"
        assert suite.name == name
        text = path.read_text(encoding="utf-8")
        for threshold in re.findall(r"\$\{(\w+)\}", text) + re.findall(r"threshold: (\w+)", text):
            assert threshold in thresholds, f"{path} uses unknown threshold {threshold}"
        # suites speak of published tables: no suite names the relation a table is published from
        for table in tables.values():
            assert table.source_relation not in text, f"{path} names {table.source_relation}"


def test_a_table_without_a_suite_and_a_suite_without_a_table_are_named(tmp_path):
    from quality.gate import SuiteBindingError, bind_suites

    (tmp_path / "emissions_by_city.yml").write_text(SUITE, encoding="utf-8")
    (tmp_path / "emissions_by_town.yml").write_text(SUITE, encoding="utf-8")
    declared = {
        "emissions_by_city": "dbt_project/models/marts/out_emissions__by_city.yml",
        "energy_by_park": "dbt_project/models/marts/out_energy__by_park.yml",
    }
    with pytest.raises(SuiteBindingError) as caught:
        bind_suites(declared, tmp_path)
    assert str(caught.value).splitlines() == [
        "published table energy_by_park (declared in dbt_project/models/marts/"
        f"out_energy__by_park.yml) has no suite: write {tmp_path / 'energy_by_park.yml'}",
        f"suite {tmp_path / 'emissions_by_town.yml'} has no published table emissions_by_town: "
        "declare config.meta.publish.table: emissions_by_town on its mart's YAML, or delete the "
        "suite",
    ]
    (tmp_path / "emissions_by_town.yml").unlink()
    (tmp_path / "energy_by_park.yml").write_text(SUITE, encoding="utf-8")
    suites = bind_suites(declared, tmp_path)
    assert sorted(suites) == ["emissions_by_city", "energy_by_park"]


def test_a_suite_naming_its_model_is_refused(tmp_path):
    path = tmp_path / "emissions_by_city.yml"
    path.write_text("model: marts.out_emissions__by_city\n" + SUITE, encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown key\(s\) model: a suite has only"):
        Suite.load(path)
