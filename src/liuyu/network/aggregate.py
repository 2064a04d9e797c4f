"""Daily, monthly, seasonal and rainfall-window statistics of series, flags and censoring included.

Input is the observation frame of the network: ``series_id``, ``phenomenon_time`` (UTC,
time-zone aware), ``value`` (canonical unit) and optionally ``censor`` ('' | '<' | '>') and
``qc_flag`` (the bits of :class:`liuyu.network.qc.QCFlag`). Times are UTC in and out; local
days, months and seasons are cut in Asia/Shanghai.

The rule for flags and censored values (one rule for every aggregate here):

* a value flagged ``REJECTED_RANGE`` is excluded, as is a missing (NaN) value; for rainfall
  windows and days an excluded hour is a missing hour;
* a value with any other quality flag (suspect range, spike, flat line, rate of change) is
  included, and the aggregate counts it in ``n_suspect`` and is ``flagged``;
* a censored value enters as half its detection limit when below it (``'<'``, the
  ``value`` of a censored row is the limit, see :func:`liuyu.network.values.parse_values`)
  and as the stated bound when above it (``'>'``); the aggregate counts it in
  ``n_censored`` and is ``flagged``.

Hourly rainfall is interval-ending: a value stamped *t* is the rain of (*t* - 1 h, *t*].
Rainfall windows (1, 3, 6, 12, 24 h) are time-based rolling sums on the hourly grid; a
window with a missing hour is ``complete == False`` and its ``total`` is NaN (the sum of the
hours present is kept apart as ``partial_total``). Daily rainfall is given by calendar day
(00:00-24:00 Beijing time) or by the meteorological day: China's surface observations close
the day at 20:00 Beijing time (CMA, 《地面气象观测规范》; the CMA daily dataset
SURF_CLI_CHN_MUL_DAY states "日界和时制：北京时，日界为20时"), so the rainfall of day *D* is
that of (*D*-1 20:00, *D* 20:00] local time. Hydrological yearbooks use an 08:00 day end; pass
``day_end_hour=8`` for that. Rainfall classes follow GB/T 28592-2012 (:data:`RAINFALL_CLASSES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from liuyu.network.qc import QCFlag

TZ = "Asia/Shanghai"
STATS = ("mean", "min", "max", "sum", "count")
RAIN_WINDOWS_H = (1, 3, 6, 12, 24)
_SUSPECT_BITS = int(QCFlag.SUSPECT_RANGE | QCFlag.SPIKE | QCFlag.FLAT | QCFlag.RATE_OF_CHANGE)

#: GB/T 28592-2012 降水量等级: (code, Chinese, English, lower bound 24 h mm, lower bound 12 h mm).
#: Amounts are read to 0.1 mm; a class runs from its bound up to the next class's bound.
RAINFALL_CLASSES: tuple[tuple[str, str, str, float, float], ...] = (
    ("light", "小雨", "light rain", 0.1, 0.1),
    ("moderate", "中雨", "moderate rain", 10.0, 5.0),
    ("heavy", "大雨", "heavy rain", 25.0, 15.0),
    ("rainstorm", "暴雨", "rainstorm", 50.0, 30.0),
    ("heavy_rainstorm", "大暴雨", "heavy rainstorm", 100.0, 70.0),
    ("extreme_rainstorm", "特大暴雨", "extreme rainstorm", 250.0, 140.0),
)


@dataclass(frozen=True)
class FloodSeason:
    """The flood season 汛期 as local calendar months, inclusive (Haihe basin: June-September)."""

    first_month: int = 6
    last_month: int = 9


def _prepared(obs: pd.DataFrame) -> pd.DataFrame:
    """Apply the flag and censoring rule: the rows that count, with ``v``, ``suspect``, ``censored``."""
    flag = obs["qc_flag"].fillna(0).astype("int64") if "qc_flag" in obs else pd.Series(0, index=obs.index)
    censor = obs["censor"].fillna("").astype(str) if "censor" in obs else pd.Series("", index=obs.index)
    value = pd.to_numeric(obs["value"], errors="coerce").astype("float64")
    keep = ((flag & int(QCFlag.REJECTED_RANGE)) == 0) & value.notna()
    return pd.DataFrame(
        {
            "series_id": obs["series_id"],
            "time": pd.to_datetime(obs["phenomenon_time"], utc=True),
            "v": value.where(censor != "<", value / 2),
            "suspect": (flag & _SUSPECT_BITS) != 0,
            "censored": censor != "",
        }
    )[keep]


def _local(time: pd.Series, tz: str) -> pd.Series:
    return time.dt.tz_convert(tz).dt.tz_localize(None)


def _summarize(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.groupby(keys, sort=True).agg(
        mean=("v", "mean"),
        min=("v", "min"),
        max=("v", "max"),
        sum=("v", "sum"),
        count=("v", "count"),
        n_suspect=("suspect", "sum"),
        n_censored=("censored", "sum"),
    )
    out["flagged"] = (out["n_suspect"] > 0) | (out["n_censored"] > 0)
    return out.reset_index()


def period_stats(obs: pd.DataFrame, freq: Literal["D", "M"] = "D", *, tz: str = TZ) -> pd.DataFrame:
    """Mean, min, max, sum and count per series and local day (``"D"``) or month (``"M"``).

    Returns ``series_id``, ``period_start`` (UTC instant of the local day or month start),
    the statistics, ``n_suspect``, ``n_censored`` and ``flagged`` (module docstring: the rule).
    """
    frame = _prepared(obs)
    local = _local(frame["time"], tz)
    start = local.dt.floor("D") if freq == "D" else local.dt.to_period("M").dt.start_time
    out = _summarize(frame.assign(period_start=start), ["series_id", "period_start"])
    out["period_start"] = out["period_start"].dt.tz_localize(tz).dt.tz_convert("UTC")
    return out


def seasonal_stats(
    obs: pd.DataFrame,
    scheme: Literal["flood", "calendar"] = "flood",
    *,
    flood_season: FloodSeason = FloodSeason(),
    tz: str = TZ,
) -> pd.DataFrame:
    """Statistics per series, year and season; ``scheme="flood"`` gives 汛期 ``flood`` / ``non_flood``.

    ``scheme="calendar"`` gives ``DJF``, ``MAM``, ``JJA``, ``SON``; December counts to the
    winter of the next year. Months are local (Asia/Shanghai) months.
    """
    frame = _prepared(obs)
    local = _local(frame["time"], tz)
    month, year = local.dt.month, local.dt.year
    if scheme == "flood":
        inside = month.between(flood_season.first_month, flood_season.last_month)
        season = pd.Series(np.where(inside, "flood", "non_flood"), index=frame.index)
    else:
        names = np.array(["DJF", "DJF", "MAM", "MAM", "MAM", "JJA", "JJA", "JJA", "SON", "SON", "SON", "DJF"])
        season = pd.Series(names[month.to_numpy() - 1], index=frame.index)
        year = year + (month == 12)
    return _summarize(frame.assign(year=year, season=season), ["series_id", "year", "season"])


def _hourly_grid(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Wide hourly frames (time x series) of value, suspect count and censored count; NaN = missing hour."""
    hour = frame["time"].dt.ceil("h")
    grouped = frame.assign(hour=hour).groupby(["hour", "series_id"])
    value = grouped["v"].sum().unstack()
    if value.empty:
        return value, value, value
    full = pd.date_range(value.index.min(), value.index.max(), freq="h")
    value = value.reindex(full)
    suspect = grouped["suspect"].sum().unstack().reindex(full).fillna(0)
    censored = grouped["censored"].sum().unstack().reindex(full).fillna(0)
    return value, suspect, censored


