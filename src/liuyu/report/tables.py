"""Pure tables of the monthly bulletin: class shares, reservoir TLI, rainfall, data completeness.

Every function takes plain frames (observations as ``store.read_observations`` returns them,
stations as the ``stations`` layer without geometry) and returns a frame; nothing here reads
the store, so each table can be checked by hand on a few rows.
"""

from __future__ import annotations

import pandas as pd

from liuyu.assess.basin import BasinSettings, grade_proportions
from liuyu.assess.classify import CLASS_LABELS, LAKE, aggregate_period, classify
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


def lab_means(obs: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """Monthly mean of each lab item per station (``sample_id`` = station code), QC-rejected left out."""
    flag = obs["qc_flag"].fillna(0).astype("int64")
    keep = (
        (obs["method"] == LAB)
        & obs["station_code"].isin(codes)
        & obs["value"].notna()
        & ((flag & int(QCFlag.REJECTED_RANGE)) == 0)
    )
    lab = obs[keep]
    frame = pd.DataFrame(
        {
            "section_id": lab["station_code"].to_numpy(),
            "time": lab["phenomenon_time"].dt.tz_convert(TZ).dt.tz_localize(None).to_numpy(),
            "property_code": lab["property_code"].to_numpy(),
            "value": lab["value"].to_numpy(dtype=float),
            "censor": lab["censor"].to_numpy(),
        }
    )
    means = aggregate_period(frame, "month")
    return means.assign(sample_id=means["section_id"]).drop(columns=["section_id", "period"])


def reservoir_tli(means: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """TLI(Σ), its grade and the GB 3838 class of each lake or reservoir, from its points' means.

    ``means`` is :func:`lab_means`; ``stations`` has code, water_type and river (the reservoir's
    name). Each indicator is averaged over the month at each point, then over the reservoir's
    points (2011 method §6, DOMAIN.md §1.4), then classified as a lake/reservoir sample; the TLI
    parameters (chl-a, TP, TN, SD, CODMn) come from the same spatial means.
    """
    lakes = stations[stations["water_type"] == LAKE]
    name = lakes.set_index("code")["river"].fillna("湖库").astype(str)
    sub = means[means["sample_id"].isin(name.index)]
    if sub.empty:
        return pd.DataFrame(columns=["reservoir", "n_points", "class", "label", "tli", "grade"])
    work = sub.assign(reservoir=name.reindex(sub["sample_id"]).to_numpy())
    space = work.groupby(["reservoir", "property_code"], sort=True)["value"].mean().reset_index()
    wide = space.pivot(index="reservoir", columns="property_code", values="value")
    trophic = tli(wide.reindex(columns=list(TLI_CODES)))
    classes = classify(space.rename(columns={"reservoir": "sample_id"}), LAKE).samples
    out = pd.DataFrame(
        {
            "reservoir": wide.index,
            "n_points": work.groupby("reservoir")["sample_id"].nunique().reindex(wide.index).to_numpy(),
            "class": classes["class"].reindex(wide.index).to_numpy(),
            "label": classes["label"].reindex(wide.index).fillna("").to_numpy(),
        }
    )
    for code in TLI_CODES:
        out[code] = wide.reindex(columns=[code])[code].to_numpy()
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
