"""Rural sewage facilities' pure core: which station monitors which facility, and each facility's state.

The registry is the ``sewage_facilities`` layer; monitoring comes through the network (stations
of kind ``rural_sewage``). A facility is *over limit* when the discharge assessment finds an
exceedance at a station of it, *offline* when its newest observation is older than
``offline_after_hours`` before the reference time, *no data* when nothing monitors it or its
station never reported, and *running* otherwise.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.errors import LiuyuError

CATEGORY = "sewage_facilities"
STATION_KIND = "rural_sewage"


class FacilityError(LiuyuError, ValueError):
    """An unknown facility or proposal, a field that cannot be changed, or a value of the wrong type."""


class FacilityNotFound(FacilityError, LookupError):
    """No facility or proposal with that code or id."""


@cache
def settings() -> dict[str, Any]:
    """``liuyu/manage/facilities.toml``: link distance, offline threshold, editable fields, states."""
    text = resources.files("liuyu.manage").joinpath("facilities.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def monitoring_links(
    facilities: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, crs: str, distance_m: float
) -> pd.DataFrame:
    """``facility_code, station_code`` for each rural_sewage station within ``distance_m`` of a facility."""
    st = stations[stations["kind"] == STATION_KIND]
    if st.empty or facilities.empty:
        return pd.DataFrame(
            {"facility_code": pd.Series(dtype=object), "station_code": pd.Series(dtype=object)}
        )
    fac = facilities.to_crs(crs)
    si, fi = shapely.STRtree(fac.geometry.array).query_nearest(
        st.to_crs(crs).geometry.array, max_distance=distance_m, all_matches=False
    )
    return pd.DataFrame(
        {"facility_code": fac["code"].to_numpy()[fi], "station_code": st["code"].to_numpy()[si]}
    ).drop_duplicates()


def facility_states(
    facilities: pd.DataFrame,
    links: pd.DataFrame,
    series: pd.DataFrame,
    exceed: pd.DataFrame,
    as_of: int | None,
    offline_after_hours: float,
) -> pd.DataFrame:
    """One row per facility: its station(s), last observation (Unix s), exceeded items and state.

    ``series`` has ``station_code, last`` (Unix seconds); ``exceed`` has ``station_code, exceed,
    verified, property_code``; ``as_of`` is the reference time (Unix s) offline is judged from.
    """
    last = series.groupby("station_code")["last"].max()
    lk = links.assign(last=links["station_code"].map(last))
    bad = exceed[exceed["exceed"].fillna(False).astype(bool)]
    over_items = bad.groupby("station_code")["property_code"].agg(lambda s: ",".join(sorted(set(s))))
    doubtful = bad.loc[~bad["verified"].fillna(False).astype(bool), "station_code"]
    lk = lk.assign(over=lk["station_code"].map(over_items), unverified=lk["station_code"].isin(set(doubtful)))
    per = lk.groupby("facility_code").agg(
        stations=("station_code", lambda s: ",".join(sorted(s))),
        last=("last", "max"),
        over=("over", lambda s: ",".join(sorted(set(s.dropna())))),
        unverified=("unverified", "any"),
    )
    out = facilities.join(per, on="code")
    has_last = out["last"].notna().to_numpy()
    stale = has_last & (
        (as_of if as_of is not None else 0) - out["last"].fillna(0).to_numpy() > offline_after_hours * 3600
    )
    over = out["over"].fillna("").astype(str).str.len().to_numpy() > 0
    out["state"] = np.select([over, ~has_last, stale], ["over_limit", "no_data", "offline"], "running")
    out["over"] = out["over"].fillna("")
    out["unverified"] = out["unverified"].fillna(False).astype(bool)
    out["stations"] = out["stations"].fillna("")
    return out


def coerce(field_type: str, name: str, value: Any) -> Any:
    """A proposed value in the type of its field (float, integer, date as ISO text, string)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if field_type == "float":
            return float(value)
        if field_type == "integer":
            return int(float(value))
        if field_type == "date":
            return pd.Timestamp(value).date().isoformat()
        if field_type == "boolean":
            return str(value).strip().lower() in ("1", "true", "yes", "是")
    except (ValueError, TypeError) as exc:
        raise FacilityError(
            f"{name}: {value!r} is not a {field_type}", hint=f"give a {field_type} value"
        ) from exc
    return str(value).strip()
