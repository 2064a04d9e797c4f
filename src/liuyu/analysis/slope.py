"""Slope from the DEM (Horn's method, metres in the analysis CRS) and steep-slope polygons."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import rasterio.features
import shapely
from affine import Affine
from rasterio.warp import Resampling, calculate_default_transform, reproject

from liuyu.errors import CRSError

if TYPE_CHECKING:
    import numpy.typing as npt

#: The legal threshold (Water and Soil Conservation Law art. 20), configurable per call.
DEFAULT_THRESHOLD_DEG = 25.0


@dataclass(frozen=True)
class Grid:
    """A single-band grid in a projected CRS: values (NaN for nodata), transform and CRS."""

    values: np.ndarray
    transform: Affine
    crs: pyproj.CRS


def read_dem(path: str | os.PathLike[str], analysis_crs: str) -> Grid:
    """The DEM as float32 with NaN for nodata, warped to ``analysis_crs`` unless already in it.

    Slope needs horizontal and vertical distances in the same unit: a geographic DEM (degrees)
    is reprojected (bilinear) at about its own resolution, in metres.
    """
    target = pyproj.CRS.from_user_input(analysis_crs)
    if not target.is_projected:
        raise CRSError(f"analysis CRS {analysis_crs} is not projected", hint="set a projected analysis CRS")
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(np.float32).filled(np.nan)
        src_crs = pyproj.CRS.from_user_input(src.crs)
        if src_crs.equals(target):
            return Grid(data, src.transform, target)
        transform, width, height = calculate_default_transform(
            src.crs, target.to_wkt(), src.width, src.height, *src.bounds
        )
        out = np.full((height, width), np.nan, dtype=np.float32)
        reproject(
            data,
            out,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=target.to_wkt(),
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    return Grid(out, transform, target)


def horn_slope(z: np.ndarray, xres: float, yres: float) -> np.ndarray:
    """Slope in degrees of each cell by Horn's (1981) 3x3 finite differences.

    Edge cells repeat their neighbours (``np.pad`` mode "edge"); a NaN anywhere in a cell's
    window makes its slope NaN.

    Examples
    --------
    >>> z = np.add.outer(np.zeros(4), np.arange(4) * 10.0)   # rises 10 m per 10 m cell eastwards
    >>> float(horn_slope(z, 10.0, 10.0)[1, 1])
    45.0
    """
    p = np.pad(z.astype(np.float32, copy=False), 1, mode="edge")
    # rows of the window: top (a b c), middle (d e f), bottom (g h i)
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * xres)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * yres)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy))).astype(np.float32)


def slope_grid(dem: Grid, block_rows: int = 1024) -> Grid:
    """Slope of a whole DEM, computed in row blocks (one-row overlaps) to bound memory."""
    xres, yres = abs(dem.transform.a), abs(dem.transform.e)
    rows = dem.values.shape[0]
    out = np.empty_like(dem.values, dtype=np.float32)
    for start in range(0, rows, block_rows):
        lo, hi = max(start - 1, 0), min(start + block_rows + 1, rows)
        part = horn_slope(dem.values[lo:hi], xres, yres)
        out[start : min(start + block_rows, rows)] = part[
            start - lo : start - lo + min(block_rows, rows - start)
        ]
    return Grid(out, dem.transform, dem.crs)


def majority(mask: np.ndarray) -> np.ndarray:
    """3x3 majority filter: removes isolated steep cells and fills single-cell holes."""
    p = np.pad(mask.astype(np.uint8), 1)
    n = sum(p[r : r + mask.shape[0], c : c + mask.shape[1]] for r in range(3) for c in range(3))
    return np.asarray(n >= 5)


def steep_polygons(
    slope: Grid, threshold: float = DEFAULT_THRESHOLD_DEG, min_area_km2: float = 0.01, smooth: bool = True
) -> gpd.GeoDataFrame:
    """Polygons of the cells steeper than ``threshold`` degrees, in the slope grid's CRS.

    The mask is cleaned with a 3x3 majority filter (``smooth``), polygonized cell-edge exact,
    and pieces smaller than ``min_area_km2`` are dropped: a county's delineation keeps mapped
    areas, not stray cells. Columns: ``slope_min_deg`` and ``area_km2``.

    The small pieces go before polygonizing (a sieve of the raster: a piece's area is its cell
    count, holes excluded, with the same 4-connectivity as the polygons), because turning tens
    of thousands of stray pieces into geometries was most of the time on a basin-sized DEM.
    """
    mask = slope.values > threshold  # NaN (nodata) compares False
    if smooth:
        mask = majority(mask)
    cell_m2 = abs(slope.transform.a * slope.transform.e - slope.transform.b * slope.transform.d)
    min_cells = math.ceil(min_area_km2 * 1e6 / cell_m2 - 1e-9) if cell_m2 > 0 else 0
    if min_cells >= mask.size:  # (the sieve needs a size below the grid's) only a full grid is that big
        mask &= bool(mask.all())
    elif min_cells > 1 and mask.any():
        kept = rasterio.features.sieve(mask.astype(np.uint8), min_cells, connectivity=4)
        mask &= kept == 1  # the sieve also fills small holes: keep those open
    geoms = _polygons(rasterio.features.shapes(mask.astype(np.uint8), mask=mask, transform=slope.transform))
    area = shapely.area(geoms) / 1e6
    keep = area >= min_area_km2
    return gpd.GeoDataFrame(
        {"slope_min_deg": np.full(int(keep.sum()), float(threshold)), "area_km2": area[keep]},
        geometry=geoms[keep],
        crs=slope.crs,
    )


def _polygons(shapes: Iterable[tuple[dict[str, Any], float]]) -> npt.NDArray[np.object_]:
    """GeoJSON-like polygons (rasterio's shapes) as shapely Polygons, built in three array calls."""
    rings_of = [g["coordinates"] for g, _ in shapes]
    if not rings_of:
        return np.array([], dtype=object)
    n_rings = np.fromiter(map(len, rings_of), np.int64, len(rings_of))
    rings = list(chain.from_iterable(rings_of))
    n_points = np.fromiter(map(len, rings), np.int64, len(rings))
    flat = chain.from_iterable(chain.from_iterable(rings))
    coords = np.fromiter(flat, np.float64, 2 * int(n_points.sum())).reshape(-1, 2)
    lines = shapely.linearrings(coords, indices=np.repeat(np.arange(len(rings)), n_points))
    # the first ring of each polygon is its shell, the others its holes
    return np.asarray(shapely.polygons(lines, indices=np.repeat(np.arange(len(rings_of)), n_rings)))
