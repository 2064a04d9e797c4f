"""The prepare stages (values, units, duplicates, QC) over integer-coded rows: the fast path's core.

Same rules and reasons as :mod:`.ingest_prepare`, which works on a frame of text; here each row
is codes into small tables of distinct cells, so 10 M rows cost array passes. Rows must come in
file order (``source_row`` ascending): "the first of identical duplicates is kept" means the
first in the file, as on the general path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.network.ingest_prepare import REJECT_COLUMNS, Prepared
from liuyu.network.qc import CENSOR_CODES, QCFlag, load_qc_rules, qc_sorted, row_rules
from liuyu.network.units import to_canonical
from liuyu.network.values import parse_values

__all__ = ["prepare_codes"]

_CONFLICT = "conflicting duplicate: another row gives a different value for this station, property and time"
_CENSORS = np.array(["", "<", ">"], dtype=object)


def _reject(source_row: np.ndarray, field: object, value: object, reason: object) -> pd.DataFrame:
    return pd.DataFrame(
        {"source_row": source_row, "field": field, "value": value, "reason": reason}, columns=REJECT_COLUMNS
    )


def _sort_order(skey: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable order by (series, time) and the sorted keys and times: a radix sort by series, a
    full sort only if the times of a series are not in order already."""
    kind = np.uint16 if skey.max(initial=0) < 1 << 16 else np.int64
    order = np.argsort(skey.astype(kind), kind="stable")
    s, ts = skey[order], t[order]
    if ((s[1:] == s[:-1]) & (ts[1:] < ts[:-1])).any():
        order = np.lexsort((t, skey))
        s, ts = skey[order], t[order]
    return order, s, ts


