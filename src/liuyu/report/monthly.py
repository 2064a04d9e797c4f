"""The monthly water bulletin as data: every table of 水环境质量月报, before any rendering.

:func:`build_monthly` reads the workspace once (stations, the month's observations, the stored
assessments, boundaries) and hands plain frames to the pure functions of
:mod:`liuyu.report.tables` and :mod:`liuyu.report.completeness`; the renderer only formats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from liuyu.assess.basin import BasinSettings, assess_basin, water_body_means
from liuyu.assess.classify import RIVER
from liuyu.assess.discharge import discharge_compliance
from liuyu.assess.run import Period, assess_lakes, assess_period, parse_period, water_bodies
from liuyu.errors import SchemaError
from liuyu.report import tables
from liuyu.report.completeness import completeness_by_agency, completeness_total, station_schedule

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

MAP_LAYERS = ("basin", "counties", "townships", "rivers", "reservoirs")
#: Station kinds whose effluent is judged against a discharge standard.
DISCHARGE_KINDS = ("sewage_outfall", "rural_sewage")


@dataclass(frozen=True)
class MapData:
    """Geometries for the section map, all in the workspace's analysis (projected) CRS."""

    crs: str
    layers: dict[str, gpd.GeoDataFrame]
    sections: gpd.GeoDataFrame  # code, name, class, label


@dataclass(frozen=True)
class MonthlyBulletin:
    """Everything the monthly bulletin shows; frames are ready to print, one row per line."""

    month: str
    period: Period
    basin_name: str
    basin_name_en: str
    generated_at: str
    jurisdictions: dict[str, tuple[str, str]]
    sections: pd.DataFrame
    shares: pd.DataFrame
    groups: dict[str, Any]
    basin_class: dict[str, Any]
    reservoirs: pd.DataFrame
    rain_gauges: pd.DataFrame
    rain_counties: pd.DataFrame
    basin_rain_mm: float | None
    completeness: pd.DataFrame
    completeness_total: dict[str, Any]
    discharge: pd.DataFrame | None
    map: MapData | None
    lake_averaging: str = "time_then_space"
    summary: dict[str, Any] = field(default_factory=dict)


def _month(text: str) -> Period:
    period = parse_period(text)
    if period.kind != "month":
        raise SchemaError(f"{text!r} is not a month", hint="give the month as YYYY-MM, e.g. 2024-08")
    return period


def _stations(ws: Workspace) -> gpd.GeoDataFrame:
    st = ws.read_layer("stations")
    cols = ["code", "name", "kind", "agency", "river", "water_type", "target_class", "county_code"]
    for col in [*cols, "jurisdiction"]:
        if col not in st.columns:
            st[col] = None
    return st


