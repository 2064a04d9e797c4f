"""Corrections and QC re-runs as new revisions of stored observations; the raw rows are never touched.

A revision is a row with the same (series, time) and a higher ``revision``, in a new batch file.
Readers take the highest revision by default (:func:`liuyu.store.obs_read.read_observations`;
``history=True`` gives them all). Every revision batch is audited: who, when, why, before and after.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from liuyu.errors import SchemaError
from liuyu.network.qc import describe_flags, run_qc
from liuyu.store import obs_batches, obs_files, obs_read
from liuyu.store.base import utc_now

__all__ = ["correct", "rerun_qc"]

Audit = Callable[..., None]


@dataclass(frozen=True)
class RevisionOps:
    """Where a backend keeps observations: its series registry, current rows and revision batches.

    The GeoPackage's are this module's own functions (Parquet files); the PostGIS store passes
    :data:`liuyu.store.pg_network.PG_REVISIONS`, so both apply the one rule of this module.
    """

    series_frame: Callable[[Any], pd.DataFrame]
    current: Callable[[Any, pd.DataFrame], pd.DataFrame]
    commit: Callable[[Any, pd.DataFrame, str, str], int]


def _current(conn: sqlite3.Connection, series: pd.DataFrame) -> pd.DataFrame:
    """The current (highest) revision of every stored row of these series, sorted by series and time."""
    if series.empty:
        return pd.DataFrame(
            columns=["series_id", "phenomenon_time", "value", "censor", "raw", "qc_flag", "revision"]
        )
    source = obs_files.obs_source(obs_files.committed_files(conn), latest=True)
    return obs_files.query(
        "SELECT o.series_id, o.phenomenon_time, o.value, o.censor, o.raw, o.qc_flag, o.revision "
        f"FROM {source} o SEMI JOIN series_ s USING (series_id) ORDER BY o.series_id, o.phenomenon_time",
        (),
        {"series_": series[["series_id"]]},
    ).df()


def text_array(values: pd.Series) -> pa.Array:
    """Text cells as arrow strings, blanks as NULL (as a correction batch stores them)."""
    return pa.array(values.astype(object).where(values.notna() & (values != ""), None), type=pa.string())


def _commit(conn: sqlite3.Connection, rows: pd.DataFrame, user: str, note: str) -> int:
    """One batch of revision rows (sorted by series, time): file, registry, series summaries."""
    obs_batches.ensure_schema(conn)
    cur = conn.execute(
        "INSERT INTO observation_batches (created_at, user, source_name, n_rows, note) "
        "VALUES (?, ?, ?, ?, ?)",
        (utc_now(), user, note, len(rows), note),
    )
    batch_id = int(cur.lastrowid or 0)
    rows = rows.sort_values(["series_id", "phenomenon_time"], kind="stable")
    batch = obs_batches.Batch(
        sid=rows["series_id"].to_numpy(np.int64),
        t=rows["phenomenon_time"].to_numpy(np.int64),
        value=rows["value"].to_numpy(dtype="float64"),
        censor=text_array(rows["censor"]),
        raw=text_array(rows["raw"]),
        qc_flag=rows["qc_flag"].to_numpy(np.int64),
        revision=rows["revision"].to_numpy(np.int32),
    )
    obs_batches.commit(conn, batch_id, batch)
    return batch_id


GPKG = RevisionOps(series_frame=lambda conn: obs_read.series_frame(conn), current=_current, commit=_commit)


def correct(conn: Any, audit: Audit, corrections: pd.DataFrame, user: str, ops: RevisionOps = GPKG) -> int:
    """Add corrected values (station_code, property_code, phenomenon_time, value, reason[, method,
    censor]) as new revisions; returns how many. Run inside the caller's transaction."""
    need = ["station_code", "property_code", "phenomenon_time", "value", "reason"]
    missing = [c for c in need if c not in corrections]
    if missing:
        raise SchemaError(f"corrections lack columns {missing}", hint=f"give {need}")
    if corrections["reason"].isna().any() or (corrections["reason"].astype(str).str.strip() == "").any():
        raise SchemaError(
            "every correction needs a reason", hint="say why, e.g. --reason '仪器漂移 sensor drift'"
        )
    fix = corrections.assign(
        method=corrections.get("method", pd.Series("", index=corrections.index)).fillna(""),
        censor=corrections.get("censor", pd.Series("", index=corrections.index)).fillna(""),
        t=_seconds(corrections["phenomenon_time"]),
    )
    series = ops.series_frame(conn)
    fix = fix.merge(series, on=["station_code", "property_code", "method"], how="left")
    current = ops.current(conn, series[series["series_id"].isin(fix["series_id"].dropna())])
    found = fix.merge(
        current,
        left_on=["series_id", "t"],
        right_on=["series_id", "phenomenon_time"],
        how="left",
        suffixes=("", "_old"),
    )
    absent = found["revision"].isna()
    if absent.any():
        first = found[absent].iloc[0]
        raise SchemaError(
            f"no stored observation of {first['station_code']} {first['property_code']} at "
            f"{pd.Timestamp(int(first['t']), unit='s', tz='UTC'):%Y-%m-%dT%H:%M:%SZ}",
            hint="a correction replaces a stored value: check station, property and time (with its zone)",
        )
    rows = pd.DataFrame(
        {
            "series_id": found["series_id"].astype(np.int64),
            "phenomenon_time": found["t"].astype(np.int64),
            "value": pd.to_numeric(found["value"], errors="coerce"),
            "censor": found["censor"],
            "raw": found["raw"],
            "qc_flag": found["qc_flag"].astype(np.int64),
            "revision": found["revision"].astype(np.int64) + 1,
        }
    )
    batch = ops.commit(conn, rows, user, "correction")
    for r in found.itertuples(index=False):  # one audit entry per corrected value (few)
        audit(
            conn,
            user,
            "observations.correct",
            f"batch:{batch}",
            detail={
                "station": r.station_code,
                "property": r.property_code,
                "time": int(r.t),
                "reason": r.reason,
            },
            before={"value": _num(r.value_old), "censor": r.censor_old, "revision": int(r.revision)},
            after={"value": _num(r.value), "censor": r.censor, "revision": int(r.revision) + 1},
        )
    return len(rows)


