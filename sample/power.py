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
from sample.fleet import days_in_year
from sample.output import county_output_t
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv, write_parquet

# Non-household accounts per unit of scale (at least one per county x industry of the
# statistics' electricity: ~3,700 cells).
METER_ACCOUNTS_PER_SCALE = 4000
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
# Tonnes CO2 per MWh of gas-fired plants (coal plants: from their coal use and the seed).
GAS_TCO2_PER_MWH = {"燃气": 0.38, "煤层气": 0.45}
# A coal plant's day: a forced outage (half the units down) with this probability.
OUTAGE_PROBABILITY, OUTAGE_OUTPUT = 0.03, 0.5
# The fuel the coal-fired plants burn (a variety of ref_energy_factors).
COAL_PLANT_FUEL = "原煤"
# Accounts appear in the registry this many days before they are energised.
PRE_REGISTRATION_DAYS = 31
GENERATION_COLUMNS = list(GENERATION_DAILY.columns)  # the contract's columns, in its order
ACCOUNT_COLUMNS = list(POWER_ACCOUNTS.columns)  # the contract's columns, in its order


def daily_window(world: World, days: int) -> list[dt.date]:
    """The last ``days`` days up to the world's as-of date (never before its first day)."""
    last = world.as_of
    first = max(last - dt.timedelta(days=days - 1), dt.date(world.first_year, 1, 1))
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def default_daily_days(world: World, scale: int) -> int:
    """The days of the default window: ``DAILY_HISTORY_YEARS_PER_SCALE`` x ``scale`` full
    years before the as-of year, then the as-of year up to the as-of date."""
    first = dt.date(world.as_of.year - p.DAILY_HISTORY_YEARS_PER_SCALE * scale, 1, 1)
    return (world.as_of - first).days + 1


def customer_types(world: World) -> tuple[str, ...]:
    """The customer types of ref_customer_types the sample has meter profiles for, in order."""
    return tuple(t for t in world.vocabulary.customer_types if t in WEEKDAY_FACTORS)


def mean_over_year(shape: tuple[float, ...], year: int) -> float:
    """The mean over the days of ``year`` of a monthly factor ``shape`` (Jan..Dec)."""
    days = [
        (dt.date(year + (m == 12), m % 12 + 1, 1) - dt.date(year, m, 1)).days for m in range(1, 13)
    ]
    return float(np.dot(shape, days) / sum(days))


