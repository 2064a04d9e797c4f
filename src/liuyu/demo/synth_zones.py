"""Zones drawn from the water network: small watersheds, protection zones, ranges, contours."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.demo.synth_common import ANALYSIS_CRS, GeomArray, place_names

N_SMALL_WATERSHEDS = 179


def _seed_counts(lengths: np.ndarray, total: int) -> np.ndarray:
    """Seeds per river in proportion to length (at least one each), summing to ``total``."""
    share = lengths / lengths.sum() * (total - len(lengths))
    counts = 1 + np.floor(share).astype(int)
    short = total - counts.sum()
    counts[np.argsort(share - np.floor(share))[::-1][:short]] += 1
    return counts


def small_watersheds(
    basin: shapely.Geometry,
    rivers: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    rng: np.random.Generator,
    total: int = N_SMALL_WATERSHEDS,
) -> gpd.GeoDataFrame:
    """Exactly ``total`` small watersheds covering the basin without gaps or overlaps.

    Seeds are spread along the rivers, so each Voronoi cell is the local catchment of one
    reach and cell borders between rivers run along the divides the DEM puts there.
    """
    geoms = rivers.geometry.to_numpy()
    counts = _seed_counts(shapely.length(geoms), total)
    river_idx = np.repeat(np.arange(len(geoms)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    frac = (np.arange(total) - start + rng.uniform(0.3, 0.7, total)) / counts[river_idx]
    seeds = shapely.line_interpolate_point(geoms[river_idx], frac, normalized=True)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=basin, ordered=True)
    )
    cells = shapely.make_valid(shapely.intersection(cells, basin))
    county = _county_of(cells, counties)
    area = shapely.area(cells) / 1e6
    serial = pd.Series(county).groupby(county).cumcount().to_numpy() + 1
    frame = pd.DataFrame(
        {
            "code": [f"XLY{c}{s:03d}" for c, s in zip(county, serial, strict=True)],
            "name": place_names(rng, total, "小流域"),
            "area_km2": np.round(area, 2),
            "river_code": rivers["code"].to_numpy()[river_idx],
            "county_code": county,
            "county_name": counties.set_index("code").loc[county, "name"].to_numpy(),
            "erosion_area_km2": np.round(area * rng.uniform(0.15, 0.55, total), 2),
            "treatment_status": rng.choice(["已治理", "治理中", "未治理"], total, p=[0.55, 0.2, 0.25]),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=cells, crs=ANALYSIS_CRS)


def _county_of(geoms: GeomArray, counties: gpd.GeoDataFrame) -> np.ndarray:
    """County code of each geometry's largest overlap (ties are rare; first one wins)."""
    tree = shapely.STRtree(counties.geometry.array)
    gi, ci = tree.query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[gi], counties.geometry.array[ci]))
    order = np.lexsort((-area, gi))
    gi, ci = gi[order], ci[order]
    _, first = np.unique(gi, return_index=True)
    out = np.empty(len(geoms), dtype=object)
    out[gi[first]] = counties["code"].to_numpy()[ci[first]]
    return out


def catchments(rivers: gpd.GeoDataFrame, sws: gpd.GeoDataFrame) -> np.ndarray:
    """Catchment area of each river: its own small watersheds plus all its tributaries'."""
    own = sws.groupby("river_code")["area_km2"].sum()
    area = np.array(rivers["code"].map(own).fillna(0.0), dtype=float)
    code_to_i = {c: i for i, c in enumerate(rivers["code"])}
    for i in np.argsort(-rivers["order"].to_numpy(), kind="stable"):
        parent = rivers["parent_code"].iloc[i]
        if isinstance(parent, str) and parent in code_to_i:
            area[code_to_i[parent]] += area[i]
    return np.round(area, 1)


