"""The grid company's feeds of the sample world: accounts, daily meter readings, generation.

Meter readings are the large feed. They are written one Parquet file per day, each day
computed with numpy from per-account arrays, so memory stays bounded by one day's rows
whatever the scale: ``scale`` s gives about ``METER_ACCOUNTS_PER_SCALE`` x s accounts and,
by default, ``31 x s`` days (scale 50: 75,000 accounts x 1,550 days, ~113 million readings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
from tqdm import tqdm

from ingest.feeds import GENERATION_DAILY, POWER_ACCOUNTS
from sample import parameters as p
from sample.energy import EnergyModel
from sample.output import county_output_t
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv, write_parquet

METER_ACCOUNTS_PER_SCALE = 1500
# Customer types (ref_customer_types) of the households' aggregated accounts and of the
# carbon-market plants' accounts.
HOUSEHOLD_CUSTOMER_TYPE = "居民"
CARBON_MARKET_CUSTOMER_TYPE = "大工业"
# Typical annual consumption of one account (kWh) and its spread (lognormal sigma).
ACCOUNT_SIZE_KWH = {"大工业": (8.0e6, 1.2), "一般工商业": (6.0e4, 1.3), "农业": (4.0e4, 1.0)}
# Electricity intensity of the carbon-market plants' products, kWh per tonne.
ELECTRICITY_KWH_PER_T = {"粗钢": 450.0, "水泥熟料": 110.0, "电解铝": 13500.0}
# Day-of-week factors (Mon..Sun) and day-to-day noise per customer type.
WEEKDAY_FACTORS = {
    "大工业": (1.01, 1.01, 1.01, 1.01, 1.01, 0.97, 0.96),
    "一般工商业": (1.06, 1.06, 1.06, 1.06, 1.05, 0.86, 0.85),
    "居民": (0.98, 0.98, 0.98, 0.98, 0.99, 1.04, 1.05),
    "农业": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
}
DAILY_NOISE = {"大工业": 0.06, "一般工商业": 0.12, "居民": 0.05, "农业": 0.2}
SEASONAL_SHAPE = {
    "大工业": "industry",
    "一般工商业": "household_electricity",
    "居民": "household_electricity",
    "农业": "agriculture",
}
# Monthly capacity-factor shapes of the weather-driven plants (Jan..Dec, mean 1).
FUEL_SEASON = {
    "风电": (1.1, 1.15, 1.3, 1.35, 1.1, 0.9, 0.75, 0.7, 0.8, 0.95, 1.0, 0.95),
    "光伏": (0.7, 0.85, 1.0, 1.15, 1.2, 1.2, 1.15, 1.1, 1.0, 0.9, 0.75, 0.65),
    "水电": (0.6, 0.6, 0.8, 0.9, 1.0, 1.2, 1.5, 1.6, 1.3, 1.0, 0.8, 0.7),
}
# Fuel types whose output follows the weather day by day (the others run steadily).
WEATHER_DRIVEN_FUEL_TYPES = ("风电", "光伏")
# Full-load hours per year of the plants that are not the residual (coal takes the rest).
FULL_LOAD_HOURS = {"风电": 1900.0, "光伏": 1250.0, "水电": 1800.0, "燃气": 3000.0,
                   "煤层气": 4500.0, "生物质": 5500.0}  # fmt: skip
# Tonnes CO2 per MWh of gas-fired plants (coal plants: from their coal use and the seed).
GAS_TCO2_PER_MWH = {"燃气": 0.38, "煤层气": 0.45}
EXPORT_SHARE_OF_EXPORT_PLANTS = 0.85
# The fuel the coal-fired plants burn (a variety of ref_energy_factors), and the heat of one
# tonne of standard coal (GB/T 2589-2020: 1 kgce = 29 307.6 kJ).
COAL_PLANT_FUEL = "原煤"
GJ_PER_TCE = 29.3076
# Accounts appear in the registry this many days before they are energised.
PRE_REGISTRATION_DAYS = 31
GENERATION_COLUMNS = list(GENERATION_DAILY.columns)  # the contract's columns, in its order
ACCOUNT_COLUMNS = list(POWER_ACCOUNTS.columns)  # the contract's columns, in its order


def daily_window(world: World, days: int) -> list[dt.date]:
    """The last ``days`` days of the world's range (never before its first day)."""
    last = dt.date(world.last_year, 12, 31)
    first = max(last - dt.timedelta(days=days - 1), dt.date(world.first_year, 1, 1))
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def default_daily_days(scale: int) -> int:
    return 31 * scale


