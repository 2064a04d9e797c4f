"""Alert rules over data frames: which conditions hold now, and how they change the stored alerts.

Pure functions: each rule turns a frame of results (assessments, TLI, discharge compliance,
series) into candidate alerts; :func:`reconcile` compares them with the stored ones, so a
re-evaluation updates ``last_seen`` instead of duplicating, and a condition that cleared resolves
its alert. Thresholds, severities and bilingual messages are data (``alert_rules.toml``).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from liuyu.assess.tli import EUTROPHIC

KINDS = ("section_below_target", "reservoir_eutrophic", "facility_over_limit", "station_silent")
CANDIDATE_COLUMNS = (
    "key",
    "kind",
    "subject",
    "subject_name",
    "period",
    "severity",
    "message_zh",
    "message_en",
    "value",
    "verified",
    "details",
)


@cache
def load_alert_rules() -> dict[str, dict[str, Any]]:
    """The bundled alert rules, one table per kind."""
    text = resources.files("liuyu.assess").joinpath("alert_rules.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["kinds"])


def alert_key(kind: str, subject: str, period: str) -> str:
    """The de-duplication key: one alert per kind, subject and period."""
    return f"{kind}|{subject}|{period}"


def _frame(kind: str, rows: list[dict[str, Any]], rule: dict[str, Any]) -> pd.DataFrame:
    """Candidate alerts from per-subject fields; messages filled from the rule's templates."""
    if not rows:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    out = pd.DataFrame(
        {
            "key": [alert_key(kind, r["subject"], r["period"]) for r in rows],
            "kind": kind,
            "subject": [r["subject"] for r in rows],
            "subject_name": [r.get("name") or r["subject"] for r in rows],
            "period": [r["period"] for r in rows],
            "severity": [r.get("severity", rule["severity"]) for r in rows],
            "message_zh": [rule["message_zh"].format(**r) for r in rows],
            "message_en": [rule["message_en"].format(**r) for r in rows],
            "value": [float(r.get("value", np.nan)) for r in rows],
            "verified": [bool(r.get("verified", True)) for r in rows],
            "details": [json.dumps(r, ensure_ascii=False, default=str) for r in rows],
        }
    )
    return out


def section_below_target(assessments: pd.DataFrame, names: pd.Series, rule: dict[str, Any]) -> pd.DataFrame:
    """Sections whose period class missed their target (``met`` is False in the stored assessments)."""
    bad = assessments[assessments["met"].astype("boolean").eq(False).fillna(False).astype(bool)]
    rows = [
        {
            "subject": r["station_code"],
            "name": names.get(r["station_code"], r["station_code"]),
            "period": r["period"],
            "label": r["label"],
            "target": r["target"],
            "main_pollutants": r.get("main_pollutants") or "—",
            "value": r["class"],
            "severity": "critical"
            if int(r["class"]) >= rule.get("critical_from_class", 7)
            else rule["severity"],
        }
        for r in bad.to_dict("records")
    ]
    return _frame("section_below_target", rows, rule)


def reservoir_eutrophic(tli: pd.DataFrame, names: pd.Series, rule: dict[str, Any]) -> pd.DataFrame:
    """Lake/reservoir points whose TLI(Σ) grade is eutrophic (columns station_code, period, tli, grade)."""
    bad = tli[tli["grade"].isin(EUTROPHIC)]
    rows = [
        {
            "subject": r["station_code"],
            "name": names.get(r["station_code"], r["station_code"]),
            "period": r["period"],
            "tli": float(r["tli"]),
            "grade": r["grade"],
            "grade_en": rule.get("grades_en", {}).get(r["grade"], r["grade"]),
            "value": float(r["tli"]),
        }
        for r in bad.to_dict("records")
    ]
    return _frame("reservoir_eutrophic", rows, rule)


def facility_over_limit(compliance: pd.DataFrame, rule: dict[str, Any]) -> pd.DataFrame:
    """One alert per station and period with any verified item over its limit (discharge compliance)."""
    over = compliance[
        compliance["exceed"].astype("boolean").fillna(False).astype(bool) & compliance["verified"]
    ]
    rows = []
    for (code, period), g in over.groupby(["station_code", "period"], sort=True):
        mult = g["multiple"].astype(float)
        text = [_item_text(r) for r in g.to_dict("records")]
        rows.append(
            {
                "subject": code,
                "name": g["name"].iloc[0],
                "period": period,
                "items": "、".join(t[0] for t in text),
                "items_en": ", ".join(t[1] for t in text),
                "n_items": len(g),
                "value": float(mult.max()) if mult.notna().any() else np.nan,
                "severity": "critical" if (mult >= rule.get("critical_multiple", np.inf)).any() else None,
            }
        )
        rows[-1]["severity"] = rows[-1]["severity"] or rule["severity"]
    return _frame("facility_over_limit", rows, rule)


