"""The zonal overlay partitioned with dask-geopandas, for themes larger than one machine's memory.

Each partition of the theme runs the same core as the single-machine path
(:func:`liuyu.analysis.zonal.overlay_pairs`) against the zones (small: broadcast to every
task) and sums its pairs by (zone, class); the partial sums are added up and turned into
shares by :func:`liuyu.analysis.zonal.summarize`, so both paths give the same numbers.
Needs the ``dask`` extra: ``pip install liuyu[dask]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from liuyu.analysis.zonal import overlay_pairs, projected, summarize, zone_areas

if TYPE_CHECKING:
    import dask_geopandas

_META = pd.DataFrame(
    {
        "zone": pd.Series([], dtype=object),
        "class": pd.Series([], dtype=object),
        "area_m2": pd.Series([], dtype=float),
    }
)


def partial_sums(
    part: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, theme_field: str, zone_field: str
) -> pd.DataFrame:
    """Area (m²) by (zone, class) of one theme partition: the task every worker runs."""
    if len(part) == 0:
        return _META.copy()
    zi, ti, area = overlay_pairs(
        np.asarray(part.geometry.array, dtype=object), np.asarray(zones.geometry.array, dtype=object)
    )
    frame = pd.DataFrame(
        {
            "zone": zones[zone_field].astype("string").fillna("").to_numpy(dtype=object)[zi],
            "class": part[theme_field].astype("string").fillna("").to_numpy(dtype=object)[ti],
            "area_m2": area,
        }
    )
    return frame.groupby(["zone", "class"], as_index=False)["area_m2"].sum()


def zonal_area_dask(
    theme: dask_geopandas.GeoDataFrame | gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    theme_field: str,
    zone_field: str,
    *,
    analysis_crs: str | None = None,
    npartitions: int = 8,
    client: Any = None,
) -> pd.DataFrame:
    """:func:`~liuyu.analysis.zonal.zonal_area` over a partitioned theme, on ``client`` (or dask's default).

    ``theme`` may be a dask-geopandas frame read lazily (``dask_geopandas.read_parquet`` or
    ``read_file``) or an in-memory GeoDataFrame, split into ``npartitions``.
    """
    import dask_geopandas

    if isinstance(theme, gpd.GeoDataFrame):
        theme = dask_geopandas.from_geopandas(
            theme[[theme_field, theme.geometry.name]], npartitions=npartitions
        )
    crs = analysis_crs or theme.crs
    if analysis_crs is not None or not theme.crs.is_projected:
        theme = theme.to_crs(crs)
    zones = projected(zones, crs, "zone")
    sums = theme.map_partitions(partial_sums, zones, theme_field, zone_field, meta=_META)
    total = sums.groupby(["zone", "class"])["area_m2"].sum()
    done = total.compute() if client is None else client.compute(total).result()
    done = done.reset_index()
    zone_values = zones[zone_field].astype("string").fillna("")
    return summarize(
        done["zone"].to_numpy(),
        done["class"].to_numpy(),
        done["area_m2"].to_numpy(),
        zone_areas(zone_values, np.asarray(zones.geometry.array, dtype=object)),
    )
