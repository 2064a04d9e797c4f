"""The network tables of the PostGIS store: observed properties, series, batches, observations.

The twin of :mod:`liuyu.store.gpkg_network`, with the same rules and results: a batch skips
(series, time) pairs already stored and repeats inside itself, keeps the series summaries (n,
first, last, last value) and registers itself in ``observation_batches``; corrections and QC
re-runs are new revisions (:mod:`liuyu.store.obs_revise`, applied through :data:`PG_REVISIONS`).
The rows are in the partitioned ``observations`` table (:mod:`liuyu.store.pg_obs`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from liuyu.store import obs_batches, obs_read, obs_revise, pg_obs
from liuyu.store.base import Provenance, utc_now
from liuyu.store.gpkg_network import PropertyTables, audit_append, new_batch_rows, new_rows, prepare
from liuyu.store.sqlconn import PgConn, read_frame

__all__ = ["PG_DDL", "PG_REVISIONS", "PgNetworkTables", "copy_observation_rows"]

#: The network tables' DDL, for :mod:`liuyu.store.pg_ddl` (defined beside the COPY code).
PG_DDL = pg_obs.PG_DDL

_OBS_TYPES: dict[str, pa.DataType] = {
    "station_code": pa.string(),
    "property_code": pa.string(),
    "method": pa.string(),
    "phenomenon_time": pa.int64(),
    "value": pa.float64(),
    "censor": pa.string(),
    "raw": pa.string(),
    "qc_flag": pa.int64(),
    "revision": pa.int64(),
    "batch_id": pa.int64(),
}
_CURRENT_TYPES: dict[str, pa.DataType] = {
    "series_id": pa.int64(),
    "phenomenon_time": pa.int64(),
    "value": pa.float64(),
    "censor": pa.string(),
    "raw": pa.string(),
    "qc_flag": pa.int64(),
    "revision": pa.int64(),
}
#: The newest revision of a (series, time): no row of the same key with a higher (revision, batch).
LATEST = (
    "NOT EXISTS (SELECT 1 FROM observations n WHERE n.series_id = o.series_id "
    "AND n.phenomenon_time = o.phenomenon_time AND (n.revision, n.batch_id) > (o.revision, o.batch_id))"
)


def has_revisions(conn: PgConn) -> bool:
    """Whether any batch holds revisions > 0 (only then is the newest revision picked per row)."""
    row = conn.execute("SELECT 1 FROM observation_batches WHERE max_revision > 0 LIMIT 1").fetchone()
    return row is not None


def new_batch(conn: PgConn, provenance: Provenance, n_rows: int) -> int:
    """A row in ``observation_batches``; its id, max + 1 as SQLite numbers them (the caller holds
    :func:`pg_obs.lock_writers`), so batch and Observation ids match the GeoPackage's."""
    cur = conn.execute(
        'INSERT INTO observation_batches (batch_id, created_at, "user", source_name, source_checksum, '
        "agency, jurisdiction, n_rows, note) SELECT coalesce(max(batch_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? "
        "FROM observation_batches RETURNING batch_id",
        (
            utc_now(),
            provenance.user,
            provenance.source_name,
            provenance.source_checksum,
            provenance.agency,
            provenance.jurisdiction,
            n_rows,
            provenance.note,
        ),
    )
    return int(pg_obs.scalar(cur))


def stored_keys(conn: PgConn, sid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Keys of rows (revision 0) already stored among the candidates: only rows inside their
    series' stored [first, last] can be, and only those series and that time range are read."""
    summary = read_frame(conn, "SELECT series_id, time_first, time_last FROM series WHERE n > 0")
    cand = obs_batches.in_stored_range(summary, sid, t)
    if cand is None:
        return np.zeros(0, dtype=np.int64)
    cs, ct = sid[cand], t[cand]
    got = pg_obs.frame_of(
        conn,
        "SELECT series_id, phenomenon_time FROM observations WHERE series_id = ANY(?) "
        "AND phenomenon_time BETWEEN ? AND ? AND revision = 0",
        [np.unique(cs).tolist(), int(ct.min()), int(ct.max())],
        {"series_id": pa.int64(), "phenomenon_time": pa.int64()},
    )
    return obs_batches.keys(got["series_id"].to_numpy(np.int64), got["phenomenon_time"].to_numpy(np.int64))


def _series_frame(conn: PgConn, where: str = "", params: tuple[Any, ...] = ()) -> pd.DataFrame:
    frame = read_frame(
        conn, f"SELECT series_id, station_code, property_code, method FROM series {where}", params
    )
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in frame.columns})
        frame["series_id"] = frame["series_id"].astype(np.int64)
    return frame


