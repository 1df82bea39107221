"""The shared sample world: counties and their profiles, the power-plant fleet, ETS entities.

Every feed is drawn from one ``World`` so that they agree with each other: steel is made,
burns coke and is covered by the carbon market in the same counties; the plants of the
generation feed are the carbon market's power entities; the meter accounts belong to the
counties and industries that consume electricity in the statistics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from ingest.uscc import USCC_ALPHABET, make_uscc
from quality.gate import THRESHOLDS_FILE
from sample import parameters as p
from sample.seeds import (
    Divisions,
    Vocabulary,
    load_divisions,
    load_emission_factors,
    load_energy_factor_components,
    load_process_factors,
    load_unit_multipliers,
    load_vocabulary,
)


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A generator that depends only on ``seed`` and the keys (stable across runs)."""
    digest = hashlib.blake2b("|".join(map(str, keys)).encode(), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(digest, "little")])


# Counties named by (city, county) with relative weights, for the concentrated industries.
STEEL_COUNTIES = {
    ("太原市", "尖草坪区"): 10, ("临汾市", "翼城县"): 4, ("临汾市", "曲沃县"): 4,
    ("临汾市", "侯马市"): 4, ("临汾市", "襄汾县"): 3, ("临汾市", "洪洞县"): 2,
    ("运城市", "河津市"): 4, ("运城市", "闻喜县"): 3, ("长治市", "潞城区"): 3,
    ("长治市", "屯留区"): 2, ("长治市", "襄垣县"): 2, ("长治市", "上党区"): 2,
    ("吕梁市", "孝义市"): 3, ("吕梁市", "文水县"): 3, ("吕梁市", "交城县"): 2,
    ("吕梁市", "中阳县"): 3, ("晋中市", "介休市"): 2, ("晋中市", "平遥县"): 1,
    ("阳泉市", "盂县"): 1, ("晋城市", "泽州县"): 2, ("晋城市", "高平市"): 1,
}  # fmt: skip
COKING_COUNTIES = {
    ("晋中市", "介休市"): 8, ("吕梁市", "孝义市"): 10, ("吕梁市", "汾阳市"): 3,
    ("吕梁市", "文水县"): 2, ("吕梁市", "交城县"): 3, ("晋中市", "灵石县"): 4,
    ("临汾市", "洪洞县"): 5, ("临汾市", "襄汾县"): 3, ("运城市", "河津市"): 4,
    ("太原市", "古交市"): 3, ("太原市", "清徐县"): 5, ("长治市", "潞城区"): 4,
    ("长治市", "襄垣县"): 3, ("长治市", "屯留区"): 2, ("长治市", "沁源县"): 2,
    ("晋中市", "平遥县"): 2, ("临汾市", "侯马市"): 2, ("临汾市", "曲沃县"): 2,
    ("临汾市", "乡宁县"): 2, ("晋城市", "阳城县"): 1, ("临汾市", "霍州市"): 2,
    ("吕梁市", "中阳县"): 2, ("吕梁市", "柳林县"): 2, ("晋中市", "寿阳县"): 1,
    ("阳泉市", "盂县"): 1, ("太原市", "万柏林区"): 1,
}  # fmt: skip
ALUMINIUM_SMELTER_COUNTIES = {
    ("吕梁市", "交口县"): 4, ("吕梁市", "孝义市"): 6, ("吕梁市", "兴县"): 4,
    ("运城市", "河津市"): 5, ("忻州市", "原平市"): 2, ("吕梁市", "柳林县"): 1,
    ("吕梁市", "中阳县"): 1,
}  # fmt: skip
NONFERROUS_OTHER_COUNTIES = {  # magnesium and copper
    ("运城市", "闻喜县"): 2, ("忻州市", "五台县"): 1, ("运城市", "垣曲县"): 1,
}  # fmt: skip
CEMENT_COUNTIES = {
    ("太原市", "尖草坪区"): 2, ("阳泉市", "郊区"): 2, ("阳泉市", "平定县"): 2,
    ("长治市", "上党区"): 2, ("长治市", "潞城区"): 2, ("晋城市", "泽州县"): 2,
    ("晋城市", "阳城县"): 1, ("晋城市", "高平市"): 1, ("运城市", "河津市"): 2,
    ("运城市", "闻喜县"): 2, ("运城市", "新绛县"): 1, ("运城市", "芮城县"): 1,
    ("大同市", "云冈区"): 2, ("大同市", "新荣区"): 1, ("朔州市", "平鲁区"): 1,
    ("忻州市", "原平市"): 2, ("忻州市", "忻府区"): 1, ("临汾市", "尧都区"): 2,
    ("临汾市", "襄汾县"): 1, ("吕梁市", "离石区"): 1, ("吕梁市", "交城县"): 1,
    ("吕梁市", "孝义市"): 2, ("晋中市", "榆次区"): 1, ("晋中市", "寿阳县"): 1,
    ("晋中市", "介休市"): 1, ("朔州市", "怀仁市"): 1, ("大同市", "灵丘县"): 1,
}  # fmt: skip
CHEMICAL_COUNTIES = {
    ("太原市", "清徐县"): 3, ("晋城市", "阳城县"): 2, ("晋城市", "高平市"): 2,
    ("晋城市", "泽州县"): 2, ("长治市", "潞城区"): 3, ("长治市", "襄垣县"): 2,
    ("长治市", "屯留区"): 2, ("长治市", "上党区"): 1, ("临汾市", "洪洞县"): 2,
    ("吕梁市", "孝义市"): 3, ("晋中市", "介休市"): 2, ("吕梁市", "交城县"): 2,
    ("阳泉市", "平定县"): 1, ("阳泉市", "盂县"): 1, ("运城市", "盐湖区"): 2,
    ("朔州市", "平鲁区"): 1, ("运城市", "河津市"): 1, ("朔州市", "怀仁市"): 1,
    ("晋中市", "寿阳县"): 1,
}  # fmt: skip
GLASS_COUNTIES = {
    ("大同市", "云冈区"): 2, ("晋中市", "榆次区"): 1, ("运城市", "盐湖区"): 1,
    ("长治市", "潞城区"): 1, ("晋城市", "高平市"): 1,
}  # fmt: skip
CARBIDE_COUNTIES = {("朔州市", "平鲁区"): 1, ("吕梁市", "孝义市"): 1, ("吕梁市", "交城县"): 1}
AMMONIA_COUNTIES = {
    ("晋城市", "高平市"): 3, ("晋城市", "阳城县"): 2, ("晋城市", "泽州县"): 2,
    ("长治市", "潞城区"): 2, ("临汾市", "洪洞县"): 1, ("吕梁市", "孝义市"): 1,
    ("运城市", "河津市"): 1,
}  # fmt: skip
COALBED_METHANE_COUNTIES = {
    ("晋城市", "沁水县"): 8, ("晋城市", "阳城县"): 2, ("晋城市", "泽州县"): 2,
    ("晋城市", "高平市"): 1, ("长治市", "沁源县"): 1, ("长治市", "襄垣县"): 1,
    ("吕梁市", "柳林县"): 3, ("吕梁市", "临县"): 2, ("吕梁市", "兴县"): 1,
    ("吕梁市", "石楼县"): 1, ("临汾市", "乡宁县"): 2, ("临汾市", "大宁县"): 1,
    ("临汾市", "吉县"): 1, ("临汾市", "永和县"): 1, ("忻州市", "保德县"): 2,
    ("阳泉市", "盂县"): 1, ("晋中市", "寿阳县"): 2, ("晋中市", "和顺县"): 1,
}  # fmt: skip
RAILWAY_COUNTIES = {
    ("太原市", "小店区"): 3, ("太原市", "杏花岭区"): 2, ("大同市", "平城区"): 3,
    ("大同市", "云冈区"): 2, ("大同市", "云州区"): 2, ("朔州市", "朔城区"): 3,
    ("忻州市", "忻府区"): 1, ("忻州市", "原平市"): 2, ("忻州市", "代县"): 1,
    ("长治市", "潞州区"): 1, ("临汾市", "尧都区"): 1, ("临汾市", "侯马市"): 2,
    ("运城市", "盐湖区"): 1, ("吕梁市", "离石区"): 1, ("阳泉市", "郊区"): 1,
    ("晋中市", "榆次区"): 1, ("晋城市", "泽州县"): 1, ("吕梁市", "孝义市"): 1,
}  # fmt: skip
AIRPORT_COUNTIES = {
    ("太原市", "小店区"): 75, ("大同市", "云州区"): 6, ("运城市", "盐湖区"): 7,
    ("长治市", "潞州区"): 4, ("吕梁市", "方山县"): 3, ("忻州市", "定襄县"): 2,
    ("临汾市", "尧都区"): 3,
}  # fmt: skip
# Share of Shanxi's coal mining by city (production 2020s, rounded).
CITY_COAL_SHARE = {
    "太原市": 0.03, "大同市": 0.10, "阳泉市": 0.05, "长治市": 0.12, "晋城市": 0.10,
    "朔州市": 0.17, "晋中市": 0.09, "运城市": 0.005, "忻州市": 0.10, "临汾市": 0.08,
    "吕梁市": 0.14,
}  # fmt: skip
CITY_WIND_SHARE = {
    "太原市": 0.02, "大同市": 0.18, "阳泉市": 0.03, "长治市": 0.05, "晋城市": 0.01,
    "朔州市": 0.16, "晋中市": 0.08, "运城市": 0.05, "忻州市": 0.22, "临汾市": 0.08,
    "吕梁市": 0.12,
}  # fmt: skip
CITY_SOLAR_SHARE = {
    "太原市": 0.02, "大同市": 0.20, "阳泉市": 0.06, "长治市": 0.10, "晋城市": 0.04,
    "朔州市": 0.10, "晋中市": 0.08, "运城市": 0.12, "忻州市": 0.12, "临汾市": 0.08,
    "吕梁市": 0.08,
}  # fmt: skip
HYDRO_PLANTS = [  # (city, county, capacity MW, name)
    ("忻州市", "偏关县", 1080.0, "万家寨水电站"),
    ("忻州市", "河曲县", 420.0, "龙口水电站"),
    ("忻州市", "保德县", 128.0, "天桥水电站"),
    ("忻州市", "五台县", 1200.0, "西龙池抽水蓄能电站"),
    ("运城市", "垣曲县", 40.0, "垣曲水电站"),
    ("临汾市", "吉县", 30.0, "壶口水电站"),
]
GAS_PLANTS = [  # (city, county, capacity MW)
    ("太原市", "晋源区", 860.0), ("太原市", "小店区", 430.0), ("大同市", "平城区", 400.0),
    ("晋中市", "榆次区", 300.0),
]  # fmt: skip
COAL_UNIT_CONFIGURATIONS = [  # (units, unit MW, number of plants, gce/kWh supply)
    (2, 1000.0, 3, 282.0),
    (2, 660.0, 15, 292.0),
    (2, 600.0, 10, 300.0),
    (2, 350.0, 22, 305.0),
    (2, 300.0, 16, 318.0),
    (2, 150.0, 18, 345.0),
]
# The carbon-market plants of each sector that makes a product (ref_ets_sectors): the counties
# they stand in, their legal suffix and how many a county has (lowest, highest).
ETS_PLANTS: dict[str, tuple[dict[tuple[str, str], float], str, tuple[int, int]]] = {
    "steel": (STEEL_COUNTIES, "钢铁有限公司", (1, 2)),
    "cement": (CEMENT_COUNTIES, "水泥有限公司", (1, 3)),
    "aluminium": (ALUMINIUM_SMELTER_COUNTIES, "铝业有限公司", (1, 2)),
}
# Fuel types of the plants on the UHV export corridors (some of them sell most of their output
# out of the province).
EXPORT_CORRIDOR_FUEL_TYPES = ("煤电", "风电", "光伏")
# The fuel types the sample's fleet is built of (names of their sites by fuel type).
PLANT_SUFFIXES = {
    "燃气": "燃气热电厂",
    "煤层气": "煤层气发电站",
    "水电": "水电站",
    "风电": "风电场",
    "光伏": "光伏电站",
    "生物质": "生物质发电厂",
}
COAL_PLANT_SUFFIXES = ("发电厂", "热电厂")  # below / from 310 gce/kWh: combined heat and power
OWNERS = [
    "大唐", "华能", "华电", "国能", "晋能", "京能", "漳泽", "格盟", "同煤", "潞安", "阳煤", "兆光",
]  # fmt: skip
ENTERPRISE_WORDS = [
    "宏达", "鑫源", "华升", "金泰", "晋鑫", "恒通", "瑞丰", "德润", "永兴", "昌盛", "东方",
    "新泰", "广源", "天宇", "盛世", "嘉禾", "中兴", "海鑫", "通达", "安泰", "建业", "荣欣",
]  # fmt: skip


