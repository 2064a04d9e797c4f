"""Shared pieces of the demo-basin synthesis: result types, CRS helpers, noise and names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import affine
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from liuyu.geo.crs import to_crs, transformer

ANALYSIS_CRS = "EPSG:4548"
STORAGE_CRS = "EPSG:4490"

FloatArray = npt.NDArray[np.float64]
GeomArray = npt.NDArray[np.object_]


@dataclass
class Raster:
    """A single-band grid with its georeferencing, as the store and GDAL want it."""

    array: np.ndarray
    transform: affine.Affine
    crs: str
    nodata: float
    unit: str


@dataclass
class DemoBasin:
    """Everything `liuyu demo` writes into a fresh workspace."""

    layers: dict[str, gpd.GeoDataFrame]
    rasters: dict[str, Raster]
    observations: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def masked(keep: npt.ArrayLike, values: npt.ArrayLike) -> np.ndarray:
    """``values`` where ``keep``, else None (an object array, for optional attributes)."""
    mask = np.asarray(keep, dtype=bool)
    out = np.full(mask.shape, None, dtype=object)
    out[mask] = np.broadcast_to(np.asarray(values, dtype=object), mask.shape)[mask]
    return out


def xy(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Project CGCS2000 lon/lat to the analysis CRS, where all synthesis happens (metres)."""
    x, y = transformer(STORAGE_CRS, ANALYSIS_CRS).transform(np.asarray(lon), np.asarray(lat))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def lonlat(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`xy`, for reporting positions in degrees."""
    lon, lat = transformer(ANALYSIS_CRS, STORAGE_CRS).transform(np.asarray(x), np.asarray(y))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def line_lonlat(points: list[tuple[float, float]]) -> shapely.LineString:
    """A projected line through control points given in degrees (how courses are written)."""
    x, y = xy([p[0] for p in points], [p[1] for p in points])
    return shapely.LineString(np.column_stack([x, y]))


def noise_1d(rng: np.random.Generator, n: int, smooth: float) -> FloatArray:
    """Smooth zero-mean, unit-variance noise of length ``n``; ``smooth`` is the correlation
    length in samples. Spectral synthesis keeps it one vectorized FFT.
    """
    freq = np.fft.rfftfreq(n)
    amp = np.exp(-0.5 * (freq * smooth * 2.0 * np.pi) ** 2)
    spec = amp * (rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size))
    out = np.fft.irfft(spec, n)
    std = out.std()
    return out / std if std > 0 else out


def wiggle(
    line: shapely.LineString, rng: np.random.Generator, amp: float, step: float, smooth: float = 6.0
) -> shapely.LineString:
    """Meander a line sideways by smooth two-scale noise (fixed ends), so drawn courses
    look natural; the amplitude is reduced until the line does not cross itself.

    Parameters
    ----------
    line : LineString
        The course in metres.
    amp : float
        Typical sideways displacement, metres.
    step : float
        Vertex spacing after densifying, metres.
    smooth : float
        Correlation length of the fine displacement, in vertices (the coarse one is 6x).
    """
    coords = shapely.get_coordinates(shapely.segmentize(line, step))
    n = len(coords)
    if n < 4:
        return line
    d = np.gradient(coords, axis=0)
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    win = np.hanning(2 * int(smooth * 2) + 3)
    d = np.column_stack(
        [
            np.convolve(np.pad(d[:, k], len(win) // 2, mode="edge"), win / win.sum(), mode="valid")
            for k in (0, 1)
        ]
    )
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    taper = np.sin(np.linspace(0.0, np.pi, n)) ** 0.5
    offset = (noise_1d(rng, n, smooth * 4.0) + 0.35 * noise_1d(rng, n, smooth)) * taper
    scale = amp
    while True:
        out = shapely.LineString(coords + normal * (offset * scale)[:, None])
        if out.is_simple or scale < 1.0:
            return out
        scale *= 0.7


def grid_spec(bounds: tuple[float, float, float, float], res: float) -> tuple[affine.Affine, tuple[int, int]]:
    """Transform and (rows, cols) of a north-up grid covering ``bounds`` at ``res``."""
    minx, miny, maxx, maxy = bounds
    w = int(np.ceil((maxx - minx) / res - 1e-9))
    h = int(np.ceil((maxy - miny) / res - 1e-9))
    return affine.Affine(res, 0.0, minx, 0.0, -res, miny + h * res), (h, w)


def grid_points(
    bounds: tuple[float, float, float, float], res: float
) -> tuple[affine.Affine, tuple[int, int], FloatArray, FloatArray]:
    """Like :func:`grid_spec`, plus the x and y of every cell centre."""
    t, (h, w) = grid_spec(bounds, res)
    gx, gy = np.meshgrid(t.c + (np.arange(w) + 0.5) * res, t.f - (np.arange(h) + 0.5) * res)
    return t, (h, w), gx, gy


def sample_grid(grid: np.ndarray, transform: affine.Affine, x: FloatArray, y: FloatArray) -> np.ndarray:
    """Nearest-cell values of ``grid`` at points (clamped to the grid edge)."""
    col = np.clip(((x - transform.c) / transform.a).astype(np.int64), 0, grid.shape[1] - 1)
    row = np.clip(((y - transform.f) / transform.e).astype(np.int64), 0, grid.shape[0] - 1)
    return grid[row, col]


def random_points_in(geom: shapely.Geometry, n: int, rng: np.random.Generator) -> GeomArray:
    """``n`` uniform random points inside a polygon (rejection sampling, vectorized)."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out: list[GeomArray] = []
    have = 0
    while have < n:
        k = max(64, int((n - have) * 1.5 * (maxx - minx) * (maxy - miny) / max(geom.area, 1.0)))
        pts = shapely.points(rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k))
        pts = pts[shapely.contains_properly(geom, pts)]
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def polygonal(geoms: npt.ArrayLike) -> GeomArray:
    """Keep only the polygon parts of each geometry, as MultiPolygons (empty if none).

    Overlays of valid inputs can return GeometryCollections with stray lines or points;
    the categories want MultiPolygon, so those leftovers are dropped here, vectorized.
    """
    arr = shapely.make_valid(np.asarray(geoms, dtype=object))
    parts, idx = shapely.get_parts(arr, return_index=True)
    parts, idx = _flatten(parts, idx)
    keep = shapely.get_type_id(parts) == 3
    keep &= shapely.area(parts) > 0
    out = np.full(len(arr), None, dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=idx[keep], out=out)
    out[shapely.is_missing(out)] = shapely.from_wkt("MULTIPOLYGON EMPTY")
    return out


