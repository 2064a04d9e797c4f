"""Adding a batch of observations: series ids, the already-stored anti-join, the file, the registry.

The pure-ish helpers here work on numpy arrays (10 M rows in seconds); the SQLite side touches
only the small tables (``series``, ``observation_batches``), in the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from liuyu.store import obs_files

#: Columns added to ``series`` and ``observation_batches`` after the first schema (old workspaces).
SERIES_SUMMARY = {
    "n": "INTEGER NOT NULL DEFAULT 0",
    "time_first": "INTEGER",
    "time_last": "INTEGER",
    "last_value": "REAL",
    "last_censor": "TEXT",
    "last_qc_flag": "INTEGER",
}
BATCH_COLUMNS = {
    "file": "TEXT",
    "max_revision": "INTEGER NOT NULL DEFAULT 0",
    "min_series": "INTEGER",
    "max_series": "INTEGER",
    "min_time": "INTEGER",
    "max_time": "INTEGER",
}
_T_OFFSET = np.int64(1) << 33  # times as keys: seconds within +-272 years of 1970
_EMPTY_I64 = np.zeros(0, dtype=np.int64)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Bring a workspace made before the Parquet files up to date (idempotent, cheap when current):
    add the summary and file columns, and move rows of the old ``observations`` table to a file."""
    for table, columns in (("series", SERIES_SUMMARY), ("observation_batches", BATCH_COLUMNS)):
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        for name, decl in columns.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
    old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'observations'"
    if conn.execute(old).fetchone() is not None:
        _migrate(conn)


def _migrate(conn: sqlite3.Connection) -> None:
    """The old SQLite ``observations`` table → one batch file (revisions kept), then dropped."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    path = None
    try:
        rows = pd.read_sql_query(
            "SELECT series_id, phenomenon_time, value, censor, raw, qc_flag, revision FROM observations "
            "ORDER BY series_id, phenomenon_time, revision",
            conn,
        )
        if len(rows):
            cur = conn.execute(
                "INSERT INTO observation_batches (created_at, user, source_name, n_rows, note) "
                "VALUES (strftime('%Y-%m-%dT%H:%M:%SZ','now'), 'liuyu', 'observations table', ?, ?)",
                (len(rows), "moved from the GeoPackage table to observations/*.parquet"),
            )
            text = {c: rows[c].astype(object).where(rows[c].notna(), None) for c in ("censor", "raw")}
            batch = Batch(
                sid=rows["series_id"].to_numpy(np.int64),
                t=rows["phenomenon_time"].to_numpy(np.int64),
                value=rows["value"].to_numpy(dtype="float64"),
                censor=pa.array(text["censor"].tolist(), type=pa.string()),
                raw=pa.array(text["raw"].tolist(), type=pa.string()),
                qc_flag=rows["qc_flag"].to_numpy(np.int64),
                revision=rows["revision"].to_numpy(np.int32),
            )
            path = commit(conn, int(cur.lastrowid or 0), batch)
        conn.execute("DROP TABLE observations")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'observations'")
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
            if path is not None:
                path.unlink(missing_ok=True)
        raise


def keys(sid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(series, time) as one sortable int64."""
    return (sid.astype(np.int64) << 34) + (t.astype(np.int64) + _T_OFFSET)


