"""The carbon-market registry's feeds of the sample world: entities and annual compliance.

Entities come as a first list (power, 2021) and yearly updates (``entities_YYYY-01-15``):
new power plants, a few renamed or moved entities, and in 2024 the steel, cement and
aluminium plants whose first compliance year is 2024. Every entity is delivered in a file of
its first compliance year at the latest, so a load that goes year by year knows it before its
first compliance record. Updates carry only the changed and new entities; none is deleted.
Compliance for year Y is verified in Y+1 and arrives when the delivery calendar has it due
(31 December of Y+1); an entity file arrives on its date. Only what has arrived by the world's
as-of date is delivered.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ingest.feeds import ETS_COMPLIANCE, ETS_ENTITIES
from sample.arrivals import has_arrived, landing_day
from sample.output import county_output_t
from sample.power import PowerModel
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv, write_xlsx

ETS_START = 2021  # first compliance year of the national market (power)
EXPANSION_FIRST_YEAR = 2024  # steel, cement, aluminium: first compliance for 2024 emissions
EXPANSION_LISTED = 2024  # ... listed with the 2024 update (the plan was announced in 2024)
ENTITY_COLUMNS = list(ETS_ENTITIES.columns)  # the contract's columns, in its order
COMPLIANCE_COLUMNS = list(ETS_COMPLIANCE.columns)  # the contract's columns, in its order
# Verified tCO2 per tonne of product (steel incl. its process; clinker incl. calcination;
# aluminium: anodes and fuel), ranges typical of the sectors' verification reports.
INTENSITY_TCO2_PER_T = {"粗钢": (1.75, 2.1), "水泥熟料": (0.82, 0.9), "电解铝": (1.55, 1.75)}
RENAMED_OWNER = "晋能控股"  # Shanxi's 2020 merger of coal and power groups


def entity_deliveries(world: World) -> list[tuple[dt.date, pl.DataFrame]]:
    """The entity files: (delivery date, rows), first list then yearly updates."""
    entities = world.ets_entities
    if world.last_year < ETS_START:
        return []
    rng = world.rng("entity-updates")
    power_sector = world.vocabulary.power_sector.ets_sector
    power = entities.filter(pl.col("ets_sector") == power_sector)
    first = power.filter(pl.col("first_year") == ETS_START)
    deliveries = [(dt.date(ETS_START, 3, 31), first)]
    current = {row["entity_id"]: row for row in first.iter_rows(named=True)}
    for year in range(ETS_START + 1, world.last_year + 1):
        changes: list[dict] = []
        new = power.filter(pl.col("first_year") == year)
        changes += list(new.iter_rows(named=True))
        if year == EXPANSION_LISTED:
            expansion = entities.filter(pl.col("ets_sector") != power_sector)
            changes += list(expansion.iter_rows(named=True))
        known = sorted(current)
        if year % 2 == 1 and known:  # a few renamed entities
            for entity_id in rng.choice(known, size=min(3, len(known)), replace=False):
                row = dict(current[entity_id])
                if not row["entity_name"].startswith(f"山西{RENAMED_OWNER}"):
                    row["entity_name"] = f"山西{RENAMED_OWNER}" + row["entity_name"][4:]
                    changes.append(row)
        if year % 2 == 0 and known:  # a few moved to another county of the same city
            codes = world.counties
            for entity_id in rng.choice(known, size=min(2, len(known)), replace=False):
                row = dict(current[entity_id])
                city = codes.filter(pl.col("division_code") == row["division_code"])["city_code"]
                siblings = codes.filter(
                    (pl.col("city_code") == city[0])
                    & (pl.col("division_code") != row["division_code"])
                )["division_code"].to_list()
                if siblings:
                    row["division_code"] = str(rng.choice(siblings))
                    changes.append(row)
        if not changes:
            continue
        frame = pl.DataFrame(changes, schema=entities.schema).unique("entity_id", keep="last")
        deliveries.append((dt.date(year, 1, 15), frame.sort("entity_id")))
        for row in frame.iter_rows(named=True):
            current[row["entity_id"]] = row
    # Before the world's range only the registry's state matters: one list at its start.
    start = dt.date(world.first_year, 1, 15)
    early = [frame for date, frame in deliveries if date <= start]
    if early:
        merged = pl.concat(early).unique("entity_id", keep="last", maintain_order=True)
        deliveries = [(start, merged.sort("entity_id"))] + [
            (date, frame) for date, frame in deliveries if date > start
        ]
    return [(date, frame) for date, frame in deliveries if date <= landing_day(world.as_of)]


def write_entities(world: World, recorder: Recorder) -> pl.DataFrame:
    """Write the entity files; returns every delivered entity (latest version)."""
    feed = "ets/entities"
    delivered = []
    for date, frame in entity_deliveries(world):
        text = frame.select(ENTITY_COLUMNS).with_columns(pl.col("first_year").cast(pl.String))
        path = recorder.path(feed, f"entities_{date.isoformat()}.csv")
        recorder.record(feed, text.height, write_csv(text, path))
        delivered.append(frame)
    if not delivered:
        return world.ets_entities.clear()
    return pl.concat(delivered).unique("entity_id", keep="last", maintain_order=True)


def compliance_frame(
    world: World, model: PowerModel, entities: pl.DataFrame, year: int
) -> pl.DataFrame:
    """Verified emissions, allocations and surrenders of ``year`` for the covered entities."""
    rng = world.rng("compliance", year)
    covered = entities.filter(pl.col("first_year") <= year).sort("entity_id")
    annual = model.annual(year).select("plant_id", "generation_mwh", "tco2")
    covered = covered.join(annual, on="plant_id", how="left")
    power = world.vocabulary.power_sector.ets_sector
    output_units = {s.ets_sector: s.output_unit for s in world.vocabulary.ets_sectors}
    rows = []
    for entity in covered.iter_rows(named=True):
        unit = output_units[entity["ets_sector"]]
        if entity["ets_sector"] == power:
            output = entity["generation_mwh"] or 0.0
            verified = (entity["tco2"] or 0.0) * rng.lognormal(0.0, 0.02)
            allocation_ratio = rng.normal(0.985, 0.025)
        else:
            product = entity["product"]
            index = world.county_codes.index(entity["division_code"])
            output = county_output_t(world, product, year)[index] * entity["output_share"]
            verified = output * rng.uniform(*INTENSITY_TCO2_PER_T[product])
            allocation_ratio = rng.normal(0.99, 0.02)
        if verified <= 0:
            continue
        verified = round(verified)
        ccer = round(verified * rng.uniform(0.005, 0.045)) if rng.random() < 0.25 else 0
        required = verified - ccer
        compliant = rng.random() > 0.04
        surrendered = required if compliant else round(required * rng.uniform(0.85, 0.98))
        verification = dt.date(year + 1, 3, 1) + dt.timedelta(days=int(rng.integers(0, 200)))
        rows.append(
            {
                "compliance_year": str(year),
                "entity_id": entity["entity_id"],
                "verified_emissions_tco2": float(verified),
                "allocated_allowances_tco2": float(round(verified * allocation_ratio)),
                "surrendered_allowances_tco2": float(surrendered),
                "ccer_offset_tco2": float(ccer),
                "output_quantity": round(float(output), 1),
                "output_unit": unit,
                "verification_date": verification.isoformat(),
            }
        )
    return pl.DataFrame(
        rows,
        schema=dict.fromkeys(COMPLIANCE_COLUMNS, pl.String)
        | {
            column: pl.Float64
            for column in COMPLIANCE_COLUMNS
            if column.endswith("_tco2") or column == "output_quantity"
        },
    )


def write_compliance(
    world: World, model: PowerModel, entities: pl.DataFrame, recorder: Recorder
) -> None:
    """One XLSX per compliance year, for the years already verified."""
    feed = "ets/compliance"
    for year in range(max(ETS_START, world.first_year), world.last_year + 1):
        if not has_arrived(feed, None, dt.date(year, 1, 1), world.as_of):
            continue
        frame = compliance_frame(world, model, entities, year)
        if frame.height == 0:
            continue
        path = recorder.path(feed, f"{year}.xlsx")
        recorder.record(feed, frame.height, write_xlsx(frame, path, sheet_name="清缴"))


def compliance_summary(frame: pl.DataFrame) -> dict[str, float]:
    """Totals used by tests and the docs: verified Mt, share compliant."""
    short = (
        frame["surrendered_allowances_tco2"] + frame["ccer_offset_tco2"]
        < frame["verified_emissions_tco2"]
    )
    return {
        "verified_mt": float(frame["verified_emissions_tco2"].sum() / 1e6),
        "compliant_share": float(1.0 - np.mean(short.to_numpy())) if frame.height else 1.0,
    }
