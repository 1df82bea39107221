"""Power and carbon-market feeds: accounts, meters, plants and compliance hang together."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sample_helpers import SEEDS, read_any

from sample.energy import EnergyModel
from sample.power import METER_ACCOUNTS_PER_SCALE, build_accounts, daily_window
from sample.world import World


def accounts(root: Path) -> pl.DataFrame:
    latest = sorted((root / "power/accounts").iterdir())[-1]
    return read_any(latest).with_columns(pl.col("opened_on", "closed_on").str.to_date())


def meters(root: Path) -> pl.DataFrame:
    return pl.concat(
        pl.read_parquet(path) for path in sorted((root / "power/meter_daily").iterdir())
    )


def test_daily_feeds_cover_three_full_years_and_the_year_to_date(landing):
    root, _ = landing
    for feed, suffix in (("power/meter_daily", ".parquet"), ("power/generation_daily", ".csv")):
        names = sorted(path.name for path in (root / feed).iterdir())
        assert len(names) == (dt.date(2025, 12, 31) - dt.date(2022, 1, 1)).days + 1
        assert names[0] == f"2022-01-01{suffix}" and names[-1] == f"2025-12-31{suffix}"


def test_account_registry(landing):
    root, _ = landing
    registry = accounts(root)
    assert METER_ACCOUNTS_PER_SCALE <= registry.height <= METER_ACCOUNTS_PER_SCALE + 600
    households = registry.filter(pl.col("customer_type") == "居民")
    assert households.height == 2 * 117
    assert set(households["industry_code"]) == {"HH_URBAN", "HH_RURAL"}
    assert households.group_by("division_code").len()["len"].to_list() == [2] * 117
    assert registry.filter(pl.col("closed_on").is_not_null()).height >= 5  # closures happen
    linked = registry.filter(pl.col("entity_id").is_not_null())
    entities = pl.concat(read_any(p) for p in (root / "ets/entities").iterdir())
    assert linked.height > 20 and set(linked["entity_id"]) <= set(entities["entity_id"])
    assert set(registry["customer_type"]) == {"大工业", "一般工商业", "居民", "农业"}


def test_meter_readings_respect_the_registry(landing):
    root, _ = landing
    readings = meters(root).join(accounts(root), on="account_id", how="left")
    assert readings["customer_type"].null_count() == 0  # every account is known
    assert (readings["date"] >= readings["opened_on"]).all()
    closed = readings.filter(pl.col("closed_on").is_not_null())
    assert (closed["date"] < closed["closed_on"]).all()
    assert (readings["electricity_kwh"] >= 0).all()
    assert readings.schema["date"] == pl.Date


def test_meter_magnitudes_are_realistic(landing):
    root, _ = landing
    readings = meters(root).join(accounts(root), on="account_id")
    daily_total_kwh = readings.group_by("date").agg(pl.col("electricity_kwh").sum())
    annualised_100m_kwh = daily_total_kwh["electricity_kwh"].mean() * 365 / 1e8
    assert 2000 <= annualised_100m_kwh <= 3100  # metered: most of the province's 2,700-3,060
    per_type = dict(
        readings.group_by("customer_type").agg(pl.col("electricity_kwh").median()).iter_rows()
    )
    assert 1e4 <= per_type["居民"] <= 5e6  # a county's households
    assert 10 <= per_type["一般工商业"] <= 1e5
    assert per_type["大工业"] > per_type["一般工商业"]
    weekday = readings.filter(
        (pl.col("customer_type") == "一般工商业") & (pl.col("date").dt.weekday() <= 5)
    )
    weekend = readings.filter(
        (pl.col("customer_type") == "一般工商业") & (pl.col("date").dt.weekday() > 5)
    )
    assert weekday["electricity_kwh"].mean() > 1.1 * weekend["electricity_kwh"].mean()


def test_generation_daily(landing):
    root, _ = landing
    generation = pl.concat(
        read_any(path) for path in sorted((root / "power/generation_daily").iterdir())
    ).with_columns(pl.col("capacity_mw", "generation_mwh", "exported_mwh").cast(pl.Float64))
    coal = generation.filter(pl.col("fuel_type") == "煤电")
    assert coal["coal_consumption_tce"].null_count() == 0
    other = generation.filter(pl.col("fuel_type") != "煤电")
    assert other["coal_consumption_tce"].null_count() == other.height
    gce_per_kwh = coal["coal_consumption_tce"].cast(pl.Float64).sum() / coal["generation_mwh"].sum()
    # The plants burn the statistics' coal for power: above their ~305 g design consumption.
    assert 0.30 <= gce_per_kwh <= 0.38
    assert {"煤电", "燃气", "煤层气", "水电", "风电", "光伏", "生物质"} <= set(
        generation["fuel_type"]
    )
    assert (generation["generation_mwh"] <= generation["capacity_mw"] * 24 + 0.1).all()
    days = generation["date"].n_unique()
    annualised = generation["generation_mwh"].sum() / days * 365 / 1e5  # 亿kWh
    assert 4000 <= annualised <= 5500
    assert 0.3 <= generation["exported_mwh"].sum() / generation["generation_mwh"].sum() <= 0.42


def test_compliance(landing):
    root, _ = landing
    files = sorted((root / "ets/compliance").iterdir())
    assert [path.name for path in files] == ["2021.xlsx", "2022.xlsx", "2023.xlsx", "2024.xlsx"]
    entities = pl.concat(read_any(p) for p in (root / "ets/entities").iterdir()).unique(
        "entity_id", keep="last"
    )
    shortfalls = 0
    for path in files:
        rows = (
            read_any(path)
            .with_columns(pl.col("^.*_tco2$", "output_quantity").cast(pl.Float64))
            .join(entities, on="entity_id", how="left")
        )
        assert rows.height > 0
        assert rows["ets_sector"].null_count() == 0  # every entity is known
        assert (rows["ccer_offset_tco2"] <= 0.05 * rows["verified_emissions_tco2"]).all()
        short = (
            rows["surrendered_allowances_tco2"] + rows["ccer_offset_tco2"]
            < (rows["verified_emissions_tco2"])
        )
        assert short.sum() < 0.1 * rows.height  # most comply
        shortfalls += short.sum()
        ratio = rows["allocated_allowances_tco2"].sum() / rows["verified_emissions_tco2"].sum()
        assert 0.9 < ratio < 1.05
        power = rows.filter(pl.col("ets_sector") == "power")
        assert 240e6 <= power["verified_emissions_tco2"].sum() <= 360e6  # the coal for power
        assert set(power["output_unit"]) == {"兆瓦时"}
        year = int(path.stem)
        if year < 2024:
            assert set(rows["ets_sector"]) == {"power"}
        else:
            assert set(rows["ets_sector"]) == {"power", "steel", "cement", "aluminium"}
            assert set(rows.filter(pl.col("ets_sector") != "power")["output_unit"]) == {"吨"}
        dates = rows["verification_date"].str.to_date()
        assert (dates > dt.date(year, 12, 31)).all()
    assert shortfalls > 0  # a few fall short


def test_meter_accounts_grow_with_scale():
    world = World(5, 2024, 2025, SEEDS)
    energy = EnergyModel(world)
    window = daily_window(world, 31)
    small = build_accounts(world, energy, 1, window).frame.height
    large = build_accounts(world, energy, 4, window).frame.height
    assert large - small == 3 * METER_ACCOUNTS_PER_SCALE


def test_references_are_delivered_no_later_than_their_use(landing):
    """A load that goes period by period knows every account and entity before it is used."""
    root, _ = landing
    deliveries = [
        (dt.date.fromisoformat(path.stem.removeprefix("accounts_")), read_any(path))
        for path in sorted((root / "power/accounts").iterdir())
    ]
    first_known = {}
    for date, frame in deliveries:
        for account in frame["account_id"]:
            first_known.setdefault(account, date)
    readings = meters(root).group_by("account_id").agg(pl.col("date").min())
    for account, first_reading in readings.iter_rows():
        assert first_known[account] <= first_reading, account
    entity_year = {}
    for path in sorted((root / "ets/entities").iterdir()):
        year = int(path.stem.removeprefix("entities_")[:4])
        for entity in read_any(path)["entity_id"]:
            entity_year.setdefault(entity, year)
    for path in (root / "ets/compliance").iterdir():
        for entity in read_any(path)["entity_id"]:
            assert entity_year[entity] <= int(path.stem), (path.name, entity)