def chinese_numeral(number: int) -> str:
    """1..99 in Chinese numerals (2 -> 二, 12 -> 十二, 40 -> 四十)."""
    digits = "零一二三四五六七八九"
    if not 0 < number < 100:
        raise ValueError(number)
    tens, ones = divmod(number, 10)
    text = ("" if tens == 0 else "十" if tens == 1 else digits[tens] + "十") + (
        digits[ones] if ones else ""
    )
    return text


def short_place(name_zh: str, city_name_zh: str = "") -> str:
    """Place name without its administrative suffix (孝义市 -> 孝义, 小店区 -> 小店).

    Generic district names take their city's (阳泉市 城区 -> 阳泉城区).
    """
    if name_zh in {"城区", "郊区", "矿区"}:
        return short_place(city_name_zh) + name_zh
    if len(name_zh) > 2 and name_zh[-1] in "县区市":
        return name_zh[:-1]
    return name_zh


@dataclass
class World:
    """Counties, profiles, plants and entities for one seed and year range.

    ``as_of`` is the world's last day with data (default 31 December of ``last_year``); it
    lies in ``last_year``, the year in progress.
    """

    seed: int
    first_year: int
    last_year: int
    seeds_dir: Path
    as_of: dt.date | None = None
    divisions: Divisions = field(init=False)
    factors: dict[str, float] = field(init=False)  # tCO2 per canonical unit of each fuel
    ncv_gj_per_unit: dict[str, float] = field(init=False)  # net calorific value of each fuel
    process_factors: dict[str, float] = field(init=False)  # tCO2 per tonne of product
    unit_multipliers: dict[str, float] = field(init=False)
    vocabulary: Vocabulary = field(init=False)  # the contract's code lists (the seeds)

    def __post_init__(self) -> None:
        if self.first_year < min(p.PROVINCE_SCOPE1_MT) or self.first_year > self.last_year:
            raise ValueError(
                f"year range {self.first_year}-{self.last_year} not supported "
                f"(first year >= {min(p.PROVINCE_SCOPE1_MT)}, first <= last)"
            )
        if self.as_of is None:
            self.as_of = dt.date(self.last_year, 12, 31)
        if self.as_of.year != self.last_year:
            raise ValueError(f"as_of {self.as_of} is not in the world's last year {self.last_year}")
        self.divisions = load_divisions(self.seeds_dir)
        self.unit_multipliers = load_unit_multipliers(self.seeds_dir)
        self.factors = load_emission_factors(self.seeds_dir)
        self.ncv_gj_per_unit = load_energy_factor_components(self.seeds_dir)["ncv_gj_per_unit"]
        self.process_factors = load_process_factors(self.seeds_dir)
        self.vocabulary = load_vocabulary(self.seeds_dir)

    def rng(self, *keys: object) -> np.random.Generator:
        return rng_for(self.seed, *keys)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    # --- counties ---------------------------------------------------------------------

    @cached_property
    def counties(self) -> pl.DataFrame:
        """County code, name, city, kind, share of the city's population, urban share."""
        cities = self.divisions.cities.select(
            pl.col("division_code").alias("city_code"), pl.col("name_zh").alias("city_name")
        )
        frame = (
            self.divisions.counties.select(
                "division_code", "name_zh", pl.col("parent_code").alias("city_code")
            )
            .join(cities, on="city_code", how="left")
            .sort("division_code")
        )
        kind = np.array(
            [
                "district" if n.endswith("区") else "city" if n.endswith("市") else "county"
                for n in frame["name_zh"]
            ]
        )
        rng = self.rng("county-population")
        base = np.select([kind == "district", kind == "city"], [1.8, 1.3], 0.8)
        weight = base * rng.lognormal(0.0, 0.35, frame.height)
        urban = np.clip(
            np.select([kind == "district", kind == "city"], [0.9, 0.6], 0.38)
            + rng.normal(0.0, 0.06, frame.height),
            0.15,
            0.98,
        )
        frame = frame.with_columns(
            pl.Series("kind", kind), pl.Series("weight", weight), pl.Series("urban_share", urban)
        )
        return frame.with_columns(
            (pl.col("weight") / pl.col("weight").sum().over("city_code")).alias("population_share")
        ).drop("weight")

    @cached_property
    def place_names(self) -> dict[str, str]:
        """County code -> short place name for plant and company names."""
        return {
            row["division_code"]: short_place(row["name_zh"], row["city_name"])
            for row in self.counties.iter_rows(named=True)
        }

    @cached_property
    def county_codes(self) -> list[str]:
        return self.counties["division_code"].to_list()

    def _named(self, named: dict[tuple[str, str], float]) -> np.ndarray:
        index = {code: i for i, code in enumerate(self.county_codes)}
        weights = np.zeros(len(index))
        for (city, county), weight in named.items():
            weights[index[self.divisions.county_code(city, county)]] += weight
        return weights

    def _by_city(self, shares: dict[str, float], key: str, zero_share: float) -> np.ndarray:
        rng = self.rng("city-profile", key)
        counties = self.counties
        city_share = counties["city_name"].replace_strict(shares, default=0.0).to_numpy()
        within = rng.lognormal(0.0, 0.7, counties.height)
        within[rng.random(counties.height) < zero_share] = 0.0
        within_sum = (
            pl.DataFrame({"c": counties["city_code"], "w": within})
            .with_columns(pl.col("w").sum().over("c"))["w"]
            .to_numpy()
        )
        return np.where(within_sum > 0, city_share * within / np.maximum(within_sum, 1e-12), 0.0)

    def population(self, year: int) -> np.ndarray:
        """Resident population (万人) of every county in ``year``."""
        by_city = self.city_population(year)
        city_total = np.array([by_city[name] for name in self.counties["city_name"]])
        return city_total * self.counties["population_share"].to_numpy()

    def city_population(self, year: int) -> dict[str, float]:
        """Population per city name (万人), summing to the province's."""
        names = list(p.CITY_POPULATION_2020_10K)
        base = np.array([p.CITY_POPULATION_2020_10K[n] for n in names])
        drift = np.array([1.0 + p.CAPITAL_POPULATION_DRIFT * (year - 2020) if n == "太原市"
                          else 1.0 for n in names])  # fmt: skip
        shares = base * drift / (base * drift).sum()
        total = p.interpolate(p.POPULATION_10K, year)
        return dict(zip(names, (shares * total).tolist(), strict=True))

    @cached_property
    def profiles(self) -> dict[str, np.ndarray]:
        """Base weight of every county for each county profile (not normalised)."""
        return self._profiles_without_power | {"power": self.thermal_capacity_by_county()}

    @cached_property
    def _profiles_without_power(self) -> dict[str, np.ndarray]:
        """The profiles that do not follow the fleet (the fleet is sited by them)."""
        counties = self.counties
        pop = self.population(p.BASE_YEAR)
        urban = counties["urban_share"].to_numpy()
        return {
            "population": pop,
            "urban": pop * urban**2,
            "rural": pop * (1.0 - urban),
            "general_industry": pop,
            "coal": self._by_city(CITY_COAL_SHARE, "coal", 0.2)
            * np.where(counties["kind"].to_numpy() == "district", 0.4, 1.0),
            "coalbed_methane": self._named(COALBED_METHANE_COUNTIES),
            "steel": self._named(STEEL_COUNTIES),
            "coking": self._named(COKING_COUNTIES),
            "aluminium": self._named(ALUMINIUM_SMELTER_COUNTIES)
            + self._named(NONFERROUS_OTHER_COUNTIES),
            "cement": self._named(CEMENT_COUNTIES),
            "chemicals": self._named(CHEMICAL_COUNTIES),
            "railway": self._named(RAILWAY_COUNTIES),
            "airport": self._named(AIRPORT_COUNTIES),
            "glass": self._named(GLASS_COUNTIES),
            "carbide": self._named(CARBIDE_COUNTIES),
            "ammonia": self._named(AMMONIA_COUNTIES),
            "smelter": self._named(ALUMINIUM_SMELTER_COUNTIES),
        }

    @cached_property
    def industry_weights(self) -> dict[str, np.ndarray]:
        """Normalised county weights of every industry of the energy statistics.

        Concentrated industries keep their named counties; widespread ones get a random
        tilt per industry and are absent from some counties.
        """
        profiles = self.profiles
        return {
            industry: self._industry_weight(industry, profiles[profile])
            for industry, (_, profile) in p.INDUSTRIES.items()
        }

    def _industry_weight(self, industry: str, profile_weights: np.ndarray) -> np.ndarray:
        profile = p.INDUSTRIES[industry][1]
        n = self.counties.height
        base = profile_weights.astype(float).copy()
        rng = self.rng("industry-weights", industry)
        if profile in {"population", "urban", "rural", "general_industry"}:
            sigma = 0.9 if profile == "general_industry" else 0.3
            base *= rng.lognormal(0.0, sigma, n)
            if not industry.startswith("HH_") and industry not in {"54", "52", "62", "92"}:
                absent = rng.random(n) < (0.3 if profile == "general_industry" else 0.1)
                base[absent] = 0.0
        else:
            base *= rng.lognormal(0.0, 0.15, n)
        return base / base.sum()

    def county_load_tco2(self) -> tuple[dict[str, np.ndarray], float]:
        """A base-year estimate of the counties' CO2 for siting the fleet: what the industries
        of each trend group but power burn in each county (BASE_FLOWS by the industries' county
        weights), and the province's coal for power (parameters.COAL_FOR_POWER_VARIETIES),
        which the coal plants share by their capacity. A year's estimate moves each by its
        group's trend (parameters.GROUP_TRENDS)."""
        profiles = self._profiles_without_power
        other: dict[str, np.ndarray] = {}
        coal_for_power = 0.0
        weights: dict[str, np.ndarray] = {}
        for industry, energy, use, amount, unit in p.BASE_FLOWS:
            if unit != "MtCO2":
                continue
            group, profile = p.INDUSTRIES[industry]
            if profile not in profiles:  # power: by the plants
                if p.USE_SHAPES.get(use) == "power" and energy in p.COAL_FOR_POWER_VARIETIES:
                    coal_for_power += amount * 1e6
                continue
            if industry not in weights:
                weights[industry] = self._industry_weight(industry, profiles[profile])
            other[group] = other.get(group, 0.0) + amount * 1e6 * weights[industry]
        return other, coal_for_power

    # --- power plants -----------------------------------------------------------------

    @cached_property
    def plants(self) -> pl.DataFrame:
        """The dispatched power plants (统调电厂) with their fuel, size and first year."""
        rng = self.rng("plants")
        codes = np.array(self.county_codes)
        names = self.place_names
        coal_weight = self._by_city(CITY_COAL_SHARE, "coal", 0.2) + 0.25 * (
            self.counties["urban_share"].to_numpy() ** 2
            * self.population(p.BASE_YEAR)
            / self.population(p.BASE_YEAR).sum()
        )
        rows: list[dict] = []
        used_names: set[str] = set()
        ordinals = ["", *(f"第{chinese_numeral(k)}" for k in range(2, 100))]

        (coal,) = self.vocabulary.coal_fired_fuel_types
        unknown = ({coal} | set(PLANT_SUFFIXES)) - set(self.vocabulary.fuel_types)
        if unknown:
            raise ValueError(f"sample fleet: fuel types {sorted(unknown)} not in ref_fuel_types")

        day_rng = self.rng("plant-days")

        def add(fuel, county, capacity, year, gce=None, name=None, units=1, day=None):
            place = names[county]
            if fuel == coal:
                suffix = COAL_PLANT_SUFFIXES[0 if gce is None or gce < 310 else 1]
            else:
                suffix = PLANT_SUFFIXES[fuel]
            if name is None:
                name = next(
                    f"{place}{ordinal}{suffix}"
                    for ordinal in ordinals
                    if f"{place}{ordinal}{suffix}" not in used_names
                )
            used_names.add(name)
            rows.append(
                {
                    "division_code": county,
                    "fuel_type": fuel,
                    "capacity_mw": float(capacity),
                    "units": units,
                    "commissioned_year": int(year),
                    "commissioned_doy": int(day_rng.integers(1, 366) if day is None else day),
                    "supply_gce_per_kwh": gce,
                    "owner": OWNERS[int(rng.integers(len(OWNERS)))],
                    "site_name": name,
                }
            )

        coal_plants: list[dict] = []
        for units, unit_mw, count, gce in COAL_UNIT_CONFIGURATIONS:
            for _ in range(count):
                county = rng.choice(codes, p=coal_weight / coal_weight.sum())
                if unit_mw >= 1000:
                    year = int(rng.integers(2016, 2022))
                elif unit_mw >= 600 and rng.random() < 0.3:
                    year = int(rng.integers(2015, 2024))
                elif unit_mw >= 600:
                    year = int(rng.integers(2004, 2015))
                else:
                    year = int(rng.integers(1995, 2016))
                coal_plants.append(
                    {
                        "county": str(county),
                        "capacity": units * unit_mw,
                        "year": year,
                        "day": int(day_rng.integers(1, 366)),
                        "gce": gce + rng.normal(0, 4),
                        "units": units,
                    }
                )
        siting = CoalSiting(self, coal_weight / coal_weight.sum())
        for plant in siting.site(coal_plants):
            add(coal, plant["county"], plant["capacity"], plant["year"], plant["gce"],
                units=plant["units"], day=plant["day"])  # fmt: skip
        for city, county, capacity in GAS_PLANTS:
            add("燃气", self.divisions.county_code(city, county), capacity, 2016, units=2)
        cbm = self._named(COALBED_METHANE_COUNTIES)
        for _ in range(12):
            county = rng.choice(codes, p=cbm / cbm.sum())
            capacity = float(rng.choice([30, 60, 90, 120]))
            add("煤层气", county, capacity, int(rng.integers(2008, 2020)))
        for city, county, capacity, name in HYDRO_PLANTS:
            code = self.divisions.county_code(city, county)
            add("水电", code, capacity, 2000 if capacity < 1100 else 2008, name=name)
        for fuel, shares, count, mean_mw, start in (
            ("风电", CITY_WIND_SHARE, 130, 220.0, 2008),
            ("光伏", CITY_SOLAR_SHARE, 130, 240.0, 2013),
        ):
            weight = self._by_city(shares, fuel, 0.25)
            years = np.arange(start, max(self.last_year, 2025) + 1)
            growth = np.exp(0.22 * (years - start))
            for _ in range(count):
                county = rng.choice(codes, p=weight / weight.sum())
                year = int(rng.choice(years, p=growth / growth.sum()))
                capacity = float(np.round(mean_mw * rng.lognormal(0.0, 0.45) / 10.0) * 10.0)
                add(fuel, county, max(capacity, 20.0), year)
        rural = self.population(p.BASE_YEAR) * (1.0 - self.counties["urban_share"].to_numpy())
        for _ in range(15):
            county = rng.choice(codes, p=rural / rural.sum())
            capacity = float(rng.choice([30, 30, 40, 60]))
            add("生物质", county, capacity, int(rng.integers(2010, 2022)))

        frame = pl.DataFrame(rows).with_row_index("sequence", offset=1)
        frame = frame.with_columns(
            pl.format("SX{}", pl.col("sequence").cast(pl.String).str.zfill(4)).alias("plant_id"),
            pl.format("{}{}", "owner", "site_name").alias("plant_name"),
        )
        # Plants on the UHV export corridors sell most of their output out of the province.
        export_oriented = rng.random(frame.height) < np.where(
            frame["fuel_type"].is_in(EXPORT_CORRIDOR_FUEL_TYPES).to_numpy(), 0.3, 0.0
        )
        frame = frame.with_columns(pl.Series("export_oriented", export_oriented)).drop("sequence")
        # Small old coal plants closing mid-year (parameters.COAL_PLANT_CLOSURES), the least
        # efficient first of those whose county has other load (CoalSiting.closures).
        closing_days = self.rng("plant-closing-days").integers(60, 300, frame.height)
        frame = frame.with_columns(pl.Series("closing_doy", closing_days))
        closing = siting.closures(frame.filter(pl.col("fuel_type") == coal))
        return frame.with_columns(
            pl.col("plant_id")
            .replace_strict(closing, default=None, return_dtype=pl.Int64)
            .alias("closed_year"),
        ).with_columns(
            pl.when(pl.col("closed_year").is_not_null()).then(pl.col("closing_doy"))
            .alias("closed_doy")
        ).drop("closing_doy")  # fmt: skip

    def thermal_capacity_by_county(self) -> np.ndarray:
        thermal_types = sorted(self.vocabulary.thermal_fuel_types)
        thermal = self.plants.filter(pl.col("fuel_type").is_in(thermal_types))
        by_county = dict(
            thermal.group_by("division_code").agg(pl.col("capacity_mw").sum()).iter_rows()
        )
        return np.array([by_county.get(code, 0.0) for code in self.county_codes])

    # --- carbon-market entities -------------------------------------------------------

    def _organisation_body(self, rng: np.random.Generator, new_style: bool) -> str:
        if new_style:  # issued since 2015: "MA" and six characters
            alphabet = np.array(list(USCC_ALPHABET))
            return "MA" + "".join(rng.choice(alphabet, 6))
        return f"{int(rng.integers(10_000_000, 99_999_999)):08d}"

    @cached_property
    def ets_entities(self) -> pl.DataFrame:
        """All carbon-market entities: power plants (2021+), steel, cement, aluminium (2024+).

        Columns: entity_id, entity_name, division_code, industry_code, ets_sector,
        first_year, plant_id (power), capacity_mw, output_share (of the county's product).
        """
        rng = self.rng("ets-entities")
        rows: list[dict] = []
        used: set[str] = set()

        def code_for(county: str, registered_year: int) -> str:
            while True:
                body = self._organisation_body(rng, registered_year >= 2016)
                code = make_uscc(county, body)
                if code not in used:
                    used.add(code)
                    return code

        names = self.place_names
        power = self.vocabulary.power_sector
        thermal_types = sorted(self.vocabulary.thermal_fuel_types)
        thermal = self.plants.filter(pl.col("fuel_type").is_in(thermal_types))
        legal_suffix = {
            "发电厂": "发电有限责任公司",
            "热电厂": "热电有限公司",
            "燃气热电厂": "燃气热电有限公司",
            "煤层气发电站": "煤层气发电有限公司",
        }
        for plant in thermal.iter_rows(named=True):
            site = plant["site_name"]
            suffix = max((s for s in legal_suffix if site.endswith(s)), key=len)
            rows.append(
                {
                    "entity_id": code_for(plant["division_code"], plant["commissioned_year"]),
                    "entity_name": f"山西{plant['owner']}{site[: -len(suffix)]}"
                    f"{legal_suffix[suffix]}",
                    "division_code": plant["division_code"],
                    "industry_code": power.industry_code,
                    "ets_sector": power.ets_sector,
                    "first_year": max(2021, plant["commissioned_year"] + 1),
                    "plant_id": plant["plant_id"],
                    "capacity_mw": plant["capacity_mw"],
                    "product": None,
                    "output_share": None,
                }
            )
        for ets_sector in self.vocabulary.product_sectors:
            if ets_sector.ets_sector not in ETS_PLANTS:
                continue  # no plants calibrated for the sector (World.uncalibrated)
            sector, industry = ets_sector.ets_sector, ets_sector.industry_code
            product = ets_sector.product_name
            named, suffix, per_county = ETS_PLANTS[sector]
            for city, county_name in named:
                county = self.divisions.county_code(city, county_name)
                count = int(rng.integers(per_county[0], per_county[1] + 1))
                shares = rng.dirichlet(np.full(count, 2.0)) * 0.97  # a few small plants uncovered
                for share in shares:
                    word = ENTERPRISE_WORDS[int(rng.integers(len(ENTERPRISE_WORDS)))]
                    name = f"山西{names[county]}{word}{suffix}"
                    while name in {r["entity_name"] for r in rows}:
                        word = ENTERPRISE_WORDS[int(rng.integers(len(ENTERPRISE_WORDS)))]
                        name = f"山西{names[county]}{word}{suffix}"
                    rows.append(
                        {
                            "entity_id": code_for(county, int(rng.integers(1995, 2020))),
                            "entity_name": name,
                            "division_code": county,
                            "industry_code": industry,
                            "ets_sector": sector,
                            "first_year": 2024,
                            "plant_id": None,
                            "capacity_mw": None,
                            "product": product,
                            "output_share": float(share),
                        }
                    )
        return pl.DataFrame(rows, infer_schema_length=None)