def customer_types(world: World) -> tuple[str, ...]:
    """The customer types of ref_customer_types the sample has meter profiles for, in order."""
    return tuple(t for t in world.vocabulary.customer_types if t in WEEKDAY_FACTORS)


class PowerModel:
    """Annual generation per plant, calibrated to the province's generation and exports."""

    def __init__(self, world: World):
        self.world = world

    def coal_tco2_per_tce(self) -> float:
        """CO2 of one tonne of standard coal burnt as raw coal: the seed's factor / its NCV,
        times the GJ of a tonne of standard coal (29.3076 GJ, GB/T 2589-2020)."""
        fuel = COAL_PLANT_FUEL
        return self.world.factors[fuel] / self.world.ncv_gj_per_unit[fuel] * GJ_PER_TCE

    @cached_property
    def plants(self) -> pl.DataFrame:
        """Plants with a commissioning day of year and a fixed efficiency spread."""
        rng = self.world.rng("plant-days")
        plants = self.world.plants
        return plants.with_columns(
            pl.Series("commissioned_doy", rng.integers(1, 366, plants.height)),
            pl.Series("plant_factor", rng.lognormal(0.0, 0.1, plants.height)),
        )

    def operating_fraction(self, year: int) -> pl.Expr:
        """Share of ``year`` the plant ran: 0 before, part of its first year, then 1."""
        return (
            pl.when(pl.col("commissioned_year") < year)
            .then(1.0)
            .when(pl.col("commissioned_year") == year)
            .then((366 - pl.col("commissioned_doy")) / 365.0)
            .otherwise(0.0)
        )

    def annual(self, year: int) -> pl.DataFrame:
        """Per plant: generation_mwh, exported_mwh, coal_tce and tco2 of ``year``."""
        generation_total = p.interpolate(p.GENERATION_100M_KWH, year) * 1e5  # MWh
        exported_total = p.interpolate(p.EXPORTED_100M_KWH, year) * 1e5
        plants = self.plants.with_columns(self.operating_fraction(year).alias("fraction"))
        fixed_hours = pl.col("fuel_type").replace_strict(
            FULL_LOAD_HOURS, default=None, return_dtype=pl.Float64
        )
        plants = plants.with_columns(
            (pl.col("capacity_mw") * fixed_hours * pl.col("fraction")).alias("generation_mwh")
        )
        coal = pl.col("fuel_type").is_in(sorted(self.world.vocabulary.coal_fired_fuel_types))
        others = plants.filter(~coal)["generation_mwh"].sum()
        coal_weight = plants.filter(coal).select(
            (pl.col("capacity_mw") * pl.col("fraction") * pl.col("plant_factor")).sum()
        )[0, 0]
        coal_scale = max(generation_total - others, 0.0) / coal_weight
        plants = plants.with_columns(
            pl.when(coal)
            .then(pl.col("capacity_mw") * pl.col("fraction") * pl.col("plant_factor") * coal_scale)
            .otherwise(pl.col("generation_mwh"))
            .alias("generation_mwh")
        )
        export_plants = plants.filter(pl.col("export_oriented"))["generation_mwh"].sum()
        other_share = max(
            exported_total - EXPORT_SHARE_OF_EXPORT_PLANTS * export_plants, 0.0
        ) / max(generation_total - export_plants, 1.0)
        tco2_per_tce = self.coal_tco2_per_tce()
        return plants.with_columns(
            pl.when(pl.col("export_oriented"))
            .then(EXPORT_SHARE_OF_EXPORT_PLANTS)
            .otherwise(other_share)
            .alias("export_share"),
            pl.when(coal)
            .then(pl.col("generation_mwh") * pl.col("supply_gce_per_kwh") / 1000.0)
            .alias("coal_tce"),
        ).with_columns(
            (pl.col("generation_mwh") * pl.col("export_share")).alias("exported_mwh"),
            pl.when(coal)
            .then(pl.col("coal_tce") * tco2_per_tce)
            .otherwise(
                pl.col("generation_mwh")
                * pl.col("fuel_type").replace_strict(
                    GAS_TCO2_PER_MWH, default=0.0, return_dtype=pl.Float64
                )
            )
            .alias("tco2"),
        )


# --- power/generation_daily --------------------------------------------------------------


