"""A small hand-made workspace for the ledger and facility tests: two counties, three facilities, stations."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

import liuyu
from liuyu.workspace import Workspace

#: Beijing lies west of 117.0°E, Hebei east of it (40.0–41.0°N).
BEIJING_POINT = shapely.Point(116.9, 40.5)
HEBEI_POINT = shapely.Point(117.1, 40.5)


def counties() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["110118", "130825"],
            "name": ["密云区", "隆化县"],
            "jurisdiction": ["beijing", "hebei"],
        },
        geometry=[shapely.box(116.5, 40.0, 117.0, 41.0), shapely.box(117.0, 40.0, 117.5, 41.0)],
        crs="EPSG:4490",
    )


def facilities() -> gpd.GeoDataFrame:
    """Three facilities: F1 and F2 in Beijing, F3 in Hebei."""
    return gpd.GeoDataFrame(
        {
            "code": ["F1", "F2", "F3"],
            "name": ["甲村污水处理站", "乙村污水处理站", "丙村污水处理站"],
            "village": ["甲村", "乙村", "丙村"],
            "capacity_m3d": [50.0, 80.0, 30.0],
            "process": ["A/O", "MBR", "人工湿地"],
            "operator": ["运维中心", "运维中心", "特许经营公司"],
            "standard": ["DB11/1612-2019", "DB11/1612-2019", "GB18918-2002"],
            "standard_class": ["一级A", "一级A", "一级B"],
            "jurisdiction": ["beijing", "beijing", "hebei"],
        },
        geometry=[shapely.Point(116.8, 40.4), shapely.Point(116.85, 40.45), shapely.Point(117.2, 40.6)],
        crs="EPSG:4490",
    )


def stations() -> gpd.GeoDataFrame:
    """A rural_sewage station at F1 (a few metres off) and one far from every facility."""
    return gpd.GeoDataFrame(
        {
            "code": ["NW1", "NW9"],
            "name": ["甲村出水", "野外站"],
            "kind": ["rural_sewage", "rural_sewage"],
            "jurisdiction": ["beijing", "hebei"],
        },
        geometry=[shapely.Point(116.80002, 40.40002), shapely.Point(117.4, 40.9)],
        crs="EPSG:4490",
    )


def ledger_workspace(root: Path) -> Workspace:
    """A workspace with counties, sewage facilities and two stations, nothing in the ledger."""
    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    ws.write_layer("counties", counties())
    ws.write_layer("sewage_facilities", facilities())
    ws.write_layer("stations", stations())
    return ws


def tiny_jpeg() -> bytes:
    """Enough of a JPEG for the type check (SOI + APP0 marker); the ledger never decodes photos."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200) + b"\xff\xd9"


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """A problems frame for the pure functions (only the columns they read)."""
    return pd.DataFrame(rows)
