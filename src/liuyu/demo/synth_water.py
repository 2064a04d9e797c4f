"""Rivers and reservoirs of the demo basin: approximate real courses plus synthetic tributaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from liuyu.demo.synth_common import ANALYSIS_CRS, line_lonlat, noise_1d, place_names, wiggle, xy

# DOMAIN.md §6 characteristic levels (m) and storage (1e8 m3) of Miyun Reservoir.
MIYUN_LEVELS = {
    "normal_pool_level_m": 157.5,
    "flood_limit_level_m": 147.0,
    "dead_level_m": 126.0,
    "total_storage_1e8m3": 43.75,
}
MIYUN_AREA_KM2 = 179.33
MIYUN_CENTRE = (116.95, 40.52)

# Approximate courses, source to mouth (lon, lat), from the places DOMAIN.md §6 names:
# Baihe from southern Guyuan through Chicheng, Baihebao (Yanqing), Huairou and 张家坟;
# Chaohe from Fengning past 大阁 and Luanping to 古北口 and 下会.
NAMED = {
    "白河": [
        (115.72, 41.45),
        (115.76, 41.30),
        (115.80, 41.12),
        (115.84, 40.93),
        (115.93, 40.78),
        (116.03, 40.68),
        (116.13, 40.625),
        (116.24, 40.66),
        (116.34, 40.685),
        (116.45, 40.72),
        (116.56, 40.74),
        (116.64, 40.73),
        (116.68, 40.66),
        (116.75, 40.61),
        (116.82, 40.57),
        (116.90, 40.54),
    ],
    "潮河": [
        (116.40, 41.55),
        (116.52, 41.40),
        (116.64, 41.22),
        (116.78, 41.08),
        (116.92, 40.95),
        (117.05, 40.85),
        (117.12, 40.76),
        (117.15, 40.70),
        (117.11, 40.64),
        (117.06, 40.59),
        (117.00, 40.54),
    ],
    "黑河": [
        (116.02, 41.22),
        (116.10, 41.08),
        (116.18, 40.95),
        (116.26, 40.83),
        (116.31, 40.75),
        (116.34, 40.685),
    ],
    "天河": [(116.32, 41.15), (116.40, 41.02), (116.46, 40.92), (116.50, 40.82), (116.53, 40.74)],
    "汤河": [
        (116.50, 41.22),
        (116.58, 41.10),
        (116.62, 41.00),
        (116.63, 40.90),
        (116.66, 40.80),
        (116.64, 40.73),
    ],
    "清水河": [(117.42, 40.52), (117.34, 40.54), (117.26, 40.56), (117.18, 40.555), (117.08, 40.54)],
}
PARENT = {"黑河": "白河", "天河": "白河", "汤河": "白河"}

# Water-function zones (DOMAIN.md §6); every named river's target is Class II.
ZONES = {
    "白河": "白河冀京缓冲区",
    "潮河": "潮河冀京缓冲区",
    "黑河": "黑河冀京缓冲区",
    "天河": "天河北京保留区",
    "汤河": "汤河冀京缓冲区",
    "清水河": "清水河冀京缓冲区",
}


def miyun_reservoir(rng: np.random.Generator) -> shapely.Polygon:
    """Miyun Reservoir at normal pool: a body with Baihe (west) and Chaohe (north-east) arms.

    Its shoreline is roughened into bays and the polygon is then fitted by bisection to the
    179.33 km² of DOMAIN.md §6, so the area fields are consistent with the levels.
    """
    pts = {
        "c": MIYUN_CENTRE,
        "w": (116.84, 40.556),
        "ne": (117.06, 40.588),
        "e": (117.085, 40.538),
        "sw": (116.88, 40.485),
        "n": (116.99, 40.58),
    }
    x, y = xy([p[0] for p in pts.values()], [p[1] for p in pts.values()])
    c = shapely.Point(x[0], y[0])
    arms = [shapely.LineString([(x[0], y[0]), (x[i], y[i])]) for i in range(1, len(x))]
    widths = [1300.0, 1500.0, 1100.0, 1200.0, 1400.0]
    body = shapely.union_all([c.buffer(4200.0), *[a.buffer(w) for a, w in zip(arms, widths, strict=True)]])
    ring = shapely.get_coordinates(shapely.segmentize(body.exterior, 250.0))[:-1]
    centre = np.array([x[0], y[0]])
    radial = (ring - centre) / np.hypot(*(ring - centre).T)[:, None]
    bays = noise_1d(rng, len(ring), 4.0) * 450.0
    shore = shapely.make_valid(shapely.Polygon(ring + radial * bays[:, None]))
    parts = shapely.get_parts(shore)
    shore = parts[np.argmax(shapely.area(parts))].buffer(300.0).buffer(-300.0)
    lo, hi = -3000.0, 3000.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        area = shore.buffer(mid).area / 1e6
        if abs(area - MIYUN_AREA_KM2) < 0.01:
            break
        lo, hi = (mid, hi) if area < MIYUN_AREA_KM2 else (lo, mid)
    return shore.buffer(mid)


def named_rivers(
    rng: np.random.Generator, basin: shapely.Geometry, reservoir: shapely.Geometry
) -> dict[str, shapely.LineString]:
    """The six named rivers, meandered, clipped to the basin and ending at their receiver.

    Main rivers end on the reservoir shore; tributaries end exactly on their parent's line,
    so the network is topologically connected (useful for tracing and catchments).
    """
    out: dict[str, shapely.LineString] = {}
    for name, ctrl in NAMED.items():
        line = wiggle(line_lonlat(ctrl), rng, amp=1800.0, step=250.0, smooth=8.0)
        coords = shapely.get_coordinates(line)
        if name in PARENT:
            parent = out[PARENT[name]]
            end = parent.interpolate(parent.project(shapely.Point(coords[-1])))
            coords[-1] = (end.x, end.y)
            line = shapely.LineString(coords)
        else:
            line = _longest(shapely.difference(line, reservoir))
        out[name] = _longest(shapely.intersection(line, basin.buffer(-300.0)))
    return out


def _longest(geom: shapely.Geometry) -> shapely.LineString:
    """The longest line part of an overlay result (clipping may leave short stubs)."""
    parts = shapely.get_parts(shapely.line_merge(geom))
    parts = parts[shapely.get_type_id(parts) == 1]
    return parts[np.argmax(shapely.length(parts))]


def _candidate(parent: shapely.LineString, rng: np.random.Generator) -> shapely.LineString:
    """One tributary: from a point up-valley and to the side, down to a junction on parent."""
    at = rng.uniform(0.08, 0.92) * parent.length
    j = parent.interpolate(at)
    ahead = parent.interpolate(min(at + 400.0, parent.length))
    down = np.array([ahead.x - j.x, ahead.y - j.y])
    down /= max(float(np.hypot(*down)), 1e-9)
    theta = np.deg2rad(rng.uniform(35.0, 75.0)) * rng.choice([-1.0, 1.0])
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    up = rot @ -down
    length = rng.uniform(6000.0, 24000.0)
    src = np.array([j.x, j.y]) + up * length
    straight = shapely.LineString([src, (j.x, j.y)])
    return wiggle(straight, rng, amp=length * 0.05, step=200.0, smooth=6.0)


def tributaries(
    rng: np.random.Generator, mains: dict[str, shapely.LineString], basin: shapely.Geometry, n: int = 40
) -> list[tuple[str, str, shapely.LineString]]:
    """``n`` synthetic tributaries that neither cross other rivers nor leave the basin.

    Candidates are drawn and rejected until enough fit; accepted ones may themselves
    receive later tributaries, which gives the network orders 3 and 4.
    """
    inner = basin.buffer(-500.0)
    shapely.prepare(inner)
    lines = dict(mains)
    out: list[tuple[str, str, shapely.LineString]] = []
    names = place_names(rng, n * 3, "沟")
    for attempt in range(n * 30):
        if len(out) == n:
            break
        keys = list(lines)
        weights = np.array([lines[k].length for k in keys])
        parent = keys[rng.choice(len(keys), p=weights / weights.sum())]
        if lines[parent].length < 8000.0:
            continue
        cand = _candidate(lines[parent], rng)
        others = np.array([g for k, g in lines.items() if k != parent], dtype=object)
        if not inner.contains(cand) or shapely.distance(cand, others).min() < 1500.0:
            continue
        head = shapely.LineString(shapely.get_coordinates(cand)[:-8])
        if head.distance(lines[parent]) < 1000.0:
            continue
        name = names[attempt % len(names)]
        if name in lines:
            continue
        lines[name] = cand
        out.append((name, parent, cand))
    return out


def river_frame(
    mains: dict[str, shapely.LineString], tribs: list[tuple[str, str, shapely.LineString]]
) -> gpd.GeoDataFrame:
    """The river table: codes, order (干流 1, tributary = parent + 1), parent, length."""
    names = list(mains) + [t[0] for t in tribs]
    geoms = list(mains.values()) + [t[2] for t in tribs]
    allpar = {**PARENT, **{t[0]: t[1] for t in tribs}}
    order: dict[str, int] = {}
    for nm in names:
        order[nm] = 1 if nm not in allpar else order[allpar[nm]] + 1
    codes = {nm: f"CBH{order[nm]}{i + 1:03d}" for i, nm in enumerate(names)}
    frame = pd.DataFrame(
        {
            "code": [codes[n] for n in names],
            "name": names,
            "order": [order[n] for n in names],
            "parent_code": [codes.get(allpar.get(n, "")) for n in names],
            "parent_name": [allpar.get(n) for n in names],
            "length_km": np.round(shapely.length(np.asarray(geoms)) / 1000.0, 2),
            "river_system": "潮白河水系",
            "water_function_zone": [ZONES.get(n, f"{n}源头水保护区") for n in names],
            "target_class": "II",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=ANALYSIS_CRS)


def baihebao(baihe: shapely.LineString) -> shapely.Polygon:
    """白河堡水库: a ~6 km² lake drowned along the Baihe near 116.13E 40.62N."""
    x, y = xy(116.13, 40.625)
    at = baihe.project(shapely.Point(float(x), float(y)))
    reach = shapely.ops.substring(baihe, max(at - 3200.0, 0.0), at + 1500.0)
    return reach.buffer(550.0, quad_segs=6)


def reservoir_frame(
    miyun: shapely.Geometry, bhb: shapely.Geometry, bhb_level: float, bhb_catchment: float, basin_km2: float
) -> gpd.GeoDataFrame:
    """The two reservoirs with their characteristic levels (Miyun's from DOMAIN.md §6).

    Design and check flood levels are not verified anywhere we could read, so they stay
    empty rather than invented.
    """
    frame = pd.DataFrame(
        {
            "code": ["SK110118001", "SK110119001"],
            "name": ["密云水库", "白河堡水库"],
            "scale": ["大(1)型", "中型"],
            "river_name": ["潮白河", "白河"],
            "catchment_km2": [round(basin_km2, 1), round(bhb_catchment, 1)],
            "level_datum": "1985国家高程基准",
            "normal_pool_level_m": [MIYUN_LEVELS["normal_pool_level_m"], bhb_level],
            "flood_limit_level_m": [MIYUN_LEVELS["flood_limit_level_m"], None],
            "dead_level_m": [MIYUN_LEVELS["dead_level_m"], None],
            "total_storage_1e8m3": [MIYUN_LEVELS["total_storage_1e8m3"], 0.906],
            "area_km2": np.round(shapely.area(np.array([miyun, bhb])) / 1e6, 2),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=[miyun, bhb], crs=ANALYSIS_CRS)