def protection_zones(basin: shapely.Geometry, miyun: shapely.Geometry) -> gpd.GeoDataFrame:
    """Grade-1, grade-2 and quasi zones of the Miyun source, nested rings that never overlap."""
    g1_land = shapely.difference(miyun.buffer(300.0), miyun)
    g2 = shapely.difference(miyun.buffer(3000.0), miyun.buffer(300.0))
    quasi = shapely.difference(miyun.buffer(12_000.0), miyun.buffer(3000.0))
    parts = np.array([miyun, g1_land, g2, quasi], dtype=object)
    parts = shapely.make_valid(shapely.intersection(parts, basin))
    frame = pd.DataFrame(
        {
            "code": ["MYSY-1W", "MYSY-1L", "MYSY-2L", "MYSY-QL"],
            "name": [
                "密云水库一级保护区（水域）",
                "密云水库一级保护区（陆域）",
                "密云水库二级保护区",
                "密云水库准保护区",
            ],
            "grade": ["1", "1", "2", "quasi"],
            "zone_part": ["water", "land", "land", "land"],
            "water_source": "密云水库",
            "area_km2": np.round(shapely.area(parts) / 1e6, 2),
            "approved_by": "北京市人民政府",
            "approved_date": "2019-05-20",
            "approval_doc": "示例批复文号（合成数据）",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=parts, crs=ANALYSIS_CRS)


def management_ranges(
    rivers: gpd.GeoDataFrame,
    basin: shapely.Geometry,
    reservoirs: shapely.Geometry,
    counties: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Left- and right-bank management ranges (single-sided buffers) of rivers of order <= 2."""
    sel = rivers[rivers["order"] <= 2]
    lines = np.repeat(sel.geometry.to_numpy(), 2)
    width = np.repeat(np.where(sel["order"].to_numpy() == 1, 60.0, 35.0), 2)
    side = np.tile([1.0, -1.0], len(sel))
    geoms = shapely.buffer(lines, width * side, single_sided=True)
    geoms = shapely.make_valid(shapely.difference(shapely.intersection(geoms, basin), reservoirs))
    bank = np.where(side > 0, "left", "right")
    code = np.repeat(sel["code"].to_numpy(), 2)
    frame = pd.DataFrame(
        {
            "code": [f"{c}-{b[0].upper()}" for c, b in zip(code, bank, strict=True)],
            "river_code": code,
            "river_name": np.repeat(sel["name"].to_numpy(), 2),
            "bank": bank,
            "county_code": _county_of(geoms, counties),
            "length_km": np.round(shapely.length(lines) / 1000.0, 2),
            "approved_by": "所在区县人民政府",
            "approved_date": "2020-12-30",
            "approval_doc": "河湖管理范围划定公告（合成数据）",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=ANALYSIS_CRS)


def reservoir_ranges(res: gpd.GeoDataFrame, basin: shapely.Geometry) -> gpd.GeoDataFrame:
    """Management (to the flood level) and protection (a further 300 m) ranges of reservoirs."""
    rows, geoms = [], []
    for _, r in res.iterrows():
        manage = r.geometry.buffer(_level_offset(1.0))
        protect = shapely.difference(manage.buffer(300.0), manage)
        for kind, geom, level, label in (
            ("management", manage, r["normal_pool_level_m"] + 1.0, "管理范围"),
            ("protection", protect, None, "保护范围"),
        ):
            rows.append(
                {
                    "code": f"{r['code']}-{kind[0].upper()}",
                    "reservoir_code": r["code"],
                    "reservoir_name": r["name"],
                    "name": f"{r['name']}{label}",
                    "range_type": kind,
                    "boundary_level_m": level,
                    "approved_by": "北京市水务局" if r["jurisdiction"] == "beijing" else "河北省水利厅",
                    "approved_date": "2021-06-30",
                    "approval_doc": "水库划界公告（合成数据）",
                }
            )
            geoms.append(shapely.intersection(geom, basin))
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=ANALYSIS_CRS)


def _level_offset(rise_m: float) -> float:
    """Horizontal distance (m) from the normal-pool shoreline to a level ``rise_m`` higher:
    the demo's reservoir banks rise 1 m per 40 m, the same rule the contours use."""
    return rise_m * 40.0


def contours(
    miyun: shapely.Geometry,
    pool: float = 157.5,
    levels: tuple[float, ...] = (156.0, 157.0, 158.0, 159.0, 160.0),
) -> gpd.GeoDataFrame:
    """The 156-160 m contours around Miyun Reservoir, offset from the normal-pool shoreline."""
    offsets = np.array([_level_offset(e - pool) for e in levels])
    rings = shapely.boundary(shapely.buffer(np.repeat(miyun, len(levels)), offsets))
    frame = pd.DataFrame(
        {
            "code": [f"DGX{int(e)}" for e in levels],
            "elevation_m": levels,
            "contour_type": ["index" if e % 5 == 0 else "intermediate" for e in levels],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=rings, crs=ANALYSIS_CRS)
