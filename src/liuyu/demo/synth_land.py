"""Land-use parcels (三调 style) tessellating the basin, classed from terrain and settlements."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.catalog import load_codelists
from liuyu.demo.synth_common import ANALYSIS_CRS, FloatArray, GeomArray, masked, polygonal, sample_grid
from liuyu.demo.synth_terrain import Terrain

SURVEY_YEAR = 2023

# class code -> (base log-weight, per-degree slope, valley floor, near village, high ground)
# The scores are turned into random choices with the Gumbel-max trick, so classes follow
# terrain (forest on slopes, cropland on valley floors) without being deterministic.
_CLASS_SCORES: dict[str, tuple[float, float, float, float, float]] = {
    "0301": (2.2, 0.03, -2.0, -0.5, 0.0),
    "0305": (1.0, 0.05, -2.0, -0.5, 0.8),
    "0307": (0.2, 0.02, -1.0, 0.0, 0.0),
    "0103": (0.7, -0.13, 3.0, 1.2, 0.3),
    "0102": (-0.2, -0.25, 3.5, 0.8, -1.2),
    "0101": (-5.5, -0.4, 3.0, 0.5, -3.0),
    "0201": (-0.5, -0.04, 1.0, 1.2, -1.5),
    "0404": (-0.8, 0.0, 0.0, 0.0, 0.3),
    "1202": (-4.5, -0.1, 1.0, 1.8, 0.0),
    "0602": (-5.5, 0.0, 0.0, 0.0, 0.0),
    "1206": (-5.0, 0.05, 0.0, 0.0, 0.5),
    "1207": (-5.5, 0.08, 0.0, 0.0, 0.8),
    "1006": (-4.5, -0.05, 1.5, 1.0, 0.0),
}
CROPLAND = ("0101", "0102", "0103")
FOREST = ("0301", "0305", "0307")


def _village_seeds(villages: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> GeomArray:
    """Each village point plus a few seeds around it, so homesteads come out village-sized."""
    x = np.repeat(shapely.get_x(villages.geometry.array), 4)
    y = np.repeat(shapely.get_y(villages.geometry.array), 4)
    r = np.tile([0.0, 1.0, 1.0, 1.0], len(villages)) * rng.uniform(120.0, 260.0, x.size)
    a = rng.uniform(0.0, 2.0 * np.pi, x.size)
    return shapely.points(x + r * np.cos(a), y + r * np.sin(a))[:n]


def _seed_points(
    terrain: Terrain, basin: shapely.Geometry, reservoirs: shapely.Geometry, n: int, rng: np.random.Generator
) -> GeomArray:
    """``n`` parcel seeds, denser on valley floors (small fields) than on forested slopes."""
    if n <= 0:
        return np.empty(0, dtype=object)
    weight = (1.0 + 5.0 * terrain.valley).ravel()
    res = terrain.t270.a
    inside = shapely.contains_xy(basin.buffer(res), terrain.gx.ravel(), terrain.gy.ravel())
    p = np.where(inside, weight, 0.0)
    p /= p.sum()
    shapely.prepare(basin)
    shapely.prepare(reservoirs)
    out: list[GeomArray] = []
    have = 0
    while have < n:
        cell = rng.choice(p.size, size=int((n - have) * 1.15) + 16, p=p)
        x = terrain.gx.ravel()[cell] + rng.uniform(-0.5, 0.5, cell.size) * res
        y = terrain.gy.ravel()[cell] + rng.uniform(-0.5, 0.5, cell.size) * res
        ok = shapely.contains_xy(basin, x, y) & ~shapely.contains_xy(reservoirs, x, y)
        out.append(shapely.points(x[ok], y[ok]))
        have += int(ok.sum())
    return np.concatenate(out)[:n]


def tessellate(
    seeds: GeomArray, basin: shapely.Geometry, twps: gpd.GeoDataFrame, reservoirs: shapely.Geometry
) -> tuple[GeomArray, np.ndarray, np.ndarray]:
    """Voronoi cells of the seeds, split along township lines and around the reservoirs.

    Returns the parcel geometries, the township index of each and a flag for reservoir
    water pieces. Only cells that cross a township line are intersected (a few percent),
    which keeps 50,000 parcels to a couple of seconds.
    """
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=basin, ordered=True)
    )
    tg = twps.geometry.to_numpy()
    shapely.prepare(tg)
    ci, ti = shapely.STRtree(tg).query(cells, predicate="intersects")
    whole = shapely.contains_properly(tg[ti], cells[ci])
    inside_ci = np.zeros(len(cells), dtype=bool)
    inside_ci[ci[whole]] = True
    cut = ~whole & ~inside_ci[ci]
    pieces = shapely.intersection(cells[ci[cut]], tg[ti[cut]])
    geoms = np.concatenate([cells[ci[whole]], pieces])
    twp = np.concatenate([ti[whole], ti[cut]])
    wet = shapely.intersects(reservoirs, geoms)
    geoms[wet] = shapely.difference(geoms[wet], reservoirs)
    water = shapely.intersection(tg, reservoirs)
    has = ~shapely.is_empty(water)
    geoms = polygonal(np.concatenate([geoms, water[has]]))
    twp = np.concatenate([twp, np.nonzero(has)[0]])
    is_res = np.concatenate([np.zeros(len(geoms) - has.sum(), bool), np.ones(has.sum(), bool)])
    keep = shapely.area(geoms) > 1.0
    return geoms[keep], twp[keep], is_res[keep]


def _classify(
    slope: FloatArray,
    valley: FloatArray,
    near_village: FloatArray,
    high: FloatArray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw a land class per parcel from terrain-dependent scores (Gumbel-max sampling)."""
    codes = list(_CLASS_SCORES)
    coef = np.array([_CLASS_SCORES[c] for c in codes])
    features = np.column_stack([np.ones_like(slope), slope, valley, near_village, high])
    scores = features @ coef.T + rng.gumbel(size=(len(slope), len(codes)))
    return np.asarray(codes, dtype=object)[np.argmax(scores, axis=1)]


