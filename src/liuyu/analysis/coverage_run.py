"""`liuyu analyze coverage` on a workspace: density against targets, gaps at crossings, ecology at borders."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.analysis.coverage import check_targets, density, ecology_coverage, gaps
from liuyu.analysis.results import AnalysisResult, input_versions, require_rows, write_derived

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

GAPS = "network_gaps"


@cache
def network_targets() -> dict[str, Any]:
    """network_targets.toml: the density targets and the gap-finder settings."""
    text = resources.files("liuyu.analysis").joinpath("network_targets.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _zones(ws: Workspace, crs: str) -> gpd.GeoDataFrame:
    """Basin, jurisdictions (counties dissolved by jurisdiction) and counties, as density zones."""
    counties = require_rows(ws.read_layer("counties"), "counties").to_crs(crs)
    basin = ws.read_layer("basin").to_crs(crs)
    basin_geom = (
        shapely.union_all(basin.geometry.array) if len(basin) else shapely.union_all(counties.geometry.array)
    )
    jur = counties.dropna(subset=["jurisdiction"]).dissolve(by="jurisdiction").reset_index()
    parts = [
        pd.DataFrame({"level": ["basin"], "zone": ["basin"], "geometry": [basin_geom]}),
        pd.DataFrame({"level": "jurisdiction", "zone": jur["jurisdiction"], "geometry": jur.geometry.array}),
        pd.DataFrame({"level": "county", "zone": counties["code"], "geometry": counties.geometry.array}),
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


def gap_jurisdiction(points: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> np.ndarray:
    """The jurisdiction of the counties within 1 m of each gap, None where they differ (a shared border).

    A gap on a township boundary or on a county boundary inside one province belongs to that
    province's authority; one on the Beijing-Hebei border is shared, like the basin. Projected CRS.
    """
    out = np.full(len(points), None, dtype=object)
    if len(points) == 0 or len(counties) == 0 or "jurisdiction" not in counties:
        return out
    tree = shapely.STRtree(np.asarray(counties.geometry.array))
    pi, ci = tree.query(np.asarray(points.geometry.array), predicate="dwithin", distance=1.0)
    jur = counties["jurisdiction"].astype("string").fillna("").to_numpy(dtype=object)[ci]
    by_point = pd.DataFrame({"p": pi, "j": jur}).groupby("p")["j"].agg(["nunique", "first"])
    one = by_point[(by_point["nunique"] == 1) & (by_point["first"] != "")]
    out[one.index.to_numpy()] = one["first"].to_numpy()
    return out


def run_coverage(
    ws: Workspace,
    *,
    tolerance_km: float | None = None,
    min_catchment_km2: float | None = None,
    write: bool = True,
) -> AnalysisResult:
    """Density by kind and zone against the targets; the gap list (stored as ``network_gaps``)."""
    cfg = network_targets()
    g = cfg["gaps"]
    tol = g["tolerance_km"] if tolerance_km is None else tolerance_km
    min_c = g["min_catchment_km2"] if min_catchment_km2 is None else min_catchment_km2
    crs = ws.config.crs.analysis
    stations = require_rows(ws.read_layer("stations"), "stations").to_crs(crs)
    dens = density(stations, _zones(ws, crs))
    targets = pd.DataFrame(cfg["targets"])
    checked = check_targets(dens, targets[["kind", "scope", "km2_per_station"]])
    checked = checked.merge(
        targets[["kind", "scope", "source_en"]], left_on=["kind", "zone"], right_on=["kind", "scope"]
    ).drop(columns=["scope"])
    rivers = require_rows(ws.read_layer("rivers"), "rivers").to_crs(crs)
    bounds = {
        "county": (ws.read_layer("counties").to_crs(crs), "name"),
        "township": (ws.read_layer("townships").to_crs(crs), "name"),
    }
    sections = stations[stations["kind"].isin(g["section_kinds"])]
    gap = gaps(
        rivers,
        {k: v for k, v in bounds.items() if len(v[0])},
        sections,
        min_catchment_km2=min_c,
        tolerance_km=tol,
    )
    gap["jurisdiction"] = gap_jurisdiction(gap, bounds["county"][0])
    border = stations[stations["role"] == "provincial_boundary"]
    eco = ecology_coverage(border, stations[stations["kind"] == "ecology"], g["ecology_tolerance_km"])
    params = {
        "tolerance_km": tol,
        "min_catchment_km2": min_c,
        "section_kinds": g["section_kinds"],
        "ecology_tolerance_km": g["ecology_tolerance_km"],
        "targets": cfg["targets"],
        "analysis_crs": crs,
    }
    inputs = input_versions(ws, "stations", "rivers", "counties", "townships", "basin")
    result = AnalysisResult("coverage", params, inputs, checked)
    result.extra_tables = {
        "density": dens,
        "gaps": pd.DataFrame(gap.drop(columns="geometry")).assign(
            lon=gap.to_crs("EPSG:4490").geometry.x.round(6), lat=gap.to_crs("EPSG:4490").geometry.y.round(6)
        ),
        "boundary_ecology": eco,
    }
    if write:
        write_derived(ws, result, GAPS, gap.to_crs("EPSG:4490"))
    return result
