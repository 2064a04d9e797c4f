"""Network coverage, pure: station density against targets, and rivers crossing boundaries with no section."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Columns of :func:`density`.
DENSITY_COLUMNS = ["level", "zone", "kind", "n", "area_km2", "km2_per_station"]


def density(stations: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Stations of each kind in each zone, and the area each one stands for.

    ``zones`` has columns ``level`` (e.g. basin, jurisdiction, county), ``zone`` and
    geometry; both frames in the same projected CRS. Every (zone, kind) pair appears, with
    n = 0 where a zone has none of a kind.
    """
    kinds = np.unique(stations["kind"].astype("string").fillna("").to_numpy())
    zi, si = shapely.STRtree(np.asarray(stations.geometry.array)).query(
        np.asarray(zones.geometry.array), predicate="contains"
    )
    hits = pd.DataFrame({"z": zi, "kind": stations["kind"].astype("string").fillna("").to_numpy()[si]})
    counts = hits.groupby(["z", "kind"]).size()
    grid = pd.MultiIndex.from_product([np.arange(len(zones)), kinds], names=["z", "kind"])
    out = counts.reindex(grid, fill_value=0).rename("n").reset_index()
    out["level"] = zones["level"].to_numpy()[out["z"]]
    out["zone"] = zones["zone"].to_numpy()[out["z"]]
    out["area_km2"] = (shapely.area(np.asarray(zones.geometry.array)) / 1e6)[out["z"]]
    out["km2_per_station"] = np.where(out["n"] > 0, out["area_km2"] / out["n"].clip(lower=1), np.nan)
    return out[DENSITY_COLUMNS]