def section_table(rows: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Stored assessment rows joined with the sections' name, river and jurisdiction, worst first."""
    info = stations.drop_duplicates("code").set_index("code")
    out = rows.reset_index(drop=True).copy()
    for col in ("name", "river", "jurisdiction"):
        out[col] = info[col].reindex(out["station_code"]).to_numpy()
    out["class"] = pd.to_numeric(out["class"], errors="coerce")
    return out.sort_values(["class", "station_code"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def _basin_class(means: pd.DataFrame, sections: pd.DataFrame, settings: BasinSettings) -> dict[str, Any]:
    """Class and grade of the whole basin by the 2011 method (mean below 5 sections, else shares)."""
    water = sections.set_index("station_code")["water_type"].fillna(RIVER)
    frame = means[means["sample_id"].isin(water.index)]
    if frame.empty:
        return {"method": "mean", "n": 0, "label": "", "grade": ""}
    result = assess_basin(frame, water, settings=settings)
    return {"method": result.method, "n": result.n_sections, "label": result.label, "grade": result.grade}


def _discharge(ws: Workspace, period: Period, stations: pd.DataFrame) -> pd.DataFrame | None:
    """Discharge compliance of the sewage facilities (None when the basin has no sewage station)."""
    if not stations["kind"].isin(DISCHARGE_KINDS).any():
        return None
    return pd.DataFrame(discharge_compliance(ws, period))


def _reservoirs(ws: Workspace, period: Period, obs: pd.DataFrame) -> pd.DataFrame:
    """Lakes and reservoirs as ``liuyu assess`` classes them, with the TLI(Σ) of the same means."""
    bodies = water_bodies(ws).set_index("station_code")["water_body"]
    frame = tables.lab_frame(obs, bodies.index)
    body_means = water_body_means(frame, bodies, averaging=ws.config.assess.lake_averaging)
    return tables.reservoir_table(assess_lakes(ws, period.label), body_means)


def _map(
    ws: Workspace, stations: gpd.GeoDataFrame, sections: pd.DataFrame, reservoirs: pd.DataFrame
) -> MapData | None:
    crs = ws.config.crs.analysis
    pts = stations[stations["code"].isin(sections["station_code"])].drop_duplicates("code")
    if pts.empty or pts.crs is None:
        return None
    cls = sections.set_index("station_code")
    pts = pts[["code", "name", "geometry"]].assign(
        **{
            "class": cls["class"].reindex(pts["code"]).to_numpy(),
            "label": cls["label"].reindex(pts["code"]).to_numpy(),
        }
    )
    layers = {}
    for code in MAP_LAYERS:
        layer = ws.read_layer(code)
        if not layer.empty and layer.crs is not None:
            layers[code] = layer[["geometry"]].to_crs(crs)
            if code == "reservoirs":  # the water body's class, as the reservoir table states it
                key = layer["code"].where(layer["code"].notna(), layer["name"]) if "code" in layer else None
                by = pd.Series(reservoirs["class"].to_numpy(), index=reservoirs["water_body"].to_numpy())
                cls = by[~by.index.duplicated()].reindex(key).to_numpy() if key is not None else np.nan
                layers[code] = layers[code].assign(**{"class": cls})
    return MapData(crs=crs, layers=layers, sections=pts.to_crs(crs))


def _summary(b: dict[str, Any]) -> dict[str, Any]:
    sections: pd.DataFrame = b["sections"]
    met = sections["met"].dropna().astype(bool)
    main = b["reservoirs"].iloc[0] if not b["reservoirs"].empty else None
    notable = sections[sections["class"] >= 4]  # worse than Ⅲ: the sections with main pollutants
    return {
        "n_sections": len(sections),
        "n_with_target": len(met),
        "n_met": int(met.sum()),
        "share_met": float(met.mean() * 100.0) if len(met) else float("nan"),
        "share_good": b["groups"]["share_good"],
        "reservoir": None if main is None else main.to_dict(),
        "basin_rain_mm": b["basin_rain_mm"],
        "notable": notable[["station_code", "name", "label", "target", "main_pollutants"]].to_dict("records"),
    }


def build_monthly(ws: Workspace, month: str, *, settings: BasinSettings | None = None) -> MonthlyBulletin:
    """The bulletin of ``month`` ("2024-08"); assesses the month first if it is not stored yet.

    Raises SchemaError for a text that is not a month. An empty month (no lab sample, no
    rain) still gives a bulletin whose tables are empty, so a late delivery shows as missing.
    """
    period = _month(month)
    s = settings or BasinSettings()
    stations = _stations(ws)
    plain = pd.DataFrame(stations.drop(columns="geometry"))
    rows = assess_period(ws, period.label)
    sections = section_table(rows, plain)
    start = tables.read_start(period)
    obs = ws.store.read_observations(start=start.to_pydatetime(), end=period.end.to_pydatetime())
    in_month = obs[obs["phenomenon_time"] >= period.start]
    means = tables.lab_means(in_month, pd.Index(plain["code"]))
    shares = tables.class_shares(sections["label"])
    rain_codes = obs.loc[obs["property_code"] == tables.RAIN, "station_code"]
    gauges = plain[(plain["kind"] == "rain") | plain["code"].isin(rain_codes)]
    by_gauge = tables.rainfall_by_gauge(obs, gauges, period)
    counties = pd.DataFrame(ws.read_layer("counties")).reindex(columns=["code", "name"])
    by_agency = completeness_by_agency(station_schedule(obs, plain, period))
    parts: dict[str, Any] = {
        "sections": sections,
        "groups": tables.group_shares(shares, s),
        "reservoirs": _reservoirs(ws, period, in_month),
        "basin_rain_mm": tables.basin_mean_rain(by_gauge),
    }
    return MonthlyBulletin(
        month=period.label,
        period=period,
        basin_name=ws.config.basin.name,
        basin_name_en=ws.config.basin.name_en,
        generated_at=dt.datetime.now(dt.UTC)
        .astimezone(dt.timezone(dt.timedelta(hours=8)))
        .strftime("%Y-%m-%d %H:%M"),
        jurisdictions={j.code: (j.name_zh, j.name_en) for j in ws.config.jurisdictions},
        shares=shares,
        basin_class=_basin_class(means, sections, s),
        rain_gauges=by_gauge,
        rain_counties=tables.rainfall_by_county(by_gauge, counties),
        completeness=by_agency,
        completeness_total=completeness_total(by_agency),
        discharge=_discharge(ws, period, plain),
        map=_map(ws, stations, sections, parts["reservoirs"]),
        lake_averaging=ws.config.assess.lake_averaging,
        summary=_summary(parts),
        **parts,
    )
