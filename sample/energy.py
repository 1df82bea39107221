"""Energy statistics of the sample world: consumption by county, industry, variety and use.

The province's flows of a year are the 2019 structure (parameters.BASE_FLOWS) moved by
sector trends, then scaled so that combustion CO2 (with the warehouse's factor seed) plus
clinker process CO2 equals the calibration target; electricity is scaled to the year's
consumption. Each flow is then spread over the counties that have the industry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from ingest.feeds import ENERGY_CONSUMPTION
from sample import parameters as p
from sample.fleet import Fleet, days_in_year
from sample.output import process_tco2
from sample.seeds import Vocabulary
from sample.world import World

# Delivered unit choices: canonical unit -> (default unit, [(alternative, probability,
# condition on the canonical quantity)]).
UNIT_CHOICES: dict[str, tuple[str, list[tuple[str, float, float, float]]]] = {
    "t": ("吨", [("万吨", 0.25, 1e5, np.inf)]),
    "m3": ("万立方米", [("亿立方米", 0.2, 1e8, np.inf), ("立方米", 0.15, 0.0, 1e6)]),
    "MWh": (
        "万千瓦时",
        [
            ("亿千瓦时", 0.15, 1e5, np.inf),
            ("千瓦时", 0.08, 0.0, 1e4),
            ("兆瓦时", 0.07, 0.0, np.inf),
        ],
    ),
    "GJ": ("吉焦", [("百万千焦", 0.3, 0.0, np.inf)]),
    "tce": ("吨标准煤", [("万吨标准煤", 0.2, 1e4, np.inf)]),
}
UNIT_DECIMALS = {
    "吨": 2, "万吨": 4, "立方米": 0, "万立方米": 2, "亿立方米": 4, "千瓦时": 0,
    "万千瓦时": 2, "亿千瓦时": 4, "兆瓦时": 1, "吉焦": 1, "百万千焦": 1, "吨标准煤": 2,
    "万吨标准煤": 4,
}  # fmt: skip

ENERGY_COLUMNS = list(ENERGY_CONSUMPTION.columns)  # the contract's columns, in its order

# Mean number of reporting enterprises per county for the widespread industries.
REPORTING_UNITS_MEAN = {
    "06": 12, "07": 1, "08": 2, "09": 1, "10": 2, "25": 4, "26": 3, "45": 1, "46": 1,
    "47": 10, "48": 6, "01": 4, "03": 3, "05": 3, "53": 1, "54": 12, "55": 1, "56": 0,
    "57": 1, "59": 3, "60": 1, "51": 15, "52": 18, "61": 8, "62": 10, "64": 3, "70": 12,
    "78": 4, "83": 20, "84": 12, "92": 25,
}  # fmt: skip


def monthly_shape(industry: str, energy: str, use: str, vocabulary: Vocabulary) -> str:
    """Which monthly profile a flow follows (see parameters.MONTHLY_SHAPES)."""
    group = p.INDUSTRIES[industry][0]
    use_shape = p.USE_SHAPES.get(use)
    if use_shape == "heating" or energy == vocabulary.heat:
        return "heating"
    if industry.startswith("HH_"):
        return "household_electricity" if energy == vocabulary.electricity else "heating"
    if group == "services" and energy in p.SERVICES_HEATING_FUELS:
        return "heating"
    if industry == "44" or use_shape == "power":
        return "power"
    if industry == "30":
        return "cement"
    if group in {"transport", "agriculture"}:
        return group
    return "industry"


def transformation_index(use: str, group: str, year: int) -> float:
    driver = p.TRANSFORMATION_DRIVERS.get(use)
    if driver is not None:
        return p.interpolate(driver, year) / p.interpolate(driver, p.BASE_YEAR)
    return p.interpolate(p.GROUP_TRENDS[group], year)


@dataclass(frozen=True)
class Smelter:
    """A new aluminium smelter (parameters.NEW_SMELTERS)."""

    division_code: str
    opened_on: dt.date
    tonnes_per_year: float

    def mwh(self, year: int) -> float:
        """Its electricity of ``year`` (MWh): from its first day on."""
        days = days_in_year(year)
        if year < self.opened_on.year:
            return 0.0
        start = self.opened_on.timetuple().tm_yday if year == self.opened_on.year else 1
        running = (days - start + 1) / days
        return self.tonnes_per_year * p.SMELTER_KWH_PER_T / 1000.0 * running


def new_smelters(world: World) -> list[Smelter]:
    return [
        Smelter(world.divisions.county_code(city, county), dt.date.fromisoformat(day), tonnes)
        for city, county, day, tonnes in p.NEW_SMELTERS
    ]


def fuel_switched_share(first_year: int, per_year: float, year: int) -> float:
    """Share of a county's heating coal switched by ``year`` (parameters.FUEL_SWITCHING)."""
    if year < first_year:
        return 0.0
    return min(p.FUEL_SWITCHING_MAX_SHARE, per_year * (year - first_year + 1))


