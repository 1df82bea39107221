"""Benchmark: the dbt accounting models against a hand-written DuckDB floor and a pandas version.

    .venv/bin/python bench/accounting.py                  # 20 million energy rows
    .venv/bin/python bench/accounting.py --millions 5     # another size

It builds a large sample warehouse under bench/out/ (git-ignored): the dbt seeds, the raw tables
of every feed, and raw.stats__energy_consumption filled straight in SQL with synthetic rows shaped
like the feed (11 annual finals, every county × GB/T 4754 division × energy variety, then further
uses; quantities in the contract's units, all text like a delivery), plus a year of monthly
industrial output per county and product. Then, in the same run, it times:

- dbt: ``dbt run`` of the accounting models (staging → intermediate → the five emission and
  energy marts; the build's model steps, without its tests), in its own process as Dagster runs
  it, parse included;
- the floor: one hand-written DuckDB query doing the same sums from the raw tables (units,
  combustion scope, factors, process CO2, grid and heat indirect, tce; every division level ×
  sector × year), materialised as a table;
- pandas: what an analyst would write (merges and group-bys on DataFrames), from the raw tables
  already loaded into memory (the load is timed and printed apart).

The three results are checked against each other (province × sector × year), then it prints the
ratios dbt / floor (target ≤ 1.5) and pandas / dbt (target ≥ 10) and the README line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(REPO)

from ingest.feeds import ENERGY_USES, PRODUCTS  # noqa: E402  (after the sys.path fix)

OUT = REPO / "bench" / "out"
DBT_PROJECT = REPO / "dbt_project"
FIRST_YEAR, LAST_YEAR = 2015, 2025
MODELS = (
    "+out_emissions__by_division_sector +out_emissions__by_city +out_emissions__by_county "
    "+out_emissions__by_sector +out_energy__by_division"
)
# The contract's uses and products, as the ingest layer defines them.
USES = ENERGY_USES


def dbt(args: list[str], warehouse: Path, target: Path) -> float:
    """Run dbt in its own process; return the wall-clock seconds."""
    started = time.perf_counter()
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--vars",
            json.dumps({"first_year": FIRST_YEAR, "last_year": LAST_YEAR}),
        ],
        cwd=DBT_PROJECT,
        env={**os.environ, "EMISSIONS_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{completed.stdout[-3000:]}")
    return seconds


def generate(con, rows: int) -> int:
    """Synthetic raw rows, all text as delivered: row i decodes to a unique year × county ×
    industry × variety × use, so every key of the feed is unique and every county, industry and
    variety appears in every year."""
    from ingest.feeds import FEEDS
    from ingest.load import ensure_raw_table, ensure_schemas

    ensure_schemas(con)
    for spec in FEEDS.values():
        ensure_raw_table(con, spec)
    uses = ", ".join(f"'{use}'" for use in USES)
    con.execute(
        f"""
        create or replace temp table lists as
        select
            (select list(division_code order by division_code) from reference.ref_divisions
             where division_level = 'county') as counties,
            (select list(industry_code order by industry_code)
             from reference.ref_industry_sectors) as industries,
            (select list(energy_name order by energy_name)
             from reference.ref_energy_varieties) as energies,
            [{uses}] as uses,
            (select map(list(canonical_unit), list(units)) from (
                select canonical_unit, list(unit order by unit) as units from reference.ref_units
                where quantity_kind <> 'flat_glass' group by canonical_unit)) as units_by_kind,
            (select map(list(energy_name), list(canonical_unit))
             from reference.ref_energy_varieties) as kind_by_energy
        """
    )
    n_c, n_i, n_e, n_y = con.execute(
        f"select len(counties), len(industries), len(energies), {LAST_YEAR - FIRST_YEAR + 1} "
        "from lists"
    ).fetchone()
    capacity = n_c * n_i * n_e * n_y * len(USES)
    rows = min(rows, capacity)
    con.execute(
        f"""
        insert into raw.stats__energy_consumption by name
        with decoded as (
            select
                i,
                {FIRST_YEAR} + (i // ({n_e * n_i * n_c})) % {n_y} as year,
                lists.counties[(i // ({n_e * n_i})) % {n_c} + 1] as division_code,
                lists.industries[(i // {n_e}) % {n_i} + 1] as industry_code,
                lists.energies[i % {n_e} + 1] as energy_name,
                lists.uses[i // ({n_e * n_i * n_c * n_y}) + 1] as use,
                lists.units_by_kind, lists.kind_by_energy
            from range({rows}) as r(i), lists
        ),
        united as (
            select *, units_by_kind[kind_by_energy[energy_name]] as units
            from decoded
        )
        select
            cast(year as varchar) as period,
            'annual' as report_type,
            division_code,
            industry_code,
            energy_name,
            use,
            cast(round((hash(i) % 1000000) / 100.0 + 0.01, 2) as varchar) as quantity,
            units[cast(hash(i // 7) % len(units) as bigint) + 1] as unit,
            case when industry_code like 'HH%' then '' else cast(hash(i) % 20 as varchar) end
                as reporting_units,
            'bench' as _sha256,
            cast(year as varchar) as _file_period,
            i + 2 as _line_number,
            false as _is_superseded
        from united
        """
    )
    products = ", ".join(f"'{product}'" for product in PRODUCTS)
    con.execute(
        f"""
        insert into raw.stats__industrial_output by name
        select
            format('{{}}-{{:02d}}', year, month) as period,
            'annual' as report_type,
            division_code,
            product_name,
            cast(round((hash(division_code || product_name || year || month) % 100000) / 10.0, 1)
                as varchar) as quantity,
            '吨' as unit,
            'bench' as _sha256,
            format('{{}}-{{:02d}}', year, month) as _file_period,
            row_number() over () + 1 as _line_number,
            false as _is_superseded
        from range({FIRST_YEAR}, {LAST_YEAR + 1}) as y(year),
             range(1, 13) as m(month),
             (select division_code from reference.ref_divisions
              where division_level = 'county') as counties,
             unnest([{products}]) as p(product_name)
        """
    )
    return rows


FLOOR = """
create or replace table main.floor_division_sector as
with consumption as (
    select cast(left(e.period, 4) as integer) as year, e.division_code, s.sector_code,
        e.energy_name, e.use, cast(e.quantity as double) * u.to_canonical_multiplier as quantity,
        v.energy_category, v.is_fossil, v.tce_per_unit
    from raw.stats__energy_consumption as e
    join reference.ref_units as u on u.unit = e.unit
    join reference.ref_industry_sectors as s on s.industry_code = e.industry_code
    join reference.ref_energy_varieties as v on v.energy_name = e.energy_name
    where not e._is_superseded and e.report_type = 'annual' and length(e.period) = 4
),
factors as (
    select energy_name,
        ncv_gj_per_unit * carbon_content_tc_per_tj / 1000 * oxidation_rate * 44 / 12 as ef
    from reference.ref_energy_factors where factor_set = 'provincial_guidelines'
),
grid as (
    select y.year, (select value_tco2_per_mwh from reference.ref_grid_factors as g
                    where g.factor_type = 'average'
                      and g.year = coalesce(
                          (select max(year) from reference.ref_grid_factors where year <= y.year),
                          (select min(year) from reference.ref_grid_factors))
                    order by case g.region when '山西' then 1 when '华北' then 2 else 3 end
                    limit 1) as grid_factor
    from (select distinct year from consumption) as y
),
process as (
    select cast(left(o.period, 4) as integer) as year, o.division_code, s.sector_code,
        sum(cast(cast(o.quantity as double) * u.to_canonical_multiplier * f.value_tco2_per_t
                  as decimal(38, 6))) as process_tco2
    from raw.stats__industrial_output as o
    join reference.ref_units as u on u.unit = o.unit
    join reference.ref_process_factors as f on f.product_name = o.product_name
    join (values ('粗钢', '31'), ('生铁', '31'), ('焦炭', '25'), ('水泥熟料', '30'), ('水泥', '30'),
                 ('平板玻璃', '30'), ('石灰', '30'), ('电解铝', '32'), ('合成氨', '26'),
                 ('电石', '26')) as p(product_name, industry_code)
        on p.product_name = o.product_name
    join reference.ref_industry_sectors as s on s.industry_code = p.industry_code
    where not o._is_superseded and o.report_type = 'annual'
    group by all
),
county_cells as (
    select c.year, c.division_code, c.sector_code,
        sum(case when c.use in ('终端消费', '火力发电', '供热')
            then cast(c.quantity * f.ef as decimal(38, 6)) else 0 end) as energy_tco2,
        sum(case when c.use = '终端消费' and c.energy_category = 'electricity'
            then c.quantity else 0 end) as electricity_mwh,
        sum(case when c.use = '终端消费' and c.energy_category = 'heat'
            then c.quantity else 0 end) as heat_gj,
        sum(case when c.use in ('终端消费', '原料用途') and c.is_fossil
            then cast(c.quantity * c.tce_per_unit as decimal(38, 6)) else 0 end) as fossil_tce
    from consumption as c
    left join factors as f on f.energy_name = c.energy_name
    group by all
),
cells as (
    select year, division_code, sector_code,
        coalesce(energy_tco2, 0) as energy_tco2,
        coalesce(process_tco2, 0) as process_tco2,
        cast(coalesce(electricity_mwh, 0) * grid.grid_factor as decimal(38, 6))
            as electricity_indirect_tco2,
        cast(coalesce(heat_gj, 0) * (select value_tco2_per_gj from reference.ref_heat_factors
                                     where factor_code = 'heat_default')
             as decimal(38, 6)) as heat_indirect_tco2,
        coalesce(fossil_tce, 0) as fossil_tce
    from county_cells
    full outer join process using (year, division_code, sector_code)
    join grid using (year)
)
select cells.year, cells.sector_code,
    case when grouping(city.division_code) = 1 then city.parent_code
         when grouping(cells.division_code) = 1 then city.division_code
         else cells.division_code end as division_code,
    sum(energy_tco2) as energy_tco2, sum(process_tco2) as process_tco2,
    sum(energy_tco2 + process_tco2) as total_tco2,
    sum(electricity_indirect_tco2) as electricity_indirect_tco2,
    sum(heat_indirect_tco2) as heat_indirect_tco2, sum(fossil_tce) as fossil_tce
from cells
join reference.ref_divisions as county on county.division_code = cells.division_code
join reference.ref_divisions as city on city.division_code = county.parent_code
group by grouping sets (
    (cells.year, cells.sector_code, city.parent_code),
    (cells.year, cells.sector_code, city.parent_code, city.division_code),
    (cells.year, cells.sector_code, city.parent_code, city.division_code, cells.division_code)
)
"""


def pandas_accounting(frames: dict):
    """The analyst's version: merges and group-bys, every level summed from the counties."""
    import pandas as pd

    energy = frames["energy"]
    energy = energy[~energy["_is_superseded"] & (energy["report_type"] == "annual")]
    energy = energy.assign(year=energy["period"].str[:4].astype(int))
    energy = energy.merge(frames["units"], on="unit").merge(
        frames["industry_sectors"], on="industry_code"
    )
    energy = energy.merge(frames["varieties"], on="energy_name")
    energy["quantity_canonical"] = energy["quantity"] * energy["to_canonical_multiplier"]
    factors = frames["factors"]
    factors = factors[factors["factor_set"] == "provincial_guidelines"].assign(
        ef=lambda f: (
            f.ncv_gj_per_unit * f.carbon_content_tc_per_tj / 1000 * f.oxidation_rate * 44 / 12
        )
    )[["energy_name", "ef"]]
    combustion = energy[energy["use"].isin(["终端消费", "火力发电", "供热"])].merge(
        factors, on="energy_name"
    )
    combustion["energy_tco2"] = (combustion["quantity_canonical"] * combustion["ef"]).round(6)
    keys = ["year", "division_code", "sector_code"]
    cells = combustion.groupby(keys, as_index=False)["energy_tco2"].sum()
    end_use = energy[energy["use"] == "终端消费"]
    electricity = (
        end_use[end_use["energy_category"] == "electricity"]
        .groupby(keys, as_index=False)["quantity_canonical"]
        .sum()
        .rename(columns={"quantity_canonical": "electricity_mwh"})
    )
    grid = frames["grid"]
    grid = grid[grid["factor_type"] == "average"].astype({"year": "int64"})
    grid["preference"] = grid["region"].map({"山西": 1, "华北": 2, "全国": 3})
    grid = grid.sort_values(["year", "preference"]).drop_duplicates("year")
    years = pd.DataFrame({"year": sorted(energy["year"].unique())})
    chosen = pd.merge_asof(years, grid[["year", "value_tco2_per_mwh"]], on="year")
    chosen["value_tco2_per_mwh"] = chosen["value_tco2_per_mwh"].fillna(
        grid["value_tco2_per_mwh"].iloc[0]
    )
    electricity = electricity.merge(chosen, on="year")
    electricity["electricity_indirect_tco2"] = (
        electricity["electricity_mwh"] * electricity["value_tco2_per_mwh"]
    ).round(6)
    output = frames["output"]
    output = output[~output["_is_superseded"] & (output["report_type"] == "annual")]
    output = output.assign(year=output["period"].str[:4].astype(int)).merge(
        frames["units"], on="unit"
    )
    output = output.merge(frames["process_factors"], on="product_name").merge(
        frames["product_sectors"], on="product_name"
    )
    output["process_tco2"] = (
        output["quantity"].astype(float)
        * output["to_canonical_multiplier"]
        * output["value_tco2_per_t"]
    ).round(6)
    process = output[output["year"].isin(years["year"])]
    process = process.groupby(keys, as_index=False)["process_tco2"].sum()
    cells = (
        cells.merge(process, on=keys, how="outer")
        .merge(electricity[[*keys, "electricity_indirect_tco2"]], on=keys, how="outer")
        .fillna(0.0)
    )
    cells["total_tco2"] = cells["energy_tco2"] + cells["process_tco2"]
    divisions = frames["divisions"]
    parents = dict(zip(divisions["division_code"], divisions["parent_code"], strict=True))
    amounts = ["energy_tco2", "process_tco2", "total_tco2", "electricity_indirect_tco2"]
    cities = cells.assign(division_code=cells["division_code"].map(parents))
    cities = cities.groupby(keys, as_index=False)[amounts].sum()
    province = cities.assign(division_code=cities["division_code"].map(parents))
    province = province.groupby(keys, as_index=False)[amounts].sum()
    return pd.concat([cells, cities, province], ignore_index=True)


def load_frames(con) -> dict:
    product_sectors = con.sql(
        """select p.product_name, s.sector_code from (values ('粗钢', '31'), ('生铁', '31'),
               ('焦炭', '25'), ('水泥熟料', '30'), ('水泥', '30'), ('平板玻璃', '30'),
               ('石灰', '30'), ('电解铝', '32'), ('合成氨', '26'), ('电石', '26'))
               as p(product_name, industry_code)
           join reference.ref_industry_sectors as s using (industry_code)"""
    ).df()
    codes = ["period", "report_type", "division_code", "industry_code", "energy_name", "use"]
    # Codes as categoricals straight from Arrow: object strings would need ~1 GB per million rows.
    energy = (
        con.sql(
            f"select {', '.join(codes)}, unit, cast(quantity as double) as quantity, "
            "_is_superseded from raw.stats__energy_consumption"
        )
        .to_arrow_table()
        .to_pandas(strings_to_categorical=True)
    )
    return {
        "energy": energy,
        "output": con.sql("select * from raw.stats__industrial_output").df(),
        "units": con.sql("select unit, to_canonical_multiplier from reference.ref_units").df(),
        "industry_sectors": con.sql(
            "select industry_code, sector_code from reference.ref_industry_sectors"
        ).df(),
        "varieties": con.sql(
            "select energy_name, energy_category, is_fossil, tce_per_unit "
            "from reference.ref_energy_varieties"
        ).df(),
        "factors": con.sql("select * from reference.ref_energy_factors").df(),
        "grid": con.sql("select * from reference.ref_grid_factors").df(),
        "process_factors": con.sql(
            "select product_name, value_tco2_per_t from reference.ref_process_factors"
        ).df(),
        "product_sectors": product_sectors,
        "divisions": con.sql("select division_code, parent_code from reference.ref_divisions").df(),
    }


def province_by_sector(frame) -> dict[tuple[int, str], float]:
    return {
        (int(year), sector): float(total)
        for year, sector, total in frame[["year", "sector_code", "total_tco2"]].itertuples(
            index=False
        )
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--millions", type=float, default=20.0, help="energy rows, millions")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/accounting")
    arguments = parser.parse_args()

    import duckdb

    folder = OUT / "accounting"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    warehouse, target = folder / "warehouse.duckdb", folder / "target"

    dbt(["seed"], warehouse, target)
    with duckdb.connect(str(warehouse)) as con:
        started = time.perf_counter()
        rows = generate(con, int(arguments.millions * 1e6))
        print(f"generated {rows:,} energy rows in {time.perf_counter() - started:.1f} s")

    dbt_seconds = dbt(["run", "--select", MODELS], warehouse, target)

    with duckdb.connect(str(warehouse)) as con:
        started = time.perf_counter()
        con.execute(FLOOR)
        floor_seconds = time.perf_counter() - started
        dbt_result = con.sql(
            "select year, sector_code, total_tco2::double as total_tco2 "
            "from marts.out_emissions__by_sector"
        ).df()
        floor_result = con.sql(
            "select year, sector_code, total_tco2::double as total_tco2 "
            "from main.floor_division_sector where division_code = '140000'"
        ).df()
        started = time.perf_counter()
        frames = load_frames(con)
        load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    pandas_result = pandas_accounting(frames)
    pandas_seconds = time.perf_counter() - started
    pandas_province = pandas_result[pandas_result["division_code"] == "140000"]

    expected = province_by_sector(dbt_result)
    for name, result in (("floor", floor_result), ("pandas", pandas_province)):
        got = province_by_sector(result)
        assert got.keys() == expected.keys(), f"{name}: other cells than dbt"
        # Rows are rounded to the gram at different steps: allow a gram per thousand rows.
        tolerance = 1e-3 * rows / 1e3
        worst = max(abs(got[key] - value) for key, value in expected.items())
        assert worst <= tolerance, f"{name} disagrees with dbt by {worst:.6f} t"

    dbt_vs_floor = dbt_seconds / floor_seconds
    pandas_vs_dbt = pandas_seconds / dbt_seconds
    print(f"dbt run of the accounting models: {dbt_seconds:6.1f} s")
    print(f"DuckDB floor (one query):         {floor_seconds:6.1f} s")
    print(
        f"pandas (data in memory):          {pandas_seconds:6.1f} s  (+ {load_seconds:.1f} s load)"
    )
    print(f"dbt / floor  = {dbt_vs_floor:.2f}x  (target <= 1.5x)")
    print(f"pandas / dbt = {pandas_vs_dbt:.2f}x  (target >= 10x)")
    print(
        "README: "
        f"accounting ({rows / 1e6:.0f} M energy rows): dbt {dbt_seconds:.1f} s, "
        f"{dbt_vs_floor:.2f}x the DuckDB floor ({floor_seconds:.1f} s); "
        f"pandas {pandas_seconds:.1f} s, {pandas_vs_dbt:.1f}x dbt."
    )
    if not arguments.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
