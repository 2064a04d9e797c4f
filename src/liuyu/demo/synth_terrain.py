"""A plausible DEM for the demo basin: a regional rise, fractal relief and carved valleys."""

from __future__ import annotations

from dataclasses import dataclass

import affine
import geopandas as gpd
import numpy as np
import rasterio.features
import rasterio.warp
import shapely
from rasterio.enums import Resampling

from liuyu.demo.synth_common import ANALYSIS_CRS, FloatArray, Raster, grid_points, grid_spec

NODATA = -9999.0
POOL = 157.5  # Miyun normal pool level, m


@dataclass
class Terrain:
    """The DEM plus the coarser grids later steps sample (villages, land use, erosion)."""

    dem: Raster
    z90: np.ndarray  # float32 elevation on the 90 m grid (nodata outside the basin)
    slope90: np.ndarray  # float32 slope in degrees on the 90 m grid
    t90: affine.Affine
    valley: FloatArray  # 270 m grid: 1 on valley floors, 0 far from rivers
    gx: FloatArray  # 270 m cell centres
    gy: FloatArray
    t270: affine.Affine
    baihebao_level: float  # pool level given to 白河堡水库 (floor elevation at the lake)


def _aligned(bounds: tuple[float, float, float, float], base: float) -> tuple[float, float, float, float]:
    """Bounds snapped outward to multiples of ``base``, so the 30/90/270 m grids nest."""
    minx, miny, maxx, maxy = bounds
    minx, miny = np.floor(minx / base) * base, np.floor(miny / base) * base
    maxx, maxy = np.ceil(maxx / base) * base, np.ceil(maxy / base) * base
    return float(minx), float(miny), float(maxx), float(maxy)


def ridged_noise(
    rng: np.random.Generator,
    shape: tuple[int, int],
    res: float,
    wavelengths: tuple[float, ...] = (12e3, 6e3, 3e3, 1.5e3, 750.0, 375.0),
    roughness: float = 0.35,
) -> FloatArray:
    """Ridged multi-octave noise in [0, 1]: sharp crests and branching ravines at all scales.

    One white-noise spectrum is band-passed around each wavelength (one inverse FFT per
    octave); each octave is folded as 1 - |tanh(n)| so its zero-lines become crests, and
    octaves are weighted by (wavelength / longest) ** roughness.
    """
    ky = np.fft.fftfreq(shape[0], d=res)[:, None]
    kx = np.fft.rfftfreq(shape[1], d=res)[None, :]
    logk = np.log(np.maximum(np.hypot(kx, ky), 1e-12))
    white = rng.standard_normal(logk.shape) + 1j * rng.standard_normal(logk.shape)
    total = np.zeros(shape)
    weights = 0.0
    for lam in wavelengths:
        band = np.exp(-0.5 * ((logk + np.log(lam)) / 0.35) ** 2)
        octave = np.fft.irfft2(white * band, s=shape)
        octave /= octave.std()
        w = (lam / wavelengths[0]) ** roughness
        total += w * (1.0 - np.abs(np.tanh(0.9 * octave)))
        weights += w
    return total / weights


def _segments(lines: np.ndarray) -> np.ndarray:
    """Every line split into 2-point segments: nearest-segment queries are then cheap."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    return shapely.linestrings(np.stack([a, b], axis=1))


def _river_distance(
    rivers: gpd.GeoDataFrame, x: FloatArray, y: FloatArray, capped: bool = True
) -> FloatArray:
    """Distance to the nearest river, scaled by valley width (wider for bigger rivers).

    With ``capped`` the search stops at 4 widths (beyond which a valley factor is 1);
    without it, the plain distance in km to any river is returned (for the divides).
    """
    if not capped:
        tree = shapely.STRtree(_segments(rivers.geometry.to_numpy()))
        pts = shapely.points(x.ravel(), y.ravel())
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return np.asarray(dist).reshape(x.shape) / 1000.0
    pts = shapely.points(x.ravel(), y.ravel())
    best = np.full(pts.size, 4.0)
    for orders, width in (((1,), 1500.0), ((2,), 1100.0), ((3, 4, 5, 6), 700.0)):
        sel = rivers["order"].isin(orders).to_numpy()
        if not sel.any():
            continue
        tree = shapely.STRtree(_segments(rivers.geometry.to_numpy()[sel]))
        # Beyond ~4 widths the valley factor is 1 anyway; bounding the search keeps it fast.
        (hit, _), dist = tree.query_nearest(
            pts, max_distance=4.0 * width, return_distance=True, all_matches=False
        )
        best[hit] = np.minimum(best[hit], dist / width)
    return best.reshape(x.shape)


def _regional(d_res_km: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Valley-floor elevation and relief amplitude as functions of distance to the reservoir.

    Floors rise from the pool level (157.5 m) to ~1,250 m 140 km up the Baihe; relief
    peaks in the Yanshan ranges 40-110 km out and falls on the Guyuan plateau.
    """
    floor = POOL + 1300.0 * (1.0 - np.exp(-((d_res_km / 95.0) ** 1.6)))
    relief = 350.0 + 600.0 * np.exp(-(((d_res_km - 70.0) / 50.0) ** 2))
    plateau = 1.0 / (1.0 + np.exp(-(d_res_km - 128.0) / 6.0))
    return floor + 120.0 * plateau, relief * (1.0 - 0.6 * plateau)


