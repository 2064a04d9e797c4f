"""Small, real deliveries for the ingest tests: built in code, written with pyogrio or openpyxl."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from liuyu.ingest.delivery import Delivery, Problem

X0, Y0, STEP = 116.80, 40.40, 0.01


def parcels(n: int = 8, *, crs: str | None = "EPSG:4490") -> gpd.GeoDataFrame:
    """n square land-use parcels near Miyun with 三调-style field names (BSM, DLBM, TBMJ, ...)."""
    ix = np.arange(n)
    x, y = X0 + (ix % 4) * STEP, Y0 + (ix // 4) * STEP
    classes = np.array(["0101", "0103", "0301", "0404"])
    return gpd.GeoDataFrame(
        {
            "BSM": [f"P{i:04d}" for i in ix],
            "DLBM": classes[ix % 4],
            "TBMJ": np.round(700.0 + ix, 1),
            "XZQDM": "110118",
            "备注": [f"note {i}" for i in ix],
        },
        geometry=shapely.box(x, y, x + STEP, y + STEP),
        crs=crs,
    )


def delivery(frame: gpd.GeoDataFrame, name: str = "parcels.gpkg", **kw: object) -> Delivery:
    """A Delivery as a reader hands it over (rows 1..n, CRS from the frame unless given)."""
    n = len(frame)
    crs = kw.pop("crs", frame.crs)
    return Delivery(
        source=Path(name),
        format="test",
        frame=frame.reset_index(drop=True),
        rows=np.arange(1, n + 1, dtype=np.int64),
        crs=CRS.from_user_input(crs) if crs is not None else None,
        n_source_rows=n,
        **kw,  # type: ignore[arg-type]
    )


def unreadable_row(row: int) -> Problem:
    return Problem("coordinates not numbers", row=row, field="经度", value="abc")


def townships(n: int = 4, *, jurisdiction: str | None = None) -> gpd.GeoDataFrame:
    """A 2 x n/2 grid of township squares: a valid coverage."""
    ix = np.arange(n)
    x, y = np.round(X0 + (ix % 2) * 0.05, 6), np.round(Y0 + (ix // 2) * 0.05, 6)
    return gpd.GeoDataFrame(
        {"XZQDM": [f"110118{i:03d}" for i in ix], "XZQMC": [f"乡镇{i}" for i in ix]},
        geometry=shapely.box(x, y, np.round(x + 0.05, 6), np.round(y + 0.05, 6)),
        crs="EPSG:4490",
    )


def write_shapefile(frame: gpd.GeoDataFrame, folder: Path, name: str = "parcels", **kw: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    frame.to_file(path, engine="pyogrio", **kw)
    return path
