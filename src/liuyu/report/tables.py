"""Pure tables of the monthly bulletin: class shares, reservoir TLI, rainfall, data completeness.

Every function takes plain frames (observations as ``store.read_observations`` returns them,
stations as the ``stations`` layer without geometry) and returns a frame; nothing here reads
the store, so each table can be checked by hand on a few rows.
"""

from __future__ import annotations

import pandas as pd

from liuyu.assess.basin import BasinSettings, grade_proportions
from liuyu.assess.classify import CLASS_LABELS, aggregate_period
from liuyu.assess.run import Period
from liuyu.assess.tli import tli
from liuyu.network.aggregate import daily_rainfall
from liuyu.network.qc import QCFlag

TZ = "Asia/Shanghai"
LAB = "lab"
RAIN = "rainfall"
TLI_CODES = ("chla", "tp", "tn", "sd", "codmn")
#: Class groups of the bulletin's proportion chart: (key, class labels).
GROUPS = (("good", ("Ⅰ", "Ⅱ", "Ⅲ")), ("fair", ("Ⅳ", "Ⅴ")), ("poor", ("劣Ⅴ",)))
#: Station kinds sampled by hand and analysed in a laboratory: one sample per month expected.
LAB_KINDS = frozenset({"water_quality"})
#: Day end of the daily rainfall that monthly totals add up: 20:00 Beijing time (the CMA day).
RAIN_DAY_END_HOUR = 20


def class_shares(labels: pd.Series) -> pd.DataFrame:
    """Sections per class Ⅰ..劣Ⅴ with their share in percent (all six classes, 0 where none)."""
    names = list(CLASS_LABELS[1:])
    counts = labels[labels.isin(names)].value_counts().reindex(names, fill_value=0).astype(int)
    total = int(counts.sum())
    share = counts * 100.0 / total if total else counts.astype(float)
    return pd.DataFrame({"label": names, "count": counts.to_numpy(), "share": share.to_numpy()})


def group_shares(shares: pd.DataFrame, settings: BasinSettings | None = None) -> dict[str, object]:
    """Ⅰ–Ⅲ, Ⅳ–Ⅴ and 劣Ⅴ counts and shares, and the proportion grade of the 2011 method.

    The grade is given whatever the number of sections; ``proportion_method`` says whether the
    method applies (``BasinSettings.uses_proportions``: 5 sections or more by default).
    """
    s = settings or BasinSettings()
    by = shares.set_index("label")["count"]
    n = int(by.sum())
    out: dict[str, object] = {"n": n, "proportion_method": s.uses_proportions(n)}
    for key, labels in GROUPS:
        count = int(by.reindex(list(labels), fill_value=0).sum())
        out[f"n_{key}"] = count
        out[f"share_{key}"] = count * 100.0 / n if n else float("nan")
    n_good, n_poor = int(by.reindex(list(GROUPS[0][1])).sum()), int(by.get("劣Ⅴ", 0))
    out["grade"] = str(grade_proportions(n_good, n_poor, n, s)[()])
    return out