def codes_of(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, categories) of a column; a Categorical's own, else factorized (NaN → '')."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories.astype(str).to_numpy(dtype=object)
        codes = values.cat.codes.to_numpy().astype(np.int64)
        if (codes < 0).any():
            cats = np.append(cats, "")
            codes = np.where(codes < 0, len(cats) - 1, codes)
        return codes, cats
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def series_ids(conn: Any, frame: pd.DataFrame) -> np.ndarray:
    """The series_id of every row (station_code, property_code, method), new series inserted.

    Works on category codes, so 10 M rows cost a few array passes, not 10 M dictionary lookups.
    """
    parts = [codes_of(frame[c]) for c in ("station_code", "property_code", "method")]
    sizes = [len(cats) for _, cats in parts]
    combo = (parts[0][0] * sizes[1] + parts[1][0]) * sizes[2] + parts[2][0]
    present = np.flatnonzero(np.bincount(combo, minlength=int(np.prod(sizes)) or 1))
    s_i, rest = np.divmod(present, sizes[1] * sizes[2])
    p_i, m_i = np.divmod(rest, sizes[2])
    triples = list(
        zip(parts[0][1][s_i].tolist(), parts[1][1][p_i].tolist(), parts[2][1][m_i].tolist(), strict=True)
    )
    known = {
        (s, p, m): i
        for i, s, p, m in conn.execute(
            "SELECT series_id, station_code, property_code, method FROM series"
        ).fetchall()
    }
    # New series numbered max + 1, ... in the caller's (writer-exclusive) transaction, as SQLite's
    # INTEGER PRIMARY KEY does: portable SQL, and the same ids on the PostGIS store (whose identity
    # sequence would leave gaps after a rollback).
    missing = [t for t in triples if t not in known]
    if missing:
        top = max(known.values(), default=0)
        rows = [(top + 1 + i, *t) for i, t in enumerate(missing)]
        conn.executemany(
            "INSERT INTO series (series_id, station_code, property_code, method) VALUES (?, ?, ?, ?)", rows
        )
        known.update({t: r[0] for t, r in zip(missing, rows, strict=True)})
    lookup = np.zeros(max(int(np.prod(sizes)), 1), dtype=np.int64)
    lookup[present] = [known[t] for t in triples]
    return lookup[combo]


def in_stored_range(summary: pd.DataFrame, sid: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Which rows lie inside their series' stored [time_first, time_last] (only those can be stored
    already); None when none do. ``summary``: series_id, time_first, time_last of non-empty series."""
    if summary.empty or len(sid) == 0:
        return None
    top = int(max(summary["series_id"].max(), sid.max())) + 1
    first = np.full(top, np.iinfo(np.int64).max)
    last = np.full(top, np.iinfo(np.int64).min)
    first[summary["series_id"].to_numpy(np.int64)] = summary["time_first"].to_numpy(np.int64)
    last[summary["series_id"].to_numpy(np.int64)] = summary["time_last"].to_numpy(np.int64)
    cand = (t >= first[sid]) & (t <= last[sid])
    return cand if cand.any() else None


def stored_keys(conn: sqlite3.Connection, sid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Keys of rows (revision 0) already stored among the candidates, reading only overlapping files.

    Only rows inside their series' stored [first, last] can be stored already; batches whose
    series/time bounds miss them are not read.
    """
    summary = pd.read_sql_query("SELECT series_id, time_first, time_last FROM series", conn)
    cand = in_stored_range(summary.dropna(), sid, t)
    if cand is None:
        return _EMPTY_I64
    cs, ct = sid[cand], t[cand]
    lo_s, hi_s, lo_t, hi_t = int(cs.min()), int(cs.max()), int(ct.min()), int(ct.max())
    rows = conn.execute(
        "SELECT file FROM observation_batches WHERE file IS NOT NULL AND max_series >= ? AND min_series <= ? "
        "AND max_time >= ? AND min_time <= ? ORDER BY batch_id",
        (lo_s, hi_s, lo_t, hi_t),
    ).fetchall()
    if not rows:
        return _EMPTY_I64
    directory = obs_files.obs_dir(obs_files.gpkg_path(conn))
    source = obs_files.obs_source([directory / r[0] for r in rows], latest=False)
    wanted = pd.DataFrame({"series_id": np.unique(cs).astype(np.int64)})
    got = obs_files.query(
        f"SELECT o.series_id, o.phenomenon_time FROM {source} o SEMI JOIN wanted w USING (series_id) "
        "WHERE o.revision = 0 AND o.phenomenon_time BETWEEN ? AND ?",
        [lo_t, hi_t],
        {"wanted": wanted},
    ).fetchnumpy()
    return keys(np.asarray(got["series_id"]), np.asarray(got["phenomenon_time"]))