def _current(conn: PgConn, series: pd.DataFrame) -> pd.DataFrame:
    """The newest revision of every stored row of these series, sorted by series and time."""
    if series.empty:
        return pd.DataFrame(columns=list(_CURRENT_TYPES))
    return pg_obs.frame_of(
        conn,
        "SELECT o.series_id, o.phenomenon_time, o.value, o.censor, o.raw, o.qc_flag, o.revision "
        f"FROM observations o WHERE o.series_id = ANY(?) AND {LATEST} "
        "ORDER BY o.series_id, o.phenomenon_time",
        [series["series_id"].astype(np.int64).tolist()],
        _CURRENT_TYPES,
    )


def _commit(conn: PgConn, rows: pd.DataFrame, user: str, note: str) -> int:
    """One batch of revision rows: registry row, COPY, series summaries (caller's transaction)."""
    pg_obs.lock_writers(conn)
    batch_id = new_batch(conn, Provenance(user=user, source_name=note, note=note), len(rows))
    rows = rows.sort_values(["series_id", "phenomenon_time"], kind="stable")
    batch = obs_batches.Batch(
        sid=rows["series_id"].to_numpy(np.int64),
        t=rows["phenomenon_time"].to_numpy(np.int64),
        value=rows["value"].to_numpy(dtype="float64"),
        censor=obs_revise.text_array(rows["censor"]),
        raw=obs_revise.text_array(rows["raw"]),
        qc_flag=rows["qc_flag"].to_numpy(np.int64),
        revision=rows["revision"].to_numpy(np.int32),
    )
    pg_obs.copy_batch(conn, batch_id, batch)
    pg_obs.register(conn, batch_id, batch)
    return batch_id


#: How corrections and QC re-runs reach the PostgreSQL tables (the rule is obs_revise's).
PG_REVISIONS = obs_revise.RevisionOps(series_frame=_series_frame, current=_current, commit=_commit)


def copy_observation_rows(conn: PgConn, rows: pa.Table | pd.DataFrame) -> int:
    """COPY stored rows as they are (series_id, phenomenon_time, value, censor, raw, qc_flag,
    revision, batch_id[, id]) in the caller's transaction: no duplicate check, no new batch.

    For moving a workspace between backends (``liuyu export``): the batches and series come
    with their own tables. Without ``id``, a row's id is its batch and its place among the
    batch's rows in the order given, as the GeoPackage numbers them.
    """
    frame = rows.to_pandas() if isinstance(rows, pa.Table) else rows
    if frame.empty:
        return 0
    pg_obs.ensure_partitions(conn, frame["phenomenon_time"].to_numpy(np.int64))
    batch_ids = frame["batch_id"].to_numpy(np.int64)
    if "id" in frame:
        ids = frame["id"].to_numpy(np.int64)
    else:
        place = frame.groupby(batch_ids, sort=False).cumcount().to_numpy(np.int64)
        ids = (batch_ids << 32) + place
    text = {c: frame[c].astype(object).where(frame[c].notna(), None) for c in ("censor", "raw")}
    table = pa.table(
        {
            "id": ids,
            "series_id": frame["series_id"].to_numpy(np.int64),
            "phenomenon_time": frame["phenomenon_time"].to_numpy(np.int64),
            "value": pa.array(frame["value"].to_numpy(np.float64), from_pandas=True),
            "censor": pa.array(text["censor"].tolist(), type=pa.string()),
            "raw": pa.array(text["raw"].tolist(), type=pa.string()),
            "qc_flag": frame["qc_flag"].to_numpy(np.int64),
            "revision": frame["revision"].to_numpy(np.int64),
            "batch_id": batch_ids,
        }
    )
    return pg_obs.copy_table(conn, table)