class EnergyModel:
    """Province flows and their county cells for every year of a world."""

    def __init__(self, world: World):
        self.world = world
        self.fleet = Fleet(world)
        self._county_tables: dict[int, pl.DataFrame] = {}

    @cached_property
    def base_flows(self) -> pl.DataFrame:
        """The 2019 flows in canonical units, with their group and combustion CO2 factor."""
        factors = self.world.factors
        vocabulary = self.world.vocabulary
        # Quantity of one unit of the flow tables in the canonical unit: ref_units, and the
        # flow tables' own units.
        to_canonical = self.world.unit_multipliers | p.FLOW_UNITS_OUTSIDE_THE_CONTRACT
        rows = []
        for industry, energy, use, amount, unit in p.BASE_FLOWS:
            is_combustion = (
                use in vocabulary.combustion_uses and energy in vocabulary.fossil_varieties
            )
            if is_combustion and energy not in factors:
                raise KeyError(f"the energy factor seed has no factor for {energy}")
            if unit == "MtCO2":
                quantity = amount * 1e6 / factors[energy]
            else:
                quantity = amount * to_canonical[unit]
            rows.append(
                {
                    "industry_code": industry,
                    "energy_name": energy,
                    "use": use,
                    "group": p.INDUSTRIES[industry][0],
                    "base_quantity": quantity,
                    "is_combustion": is_combustion,
                    "co2_per_unit": factors[energy] if is_combustion else 0.0,
                    "shape": monthly_shape(industry, energy, use, vocabulary),
                }
            )
        return pl.DataFrame(rows).with_row_index("flow")

    def target_combustion_tco2(self, year: int) -> float:
        """Scope-1 target minus the process CO2 of the year's industrial output."""
        total = p.interpolate(p.PROVINCE_SCOPE1_MT, year) * 1e6
        return total - process_tco2(self.world, year)

    def province_flows(self, year: int) -> pl.DataFrame:
        """Flows of ``year`` (canonical quantities) calibrated to the year's targets."""
        flows = self.base_flows
        electricity, heat = self.world.vocabulary.electricity, self.world.vocabulary.heat
        index = []
        for row in flows.iter_rows(named=True):
            energy, use, group = row["energy_name"], row["use"], row["group"]
            if energy == electricity:
                value = (
                    p.interpolate(p.ELECTRICITY_100M_KWH, year)
                    / p.ELECTRICITY_100M_KWH[p.BASE_YEAR]
                    * (1.0 + p.ELECTRICITY_SHIFT_PER_YEAR[group]) ** (year - p.BASE_YEAR)
                )
            elif energy == heat:
                value = (1.0 + p.HEAT_INDEX_PER_YEAR) ** (year - p.BASE_YEAR)
            elif not row["is_combustion"]:
                value = transformation_index(use, group, year)
            else:
                value = p.interpolate(p.GROUP_TRENDS[group], year)
            index.append(value)
        flows = flows.with_columns((pl.col("base_quantity") * pl.Series(index)).alias("quantity"))
        co2 = (flows["quantity"] * flows["co2_per_unit"]).sum()
        combustion_scale = self.target_combustion_tco2(year) / co2
        electricity_quantity = flows.filter(pl.col("energy_name") == electricity)["quantity"].sum()
        electricity_scale = p.interpolate(p.ELECTRICITY_100M_KWH, year) * 1e5 / electricity_quantity
        return flows.with_columns(
            pl.when(pl.col("is_combustion"))
            .then(pl.col("quantity") * combustion_scale)
            .when(pl.col("energy_name") == electricity)
            .then(pl.col("quantity") * electricity_scale)
            .otherwise(pl.col("quantity"))
            .alias("quantity")
        )

    @cached_property
    def cells(self) -> pl.DataFrame:
        """Static county cells of every flow: flow, division_code, weight, reporting_units."""
        world = self.world
        codes = np.array(world.county_codes)
        n = len(codes)
        flows = self.base_flows
        industry_co2 = (
            flows.with_columns((pl.col("base_quantity") * pl.col("co2_per_unit")).alias("co2"))
            .group_by("industry_code")
            .agg(pl.col("co2").sum())
        )
        co2_by_industry = dict(industry_co2.iter_rows())
        urban = world.profiles["urban"] / world.profiles["urban"].sum()
        electricity, heat = world.vocabulary.electricity, world.vocabulary.heat
        units_by_industry = self._reporting_units()
        power_industry = world.vocabulary.power_sector.industry_code
        coal_counties = np.isin(
            codes,
            world.plants.filter(
                pl.col("fuel_type").is_in(sorted(world.vocabulary.coal_fired_fuel_types))
            )["division_code"].to_list(),
        )
        parts = []
        for row in flows.iter_rows(named=True):
            industry, energy, use = row["industry_code"], row["energy_name"], row["use"]
            if self.is_coal_for_power(industry, energy, use):
                # Every county with a coal plant; the weights of a year are the plants' coal use.
                keep = coal_counties
                parts.append(
                    pl.DataFrame(
                        {
                            "flow": np.full(keep.sum(), row["flow"], dtype=np.uint32),
                            "division_code": codes[keep],
                            "weight": np.full(keep.sum(), 1.0 / keep.sum()),
                            "reporting_units": units_by_industry[power_industry][keep],
                        }
                    )
                )
                continue
            rng = world.rng("cells", industry, energy, use)
            weight = world.industry_weights[industry].copy()
            if p.USE_SHAPES.get(use) == "heating":  # heat plants sit in the towns
                weight = 0.5 * weight + 0.5 * urban
            weight = weight * rng.lognormal(0.0, 0.25, n)
            share = (
                row["base_quantity"] * row["co2_per_unit"] / co2_by_industry[industry]
                if co2_by_industry[industry] > 0
                else 1.0
            )
            if energy == electricity or (not row["is_combustion"] and energy != heat):
                presence = 1.0
            elif energy == heat:
                presence = 0.9 if industry in {"HH_URBAN", "70", "83", "92"} else 0.5
            else:
                presence = float(np.clip(0.35 + 2.0 * share, 0.35, 1.0))
            present = (weight > 0) & (rng.random(n) < presence)
            if not present.any():
                present = weight == weight.max()
            weight = np.where(present, weight, 0.0)
            main_flow = energy == electricity or share > 0.3 or not row["is_combustion"]
            units = units_by_industry[industry]
            if units is None:
                row_units = np.full(n, -1)
            elif main_flow:
                row_units = units
            else:
                row_units = 1 + rng.binomial(np.maximum(units - 1, 0), 0.6)
            keep = present
            parts.append(
                pl.DataFrame(
                    {
                        "flow": np.full(keep.sum(), row["flow"], dtype=np.uint32),
                        "division_code": codes[keep],
                        "weight": weight[keep] / weight[keep].sum(),
                        "reporting_units": row_units[keep],
                    }
                )
            )
        return pl.concat(parts).with_columns(
            pl.when(pl.col("reporting_units") >= 0).then(pl.col("reporting_units")).cast(pl.Int64)
        )

    def _reporting_units(self) -> dict[str, np.ndarray | None]:
        """Enterprises behind each county x industry (None for households)."""
        world = self.world
        codes = world.county_codes
        entities = world.ets_entities
        vocabulary = world.vocabulary
        thermal = sorted(vocabulary.thermal_fuel_types)
        plants = world.plants.filter(pl.col("fuel_type").is_in(thermal))
        plant_count = dict(plants.group_by("division_code").len().iter_rows())
        # Carbon-market sectors whose entities make a product, by industry (ref_ets_sectors).
        product_sectors = {s.industry_code: s.ets_sector for s in vocabulary.product_sectors}
        result: dict[str, np.ndarray | None] = {}
        for industry, weight in world.industry_weights.items():
            if industry.startswith("HH_"):
                result[industry] = None
                continue
            rng = world.rng("reporting-units", industry)
            n = len(codes)
            if industry == vocabulary.power_sector.industry_code:
                base = np.array([plant_count.get(code, 0) for code in codes])
                units = base + rng.poisson(1.2, n)
            elif industry in product_sectors and product_sectors[industry] in p.ETS_UNCOVERED_UNITS:
                sector = product_sectors[industry]
                counts = dict(
                    entities.filter(pl.col("ets_sector") == sector)
                    .group_by("division_code")
                    .len()
                    .iter_rows()
                )
                extra = p.ETS_UNCOVERED_UNITS[sector]
                units = np.array([counts.get(code, 0) for code in codes]) + rng.poisson(extra, n)
            else:
                mean = REPORTING_UNITS_MEAN.get(industry, 3)
                present = weight[weight > 0]
                relative = np.where(weight > 0, weight / present.mean(), 0.0) if present.size else 0
                units = rng.poisson(mean * np.sqrt(relative))
            result[industry] = np.clip(units, 1, 40)
        return result

    def is_coal_for_power(self, industry: str, energy: str, use: str) -> bool:
        """A flow of coal burnt by the coal-fired plants (44 x 火力发电 of
        parameters.COAL_FOR_POWER_VARIETIES)."""
        vocabulary = self.world.vocabulary
        return (
            industry == vocabulary.power_sector.industry_code
            and p.USE_SHAPES.get(use) == "power"
            and energy in p.COAL_FOR_POWER_VARIETIES
        )

    @cached_property
    def coal_for_power_flows(self) -> list[int]:
        return [
            row["flow"]
            for row in self.base_flows.iter_rows(named=True)
            if self.is_coal_for_power(row["industry_code"], row["energy_name"], row["use"])
        ]

    def switching_multipliers(self, year: int) -> pl.DataFrame:
        """flow, division_code, multiplier of the cells moved by fuel switching in ``year``."""
        flows = self.base_flows
        rows = []
        for city, county, first_year, per_year, to in p.FUEL_SWITCHING:
            share = fuel_switched_share(first_year, per_year, year)
            if share == 0.0:
                continue
            code = self.world.divisions.county_code(city, county)
            for row in flows.iter_rows(named=True):
                if row["industry_code"] not in p.FUEL_SWITCHING_INDUSTRIES:
                    continue
                if row["energy_name"] in p.FUEL_SWITCHING_COAL:
                    multiplier = 1.0 - share
                elif row["energy_name"] == to:
                    multiplier = 1.0 + share * p.FUEL_SWITCHING_GAIN[to]
                else:
                    continue
                rows.append((row["flow"], code, multiplier))
        return pl.DataFrame(
            rows,
            schema={"flow": pl.UInt32, "division_code": pl.String, "multiplier": pl.Float64},
            orient="row",
        )

    @cached_property
    def smelters(self) -> list[Smelter]:
        return new_smelters(self.world)

    @cached_property
    def smelter_flow(self) -> int:
        vocabulary = self.world.vocabulary
        (flow,) = self.base_flows.filter(
            (pl.col("industry_code") == p.SMELTER_INDUSTRY)
            & (pl.col("energy_name") == vocabulary.electricity)
        )["flow"]
        return flow

    def smelter_mwh(self, year: int) -> dict[str, float]:
        """The new smelters' electricity of ``year`` by county (MWh)."""
        by_county: dict[str, float] = {}
        for smelter in self.smelters:
            by_county[smelter.division_code] = by_county.get(
                smelter.division_code, 0.0
            ) + smelter.mwh(year)
        return by_county

    def county_table(self, year: int) -> pl.DataFrame:
        """County cells of ``year``: flow, division_code, quantity (canonical), units.

        Each flow's province quantity spread by the cells' weights, jittered by year and moved
        by fuel switching; the coal for power follows the coal plants' coal use of the year;
        the new smelters' electricity is their county's, out of the flow's province total.
        """
        if year not in self._county_tables:
            self._county_tables[year] = self._county_table(year)
        return self._county_tables[year]

    def _county_table(self, year: int) -> pl.DataFrame:
        flows = self.province_flows(year).select("flow", "quantity")
        cells = self.cells
        rng = self.world.rng("county-year", year)
        jitter = rng.lognormal(0.0, 0.05, cells.height)
        coal_use = self.fleet.coal_tce_by_county(year)
        coal_for_power = pl.col("flow").is_in(self.coal_for_power_flows)
        smelters = self.smelter_mwh(year)
        extra = (
            pl.when(pl.col("flow") == self.smelter_flow)
            .then(
                pl.col("division_code").replace_strict(
                    smelters, default=0.0, return_dtype=pl.Float64
                )
            )
            .otherwise(0.0)
        )
        return (
            cells.join(self.switching_multipliers(year), on=["flow", "division_code"], how="left")
            .with_columns(
                pl.when(coal_for_power)
                .then(
                    pl.col("division_code").replace_strict(
                        coal_use, default=0.0, return_dtype=pl.Float64
                    )
                )
                .otherwise(
                    pl.col("weight") * pl.Series(jitter) * pl.col("multiplier").fill_null(1.0)
                )
                .alias("weight"),
                extra.alias("extra"),
            )
            .with_columns(pl.col("weight") / pl.col("weight").sum().over("flow"))
            .join(flows, on="flow", how="left")
            .with_columns(
                (
                    (pl.col("quantity") - pl.col("extra").sum().over("flow")) * pl.col("weight")
                    + pl.col("extra")
                ).alias("quantity")
            )
            .drop("weight", "multiplier", "extra")
        )

    def coal_for_power_tce(self, year: int) -> dict[str, float]:
        """The statistics' coal for power (COAL_FOR_POWER_VARIETIES, tce) per county."""
        world = self.world
        table = self.county_table(year).filter(pl.col("flow").is_in(self.coal_for_power_flows))
        names = self.base_flows.select("flow", "energy_name")
        table = table.join(names, on="flow")
        tce = table.with_columns(
            (
                pl.col("quantity")
                * pl.col("energy_name").replace_strict(
                    world.ncv_gj_per_unit, return_dtype=pl.Float64
                )
                / p.GJ_PER_TCE
            ).alias("tce")
        )
        return dict(tce.group_by("division_code").agg(pl.col("tce").sum()).iter_rows())

    def flow_attributes(self) -> pl.DataFrame:
        return self.base_flows.select(
            "flow", "industry_code", "energy_name", "use", "shape", "co2_per_unit"
        )


