"""The prepare stages (values, units, duplicates, QC) over integer-coded rows: the fast path's core.

Same rules and reasons as :mod:`.ingest_prepare`, which works on a frame of text; here each row
is codes into small tables of distinct cells, so 10 M rows cost array passes, as few and as
narrow as possible: values, censoring and range checks are worked out once per distinct cell
and looked up after the sort; the series of each sorted row comes from the sort's counts, not
from a gather; the passes after the sort run on blocks of whole series on two threads. Rows
must come in file order: "the first of identical duplicates is kept" means the first in the file,
as on the general path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.network.ingest_prepare import REJECT_COLUMNS, Prepared
from liuyu.network.qc import (
    CENSOR_CODES,
    QCFlag,
    in_threads,
    load_qc_rules,
    qc_block,
    range_flags,
    row_rules,
    series_blocks,
)
from liuyu.network.units import to_canonical
from liuyu.network.values import parse_values

__all__ = ["Lines", "prepare_codes"]

_CONFLICT = "conflicting duplicate: another row gives a different value for this station, property and time"
_CENSORS = np.array(["", "<", ">"], dtype=object)
_RANGE_TABLE_MAX = 1 << 22  # (property x distinct value) cells for range bits worked out per cell


@dataclass
class Lines:
    """The file line of each row: ``numbers[i]``, or ``i + 2`` when no row was dropped (header = 1)."""

    numbers: np.ndarray | None = None

    def __call__(self, at: np.ndarray) -> np.ndarray:
        at = np.flatnonzero(at) if at.dtype == bool else at
        return self.numbers[at] if self.numbers is not None else at.astype(np.int64) + 2


def _reject(source_row: np.ndarray, field: object, value: object, reason: object) -> pd.DataFrame:
    return pd.DataFrame(
        {"source_row": source_row, "field": field, "value": value, "reason": reason}, columns=REJECT_COLUMNS
    )


def _key_dtype(top: int) -> type[np.integer]:
    # 16-bit keys sort by radix (one pass); wider ones by a merge sort
    return np.uint16 if top < (1 << 16) - 1 else np.int32 if top < (1 << 31) - 1 else np.int64


@dataclass
class _Sorted:
    """Kept rows sorted by (series, time): the row order and, per series, its key and row count."""

    order: np.ndarray
    keys: np.ndarray
    counts: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        return np.r_[0, np.cumsum(self.counts)[:-1]].astype(np.int64)

    def first(self, lo: int, hi: int) -> np.ndarray:
        """True at the rows of [lo, hi) that start a series."""
        starts = self.starts
        out = np.zeros(hi - lo, dtype=bool)
        out[starts[(starts >= lo) & (starts < hi)] - lo] = True
        return out

    def expand(self, per_series: np.ndarray) -> np.ndarray:
        """A value per series → the same value on each of its rows (int32; a cumulative sum of the
        changes at series starts, cheaper than np.repeat)."""
        out = np.zeros(int(self.counts.sum()), dtype=np.int32)
        if len(out):
            out[self.starts] = np.diff(per_series.astype(np.int32), prepend=np.int32(0))
            np.cumsum(out, out=out)
        return out

    def compress(self, keep: np.ndarray) -> np.ndarray:
        """Drop rows (keep False) from the series counts; returns the new counts' nonzero mask."""
        counts = np.add.reduceat(keep.astype(np.int64), self.starts) if len(keep) else self.counts
        live = counts > 0
        self.order, self.keys, self.counts = self.order[keep], self.keys[live], counts[live]
        return live


