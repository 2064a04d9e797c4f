"""Water-quality series: monthly lab samples, 4-hourly automatic stations, sewage effluent."""

from __future__ import annotations

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

# item -> (river median, lake median, log-sd, flood-season gain, detection limit, decimals,
#          pollution sensitivity). Medians sit in Class II-III of GB 3838 Table 1, as the
# upper Miyun sections usually do; most trace metals fall below their detection limits.
LAB_ITEMS: dict[str, tuple[float, float, float, float, float, int, float]] = {
    "codmn": (2.6, 2.8, 0.2, 0.5, 0.5, 1, 1.0),
    "cod": (10.0, 11.0, 0.2, 0.5, 4.0, 0, 1.0),
    "bod5": (1.4, 1.3, 0.3, 0.6, 0.5, 1, 1.0),
    "nh3n": (0.12, 0.06, 0.5, 0.8, 0.025, 3, 1.0),
    "tp": (0.04, 0.018, 0.4, 1.0, 0.01, 3, 1.0),
    "tn": (3.5, 1.1, 0.3, 0.3, 0.05, 2, 0.6),
    "cu": (0.002, 0.0015, 0.5, 0.3, 0.001, 4, 0.3),
    "zn": (0.01, 0.006, 0.6, 0.3, 0.001, 4, 0.3),
    "fluoride": (0.3, 0.35, 0.25, 0.0, 0.05, 2, 0.0),
    "se": (0.0003, 0.0002, 0.5, 0.0, 0.0004, 4, 0.0),
    "as": (0.0012, 0.0015, 0.4, 0.3, 0.0003, 4, 0.3),
    "hg": (0.00002, 0.00002, 0.6, 0.0, 0.00004, 5, 0.0),
    "cd": (0.00008, 0.00005, 0.6, 0.2, 0.0001, 5, 0.3),
    "cr6": (0.002, 0.002, 0.4, 0.0, 0.004, 3, 0.0),
    "pb": (0.0009, 0.0006, 0.6, 0.4, 0.001, 4, 0.3),
    "cyanide": (0.001, 0.001, 0.5, 0.0, 0.004, 3, 0.0),
    "volatile_phenol": (0.0002, 0.0002, 0.5, 0.3, 0.0003, 4, 0.5),
    "petroleum": (0.008, 0.006, 0.6, 0.5, 0.01, 2, 0.5),
    "las": (0.03, 0.03, 0.4, 0.3, 0.05, 2, 0.5),
    "sulfide": (0.004, 0.003, 0.5, 0.3, 0.005, 3, 0.5),
    "fecal_coliform": (400.0, 60.0, 0.9, 1.5, 20.0, 0, 1.5),
}
# Multipliers at the few polluted sections in their bad months (Class IV-V, some worse).
_EXCEED = {"nh3n": 6.0, "tp": 4.5, "codmn": 2.6, "cod": 2.2, "bod5": 2.8, "fecal_coliform": 12.0}


def _months() -> pd.DatetimeIndex:
    return local_times(START_LOCAL, END_LOCAL, "MS")


def water_temp(doy: np.ndarray, lake: np.ndarray) -> np.ndarray:
    """Water temperature (°C): near 0 under winter ice, ~24 °C in late July; lakes lag."""
    lag = np.where(lake, 20.0, 0.0)
    return np.maximum(0.3, 12.0 - 11.8 * np.cos(2 * np.pi * (doy - 15.0 - lag) / 365.0))


def do_sat(temp: np.ndarray) -> np.ndarray:
    """DO saturation (mg/L) at sea level, a common cubic fit: cold water holds more."""
    return 14.62 - 0.3898 * temp + 0.006969 * temp**2 - 0.00005897 * temp**3


def flood(doy: np.ndarray) -> np.ndarray:
    """0-1 weight of the July-August flood season, when runoff washes nutrients in."""
    return np.exp(-(((doy - 205.0) / 28.0) ** 2))