class PgNetworkTables(PropertyTables):
    """Mixin for PostgisStore: the station network in the workspace's schema."""

    conn: PgConn
    transaction: Callable[[], contextlib.AbstractContextManager[PgConn]]
    _audit: Callable[..., None]

    def append_observations(self, observations: pd.DataFrame, provenance: Provenance) -> int:
        """Add observations in one batch (COPY); rows already stored for the same series and time
        are skipped, so a re-run of the same file stores 0. Readers see all of it or none of it."""
        obs, seconds = prepare(observations)
        pg_obs.ensure_partitions(self.conn, seconds)  # own short transaction: see its docstring
        with self.transaction() as conn:
            pg_obs.lock_writers(conn)
            sid = obs_batches.series_ids(conn, obs)
            take, inserted = new_rows(obs_batches.keys(sid, seconds), stored_keys(conn, sid, seconds))
            batch = new_batch_rows(obs, observations, sid, seconds, take)
            batch_id = new_batch(conn, provenance, inserted)
            pg_obs.copy_batch(conn, batch_id, batch)
            pg_obs.register(conn, batch_id, batch)
            audit_append(self._audit, conn, provenance, len(obs), inserted, batch_id, batch)
        return inserted

    def read_observations(
        self,
        *,
        station_code: str | None = None,
        property_code: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        history: bool = False,
    ) -> pd.DataFrame:
        """Stored observations, the latest revision of each (series, time); ``history`` gives all."""
        where, params = obs_read.series_conditions(station_code, property_code, "s.")
        cond, values = obs_read.time_conditions(start, end)
        where += cond
        params += values
        if not history and has_revisions(self.conn):
            where.append(LATEST)
        df = pg_obs.frame_of(
            self.conn,
            "SELECT s.station_code, s.property_code, s.method, o.phenomenon_time, o.value, o.censor, o.raw, "
            "o.qc_flag::bigint, o.revision::bigint, o.batch_id::bigint FROM observations o "
            f"JOIN series s USING (series_id) WHERE {' AND '.join(where) or 'true'} "
            "ORDER BY o.series_id, o.phenomenon_time, o.revision",
            params,
            _OBS_TYPES,
        )
        return obs_read.finish_frame(df)

    def correct_observations(self, corrections: pd.DataFrame, *, user: str = "liuyu") -> int:
        """Corrected values as new revisions (the old kept), each audited with its reason."""
        with self.transaction() as conn:
            pg_obs.lock_writers(conn)  # the current revisions read must not change before the write
            return obs_revise.correct(conn, self._audit, corrections, user, PG_REVISIONS)

    def rerun_qc(
        self, *, station_code: str | None = None, property_code: str | None = None, user: str = "liuyu"
    ) -> dict[str, Any]:
        """QC over whole stored series; changed flags stored as new revisions (see obs_revise)."""
        with self.transaction() as conn:
            pg_obs.lock_writers(conn)
            return obs_revise.rerun_qc(
                conn,
                self._audit,
                user,
                station_code=station_code,
                property_code=property_code,
                ops=PG_REVISIONS,
            )

    def series(self) -> pd.DataFrame:
        return read_frame(
            self.conn,
            "SELECT series_id, station_code, property_code, method, unit, n, "
            "CASE WHEN n > 0 THEN time_first END AS first, CASE WHEN n > 0 THEN time_last END AS last "
            "FROM series ORDER BY series_id",
        )


def lab_months(conn: PgConn, method: str, offset_seconds: int) -> list[str]:
    """Local months ("YYYY-MM", newest first) with observations of series of ``method``."""
    rows = conn.execute(
        "SELECT DISTINCT to_char(to_timestamp(o.phenomenon_time + ?) AT TIME ZONE 'UTC', 'YYYY-MM') AS m "
        "FROM observations o WHERE o.series_id IN (SELECT series_id FROM series WHERE method = ?) "
        "ORDER BY m DESC",
        (offset_seconds, method),
    ).fetchall()
    return [r[0] for r in rows]