def _overrides(
    classes: np.ndarray,
    geoms: GeomArray,
    slope: FloatArray,
    plateau: np.ndarray,
    villages: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> None:
    """Settle what the scores cannot: homesteads at villages, river water, plateau pasture,
    and on purpose a few cropland parcels on slopes over 25° (for the steep-slope check)."""
    classes[plateau & np.isin(classes, ["0301", "0305", "0307", "0404"])] = "0401"
    main = rivers[rivers["order"] <= 2].geometry.to_numpy()
    pi, _ = shapely.STRtree(main).query(geoms, predicate="intersects")
    pi = np.unique(pi)
    roll = rng.random(len(pi))
    classes[pi[roll < 0.45]] = "1101"
    classes[pi[(roll >= 0.45) & (roll < 0.55)]] = "1106"
    _, hit = shapely.STRtree(geoms).query(villages.geometry.to_numpy(), predicate="within")
    classes[np.unique(hit)] = "0702"
    steep = np.nonzero((slope > 25.0) & ~np.isin(classes, ["0702", "1101", "1103"]))[0]
    pick = rng.choice(steep, size=min(len(steep), max(3, len(steep) // 40)), replace=False)
    classes[pick] = "0103"


def parcels(
    terrain: Terrain,
    basin: shapely.Geometry,
    twps: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    reservoirs: shapely.Geometry,
    n: int,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """At least ``n`` land-use parcels forming a coverage of the basin (the `land_use` layer).

    Parameters
    ----------
    n : int
        Number of Voronoi seeds; splitting at township lines adds a few percent more.
    """
    around = _village_seeds(villages, n // 4, rng)
    ax, ay = shapely.get_x(around), shapely.get_y(around)
    around = around[shapely.contains_xy(basin, ax, ay) & ~shapely.contains_xy(reservoirs, ax, ay)]
    seeds = np.concatenate([around, _seed_points(terrain, basin, reservoirs, n - len(around), rng)])
    geoms, twp_i, is_res = tessellate(seeds, basin, twps, reservoirs)
    rep = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(rep), shapely.get_y(rep)
    slope = np.maximum(sample_grid(terrain.slope90, terrain.t90, x, y), 0.0).astype(float)
    elev = sample_grid(terrain.z90, terrain.t90, x, y).astype(float)
    valley = sample_grid(terrain.valley, terrain.t270, x, y)
    (vhit, _), vdist = shapely.STRtree(villages.geometry.to_numpy()).query_nearest(
        rep, max_distance=3000.0, return_distance=True, all_matches=False
    )
    near = np.zeros(len(geoms))
    near[vhit] = np.exp(-vdist / 1200.0)
    high = np.clip((elev - 700.0) / 600.0, 0.0, 1.0)
    classes = _classify(slope, valley, near, high, rng)
    plateau = (elev > 1300.0) & (slope < 10.0)
    _overrides(classes, geoms, slope, plateau, villages, rivers, rng)
    classes[is_res] = "1103"
    return _attributes(geoms, classes, twp_i, twps, slope, villages, rep, rng)


def _attributes(
    geoms: GeomArray,
    classes: np.ndarray,
    twp_i: np.ndarray,
    twps: gpd.GeoDataFrame,
    slope: FloatArray,
    villages: gpd.GeoDataFrame,
    rep: GeomArray,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """The 三调 attribute columns: ids, areas with ridge deductions, owners, slope grades."""
    names = load_codelists()["land_survey"].values
    order = np.lexsort((shapely.get_x(rep), twp_i))
    geoms, classes, twp_i, rep = geoms[order], classes[order], twp_i[order], rep[order]
    slope = slope[order]
    twp_code = twps["code"].to_numpy()[twp_i]
    serial = pd.Series(twp_i).groupby(twp_i).cumcount().to_numpy() + 1
    area = np.round(shapely.area(geoms), 2)
    crop = np.isin(classes, CROPLAND)
    grade = np.digitize(slope, [2.0, 6.0, 15.0, 25.0]) + 1
    deduct = np.where(crop & (grade > 1), area * np.array([0, 0, 0.03, 0.07, 0.12, 0.18])[grade], 0.0)
    owner_i = _owners(rep, twp_code, villages)
    owner_code = villages["code"].to_numpy()[owner_i]
    owner_name = np.char.add(villages["name"].to_numpy()[owner_i].astype(str), "村民委员会")
    state = np.isin(classes, ["1101", "1103", "1106"]) | (rng.random(len(geoms)) < 0.06)
    frame = pd.DataFrame(
        {
            "parcel_id": [f"{t}{s:06d}" for t, s in zip(twp_code, serial, strict=True)],
            "parcel_no": serial.astype(str),
            "class_code": classes,
            "class_name": [names[c][0] for c in classes],
            "area_m2": area,
            "class_area_m2": np.round(area - deduct, 2),
            "deduction_area_m2": np.round(deduct, 2),
            "owner_unit_code": np.char.add(owner_code.astype(str), "0000000"),
            "owner_unit_name": owner_name,
            "ownership_nature": np.where(state, "10", "30"),
            "location_unit_code": np.char.add(owner_code.astype(str), "0000000"),
            "location_unit_name": owner_name,
            "county_code": twps["county_code"].to_numpy()[twp_i],
            "township_code": twp_code,
            "cropland_slope_grade": masked(crop, grade.astype(str)),
            "cropland_type": masked(crop & (grade > 1), np.where(grade > 2, "TT", "PD")),
            "town_village_code": _town_village(classes),
            "survey_year": SURVEY_YEAR,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=ANALYSIS_CRS)


def _owners(rep: GeomArray, twp_code: np.ndarray, villages: gpd.GeoDataFrame) -> np.ndarray:
    """Index of the owning village: the nearest one in the parcel's own township.

    Collective land belongs to a village of the township it lies in; one nearest-neighbour
    query per township (not per parcel), falling back to the nearest village anywhere.
    """
    pts = villages.geometry.to_numpy()
    _, owner = shapely.STRtree(pts).query_nearest(rep, all_matches=False)
    vt = villages["township_code"].to_numpy()
    for code in np.intersect1d(np.unique(twp_code), vt):
        mine, theirs = np.nonzero(twp_code == code)[0], np.nonzero(vt == code)[0]
        _, k = shapely.STRtree(pts[theirs]).query_nearest(rep[mine], all_matches=False)
        owner[mine] = theirs[k]
    return owner


def _town_village(classes: np.ndarray) -> np.ndarray:
    """城镇村属性码: 203 for village land, 204 for mines, empty elsewhere."""
    out = np.full(len(classes), None, dtype=object)
    out[np.isin(classes, ["0702", "1202", "1006"])] = "203"
    out[classes == "0602"] = "204"
    return out
