"""Samples expected vs received in a month, per agency and station kind (the bulletin's data section).

The rule (one rule for every station, documented in the bulletin):

* a *sample* is one instant at which a station reported, whatever the number of items;
* a water-quality section (kind ``water_quality``, sampled by hand and analysed in a lab) is
  expected to deliver **one sample per month**; further samples in the month are welcome but
  do not count, so a section is either complete or missing;
* every other station is *automatic*: its **interval** is the median gap between its
  consecutive samples in the month, and it is expected to deliver (month length / interval)
  samples, rounded up; a station with fewer than two samples in the month takes the median
  interval of the stations of its kind; received samples are capped at the expected number;
* stations of a kind for which no interval can be inferred (no station of that kind sent two
  samples in the month) have no expectation: they are counted in ``n_stations`` but neither
  in ``expected`` nor in ``received``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liuyu.assess.run import Period
from liuyu.report.tables import LAB_KINDS

COLUMNS = ["agency", "kind", "n_stations", "n_reporting", "interval_h", "expected", "received", "rate"]


def station_schedule(obs: pd.DataFrame, stations: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per station: kind, agency, samples received in ``period``, interval (h), expected samples."""
    inside = obs[(obs["phenomenon_time"] >= period.start) & (obs["phenomenon_time"] < period.end)]
    times = (
        inside[["station_code", "phenomenon_time"]]
        .drop_duplicates()
        .sort_values(["station_code", "phenomenon_time"], kind="stable")
    )
    gap_h = times.groupby("station_code")["phenomenon_time"].diff().dt.total_seconds() / 3600.0
    per = pd.DataFrame(
        {
            "n": times.groupby("station_code").size(),
            "interval_h": gap_h[gap_h > 0].groupby(times["station_code"]).median(),
        }
    )
    out = stations[["code", "kind", "agency"]].drop_duplicates("code").reset_index(drop=True)
    out = out.join(per, on="code")
    out["n"] = out["n"].fillna(0).astype(int)
    lab = out["kind"].isin(LAB_KINDS).to_numpy()
    kind_interval = out[~lab].groupby("kind")["interval_h"].transform("median")
    interval = out["interval_h"].where(out["interval_h"].notna(), kind_interval)
    hours = (period.end - period.start) / pd.Timedelta(hours=1)
    auto_expected = np.ceil(hours / interval.to_numpy(dtype=float) - 1e-9)
    out["interval_h"] = np.where(lab, np.nan, interval)
    out["expected"] = pd.array(np.where(lab, 1.0, auto_expected), dtype="Float64").round().astype("Int64")
    out["received"] = np.minimum(out["n"], out["expected"].fillna(0).astype(int))
    out.loc[out["expected"].isna(), "received"] = 0
    return out


def completeness_by_agency(schedule: pd.DataFrame) -> pd.DataFrame:
    """Stations, reporting stations, expected and received samples and their rate per agency and kind."""
    work = schedule.assign(
        agency=schedule["agency"].fillna("未注明 unspecified"),
        reporting=schedule["n"] > 0,
        expected=schedule["expected"].fillna(0).astype(int),
    )
    out = work.groupby(["agency", "kind"], sort=True).agg(
        n_stations=("code", "size"),
        n_reporting=("reporting", "sum"),
        interval_h=("interval_h", "median"),
        expected=("expected", "sum"),
        received=("received", "sum"),
    )
    out = out.reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(out["expected"] > 0, out["received"] * 100.0 / out["expected"], np.nan)
    out["rate"] = np.round(rate, 1)
    return out[COLUMNS]


def completeness_total(by_agency: pd.DataFrame) -> dict[str, float | int]:
    """The totals line: stations, expected, received and the overall rate in percent."""
    expected, received = int(by_agency["expected"].sum()), int(by_agency["received"].sum())
    return {
        "n_stations": int(by_agency["n_stations"].sum()),
        "n_reporting": int(by_agency["n_reporting"].sum()),
        "expected": expected,
        "received": received,
        "rate": round(received * 100.0 / expected, 1) if expected else float("nan"),
    }
