"""The constants of the sample world: magnitudes, trends and shapes, each with its source.

These describe a synthetic Shanxi for testing and demonstration, calibrated to public
figures; they are not business rules of the warehouse (those live in the dbt seeds, which
the sample reads for its code lists and factors: ``sample.seeds``). Tables here are keyed by
the seeds' codes; a code of a seed without calibration here is simply not generated.
Values marked *synthetic* are plausible continuations, not published statistics.
"""

from __future__ import annotations

import itertools

# --- Calibration targets ---------------------------------------------------------------

# Scope-1 CO2 of Shanxi (fuel combustion + industrial process), Mt, CEADs IPCC sectoral
# inventory (Shan et al. 2018, 2020; Guan et al. 2021); reference copy:
# shared/reference/ceads_shanxi_province_emissions.csv, "Scope 1 Total" of the total row.
# 2020-2025 are synthetic: +2.5 %/yr to 2021, +2 %/yr to 2023, then flattening.
PROVINCE_SCOPE1_MT: dict[int, float] = {
    2010: 443.01,
    2011: 474.82,
    2012: 501.49,
    2013: 508.76,
    2014: 498.32,
    2015: 461.61,
    2016: 474.56,
    2017: 508.59,
    2018: 541.68,
    2019: 564.86,
    2020: 578.98,
    2021: 593.46,
    2022: 605.33,
    2023: 617.44,
    2024: 620.53,
    2025: 621.77,
}
# Process CO2 (cement clinker), Mt, same CEADs source; 2020+ follow clinker (synthetic).
PROCESS_MT: dict[int, float] = {
    2010: 10.66,
    2011: 11.92,
    2012: 14.75,
    2013: 14.82,
    2014: 14.04,
    2015: 11.00,
    2016: 11.19,
    2017: 10.19,
    2018: 12.72,
    2019: 14.48,
    2020: 14.91,
    2021: 14.19,
    2022: 12.74,
    2023: 12.31,
    2024: 11.29,
    2025: 11.00,
}
# The product whose output is sized from PROCESS_MT: clinker output = the process CO2 /
# clinker's factor in ref_process_factors, so the sample's process CO2 equals CEADs cement.
CLINKER_PRODUCT = "水泥熟料"

# Full-society electricity consumption, 亿kWh (Shanxi statistical communiqués, rounded;
# 2024-2025 synthetic).
ELECTRICITY_100M_KWH: dict[int, float] = {
    2010: 1460,
    2011: 1650,
    2012: 1765,
    2013: 1832,
    2014: 1826,
    2015: 1737,
    2016: 1797,
    2017: 1991,
    2018: 2161,
    2019: 2262,
    2020: 2342,
    2021: 2608,
    2022: 2714,
    2023: 2823,
    2024: 2960,
    2025: 3060,
}
# Generation and power sent out of the province (外送), 亿kWh. 2023 from the reference
# facts (4,376.1 and 1,576); other years rounded communiqué figures or synthetic.
GENERATION_100M_KWH: dict[int, float] = {
    2015: 2450,
    2016: 2535,
    2017: 2810,
    2018: 3087,
    2019: 3362,
    2020: 3504,
    2021: 3926,
    2022: 4179,
    2023: 4376.1,
    2024: 4520,
    2025: 4600,
}
EXPORTED_100M_KWH: dict[int, float] = {
    2015: 780,
    2016: 820,
    2017: 930,
    2018: 1030,
    2019: 1053,
    2020: 1054,
    2021: 1464,
    2022: 1525,
    2023: 1576,
    2024: 1620,
    2025: 1650,
}

# GDP, 亿元 current prices, real growth %, share of the secondary industry (Shanxi
# statistical communiqués; 2023 from the reference facts; 2025 synthetic).
GDP: dict[int, tuple[float, float, float]] = {
    2010: (9200.9, 13.9, 0.569),
    2011: (11237.6, 13.0, 0.590),
    2012: (12112.8, 10.1, 0.557),
    2013: (12665.3, 8.9, 0.530),
    2014: (12761.5, 4.9, 0.496),
    2015: (12766.5, 3.1, 0.408),
    2016: (13050.4, 4.5, 0.385),
    2017: (15528.4, 7.0, 0.437),
    2018: (16818.1, 6.7, 0.422),
    2019: (17026.7, 6.2, 0.438),
    2020: (17651.9, 3.6, 0.434),
    2021: (22590.2, 9.1, 0.496),
    2022: (25642.6, 4.4, 0.540),
    2023: (25698.18, 5.0, 0.491),
    2024: (25494.0, 2.3, 0.462),
    2025: (26380.0, 4.2, 0.455),
}
# City shares of the sum of city GDPs (approximate 2023 structure); the cities' sum runs a
# little above the province figure, as delivered statistics do.
CITY_GDP_SHARE: dict[str, float] = {
    "太原市": 0.225,
    "大同市": 0.078,
    "阳泉市": 0.037,
    "长治市": 0.114,
    "晋城市": 0.084,
    "朔州市": 0.057,
    "晋中市": 0.082,
    "运城市": 0.092,
    "忻州市": 0.055,
    "临汾市": 0.084,
    "吕梁市": 0.092,
}

