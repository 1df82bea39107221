"""`emissions run`'s province summary reads the province from emissions_by_sector, which is never
suppressed: the sum of the cities would lose a suppressed city."""

from __future__ import annotations

import duckdb

from orchestration.runner import province_summary


def write(folder, sql: str) -> None:
    folder.mkdir(parents=True)
    duckdb.execute(
        f"copy ({sql}) to '{folder.as_posix()}' (format parquet, partition_by (year), "
        "overwrite_or_ignore)"
    )


def test_the_province_is_the_sum_of_its_sectors_while_a_city_is_suppressed(home):
    published = home.published_dir
    write(
        published / "emissions_by_sector",
        "select * from (values (2023, 'annual', 'power', 300e6, 0e6, 300e6, 10e6, 1e6), "
        "(2023, 'annual', 'steel', 250e6, 50e6, 300e6, 20e6, 2e6)) as t(year, report_type, "
        "sector_code, energy_tco2, process_tco2, total_tco2, electricity_indirect_tco2, "
        "heat_indirect_tco2)",
    )
    # the second city's row is suppressed: its amounts are null
    write(
        published / "emissions_by_city",
        "select * from (values (2023, 'annual', '140100', 400e6, 40e6, 440e6, 25e6, 2e6, false), "
        "(2023, 'annual', '140200', null, null, null, null, null, true)) as t(year, "
        "report_type, division_code, energy_tco2, process_tco2, total_tco2, "
        "electricity_indirect_tco2, heat_indirect_tco2, is_suppressed)",
    )
    summary = province_summary(home)
    assert "from published/emissions_by_sector" in summary
    assert summary.splitlines()[-1].split() == [
        "2023", "550.0", "50.0", "600.0", "30.0", "3.0", "annual"
    ]  # fmt: skip
