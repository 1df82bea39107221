"""The statistics bureau's feeds of the sample world: energy, supply, GDP, population, output.

File naming follows the contract, ``<period>[_<report_type>].<ext>``. A report is delivered
when it has arrived by the world's as-of date (``sample.arrivals``: the delivery calendar):
annual finals ten months after their year, monthly quick reports (快报) 20 days after their
month for the year in progress and the ``QUICK_HISTORY_YEARS`` before it, so a year whose
final came in carries the annual revision of its quicks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ingest.feeds import ENERGY_SUPPLY, GDP, INDUSTRIAL_OUTPUT
from sample import parameters as p
from sample.arrivals import has_arrived
from sample.energy import ENERGY_COLUMNS, EnergyModel, format_quantities
from sample.output import county_output_t, sample_products
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv, write_xlsx

ENERGY_FEED = "stats/energy_consumption"


def arrived(world: World, feed: str, report_type: str | None, start: dt.date) -> bool:
    return has_arrived(feed, report_type, start, world.as_of)


def annual_years(world: World) -> list[int]:
    """Years whose annual finals (年报) are out by the as-of date (the yearbook's season)."""
    return [
        year for year in world.years if arrived(world, ENERGY_FEED, "annual", dt.date(year, 1, 1))
    ]


def quick_years(world: World) -> list[int]:
    """Years delivered as quick reports: the year in progress and QUICK_HISTORY_YEARS before."""
    first = max(world.first_year, world.last_year - p.QUICK_HISTORY_YEARS)
    return list(range(first, world.last_year + 1))


def quick_months(world: World, feed: str, year: int) -> list[int]:
    """The months of ``year`` whose monthly quick report of ``feed`` has arrived."""
    return [m for m in range(1, 13) if arrived(world, feed, "quick", dt.date(year, m, 1))]


# --- stats/energy_consumption ------------------------------------------------------------


def energy_rows(
    model: EnergyModel, table: pl.DataFrame, period: str, report_type: str, seed_key: str
) -> pl.DataFrame:
    frame = table.join(model.flow_attributes(), on="flow", how="left")
    world = model.world
    frame = format_quantities(
        frame,
        world.rng("energy-units", seed_key),
        world.unit_multipliers,
        world.vocabulary.canonical_units,
    )
    return (
        frame.with_columns(
            pl.lit(period).alias("period"),
            pl.lit(report_type).alias("report_type"),
            pl.col("reporting_units").cast(pl.String),
        )
        .select(ENERGY_COLUMNS)
        .sort("division_code", "industry_code", "energy_name", "use")
    )


def write_energy_consumption(world: World, model: EnergyModel, recorder: Recorder) -> None:
    feed = "stats/energy_consumption"
    for year in annual_years(world):
        frame = energy_rows(model, model.county_table(year), str(year), "annual", f"{year}")
        # Older finals came out of Excel with a byte-order mark.
        encoding = "utf-8-sig" if year <= 2017 else "utf-8"
        path = recorder.path(feed, f"{year}_annual.csv")
        recorder.record(feed, frame.height, write_csv(frame, path, encoding=encoding))
    for year in quick_years(world):
        table = model.county_table(year).join(
            model.flow_attributes().select("flow", "shape"), on="flow", how="left"
        )
        rng = world.rng("energy-quick", year)
        for month in range(1, 13):
            noise = rng.lognormal(0.0, 0.03, table.height)
            if month not in quick_months(world, feed, year):
                continue
            share = table["shape"].replace_strict(
                {name: shape[month - 1] for name, shape in p.MONTHLY_SHAPES.items()},
                return_dtype=pl.Float64,
            )
            monthly = table.with_columns(
                pl.col("quantity") * share * (1.0 - p.QUICK_UNDERCOUNT) * pl.Series(noise)
            ).drop("shape")
            period = f"{year}-{month:02d}"
            frame = energy_rows(model, monthly, period, "quick", period)
            path = recorder.path(feed, f"{period}_quick.csv")
            recorder.record(feed, frame.height, write_csv(frame, path))


# --- stats/energy_supply -----------------------------------------------------------------

SUPPLY_COLUMNS = list(ENERGY_SUPPLY.columns)  # the contract's columns, in its order


def _city_shares(world: World, county_weights: np.ndarray) -> dict[str, float]:
    """Aggregate county weights to city codes (shares summing to 1)."""
    frame = pl.DataFrame(
        {"city_code": world.counties["city_code"], "weight": np.asarray(county_weights, float)}
    )
    totals = frame.group_by("city_code").agg(pl.col("weight").sum())
    total = totals["weight"].sum()
    return {code: weight / total for code, weight in totals.iter_rows()}


def supply_lines(world: World, year: int) -> list[tuple[str, str, float, dict[str, float]]]:
    """(energy, item, province quantity in 万吨/亿立方米/亿千瓦时, city shares) of a year."""
    profiles = world.profiles
    coal = p.interpolate(p.RAW_COAL_PRODUCTION_10K_T, year)
    coke = p.interpolate(p.INDUSTRIAL_OUTPUT_10K_T["焦炭"], year)
    gas = p.interpolate(p.NATURAL_GAS_PRODUCTION_100M_M3, year)
    generation = p.interpolate(p.GENERATION_100M_KWH, year)
    exported = p.interpolate(p.EXPORTED_100M_KWH, year)
    non_fossil_share = min(0.25, 0.06 + 0.017 * max(0, year - 2015))
    plants = world.plants
    primary = sorted(world.vocabulary.primary_electricity_fuel_types)
    renewables = plants.filter(pl.col("fuel_type").is_in(primary))
    renewable_by_county = dict(
        renewables.group_by("division_code").agg(pl.col("capacity_mw").sum()).iter_rows()
    )
    renewable_weight = np.array([renewable_by_county.get(c, 0.0) for c in world.county_codes])
    export_weight = np.array(
        [
            plants.filter(pl.col("export_oriented") & (pl.col("division_code") == c))[
                "capacity_mw"
            ].sum()
            for c in world.county_codes
        ]
    )
    coal_share = _city_shares(world, profiles["coal"])
    coke_share = _city_shares(world, world.industry_weights["25"])
    gas_share = _city_shares(world, profiles["coalbed_methane"])
    people = _city_shares(world, profiles["population"])
    return [
        ("原煤", "一次能源生产量", coal, coal_share),
        ("原煤", "外省(市)调入量", coal * 0.035, people),
        ("原煤", "调出到外省(市)量", coal * 0.62, coal_share),
        ("原煤", "出口量", coal * 0.0008, coal_share),
        ("原煤", "库存增(-)减(+)量", coal * -0.004, coal_share),
        ("焦炭", "外省(市)调入量", coke * 0.02, coke_share),
        ("焦炭", "调出到外省(市)量", coke * 0.55, coke_share),
        ("焦炭", "出口量", coke * 0.012, coke_share),
        ("焦炭", "库存增(-)减(+)量", coke * 0.003, coke_share),
        ("天然气", "一次能源生产量", gas, gas_share),
        ("天然气", "外省(市)调入量", gas * 0.45, people),
        ("天然气", "调出到外省(市)量", gas * 0.62, gas_share),
        (
            "电力",
            "一次能源生产量",
            generation * non_fossil_share,
            _city_shares(world, renewable_weight),
        ),
        ("电力", "外省(市)调入量", 25.0, people),
        ("电力", "调出到外省(市)量", exported, _city_shares(world, export_weight)),
        (
            "汽油",
            "外省(市)调入量",
            420.0 * p.interpolate(p.GROUP_TRENDS["transport"], year),
            people,
        ),
        (
            "柴油",
            "外省(市)调入量",
            610.0 * p.interpolate(p.GROUP_TRENDS["transport"], year),
            people,
        ),
        ("液化天然气", "外省(市)调入量", 35.0 * (1.08 ** (year - 2015)), people),
    ]


SUPPLY_UNITS = {
    "原煤": "万吨", "焦炭": "万吨", "汽油": "万吨", "柴油": "万吨", "液化天然气": "万吨",
    "天然气": "亿立方米", "电力": "亿千瓦时",
}  # fmt: skip


def write_energy_supply(world: World, recorder: Recorder) -> None:
    """Province and city rows per year; GB18030 with CRLF, as the bureau's exports come."""
    feed = "stats/energy_supply"
    province = world.divisions.province_code
    for year in world.years:
        start = dt.date(year, 1, 1)
        if arrived(world, feed, "annual", start):
            report_type = "annual"
        elif arrived(world, feed, "quick", start):
            report_type = "quick"
        else:
            continue
        rng = world.rng("energy-supply", year)
        rows = []
        for energy, item, quantity, shares in supply_lines(world, year):
            unit = SUPPLY_UNITS[energy]
            rows.append((province, energy, item, quantity, unit))
            for city, share in sorted(shares.items()):
                if share <= 0.002:
                    continue
                city_quantity = quantity * share * rng.lognormal(0.0, 0.03)
                city_unit = unit
                if unit == "万吨" and abs(city_quantity) < 50 and rng.random() < 0.5:
                    city_quantity, city_unit = city_quantity * 1e4, "吨"
                if unit == "亿立方米" and rng.random() < 0.3:
                    city_quantity, city_unit = city_quantity * 1e4, "万立方米"
                rows.append((city, energy, item, city_quantity, city_unit))
        decimals = {"万吨": 2, "吨": 0, "亿立方米": 2, "万立方米": 0, "亿千瓦时": 2}
        frame = pl.DataFrame(
            {
                "period": str(year),
                "report_type": report_type,
                "division_code": [r[0] for r in rows],
                "energy_name": [r[1] for r in rows],
                "item": [r[2] for r in rows],
                "quantity": [f"{r[3]:.{decimals[r[4]]}f}" for r in rows],
                "unit": [r[4] for r in rows],
            }
        ).select(SUPPLY_COLUMNS)
        path = recorder.path(feed, f"{year}_{report_type}.csv")
        recorder.record(feed, frame.height, write_csv(frame, path, encoding="gb18030", crlf=True))


# --- stats/gdp ---------------------------------------------------------------------------

GDP_COLUMNS = list(GDP.columns)  # the contract's columns, in its order
# Cities whose economy leans on coal, coke and metals have a larger secondary industry.
CITY_SECONDARY_TILT = {
    "朔州市": 0.12, "吕梁市": 0.12, "晋城市": 0.1, "长治市": 0.08, "阳泉市": 0.05, "太原市": -0.08,
    "运城市": -0.06, "忻州市": 0.0, "临汾市": 0.02, "晋中市": -0.02, "大同市": -0.03,
}  # fmt: skip


def gdp_frame(world: World, year: int, report_type: str) -> pl.DataFrame:
    """Province, city and county GDP of a year; cities and counties do not add up exactly."""
    rng = world.rng("gdp", year, report_type)
    gdp, growth, secondary_share = p.GDP[year] if year in p.GDP else p.GDP[max(p.GDP)]
    if report_type == "quick":  # the preliminary estimate (初步核算) is revised later
        gdp *= 1.0 + rng.normal(-0.004, 0.006)
        growth += round(float(rng.normal(0.0, 0.15)), 1)
    cities = world.divisions.cities
    rows = [(world.divisions.province_code, gdp, growth, gdp * secondary_share)]
    industry = world.industry_weights["31"] + world.industry_weights["25"] + world.profiles["coal"]
    industry = industry / industry.sum()
    people = world.population(year)
    for city in cities.iter_rows(named=True):
        share = p.CITY_GDP_SHARE[city["name_zh"]]
        city_gdp = gdp * share * 1.02 * rng.lognormal(0.0, 0.01)
        city_growth = growth + float(rng.normal(0.0, 1.0))
        tilt = CITY_SECONDARY_TILT.get(city["name_zh"], 0.0)
        city_secondary = city_gdp * float(np.clip(secondary_share + tilt, 0.2, 0.75))
        rows.append((city["division_code"], city_gdp, city_growth, city_secondary))
        mask = (world.counties["city_code"] == city["division_code"]).to_numpy()
        static = world.rng("gdp-county-weights").lognormal(0.0, 0.3, len(mask))
        kind = world.counties["kind"].to_numpy()
        weight = (
            people
            * np.select([kind == "district", kind == "city"], [1.8, 1.3], 0.8)
            * static
            * (1.0 + 8.0 * industry)
        )[mask]
        weight = weight * rng.lognormal(0.0, 0.02, weight.size)
        county_gdp = city_gdp * weight / weight.sum() * (1.0 + rng.normal(0.0, 0.015))
        county_secondary_share = np.clip(
            secondary_share + tilt + 25.0 * industry[mask] + rng.normal(0, 0.04, weight.size),
            0.12,
            0.85,
        )
        county_growth = city_growth + rng.normal(0.0, 1.5, weight.size)
        codes = world.counties["division_code"].to_numpy()[mask]
        for code, value, rate, second in zip(
            codes, county_gdp, county_growth, county_gdp * county_secondary_share, strict=True
        ):
            rows.append((str(code), float(value), float(rate), float(second)))
    return pl.DataFrame(
        {
            "period": str(year),
            "report_type": report_type,
            "division_code": [r[0] for r in rows],
            "gdp_100m_yuan": [round(r[1], 2) for r in rows],
            "real_growth_pct": [round(r[2], 1) for r in rows],
            "secondary_industry_100m_yuan": [round(r[3], 2) for r in rows],
        }
    ).select(GDP_COLUMNS)


def write_gdp(world: World, recorder: Recorder) -> None:
    """XLSX, one workbook per year and report type."""
    feed = "stats/gdp"
    for year in world.years:
        if not arrived(world, feed, "annual", dt.date(year, 1, 1)):
            continue
        frame = gdp_frame(world, year, "annual")
        path = recorder.path(feed, f"{year}_annual.xlsx")
        recorder.record(feed, frame.height, write_xlsx(frame, path, sheet_name="地区生产总值"))
    for year in quick_years(world):
        if not arrived(world, feed, "quick", dt.date(year, 1, 1)):
            continue
        frame = gdp_frame(world, year, "quick")
        path = recorder.path(feed, f"{year}_quick.xlsx")
        recorder.record(feed, frame.height, write_xlsx(frame, path, sheet_name="地区生产总值"))


# --- stats/population --------------------------------------------------------------------


def write_population(world: World, recorder: Recorder) -> None:
    """Resident population of every division and year (UTF-8 with BOM)."""
    feed = "stats/population"
    for year in world.years:
        if not arrived(world, feed, None, dt.date(year, 1, 1)):
            continue
        rng = world.rng("population", year)
        by_city = world.city_population(year)
        county = world.population(year) * rng.lognormal(0.0, 0.004, len(world.county_codes))
        codes = [world.divisions.province_code]
        values = [p.interpolate(p.POPULATION_10K, year)]
        for city in world.divisions.cities.iter_rows(named=True):
            codes.append(city["division_code"])
            values.append(by_city[city["name_zh"]])
        codes += world.county_codes
        values += county.tolist()
        frame = pl.DataFrame(
            {
                "year": str(year),
                "division_code": codes,
                "resident_population_10k": [f"{value:.2f}" for value in values],
            }
        )
        path = recorder.path(feed, f"{year}.csv")
        recorder.record(feed, frame.height, write_csv(frame, path, encoding="utf-8-sig"))


# --- stats/industrial_output -------------------------------------------------------------

OUTPUT_COLUMNS = list(INDUSTRIAL_OUTPUT.columns)  # the contract's columns, in its order
OUTPUT_SHAPE = {"水泥": "cement", "水泥熟料": "cement", "石灰": "cement"}


def output_month_frame(
    world: World, year: int, month: int, report_type: str, annual: dict[str, np.ndarray]
) -> pl.DataFrame:
    """County rows of one month; ``annual`` holds each product's county output (t)."""
    rng = world.rng("industrial-output", year, month, report_type)
    codes = np.array(world.county_codes)
    tonnes_per_case = world.unit_multipliers["重量箱"]  # ref_units: 1 重量箱 = 50 kg
    parts = []
    for product in sample_products(world):
        shape = p.MONTHLY_SHAPES[OUTPUT_SHAPE.get(product, "industry")]
        county = annual[product]
        present = county > 0
        value = county[present] * shape[month - 1] * rng.lognormal(0.0, 0.03, present.sum())
        if report_type == "quick":
            value *= 1.0 - 0.02
        if product in world.vocabulary.weight_case_products:
            cases = value / tonnes_per_case
            in_10k = rng.random(value.size) < 0.5
            text = np.where(in_10k, np.char.mod("%.2f", cases / 1e4), np.char.mod("%.0f", cases))
            unit = np.where(in_10k, "万重量箱", "重量箱")
        else:
            in_10k = rng.random(value.size) < 0.2
            text = np.where(in_10k, np.char.mod("%.4f", value / 1e4), np.char.mod("%.1f", value))
            unit = np.where(in_10k, "万吨", "吨")
        parts.append(
            pl.DataFrame(
                {
                    "division_code": codes[present],
                    "product_name": product,
                    "quantity": text.astype(str),
                    "unit": unit.astype(str),
                }
            )
        )
    return (
        pl.concat(parts)
        .with_columns(
            pl.lit(f"{year}-{month:02d}").alias("period"), pl.lit(report_type).alias("report_type")
        )
        .select(OUTPUT_COLUMNS)
        .sort("division_code", "product_name")
    )


def write_industrial_output(world: World, recorder: Recorder) -> None:
    """Monthly county output per product; GB18030 with CRLF. The quick months arrive 20 days
    after their month; a year's revised months (``_annual``) with the energy finals."""
    feed = "stats/industrial_output"
    for year in world.years:
        products = sample_products(world)
        annual = {product: county_output_t(world, product, year) for product in products}
        report_types = []
        if year in annual_years(world):
            report_types.append("annual")
        if year in quick_years(world):
            report_types.append("quick")
        for report_type in report_types:
            months = quick_months(world, feed, year) if report_type == "quick" else range(1, 13)
            for month in months:
                frame = output_month_frame(world, year, month, report_type, annual)
                path = recorder.path(feed, f"{year}-{month:02d}_{report_type}.csv")
                size = write_csv(frame, path, encoding="gb18030", crlf=True)
                recorder.record(feed, frame.height, size)