@dataclass
class Batch:
    """Rows of one batch, sorted by (series_id, phenomenon_time), as arrow columns."""

    sid: np.ndarray
    t: np.ndarray
    value: np.ndarray
    censor: pa.Array
    raw: pa.Array
    qc_flag: np.ndarray
    revision: int | np.ndarray = 0

    @property
    def revisions(self) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.revision, dtype=np.int32), self.sid.shape)

    @property
    def bounds(self) -> tuple[int, int, int, int, int]:
        """(max revision, min and max series_id, min and max time): the batch's registry bounds."""
        return (
            int(self.revisions.max()),
            int(self.sid.min()),
            int(self.sid.max()),
            int(self.t.min()),
            int(self.t.max()),
        )

    def table(self, batch_id: int) -> pa.Table:
        n = len(self.sid)
        value = self.value.astype(np.float64, copy=False)
        nan = np.isnan(value)
        return pa.table(
            {
                "series_id": self.sid.astype(np.int32),
                "phenomenon_time": self.t.astype(np.int64, copy=False),
                "value": pa.array(value, mask=nan if nan.any() else None),
                "censor": self.censor,
                "raw": self.raw,
                "qc_flag": self.qc_flag.astype(np.int32, copy=False),
                "revision": np.ascontiguousarray(self.revisions),
                "batch_id": np.full(n, batch_id, dtype=np.int32),
            }
        )


def commit(conn: sqlite3.Connection, batch_id: int, batch: Batch) -> Path | None:
    """Write the batch's file, register it and update the series summaries (caller's transaction).

    Returns the file written (for the caller to remove should the transaction fail).
    """
    n = len(batch.sid)
    if n == 0:
        return None
    directory = obs_files.obs_dir(obs_files.gpkg_path(conn))
    name = obs_files.write_batch_file(directory, batch_id, batch.table(batch_id))
    try:
        _register(conn, batch_id, batch, name)
    except BaseException:
        (directory / name).unlink(missing_ok=True)
        raise
    return directory / name


def _register(conn: sqlite3.Connection, batch_id: int, batch: Batch, name: str) -> None:
    conn.execute(
        "UPDATE observation_batches SET file = ?, max_revision = ?, min_series = ?, max_series = ?, "
        "min_time = ?, max_time = ? WHERE batch_id = ?",
        (name, *batch.bounds, batch_id),
    )
    _update_summaries(conn, batch)


def _update_summaries(conn: sqlite3.Connection, batch: Batch) -> None:
    """n, first, last and the last value of each series touched (rows sorted by series, time)."""
    sid, n, first, last, value, censor, qc_flag = summary_columns(batch)
    rows = zip(n, first, last, value, censor, qc_flag, sid, strict=True)
    conn.executemany(
        "UPDATE series SET n = n + ?1, time_first = min(coalesce(time_first, ?2), ?2), "
        "last_value = CASE WHEN time_last IS NULL OR ?3 >= time_last THEN ?4 ELSE last_value END, "
        "last_censor = CASE WHEN time_last IS NULL OR ?3 >= time_last THEN ?5 ELSE last_censor END, "
        "last_qc_flag = CASE WHEN time_last IS NULL OR ?3 >= time_last THEN ?6 ELSE last_qc_flag END, "
        "time_last = max(coalesce(time_last, ?3), ?3) WHERE series_id = ?7",
        rows,
    )


def summary_columns(batch: Batch) -> tuple[list[Any], ...]:
    """Per series touched (rows sorted by series, time): series_id, new rows (revision 0), first
    time, last time, and the last row's value, censor and qc_flag, as lists for an UPDATE."""
    sid = batch.sid
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    ends = np.r_[starts[1:], len(sid)] - 1
    censor = batch.censor.take(pa.array(ends)).to_pylist()  # only the last row of each series
    return (
        sid[starts].tolist(),
        np.add.reduceat((batch.revisions == 0).astype(np.int64), starts).tolist(),
        batch.t[starts].tolist(),
        batch.t[ends].tolist(),
        [None if np.isnan(v) else float(v) for v in batch.value[ends]],
        censor,
        batch.qc_flag[ends].astype(np.int64).tolist(),
    )