def _item_text(r: dict[str, Any]) -> tuple[str, str]:
    name = r.get("item_name") or r["property_code"]
    if r["multiple"] is not None and not np.isnan(r["multiple"]):
        return f"{name} {r['value']:g}（限值 {r['limit']:g}，超标 {r['multiple']:.2f} 倍）", (
            f"{r['property_code']} {r['value']:g} (limit {r['limit']:g}, {r['multiple']:.2f}× over)"
        )
    lo, hi = r.get("limit_low"), r.get("limit_high")
    return (
        f"{name} {r['value']:g}（范围 {lo:g}–{hi:g}）",
        f"{r['property_code']} {r['value']:g} ({lo:g}–{hi:g})",
    )


@dataclass(frozen=True)
class Silence:
    """What :func:`station_silent` needs besides the series: the reference time and intervals."""

    as_of: pd.Timestamp
    by_kind: dict[str, pd.Timedelta]
    by_method: dict[str, pd.Timedelta]
    active_months: dict[str, list[int]] = field(default_factory=dict)


def _utc(values: pd.Series) -> pd.Series:
    """Series ``first``/``last`` as UTC timestamps, whether stored as epoch seconds or ISO text."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_datetime(values, unit="s", utc=True)
    return pd.to_datetime(values, utc=True, errors="coerce", format="mixed")


def station_silent(
    series: pd.DataFrame, stations: pd.DataFrame, silence: Silence, rule: dict[str, Any]
) -> pd.DataFrame:
    """Stations whose newest value (of any series) is older than factor × their expected interval.

    ``series`` has station_code, method, n, last; ``stations`` code, name, kind. Stations with no
    observation at all, or with no known interval, are not judged.
    """
    s = series[series["n"].fillna(0) > 0].assign(last=lambda f: _utc(f["last"]))
    s = s[s["last"] <= silence.as_of]
    if s.empty:
        return _frame("station_silent", [], rule)
    per = s.groupby("station_code").agg(last=("last", "max"), method=("method", "first"))
    info = stations.set_index("code").reindex(per.index)
    by_method = per["method"].map(silence.by_method)
    expected = info["kind"].map(silence.by_kind).fillna(by_method)
    silent_for = silence.as_of - per["last"]
    month = silence.as_of.tz_convert("Asia/Shanghai").month
    in_season = info["kind"].map(lambda k: month in silence.active_months.get(k, range(1, 13)))
    hit = expected.notna() & (silent_for > expected * float(rule["factor"])) & in_season.astype(bool)
    rows = [
        {
            "subject": code,
            "name": info.at[code, "name"],
            "period": "",
            "silent_for": _duration(silent_for[code]),
            "last": per.at[code, "last"].tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M"),
            "expected": _duration(expected[code]),
            "value": silent_for[code].total_seconds() / 3600.0,
        }
        for code in per.index[hit.to_numpy(dtype=bool)]
    ]
    return _frame("station_silent", rows, rule)


def _duration(td: pd.Timedelta) -> str:
    """``3 d 4 h`` style text that reads in both languages."""
    hours = int(td.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h"


@dataclass
class Plan:
    """What to write after an evaluation: new alerts, still-active ones, reopened and resolved ids."""

    new: pd.DataFrame
    seen: pd.DataFrame
    reopened: list[int]
    resolved: list[int]


def reconcile(existing: pd.DataFrame, candidates: pd.DataFrame, scopes: Iterable[tuple[str, str]]) -> Plan:
    """Compare stored alerts (id, key, kind, period, state) with the conditions that hold now.

    A candidate with a stored key is *seen* (its last_seen and message are refreshed) and is
    reopened if it had been resolved; a new key is a *new* alert. A stored unresolved alert of an
    evaluated (kind, period) scope whose condition no longer holds is *resolved*.
    """
    known = existing.set_index("key") if len(existing) else pd.DataFrame(columns=["id", "state"])
    is_known = candidates["key"].isin(known.index)
    seen = candidates[is_known].assign(id=lambda f: known.loc[f["key"], "id"].to_numpy())
    states = known["state"].reindex(seen["key"]).to_numpy()
    reopened = seen["id"][states == "resolved"].astype(int).tolist()
    scope = set(scopes)
    in_scope = np.array([(k, p) in scope for k, p in zip(existing["kind"], existing["period"], strict=True)])
    gone = (
        existing[in_scope & (existing["state"] != "resolved") & ~existing["key"].isin(candidates["key"])]
        if len(existing)
        else existing
    )
    return Plan(candidates[~is_known], seen, reopened, gone["id"].astype(int).tolist())
