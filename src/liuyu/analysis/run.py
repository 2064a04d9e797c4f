"""The analyses run on a workspace: read the inputs, call the pure core, record and store the results."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from liuyu.analysis.raster_zonal import zonal_raster
from liuyu.analysis.results import AnalysisResult, input_versions, require_rows, write_derived
from liuyu.analysis.slope import DEFAULT_THRESHOLD_DEG, Grid, read_dem, slope_grid, steep_polygons
from liuyu.analysis.zonal import zonal_area, zone_totals
from liuyu.catalog import get_category
from liuyu.errors import CategoryError

if TYPE_CHECKING:
    from liuyu.workspace import Workspace


@cache
def defaults() -> dict[str, dict[str, str]]:
    """The default theme and zone fields per category (analysis.toml)."""
    text = resources.files("liuyu.analysis").joinpath("analysis.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def theme_field(code: str, field: str | None) -> str:
    """The field classifying a theme: the given one, else the default, else the category key."""
    cat = get_category(code)
    chosen = field or defaults()["theme_fields"].get(code) or cat.key
    if chosen is None:
        raise CategoryError(f"{code} has no default class field", hint="pass --field")
    cat.field(chosen)  # raises with the list of fields when unknown
    return chosen


def zone_field(code: str, field: str | None = None) -> str:
    cat = get_category(code)
    if cat.is_raster or cat.geometry != "MultiPolygon":
        raise CategoryError(f"{code} is not a polygon layer 不是面图层", hint="zones must be polygons")
    chosen = field or defaults().get("zone_fields", {}).get(code) or cat.key or "code"
    cat.field(chosen)
    return chosen


def dissolve_zones(zones: gpd.GeoDataFrame, zfield: str) -> gpd.GeoDataFrame:
    """One feature per zone value (column ``code``): the features sharing a value, as one geometry.

    The parts are gathered into one MultiPolygon per value in a single array call; only a value
    whose parts overlap (an invalid MultiPolygon) pays for a union. Uniting the thousands of
    steep-slope polygons of a county, which only touch at corners, took seconds for nothing.
    """
    values = zones[zfield].astype("string").fillna("").to_numpy(dtype=object)
    codes, inverse = np.unique(values, return_inverse=True)
    geoms = np.asarray(zones.geometry.array, dtype=object)
    parts, feature = shapely.get_parts(geoms, return_index=True)
    group = inverse[feature]
    order = np.argsort(group, kind="stable")
    out = np.full(len(codes), None, dtype=object)
    shapely.multipolygons(parts[order], indices=group[order], out=out)
    out[pd.isna(out)] = shapely.MultiPolygon()
    for i in np.flatnonzero(~shapely.is_valid(out)):
        out[i] = shapely.union_all(geoms[inverse == i])
    return gpd.GeoDataFrame({"code": codes}, geometry=list(out), crs=zones.crs)


def _zone_layer(dissolved: gpd.GeoDataFrame, totals: pd.DataFrame) -> gpd.GeoDataFrame:
    """The dissolved zones with the totals of the result (for a choropleth)."""
    return dissolved.merge(totals, left_on="code", right_on="zone", how="left").drop(columns=["zone"])


def run_zonal(
    ws: Workspace,
    theme: str,
    by: str,
    field: str | None = None,
    *,
    zone_by: str | None = None,
    threshold: float | None = None,
    write: bool = True,
) -> AnalysisResult:
    """Area and share of each class of ``theme`` per zone of ``by`` (raster themes: statistics).

    The result records the parameters and the input versions; with ``write`` the per-zone
    totals become a new version of the ``analysis_zonal`` layer.
    """
    zfield = zone_field(by, zone_by)
    zones = require_rows(ws.read_layer(by), by)
    dissolved = dissolve_zones(zones, zfield)
    crs = ws.config.crs.analysis
    tcat = get_category(theme)
    params: dict[str, Any] = {"theme": theme, "by": by, "zone_field": zfield, "analysis_crs": crs}
    if tcat.is_raster:
        params["threshold"] = threshold
        # one row per zone value: the features sharing a value are measured together
        table = zonal_raster(ws.raster_path(theme), dissolved, "code", threshold=threshold)
        totals = table.assign(theme_share=table.get("share_above"))
    else:
        tfield = theme_field(theme, field)
        params["field"] = tfield
        table = zonal_area(require_rows(ws.read_layer(theme), theme), zones, tfield, zfield, analysis_crs=crs)
        totals = zone_totals(table).rename(
            columns={"theme_km2": "theme_area_km2", "dominant": "dominant_class"}
        )
        shares = table.pivot(index="zone", columns="class", values="share").add_prefix("share_")
        totals = totals.merge(shares.reset_index(), on="zone", how="left")
    inputs = input_versions(ws, theme, by)
    result = AnalysisResult("zonal", params, inputs, table)
    if write:
        layer = _zone_layer(dissolved, totals.drop(columns=["zone_area_km2"], errors="ignore"))
        layer = layer.assign(zone_category=by, theme=theme, theme_field=params.get("field"))
        layer["zone_area_km2"] = zonal_zone_area(layer, crs)
        write_derived(ws, result, "analysis_zonal", layer)
    return result


def zonal_zone_area(layer: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    return np.asarray(layer.to_crs(crs).area / 1e6)


def derive_steep_slopes(
    ws: Workspace,
    threshold: float = DEFAULT_THRESHOLD_DEG,
    min_area_km2: float = 0.01,
    *,
    dem: Grid | None = None,
) -> AnalysisResult:
    """Steep-slope polygons from the current DEM, written as a derived version of ``steep_slopes``.

    Each polygon gets the county it mostly lies in (by representative point) and a code
    ``<county>-S<threshold>-<n>``; the provenance names the DEM version and the parameters.
    ``dem`` is the workspace's current DEM when the caller already holds it in the analysis
    CRS (the demo build has just written it); otherwise it is read from the workspace.
    """
    crs = ws.config.crs.analysis
    if dem is None or not dem.crs.equals(pyproj.CRS.from_user_input(crs)):
        dem = read_dem(ws.raster_path("dem"), crs)
    polys = steep_polygons(slope_grid(dem), threshold, min_area_km2)
    counties = ws.read_layer("counties")
    county = np.full(len(polys), "", dtype=object)
    jurisdiction = np.full(len(polys), None, dtype=object)
    if len(counties) and len(polys):
        pts = gpd.GeoSeries(polys.geometry.representative_point(), crs=polys.crs).to_crs(counties.crs)
        pi, ci = shapely.STRtree(counties.geometry.array).query(pts.array, predicate="within")
        county[pi] = counties["code"].to_numpy()[ci]
        jurisdiction[pi] = counties["jurisdiction"].to_numpy()[ci]  # so scoped access applies
    polys["county_code"] = county
    polys["jurisdiction"] = jurisdiction
    order = np.argsort(-polys["area_km2"].to_numpy(), kind="stable")
    polys = polys.iloc[order].reset_index(drop=True)
    rank = polys.groupby("county_code").cumcount() + 1
    polys["code"] = polys["county_code"] + f"-S{threshold:g}-" + rank.astype(str).str.zfill(5)
    polys["announced_by"] = "Liuyu (derived from the DEM)"
    params = {
        "threshold_deg": threshold,
        "min_area_km2": min_area_km2,
        "method": "Horn 3x3",
        "analysis_crs": crs,
    }
    rv = ws.store.raster("dem")
    inputs = {"dem": rv.version if rv else None, "counties": ws.store.current_version("counties")}
    params["dem_checksum"] = rv.checksum if rv else None
    table = (
        pd.DataFrame({"county_code": polys["county_code"], "area_km2": polys["area_km2"]})
        .groupby("county_code", as_index=False)
        .agg(area_km2=("area_km2", "sum"), polygons=("area_km2", "size"))
    )
    result = AnalysisResult("steep-slopes", params, inputs, table)
    write_derived(ws, result, "steep_slopes", polys)
    return result
