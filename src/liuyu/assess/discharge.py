"""Discharge compliance: sewage plants and rural facilities, daily means against their standard's limits.

GB 18918-2002 limits are maxima of daily means, so every value (online monitor or grab sample) is
first averaged per local day; the period's worst day is then judged (``discharge_rules.toml``).
Results depending on a DB11/1612-2019 limit carry ``verified = False``: that standard's limits
are not yet taken from the official text (shared/DOMAIN.md §4.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from liuyu.assess.discharge_limits import DischargeRules, limit_table, load_rules
from liuyu.assess.standards import load_standard

if TYPE_CHECKING:
    from liuyu.assess.run import Period
    from liuyu.workspace import Workspace

KEY = ["station_code", "property_code"]
STATION_COLUMNS = ("station_code", "name", "kind", "standard", "standard_class", "built", "standard_source")
COLUMNS = (
    "station_code",
    "name",
    "kind",
    "standard",
    "standard_code",
    "standard_class",
    "standard_source",
    "property_code",
    "item_name",
    "value",
    "limit",
    "limit_low",
    "limit_high",
    "limit_basis",
    "exceed",
    "multiple",
    "verified",
    "n_samples",
    "n_days",
    "n_days_exceed",
    "worst_day",
)


def daily_means(obs: pd.DataFrame, rules: DischargeRules) -> pd.DataFrame:
    """Mean of each station's item per local calendar day: station_code, property_code, day, value, n.

    ``obs`` has station_code, property_code, phenomenon_time (tz-aware), value and optionally
    censor and method. Censored values count as ``censored_factor`` × the reported limit.
    """
    if rules.methods and "method" in obs:
        obs = obs[obs["method"].isin(rules.methods)]
    value = obs["value"].to_numpy(dtype=float)
    if "censor" in obs:
        value = np.where(obs["censor"].fillna("").to_numpy() == "<", value * rules.censored_factor, value)
    frame = pd.DataFrame(
        {
            "station_code": obs["station_code"].to_numpy(),
            "property_code": obs["property_code"].to_numpy(),
            "day": obs["phenomenon_time"].dt.tz_convert(rules.timezone).dt.strftime("%Y-%m-%d").to_numpy(),
            "value": value,
        }
    ).dropna(subset=["value"])
    out = frame.groupby([*KEY, "day"], as_index=False).agg(value=("value", "mean"), n=("value", "size"))
    return out[out["n"] >= rules.min_values_per_day].reset_index(drop=True)


def _condition_holds(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row's variant condition holds, and whether it could be decided at all."""
    holds = np.ones(len(frame), dtype=bool)
    unknown = np.zeros(len(frame), dtype=bool)
    for var, sub in frame[frame["cond_var"].notna()].groupby("cond_var"):
        x = sub["water_temp"] if var == "water_temp" else sub[str(var)]
        idx = frame.index.get_indexer(sub.index)
        for op, part in sub.groupby("cond_op"):
            xs, v = x.loc[part.index], part["cond_value"]
            if var == "built":
                xs, v = pd.to_datetime(xs), pd.to_datetime(v)
            with np.errstate(invalid="ignore"):
                res = {"<": xs < v, "<=": xs <= v, ">": xs > v, ">=": xs >= v}[str(op)]
            holds[frame.index.get_indexer(part.index)] = res.fillna(False).to_numpy(dtype=bool)
        unknown[idx] = x.isna().to_numpy()
    return holds, unknown


def _daily_limits(daily: pd.DataFrame, stations: pd.DataFrame, rules: DischargeRules) -> pd.DataFrame:
    """Each daily mean with the limit that applies to it that day (one variant chosen per row)."""
    temp = daily[daily["property_code"] == rules.temperature_property]
    temp = temp.set_index(["station_code", "day"])["value"]
    d = daily.merge(stations[["station_code", "standard", "standard_class", "built"]], on="station_code")
    d["water_temp"] = temp.reindex(pd.MultiIndex.from_frame(d[["station_code", "day"]])).to_numpy()
    d = d.merge(
        limit_table(stations), on=["standard", "standard_class", "property_code"], how="left", indicator=True
    )
    # items outside the standard are dropped; a station without a standard keeps the configured items
    bare = (d["standard"] == "") & d["property_code"].isin(rules.items)
    d = d[(d.pop("_merge") == "both").to_numpy() | bare.to_numpy()]
    d = d.reset_index(drop=True)
    holds, unknown = _condition_holds(d)
    d["limit_basis"] = np.where(d["cond_var"].isna(), "", np.where(unknown, "strictest", "condition"))
    d = d[holds | unknown].sort_values("limit", na_position="last", kind="stable")
    return d.drop_duplicates([*KEY, "day"]).reset_index(drop=True)


def _judge_days(d: pd.DataFrame) -> pd.DataFrame:
    """Exceedance and a comparable badness score of every daily mean."""
    v, lim, lo, hi = (d[c].to_numpy(dtype=float) for c in ("value", "limit", "limit_low", "limit_high"))
    is_range = (d["direction"] == "range").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(is_range, np.fmax(lo - v, v - hi), v / lim)
        exceed = np.where(is_range, (v < lo) | (v > hi), v > lim)
    known = np.where(is_range, ~np.isnan(lo), ~np.isnan(lim))
    return d.assign(score=score, exceed_day=np.where(known, exceed, False), known=known)


