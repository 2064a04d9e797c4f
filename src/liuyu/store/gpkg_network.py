"""The network tables of the GeoPackage store: observed properties, series, observations."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from liuyu.errors import SchemaError
from liuyu.store import obs_batches, obs_read, obs_revise
from liuyu.store.base import Provenance, utc_now

OBSERVATION_COLUMNS = ("station_code", "property_code", "phenomenon_time", "value", "censor", "raw", "method")


def to_unix_seconds(times: pd.Series) -> np.ndarray:
    """Timezone-aware times as Unix seconds; naive times are refused (local vs UTC is never guessed)."""
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise SchemaError(
            "phenomenon_time must be timezone-aware",
            hint="localize it first, e.g. .dt.tz_localize('Asia/Shanghai'); Liuyu stores UTC",
        )
    return times.dt.tz_convert("UTC").astype("datetime64[s, UTC]").astype("int64").to_numpy()


def _qc_flags(observations: pd.DataFrame) -> np.ndarray:
    """The rows' qc_flag as int64 (0 where not given: the table's default)."""
    if "qc_flag" not in observations:
        return np.zeros(len(observations), dtype=np.int64)
    flags = observations["qc_flag"]
    if flags.dtype.kind in "iu":  # no missing values to fill: kept as they are (cast when written)
        return flags.to_numpy()
    return pd.to_numeric(flags).fillna(0).astype("int64").to_numpy()


def prepare(observations: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows in :data:`OBSERVATION_COLUMNS` (method '' when not given) and their Unix seconds;
    the checks every backend makes before a batch is written."""
    missing = [
        c for c in ("station_code", "property_code", "phenomenon_time", "value") if c not in observations
    ]
    if missing:
        raise SchemaError(
            f"observations lack columns {missing}", hint=f"expected {list(OBSERVATION_COLUMNS)}"
        )
    obs = observations.reindex(columns=list(OBSERVATION_COLUMNS))
    if not isinstance(obs["method"].dtype, pd.CategoricalDtype):
        obs = obs.assign(method=obs["method"].astype(object).fillna("").astype(str))
    return obs, to_unix_seconds(obs["phenomenon_time"])


def qc_flags(observations: pd.DataFrame) -> np.ndarray:
    """The rows' qc_flag as int64 (0 where not given: the table's default)."""
    return _qc_flags(observations)


def text_column(values: pd.Series, take: np.ndarray | slice, *, blank_is_null: bool) -> pa.Array:
    """A text column of the kept rows as arrow (see :func:`_text_column`)."""
    return _text_column(values, take, blank_is_null=blank_is_null)


def new_rows(key: np.ndarray, stored: np.ndarray) -> tuple[np.ndarray | slice, int]:
    """Which rows of a batch to write, in (series, time) order, and how many: a repeat inside the
    batch keeps its first row, and a (series, time) already ``stored`` (revision 0) is skipped."""
    order: np.ndarray | None = None
    if len(key) > 1 and not bool((key[1:] > key[:-1]).all()):
        order = np.argsort(key, kind="stable")
        key = key[order]
        keep = np.r_[True, key[1:] != key[:-1]]  # a repeat inside the batch: the first is kept
    else:  # already in order without repeats (the fast path's rows): no gathers
        keep = np.ones(len(key), dtype=bool)
    if len(stored):
        keep &= ~np.isin(key, stored)
    take: np.ndarray | slice = order[keep] if order is not None else slice(None)
    if order is None and not keep.all():
        take = np.flatnonzero(keep)
    return take, int(keep.sum())


class PropertyTables:
    """Mixin for both stores' network tables: what is portable SQL on the small tables."""

    transaction: Callable[[], contextlib.AbstractContextManager[Any]]
    _audit: Callable[..., None]

    def upsert_properties(self, properties: pd.DataFrame) -> int:
        cols = ["code", "name_zh", "name_en", "unit", "definition", "aliases"]
        frame = (
            properties.reindex(columns=cols)
            .astype(object)
            .where(properties.reindex(columns=cols).notna(), None)
        )
        with self.transaction() as conn:
            had = {r[0] for r in conn.execute("SELECT code FROM observed_properties").fetchall()}
            conn.executemany(
                "INSERT INTO observed_properties VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET "
                "name_zh=excluded.name_zh, name_en=excluded.name_en, unit=excluded.unit, "
                "definition=excluded.definition, aliases=excluded.aliases",
                frame.itertuples(index=False, name=None),
            )
            codes = set(frame["code"])
            self._audit(
                conn,
                "liuyu",
                "properties.upsert",
                "observed_properties",
                before={"n": len(had)},
                after={"n": len(had | codes), "added": sorted(codes - had), "updated": len(codes & had)},
            )
        return len(frame)


def new_batch_rows(
    obs: pd.DataFrame,
    observations: pd.DataFrame,
    sid: np.ndarray,
    seconds: np.ndarray,
    take: np.ndarray | slice,
) -> obs_batches.Batch:
    """The rows of a new batch that are kept (``take``, from :func:`new_rows`), as both stores write them."""
    return obs_batches.Batch(
        sid=sid[take],
        t=seconds[take],
        value=pd.to_numeric(obs["value"], errors="coerce").to_numpy(dtype="float64")[take],
        censor=_text_column(obs["censor"], take, blank_is_null=True),
        raw=_text_column(obs["raw"], take, blank_is_null=False),
        qc_flag=_qc_flags(observations)[take],
    )