class PowerModel:
    """Annual generation, coal use and CO2 per plant: generation calibrated to the province's
    generation and exports (sample.fleet), coal use to the statistics' coal for power."""

    def __init__(self, world: World, energy: EnergyModel | None = None):
        self.world = world
        self.energy = energy if energy is not None else EnergyModel(world)
        self.fleet = self.energy.fleet
        self._annual: dict[int, pl.DataFrame] = {}

    def coal_tco2_per_tce(self) -> float:
        """CO2 of one tonne of standard coal burnt as raw coal: the seed's factor / its NCV,
        times the GJ of a tonne of standard coal (29.3076 GJ, GB/T 2589-2020)."""
        fuel = COAL_PLANT_FUEL
        return self.world.factors[fuel] / self.world.ncv_gj_per_unit[fuel] * p.GJ_PER_TCE

    @property
    def plants(self) -> pl.DataFrame:
        return self.fleet.plants

    def annual(self, year: int) -> pl.DataFrame:
        """Per plant: generation_mwh, exported_mwh, coal_tce and tco2 of ``year``.

        A county's coal plants burn what the statistics report as the county's coal for power
        (parameters.COAL_FOR_POWER_VARIETIES, in tce), split by their design consumption."""
        if year in self._annual:
            return self._annual[year]
        plants = self.fleet.generation(year)
        reported = self.energy.coal_for_power_tce(year)
        design = self.fleet.coal_tce_by_county(year)
        level = {code: reported.get(code, 0.0) / tce for code, tce in design.items() if tce > 0}
        coal = pl.col("fuel_type").is_in(sorted(self.world.vocabulary.coal_fired_fuel_types))
        tco2_per_tce = self.coal_tco2_per_tce()
        frame = plants.with_columns(
            pl.when(coal)
            .then(
                pl.col("raw_coal_tce")
                * pl.col("division_code").replace_strict(
                    level, default=0.0, return_dtype=pl.Float64
                )
            )
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
        self._annual[year] = frame
        return frame


# --- power/generation_daily --------------------------------------------------------------


def write_generation_daily(
    world: World, model: PowerModel, days: list[dt.date], recorder: Recorder
) -> None:
    """One CSV per day of the dispatched plants' generation.

    A plant's day is its year's generation over the days it runs, times its month's shape
    (coal: the power shape; wind, solar, hydro: their own), the weather and, for a coal plant,
    an occasional outage, each divided by its mean over the year, so that the days of a year
    add up to the year's generation and coal use (within the days' noise)."""
    feed = "power/generation_daily"
    coal_types = sorted(world.vocabulary.coal_fired_fuel_types)
    power_shape = tuple(x * 12.0 for x in p.MONTHLY_SHAPES["power"])
    for day in days:
        annual = model.annual(day.year).with_columns(
            model.fleet.operating_fraction(day.year).alias("fraction")
        )
        plants = annual.filter(model.fleet.running(day))
        rng = world.rng("generation-day", day.isoformat())
        n = plants.height
        fuel = plants["fuel_type"].to_numpy()
        coal = np.isin(fuel, coal_types)
        month = day.month - 1
        season = np.ones(n)
        for name, shape in FUEL_SEASON.items():
            season[fuel == name] = shape[month] / mean_over_year(shape, day.year)
        season[coal] = power_shape[month] / mean_over_year(power_shape, day.year)
        weather = np.ones(n)
        weather[fuel == "风电"] = rng.gamma(2.0, 0.5) * rng.lognormal(
            0.0, 0.3, (fuel == "风电").sum()
        )
        weather[fuel == "光伏"] = (
            rng.beta(5.0, 2.0) / (5.0 / 7.0) * rng.lognormal(0.0, 0.1, (fuel == "光伏").sum())
        )
        steady = ~np.isin(fuel, WEATHER_DRIVEN_FUEL_TYPES)
        weather[steady] = rng.lognormal(-0.5 * 0.05**2, 0.05, steady.sum())
        outage = rng.random(n) < OUTAGE_PROBABILITY
        weather[outage & coal] *= OUTAGE_OUTPUT
        weather[coal] /= 1.0 - OUTAGE_PROBABILITY * (1.0 - OUTAGE_OUTPUT)
        # Annual generation over the days the plant runs in the year.
        running_days = np.maximum(plants["fraction"].to_numpy() * days_in_year(day.year), 1.0)
        daily = plants["generation_mwh"].to_numpy() / running_days * season * weather
        capacity = plants["capacity_mw"].to_numpy()
        generation = np.minimum(daily, capacity * 24.0)
        annual_generation = np.maximum(plants["generation_mwh"].to_numpy(), 1e-9)
        per_mwh = np.nan_to_num(plants["coal_tce"].to_numpy().astype(float)) / annual_generation
        coal_tce = generation * per_mwh * rng.lognormal(-0.5 * 0.01**2, 0.01, n)
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

    frame: pl.DataFrame  # ACCOUNT_COLUMNS (dates as pl.Date) + annual_kwh (the last year's)
    customer_types: tuple[str, ...]  # the types of the meter profiles, in their index order
    # Year -> each account's mean kWh per day it is open in that year (frame order).
    daily_kwh: dict[int, np.ndarray]

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        epoch = dt.date(1970, 1, 1)
        far = (dt.date(9999, 12, 31) - epoch).days
        return {
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


def metered_share(world: World, county: str, industry: str, year: int) -> float:
    """The grid-metered share of a cell's reported end-use electricity in ``year``: what the
    industry's own plants do not generate (parameters.SELF_GENERATION_SHARE), times the
    reporting difference of the cell and year (parameters.METER_REPORTING_SIGMA)."""
    rng = world.rng("metered", county, industry, year)
    sigma = p.METER_REPORTING_SIGMA
    own = p.SELF_GENERATION_SHARE.get(industry, 0.0)
    return (1.0 - own) * float(rng.lognormal(-0.5 * sigma**2, sigma))


def electricity_cells(world: World, energy: EnergyModel, year: int) -> pl.DataFrame:
    """The statistics' end-use electricity of every county x industry of ``year`` (kWh)."""
    table = energy.county_table(year).join(
        energy.flow_attributes().select("flow", "industry_code", "energy_name"), on="flow"
    )
    return (
        table.filter(pl.col("energy_name") == world.vocabulary.electricity)
        .group_by("division_code", "industry_code")
        .agg((pl.col("quantity").sum() * 1000.0).alias("kwh"))  # MWh -> kWh
        .sort("division_code", "industry_code")
    )


def open_days(opened: np.ndarray, closed: np.ndarray, year: int) -> np.ndarray:
    """Days of ``year`` each account is open (opened <= day < closed, days since 1970)."""
    epoch = dt.date(1970, 1, 1)
    start = (dt.date(year, 1, 1) - epoch).days
    end = (dt.date(year + 1, 1, 1) - epoch).days
    return np.clip(np.minimum(closed, end) - np.maximum(opened, start), 0, None)


def build_accounts(
    world: World, energy: EnergyModel, scale: int, window: list[dt.date]
) -> AccountRegistry:
    """The account registry: households per county, carbon-market plants, the others.

    The accounts of a county x industry add up, every year, to the statistics' end-use
    electricity of the cell times its metered share (``metered_share``): households as one
    aggregated account per county and kind; the other accounts (at least one per cell, the
    first never opening or closing in the window; ``METER_ACCOUNTS_PER_SCALE`` x ``scale`` in
    all, more where consumption is larger) share the cell by their sizes, the carbon-market
    plants theirs by their output, each account's year divided over the days it is open; a new
    smelter (parameters.NEW_SMELTERS) is its own account from its first day. ``scale`` changes
    the number of accounts, never the totals."""
    rng = world.rng("accounts", scale)
    years = sorted({day.year for day in window})
    window_start = window[0]
    epoch_first = dt.date(1995, 1, 1)
    cells = electricity_cells(world, energy, years[-1])
    rows: list[dict] = []
    # Per account: its group (households, the carbon-market plants or the others of a cell,
    # a smelter), its weight in the group, and per carbon-market plant its product.
    groups: list[tuple[str, str, str]] = []
    weights: list[float] = []
    products: list[tuple[str | None, float]] = []
    sequence: dict[str, int] = {}

    def next_id(county: str) -> str:
        sequence[county] = sequence.get(county, 0) + 1
        return f"{county}{sequence[county]:07d}"

    def random_date(low: dt.date, high: dt.date) -> dt.date:
        return low + dt.timedelta(days=int(rng.integers(0, max((high - low).days, 1))))

    def add(row: dict, group: str, weight: float, product: tuple[str | None, float]) -> None:
        rows.append(row)
        groups.append((row["division_code"], row["industry_code"], group))
        weights.append(weight)
        products.append(product)

    # Households: one aggregated account per county and kind.
    households = cells.filter(pl.col("industry_code").str.starts_with("HH_"))
    for county, industry, _kwh in households.iter_rows():
        suffix = "9000001" if industry == "HH_URBAN" else "9000002"
        row = {
            "account_id": f"{county}{suffix}",
            "division_code": county,
            "industry_code": industry,
            "customer_type": HOUSEHOLD_CUSTOMER_TYPE,
            "entity_id": None,
            "opened_on": dt.date(2010, 1, 1),
            "closed_on": None,
        }
        add(row, "others", 1.0, (None, 0.0))
    # Carbon-market plants: steel, cement and aluminium, and the standby supply of some
    # power plants, linked by their unified social credit code.
    entities = world.ets_entities
    power = world.vocabulary.power_sector.ets_sector
    linked = world.rng("accounts-ets")  # the same at every scale
    has_cell = {(c, i) for c, i, _ in cells.iter_rows()}
    for entity in entities.iter_rows(named=True):
        if entity["ets_sector"] == power:
            if linked.random() > 0.2:
                continue
            weight, product = entity["capacity_mw"] * linked.uniform(3000.0, 8000.0), None
        else:
            product = entity["product"]
            weight = ELECTRICITY_KWH_PER_T[product] * linked.lognormal(0.0, 0.08)
        opened = epoch_first + dt.timedelta(days=int(linked.integers(0, 6200)))
        if (entity["division_code"], entity["industry_code"]) not in has_cell:
            continue
        row = {
            "account_id": next_id(entity["division_code"]),
            "division_code": entity["division_code"],
            "industry_code": entity["industry_code"],
            "customer_type": CARBON_MARKET_CUSTOMER_TYPE,
            "entity_id": entity["entity_id"],
            "opened_on": opened,
            "closed_on": None,
        }
        add(row, "ets", weight, (product, entity["output_share"] or 0.0))
    # New smelters: an account of their own from their first day.
    for smelter in energy.smelters:
        if smelter.opened_on > window[-1]:
            continue
        row = {
            "account_id": next_id(smelter.division_code),
            "division_code": smelter.division_code,
            "industry_code": p.SMELTER_INDUSTRY,
            "customer_type": CARBON_MARKET_CUSTOMER_TYPE,
            "entity_id": None,
            "opened_on": smelter.opened_on,
            "closed_on": None,
        }
        add(row, f"smelter {smelter.opened_on}", 1.0, (None, 0.0))
    # The other accounts: one per cell, and more where consumption is larger.
    others = cells.filter(~pl.col("industry_code").str.starts_with("HH_"))
    kwh = others["kwh"].to_numpy()
    target = max(METER_ACCOUNTS_PER_SCALE * scale, others.height)
    weight = np.sqrt(kwh)
    expected = weight / weight.sum() * (target - others.height)
    counts = np.floor(expected).astype(int)
    remainder = target - others.height - counts.sum()
    counts[np.argsort(-(expected - counts), kind="stable")[:remainder]] += 1
    counts += 1
    for (county, industry, _cell_kwh), count in zip(others.iter_rows(), counts, strict=True):
        shares = customer_type_shares(industry)
        types = rng.choice(list(shares), size=count, p=list(shares.values()))
        sizes = np.array(
            [
                ACCOUNT_SIZE_KWH[t][0]
                * rng.lognormal(-0.5 * ACCOUNT_SIZE_KWH[t][1] ** 2, ACCOUNT_SIZE_KWH[t][1])
                for t in types
            ]
        )
        draws = rng.random(count)
        draws[0] = 1.0  # the cell's first account stays open through the window
        for customer_type, size, draw in zip(types, sizes, draws, strict=True):
            opened = random_date(epoch_first, window_start - dt.timedelta(days=1))
            closed = None
            if draw < 0.02:  # closed before the window: in the registry, no readings
                closed = random_date(opened + dt.timedelta(days=1), window_start)
            elif draw < 0.035:  # closes during the window
                closed = random_date(window_start + dt.timedelta(days=1), window[-1])
            elif draw < 0.05:  # opens during the window
                opened = random_date(window_start, window[-1])
            row = {
                "account_id": next_id(county),
                "division_code": county,
                "industry_code": industry,
                "customer_type": str(customer_type),
                "entity_id": None,
                "opened_on": opened,
                "closed_on": closed,
            }
            add(row, "others", float(size), (None, 0.0))
    schema = {
        "account_id": pl.String,
        "division_code": pl.String,
        "industry_code": pl.String,
        "customer_type": pl.String,
        "entity_id": pl.String,
        "opened_on": pl.Date,
        "closed_on": pl.Date,
    }
    frame = pl.DataFrame(rows, schema=schema).with_columns(
        pl.Series("county", [g[0] for g in groups]),
        pl.Series("group", [g[2] for g in groups]),
        pl.Series("weight", weights, dtype=pl.Float64),
        pl.Series("product", [x[0] for x in products], dtype=pl.String),
        pl.Series("output_share", [x[1] for x in products], dtype=pl.Float64),
    )
    epoch = dt.date(1970, 1, 1)
    far = (dt.date(9999, 12, 31) - epoch).days
    opened_days = frame["opened_on"].cast(pl.Int32).to_numpy()
    closed_days = frame["closed_on"].cast(pl.Int32).fill_null(far).to_numpy()
    county_index = {code: i for i, code in enumerate(world.county_codes)}
    daily: dict[int, np.ndarray] = {}
    for year in years:
        year_cells = {(c, i): k for c, i, k in electricity_cells(world, energy, year).iter_rows()}
        smelter_mwh = {f"smelter {s.opened_on}": s.mwh(year) for s in energy.smelters}
        outputs = {
            product: county_output_t(world, product, year)
            for product in set(frame["product"].drop_nulls())
        }
        days = open_days(opened_days, closed_days, year)
        # The weight of each account in ``year``: carbon-market plants by their output.
        year_weight = np.array(
            [
                w if product is None else w * outputs[product][county_index[c]] * share
                for w, product, share, c in zip(
                    frame["weight"],
                    frame["product"],
                    frame["output_share"],
                    frame["county"],
                    strict=True,
                )
            ]
        )
        work = frame.select("division_code", "industry_code", "group").with_columns(
            pl.Series("w", year_weight), pl.Series("wd", year_weight * days)
        )
        totals = work.group_by("division_code", "industry_code", "group").agg(
            pl.col("w").sum().alias("w_sum"), pl.col("wd").sum().alias("wd_sum")
        )
        # Each group's kWh of the year: the cell's metered kWh, less the smelters', between
        # the carbon-market plants (their estimate, at most 90 % with others) and the others.
        amounts: dict[tuple[str, str, str], float] = {}
        by_cell: dict[tuple[str, str], dict[str, float]] = {}
        for county, industry, group, w_sum, _wd in totals.iter_rows():
            by_cell.setdefault((county, industry), {})[group] = w_sum
        for (county, industry), present in by_cell.items():
            metered = year_cells.get((county, industry), 0.0) * metered_share(
                world, county, industry, year
            )
            for group in present:
                if group.startswith("smelter"):
                    amount = (
                        smelter_mwh[group] * 1000.0 * metered_share(world, county, industry, year)
                    )
                    amounts[(county, industry, group)] = amount
                    metered -= amount
            metered = max(metered, 0.0)
            ets = present.get("ets")
            if ets is not None and "others" in present:
                share = min(ets / max(metered, 1e-9), 0.9)
                amounts[(county, industry, "ets")] = metered * share
                amounts[(county, industry, "others")] = metered * (1.0 - share)
            elif ets is not None:
                amounts[(county, industry, "ets")] = metered
            else:
                amounts[(county, industry, "others")] = metered
        amount_frame = pl.DataFrame(
            [(c, i, g, a) for (c, i, g), a in amounts.items()],
            schema={
                "division_code": pl.String,
                "industry_code": pl.String,
                "group": pl.String,
                "amount": pl.Float64,
            },
            orient="row",
        )
        rates = (
            work.join(totals, on=["division_code", "industry_code", "group"], how="left")
            .join(amount_frame, on=["division_code", "industry_code", "group"], how="left")
            .select(
                pl.when(pl.col("wd_sum") > 0)
                .then(pl.col("amount").fill_null(0.0) * pl.col("w") / pl.col("wd_sum"))
                .otherwise(0.0)
            )
            .to_series()
            .to_numpy()
        )
        daily[year] = rates
    frame = frame.with_columns(
        pl.Series("annual_kwh", daily[years[-1]] * days_in_year(years[-1]))
    ).drop("county", "group", "weight", "product", "output_share")
    order = frame["account_id"].arg_sort().to_numpy()
    frame = frame[order]
    return AccountRegistry(
        frame, customer_types(world), {year: rates[order] for year, rates in daily.items()}
    )


def registry_dates(window: list[dt.date]) -> list[dt.date]:
    """Registry deliveries: the window's first day, the first of each month, its last day."""
    dates = [window[0], *(day for day in window if day.day == 1), window[-1]]
    return list(dict.fromkeys(dates))


def write_accounts(registry: AccountRegistry, window: list[dt.date], recorder: Recorder) -> None:
    """Whole-registry deliveries (see ``registry_dates``), each as known on its date; a
    delivery that would repeat the one before it byte for byte is not made.

    New connections are registered before they are energised: a delivery already lists the
    accounts opening within the next ``PRE_REGISTRATION_DAYS`` days; closures appear once
    they happened.
    """
    feed = "power/accounts"
    frame = registry.frame
    previous: pl.DataFrame | None = None
    for as_of in registry_dates(window):
        horizon = as_of + dt.timedelta(days=PRE_REGISTRATION_DAYS)
        known = frame.filter(pl.col("opened_on") <= horizon).with_columns(
            pl.when(pl.col("closed_on") <= as_of).then(pl.col("closed_on")).alias("closed_on")
        )
        text = known.select(ACCOUNT_COLUMNS).with_columns(
            pl.col("opened_on").dt.to_string("%Y-%m-%d"),
            pl.col("closed_on").dt.to_string("%Y-%m-%d"),
        )
        if previous is not None and text.equals(previous):
            continue
        previous = text
        path = recorder.path(feed, f"accounts_{as_of.isoformat()}.csv")
        recorder.record(feed, text.height, write_csv(text, path))


# --- power/meter_daily -------------------------------------------------------------------


def meter_days(
    world: World, registry: AccountRegistry, days: list[dt.date], *, progress: bool = False
) -> Iterator[tuple[dt.date, pl.DataFrame]]:
    """Each day's readings (account_id, date, electricity_kwh) of the open accounts, one day
    in memory at a time (the same rows whoever writes them: the landing zone, the benchmarks).

    An account's day is its year's daily rate (``AccountRegistry.daily_kwh``) times its
    customer type's weekday and month factors, each divided by its mean over the year, and a
    noise of mean 1, so the days of a year add up to the account's year."""
    arrays = registry.arrays
    ids = registry.account_ids
    account_type = arrays["type"]
    types = registry.customer_types
    weekday = np.array([WEEKDAY_FACTORS[t] for t in types])
    weekday = weekday / weekday.mean(axis=1, keepdims=True)
    noise_sigma = np.array([DAILY_NOISE[t] for t in types])
    shapes = [tuple(x * 12.0 for x in p.MONTHLY_SHAPES[SEASONAL_SHAPE[t]]) for t in types]
    epoch = dt.date(1970, 1, 1)
    season_by_year: dict[int, np.ndarray] = {}
    for day in tqdm(days, desc="meter_daily", unit="day", disable=not progress):
        if day.year not in season_by_year:
            season_by_year[day.year] = np.array(
                [np.array(shape) / mean_over_year(shape, day.year) for shape in shapes]
            )
        season = season_by_year[day.year]
        base = registry.daily_kwh[day.year]
        ordinal = (day - epoch).days
        active = np.flatnonzero((arrays["opened"] <= ordinal) & (ordinal < arrays["closed"]))
        kinds = account_type[active]
        rng = world.rng("meter-day", day.isoformat())
        factor = weekday[kinds, day.weekday()] * season[kinds, day.month - 1]
        sigma = noise_sigma[kinds]
        noise = np.exp(rng.standard_normal(active.size) * sigma - 0.5 * sigma**2)
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
