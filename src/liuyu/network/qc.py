"""Quality control of observations, vectorized over all series, with the rules as data (qc_rules.toml).

Flags are bits of one integer ``qc_flag`` per observation (documented again in qc_rules.toml):

====  ================  ===========================================================
bit   name              meaning
====  ================  ===========================================================
1     suspect_range     outside the soft (plausible) range, inside the hard range
2     spike             differs from both neighbours by more than ``spike``, same sign
4     flat              in a run of >= ``flat.count`` identical values over >= ``flat.duration``
8     censored          below ("<") or above (">") a detection / quantification limit
16    rejected_range    outside the hard (physically possible) range: quarantine it
32    rate_of_change    changed faster than ``max_rate`` per hour since the previous value
====  ================  ===========================================================

Gaps are not flags (they are where no observation is): :func:`find_gaps` lists them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.network.qc_rules import (  # noqa: F401  (re-exported: the rules are part of this module's API)
    CENSOR_CODES,
    QCFlag,
    QCRules,
    RowRules,
    load_qc_rules,
    row_rules,
    rules_from_dict,
)

OBS_COLUMNS = ("series_id", "phenomenon_time", "value", "censor")


def _prepare(obs: pd.DataFrame, series: pd.DataFrame | None) -> pd.DataFrame:
    """obs with property_code and method, positionally indexed, sorted by series and time."""
    missing = [c for c in OBS_COLUMNS if c not in obs]
    if missing:
        raise SchemaError(f"observations lack columns {missing}", hint=f"expected {list(OBS_COLUMNS)}")
    frame = obs.reset_index(drop=True)
    for col in ("property_code", "method"):
        if col not in frame:
            if series is None or col not in series:
                if col == "method":
                    frame[col] = ""
                    continue
                raise SchemaError(
                    "observations lack property_code", hint="add the column or pass series=[series_id, ...]"
                )
            frame[col] = frame["series_id"].map(series.set_index("series_id")[col])
    frame["method"] = frame["method"].fillna("").astype(str)
    frame["censor"] = frame["censor"].fillna("").astype(str)
    frame["t"] = _epoch_seconds(frame["phenomenon_time"])
    frame["_pos"] = np.arange(len(frame))
    return frame.sort_values(["series_id", "t"], kind="stable").reset_index(drop=True)


def _epoch_seconds(times: pd.Series) -> np.ndarray:
    t = pd.to_datetime(times)
    if isinstance(t.dtype, pd.DatetimeTZDtype):
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return t.astype("datetime64[ns]").to_numpy().astype("int64") / 1e9


def _rules_for(frame: pd.DataFrame, rules: QCRules) -> pd.DataFrame:
    return rules.by_property.reindex(frame["property_code"].to_numpy()).reset_index(drop=True)


#: Rows per block of the array core: blocks are cut at series starts and run on two threads
#: (numpy releases the GIL on these arrays), and a block's arrays stay in the CPU caches.
BLOCK_ROWS = 1 << 19


def range_flags(v: np.ndarray, censor: np.ndarray, p: np.ndarray, cols: dict[str, np.ndarray]) -> np.ndarray:
    """REJECTED_RANGE / SUSPECT_RANGE bits (uint8) of values ``v`` of properties ``p`` (rule rows)."""

    def outside(lo: str, hi: str) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            low = (v < cols[lo][p]) & (censor != 2)
            high = (v > cols[hi][p]) & (censor != 1)
        return low | high

    out = np.zeros(len(v), dtype=np.uint8)
    if np.isfinite(cols["hard_min"]).any() or np.isfinite(cols["hard_max"]).any():
        rejected = outside("hard_min", "hard_max")
        out[rejected] = int(QCFlag.REJECTED_RANGE)
    else:
        rejected = np.zeros(len(v), dtype=bool)
    if np.isfinite(cols["soft_min"]).any() or np.isfinite(cols["soft_max"]).any():
        out[outside("soft_min", "soft_max") & ~rejected] |= int(QCFlag.SUSPECT_RANGE)
    return out


def _change_flags(
    v: np.ndarray, t: np.ndarray, cont: np.ndarray, p: np.ndarray, cols: dict[str, np.ndarray]
) -> np.ndarray:
    """SPIKE / RATE_OF_CHANGE bits; ``v`` NaN where censored, ``cont[i]`` row i+1 continues row i's series.

    A spike differs from both neighbours by more than the threshold, in the same direction
    (v - previous and v - next of one sign); a rate is |v - previous| per hour of time step.
    """
    flags = np.zeros(len(v), dtype=np.uint8)
    has_spike, has_rate = bool(np.isfinite(cols["spike"]).any()), bool(np.isfinite(cols["max_rate"]).any())
    if len(v) < 2 or not (has_spike or has_rate):
        return flags
    step = v[1:] - v[:-1]  # step[j]: row j+1 minus row j, NaN across series
    step[~cont] = np.nan
    size = np.abs(step)
    spike = np.zeros(len(v), dtype=bool)
    with np.errstate(invalid="ignore"):
        if has_spike:
            big = size > cols["spike"][p[1:]]
            sign = np.sign(step)
            spike[1:-1] = big[:-1] & big[1:] & (sign[:-1] == -sign[1:])
            flags[spike] = int(QCFlag.SPIKE)
        if has_rate:
            hours = np.diff(t) / 3600.0
            hours[hours <= 0] = np.nan
            rate = size / hours > cols["max_rate"][p[1:]]
            rate &= ~(spike[:-1] & cont)  # the way back from a spike is not a rate alarm
            flags[1:][rate] |= int(QCFlag.RATE_OF_CHANGE)
    return flags


def _flat_flags(
    v: np.ndarray,
    t: np.ndarray,
    cont: np.ndarray,
    eligible: np.ndarray,
    p: np.ndarray,
    cols: dict[str, np.ndarray],
) -> np.ndarray:
    """FLAT bits: rows in a run of identical eligible values of one series that is long enough
    (``flat_count`` values) and lasts long enough (``flat_seconds`` first to last)."""
    flat = np.zeros(len(v), dtype=bool)
    count, seconds = cols["flat_count"], cols["flat_seconds"]
    if not np.isfinite(count).any() or len(v) == 0:
        return flat
    eq = cont & (v[1:] == v[:-1]) & eligible[1:] & eligible[:-1]  # row j+1 extends row j's run
    edge = np.diff(eq.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    first, last = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)  # runs of >= 2 rows
    with np.errstate(invalid="ignore"):
        pr = p[first]
        long = (last - first + 1 >= count[pr]) & (t[last] - t[first] >= seconds[pr])
        mark = np.zeros(len(v) + 1, dtype=np.int8)
        mark[first[long]] += 1  # a run may start where the one before ended: add, don't assign
        mark[last[long] + 1] -= 1
        flat = np.cumsum(mark[:-1], dtype=np.int8).view(bool)
        single = (count <= 1) & (seconds <= 0)  # a run of one value is only flat under such a rule
        if single.any():
            inrun = np.zeros(len(v) + 1, dtype=np.int8)
            inrun[first] += 1
            inrun[last + 1] -= 1
            alone = eligible & (np.cumsum(inrun[:-1], dtype=np.int8) == 0)
            flat = flat | (alone & single[p])
    return flat


def qc_block(
    p: np.ndarray,
    t: np.ndarray,
    v: np.ndarray,
    censor: np.ndarray,
    cont: np.ndarray,
    flat_ok: np.ndarray | bool,
    cols: dict[str, np.ndarray],
    ranges: np.ndarray | None = None,
) -> np.ndarray:
    """The flags (uint8) of rows sorted by (series, time), whole series only.

    ``p`` each row's rule row (:attr:`RowRules.columns`), ``cont[i]`` whether row i+1 is of the
    same series as row i, ``ranges`` the range bits when the caller has them (from distinct
    values), else they are computed here.
    """
    flags = range_flags(v, censor, p, cols) if ranges is None else ranges
    censored = censor > 0
    uncensored = np.where(censored, np.nan, v) if censored.any() else v
    flags |= _change_flags(uncensored, t, cont, p, cols)
    eligible = ~np.isnan(v) & ~censored & flat_ok
    flags[_flat_flags(v, t, cont, eligible, p, cols)] |= int(QCFlag.FLAT)
    flags[censored] |= int(QCFlag.CENSORED)
    return flags


def series_blocks(starts: np.ndarray, n: int, size: int | None = None) -> list[tuple[int, int]]:
    """[lo, hi) row ranges of about ``size`` rows, cut at series starts (sorted, starting with 0)."""
    if n == 0:
        return []
    size = size or BLOCK_ROWS
    cuts = np.unique(starts[np.searchsorted(starts, np.arange(size, n, size), side="right") - 1])
    edges = [0, *(int(c) for c in cuts if 0 < c < n), n]
    return list(itertools.pairwise(edges))


def in_threads(fn: Callable[[int, int], Any], blocks: list[tuple[int, int]]) -> list[Any]:
    """``fn(lo, hi)`` over the blocks, on two threads when there is more than one block."""
    if len(blocks) <= 1:
        return [fn(lo, hi) for lo, hi in blocks]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda b: fn(*b), blocks))


def qc_sorted(
    sid: np.ndarray, t: np.ndarray, v: np.ndarray, censor: np.ndarray, flat_ok: np.ndarray, r: RowRules
) -> np.ndarray:
    """The flags of rows already sorted by (series, time): the array core of :func:`run_qc`.

    ``t`` in seconds, ``censor`` as :data:`CENSOR_CODES`, ``flat_ok`` False where the series'
    method skips the flat-line rule; ``r`` the rows' rules (:func:`row_rules`).
    """
    n = len(sid)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cont = sid[1:] == sid[:-1]
    flags = np.empty(n, dtype=np.uint8)
    flat_ok = np.broadcast_to(flat_ok, (n,))
    p = np.asarray(r.idx)

    def block(lo: int, hi: int) -> None:
        flags[lo:hi] = qc_block(
            p[lo:hi], t[lo:hi], v[lo:hi], censor[lo:hi], cont[lo : hi - 1], flat_ok[lo:hi], r.columns
        )

    in_threads(block, series_blocks(np.flatnonzero(np.r_[True, ~cont]), n))
    return flags.astype(np.int64)


def run_qc(
    obs: pd.DataFrame, series: pd.DataFrame | None = None, rules: QCRules | None = None
) -> pd.DataFrame:
    """Flag observations by the rules of their property; values are never changed.

    Parameters
    ----------
    obs : DataFrame
        ``series_id``, ``phenomenon_time``, ``value`` (canonical unit), ``censor``
        ('' | '<' | '>'), and ``property_code`` (and optionally ``method``) unless ``series``
        gives them.
    series : DataFrame, optional
        ``series_id``, ``property_code`` and optionally ``method``, to look them up.
    rules : QCRules, optional
        Defaults to network/qc_rules.toml.

    Returns
    -------
    DataFrame
        ``obs`` in its own order and index, with an int64 ``qc_flag`` column (see the module
        docstring for the bits).
    """
    rules = rules or load_qc_rules()
    frame = _prepare(obs, series)
    if frame.empty:
        return obs.assign(qc_flag=np.zeros(0, dtype="int64"))
    prop_idx, props = pd.factorize(frame["property_code"].astype(object))
    r = row_rules(np.asarray(props, dtype=object), prop_idx, rules)
    v = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype="float64")
    censor = frame["censor"].map(CENSOR_CODES).fillna(0).to_numpy(dtype=np.int8)
    flat_ok = ~frame["method"].isin(rules.flat_skip_methods).to_numpy()
    flags = qc_sorted(frame["series_id"].to_numpy(), frame["t"].to_numpy(), v, censor, flat_ok, r)
    ordered = np.empty(len(frame), dtype="int64")
    ordered[frame["_pos"].to_numpy()] = flags
    out = obs.copy()
    out["qc_flag"] = ordered
    return out


def find_gaps(
    obs: pd.DataFrame, series: pd.DataFrame | None = None, rules: QCRules | None = None
) -> pd.DataFrame:
    """Gaps longer than factor x the expected interval of each series (method, else property).

    Returns
    -------
    DataFrame
        ``series_id``, ``gap_start`` (last observation before), ``gap_end`` (first after),
        ``expected_interval`` (Timedelta), one row per gap.
    """
    rules = rules or load_qc_rules()
    frame = _prepare(obs, series)
    by_method = frame["method"].map(rules.intervals).to_numpy(dtype="float64")
    by_property = _rules_for(frame, rules)["interval_seconds"].to_numpy()
    expected = np.where(np.isnan(by_method), by_property, by_method)
    sid, t = frame["series_id"].to_numpy(), frame["t"].to_numpy()
    after = np.flatnonzero((sid[1:] == sid[:-1]) & (np.diff(t) > rules.gap_factor * expected[1:])) + 1
    times = frame["phenomenon_time"]
    return pd.DataFrame(
        {
            "series_id": sid[after],
            "gap_start": times.iloc[after - 1].to_numpy(),
            "gap_end": times.iloc[after].to_numpy(),
            "expected_interval": pd.to_timedelta(expected[after], unit="s"),
        }
    )


def describe_flags(flags: pd.Series) -> pd.Series:
    """Flag names joined with '|' ('' for 0), for reports and the map's station panel."""
    arr = flags.fillna(0).astype("int64").to_numpy()
    out = np.full(len(arr), "", dtype=object)
    for flag in QCFlag:  # six bits, not rows
        name = (flag.name or "").lower()
        has = (arr & int(flag)) != 0
        out = np.where(has & (out != ""), out + "|" + name, np.where(has, name, out))
    return pd.Series(out, index=flags.index, dtype=object)
