"""A station's series for the map's station panel: raw values with their QC status, or aggregates.

``/api/stations/{code}/series?property=tp&agg=raw|day|month``. Raw points carry a ``status``
the chart marks (good, suspect, rejected, censored) and the names of their QC flags; daily and
monthly aggregates follow the one flag and censoring rule of :mod:`liuyu.network.aggregate`
(rejected values left out, suspect and censored ones counted and flagged).

Corrections (``liuyu qc correct``) are new revisions of a value, the original kept: a raw point
shows its current revision, says ``corrected`` when a revision changed its value or censoring, and
carries the ``original`` value so the chart can mark it and its tooltip show what was replaced.
A QC re-run also makes revisions, but changes only flags: those points are not "corrected".

Observations are read only through ``store.read_observations`` and ``store.series``, so the
route does not depend on how the store keeps them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.network import load_properties
from liuyu.network.aggregate import period_stats
from liuyu.network.qc import QCFlag
from liuyu.workspace import Workspace

router = APIRouter(prefix="/api", tags=["Stations"])
WorkspaceDep = Annotated[Workspace, Depends(workspace)]

#: Status of a raw point, worst first: what the chart marks.
STATUSES = ("rejected", "suspect", "censored", "good")
SUSPECT_BITS = int(QCFlag.SUSPECT_RANGE | QCFlag.SPIKE | QCFlag.FLAT | QCFlag.RATE_OF_CHANGE)
Agg = Literal["raw", "day", "month"]


class Point(BaseModel):
    time: str = Field(description="Phenomenon time (raw) or start of the local day/month, ISO-8601 UTC")
    method: str
    value: float | None = Field(None, description="Raw value (agg=raw)")
    censor: str | None = Field(None, description="'<' below / '>' above a limit (agg=raw)")
    qc_flag: int | None = Field(None, description="QC bits (agg=raw), see liuyu.network.qc.QCFlag")
    status: str | None = Field(None, description="rejected, suspect, censored or good (agg=raw)")
    flags: list[str] | None = Field(None, description="Names of the QC bits set (agg=raw)")
    revision: int | None = Field(None, description="Revision shown, 0 = as ingested (agg=raw)")
    corrected: bool | None = Field(None, description="A correction changed value or censoring (agg=raw)")
    original: float | None = Field(None, description="The value as ingested, when corrected (agg=raw)")
    original_censor: str | None = Field(None, description="Its censoring, when corrected (agg=raw)")
    mean: float | None = Field(None, description="agg=day|month")
    min: float | None = None
    max: float | None = None
    sum: float | None = None
    count: int | None = None
    n_suspect: int | None = None
    n_censored: int | None = None
    flagged: bool | None = None


class StationSeries(BaseModel):
    station: str
    property: str
    name_zh: str
    name_en: str
    unit: str | None
    agg: str
    methods: list[str]
    counts: dict[str, int] = Field(description="Raw points per status (agg=raw) or flagged periods")
    corrected: int = Field(0, description="Raw points whose value a correction changed (agg=raw)")
    points: list[Point]


def qc_status(qc_flag: np.ndarray, censor: np.ndarray) -> np.ndarray:
    """rejected / suspect / censored / good per point, the worst that applies.

    >>> qc_status(np.array([16, 1, 8, 0, 0]), np.array(["", "", "", "<", ""], dtype=object)).tolist()
    ['rejected', 'suspect', 'censored', 'censored', 'good']
    """
    flag = qc_flag.astype(np.int64)
    censored = ((flag & int(QCFlag.CENSORED)) != 0) | (pd.Series(censor).fillna("").to_numpy() != "")
    return np.select(
        [(flag & int(QCFlag.REJECTED_RANGE)) != 0, (flag & SUSPECT_BITS) != 0, censored],
        list(STATUSES[:3]),
        default="good",
    ).astype(object)


def flag_names(qc_flag: np.ndarray) -> list[list[str]]:
    """The names of the bits set in each flag (suspect_range, spike, ...)."""
    bits = [(int(f), str(f.name).lower()) for f in QCFlag]
    return [[name for bit, name in bits if int(q) & bit] for q in qc_flag]


def _iso(times: pd.Series) -> list[str]:
    return list(times.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _none(values: np.ndarray) -> list[Any]:
    return [None if pd.isna(v) else v for v in values.tolist()]


def with_originals(history: pd.DataFrame) -> pd.DataFrame:
    """The current revision of every (method, time), with ``corrected`` and the ``original`` value.

    ``history`` is every revision (``read_observations(history=True)``). Vectorized: the first and
    the last revision of each key, joined.
    """
    keyed = history.assign(method=history["method"].fillna("").astype(str)).sort_values(
        ["method", "phenomenon_time", "revision"], kind="stable"
    )
    key = ["method", "phenomenon_time"]
    current = keyed.drop_duplicates(key, keep="last").reset_index(drop=True)
    first = keyed.drop_duplicates(key, keep="first").set_index(key)
    first = first.reindex(pd.MultiIndex.from_frame(current[key]))
    old_v, new_v = first["value"].to_numpy(dtype=float), current["value"].to_numpy(dtype=float)
    old_c = first["censor"].fillna("").astype(str).to_numpy()
    new_c = current["censor"].fillna("").astype(str).to_numpy()
    same_value = (old_v == new_v) | (np.isnan(old_v) & np.isnan(new_v))
    corrected = (current["revision"].to_numpy() > first["revision"].to_numpy()) & (
        ~same_value | (old_c != new_c)
    )
    return current.assign(
        corrected=corrected,
        original=np.where(corrected, old_v, np.nan),
        original_censor=np.where(corrected, old_c, None),
    )


def raw_points(obs: pd.DataFrame) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Raw points, oldest first, with status, flag names and corrections; and counts per status.

    ``obs`` has one row per (method, time); without the columns of :func:`with_originals` no point
    is corrected.
    """
    obs = obs.sort_values(["phenomenon_time", "method"], kind="stable")
    n = len(obs)
    corrected = obs["corrected"].to_numpy(bool) if "corrected" in obs else np.zeros(n, bool)
    original = obs["original"].to_numpy(float) if "original" in obs else np.full(n, np.nan)
    original_censor = obs["original_censor"] if "original_censor" in obs else pd.Series([None] * n)
    revision = obs["revision"].fillna(0).to_numpy(np.int64) if "revision" in obs else np.zeros(n, np.int64)
    flag = obs["qc_flag"].fillna(0).to_numpy(dtype=np.int64)
    censor = obs["censor"].astype(object).where(obs["censor"].notna(), None).to_numpy()
    status = qc_status(flag, censor)
    columns = zip(
        _iso(obs["phenomenon_time"]),
        obs["method"].fillna("").astype(str),
        _none(obs["value"].to_numpy(dtype=float)),
        censor.tolist(),
        flag.tolist(),
        status.tolist(),
        flag_names(flag),
        revision.tolist(),
        corrected.tolist(),
        _none(original),
        [c if isinstance(c, str) and c else None for c in original_censor.tolist()],
        strict=True,
    )
    keys = (
        *("time", "method", "value", "censor", "qc_flag", "status", "flags"),
        *("revision", "corrected", "original", "original_censor"),
    )
    counts = pd.Series(status).value_counts().reindex(list(STATUSES), fill_value=0)
    return [dict(zip(keys, row, strict=True)) for row in columns], {k: int(v) for k, v in counts.items()}