def days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


class CoalSiting:
    """Where the coal plants that open or close inside the sample's years stand.

    A county's total CO2 may change by at most the quality gate's bound from one year to the
    next (``yoy_change_max_pct`` of quality/thresholds.yml) unless the statistics office
    explains it; the sample's world needs no explanation. As in Shanxi, new large units are
    mostly extensions of existing sites (扩建), and the units closed are small ones in
    counties with other load (上大压小). So a coal plant commissioned after the first year a
    world can start (``min(PROVINCE_SCOPE1_MT)``) stands in a county that already has a coal
    plant and whose load (World.county_load_tco2) keeps the opening's change, in the year it
    opens (part of the year, from its commissioning day) and in the next (the rest of it),
    within ``parameters.PLANT_SITING_SHARE_OF_BOUND`` of the bound, and its CO2 per resident
    within the same share of ``per_capita_max_tco2`` (a county is not a power base of a few
    thousand people only); chosen among those by the
    coal weights of the counties (if none can take it, among the other counties with coal, a
    new site; if none at all, the county whose change is least).
    Closures take the least efficient small plants whose county stays within the same share.
    The opening or closing still moves its county's CO2 per MWh (the drift of the world).
    """

    def __init__(self, world: World, weights: np.ndarray):
        self.codes = world.county_codes
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.weights = weights
        self.other, self.coal_for_power = world.county_load_tco2()
        self.bound = p.PLANT_SITING_SHARE_OF_BOUND * gate_threshold("yoy_change_max_pct") / 100.0
        self.per_capita_bound = p.PLANT_SITING_SHARE_OF_BOUND * gate_threshold(
            "per_capita_max_tco2"
        )
        self.residents = world.population(p.BASE_YEAR) * 1e4
        self.rng = world.rng("coal-siting")
        self.first_year = min(p.PROVINCE_SCOPE1_MT)
        self.plants: list[dict] = []  # sited so far: county, capacity, fractions by year

    @staticmethod
    def fraction(plant: dict, year: int) -> float:
        """Share of ``year`` the plant runs (commissioned on its day, closed on its day)."""
        days = days_in_year(year)
        start = 1 if plant["year"] < year else plant["day"] if plant["year"] == year else days + 1
        closed = plant.get("closed_year")
        end = (
            days + 1
            if closed is None or closed > year
            else plant["closed_doy"]
            if closed == year
            else 1
        )
        return max(end - start, 0) / days

    def loads(self, plants: list[dict], year: int) -> np.ndarray:
        """Estimated CO2 of every county in ``year``: other industries and its coal plants'
        share (by running capacity) of the coal for power."""
        capacity = np.zeros(len(self.codes))
        for plant in plants:
            capacity[self.index[plant["county"]]] += plant["capacity"] * self.fraction(plant, year)
        other = sum(
            p.interpolate(p.GROUP_TRENDS[group], year) * tco2 for group, tco2 in self.other.items()
        )
        power = p.interpolate(p.GROUP_TRENDS["power"], year) * self.coal_for_power
        return other + power * capacity / max(capacity.sum(), 1.0)

    def changes(self, plants: list[dict], year: int) -> np.ndarray:
        """Largest relative change of every county's load in ``year`` and ``year + 1``."""
        before, during, after = (self.loads(plants, y) for y in (year - 1, year, year + 1))
        return np.maximum(np.abs(during / before - 1.0), np.abs(after / during - 1.0))

    def site(self, drawn: list[dict]) -> list[dict]:
        """The drawn coal plants (county, capacity, year, day, ...) in their order, the ones
        opening after the first year moved to a county that can take them."""
        order = sorted(range(len(drawn)), key=lambda i: (drawn[i]["year"], drawn[i]["day"]))
        sited = [dict(plant) for plant in drawn]
        self.plants = []
        for i in order:
            plant = sited[i]
            if plant["year"] >= self.first_year:
                plant["county"] = self._county_for(plant)
            self.plants.append(plant)
        return sited

    def _county_for(self, plant: dict) -> str:
        existing = np.zeros(len(self.codes), dtype=bool)
        for other in self.plants:
            if self.fraction(other, plant["year"] - 1) > 0:
                existing[self.index[other["county"]]] = True
        worst = np.full(len(self.codes), np.inf)
        for i, code in enumerate(self.codes):
            trial = [*self.plants, {**plant, "county": code}]
            per_capita = self.loads(trial, plant["year"] + 1)[i] / self.residents[i]
            change = self.changes(trial, plant["year"])[i]
            # Over the per-capita share counts as beyond the bound (a last resort only).
            worst[i] = change if per_capita <= self.per_capita_bound else self.bound + change
        for allowed in (existing & (self.weights > 0), self.weights > 0):
            fits = allowed & (worst <= self.bound)
            if fits.any():
                weights = np.where(fits, self.weights, 0.0)
                choice = self.rng.choice(len(self.codes), p=weights / weights.sum())
                return self.codes[int(choice)]
        return self.codes[int(np.argmin(worst))]

    def closures(self, coal: pl.DataFrame) -> dict[str, int]:
        """plant_id -> closing year (parameters.COAL_PLANT_CLOSURES): the least efficient plants
        of at most CLOSING_PLANT_MAX_MW whose closing keeps their county within the share."""
        plants = [
            {
                "plant_id": row["plant_id"],
                "county": row["division_code"],
                "capacity": row["capacity_mw"],
                "year": row["commissioned_year"],
                "day": row["commissioned_doy"],
                "closing_doy": row["closing_doy"],
                "gce": row["supply_gce_per_kwh"],
            }
            for row in coal.iter_rows(named=True)
        ]
        candidates = sorted(
            (plant for plant in plants if plant["capacity"] <= p.CLOSING_PLANT_MAX_MW),
            key=lambda plant: -plant["gce"],
        )
        closing: dict[str, int] = {}
        for year, count in sorted(p.COAL_PLANT_CLOSURES.items()):
            for _ in range(count):
                for plant in candidates:
                    if plant["plant_id"] in closing or plant["year"] >= year:
                        continue
                    plant["closed_year"], plant["closed_doy"] = year, plant["closing_doy"]
                    if self.changes(plants, year)[self.index[plant["county"]]] <= self.bound:
                        closing[plant["plant_id"]] = year
                        break
                    del plant["closed_year"], plant["closed_doy"]
        return closing


def gate_threshold(name: str) -> float:
    """A bound of the quality gates (quality/thresholds.yml, where it is declared; the
    project's file, not an override of EMISSIONS_QUALITY_THRESHOLDS, so that the world does
    not depend on the environment)."""
    entry = yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8"))[name]
    return float(entry["value"] if isinstance(entry, dict) else entry)
