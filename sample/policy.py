"""The dual-control decisions of the sample world (policy/targets): the province's allocation
of its 14th-plan carbon-intensity target to the cities, and a later revision of one city's.

The 14th plan's provincial targets themselves are the seed ``ref_plan_targets`` (national
decisions, cited there); the sample delivers only what a province decides for its cities, and
nothing for the 15th plan (not yet allocated: the platform proposes). The values and documents
are synthetic, as every figure of the sample world, and say so: a city's reduction lies within
±2 points of the province's, set by a seeded draw (the allocation method of a real province
weighs development, function and structure; that method is the platform's proposal, not this).
A file is delivered only once its decision exists by the world's landing day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ingest.feeds import FUNCTIONAL_ZONES, POLICY_TARGETS
from reference import read_seed
from sample.arrivals import landing_day
from sample.recorder import Recorder
from sample.world import World
from sample.writers import write_csv

FEED = "policy/targets"
INDICATOR = "co2_intensity_reduction_pct"
ALLOCATED_ON = dt.date(2022, 6, 15)  # the allocation to the cities (synthetic)
REVISED_ON = dt.date(2023, 9, 20)  # one city's target revised (synthetic)
DOCUMENT = "样例数据：晋政发〔2022〕{}号（虚构文号）"
REVISION_DOCUMENT = "样例数据：晋政函〔2023〕{}号（虚构文号）"


def city_targets(world: World) -> pl.DataFrame:
    """The 14th plan's carbon-intensity reduction of every city (half points), in the
    contract's columns, decided on ALLOCATED_ON."""
    seed = read_seed("ref_plan_targets", world.seeds_dir).filter(
        (pl.col("plan_period") == "14th")
        & (pl.col("division_code") == world.divisions.province_code)
        & (pl.col("indicator") == INDICATOR)
    )
    province = float(seed["value"][0])
    rows = []
    for number, code in enumerate(sorted(world.divisions.cities["division_code"]), start=1):
        offset = float(world.rng("policy-targets", code).integers(-4, 5)) / 2
        rows.append(
            {
                "plan_period": "14th",
                "division_code": code,
                "indicator": INDICATOR,
                "base_year": "2020",
                "target_year": "2025",
                "value": f"{province + offset:g}",
                "binding": "约束性",
                "document": DOCUMENT.format(20 + number),
                "decided_on": ALLOCATED_ON.isoformat(),
            }
        )
    return pl.DataFrame(rows).select(POLICY_TARGETS.columns)


def write_policy_targets(world: World, recorder: Recorder) -> None:
    end = landing_day(world.as_of)
    if end < ALLOCATED_ON:
        return
    allocation = city_targets(world)
    out = recorder.path(FEED, f"targets_{ALLOCATED_ON.isoformat()}.csv")
    recorder.record(FEED, allocation.height, write_csv(allocation, out))
    if end < REVISED_ON:
        return
    # The first city's target raised by one point after its mid-term review.
    revised = allocation.head(1).with_columns(
        (pl.col("value").cast(pl.Float64) + 1).map_elements(lambda v: f"{v:g}").alias("value"),
        pl.lit(REVISION_DOCUMENT.format(7)).alias("document"),
        pl.lit(REVISED_ON.isoformat()).alias("decided_on"),
    )
    out = recorder.path(FEED, f"targets_{REVISED_ON.isoformat()}.csv")
    recorder.record(FEED, revised.height, write_csv(revised, out))


ZONES_FEED = "policy/functional_zones"


def functional_zones(world: World) -> pl.DataFrame:
    """Every county's main functional zone and whether it is a resource-based area, in the
    contract's columns. Synthetic, as the whole world: a city district (区) is 城市化地区; a
    county-level city (市) 城市化地区 or 农产品主产区 at even odds; a county (县) 农产品主产区 or
    重点生态功能区 at even odds (seeded draws, not the province's published plan); a county with
    coal mining in the world is resource-based."""
    counties = world.counties
    coal = world.profiles["coal"]
    # The contract's three zones, in its order (a zone added to the seed is not drawn).
    urban, farming, ecological = world.vocabulary.functional_zones[:3]
    rows = []
    for index, (code, kind) in enumerate(counties.select("division_code", "kind").rows()):
        draw = float(world.rng("functional-zone", code).random())
        if kind == "district":
            zone = urban
        elif kind == "city":
            zone = urban if draw < 0.5 else farming
        else:
            zone = farming if draw < 0.5 else ecological
        rows.append(
            {
                "division_code": code,
                "functional_zone": zone,
                "is_resource_based": "true" if coal[index] > 0 else "false",
            }
        )
    return pl.DataFrame(rows).select(FUNCTIONAL_ZONES.columns)


def write_functional_zones(world: World, recorder: Recorder) -> None:
    """One file, dated the world's first day: the classification in force from the start of the
    platform's records (a later file would replace it whole)."""
    dated = dt.date(world.first_year, 1, 1)
    zones = functional_zones(world)
    out = recorder.path(ZONES_FEED, f"zones_{dated.isoformat()}.csv")
    recorder.record(ZONES_FEED, zones.height, write_csv(zones, out))