# Resident population, 万人 (census 2010 and 2020, yearbook estimates between; 2025
# synthetic) and the cities' 2020 census populations (第七次全国人口普查).
POPULATION_10K: dict[int, float] = {
    2010: 3574.1,
    2011: 3571.0,
    2012: 3566.0,
    2013: 3560.0,
    2014: 3555.0,
    2015: 3548.0,
    2016: 3541.0,
    2017: 3532.0,
    2018: 3520.0,
    2019: 3506.0,
    2020: 3490.5,
    2021: 3480.5,
    2022: 3481.4,
    2023: 3466.0,
    2024: 3446.0,
    2025: 3428.0,
}
CITY_POPULATION_2020_10K: dict[str, float] = {
    "太原市": 530.4,
    "大同市": 310.6,
    "阳泉市": 131.9,
    "长治市": 318.1,
    "晋城市": 219.4,
    "朔州市": 159.3,
    "晋中市": 337.9,
    "运城市": 477.4,
    "忻州市": 268.9,
    "临汾市": 397.6,
    "吕梁市": 339.9,
}
# Yearly change of the capital's share of population (urbanisation towards Taiyuan).
CAPITAL_POPULATION_DRIFT = 0.008

# Annual industrial output, 万吨 (平板玻璃 in 万重量箱). Shanxi magnitudes from statistical
# communiqués, rounded; coke ~98 Mt and crude steel 60-67 Mt in 2019-2023; 2024-2025
# synthetic. Clinker is derived from PROCESS_MT (its process CO2 equals CEADs cement).
INDUSTRIAL_OUTPUT_10K_T: dict[str, dict[int, float]] = {
    "焦炭": {2010: 8476, 2015: 8040, 2016: 8185, 2017: 8383, 2018: 9256, 2019: 9700,
           2020: 10494, 2021: 9960, 2022: 9840, 2023: 9780, 2024: 9250, 2025: 9050},
    "粗钢": {2010: 3870, 2015: 4200, 2016: 4500, 2017: 5100, 2018: 5700, 2019: 6200,
           2020: 6640, 2021: 6700, 2022: 6470, 2023: 6300, 2024: 5800, 2025: 5600},
    "生铁": {2010: 3800, 2015: 4000, 2016: 4300, 2017: 4750, 2018: 5250, 2019: 5700,
           2020: 6050, 2021: 6100, 2022: 5900, 2023: 5750, 2024: 5350, 2025: 5200},
    "水泥": {2010: 4300, 2015: 4200, 2016: 4400, 2017: 4200, 2018: 4800, 2019: 5300,
           2020: 5600, 2021: 5300, 2022: 4700, 2023: 4500, 2024: 4100, 2025: 4000},
    "平板玻璃": {2010: 1500, 2015: 1650, 2016: 1700, 2017: 1750, 2018: 1800, 2019: 1850,
             2020: 1900, 2021: 2000, 2022: 1950, 2023: 1900, 2024: 1850, 2025: 1800},
    "电解铝": {2010: 60, 2015: 70, 2016: 75, 2017: 85, 2018: 95, 2019: 100, 2020: 110,
            2021: 130, 2022: 140, 2023: 150, 2024: 153, 2025: 155},
    "合成氨": {2010: 330, 2015: 300, 2016: 290, 2017: 280, 2018: 270, 2019: 265,
            2020: 270, 2021: 280, 2022: 285, 2023: 290, 2024: 290, 2025: 290},
    "电石": {2010: 90, 2015: 70, 2016: 65, 2017: 60, 2018: 60, 2019: 55, 2020: 55,
           2021: 55, 2022: 50, 2023: 50, 2024: 50, 2025: 50},
    "石灰": {2010: 600, 2015: 560, 2016: 560, 2017: 550, 2018: 560, 2019: 570, 2020: 580,
           2021: 580, 2022: 560, 2023: 550, 2024: 540, 2025: 530},
}  # fmt: skip

# Raw coal production, 万吨 (Shanxi statistical communiqués, rounded; 2025 synthetic).
RAW_COAL_PRODUCTION_10K_T: dict[int, float] = {
    2010: 74000, 2011: 87200, 2012: 91300, 2013: 96300, 2014: 97700, 2015: 96700,
    2016: 83200, 2017: 85400, 2018: 92600, 2019: 97100, 2020: 106300, 2021: 119300,
    2022: 130700, 2023: 137800, 2024: 126900, 2025: 128000,
}  # fmt: skip
# Natural gas incl. coal-bed methane extracted, 亿立方米 (rounded; late years synthetic).
NATURAL_GAS_PRODUCTION_100M_M3: dict[int, float] = {
    2010: 30, 2011: 35, 2012: 45, 2013: 52, 2014: 58, 2015: 62, 2016: 65, 2017: 72,
    2018: 80, 2019: 87, 2020: 100, 2021: 110, 2022: 125, 2023: 144, 2024: 150, 2025: 155,
}  # fmt: skip


def interpolate(table: dict[int, float], year: int) -> float:
    """Linear interpolation in a year table, constant beyond its ends."""
    years = sorted(table)
    if year <= years[0]:
        return table[years[0]]
    if year >= years[-1]:
        return table[years[-1]]
    for low, high in itertools.pairwise(years):
        if low <= year <= high:
            weight = (year - low) / (high - low)
            return table[low] * (1 - weight) + table[high] * weight
    raise AssertionError("unreachable")


# --- Sectoral structure of energy use (base year 2019) ---------------------------------

BASE_YEAR = 2019