def aggregate_points(
    obs: pd.DataFrame, agg: Literal["day", "month"]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Local daily or monthly statistics per method (network.aggregate's flag and censoring rule)."""
    frame = obs.assign(series_id=obs["method"].fillna("").astype(str))
    stats = period_stats(frame, "D" if agg == "day" else "M").sort_values(["period_start", "series_id"])
    out = []
    for r in stats.to_dict("records"):
        out.append(
            {
                "time": r["period_start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "method": r["series_id"],
                **{k: None if pd.isna(r[k]) else float(r[k]) for k in ("mean", "min", "max", "sum")},
                **{k: int(r[k]) for k in ("count", "n_suspect", "n_censored")},
                "flagged": bool(r["flagged"]),
            }
        )
    flagged = int(stats["flagged"].sum()) if len(stats) else 0
    return out, {"flagged": flagged, "periods": len(stats)}


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    """A time without a zone is UTC, as the API documents."""
    return when if when is None or when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@router.get(
    "/stations/{code}/series",
    response_model=StationSeries,
    responses={404: {"description": "No such station or series"}},
    summary="A station's series of one property: raw values with QC status, or daily/monthly aggregates",
)
def station_series(
    ws: WorkspaceDep,
    code: Annotated[str, Path(description="Station code")],
    property: Annotated[str, Query(description="Observed property code, e.g. `tp`")],
    start: Annotated[
        dt.datetime | None, Query(description="From this time on (ISO-8601; UTC if no zone)")
    ] = None,
    end: Annotated[dt.datetime | None, Query(description="Before this time (ISO-8601)")] = None,
    agg: Annotated[Agg, Query(description="raw values, or local `day` / `month` statistics")] = "raw",
    method: Annotated[str | None, Query(description="Only this method (lab, auto, ...)")] = None,
) -> Any:
    series = ws.store.series()
    mine = series[(series["station_code"] == code) & (series["property_code"] == property)]
    if method is not None:
        mine = mine[mine["method"].fillna("") == method]
    if mine.empty:
        known = sorted(set(series.loc[series["station_code"] == code, "property_code"]))
        hint = f"its properties: {', '.join(known)}" if known else "no series at this station"
        return ogc_exception(404, f"station {code!r} has no series of {property!r}", hint)
    obs = ws.store.read_observations(
        station_code=code, property_code=property, start=_aware(start), end=_aware(end), history=agg == "raw"
    )
    if method is not None:
        obs = obs[obs["method"].fillna("") == method]
    points, counts = raw_points(with_originals(obs)) if agg == "raw" else aggregate_points(obs, agg)
    props = load_properties().set_index("code")
    known_prop = property in props.index
    units = mine["unit"].dropna()
    return JSONResponse(
        {
            "station": code,
            "property": property,
            "name_zh": props.loc[property, "name_zh"] if known_prop else property,
            "name_en": props.loc[property, "name_en"] if known_prop else property,
            "unit": units.iloc[0] if len(units) else (props.loc[property, "unit"] if known_prop else None),
            "agg": agg,
            "methods": sorted(mine["method"].fillna("").astype(str).unique().tolist()),
            "counts": counts,
            "corrected": sum(bool(p.get("corrected")) for p in points),
            "points": points,
        }
    )
