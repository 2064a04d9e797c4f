"""Hydrological series: flood-season hourly rainfall with storms, discharge, stage, storage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from liuyu.demo.synth_observations import (
    END_LOCAL,
    START_LOCAL,
    Block,
    grid_block,
    local_times,
    utc_ns,
)

YEARS = (2022, 2023, 2024)
# Miyun level (m) -> storage (1e8 m3), from the DOMAIN.md §6 characteristic levels and
# the observed pairs reported in the press; linear between points.
LEVEL_STORAGE = np.array(
    [
        (126.0, 4.37),
        (137.61, 12.005),
        (143.19, 18.031),
        (147.0, 23.38),
        (149.81, 27.0),
        (153.98, 33.58),
        (157.5, 40.08),
        (158.5, 41.9),
    ]
)


@dataclass
class Storm:
    """A rain cell moving across the basin: start hour, duration, track, size, intensity."""

    start: int
    hours: int
    x: float
    y: float
    vx: float
    vy: float
    scale_km: float
    peak_mm_h: float


def _season_hours(year: int) -> pd.DatetimeIndex:
    """Hourly local timestamps of one flood season, 1 June to 30 September."""
    return local_times(f"{year}-06-01 00:00", f"{year}-09-30 23:00", "h")


def _hour_of(season: pd.DatetimeIndex, local: str) -> int:
    return int(season.get_loc(pd.Timestamp(local, tz=season.tz)))


def _storms(
    year: int, season: pd.DatetimeIndex, gx: np.ndarray, gy: np.ndarray, rng: np.random.Generator
) -> list[Storm]:
    """Ordinary events, two convective bursts over gauges, and the named special storms."""
    n_h = len(season)
    out = []
    for _ in range(int(rng.poisson(42))):
        dur = int(rng.integers(3, 30))
        out.append(
            Storm(
                int(rng.integers(0, n_h - dur)),
                dur,
                rng.uniform(gx.min(), gx.max()),
                rng.uniform(gy.min(), gy.max()),
                rng.normal(6, 6),
                rng.normal(2, 5),
                rng.uniform(20, 80),
                min(float(rng.lognormal(np.log(5.5), 0.6)), 15.0),
            )
        )
    for g in rng.choice(len(gx), 2, replace=False):
        out.append(
            Storm(
                int(rng.integers(600, n_h - 900)),
                int(rng.integers(3, 6)),
                gx[g],
                gy[g],
                0.0,
                0.0,
                rng.uniform(9, 14),
                rng.uniform(26, 32),
            )
        )
    if year == 2023:  # the "23·7" rain of 29 July - 1 August 2023, with a violent core
        out.append(
            Storm(_hour_of(season, "2023-07-29 20:00"), 64, gx.mean() - 40, gy.min(), 0.3, 1.5, 90.0, 7.5)
        )
        g = int(np.argmin(gy))
        out.append(Storm(_hour_of(season, "2023-07-31 02:00"), 4, gx[g], gy[g], 0.0, 0.0, 12.0, 70.0))
    if year == 2022:  # a night storm crossing local midnight
        out.append(
            Storm(_hour_of(season, "2022-07-12 21:00"), 7, gx.mean(), gy.mean(), 10.0, 3.0, 30.0, 16.0)
        )
    return out


def _rain_matrix(
    gx: np.ndarray, gy: np.ndarray, storms: list[Storm], n_h: int, rng: np.random.Generator
) -> np.ndarray:
    """Gauge × hour rainfall (mm): each storm is a Gaussian cell moving along its track."""
    rain = np.zeros((len(gx), n_h))
    for st in storms:
        t = np.arange(st.hours)
        shape = np.sin(np.pi * (t + 0.5) / st.hours) ** 1.5
        cx, cy = st.x + st.vx * t, st.y + st.vy * t
        d2 = (gx[:, None] - cx[None, :]) ** 2 + (gy[:, None] - cy[None, :]) ** 2
        cell = st.peak_mm_h * shape[None, :] * np.exp(-d2 / st.scale_km**2)
        cell *= rng.lognormal(0.0, 0.35, cell.shape)
        end = min(st.start + st.hours, n_h)
        rain[:, st.start : end] += cell[:, : end - st.start]
    rain = np.round(rain, 1)
    rain[rain < 0.1] = 0.0
    return rain


def rainfall(
    codes: np.ndarray, x_m: np.ndarray, y_m: np.ndarray, rng: np.random.Generator
) -> tuple[Block, pd.Series]:
    """Hourly rainfall at every gauge over the three flood seasons, zeros included.

    Each value is the rain of the hour ending at its timestamp. Also returns the basin
    mean daily rainfall (local days), which drives the discharge and turbidity series.
    """
    gx, gy = x_m / 1000.0, y_m / 1000.0
    mats, times = [], []
    for year in YEARS:
        season = _season_hours(year)
        mats.append(_rain_matrix(gx, gy, _storms(year, season, gx, gy, rng), len(season), rng))
        times.append(season)
    rain = np.concatenate(mats, axis=1)
    idx = times[0].append(times[1:])
    keep = np.ones(rain.shape, dtype=bool)
    for g in rng.choice(len(codes), 6, replace=False):  # a few gauges offline for days
        s = int(rng.integers(0, rain.shape[1] - 240))
        keep[g, s : s + int(rng.integers(48, 240))] = False
    block = grid_block(codes, utc_ns(idx), rain, "rainfall", 1, "gauge", keep)
    daily = pd.Series(rain.mean(axis=0), index=idx).groupby(idx.date).sum()
    return block, daily


def _daily_index() -> pd.DatetimeIndex:
    return local_times(START_LOCAL, END_LOCAL, "D")


def discharge_matrix(area_km2: np.ndarray, basin_rain: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Daily discharge (m³/s): base flow with a spring melt bump, plus rain routed through
    a 3-day recession, proportional to the drainage area above each station."""
    days = _daily_index()
    rain = basin_rain.reindex(days.date, fill_value=0.0).to_numpy()
    doy = days.day_of_year.to_numpy()
    base = 0.0012 * (
        0.6 + 0.5 * np.exp(-(((doy - 95) / 20.0) ** 2)) + 0.4 * np.exp(-(((doy - 215) / 40.0) ** 2))
    )
    kernel = np.exp(-np.arange(15) / 3.0)
    kernel /= kernel.sum()
    quick = np.convolve(rain, kernel)[: len(rain)] * 0.15 * 1e3 / 86400.0
    per_km2 = (base + quick)[None, :] * rng.lognormal(0.0, 0.08, (len(area_km2), len(days)))
    return np.round(area_km2[:, None] * per_km2, 3)