# Trend groups: index relative to 2019 of each group's combustion (CEADs sector totals for
# 2015-2019; synthetic afterwards). A global factor per year then matches the total.
GROUP_TRENDS: dict[str, dict[int, float]] = {
    "power": {2010: 0.74, 2014: 0.82, 2015: 0.755, 2016: 0.79, 2017: 0.882, 2018: 0.963,
              2019: 1.0, 2020: 1.03, 2021: 1.085, 2022: 1.12, 2023: 1.15, 2024: 1.165,
              2025: 1.17},
    "steel": {2010: 0.78, 2014: 0.84, 2015: 0.783, 2016: 0.834, 2017: 0.811, 2018: 0.961,
              2019: 1.0, 2020: 1.05, 2021: 1.06, 2022: 1.02, 2023: 1.0, 2024: 0.95, 2025: 0.93},
    "coking": {2010: 1.25, 2014: 1.23, 2015: 1.158, 2016: 1.05, 2017: 0.987, 2018: 0.89,
               2019: 1.0, 2020: 1.06, 2021: 1.02, 2022: 1.0, 2023: 0.99, 2024: 0.95,
               2025: 0.93},
    "building": {2010: 0.9, 2015: 0.77, 2016: 0.9, 2017: 0.95, 2018: 0.98, 2019: 1.0,
                 2020: 1.0, 2021: 1.0, 2022: 0.94, 2023: 0.92, 2024: 0.88, 2025: 0.86},
    "nonferrous": {2010: 0.6, 2015: 0.62, 2016: 0.72, 2017: 0.885, 2018: 0.93, 2019: 1.0,
                   2020: 1.05, 2021: 1.1, 2022: 1.15, 2023: 1.2, 2024: 1.22, 2025: 1.24},
    "chemicals": {2010: 0.7, 2015: 0.8, 2016: 0.9, 2017: 1.1, 2018: 1.15, 2019: 1.0,
                  2020: 1.05, 2021: 1.1, 2022: 1.15, 2023: 1.2, 2024: 1.22, 2025: 1.25},
    "mining": {2010: 1.0, 2015: 1.0, 2016: 0.94, 2017: 1.0, 2018: 0.96, 2019: 1.0,
               2020: 1.02, 2021: 1.06, 2022: 1.1, 2023: 1.12, 2024: 1.1, 2025: 1.1},
    "other_industry": {2010: 0.6, 2015: 0.56, 2016: 0.6, 2017: 0.66, 2018: 0.85, 2019: 1.0,
                       2020: 1.0, 2021: 1.05, 2022: 1.05, 2023: 1.08, 2024: 1.1, 2025: 1.1},
    "transport": {2010: 0.8, 2015: 1.0, 2016: 1.03, 2017: 1.07, 2018: 1.01, 2019: 1.0,
                  2020: 0.93, 2021: 1.0, 2022: 0.95, 2023: 1.05, 2024: 1.06, 2025: 1.06},
    "households": {2010: 1.45, 2015: 1.5, 2016: 1.44, 2017: 1.52, 2018: 1.06, 2019: 1.0,
                   2020: 0.95, 2021: 0.92, 2022: 0.9, 2023: 0.87, 2024: 0.84, 2025: 0.82},
    "services": {2010: 0.9, 2015: 1.03, 2016: 1.05, 2017: 1.08, 2018: 1.02, 2019: 1.0,
                 2020: 0.95, 2021: 1.0, 2022: 0.98, 2023: 1.05, 2024: 1.07, 2025: 1.08},
    "agriculture": {2010: 1.0, 2015: 1.12, 2016: 1.15, 2017: 1.18, 2018: 1.05, 2019: 1.0,
                    2020: 0.98, 2021: 0.97, 2022: 0.96, 2023: 0.95, 2024: 0.94, 2025: 0.93},
    "construction": {2010: 0.9, 2015: 1.03, 2016: 1.02, 2017: 1.01, 2018: 1.0, 2019: 1.0,
                     2020: 0.98, 2021: 1.0, 2022: 0.98, 2023: 0.99, 2024: 0.98, 2025: 0.97},
}  # fmt: skip
# Reporting enterprises of a county's carbon-market industry beyond its covered entities
# (mean of a Poisson draw), by carbon-market sector (ref_ets_sectors).
ETS_UNCOVERED_UNITS: dict[str, float] = {"steel": 0.3, "cement": 2.0, "aluminium": 0.5}
# Heat (热力) delivered, index relative to 2019 (synthetic: +2 %/yr).
HEAT_INDEX_PER_YEAR = 0.02

# Industry -> (trend group, county profile). Profiles are defined in world.py.
INDUSTRIES: dict[str, tuple[str, str]] = {
    "01": ("agriculture", "rural"),
    "03": ("agriculture", "rural"),
    "05": ("agriculture", "rural"),
    "06": ("mining", "coal"),
    "07": ("mining", "coalbed_methane"),
    "08": ("mining", "steel"),
    "09": ("mining", "aluminium"),
    "10": ("mining", "general_industry"),
    "13": ("other_industry", "general_industry"),
    "14": ("other_industry", "general_industry"),
    "15": ("other_industry", "general_industry"),
    "17": ("other_industry", "general_industry"),
    "22": ("other_industry", "general_industry"),
    "25": ("coking", "coking"),
    "26": ("chemicals", "chemicals"),
    "27": ("other_industry", "general_industry"),
    "29": ("other_industry", "general_industry"),
    "30": ("building", "cement"),
    "31": ("steel", "steel"),
    "32": ("nonferrous", "aluminium"),
    "33": ("other_industry", "general_industry"),
    "34": ("other_industry", "urban"),
    "35": ("other_industry", "urban"),
    "36": ("other_industry", "urban"),
    "38": ("other_industry", "urban"),
    "39": ("other_industry", "urban"),
    "44": ("power", "power"),
    "45": ("other_industry", "urban"),
    "46": ("other_industry", "population"),
    "47": ("construction", "urban"),
    "48": ("construction", "population"),
    "51": ("services", "urban"),
    "52": ("services", "population"),
    "53": ("transport", "railway"),
    "54": ("transport", "population"),
    "55": ("transport", "rural"),
    "56": ("transport", "airport"),
    "57": ("transport", "coalbed_methane"),
    "59": ("transport", "urban"),
    "60": ("transport", "urban"),
    "61": ("services", "urban"),
    "62": ("services", "population"),
    "64": ("services", "urban"),
    "70": ("services", "urban"),
    "78": ("services", "population"),
    "83": ("services", "population"),
    "84": ("services", "population"),
    "92": ("services", "population"),
    "HH_URBAN": ("households", "urban"),
    "HH_RURAL": ("households", "rural"),
}

