"""Rainstorm signals from rain-gauge series and reservoir levels against their limits (pure functions).

Rules and messages are data (``warning_rules.toml``, which cites the CMA criteria and says why
Liuyu uses observed, not forecast, totals). The output is candidate alerts in the frame of
:mod:`liuyu.assess.alerts` (``CANDIDATE_COLUMNS``), keyed ``kind|station|period``, so storing them
through the alert system de-duplicates a re-evaluation.

A *rainstorm event* at a gauge is a run of consecutive hours at which some level's criterion holds
(the rolling windows keep it holding while the window still covers the rain); its ``period`` is the
local (Asia/Shanghai) date of the event's first such hour. A storm that crosses midnight is thus one
event and one alert, and a storm growing from blue to red updates its alert rather than adding one.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from liuyu.assess.alerts import CANDIDATE_COLUMNS, alert_key
from liuyu.network.aggregate import rainfall_totals

TZ = "Asia/Shanghai"
EVENT_COLUMNS = ["station_code", "period", "start", "peak", "level", "rank", "window_h", "total", "severity"]


@cache
def load_warning_rules() -> dict[str, Any]:
    """The bundled warning rules (``warning_rules.toml``)."""
    text = resources.files("liuyu.manage").joinpath("warning_rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def rain_levels(rules: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rainstorm levels as a frame, ``rank`` 1 (mildest) upward in file order."""
    levels = pd.DataFrame((rules or load_warning_rules())["rainstorm"]["levels"])
    return levels.assign(rank=np.arange(1, len(levels) + 1))


