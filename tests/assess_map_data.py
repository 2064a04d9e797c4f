"""A small hand-made basin for the browser tests of water-quality classes on the map and the station panel.

Three sections with classes known by hand, a rain gauge, and a total-phosphorus series with one
suspect, one rejected and one censored value:

======  =========  ======  =====================================================================
code    type       target  local months → class (TP, river limits Ⅰ..Ⅴ 0.02/0.1/0.2/0.3/0.4)
======  =========  ======  =====================================================================
S1      river      Ⅱ       2024-06 Ⅰ, 2024-07 Ⅲ, 2024-08 Ⅴ, 2024-09 劣Ⅴ
S2      river      Ⅲ       2024-01 Ⅰ (NH3-N 0.1), 2024-08 Ⅳ (NH3-N 1.2)
L1      reservoir  Ⅱ       2024-08 Ⅲ (TP 0.04, lake limits)
======  =========  ======  =====================================================================
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

import liuyu
from assess_data import lab
from liuyu.network.qc import QCFlag

#: Expected class numbers per (station, month), as the table above says.
AUGUST = {"S1": 5, "S2": 4, "L1": 3}
S1_HISTORY = [
    ("2024-06", "Ⅰ", True),
    ("2024-07", "Ⅲ", False),
    ("2024-08", "Ⅴ", False),
    ("2024-09", "劣Ⅴ", False),
]


def stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["S1", "S2", "L1", "R1"],
            "name": ["断面一", "断面二", "库区一", "雨量一"],
            "kind": ["water_quality", "water_quality", "water_quality", "rain"],
            "water_type": ["river", "river", "lake_reservoir", None],
            "target_class": ["II", "III", "II", None],
            "jurisdiction": ["beijing", "beijing", "beijing", "hebei"],
        },
        geometry=[
            shapely.Point(116.80, 40.50),
            shapely.Point(116.90, 40.55),
            shapely.Point(117.00, 40.50),
            shapely.Point(116.85, 40.60),
        ],
        crs="EPSG:4490",
    )


def observations() -> pd.DataFrame:
    good = pd.concat(
        [
            lab("S1", "2024-06-05 10:00", {"tp": 0.01}),
            lab("S1", "2024-07-05 10:00", {"tp": 0.15}),
            lab("S1", "2024-08-05 10:00", {"tp": 0.35}),
            lab("S1", "2024-09-05 10:00", {"tp": 0.5}),
            lab("S2", "2024-01-10 10:00", {"nh3n": 0.1}),
            lab("S2", "2024-08-10 10:00", {"nh3n": 1.2}),
            lab("L1", "2024-08-10 10:00", {"tp": 0.04}),
        ],
        ignore_index=True,
    ).assign(censor="", qc_flag=0)
    flagged = pd.concat(
        [
            lab("S1", "2024-06-20 10:00", {"tp": 0.01}).assign(censor="<", qc_flag=int(QCFlag.CENSORED)),
            lab("S1", "2024-08-20 10:00", {"tp": 0.35}).assign(censor="", qc_flag=int(QCFlag.SUSPECT_RANGE)),
            lab("S1", "2024-08-25 10:00", {"tp": 99.0}).assign(censor="", qc_flag=int(QCFlag.REJECTED_RANGE)),
        ],
        ignore_index=True,
    )
    return pd.concat([good, flagged], ignore_index=True)


def build(root: Path) -> Path:
    """Write the workspace at ``root`` and close it."""
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer("stations", stations())
    ws.append_observations(observations())
    ws.close()
    return root
