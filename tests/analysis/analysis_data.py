"""A tiny hand-made basin for the analysis tests: two counties, three townships, parcels, rivers, a DEM."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from shapely import LineString, Point, box

import liuyu

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_500_000.0
CLASSES = np.array(["0103", "0301", "0702", "0305"])


def gdf(data: dict, geoms: list, jurisdiction: str | list[str] | None = None) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)
    if jurisdiction is not None:
        frame["jurisdiction"] = jurisdiction
    return frame


def km_box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X0 + x0 * 1000, Y0 + y0 * 1000, X0 + x1 * 1000, Y0 + y1 * 1000)


def parcels() -> gpd.GeoDataFrame:
    """200 parcels of 1 km² tiling the 20 km x 10 km basin, classes in a fixed pattern."""
    iy, ix = np.divmod(np.arange(200), 20)
    geoms = [km_box(x, y, x + 1, y + 1) for x, y in zip(ix, iy, strict=True)]
    return gdf({"parcel_id": [f"P{i:03d}" for i in range(200)], "class_code": CLASSES[(ix + iy) % 4]}, geoms)


def dem() -> tuple[np.ndarray, Affine]:
    """30 m DEM: flat (100 m) in the west half, a 0.6 gradient (31°) rising eastwards in the east half."""
    res = 30.0
    cols = int(20_000 / res) + 1
    rows = int(10_000 / res) + 1
    x = np.arange(cols) * res
    z = np.where(x < 10_000, 100.0, 100.0 + 0.6 * (x - 10_000))
    return np.tile(z, (rows, 1)).astype(np.float32), Affine(res, 0, X0, 0, -res, Y0 + rows * res)


def build(root: Path) -> Path:
    """Write the tiny basin into a new workspace at ``root``."""
    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    ws.write_layer("basin", gdf({"code": ["B"], "name": ["测试流域"]}, [km_box(0, 0, 20, 10)]))
    ws.write_layer(
        "counties",
        gdf(
            {"code": ["110118", "130824"], "name": ["西县", "东县"]},
            [km_box(0, 0, 10, 10), km_box(10, 0, 20, 10)],
            ["beijing", "hebei"],
        ),
    )
    ws.write_layer(
        "townships",
        gdf(
            {
                "code": ["110118001", "130824001", "130824002"],
                "name": ["西乡", "东南乡", "东北乡"],
                "county_code": ["110118", "130824", "130824"],
            },
            [km_box(0, 0, 10, 10), km_box(10, 0, 20, 5), km_box(10, 5, 20, 10)],
            ["beijing", "hebei", "hebei"],
        ),
    )
    ws.write_layer(
        "small_watersheds",
        gdf(
            {"code": ["SW1", "SW2", "SW3", "SW4"], "name": ["一", "二", "三", "四"]},
            [km_box(0, 0, 10, 5), km_box(0, 5, 10, 10), km_box(10, 0, 20, 5), km_box(10, 5, 20, 10)],
        ),
    )
    ws.write_layer("land_use", parcels())
    ws.write_layer(
        "protection_zones",
        gdf(
            {"code": ["PZ1", "PZ2"], "grade": ["1", "2"]},
            [km_box(2, 2, 4, 4), km_box(1, 1, 6, 6).difference(km_box(2, 2, 4, 4))],
        ),
    )
    ws.write_layer(
        "forest_subcompartments",
        gdf(
            {"code": ["F1", "F2"], "forest_type": ["0111", "0131"]}, [km_box(0, 0, 3, 3), km_box(3, 3, 5, 5)]
        ),
    )
    ws.write_layer(
        "rivers",
        gdf(
            {
                "code": ["R1", "R2", "R3"],
                "name": ["大河", "小沟", "北河"],
                "catchment_km2": [800.0, 30.0, 120.0],
            },
            [
                LineString([(X0 + 1_000, Y0 + 2_000), (X0 + 19_000, Y0 + 2_000)]),
                LineString([(X0 + 1_000, Y0 + 8_000), (X0 + 19_000, Y0 + 8_000)]),
                LineString([(X0 + 15_000, Y0 + 9_500), (X0 + 15_000, Y0 + 500)]),
            ],
        ),
    )
    pts = [
        (1, 1, "rain", "beijing"),
        (5, 5, "rain", "beijing"),
        (15, 5, "rain", "hebei"),
        (10.4, 2.1, "flow", "hebei"),
        (0.5, 5, "ecology", "beijing"),
        (0.01, 5, "water_quality", "beijing"),
    ]
    ws.write_layer(
        "stations",
        gdf(
            {
                "code": [f"S{i}" for i in range(len(pts))],
                "name": [f"站{i}" for i in range(len(pts))],
                "kind": [p[2] for p in pts],
                "role": [None] * 5 + ["provincial_boundary"],
            },
            [Point(X0 + x * 1000, Y0 + y * 1000) for x, y, _, _ in pts],
            [p[3] for p in pts],
        ),
    )
    z, transform = dem()
    ws.write_raster("dem", z, transform, CRS, nodata=-9999.0, unit="m")
    ws.close()
    return root