def _period_value(d: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """One row per station and item: the judged value, its limit, and the day counts."""
    counts = d.groupby(KEY).agg(
        n_samples=("n", "sum"), n_days=("day", "size"), n_days_exceed=("exceed_day", "sum")
    )
    if statistic == "max":
        worst = d.sort_values(["score", "value"], ascending=False, na_position="last", kind="stable")
        pick = worst.drop_duplicates(KEY).set_index(KEY)
        pick = pick.rename(columns={"day": "worst_day"})
    else:
        g = d.groupby(KEY)
        pick = g.agg(value=("value", "mean"), limit=("limit", "min"), limit_low=("limit_low", "max"))
        pick["limit_high"] = g["limit_high"].min()
        first = g[["direction", "verified", "limit_basis"]].first()
        pick = pick.join(first).assign(worst_day="")
    cols = ["value", "limit", "limit_low", "limit_high", "direction", "verified", "limit_basis", "worst_day"]
    return pick[cols].join(counts).reset_index()


def _grid(stations: pd.DataFrame, measured: pd.DataFrame, rules: DischargeRules) -> pd.DataFrame:
    """Every station with every reported item: the configured ones its standard has, plus any measured."""
    table = limit_table(stations)
    per_std = table[table["property_code"].isin(rules.items)][["standard", "standard_class", "property_code"]]
    cfg = stations.merge(per_std.drop_duplicates(), on=["standard", "standard_class"])
    bare = stations[stations["standard"].fillna("") == ""].merge(
        pd.DataFrame({"property_code": list(rules.items)}), how="cross"
    )
    grid = pd.concat([cfg[KEY], bare[KEY], measured[KEY]], ignore_index=True).drop_duplicates()
    return grid.merge(stations, on="station_code")


def judge(obs: pd.DataFrame, stations: pd.DataFrame, rules: DischargeRules | None = None) -> pd.DataFrame:
    """Compliance of every station × item over the observations given (the pure core).

    ``stations`` has the columns of :data:`STATION_COLUMNS` (``standard`` a standard file name
    such as ``gb18918_2002``, "" when none is known). Returns :data:`COLUMNS`. A value exactly at
    its limit complies; ``multiple`` is (value − limit) / limit when over it, 0 when not, NaN for
    ranges and unknown limits; ``exceed`` is NA when there is no value or no limit.
    """
    rules = rules or load_rules()
    stations = stations.reindex(columns=list(STATION_COLUMNS)).assign(
        standard=lambda f: f["standard"].fillna(""), standard_class=lambda f: f["standard_class"].fillna("")
    )
    if stations.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    daily = daily_means(obs[obs["station_code"].isin(stations["station_code"])], rules)
    days = _judge_days(_daily_limits(daily, stations, rules))
    measured = _period_value(days, rules.period_statistic) if len(days) else pd.DataFrame(columns=KEY)
    out = _grid(stations, measured, rules).merge(measured, on=KEY, how="left")
    return _finish(out, stations)


def _finish(out: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Fill limits of items without data, derive exceed/multiple, add names; the final columns."""
    table = limit_table(stations)
    if len(table):
        strict = table.sort_values("limit", na_position="last").drop_duplicates(
            ["standard", "standard_class", "property_code"]
        )
        ref = out[["standard", "standard_class", "property_code"]].merge(strict, how="left")
        for col in ("limit", "limit_low", "limit_high", "direction", "verified"):
            if col not in out:
                out[col] = np.nan
            out[col] = out[col].where(out[col].notna(), ref[col].to_numpy())
    for col in (*COLUMNS, "direction"):
        if col not in out:
            out[col] = np.nan
    v, lim = out["value"].to_numpy(dtype=float), out["limit"].to_numpy(dtype=float)
    lo, hi = out["limit_low"].to_numpy(dtype=float), out["limit_high"].to_numpy(dtype=float)
    is_range = (out["direction"] == "range").to_numpy()
    with np.errstate(invalid="ignore"):
        exceed = np.where(is_range, (v < lo) | (v > hi), v > lim)
        known = ~np.isnan(v) & np.where(is_range, ~np.isnan(lo), ~np.isnan(lim))
        multiple = np.where(is_range | ~known, np.nan, np.where(exceed, (v - lim) / lim, 0.0))
    out["exceed"] = pd.array(np.where(known, exceed, False), dtype="boolean")
    out.loc[~known, "exceed"] = pd.NA
    out["multiple"] = np.round(multiple, 3)
    out["verified"] = out["verified"].astype(object).fillna(False).astype(bool)
    for col in ("n_samples", "n_days", "n_days_exceed"):
        out[col] = out[col].fillna(0).astype("int64")
    out["limit_basis"] = out["limit_basis"].astype(object).fillna("")
    out["worst_day"] = out["worst_day"].astype(object).fillna("")
    names = {s: load_standard(s) for s in out["standard"].unique() if s}
    out["standard_code"] = (
        out["standard"].map({k: s.code for k, s in names.items()}).astype(object).fillna("")
    )
    item_names = {(k, c): i.name_zh for k, s in names.items() for c, i in s.items.items()}
    out["item_name"] = [
        item_names.get(k, "") for k in zip(out["standard"], out["property_code"], strict=True)
    ]
    return out[list(COLUMNS)].sort_values(KEY).reset_index(drop=True)


def discharge_compliance(ws: Workspace, period: Period) -> pd.DataFrame:
    """Compliance of the workspace's sewage plants and rural facilities over ``period``, stored.

    Reads the stations of the configured kinds, their standard (own columns, else the
    ``sewage_facilities`` feature at their location, else the configured default), the period's
    observations (QC-rejected values left out), judges them with :func:`judge` and keeps the rows
    in the ``discharge_compliance`` table, recomputed only when the fingerprint of the inputs
    changes. Returns :data:`COLUMNS` plus ``period``.
    """
    from liuyu.assess.discharge_run import compliance_for

    return compliance_for(ws, period)
