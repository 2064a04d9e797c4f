"""The network tables of the GeoPackage store: observed properties, series, observations."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
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
    return pd.to_numeric(observations["qc_flag"]).fillna(0).astype("int64").to_numpy()


class NetworkTables:
    """Mixin for GpkgStore: the station network's observations in the same SQLite file."""

    conn: sqlite3.Connection
    transaction: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    _audit: Callable[..., None]

    def upsert_properties(self, properties: pd.DataFrame) -> int:
        cols = ["code", "name_zh", "name_en", "unit", "definition", "aliases"]
        frame = (
            properties.reindex(columns=cols)
            .astype(object)
            .where(properties.reindex(columns=cols).notna(), None)
        )
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO observed_properties VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET "
                "name_zh=excluded.name_zh, name_en=excluded.name_en, unit=excluded.unit, "
                "definition=excluded.definition, aliases=excluded.aliases",
                frame.itertuples(index=False, name=None),
            )
        return len(frame)

    def _series_ids(self, conn: sqlite3.Connection, obs: pd.DataFrame) -> np.ndarray:
        keys = obs[["station_code", "property_code", "method"]].drop_duplicates()
        conn.executemany(
            "INSERT OR IGNORE INTO series (station_code, property_code, method) VALUES (?, ?, ?)",
            keys.itertuples(index=False, name=None),
        )
        known = pd.read_sql_query("SELECT series_id, station_code, property_code, method FROM series", conn)
        merged = obs[["station_code", "property_code", "method"]].merge(
            known, on=["station_code", "property_code", "method"], how="left"
        )
        return merged["series_id"].to_numpy(dtype=np.int64)

    def append_observations(self, observations: pd.DataFrame, provenance: Provenance) -> int:
        """Add observations in one batch; rows already stored for the same series and time are skipped.

        Returns the number of rows inserted, so a re-run of the same file inserts 0. A
        ``qc_flag`` column, when given, is stored with each row (else the table default, 0).
        """
        missing = [
            c for c in ("station_code", "property_code", "phenomenon_time", "value") if c not in observations
        ]
        if missing:
            raise SchemaError(
                f"observations lack columns {missing}", hint=f"expected {list(OBSERVATION_COLUMNS)}"
            )
        obs = observations.reindex(columns=list(OBSERVATION_COLUMNS)).copy()
        obs["method"] = obs["method"].fillna("").astype(str)
        seconds = to_unix_seconds(obs["phenomenon_time"])
        with self.transaction() as conn:
            sid = self._series_ids(conn, obs)
            order = np.lexsort((seconds, sid))
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
                    len(obs),
                    provenance.note,
                ),
            )
            batch = cur.lastrowid
            assert batch is not None  # an INSERT always sets it
            values = obs["value"].astype("float64").to_numpy(dtype=object, na_value=None)
            censor = obs["censor"].astype(object).where(obs["censor"].notna() & (obs["censor"] != ""), None)
            raw = obs["raw"].astype(object).where(obs["raw"].notna(), None)
            flags = _qc_flags(observations)
            rows = zip(
                sid[order].tolist(),
                seconds[order].tolist(),
                values[order].tolist(),
                censor.to_numpy()[order].tolist(),
                raw.to_numpy()[order].tolist(),
                flags[order].tolist(),
                strict=True,
            )
            before = conn.execute("SELECT total_changes()").fetchone()[0]
            conn.executemany(
                "INSERT INTO observations "
                "(series_id, phenomenon_time, value, censor, raw, qc_flag, batch_id) "
                f"SELECT ?1, ?2, ?3, ?4, ?5, ?6, {int(batch)} WHERE NOT EXISTS (SELECT 1 FROM observations "
                "WHERE series_id = ?1 AND phenomenon_time = ?2 AND revision = 0)",
                rows,
            )
            inserted = conn.execute("SELECT total_changes()").fetchone()[0] - before
            conn.execute("UPDATE observation_batches SET n_rows = ? WHERE batch_id = ?", (inserted, batch))
            self._audit(
                conn,
                provenance.user,
                "observations.append",
                f"batch:{batch}",
                detail={"rows_in": len(obs), "inserted": inserted, "source": provenance.source_name},
            )
        return int(inserted)

    def read_observations(
        self,
        *,
        station_code: str | None = None,
        property_code: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> pd.DataFrame:
        where = [
            "o.revision = (SELECT max(revision) FROM observations o2 WHERE o2.series_id = o.series_id "
            "AND o2.phenomenon_time = o.phenomenon_time)"
        ]
        params: list[Any] = []
        for col, val in (("s.station_code", station_code), ("s.property_code", property_code)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        for op, when in ((">=", start), ("<", end)):
            if when is not None:
                if when.tzinfo is None:
                    raise SchemaError(
                        "start/end must be timezone-aware", hint="pass e.g. datetime(..., tzinfo=UTC)"
                    )
                where.append(f"o.phenomenon_time {op} ?")
                params.append(int(when.timestamp()))
        df = pd.read_sql_query(
            "SELECT s.station_code, s.property_code, s.method, o.phenomenon_time, o.value, o.censor, o.raw, "
            "o.qc_flag, o.revision, o.batch_id FROM observations o JOIN series s USING (series_id) "
            f"WHERE {' AND '.join(where)} ORDER BY s.series_id, o.phenomenon_time",
            self.conn,
            params=params,
        )
        df["phenomenon_time"] = pd.to_datetime(df["phenomenon_time"], unit="s", utc=True)
        return df

    def series(self) -> pd.DataFrame:
        return pd.read_sql_query(
            "SELECT s.series_id, s.station_code, s.property_code, s.method, s.unit, count(o.id) AS n, "
            "min(o.phenomenon_time) AS first, max(o.phenomenon_time) AS last "
            "FROM series s LEFT JOIN observations o USING (series_id) "
            "GROUP BY s.series_id ORDER BY s.series_id",
            self.conn,
        )