def _resample(
    src: np.ndarray, src_t: affine.Affine, shape: tuple[int, int], dst_t: affine.Affine, how: Resampling
) -> np.ndarray:
    """Interpolate a grid onto a finer nested grid with GDAL (fast, multi-threaded)."""
    dst = np.empty(shape, dtype=np.float32)
    rasterio.warp.reproject(
        src.astype(np.float32),
        dst,
        src_transform=src_t,
        src_crs=ANALYSIS_CRS,
        dst_transform=dst_t,
        dst_crs=ANALYSIS_CRS,
        resampling=how,
        num_threads=2,
    )
    return dst


def _lakes(z: np.ndarray, t: affine.Affine, lakes: list[tuple[shapely.Geometry, float]]) -> None:
    """Flatten each reservoir to a lake bed sloping down from its pool level (in place)."""
    for poly, level in lakes:
        mask = rasterio.features.geometry_mask([poly], z.shape, t, invert=True)
        rows, cols = np.nonzero(mask)
        x, y = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
        inside = shapely.distance(shapely.boundary(poly.simplify(60.0)), shapely.points(x, y))
        z[rows, cols] = level - 30.0 * (1.0 - np.exp(-inside / 700.0))


def _surface(
    basin: shapely.Geometry, rivers: gpd.GeoDataFrame, miyun: shapely.Geometry, rng: np.random.Generator
) -> tuple[np.ndarray, FloatArray, FloatArray, dict]:
    """Elevation on the 90 m grid, the 270 m valley factor and the grids' georeferencing.

    Elevation = valley floor + relief × (divide profile + ridged noise) × valley factor.
    The valley factor goes to 0 along rivers and around the reservoir, so rivers run in
    valleys descending to the reservoir and the divides fall midway between rivers, where
    the small watersheds put their borders too.
    """
    bounds = _aligned(basin.bounds, 810.0)
    t270, _, gx, gy = grid_points(bounds, 270.0)
    t810, _, hx, hy = grid_points(bounds, 810.0)
    t90, shp90 = grid_spec(bounds, 90.0)
    pts = shapely.points(gx.ravel(), gy.ravel())
    d_res = shapely.distance(miyun.simplify(200.0), pts).reshape(gx.shape) / 1000.0
    floor, relief = _regional(d_res)
    d_riv = np.minimum(_river_distance(rivers, gx, gy), d_res * 1000.0 / 600.0)
    valley = 1.0 - np.exp(-(d_riv**1.2))
    profile = 1.0 - np.exp(-_river_distance(rivers, hx, hy, capped=False) / 4.0)
    ridges = ridged_noise(rng, shp90, 90.0)
    up = [_resample(a, t270, shp90, t90, Resampling.bilinear) for a in (floor, relief, valley)]
    prof90 = _resample(profile, t810, shp90, t90, Resampling.cubic_spline)
    z90 = up[0] + up[1] * up[2] * (0.4 * prof90 + 0.9 * ridges).astype(np.float32)
    grids = {"bounds": bounds, "t90": t90, "t270": t270, "floor": floor}
    return z90, valley, np.stack([gx, gy]), grids


def terrain(
    basin: shapely.Geometry,
    rivers: gpd.GeoDataFrame,
    miyun: shapely.Geometry,
    baihebao: shapely.Geometry,
    rng: np.random.Generator,
    res: float = 30.0,
) -> Terrain:
    """Build the DEM (EPSG:4548, float32, nodata outside the basin) and helper grids.

    Parameters
    ----------
    res : float
        DEM cell size in metres: 30 for the demo, coarser (e.g. 90) for quick tests.
        The terrain itself is modelled at 90 m and interpolated (cubic spline) to ``res``.
    """
    z90, valley, (gx, gy), g = _surface(basin, rivers, miyun, rng)
    t90 = g["t90"]
    bx, by = baihebao.centroid.x, baihebao.centroid.y
    bh_level = round(float(g["floor"].ravel()[np.argmin(np.hypot(gx - bx, gy - by))]), 1)
    _lakes(z90, t90, [(miyun, POOL), (baihebao, bh_level)])
    t_out, shp_out = grid_spec(g["bounds"], res)
    z = z90.copy() if res == 90.0 else _resample(z90, t90, shp_out, t_out, Resampling.cubic_spline)
    z[rasterio.features.geometry_mask([basin], shp_out, t_out)] = NODATA
    slope = _slope(z90, 90.0)
    out90 = rasterio.features.geometry_mask([basin], z90.shape, t90)
    z90[out90] = NODATA
    slope[out90] = NODATA
    dem = Raster(z, t_out, ANALYSIS_CRS, NODATA, "m")
    return Terrain(dem, z90, slope, t90, 1.0 - valley, gx, gy, g["t270"], bh_level)


def _slope(z: np.ndarray, res: float) -> np.ndarray:
    """Slope in degrees by central differences (what steep-slope checks compute)."""
    dzdy, dzdx = np.gradient(z.astype(np.float32), res)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy))).astype(np.float32)