def _visit_times(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Monthly sampling visits: a weekday in the first half of the month, in work hours."""
    months = _months()
    day = rng.integers(4, 15, (n, len(months)))
    minutes = rng.integers(9 * 60, 15 * 60, (n, len(months)))
    base = months.tz_localize(None).to_numpy().astype("datetime64[m]")
    local = base[None, :] + day.astype("timedelta64[D]") + minutes.astype("timedelta64[m]")
    local_idx = pd.DatetimeIndex(local.ravel()).tz_localize("Asia/Shanghai")
    doy = local_idx.day_of_year.to_numpy().reshape(n, -1)
    return utc_ns(local_idx).reshape(n, -1), doy


def lab_blocks(st: pd.DataFrame, rng: np.random.Generator) -> list[Block]:
    """Monthly lab results for the 24 GB 3838 Table 1 items at every manual section,
    plus chlorophyll-a and transparency at the reservoir points.

    Includes seasonal cycles, exceedances at the flagged sections, censored trace
    metals (some labs write "ND"), missing months (ice, skipped visits) and a few
    decimal-slip outliers.
    """
    n = len(st)
    times, doy = _visit_times(n, rng)
    lake = (st["water_type"].to_numpy() == "lake_reservoir")[:, None]
    bad = st["bad"].to_numpy()[:, None] & (rng.random(doy.shape) < 0.35)
    keep = rng.random(doy.shape) > 0.03
    icy = (st["elevation_m"].to_numpy(dtype=float) > 700)[:, None] & np.isin(
        pd.DatetimeIndex(times.ravel()).month.to_numpy().reshape(doy.shape), [1, 2]
    )
    keep &= ~(icy & (rng.random(doy.shape) < 0.7))
    nd_lab = (st["jurisdiction"].to_numpy() == "hebei")[:, None] & (rng.random((n, 1)) < 0.4)
    load = rng.lognormal(0.0, 0.25, (n, 1))
    codes = st["code"].to_numpy()
    temp = water_temp(doy, lake) + rng.normal(0, 0.8, doy.shape)
    temp = np.maximum(temp, 0.1)
    sat = do_sat(temp) * rng.uniform(0.82, 1.05, doy.shape)
    ph = 8.1 + 0.15 * flood(doy) * np.where(lake, 1.5, 0.5) + rng.normal(0, 0.18, doy.shape)
    blocks = [
        grid_block(codes, times, temp, "water_temp", 1, "lab", keep),
        grid_block(codes, times, ph, "ph", 2, "lab", keep),
        grid_block(codes, times, np.where(bad, sat * 0.45, sat), "do", 1, "lab", keep),
    ]
    for item, (river, lake_med, sd, gain, dl, dec, sens) in LAB_ITEMS.items():
        med = np.where(lake, lake_med, river) * load**sens * (1 + gain * flood(doy))
        value = med * rng.lognormal(0.0, sd, doy.shape)
        value = np.where(bad, value * _EXCEED.get(item, 1.0), value)
        cens = value < dl
        value = np.where(cens, dl, value)
        blocks.append(
            grid_block(codes, times, value, item, dec, "lab", keep, cens, np.broadcast_to(nd_lab, cens.shape))
        )
    blocks += _lake_extras(codes, times, doy, lake[:, 0], keep, rng)
    _outliers(blocks, rng)
    return blocks


def _lake_extras(
    codes: np.ndarray,
    times: np.ndarray,
    doy: np.ndarray,
    lake: np.ndarray,
    keep: np.ndarray,
    rng: np.random.Generator,
) -> list[Block]:
    """Chlorophyll-a (µg/L) and Secchi transparency (m) at the reservoir points."""
    d, t, k = doy[lake], times[lake], keep[lake]
    chla = 3.0 * (1 + 1.5 * flood(d)) * rng.lognormal(0.0, 0.35, d.shape)
    sd = np.clip(3.4 - 1.2 * flood(d) + rng.normal(0, 0.3, d.shape), 0.6, None)
    return [
        grid_block(codes[lake], t, chla, "chla", 1, "lab", k),
        grid_block(codes[lake], t, sd, "sd", 1, "lab", k),
    ]


def _outliers(blocks: list[Block], rng: np.random.Generator, n: int = 15) -> None:
    """Plant decimal-slip outliers (×10 or ×0.1) in uncensored lab values, in place."""
    for _ in range(n):
        b = blocks[int(rng.integers(0, len(blocks)))]
        ok = np.nonzero(~b.censored)[0] if b.censored is not None else np.arange(len(b.value))
        if len(ok):
            i = rng.choice(ok)
            b.value[i] *= rng.choice([10.0, 0.1])


AUTO_ITEMS = {
    "water_temp": 1,
    "ph": 2,
    "do": 2,
    "codmn": 1,
    "nh3n": 3,
    "tp": 3,
    "tn": 2,
    "conductivity": 0,
    "turbidity": 1,
}


def auto_blocks(st: pd.DataFrame, basin_rain: pd.Series, rng: np.random.Generator) -> list[Block]:
    """4-hourly readings at automatic stations, with offline days and one stuck sensor."""
    idx = local_times(f"{START_LOCAL} 00:00", f"{END_LOCAL} 20:00", "4h")
    n, t = len(st), len(idx)
    doy = np.broadcast_to(idx.day_of_year.to_numpy(), (n, t))
    hour = np.broadcast_to(idx.hour.to_numpy(), (n, t))
    lake = (st["water_type"].to_numpy() == "lake_reservoir")[:, None]
    rain = basin_rain.reindex(idx.date, fill_value=0.0).to_numpy()[None, :]
    diurnal = np.sin(2 * np.pi * (hour - 9) / 24.0)
    temp = np.maximum(water_temp(doy, lake) + 1.2 * diurnal + rng.normal(0, 0.3, (n, t)), 0.1)
    vals = {
        "water_temp": temp,
        "ph": 8.1 + 0.2 * diurnal + rng.normal(0, 0.05, (n, t)),
        "do": do_sat(temp) * (0.95 + 0.08 * diurnal) + rng.normal(0, 0.15, (n, t)),
        "codmn": np.where(lake, 2.8, 2.6) * (1 + 0.5 * flood(doy)) * rng.lognormal(0, 0.1, (n, t)),
        "nh3n": np.where(lake, 0.06, 0.12) * (1 + 0.8 * flood(doy)) * rng.lognormal(0, 0.2, (n, t)),
        "tp": np.where(lake, 0.018, 0.04) * (1 + np.minimum(rain, 60) / 15) * rng.lognormal(0, 0.15, (n, t)),
        "tn": np.where(lake, 1.1, 3.5) * rng.lognormal(0, 0.08, (n, t)),
        "conductivity": np.where(lake, 420.0, 480.0) * (1 - 0.1 * flood(doy)) + rng.normal(0, 8, (n, t)),
        "turbidity": np.where(lake, 2.0, 6.0)
        * (1 + np.minimum(rain, 80) / 4)
        * rng.lognormal(0, 0.3, (n, t)),
    }
    keep = _offline(n, t, rng)
    s = int(rng.integers(0, n))
    start = int(rng.integers(200, t - 200))
    vals["nh3n"][s, start : start + 30] = vals["nh3n"][s, start]  # stuck sensor, 5 days
    codes, times = st["code"].to_numpy(), utc_ns(idx)
    return [grid_block(codes, times, v, p, AUTO_ITEMS[p], "auto", keep) for p, v in vals.items()]


def _offline(n: int, t: int, rng: np.random.Generator, per_day: int = 6) -> np.ndarray:
    """Availability mask: each station goes offline 3-6 times for 2-10 days."""
    keep = np.ones((n, t), dtype=bool)
    for s in range(n):
        for _ in range(int(rng.integers(3, 7))):
            a = int(rng.integers(0, t - 1))
            keep[s, a : a + int(rng.integers(2, 11)) * per_day] = False
    return keep


SEWAGE_ITEMS = {"cod": 0, "nh3n": 2, "tp": 2, "tn": 1, "ss": 0, "flow": 0}


def sewage_blocks(st: pd.DataFrame, capacity: np.ndarray, rng: np.random.Generator) -> list[Block]:
    """Daily effluent at rural facilities and outfalls: nitrification fails in winter, so
    NH3-N and TN rise then; a few days per site exceed the limits several-fold."""
    idx = local_times(START_LOCAL, END_LOCAL, "D")
    n, t = len(st), len(idx)
    doy = np.broadcast_to(idx.day_of_year.to_numpy(), (n, t))
    cold = 1.0 + 1.5 * (1 - water_temp(doy, np.zeros((n, 1), bool)) / 24.0)
    spike = np.where(rng.random((n, t)) < 0.03, rng.uniform(2.0, 4.0, (n, t)), 1.0)
    summer = 1.0 + 0.3 * flood(doy)
    vals = {
        "cod": 22.0 * spike * rng.lognormal(0, 0.3, (n, t)),
        "nh3n": 1.2 * cold * spike * rng.lognormal(0, 0.5, (n, t)),
        "tp": 0.3 * spike * rng.lognormal(0, 0.4, (n, t)),
        "tn": 9.0 * np.sqrt(cold) * rng.lognormal(0, 0.25, (n, t)),
        "ss": 8.0 * spike * rng.lognormal(0, 0.35, (n, t)),
        "flow": capacity[:, None] * 0.6 * summer * rng.lognormal(0, 0.15, (n, t)),
    }
    keep = rng.random((n, t)) > 0.02
    codes, times = st["code"].to_numpy(), utc_ns(idx)
    return [grid_block(codes, times, v, p, SEWAGE_ITEMS[p], "auto", keep) for p, v in vals.items()]