def rerun_qc(
    conn: Any,
    audit: Audit,
    user: str,
    *,
    station_code: str | None = None,
    property_code: str | None = None,
    ops: RevisionOps = GPKG,
) -> dict[str, Any]:
    """Run the QC rules over whole stored series (spikes and flat lines across batch boundaries);
    rows whose flags change get a new revision with the new flags (value and raw unchanged)."""
    series = ops.series_frame(conn)
    if station_code is not None:
        series = series[series["station_code"] == station_code]
    if property_code is not None:
        series = series[series["property_code"] == property_code]
    current = ops.current(conn, series)
    if current.empty:
        return {"checked": 0, "changed": 0, "flags": {}}
    frame = current.assign(
        phenomenon_time=pd.to_datetime(current["phenomenon_time"], unit="s", utc=True),
        censor=current["censor"].fillna(""),
    )
    flagged = run_qc(frame, series=series)
    new = flagged["qc_flag"].to_numpy(np.int64)
    changed = new != current["qc_flag"].to_numpy(np.int64)
    counts = describe_flags(pd.Series(new[changed])).value_counts().to_dict()
    result = {"checked": len(current), "changed": int(changed.sum()), "flags": counts}
    if changed.any():
        rows = current[changed].assign(qc_flag=new[changed], revision=current["revision"][changed] + 1)
        batch = ops.commit(conn, rows, user, "qc re-run")
        audit(conn, user, "observations.qc", f"batch:{batch}", detail=result, after={"revisions": len(rows)})
    return result


def _seconds(times: pd.Series) -> np.ndarray:
    t = pd.to_datetime(times)
    if not isinstance(t.dtype, pd.DatetimeTZDtype):
        raise SchemaError(
            "correction times must say their time zone", hint="e.g. 2024-08-05T08:00+08:00 or ...Z"
        )
    return t.dt.tz_convert("UTC").astype("datetime64[s, UTC]").astype("int64").to_numpy()


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
