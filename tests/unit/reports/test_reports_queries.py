"""Named queries: reference rewriting, dependency order, bound parameters, located failures."""

from __future__ import annotations

import duckdb
import pytest
from reports_helpers import city_connection

from reports.errors import PageError
from reports.queries import SqlQuery, execution_order, prepare_sql, run_queries


def queries(**sql: str) -> dict[str, SqlQuery]:
    return {name: SqlQuery(name, text, line) for line, (name, text) in enumerate(sql.items())}


def test_references_become_views_and_parameters_become_bound_names():
    prepared = prepare_sql(
        "select * from ${base} -- ${ignored}\nwhere code = ${params.city} and 'x' = 'x'", 10
    )
    assert prepared.text == (
        "select * from \"base\" -- ${ignored}\nwhere code = $city and 'x' = 'x'"
    )
    assert [ref.target for ref in prepared.query_references] == ["base"]
    assert prepared.parameter_names == ["city"]
    assert prepared.references[1].line == 11


def test_quoted_parameter_as_written_for_evidence_is_still_bound_not_spliced():
    prepared = prepare_sql("select * from t where name = '${params.city}'", 1)
    assert prepared.text == "select * from t where name = CAST($city AS VARCHAR)"
    prepared = prepare_sql("select * from t where name like '%${params.city}%'", 1)
    assert prepared.text == "select * from t where name like ('%' || CAST($city AS VARCHAR) || '%')"


def test_plain_from_and_join_references_order_queries_too():
    order = execution_order(
        queries(
            summary="select * from detail join ${lookup} using (k)",
            detail="select 1 as k",
            lookup="select 1 as k, 'a' as label",
        )
    )
    assert order.index("detail") < order.index("summary")
    assert order.index("lookup") < order.index("summary")


def test_cycles_are_an_error_naming_the_cycle():
    with pytest.raises(PageError, match="queries form a cycle: a -> b -> c -> a"):
        execution_order(
            queries(a="select * from ${b}", b="select * from ${c}", c="select * from ${a}")
        )


def test_unknown_reference_names_the_line_of_the_reference():
    with pytest.raises(PageError) as caught:
        execution_order({"a": SqlQuery("a", "select 1\nfrom\n  ${nope}", 20)})
    assert caught.value.line == 23
    assert "unknown query ${nope}" in caught.value.message


def test_run_in_dependency_order_and_read_each_other():
    connection = city_connection()
    results = run_queries(
        queries(
            latest="select * from ${by_year} order by year desc limit 1",
            by_year="select year, sum(total_tco2) as total from emissions_by_city group by 1",
            plain="select total * 2 as doubled from latest",
        ),
        connection,
        {},
    )
    assert results["latest"].rows == [{"year": 2023, "total": 80_000_000.0}]
    assert results["plain"].rows == [{"doubled": 160_000_000.0}]
    assert results["by_year"].kinds == {"year": "integer", "total": "number"}


def people() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        "create table people as select * from (values ('O''Brien', 1), ('x', 2)) t(name, n)"
    )
    return connection


@pytest.mark.parametrize(
    "sql",
    [
        "select count(*) as n from people where name = ${params.name}",
        "select count(*) as n from people where name = '${params.name}'",
    ],
)
def test_parameter_values_are_bound_so_quotes_cannot_inject_sql(sql):
    named = queries(q=sql)
    assert run_queries(named, people(), {"name": "O'Brien"})["q"].rows == [{"n": 1}]
    # Spliced into the text, this value would make the filter `name = 'x' or '1'='1'`: 2 rows.
    assert run_queries(named, people(), {"name": "x' or '1'='1"})["q"].rows == [{"n": 0}]


def test_failing_query_names_the_query_and_its_line():
    connection = city_connection()
    with pytest.raises(PageError) as caught:
        run_queries(
            {"bad": SqlQuery("bad", "select nope from emissions_by_city", 7)}, connection, {}
        )
    assert caught.value.line == 7
    assert caught.value.message.startswith("query 'bad' failed: Binder Error")


def test_unknown_parameter_is_an_error():
    with pytest.raises(PageError, match=r"unknown parameter \$\{params.city\}"):
        run_queries(queries(q="select ${params.city}"), duckdb.connect(), {})


def test_a_query_may_not_hide_a_table_it_would_shadow():
    connection = city_connection()
    with pytest.raises(PageError, match="hides the table 'emissions_by_city'"):
        run_queries(queries(emissions_by_city="select 1 as a"), connection, {})


def test_page_vars_are_bound_under_their_own_names():
    prepared = prepare_sql(
        "select * from t where growth > ${vars.threshold} and city = ${params.city} "
        "and label = 'over ${vars.threshold}%'",
        1,
    )
    assert prepared.text == (
        "select * from t where growth > $vars_threshold and city = $city "
        "and label = ('over ' || CAST($vars_threshold AS VARCHAR) || '%')"
    )
    assert prepared.parameter_names == ["vars_threshold", "city"]


def test_page_vars_filter_rows_like_any_bound_value():
    named = queries(q="select count(*) as n from people where n > ${vars.minimum}")
    assert run_queries(named, people(), {}, variables={"minimum": 1})["q"].rows == [{"n": 1}]
    assert run_queries(named, people(), {}, variables={"minimum": 0})["q"].rows == [{"n": 2}]


def test_unknown_page_var_is_an_error_naming_the_declared_ones():
    with pytest.raises(PageError, match=r"\$\{vars.limit\} \(front matter vars: vars.minimum\)"):
        run_queries(
            queries(q="select ${vars.limit}"), duckdb.connect(), {}, variables={"minimum": 1}
        )


def test_a_param_and_a_var_may_not_share_a_bound_name():
    with pytest.raises(PageError, match=r"both bound as \$vars_x"):
        run_queries(
            queries(q="select ${params.vars_x}, ${vars.x}"),
            duckdb.connect(),
            {"vars_x": 1},
            variables={"x": 2},
        )
