"""A small hand-made basin for the bulletin tests: 7 sections, a reservoir, 3 gauges, 1 automatic station.

Expected numbers, worked out by hand (GB 3838-2002 Table 1; 2011 method; TLI 2001):

* S1 river, target Ⅱ: TP 0.04 (Ⅱ), NH3-N 0.1 (Ⅰ), DO 8 (Ⅰ) → Ⅱ, met; sampled twice.
* S2 river, target Ⅲ: TP 0.15 → Ⅲ, met.
* S3 river, target Ⅱ: TP 0.5 > 0.4 → 劣Ⅴ, (0.5 − 0.2) / 0.2 = 1.50 → "总磷(1.50)", not met.
* S4 river, target Ⅲ: NH3-N 1.2 → Ⅳ, (1.2 − 1.0) / 1.0 = 0.20 → "氨氮(0.20)", not met.
* L1 reservoir, target Ⅱ: lake TP 0.02 (Ⅱ), CODMn 3.0 (Ⅱ) → Ⅱ, met.
* L2 reservoir, target Ⅱ: lake TP 0.03 (Ⅲ) → Ⅲ, not met.
* S5 river: no sample in August (completeness: 6 of 7 lab samples).

Six sections assessed: Ⅰ–Ⅲ 4 (66.7 %), Ⅳ–Ⅴ 1 (16.7 %), 劣Ⅴ 1 (16.7 %) → 轻度污染; met 3 of 6.
Reservoir 测试水库 (mean of L1, L2): TP 0.025 (Ⅱ, at the limit), CODMn 3.25 (Ⅱ) → Ⅱ.
Rain (days end 20:00): R1 3 + 5 = 8 mm (7 mm on 31 Aug 22:00 belongs to 1 Sep), R2 12 mm,
R3 4 mm but only 216 of 744 hours; county 110118 (R1, R2) 10 mm, 110228 (R3) 4 mm, basin 8 mm.
Automatic station A1: 4-hourly, 12 of 186 instants missing → 174 / 186.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import liuyu
from assess_data import lab, sections
from conftest import township_frame
from liuyu.workspace import Workspace

LAB_AGENCY = "测试环境监测中心"
RAIN_AGENCY = "测试水文站"
AUTO_AGENCY = "测试自动站中心"


def stations() -> gpd.GeoDataFrame:
    wq = sections(
        [
            ("S1", "river", "II", 116.82),
            ("S2", "river", "III", 116.86),
            ("S3", "river", "II", 116.90),
            ("S4", "river", "III", 116.94),
            ("L1", "lake_reservoir", "II", 116.98),
            ("L2", "lake_reservoir", "II", 117.0),
            ("S5", "river", "II", 116.84),
        ]
    )
    wq["agency"] = LAB_AGENCY
    wq["river"] = ["白河", "白河", "潮河", "潮河", "测试水库", "测试水库", "黑河"]
    wq["county_code"] = "110118"
    other = gpd.GeoDataFrame(
        {
            "code": ["R1", "R2", "R3", "A1"],
            "name": ["甲雨量站", "乙雨量站", "丙雨量站", "自动站"],
            "kind": ["rain", "rain", "rain", "auto_water_quality"],
            "agency": [RAIN_AGENCY] * 3 + [AUTO_AGENCY],
            "county_code": ["110118", "110118", "110228", "110118"],
            "jurisdiction": "beijing",
            "geometry": shapely.points([(116.83, 40.45), (116.9, 40.47), (116.95, 40.52), (116.88, 40.5)]),
        },
        crs="EPSG:4490",
    )
    return pd.concat([wq, other], ignore_index=True)


def lab_samples() -> pd.DataFrame:
    return pd.concat(
        [
            lab("S1", "2024-08-05 10:00", {"tp": 0.04, "nh3n": 0.1, "do": 8.0}),
            lab("S1", "2024-08-20 10:00", {"tp": 0.04, "nh3n": 0.1, "do": 8.0}),
            lab("S2", "2024-08-06 10:00", {"tp": 0.15, "nh3n": 0.1}),
            lab("S3", "2024-08-07 10:00", {"tp": 0.5, "nh3n": 0.1}),
            lab("S4", "2024-08-08 10:00", {"tp": 0.05, "nh3n": 1.2}),
            lab("L1", "2024-08-09 10:00", {"tp": 0.02, "tn": 0.4, "chla": 4.0, "sd": 2.0, "codmn": 3.0}),
            lab("L2", "2024-08-09 11:00", {"tp": 0.03, "tn": 0.6, "chla": 6.0, "sd": 1.5, "codmn": 3.5}),
            lab("S5", "2024-07-20 10:00", {"tp": 0.04}),  # July: S5 sends nothing in August
        ],
        ignore_index=True,
    )


def _hourly(code: str, first: str, last: str, rain: dict[str, float]) -> pd.DataFrame:
    local = pd.date_range(first, last, freq="h", tz="Asia/Shanghai")
    value = pd.Series(0.0, index=local)
    for when, mm in rain.items():
        value[pd.Timestamp(when, tz="Asia/Shanghai")] = mm
    return pd.DataFrame(
        {
            "station_code": code,
            "property_code": "rainfall",
            "phenomenon_time": local.tz_convert("UTC"),
            "value": value.to_numpy(),
            "method": "gauge",
        }
    )


def rain() -> pd.DataFrame:
    full = ("2024-07-31 21:00", "2024-08-31 23:00")
    return pd.concat(
        [
            _hourly("R1", *full, {"2024-07-31 21:00": 3.0, "2024-08-10 15:00": 5.0, "2024-08-31 22:00": 7.0}),
            _hourly("R2", *full, {"2024-08-20 08:00": 12.0}),
            _hourly("R3", "2024-08-01 21:00", "2024-08-10 20:00", {"2024-08-05 12:00": 4.0}),
        ],
        ignore_index=True,
    )


def automatic() -> pd.DataFrame:
    local = pd.date_range("2024-08-01 00:00", "2024-08-31 20:00", freq="4h", tz="Asia/Shanghai")
    local = local.delete(np.arange(60, 72))  # two days offline: 12 instants
    times = local.tz_convert("UTC")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "station_code": "A1",
                    "property_code": p,
                    "phenomenon_time": times,
                    "value": v,
                    "method": "auto",
                }
            )
            for p, v in (("tp", 0.03), ("nh3n", 0.2))
        ],
        ignore_index=True,
    )


def counties() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["110118", "110228"], "name": ["甲区", "乙县"], "jurisdiction": "beijing"},
        geometry=[shapely.box(116.8, 40.4, 116.9, 40.55), shapely.box(116.9, 40.4, 117.0, 40.55)],
        crs="EPSG:4490",
    )


def build(root: Path) -> Workspace:
    """The workspace, written through the public API like an agency's deliveries would be."""
    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    ws.write_layer("stations", stations())
    ws.write_layer("counties", counties())
    ws.write_layer("townships", township_frame(12, jurisdiction="beijing"))
    basin = gpd.GeoDataFrame(
        {"code": ["B"], "name": ["测试流域"]},
        geometry=[shapely.box(116.8, 40.4, 117.0, 40.55)],
        crs="EPSG:4490",
    )
    ws.write_layer("basin", basin)
    ws.append_observations(pd.concat([lab_samples(), rain(), automatic()], ignore_index=True))
    return ws