def _long(wide: pd.DataFrame, name: str) -> pd.Series:
    return (
        wide.rename_axis(index="phenomenon_time", columns="series_id").stack(future_stack=True).rename(name)
    )


def rainfall_totals(obs: pd.DataFrame, windows_h: tuple[int, ...] = RAIN_WINDOWS_H) -> pd.DataFrame:
    """Rolling rainfall totals over the last 1, 3, 6, 12, 24 hours, ending at each hour of each series.

    Returns ``series_id``, ``phenomenon_time`` (UTC window end), ``window_h``, ``total``
    (NaN unless the window is complete), ``partial_total``, ``n_hours``, ``complete``,
    ``n_suspect``, ``n_censored`` and ``flagged``.
    """
    value, suspect, censored = _hourly_grid(_prepared(obs))
    parts = []
    for h in windows_h:
        win = f"{h}h"
        n_hours = value.notna().rolling(win).sum()
        cols = {
            "partial_total": _long(value.rolling(win, min_periods=1).sum(), "partial_total"),
            "n_hours": _long(n_hours, "n_hours"),
            "n_suspect": _long(suspect.rolling(win).sum(), "n_suspect"),
            "n_censored": _long(censored.rolling(win).sum(), "n_censored"),
        }
        parts.append(pd.concat(cols, axis=1).reset_index().assign(window_h=h))
    if not parts or value.empty:
        return pd.DataFrame(columns=["series_id", "phenomenon_time", "window_h", "total", "n_hours"])
    out = pd.concat(parts, ignore_index=True)
    out = out[out["n_hours"] > 0].reset_index(drop=True)  # hours before a series starts
    return _finish(out, out["window_h"]).reset_index(drop=True)


