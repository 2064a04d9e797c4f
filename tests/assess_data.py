"""Small hand-made water-quality networks for the assessment tests (stations and lab samples)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely


def sections(rows: list[tuple[str, str, str, float]]) -> gpd.GeoDataFrame:
    """Water-quality sections from (code, water_type, target_class, longitude) rows, at 40.5°N."""
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [f"断面{r[0]}" for r in rows],
            "kind": "water_quality",
            "water_type": [r[1] for r in rows],
            "target_class": [r[2] for r in rows],
            "jurisdiction": "beijing",
            "geometry": [shapely.Point(r[3], 40.5) for r in rows],
        },
        crs="EPSG:4490",
    )


def sample(station: str, local: str, values: dict[str, float], method: str) -> pd.DataFrame:
    """One sample or reading taken at ``local`` Beijing time by ``method``, as observation rows."""
    time = pd.Timestamp(local, tz="Asia/Shanghai").tz_convert("UTC")
    return pd.DataFrame(
        {
            "station_code": station,
            "property_code": list(values),
            "phenomenon_time": time,
            "value": list(values.values()),
            "method": method,
        }
    )


def lab(station: str, local: str, values: dict[str, float]) -> pd.DataFrame:
    """One lab sample taken at ``local`` Beijing time, as observation rows."""
    return sample(station, local, values, "lab")