def audit_append(
    audit: Callable[..., None],
    conn: Any,
    provenance: Provenance,
    n_in: int,
    inserted: int,
    batch_id: int,
    batch: obs_batches.Batch,
) -> None:
    """The audit entry of a new observation batch (the same on both stores)."""
    audit(
        conn,
        provenance.user,
        "observations.append",
        f"batch:{batch_id}",
        detail={"rows_in": n_in, "inserted": inserted, "source": provenance.source_name},
        after={"batch": batch_id, "rows": inserted, "series": _runs(batch.sid)},
    )


class NetworkTables(PropertyTables):
    """Mixin for GpkgStore: the station network's observations in the same SQLite file."""

    conn: sqlite3.Connection
    transaction: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    _audit: Callable[..., None]

    def append_observations(self, observations: pd.DataFrame, provenance: Provenance) -> int:
        """Add observations in one batch; rows already stored for the same series and time are skipped.

        Returns the number of rows stored, so a re-run of the same file stores 0. A ``qc_flag``
        column, when given, is stored with each row (else 0). The rows go to one Parquet file
        beside the GeoPackage (:mod:`liuyu.store.obs_files`), registered in the same transaction
        as the batch, so readers see all of it or none of it.
        """
        obs, seconds = prepare(observations)
        written: list[Path] = []
        try:
            return self._append(obs, seconds, observations, provenance, written)
        except BaseException:
            for path in written:  # the transaction rolled back: its file must not stay behind
                path.unlink(missing_ok=True)
            raise

    def _append(
        self,
        obs: pd.DataFrame,
        seconds: np.ndarray,
        observations: pd.DataFrame,
        provenance: Provenance,
        written: list[Path],
    ) -> int:
        with self.transaction() as conn:
            obs_batches.ensure_schema(conn)
            sid = obs_batches.series_ids(conn, obs)
            take, inserted = new_rows(
                obs_batches.keys(sid, seconds), obs_batches.stored_keys(conn, sid, seconds)
            )
            batch = new_batch_rows(obs, observations, sid, seconds, take)
            cur = conn.execute(
                "INSERT INTO observation_batches (created_at, user, source_name, source_checksum, agency, "
                "jurisdiction, n_rows, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    utc_now(),
                    provenance.user,
                    provenance.source_name,
                    provenance.source_checksum,
                    provenance.agency,
                    provenance.jurisdiction,
                    inserted,
                    provenance.note,
                ),
            )
            batch_id = cur.lastrowid
            assert batch_id is not None  # an INSERT always sets it
            path = obs_batches.commit(conn, int(batch_id), batch)
            if path is not None:
                written.append(path)
            audit_append(self._audit, conn, provenance, len(obs), inserted, int(batch_id), batch)
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
        return obs_read.read_observations(
            self.conn,
            station_code=station_code,
            property_code=property_code,
            start=start,
            end=end,
            history=history,
        )

    def correct_observations(self, corrections: pd.DataFrame, *, user: str = "liuyu") -> int:
        """Corrected values as new revisions (the old kept), each audited with its reason."""
        with self.transaction() as conn:
            return obs_revise.correct(conn, self._audit, corrections, user)

    def rerun_qc(
        self, *, station_code: str | None = None, property_code: str | None = None, user: str = "liuyu"
    ) -> dict[str, Any]:
        """QC over whole stored series; changed flags stored as new revisions (see obs_revise)."""
        with self.transaction() as conn:
            return obs_revise.rerun_qc(
                conn, self._audit, user, station_code=station_code, property_code=property_code
            )

    def series(self) -> pd.DataFrame:
        obs_batches.ensure_schema(self.conn)
        return pd.read_sql_query(
            "SELECT series_id, station_code, property_code, method, unit, n, "
            "CASE WHEN n > 0 THEN time_first END AS first, CASE WHEN n > 0 THEN time_last END AS last "
            "FROM series ORDER BY series_id",
            self.conn,
        )


def _runs(sorted_ids: np.ndarray) -> int:
    """How many distinct values a sorted array holds (O(n), no sort: the batch is sorted already)."""
    return int(len(sorted_ids) > 0) + int(np.count_nonzero(sorted_ids[1:] != sorted_ids[:-1]))


def _text_column(values: pd.Series, take: np.ndarray | slice, *, blank_is_null: bool) -> pa.Array:
    """A text column of the kept rows as arrow: a Categorical stays dictionary-encoded (cheap)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories.astype(str)
        codes = values.cat.codes.to_numpy()[take]
        blank = np.flatnonzero(cats.str.strip() == "") if blank_is_null else np.zeros(0, dtype=np.int64)
        if len(blank):
            codes = np.where(np.isin(codes, blank), -1, codes)
        missing = codes < 0
        return pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32, copy=False), mask=missing if missing.any() else None),
            pa.array(cats.to_numpy(dtype=object)),
        )
    cells = values.to_numpy(dtype=object)[take]
    series = pd.Series(cells, dtype=object)
    bad = series.isna() | (series.astype(str).str.strip() == "") if blank_is_null else series.isna()
    return pa.array(series.where(~bad, None).astype(object).tolist(), type=pa.string())
