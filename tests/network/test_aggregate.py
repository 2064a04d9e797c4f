"""Aggregation on hand-made series: storms across local midnight, gaps, flags, censoring, seasons, classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liuyu.network.aggregate import (
    FloodSeason,
    daily_rainfall,
    period_stats,
    rainfall_class,
    rainfall_totals,
    seasonal_stats,
)
from liuyu.network.qc import QCFlag


def _obs(local_times: list[str], values: list[float], **extra: list) -> pd.DataFrame:
    t = pd.DatetimeIndex(local_times).tz_localize("Asia/Shanghai").tz_convert("UTC")
    return pd.DataFrame({"series_id": "rain", "phenomenon_time": t, "value": values, **extra})


@pytest.fixture
def storm() -> pd.DataFrame:
    """Hourly rain 18:00 on 30 July to 17:00 on 31 July local; 2 mm/h from 19:00 to 02:00, else 0."""
    times = pd.date_range("2024-07-30 18:00", "2024-07-31 17:00", freq="h")
    values = [
        2.0 if pd.Timestamp("2024-07-30 19:00") <= t <= pd.Timestamp("2024-07-31 02:00") else 0.0
        for t in times
    ]
    return _obs([str(t) for t in times], values)


def _at(totals: pd.DataFrame, local: str, h: int) -> pd.Series:
    end = pd.Timestamp(local, tz="Asia/Shanghai").tz_convert("UTC")
    row = totals[(totals["phenomenon_time"] == end) & (totals["window_h"] == h)]
    assert len(row) == 1
    return row.iloc[0]


def test_window_totals_across_local_midnight(storm: pd.DataFrame) -> None:
    totals = rainfall_totals(storm)
    assert _at(totals, "2024-07-31 01:00", 1)["total"] == 2.0
    assert _at(totals, "2024-07-31 01:00", 3)["total"] == 6.0
    assert _at(totals, "2024-07-31 01:00", 6)["total"] == 12.0
    assert _at(totals, "2024-07-31 05:00", 12)["total"] == 16.0  # 19:00..02:00 = 8 hours
    assert _at(totals, "2024-07-31 17:00", 24)["total"] == 16.0
    assert _at(totals, "2024-07-31 17:00", 24)["complete"]
    early = _at(totals, "2024-07-31 01:00", 24)  # the series starts at 18:00: 8 of 24 hours
    assert not early["complete"] and np.isnan(early["total"]) and early["n_hours"] == 8
    assert early["partial_total"] == 14.0


def test_gap_makes_window_incomplete_not_summed(storm: pd.DataFrame) -> None:
    gappy = storm[storm["phenomenon_time"] != pd.Timestamp("2024-07-30 23:00", tz="Asia/Shanghai")]
    totals = rainfall_totals(gappy)
    row = _at(totals, "2024-07-31 00:00", 3)
    assert not row["complete"] and np.isnan(row["total"]) and row["n_hours"] == 2
    assert row["partial_total"] == 4.0
    assert _at(totals, "2024-07-31 02:00", 3)["total"] == 6.0  # the gap has left the window


def test_rejected_hour_is_a_missing_hour(storm: pd.DataFrame) -> None:
    flags = np.zeros(len(storm), dtype="int64")
    flags[5] = int(QCFlag.REJECTED_RANGE)  # 23:00
    totals = rainfall_totals(storm.assign(qc_flag=flags))
    assert not _at(totals, "2024-07-31 00:00", 3)["complete"]


def test_daily_by_meteorological_and_calendar_day(storm: pd.DataFrame) -> None:
    met = daily_rainfall(storm).set_index("day")
    # 19:00-20:00 on 30 July falls in the day ending 20:00 on the 30th; 21:00..02:00 in the 31st's
    assert met.loc[pd.Timestamp("2024-07-30").date(), "partial_total"] == 4.0
    assert met.loc[pd.Timestamp("2024-07-31").date(), "partial_total"] == 12.0
    day31 = met.loc[pd.Timestamp("2024-07-31").date()]
    assert day31["n_hours"] == 21 and not day31["complete"]
    assert day31["end"] == pd.Timestamp("2024-07-31 12:00", tz="UTC")
    cal = daily_rainfall(storm, day_end_hour=24).set_index("day")
    assert cal.loc[pd.Timestamp("2024-07-30").date(), "partial_total"] == 12.0  # 19:00..24:00 local
    assert cal.loc[pd.Timestamp("2024-07-31").date(), "partial_total"] == 4.0


def test_complete_meteorological_day() -> None:
    times = pd.date_range("2024-07-30 21:00", "2024-07-31 20:00", freq="h")
    daily = daily_rainfall(_obs([str(t) for t in times], [1.0] * 24))
    assert len(daily) == 1
    assert daily.iloc[0]["complete"] and daily.iloc[0]["total"] == 24.0


def test_flags_and_censoring_in_daily_stats() -> None:
    obs = _obs(
        ["2024-03-01 08:00", "2024-03-01 12:00", "2024-03-01 16:00", "2024-03-01 20:00"],
        [1.0, 0.02, 500.0, 3.0],
        censor=["", "<", "", ""],
        qc_flag=[int(QCFlag.SPIKE), int(QCFlag.CENSORED), int(QCFlag.REJECTED_RANGE), 0],
    )
    row = period_stats(obs, "D").iloc[0]
    assert row["count"] == 3  # the rejected 500 is out
    assert row["min"] == pytest.approx(0.01)  # half the detection limit
    assert row["sum"] == pytest.approx(4.01)
    assert row["n_suspect"] == 1 and row["n_censored"] == 1 and row["flagged"]
    assert row["period_start"] == pd.Timestamp("2024-02-29 16:00", tz="UTC")


def test_monthly_cut_in_local_time() -> None:
    obs = _obs(["2024-06-30 23:30", "2024-07-01 00:30"], [1.0, 2.0])  # both on 30 June in UTC
    monthly = period_stats(obs, "M")
    assert monthly["sum"].tolist() == [1.0, 2.0]
    assert monthly["period_start"].iloc[1] == pd.Timestamp("2024-06-30 16:00", tz="UTC")


def test_flood_season_boundaries() -> None:
    obs = _obs(
        ["2024-05-31 23:59", "2024-06-01 00:00", "2024-09-30 23:59", "2024-10-01 00:00"], [1.0, 2.0, 4.0, 8.0]
    )
    seasons = seasonal_stats(obs).set_index("season")
    assert seasons.loc["flood", "sum"] == 6.0 and seasons.loc["non_flood", "sum"] == 9.0
    july_only = seasonal_stats(obs, flood_season=FloodSeason(7, 8)).set_index("season")
    assert "flood" not in july_only.index


def test_calendar_seasons_december_joins_next_winter() -> None:
    obs = _obs(["2023-12-15", "2024-01-15", "2024-03-01"], [1.0, 2.0, 4.0])
    seasons = seasonal_stats(obs, "calendar")
    assert seasons[["year", "season", "sum"]].values.tolist() == [[2024, "DJF", 3.0], [2024, "MAM", 4.0]]


@pytest.mark.parametrize(
    ("amount", "hours", "code"),
    [
        (0.0, 24, ""),
        (0.1, 24, "light"),
        (9.9, 24, "light"),
        (10.0, 24, "moderate"),
        (49.9, 24, "heavy"),
        (50.0, 24, "rainstorm"),
        (99.9, 24, "rainstorm"),
        (100.0, 24, "heavy_rainstorm"),
        (249.9, 24, "heavy_rainstorm"),
        (250.0, 24, "extreme_rainstorm"),
        (4.9, 12, "light"),
        (5.0, 12, "moderate"),
        (29.9, 12, "heavy"),
        (30.0, 12, "rainstorm"),
        (139.9, 12, "heavy_rainstorm"),
        (140.0, 12, "extreme_rainstorm"),
    ],
)
def test_rainfall_class_boundaries(amount: float, hours: int, code: str) -> None:
    assert rainfall_class(np.array([amount]), hours)[0] == code  # type: ignore[arg-type]


def test_series_kept_apart_and_no_rows_before_a_series_starts() -> None:
    a = _obs(["2024-07-30 00:00", "2024-07-30 01:00", "2024-07-30 02:00"], [1.0, 1.0, 1.0])
    b = _obs(["2024-07-30 02:00"], [5.0]).assign(series_id="other")
    totals = rainfall_totals(pd.concat([a, b]), windows_h=(3,))
    assert totals.groupby("series_id").size().to_dict() == {"other": 1, "rain": 3}
    last = totals[totals["series_id"] == "rain"].iloc[-1]
    assert last["total"] == 3.0 and last["complete"]
    other = totals[totals["series_id"] == "other"].iloc[0]
    assert other["partial_total"] == 5.0 and not other["complete"]


def test_empty_input() -> None:
    empty = _obs([], [])
    assert rainfall_totals(empty).empty and daily_rainfall(empty).empty and period_stats(empty).empty