def rainstorm_events(obs: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """One row per rainstorm event per gauge: its period, start, highest level and when it was reached.

    ``obs`` holds hourly rainfall: ``station_code``, ``phenomenon_time`` (UTC), ``value`` (mm), and
    optionally ``qc_flag`` and ``censor`` (the rule of :mod:`liuyu.network.aggregate` applies: rejected
    values are missing hours). A window with missing hours is judged on the rain it has: a partial
    total at or over the threshold has met it whatever the missing hours held.
    """
    if obs.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    windows = tuple(sorted(set(levels["window_h"].astype(int))))
    totals = rainfall_totals(obs.assign(series_id=obs["station_code"]), windows)
    hits = []
    for lv in levels.itertuples(index=False):  # a handful of levels, each vectorized over all hours
        t = totals[(totals["window_h"] == lv.window_h) & (totals["partial_total"] >= lv.threshold_mm - 1e-9)]
        hits.append(t[["series_id", "phenomenon_time", "window_h", "partial_total"]].assign(rank=lv.rank))
    hit = pd.concat(hits, ignore_index=True)
    if hit.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    hit = hit.sort_values(["series_id", "phenomenon_time", "rank"], ascending=[True, True, False])
    hit = hit.drop_duplicates(["series_id", "phenomenon_time"]).reset_index(drop=True)
    gap = hit["phenomenon_time"].diff() != pd.Timedelta(hours=1)
    event = ((hit["series_id"] != hit["series_id"].shift()) | gap).cumsum()
    start = hit.groupby(event)["phenomenon_time"].transform("min")
    peak = hit.assign(event=event, start=start).sort_values(
        ["event", "rank", "phenomenon_time"], ascending=[True, False, True]
    )
    peak = peak.drop_duplicates("event")
    info = levels.set_index("rank")
    out = pd.DataFrame(
        {
            "station_code": peak["series_id"].to_numpy(),
            "period": peak["start"].dt.tz_convert(TZ).dt.strftime("%Y-%m-%d").to_numpy(),
            "start": peak["start"].to_numpy(),
            "peak": peak["phenomenon_time"].to_numpy(),
            "level": info["code"].reindex(peak["rank"]).to_numpy(),
            "rank": peak["rank"].to_numpy(),
            "window_h": peak["window_h"].to_numpy(),
            "total": peak["partial_total"].round(1).to_numpy(),
            "severity": info["severity"].reindex(peak["rank"]).to_numpy(),
        }
    )
    # two events at a gauge starting on one local day are one alert: the day's first start, highest level
    first = out.groupby(["station_code", "period"])["start"].transform("min")
    out = out.assign(start=first).sort_values(["rank", "total"], ascending=False, kind="stable")
    return (
        out.drop_duplicates(["station_code", "period"])
        .sort_values(["station_code", "start"])
        .reset_index(drop=True)
    )


def _local_text(t: pd.Series) -> pd.Series:
    return pd.to_datetime(t, utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m-%d %H:%M")


def candidates_frame(kind: str, rows: list[dict[str, Any]], rule: dict[str, Any]) -> pd.DataFrame:
    """Candidate alerts (``CANDIDATE_COLUMNS``) from per-subject fields and the rule's message templates."""
    if not rows:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    return pd.DataFrame(
        {
            "key": [alert_key(kind, r["subject"], r["period"]) for r in rows],
            "kind": kind,
            "subject": [r["subject"] for r in rows],
            "subject_name": [r.get("name") or r["subject"] for r in rows],
            "period": [r["period"] for r in rows],
            "severity": [r.get("severity") or rule["severity"] for r in rows],
            "message_zh": [rule["message_zh"].format(**r) for r in rows],
            "message_en": [rule["message_en"].format(**r) for r in rows],
            "value": [float(r.get("value", np.nan)) for r in rows],
            "verified": True,
            "details": [json.dumps(r, ensure_ascii=False, default=str) for r in rows],
        }
    )


def rainstorm_alerts(
    events: pd.DataFrame, names: pd.Series, rules: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Candidate alerts of kind ``rainstorm``, one per gauge and event (see the module docstring)."""
    rule = (rules or load_warning_rules())["rainstorm"]
    info = rain_levels(rules).set_index("code")
    ev = events.assign(peak_text=_local_text(events["peak"]), start_text=_local_text(events["start"]))
    rows = [
        {
            "subject": r["station_code"],
            "name": names.get(r["station_code"], r["station_code"]),
            "period": r["period"],
            "level": r["level"],
            "level_zh": info.at[r["level"], "name_zh"],
            "level_en": info.at[r["level"], "name_en"],
            "window_h": int(r["window_h"]),
            "total": float(r["total"]),
            "peak": r["peak_text"],
            "start": r["start_text"],
            "value": float(r["total"]),
            "severity": r["severity"],
        }
        for r in ev.to_dict("records")
    ]
    return candidates_frame(rule["kind"], rows, rule)


def level_alerts(
    stage: pd.DataFrame, limits: pd.DataFrame, names: pd.Series, rules: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Candidate alerts of the reservoir levels: the newest level of each station against its limits.

    ``stage``: station_code, phenomenon_time (UTC), value (m). ``limits``: station, flood_limit_m,
    normal_pool_m (NaN = not judged). The flood-season limit counts only when the newest value lies
    in the flood-season months (local time); its period is ``YYYY-flood``, the normal pool's ``YYYY``.
    """
    rule = (rules or load_warning_rules())["reservoir_level"]
    if stage.empty:
        return candidates_frame(rule["flood_limit"]["kind"], [], rule["flood_limit"])
    last = stage.sort_values("phenomenon_time").drop_duplicates("station_code", keep="last")
    last = last.merge(limits, left_on="station_code", right_on="station")
    local = pd.to_datetime(last["phenomenon_time"], utc=True).dt.tz_convert(TZ)
    in_season = local.dt.month.isin(rule["flood_season_months"]).to_numpy()
    parts = []
    for which, col, period in (
        ("flood_limit", "flood_limit_m", local.dt.strftime("%Y-flood")),
        ("normal_pool", "normal_pool_m", local.dt.strftime("%Y")),
    ):
        limit = last[col].astype(float)
        over = (last["value"] > limit).to_numpy() & (in_season if which == "flood_limit" else True)
        rows = [
            {
                "subject": r["station_code"],
                "name": names.get(r["station_code"], r["station_code"]),
                "period": p,
                "level": float(r["value"]),
                "limit": float(r[col]),
                "last": t,
                "value": float(r["value"]),
            }
            for r, p, t in zip(
                last[over].to_dict("records"),
                period[over],
                local[over].dt.strftime("%Y-%m-%d %H:%M"),
                strict=True,
            )
        ]
        parts.append(candidates_frame(rule[which]["kind"], rows, rule[which]))
    return pd.concat(parts, ignore_index=True)
