"""Observations of the demo network as one long table, assembled from station × time blocks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

START_LOCAL = "2022-01-01"
END_LOCAL = "2024-12-31"
LOCAL_TZ = "Asia/Shanghai"
COLUMNS = ["station_code", "property_code", "phenomenon_time", "value", "censor", "raw", "method"]


@dataclass
class Block:
    """Rows of one property from one method: per-row station, UTC time (ns), value.

    ``censored`` rows hold the detection limit as value; ``nd`` marks the censored rows a
    lab sheet wrote as "ND" rather than "<limit".
    """

    station: np.ndarray
    prop: str
    time: np.ndarray
    value: np.ndarray
    decimals: int
    method: str
    censored: np.ndarray | None = None
    nd: np.ndarray | None = None


def local_times(start: str, end: str, freq: str, hours: tuple[int, ...] | None = None) -> pd.DatetimeIndex:
    """Regular local (Asia/Shanghai) timestamps, as agencies record them."""
    idx = pd.date_range(start, end, freq=freq, tz=LOCAL_TZ)
    return idx if hours is None else idx[np.isin(idx.hour, hours)]


def utc_ns(idx: pd.DatetimeIndex) -> np.ndarray:
    """UTC nanoseconds of tz-aware local timestamps (China has had no DST since 1991)."""
    return idx.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[ns]")


def grid_block(
    codes: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    prop: str,
    decimals: int,
    method: str,
    keep: np.ndarray | None = None,
    censored: np.ndarray | None = None,
    nd: np.ndarray | None = None,
) -> Block:
    """Flatten a station × time matrix into rows, dropping cells where ``keep`` is False.

    ``times`` is either one axis shared by all stations (shape (t,)) or a matrix (s, t)
    when each station samples at its own times (monthly lab visits).
    """
    s, t = values.shape
    tm = np.broadcast_to(times, (s, t)) if times.ndim == 1 else times
    mask = np.ones((s, t), dtype=bool) if keep is None else keep
    flat = mask.ravel()
    return Block(
        station=np.repeat(np.asarray(codes, dtype=object), t)[flat],
        prop=prop,
        time=tm.ravel()[flat],
        value=values.ravel()[flat].astype(np.float64),
        decimals=decimals,
        method=method,
        censored=None if censored is None else censored.ravel()[flat],
        nd=None if nd is None else nd.ravel()[flat],
    )


def fixed(values: np.ndarray, decimals: int) -> pa.Array:
    """Format floats with a fixed number of decimals, vectorized (lab-sheet style).

    Integer scaling plus string slicing in Arrow: ~0.15 µs a value, where Python string
    formatting would take seconds for the three million rows of the demo.
    """
    scaled = np.round(np.abs(values) * 10.0**decimals).astype(np.int64)
    text = pc.cast(pa.array(scaled), pa.string())
    if decimals > 0:
        text = pc.utf8_lpad(text, decimals + 1, "0")
        text = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(text, 0, -decimals), pc.utf8_slice_codeunits(text, -decimals), "."
        )
    neg = pa.array(values < 0)
    if pc.any(neg).as_py():
        text = pc.if_else(neg, pc.binary_join_element_wise("-", text, ""), text)
    return text


def _raw(b: Block) -> pa.Array:
    """The value as written on the sheet: fixed decimals, "<DL" or "ND" when censored."""
    text = fixed(b.value, b.decimals)
    if b.censored is None or not b.censored.any():
        return text
    lt = pc.binary_join_element_wise("<", text, "")
    text = pc.if_else(pa.array(b.censored), lt, text)
    if b.nd is not None:
        text = pc.if_else(pa.array(b.censored & b.nd), pa.scalar("ND"), text)
    return text


def assemble(blocks: list[Block]) -> pd.DataFrame:
    """One DataFrame with the documented columns and dtypes, sorted by station, property
    and time (the order the store ingests fastest)."""
    n = [len(b.value) for b in blocks]
    value = np.concatenate([np.round(b.value, b.decimals) for b in blocks])
    censored = np.concatenate(
        [np.zeros(len(b.value), bool) if b.censored is None else b.censored for b in blocks]
    )
    station_codes, station = pd.factorize(np.concatenate([b.station for b in blocks]), sort=True)
    names = sorted({b.prop for b in blocks})
    rank = np.repeat([names.index(b.prop) for b in blocks], n)
    which = pa.array(np.repeat(np.arange(len(blocks)), n))
    prop = pa.DictionaryArray.from_arrays(which, [b.prop for b in blocks]).cast(pa.string())
    method = pa.DictionaryArray.from_arrays(which, [b.method for b in blocks]).cast(pa.string())
    raw = pa.concat_arrays([_raw(b) for b in blocks])
    time = np.concatenate([b.time for b in blocks])
    order = np.lexsort((time, rank, station_codes))
    take = pa.array(order)
    frame = pd.DataFrame(
        {
            "station_code": pa.array(
                np.asarray(station, dtype=object)[station_codes[order]], type=pa.string()
            ).to_pandas(),
            "property_code": pc.take(prop, take).to_pandas(),
            "phenomenon_time": pd.DatetimeIndex(time[order]).tz_localize("UTC"),
            "value": value[order],
            "censor": pa.array(np.where(censored[order], "<", "")).to_pandas(),
            "raw": pc.take(raw, take).to_pandas(),
            "method": pc.take(method, take).to_pandas(),
        }
    )
    return frame[COLUMNS]
