"""Small real layers for the OGC API tests: parcels on a grid near Miyun, townships, stations."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from conftest import township_frame

N_PARCELS = 137  # not a multiple of any page size used, so the last page is partial
CLASSES = ["0101", "0301", "0201", "1001", "1101"]


def parcel_frame(n: int = N_PARCELS, *, seed: int = 7) -> gpd.GeoDataFrame:
    """n square parcels on a 20-column grid from 116.8E 40.4N, 0.004 degrees apart, 0.003 wide."""
    rng = np.random.default_rng(seed)
    ix = np.arange(n)
    x0 = 116.8 + (ix % 20) * 0.004
    y0 = 40.4 + (ix // 20) * 0.004
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:05d}" for i in ix],
            "class_code": [CLASSES[i % len(CLASSES)] for i in ix],
            "class_name": None,
            "area_m2": np.round(rng.uniform(100, 5000, n), 1),
            "county_code": np.where(ix % 3 == 0, "130828", "110118"),
            "survey_year": np.where(ix < n // 2, 2020, 2021),
            "jurisdiction": np.where(ix % 3 == 0, "hebei", "beijing"),
            "note": [f"备注{i}" for i in ix],  # not a field: kept in extra
        },
        geometry=shapely.box(x0, y0, x0 + 0.003, y0 + 0.003),
        crs="EPSG:4490",
    )


def station_frame() -> gpd.GeoDataFrame:
    """Five stations with establishment dates (a date field, used as the time field in tests)."""
    return gpd.GeoDataFrame(
        {
            "code": ["S1", "S2", "S3", "S4", "S#5"],
            "name": ["密云", "古北口", "下会", "张家坟", "白河堡"],
            "kind": ["rain", "flow", "quality", "rain", "level"],
            "established": ["1990-05-01", "2005-01-01", "2010-07-15", "2020-12-31", None],
            "jurisdiction": ["beijing", "beijing", "hebei", "hebei", "beijing"],
        },
        geometry=shapely.points(
            [[116.9, 40.5], [117.1, 40.6], [116.7, 40.45], [116.95, 40.7], [117.0, 40.4]]
        ),
        crs="EPSG:4490",
    )


def current_parcels() -> gpd.GeoDataFrame:
    """Version 2 of land_use: parcel P00005 removed, P00000 and P00001 reclassified to 1201."""
    changed = parcel_frame().drop(index=[5])
    changed.loc[changed["parcel_id"].isin(["P00000", "P00001"]), "class_code"] = "1201"
    return changed


def build(root: Path):
    """A workspace with land_use (v1, then v2 = current_parcels()), townships, stations."""
    import liuyu

    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    ws.write_layer("land_use", parcel_frame())
    ws.write_layer("land_use", current_parcels())
    ws.write_layer("townships", township_frame())
    ws.write_layer("stations", station_frame())
    return ws