def prepare_codes(
    *,
    lines: Lines,
    rows: np.ndarray | None,
    station_idx: np.ndarray,
    station_codes: np.ndarray,
    time_idx: np.ndarray,
    time_sec: np.ndarray,
    prop_idx: np.ndarray,
    prop_codes: np.ndarray,
    unit_idx: np.ndarray | None,
    unit_names: np.ndarray,
    raw_idx: np.ndarray,
    raw_uniques: pd.Series,
    station_rejects: pd.DataFrame,
) -> Prepared:
    """Values, units, duplicates and QC over coded rows.

    Only rows where ``rows`` is True (None: all) are prepared (the others were rejected
    before: no time, property or station). ``prop_idx`` indexes ``prop_codes`` (property codes,
    one per distinct property cell), ``unit_idx`` ``unit_names`` (-1: no unit; None: no row
    has one), ``raw_idx`` ``raw_uniques`` (the distinct value cells, None for blank),
    ``station_idx`` ``station_codes``, ``time_idx`` ``time_sec`` (Unix seconds, UTC).
    """
    n = len(raw_idx)
    parsed = parse_values(raw_uniques.reset_index(drop=True))
    status_u = parsed["status"].map({"ok": 0, "missing": 1, "invalid": 2}).to_numpy(dtype=np.int8)
    status = status_u[raw_idx]
    if rows is not None:
        status[~rows] = 3  # not prepared here
    bad = np.flatnonzero(status == 2)  # few: index them, rather than mask 10 M rows four times
    raw_text = raw_uniques.to_numpy(dtype=object)
    rej_values = _reject(
        lines(bad),
        prop_codes[prop_idx[bad]],
        raw_text[raw_idx[bad]],
        parsed["reason"].to_numpy(dtype=object)[raw_idx[bad]],
    )
    n_missing = int(np.count_nonzero(status == 1))
    excluded = status != 0
    del status
    value_u = parsed["value"].to_numpy(dtype="float64")
    censor_u = pd.Series(parsed["censor"]).map(CENSOR_CODES).fillna(0).to_numpy(dtype=np.int8)
    canon_props, canon_idx = np.unique(prop_codes.astype(str), return_inverse=True)
    n_props = len(canon_props)
    canon_idx = canon_idx.astype(np.int32)

    # units: one conversion per (property code, unit) present; only when some row has a unit
    vocab = {u: i for i, u in enumerate(unit_names)}
    cell_ids = np.array(
        [vocab.setdefault(u, len(vocab)) if u else -1 for u in parsed["unit"].to_numpy(dtype=object)],
        dtype=np.int32,
    )
    unit_names = np.array(list(vocab), dtype=object)
    value_row: np.ndarray | None = None  # per row only when units convert some values
    bad_unit = np.zeros(0, dtype=bool)
    reasons: list[tuple[np.ndarray, str]] = []
    if (cell_ids >= 0).any():
        cell = cell_ids[raw_idx]
        unit_idx = np.where(cell >= 0, cell, -1 if unit_idx is None else unit_idx)
    if unit_idx is not None and (unit_idx >= 0).any():  # a file without units skips this pass entirely
        value_row = value_u[raw_idx]
        pcode = canon_idx[prop_idx]
        bad_unit = np.zeros(n, dtype=bool)
        ok = ~excluded
        combo = np.where(unit_idx >= 0, pcode.astype(np.int64) * (len(unit_names) + 1) + (unit_idx + 1), 0)
        if rows is not None:
            combo[~rows] = 0  # converted (and reported) only among the rows prepared here
        for key in np.flatnonzero(np.bincount(combo, minlength=1)):
            p, u = divmod(int(key), len(unit_names) + 1)
            if u == 0:
                continue  # no unit: the value is taken as canonical
            at = combo == key
            try:
                value_row[at] = to_canonical(value_row[at], str(unit_names[u - 1]), str(canon_props[p]))
            except SchemaError as exc:
                bad_unit |= at & ok
                reasons.append((at & ok, exc.message))
        excluded |= bad_unit
    reason = np.full(int(bad_unit.sum()), None, dtype=object)
    for at, message in reasons:
        reason[at[bad_unit]] = message
    bu = np.flatnonzero(bad_unit)
    rej_units = _reject(lines(bu), canon_props[canon_idx[prop_idx[bu]]], raw_text[raw_idx[bu]], reason)

    # one sort by (series, time) for duplicates and QC (method is '' for long tables). The series
    # key holds station and property; rows dropped above get a key past every series: they sort
    # last and are cut off. Each sorted row's series comes from the counts, not a gather.
    top = len(station_codes) * n_props
    kind = _key_dtype(top)
    skey = station_idx.astype(kind)
    skey *= kind(n_props)
    skey += canon_idx.astype(kind)[prop_idx]
    skey[excluded] = top
    del excluded
    counts = np.bincount(skey, minlength=top + 1)
    n_keep = n - int(counts[top])
    keys = np.flatnonzero(counts[:top])
    srt = _Sorted(np.argsort(skey, kind="stable")[:n_keep], keys, counts[keys])
    raw_s = np.empty(n_keep, dtype=raw_idx.dtype)
    ts = np.empty(n_keep, dtype=np.int64)
    v = np.empty(n_keep, dtype=np.float64)
    c = np.empty(n_keep, dtype=np.int8)

    def gather(lo: int, hi: int) -> tuple[bool, bool]:
        """Fill rows [lo, hi) of the sorted arrays; (times out of order, duplicate times)."""
        o = srt.order[lo:hi]
        np.take(raw_idx, o, out=raw_s[lo:hi])
        np.take(time_sec, time_idx[o], out=ts[lo:hi])
        r = raw_s[lo:hi]
        if value_row is None:
            np.take(value_u, r, out=v[lo:hi])
        else:
            np.take(value_row, o, out=v[lo:hi])
        np.take(censor_u, r, out=c[lo:hi])
        step = np.diff(ts[lo:hi])
        cont = ~srt.first(lo, hi)[1:]
        return bool(((step < 0) & cont).any()), bool(((step == 0) & cont).any())

    blocks = series_blocks(srt.starts, n_keep)
    found = in_threads(gather, blocks)
    if any(u for u, _ in found):  # times of a series out of order: a full sort
        srt.order = np.lexsort((time_sec[time_idx], skey))[:n_keep]
        found = in_threads(gather, blocks)
    del skey

    # duplicates: rare; whole-array work only when a series repeats a time
    conflict = np.zeros(0, dtype=bool)
    merged = 0
    if any(d for _, d in found):
        first = np.zeros(n_keep, dtype=bool)
        first[srt.starts] = True
        same = np.r_[False, ~first[1:] & (ts[1:] == ts[:-1])]
        gid = np.cumsum(~same) - 1
        dup = np.bincount(gid)[gid] > 1
        d = pd.DataFrame({"g": gid[dup], "v": np.round(v[dup], 12), "c": c[dup]})
        distinct = d.groupby("g")[["v", "c"]].transform("nunique")
        conflict = np.zeros(n_keep, dtype=bool)
        conflict[dup] = ((distinct["v"] > 1) | (distinct["c"] > 1)).to_numpy()
        repeat = same & ~conflict
        merged = int(repeat.sum())
        final = ~conflict & ~repeat
        cf = srt.order[conflict]
        srt.compress(final)
        raw_s, ts, v, c = raw_s[final], ts[final], v[final], c[final]
    else:
        cf = np.zeros(0, dtype=np.int64)
    rej_dups = _reject(lines(cf), canon_props[canon_idx[prop_idx[cf]]], raw_text[raw_idx[cf]], _CONFLICT)

    # QC on blocks of whole series; range bits per (property, distinct value) when values are
    # the distinct cells' own (no unit converted them)
    rules = load_qc_rules()
    cols = row_rules(canon_props.astype(object), np.zeros(0, dtype=np.int64), rules).columns
    flat_ok = "" not in rules.flat_skip_methods
    ranges_u = None
    n_raw = len(value_u)
    if value_row is None and n_props * n_raw <= _RANGE_TABLE_MAX:
        grid_p = np.repeat(np.arange(n_props), n_raw)
        ranges_u = range_flags(np.tile(value_u, n_props), np.tile(censor_u, n_props), grid_p, cols)
    n_final = len(ts)
    flags = np.empty(n_final, dtype=np.uint8)
    prop_s = srt.expand(srt.keys % n_props)

    def qc(lo: int, hi: int) -> None:
        p = prop_s[lo:hi]
        ranges = None if ranges_u is None else ranges_u[p * n_raw + raw_s[lo:hi]]
        cont = ~srt.first(lo, hi)[1:]
        flags[lo:hi] = qc_block(p, ts[lo:hi], v[lo:hi], c[lo:hi], cont, flat_ok, cols, ranges)

    in_threads(qc, series_blocks(srt.starts, n_final))
    hard = (flags & int(QCFlag.REJECTED_RANGE)) != 0
    hr = srt.order[hard]
    hr_props = canon_props[canon_idx[prop_idx[hr]]]
    rej_range = _reject(
        lines(hr),
        hr_props,
        raw_text[raw_idx[hr]],
        "outside the hard range of " + hr_props.astype(object) + " (qc_rules.toml): physically impossible",
    )
    if len(hr):
        keep = ~hard
        srt.compress(keep)
        raw_s, ts, v, c, flags = raw_s[keep], ts[keep], v[keep], c[keep], flags[keep]
    station_s = srt.expand(srt.keys // n_props)
    prop_s = srt.expand(srt.keys % n_props)
    accepted = pd.DataFrame(
        {
            "station_code": pd.Categorical.from_codes(station_s, categories=station_codes, validate=False),
            "property_code": pd.Categorical.from_codes(prop_s, categories=canon_props, validate=False),
            "method": pd.Categorical.from_codes(
                np.zeros(len(ts), dtype=np.int8), categories=[""], validate=False
            ),
            "phenomenon_time": pd.DatetimeIndex((ts * 1_000_000).view("M8[us]")).tz_localize("UTC"),
            "value": v,
            "censor": pd.Categorical.from_codes(c, categories=_CENSORS, validate=False),
            "raw": pd.Categorical.from_codes(
                raw_s, categories=raw_uniques.fillna("").to_numpy(), validate=False
            ),
            "qc_flag": flags,
        },
        copy=False,
    )
    stages = [
        station_rejects,
        rej_values,
        rej_units,
        rej_dups.sort_values("source_row"),
        rej_range.sort_values("source_row"),
    ]
    counts_out = {
        "unknown_station": len(station_rejects),
        "invalid_value": len(rej_values),
        "bad_unit": len(rej_units),
        "conflicting_duplicate": len(rej_dups),
        "rejected_range": len(rej_range),
        "missing": n_missing,
        "merged_duplicates": merged,
    }
    rejected = pd.concat([x for x in stages if len(x)] or [station_rejects], ignore_index=True)
    return Prepared(accepted, rejected, counts_out)
