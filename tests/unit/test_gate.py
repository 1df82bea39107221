"""The quality gate: YAML suites, query-resolved values, thresholds, derived checks, failures."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from quality.gate import Suite, resolve_kwargs, run_suite, substitute

SUITE = """
suite: city_totals
model: main.cities
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
    path = tmp_path / "suite.yml"
    path.write_text(SUITE, encoding="utf-8")
    suite = Suite.load(path)
    return run_suite(
        con.sql("select * from cities").df(),
        suite,
        run_query=lambda sql: con.execute(sql).fetchall(),
        fetch_frame=lambda sql: con.sql(sql).df(),
        thresholds=thresholds,
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


def test_a_missing_city_fails_completeness(warehouse, tmp_path):
    warehouse.execute("delete from cities where division_code = '140200'")
    result = gate(warehouse, tmp_path, {"yoy_change_max_pct": 25})
    failed = {(o.expectation, o.column) for o in result.failures}
    assert failed == {("expect_column_distinct_values_to_equal_set", "division_code")}


def test_every_suite_and_the_thresholds_file_load():
    import re

    from publish.release import published_tables
    from quality.gate import SUITES_DIR, load_thresholds

    thresholds = load_thresholds()
    assert all(isinstance(v, int | float) for v in thresholds.values())
    for table in published_tables().values():
        path = SUITES_DIR / f"{table.suite}.yml"
        suite = Suite.load(path)
        assert suite.model == table.source_relation, path
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"\$\{(\w+)\}", text) + re.findall(r"threshold: (\w+)", text):
            assert name in thresholds, f"{path} uses unknown threshold {name}"
