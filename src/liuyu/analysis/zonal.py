"""Zonal overlay: area and share of each theme class in each zone, in the projected analysis CRS."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from liuyu.errors import CRSError, SchemaError

if TYPE_CHECKING:
    import numpy.typing as npt

#: Columns of :func:`zonal_area`'s result, in order.
ZONAL_COLUMNS = ["zone", "class", "area_km2", "share", "zone_area_km2"]


def projected(frame: gpd.GeoDataFrame, analysis_crs: str | pyproj.CRS | None, what: str) -> gpd.GeoDataFrame:
    """``frame`` in ``analysis_crs`` (or as it is when None), refusing degrees: areas need metres."""
    if frame.crs is None:
        raise CRSError(f"the {what} layer has no CRS", hint="set one (frame.set_crs) before the analysis")
    if analysis_crs is not None and not frame.crs.equals(pyproj.CRS.from_user_input(analysis_crs)):
        frame = frame.to_crs(analysis_crs)
    if not frame.crs.is_projected:
        raise CRSError(
            f"the {what} layer is in {frame.crs.name}, not a projected CRS: areas in degrees mean nothing",
            hint="pass analysis_crs (the workspace's, e.g. EPSG:4548)",
        )
    return frame


def _column(frame: gpd.GeoDataFrame, field: str, what: str) -> pd.Series:
    if field not in frame.columns:
        raise SchemaError(
            f"the {what} layer has no field {field!r}",
            hint=f"choose one of: {', '.join(c for c in frame.columns if c != frame.geometry.name)}",
        )
    return frame[field].astype("string").fillna("")


def overlay_pairs(
    theme: npt.NDArray[np.object_], zones: npt.NDArray[np.object_]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zone index, theme index, intersection area in CRS units²) for every intersecting pair.

    The theme goes into an STRtree, queried with the (prepared) zones; a theme polygon lying
    wholly inside its zone keeps its own area, so only the pairs crossing a zone boundary pay
    for an intersection. This is why the overlay beats a full ``geopandas.overlay``.
    """
    tree = shapely.STRtree(theme)
    # prepare() changes geometries in place and GEOS does not guard it: two threads preparing the
    # same caller's zones (dask workers in one process, two API requests) crashed the process.
    zones = shapely.from_wkb(shapely.to_wkb(zones))
    shapely.prepare(zones)
    zi, ti = tree.query(zones, predicate="intersects")
    inside = shapely.contains_properly(zones[zi], theme[ti])
    area = np.empty(len(zi), dtype=np.float64)
    area[inside] = shapely.area(theme[ti[inside]])
    cross = ~inside
    if cross.any():
        cut = shapely.intersection(zones[zi[cross]], theme[ti[cross]])
        area[cross] = shapely.area(cut)
    return zi, ti, area


def zonal_area(
    theme: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    theme_field: str,
    zone_field: str,
    *,
    analysis_crs: str | None = None,
) -> pd.DataFrame:
    """Area (km²) and share of each ``theme_field`` class within each ``zone_field`` zone.

    Areas are measured in a projected CRS (``analysis_crs``, or the frames' own when None);
    features with the same zone value form one zone. ``share`` is the class area over the
    zone's area, so a theme that tiles the zones sums to 1 in each zone. Overlapping theme
    features are counted once each.

    Examples
    --------
    >>> from shapely import box
    >>> zones = gpd.GeoDataFrame({"z": ["a"]}, geometry=[box(0, 0, 2000, 1000)], crs=3857)
    >>> theme = gpd.GeoDataFrame({"c": ["x", "y"]}, geometry=[box(0, 0, 500, 1000), box(1500, 0, 2500, 1000)],
    ...                          crs=3857)
    >>> zonal_area(theme, zones, "c", "z")[["class", "area_km2", "share"]].to_dict("list")
    {'class': ['x', 'y'], 'area_km2': [0.5, 0.5], 'share': [0.25, 0.25]}
    """
    theme = projected(theme, analysis_crs, "theme")
    zones = projected(zones, analysis_crs or theme.crs, "zone")
    classes = _column(theme, theme_field, "theme")
    zone_values = _column(zones, zone_field, "zone")
    zgeom = np.asarray(zones.geometry.array, dtype=object)
    zi, ti, area = overlay_pairs(np.asarray(theme.geometry.array, dtype=object), zgeom)
    return summarize(zone_values.to_numpy()[zi], classes.to_numpy()[ti], area, zone_areas(zone_values, zgeom))


def zone_areas(zone_values: pd.Series, zgeom: npt.NDArray[np.object_]) -> pd.Series:
    """Area (km²) of each zone value: the sum over its features."""
    return pd.Series(shapely.area(zgeom) / 1e6, index=zone_values.to_numpy()).groupby(level=0).sum()


def summarize(zone: np.ndarray, cls: np.ndarray, area_m2: np.ndarray, zone_area: pd.Series) -> pd.DataFrame:
    """Sum pair areas by (zone, class) and add each class's share of its zone."""
    pairs = pd.DataFrame({"zone": zone, "class": cls, "area_km2": area_m2 / 1e6})
    out = pairs.groupby(["zone", "class"], sort=True, as_index=False)["area_km2"].sum()
    out = out[out["area_km2"] > 0]
    out["zone_area_km2"] = zone_area.reindex(out["zone"]).to_numpy()
    out["share"] = out["area_km2"] / out["zone_area_km2"]
    return out[ZONAL_COLUMNS].reset_index(drop=True)


def zone_totals(result: pd.DataFrame) -> pd.DataFrame:
    """Per zone: the theme's total area and share, and the dominant class (for a choropleth)."""
    if result.empty:
        return pd.DataFrame(columns=["zone", "theme_km2", "theme_share", "dominant", "dominant_share"])
    top = result.sort_values(["zone", "area_km2"], ascending=[True, False]).drop_duplicates("zone")
    total = result.groupby("zone", as_index=False).agg(
        theme_km2=("area_km2", "sum"), zone_area_km2=("zone_area_km2", "first")
    )
    total["theme_share"] = total["theme_km2"] / total["zone_area_km2"]
    top = top.rename(columns={"class": "dominant", "share": "dominant_share"})
    return total.merge(top[["zone", "dominant", "dominant_share"]], on="zone")