def write_generation_daily(
    world: World, model: PowerModel, days: list[dt.date], recorder: Recorder
) -> None:
    """One CSV per day of the dispatched plants' generation."""
    feed = "power/generation_daily"
    annual_by_year: dict[int, pl.DataFrame] = {}
    for day in days:
        if day.year not in annual_by_year:
            annual_by_year[day.year] = model.annual(day.year)
        annual = annual_by_year[day.year]
        doy = day.timetuple().tm_yday
        plants = annual.filter(
            (pl.col("commissioned_year") < day.year)
            | ((pl.col("commissioned_year") == day.year) & (pl.col("commissioned_doy") <= doy))
        )
        rng = world.rng("generation-day", day.isoformat())
        n = plants.height
        fuel = plants["fuel_type"].to_numpy()
        coal = np.isin(fuel, sorted(world.vocabulary.coal_fired_fuel_types))
        month = day.month - 1
        season = np.ones(n)
        for name, shape in FUEL_SEASON.items():
            season[fuel == name] = shape[month] / np.mean(shape)
        power_shape = p.MONTHLY_SHAPES["power"]
        season[coal] = power_shape[month] * 12.0
        weather = np.ones(n)
        weather[fuel == "风电"] = rng.gamma(2.0, 0.5) * rng.lognormal(
            0.0, 0.3, (fuel == "风电").sum()
        )
        weather[fuel == "光伏"] = (
            rng.beta(5.0, 2.0) / (5.0 / 7.0) * rng.lognormal(0.0, 0.1, (fuel == "光伏").sum())
        )
        steady = ~np.isin(fuel, WEATHER_DRIVEN_FUEL_TYPES)
        weather[steady] = rng.lognormal(0.0, 0.05, steady.sum())
        outage = rng.random(n) < 0.03
        weather[outage & coal] *= 0.5
        # Annual generation over the days the plant runs in the year.
        fraction = np.maximum(
            np.where(
                plants["commissioned_year"].to_numpy() < day.year,
                1.0,
                (366 - plants["commissioned_doy"].to_numpy()) / 365.0,
            ),
            1.0 / 365.0,
        )
        daily = plants["generation_mwh"].to_numpy() / (365.0 * fraction) * season * weather
        capacity = plants["capacity_mw"].to_numpy()
        generation = np.minimum(daily, capacity * 24.0)
        gce = np.nan_to_num(plants["supply_gce_per_kwh"].to_numpy().astype(float))
        coal_tce = generation * gce / 1000.0 * rng.lognormal(0.0, 0.01, n)
        exported = generation * plants["export_share"].to_numpy()
        frame = pl.DataFrame(
            {
                "date": day.isoformat(),
                "plant_id": plants["plant_id"],
                "plant_name": plants["plant_name"],
                "division_code": plants["division_code"],
                "fuel_type": plants["fuel_type"],
                "capacity_mw": np.char.mod("%.0f", capacity).astype(str),
                "generation_mwh": np.char.mod("%.1f", generation).astype(str),
                "coal_consumption_tce": np.where(coal, np.char.mod("%.1f", coal_tce), None).astype(
                    object
                ),
                "exported_mwh": np.char.mod("%.1f", exported).astype(str),
            },
            schema_overrides={"coal_consumption_tce": pl.String},
        ).select(GENERATION_COLUMNS)
        path = recorder.path(feed, f"{day.isoformat()}.csv")
        recorder.record(feed, frame.height, write_csv(frame, path))


# --- power/accounts ----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRegistry:
    """Every account of the sample with what the meter feed needs, as aligned arrays."""

    frame: pl.DataFrame  # ACCOUNT_COLUMNS (dates as pl.Date) + annual_kwh
    customer_types: tuple[str, ...]  # the types of the meter profiles, in their index order

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        epoch = dt.date(1970, 1, 1)
        far = (dt.date(9999, 12, 31) - epoch).days
        return {
            "annual_kwh": self.frame["annual_kwh"].to_numpy(),
            "type": self.frame["customer_type"]
            .replace_strict({t: i for i, t in enumerate(self.customer_types)}, return_dtype=pl.Int8)
            .to_numpy(),
            "opened": self.frame["opened_on"].cast(pl.Int32).to_numpy(),
            "closed": self.frame["closed_on"].cast(pl.Int32).fill_null(far).to_numpy(),
        }

    @property
    def account_ids(self) -> pl.Series:
        return self.frame["account_id"]


def customer_type_shares(industry: str) -> dict[str, float]:
    """How the accounts of an industry split into customer types."""
    if industry in {"01", "03", "05"}:
        return {"农业": 0.85, "一般工商业": 0.15}
    if industry == "53":
        return {"大工业": 0.8, "一般工商业": 0.2}
    if industry == "64":
        return {"大工业": 0.5, "一般工商业": 0.5}
    code = int(industry)
    if 6 <= code <= 46:
        return {"大工业": 0.6, "一般工商业": 0.4}
    return {"一般工商业": 0.93, "大工业": 0.07}