def reservoir_level(rng: np.random.Generator) -> np.ndarray:
    """Daily Miyun level (m): winter-spring drawdown, flood-season refill, 145-157 m.

    Anchors follow the published story: a refill after the July 2023 storm and over
    35 × 10⁸ m³ (≈156 m) in October 2024.
    """
    anchors = {
        "2022-01-01": 152.0,
        "2022-06-30": 148.6,
        "2022-09-30": 153.1,
        "2023-06-30": 148.2,
        "2023-08-06": 154.6,
        "2023-10-20": 155.3,
        "2024-06-30": 150.4,
        "2024-10-15": 156.2,
        "2024-12-31": 155.6,
    }
    days = _daily_index()
    t = pd.to_datetime(list(anchors)).tz_localize(days.tz)
    level = np.interp(days.asi8, t.asi8, list(anchors.values()))
    wobble = np.cumsum(rng.normal(0.0, 0.015, len(days)))
    return np.clip(np.round(level + wobble - wobble.mean(), 2), 145.0, 157.0)


def storage_of(level: np.ndarray) -> np.ndarray:
    """Storage (1e8 m³) on the level-storage curve."""
    return np.round(np.interp(level, LEVEL_STORAGE[:, 0], LEVEL_STORAGE[:, 1]), 3)


def hydro_blocks(
    flow: pd.DataFrame, level: pd.DataFrame, basin_rain: pd.Series, rng: np.random.Generator
) -> list[Block]:
    """Daily discharge at flow stations; daily stage at level stations, with the Miyun
    level station also reporting storage (its level drives the storage curve)."""
    days = utc_ns(_daily_index())
    q = discharge_matrix(flow["drainage_km2"].to_numpy(), basin_rain, rng)
    blocks = [grid_block(flow["code"].to_numpy(), days, q, "discharge", 3, "gauge")]
    river = level[level["water_type"] != "lake_reservoir"]
    q_lvl = discharge_matrix(river["drainage_km2"].to_numpy(), basin_rain, rng)
    datum = river["elevation_m"].to_numpy(dtype=float)[:, None] - 0.8
    stage = np.round(datum + 0.35 * q_lvl**0.45, 2)
    miyun = reservoir_level(rng)
    lake = level[level["water_type"] == "lake_reservoir"]
    lake_levels = [
        miyun
        if n == "密云水库坝上"
        else np.round(float(z) - 3.0 + 2.0 * np.sin(np.linspace(0, 6 * np.pi, len(days))), 2)
        for n, z in zip(lake["name"], lake["elevation_m"], strict=True)
    ]
    codes = np.concatenate([river["code"].to_numpy(), lake["code"].to_numpy()])
    blocks.append(grid_block(codes, days, np.vstack([stage, *lake_levels]), "stage", 2, "gauge"))
    main = lake[lake["name"] == "密云水库坝上"]["code"].to_numpy()
    blocks.append(grid_block(main, days, storage_of(miyun)[None, :], "storage", 3, "gauge"))
    return blocks
