"""Named cross-analyses (cross_analyses.toml): a table by class and zone and a layer of hotspot polygons."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict

from liuyu.analysis.results import AnalysisResult, input_versions, require_rows, write_derived
from liuyu.analysis.zonal import overlay_pairs, projected, summarize, zone_areas
from liuyu.errors import ConfigError

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

HOTSPOTS = "cross_hotspots"


class CrossSpec(BaseModel):
    """One named cross-analysis: which classes of which theme fall in which zones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title_zh: str
    title_en: str
    basis: str = ""
    theme: str
    theme_field: str
    theme_classes: tuple[str, ...] = ()
    zones: str
    zone_field: str
    zone_values: tuple[str, ...] = ()


@cache
def cross_analyses() -> dict[str, CrossSpec]:
    """The named cross-analyses shipped with Liuyu, keyed by name."""
    text = resources.files("liuyu.analysis").joinpath("cross_analyses.toml").read_text(encoding="utf-8")
    return {k: CrossSpec(name=k, **v) for k, v in tomllib.loads(text).items()}


def get_cross(name: str) -> CrossSpec:
    specs = cross_analyses()
    if name not in specs:
        raise ConfigError(
            f"unknown cross-analysis {name!r} 未知的交叉分析", hint=f"use one of: {', '.join(specs)}"
        )
    return specs[name]


def select(values: pd.Series, prefixes: tuple[str, ...]) -> np.ndarray:
    """Rows whose value starts with one of ``prefixes`` (all rows when there are none)."""
    text = values.astype("string").fillna("")
    if not prefixes:
        return np.ones(len(text), dtype=bool)
    return np.asarray(text.str.startswith(prefixes).to_numpy(dtype=bool))


def cross(
    spec: CrossSpec, theme: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, analysis_crs: str
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The table (area and share by zone and class) and the hotspots (intersected polygons).

    Pure: both frames are filtered by the spec's class and zone lists, measured in
    ``analysis_crs``; the hotspots come back in the storage CRS of ``theme``.
    """
    theme = projected(theme[select(theme[spec.theme_field], spec.theme_classes)], analysis_crs, "theme")
    zvals = zones[spec.zone_field].astype("string").fillna("")
    zones = projected(
        zones[np.isin(zvals, spec.zone_values) if spec.zone_values else np.ones(len(zones), bool)],
        analysis_crs,
        "zone",
    )
    tgeom = np.asarray(theme.geometry.array, dtype=object)
    zgeom = np.asarray(zones.geometry.array, dtype=object)
    zi, ti, area = overlay_pairs(tgeom, zgeom)
    zone_v = zones[spec.zone_field].astype("string").fillna("").to_numpy()
    cls_v = theme[spec.theme_field].astype("string").fillna("").to_numpy()
    table = summarize(zone_v[zi], cls_v[ti], area, zone_areas(pd.Series(zone_v), zgeom))
    inside = np.isclose(area, shapely.area(tgeom[ti]))
    geoms: np.ndarray = tgeom[ti].copy()
    if (~inside).any():
        geoms[~inside] = shapely.intersection(zgeom[zi[~inside]], tgeom[ti[~inside]])
    keep = area > 0
    spots = gpd.GeoDataFrame(
        {
            "code": [f"{spec.name}-{i + 1:06d}" for i in range(int(keep.sum()))],
            "analysis": spec.name,
            "theme_class": cls_v[ti[keep]],
            "zone": zone_v[zi[keep]],
            "area_km2": area[keep] / 1e6,
        },
        geometry=shapely.make_valid(geoms[keep]),
        crs=theme.crs,
    )
    spots = spots[spots.geom_type.isin(["Polygon", "MultiPolygon"])]
    return table, spots


def run_cross(ws: Workspace, name: str, *, write: bool = True) -> AnalysisResult:
    """Run a named cross-analysis on the workspace; its hotspots replace its earlier ones."""
    spec = get_cross(name)
    theme = require_rows(ws.read_layer(spec.theme), spec.theme)
    zones = require_rows(ws.read_layer(spec.zones), spec.zones)
    crs = ws.config.crs.analysis
    table, spots = cross(spec, theme, zones, crs)
    params = spec.model_dump() | {"analysis_crs": crs}
    result = AnalysisResult(f"cross:{name}", params, input_versions(ws, spec.theme, spec.zones), table)
    if write:
        others = ws.read_layer(HOTSPOTS)
        others = others[others["analysis"] != name]
        keep = [c for c in ("code", "analysis", "theme_class", "zone", "area_km2", "geometry")]
        merged = pd.concat([others[keep], spots.to_crs(others.crs or "EPSG:4490")[keep]], ignore_index=True)
        write_derived(ws, result, HOTSPOTS, gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4490"))
        result.layer = spots
    return result