def build_accounts(
    world: World, energy: EnergyModel, scale: int, window: list[dt.date]
) -> AccountRegistry:
    """The account registry: households per county, carbon-market plants, a sample of others."""
    rng = world.rng("accounts", scale)
    year = world.last_year
    window_start = window[0]
    epoch_first = dt.date(1995, 1, 1)
    table = energy.county_table(year).join(
        energy.flow_attributes().select("flow", "industry_code", "energy_name"), on="flow"
    )
    electricity = (
        table.filter(pl.col("energy_name") == world.vocabulary.electricity)
        .group_by("division_code", "industry_code")
        .agg((pl.col("quantity").sum() * 1000.0).alias("kwh"))  # MWh -> kWh
        .sort("division_code", "industry_code")
    )
    rows: list[dict] = []
    sequence: dict[str, int] = {}

    def next_id(county: str) -> str:
        sequence[county] = sequence.get(county, 0) + 1
        return f"{county}{sequence[county]:07d}"

    def random_date(low: dt.date, high: dt.date) -> dt.date:
        return low + dt.timedelta(days=int(rng.integers(0, max((high - low).days, 1))))

    # Households: one aggregated account per county and kind, at the county's full size.
    households = electricity.filter(pl.col("industry_code").str.starts_with("HH_"))
    for county, industry, kwh in households.iter_rows():
        suffix = "9000001" if industry == "HH_URBAN" else "9000002"
        rows.append(
            {
                "account_id": f"{county}{suffix}",
                "division_code": county,
                "industry_code": industry,
                "customer_type": HOUSEHOLD_CUSTOMER_TYPE,
                "entity_id": None,
                "opened_on": dt.date(2010, 1, 1),
                "closed_on": None,
                "annual_kwh": kwh,
            }
        )
    # Carbon-market plants: steel, cement and aluminium, and the standby supply of some
    # power plants, linked by their unified social credit code.
    entities = world.ets_entities
    power = world.vocabulary.power_sector.ets_sector
    linked = world.rng("accounts-ets")  # the same at every scale
    for entity in entities.iter_rows(named=True):
        if entity["ets_sector"] == power:
            if linked.random() > 0.2:
                continue
            kwh = entity["capacity_mw"] * linked.uniform(3000.0, 8000.0)
        else:
            product = entity["product"]
            county_index = world.county_codes.index(entity["division_code"])
            output_t = county_output_t(world, product, year)[county_index] * entity["output_share"]
            kwh = output_t * ELECTRICITY_KWH_PER_T[product] * linked.lognormal(0.0, 0.08)
        opened = epoch_first + dt.timedelta(days=int(linked.integers(0, 6200)))
        rows.append(
            {
                "account_id": next_id(entity["division_code"]),
                "division_code": entity["division_code"],
                "industry_code": entity["industry_code"],
                "customer_type": CARBON_MARKET_CUSTOMER_TYPE,
                "entity_id": entity["entity_id"],
                "opened_on": opened,
                "closed_on": None,
                "annual_kwh": kwh,
            }
        )
    # A sample of the other accounts, more of them where consumption is larger.
    others = electricity.filter(~pl.col("industry_code").str.starts_with("HH_"))
    kwh = others["kwh"].to_numpy()
    weight = np.sqrt(kwh)
    target = METER_ACCOUNTS_PER_SCALE * scale
    expected = weight / weight.sum() * target
    counts = np.floor(expected).astype(int)
    remainder = target - counts.sum()
    counts[np.argsort(-(expected - counts), kind="stable")[:remainder]] += 1
    for (county, industry, cell_kwh), count in zip(others.iter_rows(), counts, strict=True):
        if count == 0:
            continue
        shares = customer_type_shares(industry)
        types = rng.choice(list(shares), size=count, p=list(shares.values()))
        sizes = np.array(
            [
                ACCOUNT_SIZE_KWH[t][0]
                * rng.lognormal(-0.5 * ACCOUNT_SIZE_KWH[t][1] ** 2, ACCOUNT_SIZE_KWH[t][1])
                for t in types
            ]
        )
        if sizes.sum() > 0.8 * cell_kwh:  # never more than the county's industry consumes
            sizes *= 0.8 * cell_kwh / sizes.sum()
        draws = rng.random(count)
        for customer_type, size, draw in zip(types, sizes, draws, strict=True):
            opened = random_date(epoch_first, window_start - dt.timedelta(days=1))
            closed = None
            if draw < 0.02:  # closed before the window: in the registry, no readings
                closed = random_date(opened + dt.timedelta(days=1), window_start)
            elif draw < 0.035:  # closes during the window
                closed = random_date(window_start + dt.timedelta(days=1), window[-1])
            elif draw < 0.05:  # opens during the window
                opened = random_date(window_start, window[-1])
            rows.append(
                {
                    "account_id": next_id(county),
                    "division_code": county,
                    "industry_code": industry,
                    "customer_type": str(customer_type),
                    "entity_id": None,
                    "opened_on": opened,
                    "closed_on": closed,
                    "annual_kwh": float(size),
                }
            )
    frame = pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "division_code": pl.String,
            "industry_code": pl.String,
            "customer_type": pl.String,
            "entity_id": pl.String,
            "opened_on": pl.Date,
            "closed_on": pl.Date,
            "annual_kwh": pl.Float64,
        },
    ).sort("account_id")
    return AccountRegistry(frame, customer_types(world))