# (industry, energy, use, amount, unit) in 2019. "MtCO2" amounts are combustion flows given
# by their CO2 (turned into quantities with the factor seed); the others are quantities.
# Calibrated so that 2019 matches CEADs (power ~59 % of scope 1, steel ~16 %, coking ~7 %).
BASE_FLOWS: list[tuple[str, str, str, float, str]] = [
    # 44 electricity and heat supply
    ("44", "原煤", "火力发电", 247.0, "MtCO2"),
    ("44", "其他洗煤", "火力发电", 36.0, "MtCO2"),
    ("44", "煤矸石", "火力发电", 13.0, "MtCO2"),
    ("44", "天然气", "火力发电", 6.0, "MtCO2"),
    ("44", "焦炉煤气", "火力发电", 3.0, "MtCO2"),
    ("44", "高炉煤气", "火力发电", 4.0, "MtCO2"),
    ("44", "其他煤气", "火力发电", 2.0, "MtCO2"),
    ("44", "燃料油", "火力发电", 0.02, "MtCO2"),
    ("44", "原煤", "供热", 24.0, "MtCO2"),
    ("44", "其他洗煤", "供热", 3.0, "MtCO2"),
    ("44", "天然气", "供热", 2.0, "MtCO2"),
    ("44", "焦炉煤气", "供热", 0.8, "MtCO2"),
    ("44", "原煤", "终端消费", 0.6, "MtCO2"),
    ("44", "柴油", "终端消费", 0.1, "MtCO2"),
    ("44", "电力", "终端消费", 230.0, "亿千瓦时"),
    ("44", "热力", "终端消费", 500.0, "万吉焦"),
    # 31 ferrous metals
    ("31", "焦炭", "终端消费", 59.0, "MtCO2"),
    ("31", "高炉煤气", "终端消费", 9.0, "MtCO2"),
    ("31", "转炉煤气", "终端消费", 2.5, "MtCO2"),
    ("31", "焦炉煤气", "终端消费", 3.2, "MtCO2"),
    ("31", "洗精煤", "终端消费", 2.5, "MtCO2"),
    ("31", "原煤", "终端消费", 1.5, "MtCO2"),
    ("31", "型煤", "终端消费", 0.7, "MtCO2"),
    ("31", "天然气", "终端消费", 0.3, "MtCO2"),
    ("31", "柴油", "终端消费", 0.1, "MtCO2"),
    ("31", "高炉煤气", "火力发电", 5.0, "MtCO2"),
    ("31", "转炉煤气", "火力发电", 0.5, "MtCO2"),
    ("31", "焦炉煤气", "火力发电", 0.5, "MtCO2"),
    ("31", "电力", "终端消费", 330.0, "亿千瓦时"),
    ("31", "热力", "终端消费", 300.0, "万吉焦"),
    # 25 coking: coal into 炼焦 is transformation, not combustion
    ("25", "洗精煤", "炼焦", 12900.0, "万吨"),
    ("25", "焦炉煤气", "终端消费", 16.0, "MtCO2"),
    ("25", "原煤", "终端消费", 15.0, "MtCO2"),
    ("25", "其他洗煤", "终端消费", 1.4, "MtCO2"),
    ("25", "其他焦化产品", "终端消费", 2.7, "MtCO2"),
    ("25", "其他煤气", "终端消费", 1.7, "MtCO2"),
    ("25", "焦炭", "终端消费", 1.0, "MtCO2"),
    ("25", "柴油", "终端消费", 0.1, "MtCO2"),
    ("25", "焦炉煤气", "火力发电", 1.5, "MtCO2"),
    ("25", "其他焦化产品", "炼油", 200.0, "万吨"),
    ("25", "电力", "终端消费", 70.0, "亿千瓦时"),
    ("25", "热力", "终端消费", 200.0, "万吉焦"),
    # 30 non-metallic minerals (cement, glass, lime); process CO2 comes from clinker output
    ("30", "原煤", "终端消费", 4.2, "MtCO2"),
    ("30", "其他煤气", "终端消费", 0.8, "MtCO2"),
    ("30", "天然气", "终端消费", 0.7, "MtCO2"),
    ("30", "焦炭", "终端消费", 0.3, "MtCO2"),
    ("30", "石油焦", "终端消费", 0.2, "MtCO2"),
    ("30", "柴油", "终端消费", 0.15, "MtCO2"),
    ("30", "电力", "终端消费", 130.0, "亿千瓦时"),
    # 26 chemicals, with feedstock (原料用途) rows
    ("26", "原煤", "终端消费", 1.2, "MtCO2"),
    ("26", "其他焦化产品", "终端消费", 1.3, "MtCO2"),
    ("26", "焦炉煤气", "终端消费", 1.2, "MtCO2"),
    ("26", "其他煤气", "终端消费", 0.7, "MtCO2"),
    ("26", "洗精煤", "终端消费", 0.3, "MtCO2"),
    ("26", "天然气", "终端消费", 0.2, "MtCO2"),
    ("26", "原煤", "火力发电", 1.5, "MtCO2"),
    ("26", "原煤", "原料用途", 1200.0, "万吨"),
    ("26", "洗精煤", "原料用途", 400.0, "万吨"),
    ("26", "焦炭", "原料用途", 60.0, "万吨"),
    ("26", "焦炉煤气", "原料用途", 30.0, "亿立方米"),
    ("26", "天然气", "原料用途", 3.0, "亿立方米"),
    ("26", "电力", "终端消费", 160.0, "亿千瓦时"),
    ("26", "热力", "终端消费", 4000.0, "万吉焦"),
    # 06 coal mining and washing: raw coal into 洗选煤 is transformation
    ("06", "原煤", "洗选煤", 60000.0, "万吨"),
    ("06", "原煤", "终端消费", 3.7, "MtCO2"),
    ("06", "其他洗煤", "终端消费", 2.6, "MtCO2"),
    ("06", "焦炭", "终端消费", 1.35, "MtCO2"),
    ("06", "柴油", "终端消费", 1.3, "MtCO2"),
    ("06", "天然气", "终端消费", 1.0, "MtCO2"),
    ("06", "其他煤气", "终端消费", 0.9, "MtCO2"),
    ("06", "型煤", "终端消费", 0.75, "MtCO2"),
    ("06", "电力", "终端消费", 260.0, "亿千瓦时"),
    ("06", "热力", "终端消费", 300.0, "万吉焦"),
    ("07", "天然气", "终端消费", 0.1, "MtCO2"),
    ("07", "柴油", "终端消费", 0.07, "MtCO2"),
    ("07", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("08", "柴油", "终端消费", 0.3, "MtCO2"),
    ("08", "原煤", "终端消费", 0.25, "MtCO2"),
    ("08", "电力", "终端消费", 20.0, "亿千瓦时"),
    ("09", "柴油", "终端消费", 0.05, "MtCO2"),
    ("09", "电力", "终端消费", 8.0, "亿千瓦时"),
    ("10", "柴油", "终端消费", 0.02, "MtCO2"),
    ("10", "电力", "终端消费", 2.0, "亿千瓦时"),
    # 32 non-ferrous metals (alumina, aluminium, magnesium)
    ("32", "其他煤气", "终端消费", 6.0, "MtCO2"),
    ("32", "原煤", "终端消费", 1.2, "MtCO2"),
    ("32", "焦炉煤气", "终端消费", 0.84, "MtCO2"),
    ("32", "天然气", "终端消费", 0.67, "MtCO2"),
    ("32", "焦炭", "终端消费", 0.3, "MtCO2"),
    ("32", "原煤", "火力发电", 1.5, "MtCO2"),
    ("32", "电力", "终端消费", 210.0, "亿千瓦时"),
    # other manufacturing
    ("13", "原煤", "终端消费", 0.12, "MtCO2"),
    ("13", "电力", "终端消费", 8.0, "亿千瓦时"),
    ("14", "原煤", "终端消费", 0.05, "MtCO2"),
    ("14", "天然气", "终端消费", 0.03, "MtCO2"),
    ("14", "电力", "终端消费", 4.0, "亿千瓦时"),
    ("15", "原煤", "终端消费", 0.06, "MtCO2"),
    ("15", "天然气", "终端消费", 0.05, "MtCO2"),
    ("15", "电力", "终端消费", 4.0, "亿千瓦时"),
    ("17", "天然气", "终端消费", 0.015, "MtCO2"),
    ("17", "电力", "终端消费", 2.0, "亿千瓦时"),
    ("22", "原煤", "终端消费", 0.12, "MtCO2"),
    ("22", "电力", "终端消费", 3.0, "亿千瓦时"),
    ("27", "天然气", "终端消费", 0.04, "MtCO2"),
    ("27", "电力", "终端消费", 4.0, "亿千瓦时"),
    ("29", "天然气", "终端消费", 0.05, "MtCO2"),
    ("29", "电力", "终端消费", 5.0, "亿千瓦时"),
    ("33", "焦炭", "终端消费", 0.53, "MtCO2"),
    ("33", "天然气", "终端消费", 0.05, "MtCO2"),
    ("33", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("34", "原煤", "终端消费", 0.13, "MtCO2"),
    ("34", "其他煤气", "终端消费", 0.1, "MtCO2"),
    ("34", "电力", "终端消费", 10.0, "亿千瓦时"),
    ("35", "其他煤气", "终端消费", 2.0, "MtCO2"),
    ("35", "焦炭", "终端消费", 0.5, "MtCO2"),
    ("35", "天然气", "终端消费", 0.1, "MtCO2"),
    ("35", "电力", "终端消费", 10.0, "亿千瓦时"),
    ("36", "天然气", "终端消费", 0.05, "MtCO2"),
    ("36", "电力", "终端消费", 6.0, "亿千瓦时"),
    ("38", "天然气", "终端消费", 0.015, "MtCO2"),
    ("38", "电力", "终端消费", 5.0, "亿千瓦时"),
    ("39", "天然气", "终端消费", 0.05, "MtCO2"),
    ("39", "电力", "终端消费", 12.0, "亿千瓦时"),
    ("45", "天然气", "终端消费", 0.03, "MtCO2"),
    ("45", "洗精煤", "制气", 20.0, "万吨"),
    ("45", "电力", "终端消费", 3.0, "亿千瓦时"),
    ("46", "电力", "终端消费", 12.0, "亿千瓦时"),
    # construction
    ("47", "柴油", "终端消费", 1.1, "MtCO2"),
    ("47", "汽油", "终端消费", 0.2, "MtCO2"),
    ("47", "原煤", "终端消费", 0.15, "MtCO2"),
    ("47", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("48", "柴油", "终端消费", 0.4, "MtCO2"),
    ("48", "汽油", "终端消费", 0.1, "MtCO2"),
    ("48", "电力", "终端消费", 10.0, "亿千瓦时"),
    # agriculture
    ("01", "原煤", "终端消费", 1.5, "MtCO2"),
    ("01", "柴油", "终端消费", 0.6, "MtCO2"),
    ("01", "汽油", "终端消费", 0.1, "MtCO2"),
    ("01", "电力", "终端消费", 20.0, "亿千瓦时"),
    ("03", "原煤", "终端消费", 0.5, "MtCO2"),
    ("03", "电力", "终端消费", 6.0, "亿千瓦时"),
    ("05", "柴油", "终端消费", 0.6, "MtCO2"),
    ("05", "电力", "终端消费", 4.0, "亿千瓦时"),
    # transport, storage and post
    ("53", "柴油", "终端消费", 0.8, "MtCO2"),
    ("53", "电力", "终端消费", 45.0, "亿千瓦时"),
    ("54", "柴油", "终端消费", 8.5, "MtCO2"),
    ("54", "汽油", "终端消费", 4.0, "MtCO2"),
    ("54", "天然气", "终端消费", 1.1, "MtCO2"),
    ("54", "液化天然气", "终端消费", 1.0, "MtCO2"),
    ("54", "电力", "终端消费", 8.0, "亿千瓦时"),
    ("55", "柴油", "终端消费", 0.02, "MtCO2"),
    ("56", "煤油", "终端消费", 1.36, "MtCO2"),
    ("56", "电力", "终端消费", 1.0, "亿千瓦时"),
    ("57", "天然气", "终端消费", 0.1, "MtCO2"),
    ("57", "电力", "终端消费", 1.0, "亿千瓦时"),
    ("59", "柴油", "终端消费", 0.5, "MtCO2"),
    ("59", "原煤", "终端消费", 0.1, "MtCO2"),
    ("59", "电力", "终端消费", 5.0, "亿千瓦时"),
    ("60", "汽油", "终端消费", 0.15, "MtCO2"),
    ("60", "电力", "终端消费", 1.0, "亿千瓦时"),
    # services and public administration
    ("51", "原煤", "终端消费", 0.8, "MtCO2"),
    ("51", "天然气", "终端消费", 0.4, "MtCO2"),
    ("51", "电力", "终端消费", 30.0, "亿千瓦时"),
    ("52", "原煤", "终端消费", 0.5, "MtCO2"),
    ("52", "天然气", "终端消费", 0.3, "MtCO2"),
    ("52", "电力", "终端消费", 35.0, "亿千瓦时"),
    ("61", "原煤", "终端消费", 0.5, "MtCO2"),
    ("61", "天然气", "终端消费", 0.25, "MtCO2"),
    ("61", "液化石油气", "终端消费", 0.05, "MtCO2"),
    ("61", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("61", "热力", "终端消费", 1500.0, "万吉焦"),
    ("62", "原煤", "终端消费", 0.6, "MtCO2"),
    ("62", "天然气", "终端消费", 0.3, "MtCO2"),
    ("62", "液化石油气", "终端消费", 0.1, "MtCO2"),
    ("62", "电力", "终端消费", 20.0, "亿千瓦时"),
    ("64", "电力", "终端消费", 20.0, "亿千瓦时"),
    ("70", "天然气", "终端消费", 0.1, "MtCO2"),
    ("70", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("70", "热力", "终端消费", 2500.0, "万吉焦"),
    ("78", "电力", "终端消费", 5.0, "亿千瓦时"),
    ("83", "原煤", "终端消费", 0.6, "MtCO2"),
    ("83", "天然气", "终端消费", 0.3, "MtCO2"),
    ("83", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("83", "热力", "终端消费", 1800.0, "万吉焦"),
    ("84", "原煤", "终端消费", 0.3, "MtCO2"),
    ("84", "天然气", "终端消费", 0.2, "MtCO2"),
    ("84", "电力", "终端消费", 10.0, "亿千瓦时"),
    ("84", "热力", "终端消费", 900.0, "万吉焦"),
    ("92", "原煤", "终端消费", 0.6, "MtCO2"),
    ("92", "天然气", "终端消费", 0.3, "MtCO2"),
    ("92", "汽油", "终端消费", 0.5, "MtCO2"),
    ("92", "电力", "终端消费", 15.0, "亿千瓦时"),
    ("92", "热力", "终端消费", 1300.0, "万吉焦"),
    # households
    ("HH_URBAN", "原煤", "终端消费", 1.8, "MtCO2"),
    ("HH_URBAN", "型煤", "终端消费", 0.2, "MtCO2"),
    ("HH_URBAN", "天然气", "终端消费", 2.0, "MtCO2"),
    ("HH_URBAN", "液化石油气", "终端消费", 0.15, "MtCO2"),
    ("HH_URBAN", "汽油", "终端消费", 0.6, "MtCO2"),
    ("HH_URBAN", "电力", "终端消费", 170.0, "亿千瓦时"),
    ("HH_URBAN", "热力", "终端消费", 15000.0, "万吉焦"),
    ("HH_RURAL", "原煤", "终端消费", 3.6, "MtCO2"),
    ("HH_RURAL", "型煤", "终端消费", 0.6, "MtCO2"),
    ("HH_RURAL", "天然气", "终端消费", 1.0, "MtCO2"),
    ("HH_RURAL", "液化石油气", "终端消费", 0.1, "MtCO2"),
    ("HH_RURAL", "汽油", "终端消费", 0.5, "MtCO2"),
    ("HH_RURAL", "柴油", "终端消费", 0.1, "MtCO2"),
    ("HH_RURAL", "电力", "终端消费", 100.0, "亿千瓦时"),
    ("HH_RURAL", "热力", "终端消费", 300.0, "万吉焦"),
    ("HH_RURAL", "其他能源", "终端消费", 50.0, "万吨标准煤"),
]

# Drivers of the transformation flows: coking coal follows coke output, washing follows
# raw coal production; the other non-combustion flows follow their group's trend.
TRANSFORMATION_DRIVERS: dict[str, dict[int, float]] = {
    "炼焦": INDUSTRIAL_OUTPUT_10K_T["焦炭"],
    "洗选煤": RAW_COAL_PRODUCTION_10K_T,
}
# Which monthly profile (MONTHLY_SHAPES) a flow follows, by use, and the fuels services burn
# for space heating.
USE_SHAPES: dict[str, str] = {"供热": "heating", "火力发电": "power"}
SERVICES_HEATING_FUELS = frozenset({"原煤", "天然气", "型煤", "液化石油气"})
# Units of the flow tables (BASE_FLOWS) that are not units of the contract: 万吉焦 = 10^4 GJ.
FLOW_UNITS_OUTSIDE_THE_CONTRACT: dict[str, float] = {"万吉焦": 1e4}

# --- Monthly shapes (quick reports, meter and generation profiles) ----------------------

# Share of the year's quantity in each month (Jan..Dec); each sums to 1. The heating
# season in Shanxi runs from mid-November to mid-March.
MONTHLY_SHAPES: dict[str, tuple[float, ...]] = {
    "heating": (0.205, 0.165, 0.120, 0.030, 0.012, 0.010, 0.010, 0.010, 0.012, 0.030, 0.176, 0.220),
    "power": (0.094, 0.080, 0.082, 0.076, 0.076, 0.082, 0.091, 0.090, 0.078, 0.077, 0.084, 0.090),
    "industry": (
        0.083,
        0.072,
        0.084,
        0.083,
        0.085,
        0.085,
        0.084,
        0.085,
        0.084,
        0.085,
        0.085,
        0.085,
    ),
    "cement": (0.040, 0.030, 0.080, 0.100, 0.110, 0.105, 0.095, 0.095, 0.100, 0.105, 0.085, 0.055),
    "transport": (
        0.078,
        0.075,
        0.082,
        0.084,
        0.087,
        0.087,
        0.090,
        0.090,
        0.085,
        0.088,
        0.078,
        0.076,
    ),
    "agriculture": (
        0.060,
        0.055,
        0.080,
        0.100,
        0.110,
        0.110,
        0.100,
        0.090,
        0.090,
        0.085,
        0.065,
        0.055,
    ),
    "household_electricity": (
        0.100,
        0.092,
        0.080,
        0.070,
        0.070,
        0.080,
        0.095,
        0.095,
        0.074,
        0.070,
        0.082,
        0.092,
    ),
}

# Quick reports undercount the final annual figures (late and small reporters): the annual
# revision of the second-to-last year is this much above the sum of its monthly quicks.
QUICK_UNDERCOUNT = 0.03

# --- The world as of a day: quick reports kept, the daily window -----------------------

# Monthly quick reports are delivered for the year in progress and this many years before it
# (older years were loaded as finals only): every year whose final is in carries the annual
# revision of its quicks. Four: the three full years of the daily window at scale 1 and the year
# before them, so the nowcast learns the quick reports' shortfall against the finals for every
# year it is backtested on (int_emissions__nowcast_coefficients, revision_ratio).
QUICK_HISTORY_YEARS = 4
# Full years of daily meter and dispatch data before the as-of year, per unit of scale
# (capped at the world's first year): scale 1 has the last three full years and the year in
# progress up to the as-of date.
DAILY_HISTORY_YEARS_PER_SCALE = 3

# --- Metered against reported electricity ------------------------------------------------

# Share of an industry's end-use electricity (终端消费 of 电力, as the statistics report it)
# that its own plants generate (自备电厂): consumed on site, never metered by the grid. The
# industries with thermal generation of their own in BASE_FLOWS (火力发电 rows): steel,
# coking, chemicals, non-ferrous (magnitudes of the provinces' captive-power surveys).
SELF_GENERATION_SHARE: dict[str, float] = {"31": 0.08, "25": 0.06, "26": 0.05, "32": 0.10}
# The reporting difference between the grid's meters and the enterprises' reports of a
# county x industry x year (lognormal sigma): accounts filed under another industry,
# reporting periods that are not calendar months, estimated readings.
METER_REPORTING_SIGMA = 0.02

# --- Drift of the electricity -> direct-emissions relation ------------------------------

# Efficiency gains and electrification: each year a group's electricity grows by this share
# against its fuels (before both are calibrated to the province's totals), so its CO2 per MWh
# falls by about as much a year against the province's (electric-arc steel, kiln waste-heat
# power, electric trucks and railways, heat pumps; synthetic magnitudes).
ELECTRICITY_SHIFT_PER_YEAR: dict[str, float] = {
    "power": 0.0, "steel": 0.03, "coking": 0.01, "building": 0.02, "nonferrous": 0.005,
    "chemicals": 0.015, "mining": 0.01, "other_industry": 0.02, "transport": 0.05,
    "households": 0.02, "services": 0.025, "agriculture": 0.01, "construction": 0.02,
}  # fmt: skip
# Fuel switching of clean winter heating (清洁取暖 煤改气 / 煤改电, from 2017): in these
# counties a further share of the households' and services' coal each year from the first
# year (up to FUEL_SWITCHING_MAX_SHARE) goes to gas or electricity: (city, county, first year,
# share per year, the energy switched to).
FUEL_SWITCHING: list[tuple[str, str, int, float, str]] = [
    ("太原市", "小店区", 2017, 0.15, "天然气"),
    ("太原市", "杏花岭区", 2017, 0.15, "天然气"),
    ("晋中市", "榆次区", 2018, 0.12, "电力"),
    ("临汾市", "尧都区", 2019, 0.12, "电力"),
    ("运城市", "盐湖区", 2020, 0.10, "天然气"),
    ("大同市", "平城区", 2021, 0.12, "电力"),
    ("长治市", "潞州区", 2022, 0.12, "天然气"),
    ("忻州市", "忻府区", 2023, 0.12, "电力"),
]
FUEL_SWITCHING_MAX_SHARE = 0.8
FUEL_SWITCHING_INDUSTRIES = ("HH_URBAN", "HH_RURAL", "61", "62", "83", "84", "92")
FUEL_SWITCHING_COAL = ("原煤", "型煤")
# How much the energy switched to grows per unit of coal share switched (heat pumps need a
# third of the energy of a coal stove; a gas boiler about as much).
FUEL_SWITCHING_GAIN: dict[str, float] = {"电力": 0.35, "天然气": 1.0}
# The heating season: households' and services' heating fuels, heat and the heat supply of
# power plants follow MONTHLY_SHAPES["heating"] (January 20.5 %, July 1 %), their electricity
# MONTHLY_SHAPES["household_electricity"] (January 10 %, July 9.5 %): winter raises direct
# emissions far more than electricity.
# Coal plants closing mid-year (上大压小: small old units shut as large ones come on line):
# year -> how many plants of at most CLOSING_PLANT_MAX_MW, the least efficient first, close on
# a day of that year. Plants also open mid-year: each on its commissioning day
# (world.COAL_UNIT_CONFIGURATIONS: 1000 MW units 2016-2021, some 600-660 MW to 2023).
COAL_PLANT_CLOSURES: dict[int, int] = {2018: 1, 2019: 1, 2020: 2, 2022: 1, 2023: 2, 2025: 1}
CLOSING_PLANT_MAX_MW = 300.0
# Siting of the coal plants that open or close inside the world's years (world.CoalSiting):
# the opening or closing may move its county's total CO2 in a year by at most this share of
# the quality gate's year-on-year bound (yoy_change_max_pct, quality/thresholds.yml), the rest
# being the year's other changes (trends, the spread of a county's cells, fuel switching), and
# the county's CO2 per resident may reach this share of per_capita_max_tco2.
PLANT_SITING_SHARE_OF_BOUND = 0.6
# The coal varieties the coal-fired plants burn in the statistics (44 x 火力发电): their
# county quantities follow the plants' coal use, and the plants' reported coal use
# (generation_daily.coal_consumption_tce) adds up to them.
COAL_FOR_POWER_VARIETIES = ("原煤", "其他洗煤", "煤矸石")
# New aluminium smelters (electrolysis: ~13,500 kWh per tonne and little fuel): (city, county,
# first day, tonnes a year). The county's non-ferrous electricity rises from that day while its
# direct emissions barely move.
NEW_SMELTERS: list[tuple[str, str, str, float]] = [
    ("吕梁市", "兴县", "2019-07-01", 250_000.0),
    ("忻州市", "原平市", "2023-05-01", 200_000.0),
    ("吕梁市", "交口县", "2026-03-01", 150_000.0),
]
SMELTER_KWH_PER_T = 13_500.0
SMELTER_INDUSTRY = "32"
# The heat of one tonne of standard coal (GB/T 2589-2020: 1 kgce = 29 307.6 kJ).
GJ_PER_TCE = 29.3076

# --- Forest and grassland carbon sinks (forestry/carbon_sinks) --------------------------

# Forest area of Shanxi, ha: 5450.93万亩 at the end of 2019 (省林业和草原局, 2019年全省森林资源
# 年度清查结果, announced 2020-12-05: coverage 23.18 %, +0.39 points on 2018), i.e.
# 3,633,953 ha; other years at +0.39 points of the province's 15.67 million ha a year
# (synthetic beyond 2019).
FOREST_AREA_2019_HA = 5_450.93e4 / 15
FOREST_AREA_GROWTH_HA_PER_YEAR = 0.0039 * 15.67e6
# Synthetic: growing stock per hectare of forest, its yearly growth, and the grassland area;
# the sink of the sample follows the stock-change idea of IPCC 2006 Vol. 4 (growth × biomass
# per m3 × (1 + root ratio) × carbon fraction 0.47 × 44/12), with made-up parameters.
FOREST_STOCK_M3_PER_HA = 40.0
FOREST_STOCK_GROWTH_RATE = 0.035
BIOMASS_T_PER_M3 = 0.65
ROOT_TO_SHOOT_RATIO = 0.25
CARBON_FRACTION = 0.47
GRASSLAND_AREA_HA = 2.0e6
GRASSLAND_SINK_TCO2_PER_HA = 0.2