def lab_frame(obs: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """The usable lab values of these stations (QC-rejected left out) as the engine's long frame.

    Columns section_id, time (local, naive), property_code, value, censor: what
    :func:`~liuyu.assess.classify.aggregate_period` and
    :func:`~liuyu.assess.basin.water_body_means` take.
    """
    flag = obs["qc_flag"].fillna(0).astype("int64")
    keep = (
        (obs["method"] == LAB)
        & obs["station_code"].isin(codes)
        & obs["value"].notna()
        & ((flag & int(QCFlag.REJECTED_RANGE)) == 0)
    )
    lab = obs[keep]
    return pd.DataFrame(
        {
            "section_id": lab["station_code"].to_numpy(),
            "time": lab["phenomenon_time"].dt.tz_convert(TZ).dt.tz_localize(None).to_numpy(),
            "property_code": lab["property_code"].to_numpy(),
            "value": lab["value"].to_numpy(dtype=float),
            "censor": lab["censor"].to_numpy(),
        }
    )


def lab_means(obs: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """Monthly mean of each lab item per station (``sample_id`` = station code), QC-rejected left out."""
    means = aggregate_period(lab_frame(obs, codes), "month")
    return means.assign(sample_id=means["section_id"]).drop(columns=["section_id", "period"])


RESERVOIR_COLUMNS = ["water_body", "reservoir", "n_points", "class", "label", "target", "met"]
RESERVOIR_COLUMNS += ["main_pollutants"]


def reservoir_table(lakes: pd.DataFrame, body_means: pd.DataFrame) -> pd.DataFrame:
    """Each lake or reservoir: the engine's class, its TLI(Σ) parameters, index and grade.

    ``lakes`` is :func:`liuyu.assess.run.assess_lakes` for the month, so the bulletin states
    the class ``liuyu assess`` stores and prints (same points, same averaging, same target);
    ``body_means`` is :func:`liuyu.assess.basin.water_body_means` of the month's lab values
    with the workspace's ``[assess] lake_averaging``, so the TLI parameters are averaged the
    same way as the items that decide the class. Largest water body (most points) first.
    """
    wide = body_means.pivot_table(index="sample_id", columns="property_code", values="value", aggfunc="first")
    wide = wide.reindex(columns=list(TLI_CODES))
    if lakes.empty:
        return pd.DataFrame(columns=[*RESERVOIR_COLUMNS, *TLI_CODES, "tli", "grade"])
    out = pd.DataFrame(
        {
            "water_body": lakes["water_body"].to_numpy(),
            "reservoir": lakes["name"].fillna(lakes["water_body"]).astype(str).to_numpy(),
            "n_points": lakes["n_points"].to_numpy(),
            "class": lakes["class"].to_numpy(),
            "label": lakes["label"].fillna("").to_numpy(),
            "target": lakes["target"].fillna("").to_numpy(),
            "met": lakes["met"].to_numpy(),
            "main_pollutants": lakes["main_pollutants"].fillna("").to_numpy(),
        }
    )
    params = wide.reindex(out["water_body"])
    for code in TLI_CODES:
        out[code] = params[code].to_numpy()
    trophic = tli(params.reset_index(drop=True))
    out = pd.concat([out, trophic.reset_index(drop=True)], axis=1)
    return out.sort_values("n_points", ascending=False, kind="stable").reset_index(drop=True)


def read_start(period: Period) -> pd.Timestamp:
    """The first instant to read for the month: its first rain day starts at 20:00 the day before."""
    return period.start - pd.Timedelta(hours=24 - RAIN_DAY_END_HOUR)


def rainfall_by_gauge(obs: pd.DataFrame, gauges: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Monthly rainfall of each gauge: the sum of its daily totals (days ending 20:00) in the month.

    A gauge total is ``complete`` when every hour of the month's days is present; an incomplete
    month keeps the sum of the hours present (marked, not dropped). Gauges without a reading in
    the month have NaN. Also the month's wettest day per gauge.
    """
    rain = obs[obs["property_code"] == RAIN]
    days = daily_rainfall(rain.assign(series_id=rain["station_code"]), day_end_hour=RAIN_DAY_END_HOUR)
    first, last = period.start.date(), (period.end - pd.Timedelta(days=1)).date()
    days = days[(days["day"] >= first) & (days["day"] <= last)]
    per = days.groupby("series_id").agg(
        total_mm=("partial_total", "sum"),
        n_hours=("n_hours", "sum"),
        max_day_mm=("partial_total", "max"),
        n_flagged=("flagged", "sum"),
    )
    hours = int((period.end - period.start) / pd.Timedelta(hours=1))
    out = gauges[["code", "name", "county_code", "jurisdiction"]].reset_index(drop=True)
    out = out.join(per, on="code")
    out["expected_hours"] = hours
    out["n_hours"] = out["n_hours"].fillna(0).astype(int)
    out["complete"] = out["n_hours"] >= hours
    out["total_mm"] = out["total_mm"].round(1)
    out["max_day_mm"] = out["max_day_mm"].round(1)
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def rainfall_by_county(by_gauge: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Arithmetic mean of the gauge totals per county (gauges without data do not count)."""
    names = counties.set_index("code")["name"] if not counties.empty else pd.Series(dtype=object)
    have = by_gauge[by_gauge["total_mm"].notna()]
    out = have.groupby("county_code", dropna=False).agg(
        n_gauges=("code", "size"), mean_mm=("total_mm", "mean"), max_mm=("total_mm", "max")
    )
    out = out.reset_index()
    out["name"] = names.reindex(out["county_code"]).to_numpy()
    out["mean_mm"] = out["mean_mm"].round(1)
    return out.sort_values("mean_mm", ascending=False, kind="stable").reset_index(drop=True)


def basin_mean_rain(by_gauge: pd.DataFrame) -> float | None:
    """Basin rainfall of the month: the arithmetic mean of the gauge totals (no area weighting)."""
    totals = by_gauge["total_mm"].dropna()
    return None if totals.empty else round(float(totals.mean()), 1)