def _flatten(parts: GeomArray, idx: npt.NDArray[np.int64]) -> tuple[GeomArray, np.ndarray]:
    """Explode nested collections that get_parts leaves one level deep."""
    while True:
        nested = shapely.get_type_id(parts) >= 4
        if not nested.any():
            return parts, idx
        sub, sub_idx = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        idx = np.concatenate([idx[~nested], idx[nested][sub_idx]])
        order = np.argsort(idx, kind="stable")
        parts, idx = parts[order], idx[order]


def to_multi(geoms: npt.ArrayLike, kind: str) -> GeomArray:
    """Promote every geometry to the category's Multi type (or Point), dropping strays."""
    arr = np.asarray(geoms, dtype=object)
    if kind == "MultiPolygon":
        return polygonal(arr)
    if kind == "MultiLineString":
        arr = shapely.make_valid(arr)
        parts, idx = shapely.get_parts(arr, return_index=True)
        parts, idx = _flatten(parts, idx)
        keep = shapely.get_type_id(parts) == 1
        out = np.full(len(arr), None, dtype=object)
        if keep.any():
            shapely.multilinestrings(parts[keep], indices=idx[keep], out=out)
        return out
    return arr


def layer(
    frame: pd.DataFrame, geoms: npt.ArrayLike, kind: str, beijing: shapely.Geometry
) -> gpd.GeoDataFrame:
    """A finished layer: geometries in EPSG:4490 of the declared type, plus `jurisdiction`.

    Parameters
    ----------
    frame : DataFrame
        The attribute columns, already named as the category's fields.
    geoms : array of shapely geometries
        The features in the analysis CRS (metres), one per row of ``frame``.
    kind : {"MultiPolygon", "MultiLineString", "Point"}
        The geometry type the category declares.
    beijing : Geometry
        The Beijing part of the basin (analysis CRS); a feature whose representative point
        falls in it belongs to the "beijing" jurisdiction, every other one to "hebei".
    """
    arr = np.asarray(geoms, dtype=object)
    shapely.prepare(beijing)
    rep = shapely.point_on_surface(arr)
    in_bj = shapely.intersects(beijing, rep)
    out = to_multi(to_crs(arr, ANALYSIS_CRS, STORAGE_CRS), kind)
    gdf = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=out, crs=STORAGE_CRS)
    gdf["jurisdiction"] = np.where(in_bj, "beijing", "hebei")
    return gdf


# Name parts for synthetic places: common in Yanshan place names (沟, 峪, 营, 堡 ...).
_HEAD = list(
    "石古高太新大北南东西上下黄白黑红青长马龙金银杨王李张刘柳桃梨栗松榆杏柏"
    "沙水山泉花云凤双三五九安兴永平吉庆德富丰宝"
)
_TAIL = list("城岭峪沟庄营河台堡屯口店坊门峰山甸窝梁坨岔湾坪坎滩寨洼沿")


def place_names(
    rng: np.random.Generator, n: int, suffix: str | npt.ArrayLike, taken: set[str] | None = None
) -> list[str]:
    """``n`` distinct plausible place names like "石城" + suffix ("镇", "乡", "村")."""
    heads = np.array(_HEAD)
    tails = np.array(_TAIL)
    combos = np.char.add(heads[:, None], tails[None, :]).ravel()
    combos = np.concatenate([combos, np.char.add(combos, np.array(["子"]))])
    if taken:
        combos = combos[~np.isin(combos, list(taken))]
    pick = rng.choice(len(combos), size=n, replace=n > len(combos))
    return list(np.char.add(combos[pick], np.asarray(suffix, dtype=str)))


def conform(frame: pd.DataFrame, category: str) -> pd.DataFrame:
    """Order columns as the category declares its fields; undelivered fields become empty.

    A column the category does not know is a bug in the synthesis, so it raises rather
    than silently dropping data.
    """
    from liuyu.catalog import get_category

    names = get_category(category).field_names
    unknown = [c for c in frame.columns if c not in names]
    if unknown:
        raise ValueError(f"demo layer {category!r} has columns not in its category: {unknown}")
    out = frame.copy()
    for name in names:
        if name not in out:
            out[name] = pd.Series([None] * len(out), dtype=object, index=out.index)
    return out[names]
