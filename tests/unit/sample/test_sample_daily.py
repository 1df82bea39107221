"""The world as of a day: arrivals by the delivery calendar, meters that add up to the
statistics' electricity, plants that burn the statistics' coal for power, and the drift of the
electricity -> emissions relation that a constant-ratio model misses."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl
from conftest import AS_OF
from sample_helpers import SEEDS

from sample.arrivals import has_arrived
from sample.energy import EnergyModel
from sample.power import (
    PowerModel,
    build_accounts,
    daily_window,
    electricity_cells,
    metered_share,
    open_days,
)
from sample.world import World


def test_reports_arrive_with_the_lags_of_the_delivery_calendar():
    finals = "stats/energy_consumption"
    assert has_arrived(finals, "annual", dt.date(2025, 1, 1), dt.date(2026, 12, 1))
    assert not has_arrived(finals, "annual", dt.date(2025, 1, 1), dt.date(2026, 9, 1))
    # A month's quick report 20 days after it; the meter readings the next morning.
    assert has_arrived(finals, "quick", dt.date(2026, 10, 1), dt.date(2026, 11, 19))
    assert not has_arrived(finals, "quick", dt.date(2026, 10, 1), dt.date(2026, 11, 18))
    day = dt.date(2026, 12, 1)
    assert has_arrived("power/meter_daily", None, day, day)
    assert not has_arrived("power/meter_daily", None, day + dt.timedelta(days=1), day)


def test_a_world_mid_year_has_only_what_has_arrived(tmp_path):
    from sample import generate_landing_zone

    as_of = dt.date(2025, 8, 10)
    generate_landing_zone(tmp_path, first_year=2023, as_of=as_of, seed=3, daily_days=3)
    energy = {path.name for path in (tmp_path / "stats/energy_consumption").iterdir()}
    assert "2024_annual.csv" not in energy and "2023_annual.csv" in energy
    assert "2025-06_quick.csv" in energy and "2025-07_quick.csv" not in energy
    assert {p.name for p in (tmp_path / "stats/gdp").iterdir()} >= {"2024_quick.xlsx"}
    assert "2024.csv" in {p.name for p in (tmp_path / "stats/population").iterdir()}
    meters = sorted(p.name for p in (tmp_path / "power/meter_daily").iterdir())
    assert meters == ["2025-08-08.parquet", "2025-08-09.parquet", "2025-08-10.parquet"]


def test_accounts_add_up_to_the_metered_share_of_every_cell_whatever_the_scale():
    world = World(5, 2023, 2024, SEEDS)
    energy = EnergyModel(world)
    window = daily_window(world, 731)
    totals = {}
    for scale in (1, 2):
        registry = build_accounts(world, energy, scale, window)
        arrays = registry.arrays
        frame = registry.frame.with_columns(
            pl.Series(
                "kwh",
                registry.daily_kwh[2023] * open_days(arrays["opened"], arrays["closed"], 2023),
            )
        )
        totals[scale] = frame.group_by("division_code", "industry_code").agg(pl.col("kwh").sum())
    cells = electricity_cells(world, energy, 2023)
    keys = ["division_code", "industry_code"]
    joined = cells.join(totals[1].rename({"kwh": "kwh_1"}), on=keys, how="left").join(
        totals[2].rename({"kwh": "kwh_2"}), on=keys, how="left"
    )
    assert joined["kwh_1"].null_count() == 0  # every cell has accounts
    expected = np.array(
        [
            kwh * metered_share(world, county, industry, 2023)
            for county, industry, kwh in cells.iter_rows()
        ]
    )
    assert np.allclose(joined["kwh_1"].to_numpy(), expected, rtol=1e-9)
    assert np.allclose(joined["kwh_2"].to_numpy(), expected, rtol=1e-9)
    assert 0.95 <= expected.sum() / cells["kwh"].sum() <= 0.99  # own generation and reports


def test_meter_files_agree_with_the_statistics_within_a_few_percent(landing):
    root, _ = landing
    world = World(42, 2015, 2025, SEEDS, AS_OF)
    energy = EnergyModel(world)
    latest = sorted((root / "power/accounts").iterdir())[-1]
    metered = duckdb.sql(
        f"select a.division_code, a.industry_code, sum(m.electricity_kwh) as metered "
        f"from read_parquet('{root}/power/meter_daily/2024-*.parquet') m "
        f"join read_csv('{latest}', all_varchar = true) a using (account_id) group by all"
    ).pl()
    cells = electricity_cells(world, energy, 2024).join(
        metered, on=["division_code", "industry_code"], how="left"
    )
    ratio = (cells["metered"] / cells["kwh"]).to_numpy()
    assert 0.95 <= cells["metered"].sum() / cells["kwh"].sum() <= 0.99
    assert np.mean(np.abs(ratio - 1.0) < 0.12) > 0.95  # cells: own generation, reports, days


def test_coal_plants_burn_the_statistics_coal_for_power(landing):
    root, _ = landing
    world = World(42, 2015, 2025, SEEDS, AS_OF)
    energy = EnergyModel(world)
    daily = duckdb.sql(
        "select division_code, sum(coal_consumption_tce::double) as tce "
        f"from read_csv('{root}/power/generation_daily/2024-*.csv', all_varchar = true) "
        "where coal_consumption_tce is not null group by all"
    ).pl()
    reported = energy.coal_for_power_tce(2024)
    ratios = np.array([tce / reported[code] for code, tce in daily.iter_rows()])
    assert np.all(np.abs(ratios - 1.0) < 0.03)
    assert {code for code, tce in reported.items() if tce > 0} == set(daily["division_code"])
    assert (
        abs(PowerModel(world, energy).annual(2024)["coal_tce"].sum() / sum(reported.values()) - 1.0)
        < 1e-9
    )


def test_a_constant_ratio_model_misses_the_drift():
    """CO2 of the other sectors from electricity: last final year's ratio per county x
    industry against the truth a year and two on is off by several percent at the province."""
    world = World(42, 2015, 2025, SEEDS)
    energy = EnergyModel(world)
    flows = energy.flow_attributes()
    power = world.vocabulary.power_sector.industry_code

    def cells(year: int) -> pl.DataFrame:
        table = energy.county_table(year).join(flows, on="flow")
        table = table.filter(pl.col("industry_code") != power)
        return table.group_by("division_code", "industry_code").agg(
            (pl.col("quantity") * pl.col("co2_per_unit")).sum().alias("tco2"),
            pl.col("quantity")
            .filter(pl.col("energy_name") == world.vocabulary.electricity)
            .sum()
            .alias("mwh"),
        )

    base = cells(2022).filter(pl.col("mwh") > 0)
    for year in (2023, 2024):
        truth = cells(year).join(base, on=["division_code", "industry_code"], suffix="_base")
        naive = truth["mwh"] * truth["tco2_base"] / truth["mwh_base"]
        error = naive.sum() / truth["tco2"].sum() - 1.0
        assert abs(error) > 0.02, (year, error)
        county = (
            truth.with_columns(naive.alias("naive"))
            .group_by("division_code")
            .agg(pl.col("naive").sum(), pl.col("tco2").sum())
        )
        mape = ((county["naive"] / county["tco2"] - 1.0).abs()).mean()
        assert mape > 0.04, (year, mape)