def _finish(out: pd.DataFrame, expected: pd.Series | int) -> pd.DataFrame:
    for col in ("n_hours", "n_suspect", "n_censored"):
        out[col] = out[col].fillna(0).astype("int64")
    out["complete"] = out["n_hours"] == expected
    out["total"] = out["partial_total"].where(out["complete"])
    out["flagged"] = (out["n_suspect"] > 0) | (out["n_censored"] > 0)
    return out.sort_values(
        ["series_id", "phenomenon_time" if "phenomenon_time" in out else "day"], kind="stable"
    )


def daily_rainfall(obs: pd.DataFrame, *, day_end_hour: int = 20, tz: str = TZ) -> pd.DataFrame:
    """Daily rainfall totals by the meteorological day (default, ends 20:00 local) or calendar day (24).

    Returns ``series_id``, ``day`` (the local date the day ends on), ``start`` and ``end``
    (UTC), ``total`` (NaN unless all 24 hours are present), ``partial_total``, ``n_hours``,
    ``complete``, ``n_suspect``, ``n_censored``, ``flagged``.

    >>> obs = pd.DataFrame({"series_id": "r", "value": 1.0,
    ...     "phenomenon_time": pd.date_range("2024-07-30 12:00", periods=2, freq="h", tz="UTC")})
    >>> daily_rainfall(obs)["day"].astype(str).tolist()   # 20:00 and 21:00 Beijing time
    ['2024-07-30', '2024-07-31']
    """
    frame = _prepared(obs)
    hour = frame["time"].dt.ceil("h")
    local = _local(hour, tz)
    day = (local - pd.Timedelta(hours=day_end_hour, seconds=1)).dt.floor("D") + pd.Timedelta(days=1)
    grouped = frame.assign(hour=hour, day=day).groupby(["series_id", "day"])
    out = grouped.agg(
        partial_total=("v", "sum"),
        n_hours=("hour", "nunique"),
        n_suspect=("suspect", "sum"),
        n_censored=("censored", "sum"),
    ).reset_index()
    end = (out["day"] + pd.Timedelta(hours=day_end_hour)).dt.tz_localize(tz).dt.tz_convert("UTC")
    out.insert(2, "start", end - pd.Timedelta(days=1))
    out.insert(3, "end", end)
    out["day"] = out["day"].dt.date
    return _finish(out, 24).reset_index(drop=True)


def rainfall_class(total_mm: pd.Series | np.ndarray | float, hours: Literal[24, 12] = 24) -> np.ndarray:
    """GB/T 28592-2012 class code of 24 h or 12 h rainfall totals; '' below 0.1 mm or NaN.

    >>> rainfall_class(np.array([49.9, 50.0, 0.05]), 24).tolist()
    ['heavy', 'rainstorm', '']
    """
    col = 3 if hours == 24 else 4
    bounds = np.array([row[col] for row in RAINFALL_CLASSES])
    codes = np.array([""] + [row[0] for row in RAINFALL_CLASSES], dtype=object)
    amount = np.round(np.asarray(total_mm, dtype="float64") * 10) / 10  # read to 0.1 mm, as the standard
    idx = np.searchsorted(bounds - 1e-9, np.nan_to_num(amount, nan=-1.0), side="right")
    return np.asarray(codes[idx])