def registry_dates(window: list[dt.date]) -> list[dt.date]:
    """Registry deliveries: the window's first day, the first of each month, its last day."""
    dates = [window[0], *(day for day in window if day.day == 1), window[-1]]
    return list(dict.fromkeys(dates))


def write_accounts(registry: AccountRegistry, window: list[dt.date], recorder: Recorder) -> None:
    """Whole-registry deliveries (see ``registry_dates``), each as known on its date.

    New connections are registered before they are energised: a delivery already lists the
    accounts opening within the next ``PRE_REGISTRATION_DAYS`` days; closures appear once
    they happened.
    """
    feed = "power/accounts"
    frame = registry.frame
    for as_of in registry_dates(window):
        horizon = as_of + dt.timedelta(days=PRE_REGISTRATION_DAYS)
        known = frame.filter(pl.col("opened_on") <= horizon).with_columns(
            pl.when(pl.col("closed_on") <= as_of).then(pl.col("closed_on")).alias("closed_on")
        )
        text = known.select(ACCOUNT_COLUMNS).with_columns(
            pl.col("opened_on").dt.to_string("%Y-%m-%d"),
            pl.col("closed_on").dt.to_string("%Y-%m-%d"),
        )
        path = recorder.path(feed, f"accounts_{as_of.isoformat()}.csv")
        recorder.record(feed, text.height, write_csv(text, path))


# --- power/meter_daily -------------------------------------------------------------------


def meter_days(
    world: World, registry: AccountRegistry, days: list[dt.date], *, progress: bool = False
) -> Iterator[tuple[dt.date, pl.DataFrame]]:
    """Each day's readings (account_id, date, electricity_kwh) of the open accounts, one day
    in memory at a time (the same rows whoever writes them: the landing zone, the benchmarks)."""
    arrays = registry.arrays
    ids = registry.account_ids
    account_type = arrays["type"]
    base = arrays["annual_kwh"] / 365.0
    types = registry.customer_types
    weekday = np.array([WEEKDAY_FACTORS[t] for t in types])
    noise_sigma = np.array([DAILY_NOISE[t] for t in types])
    season = np.array([np.array(p.MONTHLY_SHAPES[SEASONAL_SHAPE[t]]) * 12 for t in types])
    epoch = dt.date(1970, 1, 1)
    for day in tqdm(days, desc="meter_daily", unit="day", disable=not progress):
        ordinal = (day - epoch).days
        active = np.flatnonzero((arrays["opened"] <= ordinal) & (ordinal < arrays["closed"]))
        kinds = account_type[active]
        rng = world.rng("meter-day", day.isoformat())
        factor = weekday[kinds, day.weekday()] * season[kinds, day.month - 1]
        noise = np.exp(rng.standard_normal(active.size) * noise_sigma[kinds])
        kwh = np.round(base[active] * factor * noise, 2)
        kwh[rng.random(active.size) < 0.002] = 0.0  # outages and meter faults
        table = pl.DataFrame(
            {
                "account_id": ids.gather(active),
                "date": pl.Series(np.full(active.size, ordinal, dtype=np.int32)).cast(pl.Date),
                "electricity_kwh": kwh,
            }
        )
        yield day, table


def write_meter_daily(
    world: World,
    registry: AccountRegistry,
    days: list[dt.date],
    recorder: Recorder,
    *,
    progress: bool = False,
) -> None:
    """One zstd Parquet file per day; one day's rows in memory at a time."""
    feed = "power/meter_daily"
    for day, table in meter_days(world, registry, days, progress=progress):
        path = recorder.path(feed, f"{day.isoformat()}.parquet")
        recorder.record(feed, table.height, write_parquet(table, path))