def prepare_codes(
    *,
    source_row: np.ndarray,
    station_idx: np.ndarray,
    station_codes: np.ndarray,
    t: np.ndarray,
    prop_idx: np.ndarray,
    prop_codes: np.ndarray,
    unit_idx: np.ndarray,
    unit_names: np.ndarray,
    raw_idx: np.ndarray,
    raw_uniques: pd.Series,
    station_rejects: pd.DataFrame,
) -> Prepared:
    """Values, units, duplicates and QC over coded rows whose station is known.

    ``prop_idx`` indexes ``prop_codes`` (property codes, one per distinct property cell),
    ``unit_idx`` ``unit_names`` (-1: no unit), ``raw_idx`` ``raw_uniques`` (the distinct value
    cells, None for blank), ``station_idx`` ``station_codes``; ``t`` is Unix seconds (UTC).
    """
    parsed = parse_values(raw_uniques.reset_index(drop=True))
    status = parsed["status"].map({"ok": 0, "missing": 1, "invalid": 2}).to_numpy(dtype=np.int8)[raw_idx]
    bad = np.flatnonzero(status == 2)  # few: index them, rather than mask 10 M rows four times
    raw_text = raw_uniques.to_numpy(dtype=object)
    rej_values = _reject(
        source_row[bad],
        prop_codes[prop_idx[bad]],
        raw_text[raw_idx[bad]],
        parsed["reason"].to_numpy(dtype=object)[raw_idx[bad]],
    )
    ok = status == 0
    n_missing = int(np.count_nonzero(status == 1))
    cell_units = parsed["unit"].to_numpy(dtype=object)
    vocab = {u: i for i, u in enumerate(unit_names)}
    cell_ids = np.array([vocab.setdefault(u, len(vocab)) if u else -1 for u in cell_units], dtype=np.int64)
    unit_names = np.array(list(vocab), dtype=object)
    if (cell_ids >= 0).any():
        unit_idx = np.where(cell_ids[raw_idx] >= 0, cell_ids[raw_idx], unit_idx)
    value = parsed["value"].to_numpy(dtype="float64")[raw_idx]
    censor = pd.Series(parsed["censor"]).map(CENSOR_CODES).fillna(0).to_numpy(dtype=np.int8)[raw_idx]

    # units: one conversion per (property code, unit) present
    canon_props, canon_idx = np.unique(prop_codes.astype(str), return_inverse=True)
    n_props = len(canon_props)
    pcode = canon_idx.astype(np.int32)[prop_idx]
    bad_unit = np.zeros(len(value), dtype=bool)
    reasons: list[tuple[np.ndarray, str]] = []
    with_unit = unit_idx >= 0
    present = np.zeros(0, dtype=np.int64)
    if with_unit.any():  # a file without units skips this pass entirely
        combo = np.where(with_unit, pcode.astype(np.int64) * (len(unit_names) + 1) + (unit_idx + 1), 0)
        present = np.flatnonzero(np.bincount(combo, minlength=1))
    for key in present:
        p, u = divmod(int(key), len(unit_names) + 1)
        if u == 0:
            continue  # no unit: the value is taken as canonical
        at = combo == key
        try:
            value[at] = to_canonical(value[at], str(unit_names[u - 1]), str(canon_props[p]))
        except SchemaError as exc:
            bad_unit |= at & ok
            reasons.append((at & ok, exc.message))
    reason = np.full(int(bad_unit.sum()), None, dtype=object)
    for at, message in reasons:
        reason[at[bad_unit]] = message
    rej_units = _reject(
        source_row[bad_unit], canon_props[pcode[bad_unit]], raw_text[raw_idx[bad_unit]], reason
    )

    # one sort by (series, time) for duplicates and QC (method is '' for long tables); the series
    # key holds station and property, so neither is gathered through the permutation. Rows
    # dropped above get a key past every series: they sort last and are cut off, not compressed.
    keep = ok & ~bad_unit
    skey = station_idx.astype(np.int64) * n_props + pcode
    n_keep = int(keep.sum())
    if n_keep < len(keep):
        skey = np.where(keep, skey, (station_idx.max(initial=0) + 1) * n_props)
    order, s, ts = _sort_order(skey, t)
    order, s, ts = order[:n_keep], s[:n_keep], ts[:n_keep]
    v, c = value[order], censor[order]
    same = np.r_[False, (s[1:] == s[:-1]) & (ts[1:] == ts[:-1])]
    conflict = np.zeros(len(s), dtype=bool)
    if same.any():
        gid = np.cumsum(~same) - 1
        dup = np.bincount(gid)[gid] > 1
        d = pd.DataFrame({"g": gid[dup], "v": np.round(v[dup], 12), "c": c[dup]})
        distinct = d.groupby("g")[["v", "c"]].transform("nunique")
        conflict[dup] = ((distinct["v"] > 1) | (distinct["c"] > 1)).to_numpy()
    cf = order[conflict]
    rej_dups = _reject(source_row[cf], canon_props[pcode[cf]], raw_text[raw_idx[cf]], _CONFLICT)
    repeat = same & ~conflict
    merged = int(repeat.sum())
    final = ~conflict & ~repeat
    if not final.all():
        order, s, ts, v, c = order[final], s[final], ts[final], v[final], c[final]

    rules = load_qc_rules()
    r = row_rules(canon_props.astype(object), (s % n_props).astype(np.int64), rules)
    flat_ok = np.full(len(s), "" not in rules.flat_skip_methods)
    flags = qc_sorted(s, ts, v, c, flat_ok, r)
    hard = (flags & int(QCFlag.REJECTED_RANGE)) != 0
    hr = order[hard]
    rej_range = _reject(
        source_row[hr],
        canon_props[pcode[hr]],
        raw_text[raw_idx[hr]],
        "outside the hard range of "
        + canon_props[pcode[hr]].astype(object)
        + " (qc_rules.toml): physically impossible",
    )
    if hard.any():
        order, s, ts, v, c, flags = (a[~hard] for a in (order, s, ts, v, c, flags))
    accepted = pd.DataFrame(
        {
            "station_code": pd.Categorical.from_codes(s // n_props, categories=station_codes),
            "property_code": pd.Categorical.from_codes(s % n_props, categories=canon_props),
            "method": pd.Categorical.from_codes(np.zeros(len(s), dtype=np.int8), categories=[""]),
            "phenomenon_time": pd.to_datetime(ts, unit="s", utc=True),
            "value": v,
            "censor": pd.Categorical.from_codes(c, categories=_CENSORS),
            "raw": pd.Categorical.from_codes(raw_idx[order], categories=raw_uniques.fillna("").to_numpy()),
            "qc_flag": flags,
        }
    )
    stages = [
        station_rejects,
        rej_values,
        rej_units,
        rej_dups.sort_values("source_row"),
        rej_range.sort_values("source_row"),
    ]
    counts = {
        "unknown_station": len(station_rejects),
        "invalid_value": len(rej_values),
        "bad_unit": len(rej_units),
        "conflicting_duplicate": len(rej_dups),
        "rejected_range": len(rej_range),
        "missing": n_missing,
        "merged_duplicates": merged,
    }
    rejected = pd.concat([x for x in stages if len(x)] or [station_rejects], ignore_index=True)
    return Prepared(accepted, rejected, counts)