def check_targets(dens: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Density rows that have a target: the stations needed, the shortfall and whether it is met.

    ``targets`` has ``kind``, ``scope`` (a zone value) and ``km2_per_station``; needed =
    ceil(area / km2_per_station).
    """
    merged = dens.merge(targets, left_on=["zone", "kind"], right_on=["scope", "kind"], how="inner")
    merged = merged.rename(
        columns={"km2_per_station_x": "km2_per_station", "km2_per_station_y": "target_km2"}
    )
    merged["needed"] = np.ceil(merged["area_km2"] / merged["target_km2"]).astype(int)
    merged["shortfall"] = (merged["needed"] - merged["n"]).clip(lower=0)
    merged["met"] = merged["shortfall"] == 0
    return merged.drop(columns=["scope"])


def internal_boundaries(units: gpd.GeoDataFrame) -> shapely.Geometry:
    """The lines shared by two units: all unit boundaries minus the outline of their union."""
    geoms = np.asarray(units.geometry.array)
    lines = shapely.union_all(shapely.boundary(geoms))
    outline = shapely.boundary(shapely.union_all(geoms))
    return shapely.difference(lines, shapely.buffer(outline, 1.0))


def crossings(
    rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame, unit_name: str, merge_m: float = 200.0
) -> gpd.GeoDataFrame:
    """Points where each river crosses a boundary between two units, with the units on either side.

    Columns: ``river`` (row position in ``rivers``), ``between`` ("A|B", sorted names) and the
    point's position along its river (``along``); crossings of the same river and boundary
    closer than ``merge_m`` along the river count once. Both frames in the same projected CRS.
    """
    inner = internal_boundaries(units)
    rgeom = np.asarray(rivers.geometry.array)
    hit = shapely.intersection(rgeom, inner)
    parts, ridx = shapely.get_parts(hit, return_index=True)
    pts = parts[shapely.get_type_id(parts) == 0]
    pidx = ridx[shapely.get_type_id(parts) == 0]
    # a river running along a boundary gives lines, not points: take their two ends
    lines = parts[shapely.get_type_id(parts) == 1]
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    pts = np.concatenate([pts, ends])
    pidx = np.concatenate([pidx, np.tile(ridx[shapely.get_type_id(parts) == 1], 2)])
    if len(pts) == 0:
        return gpd.GeoDataFrame({"river": [], "between": [], "along": []}, geometry=[], crs=rivers.crs)
    tree = shapely.STRtree(np.asarray(units.geometry.array))
    qi, ui = tree.query(pts, predicate="dwithin", distance=1.0)
    names = units[unit_name].astype("string").fillna("").to_numpy()
    pairs = pd.DataFrame({"p": qi, "name": names[ui]}).drop_duplicates().sort_values(["p", "name"])
    between = pairs.groupby("p")["name"].agg("|".join)
    n_sides = pairs.groupby("p").size()
    two = n_sides.index[n_sides >= 2].to_numpy()
    out = gpd.GeoDataFrame(
        {"river": pidx[two], "between": between.loc[two].to_numpy()}, geometry=pts[two], crs=rivers.crs
    )
    out["along"] = shapely.line_locate_point(rgeom[out["river"].to_numpy()], np.asarray(out.geometry.array))
    return dedupe(out, merge_m)


def dedupe(points: gpd.GeoDataFrame, within: float = 200.0) -> gpd.GeoDataFrame:
    """One crossing per run of successive crossings (same river and boundary) closer than ``within`` metres.

    A river meandering along a boundary crosses it again and again; one section serves them all.
    """
    pts = points.sort_values(["river", "between", "along"]).reset_index(drop=True)
    same = (pts["river"].eq(pts["river"].shift())) & (pts["between"].eq(pts["between"].shift()))
    geoms = np.asarray(pts.geometry.array)
    step = np.concatenate([[np.inf], shapely.distance(geoms[1:], geoms[:-1])]) if len(pts) else np.array([])
    new_run = ~(same.to_numpy() & (step < within))
    return pts[new_run].reset_index(drop=True)


def nearest_km(
    points: np.ndarray, stations: gpd.GeoDataFrame, max_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """(distance km, station row) of the nearest station within ``max_km``; NaN and -1 when none."""
    dist = np.full(len(points), np.nan)
    which = np.full(len(points), -1)
    if len(points) == 0 or len(stations) == 0:
        return dist, which
    tree = shapely.STRtree(np.asarray(stations.geometry.array))
    (pi, si), d = tree.query_nearest(
        points, max_distance=max_km * 1000, return_distance=True, all_matches=False
    )
    dist[pi] = d / 1000
    which[pi] = si
    return dist, which


def gaps(
    rivers: gpd.GeoDataFrame,
    boundaries: dict[str, tuple[gpd.GeoDataFrame, str]],
    sections: gpd.GeoDataFrame,
    *,
    min_catchment_km2: float = 50.0,
    tolerance_km: float = 1.0,
) -> gpd.GeoDataFrame:
    """Crossings of big rivers over unit boundaries with no section of theirs within ``tolerance_km``.

    ``boundaries`` maps a kind ("county", "township") to (units, name field), coarser first: a
    crossing already found on a coarser boundary is not repeated for a finer one. The gap's
    point is the crossing itself, the suggested location for a new section. Projected CRS.
    """
    big = rivers[rivers["catchment_km2"].astype(float).fillna(0) > min_catchment_km2].reset_index(drop=True)
    found: list[gpd.GeoDataFrame] = []
    for kind, (units, name_field) in boundaries.items():
        cross = crossings(big, units, name_field, tolerance_km * 1000)
        if found and len(cross):
            seen = np.concatenate([np.asarray(f.geometry.array) for f in found])
            d, _ = nearest_km(np.asarray(cross.geometry.array), gpd.GeoDataFrame(geometry=seen), 0.001)
            cross = cross[np.isnan(d)]
        found.append(cross.assign(boundary=kind))
    allx = pd.concat(found, ignore_index=True) if found else gpd.GeoDataFrame()
    allx = gpd.GeoDataFrame(allx, geometry="geometry", crs=rivers.crs)
    covered = covered_by(allx, big, sections, tolerance_km)
    far, _ = nearest_km(np.asarray(allx.geometry.array), sections, 1e6)
    allx["nearest_section_km"] = far
    out = allx[~covered].reset_index(drop=True)
    out["river_code"] = big["code"].to_numpy()[out["river"]]
    out["river_name"] = big["name"].to_numpy()[out["river"]]
    out["catchment_km2"] = big["catchment_km2"].astype(float).to_numpy()[out["river"]]
    rank = out.groupby("river_code").cumcount() + 1
    out["code"] = "GAP-" + out["river_code"].astype(str) + "-" + rank.astype(str).str.zfill(2)
    cols = ["code", "river_code", "river_name", "catchment_km2", "boundary", "between", "nearest_section_km"]
    return gpd.GeoDataFrame(out[cols], geometry=out.geometry, crs=rivers.crs)


def covered_by(
    points: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, sections: gpd.GeoDataFrame, tolerance_km: float
) -> np.ndarray:
    """Whether a section lies within ``tolerance_km`` of each crossing, on the same river.

    A section whose ``river`` names another river (a tributary joining near the crossing) does
    not count; one with no river given does, as the distance is all we know.
    """
    if len(points) == 0 or len(sections) == 0:
        return np.zeros(len(points), dtype=bool)
    tree = shapely.STRtree(np.asarray(sections.geometry.array))
    pi, si = tree.query(np.asarray(points.geometry.array), predicate="dwithin", distance=tolerance_km * 1000)
    ri = points["river"].to_numpy()[pi]
    named = (
        sections["river"].astype("string").fillna("").to_numpy(dtype=object)
        if "river" in sections
        else np.full(len(sections), "", dtype=object)
    )[si]
    same = (named == "") | (named == rivers["name"].to_numpy()[ri]) | (named == rivers["code"].to_numpy()[ri])
    return np.bincount(pi[same], minlength=len(points)) > 0


def ecology_coverage(
    sections: gpd.GeoDataFrame, ecology: gpd.GeoDataFrame, tolerance_km: float
) -> pd.DataFrame:
    """For each (provincial-boundary) section: its nearest ecology site and whether it is within tolerance."""
    dist, which = nearest_km(np.asarray(sections.geometry.array), ecology, 1e6)
    codes = ecology["code"].to_numpy() if len(ecology) else np.array([], dtype=object)
    return pd.DataFrame(
        {
            "section": sections["code"].to_numpy(),
            "name": sections["name"].to_numpy(),
            "river": sections["river"].to_numpy() if "river" in sections else None,
            "nearest_ecology": np.where(
                which >= 0, codes[np.maximum(which, 0)] if len(codes) else None, None
            ),
            "distance_km": dist,
            "covered": np.nan_to_num(dist, nan=np.inf) <= tolerance_km,
        }
    )