def format_quantities(
    frame: pl.DataFrame,
    rng: np.random.Generator,
    unit_multipliers: dict[str, float],
    canonical_units: dict[str, str],
) -> pl.DataFrame:
    """Pick a delivered unit per row, convert and format ``quantity`` as decimal text.

    Expects ``quantity`` in canonical units and ``energy_name``; drops rows that round to 0.
    ``canonical_units`` is each variety's canonical unit (ref_energy_varieties).
    """
    names = frame["energy_name"].unique().to_list()
    canonical = frame["energy_name"].replace_strict({n: canonical_units[n] for n in names})
    quantity = frame["quantity"].to_numpy()
    draw = rng.random(frame.height)
    units = np.empty(frame.height, dtype=object)
    for kind, (default, alternatives) in UNIT_CHOICES.items():
        mask = (canonical == kind).to_numpy()
        units[mask] = default
        threshold = 0.0
        for alternative, probability, low, high in alternatives:
            chosen = (
                mask
                & (draw >= threshold)
                & (draw < threshold + probability)
                & (quantity >= low)
                & (quantity < high)
            )
            units[chosen] = alternative
            threshold += probability
    multiplier = np.array([unit_multipliers[unit] for unit in units])
    decimals = np.array([UNIT_DECIMALS[unit] for unit in units])
    scale = 10.0**decimals
    value = np.round(quantity / multiplier * scale) / scale
    nonzero = value > 0
    text = pl.Series(value).cast(pl.String)
    return frame.with_columns(
        text.alias("quantity"), pl.Series("unit", units, dtype=pl.String)
    ).filter(pl.Series(nonzero))
