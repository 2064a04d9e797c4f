"""Reading stored observations (Parquet batch files, see :mod:`obs_files`) with DuckDB, joined to series."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pandas as pd

from liuyu.errors import SchemaError
from liuyu.store import obs_batches, obs_files

__all__ = [
    "finish_frame",
    "lab_months",
    "read_observations",
    "series_conditions",
    "series_frame",
    "time_conditions",
]

_COLUMNS = [
    "station_code",
    "property_code",
    "method",
    "phenomenon_time",
    "value",
    "censor",
    "raw",
    "qc_flag",
    "revision",
    "batch_id",
]


def series_frame(conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """The ``series`` registry (small: one row per station x property x method)."""
    return pd.read_sql_query(
        f"SELECT series_id, station_code, property_code, method FROM series {where}", conn, params=params
    )


def series_conditions(
    station_code: str | None, property_code: str | None, alias: str = ""
) -> tuple[list[str], list[Any]]:
    """SQL conditions on the ``series`` columns (``alias`` e.g. "s.") and their values; both stores."""
    cond: list[str] = []
    values: list[Any] = []
    for col, val in (("station_code", station_code), ("property_code", property_code)):
        if val is not None:
            cond.append(f"{alias}{col} = ?")
            values.append(val)
    return cond, values


def finish_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The observations frame both stores return: fixed columns, None (not NaN) for missing text,
    UTC timestamps from the stored Unix seconds."""
    df = df.reindex(columns=_COLUMNS)
    for col in ("censor", "raw"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    df["phenomenon_time"] = pd.to_datetime(df["phenomenon_time"].astype("int64"), unit="s", utc=True)
    return df


def time_conditions(start: dt.datetime | None, end: dt.datetime | None) -> tuple[list[str], list[Any]]:
    """SQL conditions (on ``o.phenomenon_time``, Unix seconds) for [start, end) and their values;
    naive times are refused (local vs UTC is never guessed). The same on both stores."""
    cond: list[str] = []
    values: list[Any] = []
    for op, when in ((">=", start), ("<", end)):
        if when is not None:
            if when.tzinfo is None:
                raise SchemaError(
                    "start/end must be timezone-aware", hint="pass e.g. datetime(..., tzinfo=UTC)"
                )
            cond.append(f"o.phenomenon_time {op} ?")
            values.append(int(when.timestamp()))
    return cond, values


def read_observations(
    conn: sqlite3.Connection,
    *,
    station_code: str | None = None,
    property_code: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    history: bool = False,
) -> pd.DataFrame:
    """Observations ordered by series and time: the latest revision of each, or all (``history``)."""
    obs_batches.ensure_schema(conn)
    where, params = series_conditions(station_code, property_code)
    series = series_frame(conn, f"WHERE {' AND '.join(where)}" if where else "", tuple(params))
    cond, values = time_conditions(start, end)
    source = obs_files.source_for(conn, history=history)
    sql = (
        "SELECT s.station_code, s.property_code, s.method, o.phenomenon_time, o.value, o.censor, o.raw, "
        "CAST(o.qc_flag AS BIGINT) AS qc_flag, CAST(o.revision AS BIGINT) AS revision, "
        f"CAST(o.batch_id AS BIGINT) AS batch_id FROM {source} o JOIN series_ s USING (series_id) "
        f"WHERE {' AND '.join(cond) or 'true'} ORDER BY o.series_id, o.phenomenon_time, o.revision"
    )
    return finish_frame(obs_files.query(sql, values, {"series_": series}).df())


def lab_months(conn: sqlite3.Connection, method: str, offset_seconds: int) -> list[str]:
    """Local months ("YYYY-MM", newest first) with observations of series of ``method``."""
    obs_batches.ensure_schema(conn)
    series = series_frame(conn, "WHERE method = ?", (method,))
    if series.empty:
        return []
    source = obs_files.source_for(conn, history=True)
    rows = obs_files.query(
        "SELECT DISTINCT strftime(make_timestamp((o.phenomenon_time + ?) * 1000000), '%Y-%m') AS m "
        f"FROM {source} o SEMI JOIN series_ s USING (series_id) ORDER BY m DESC",
        [offset_seconds],
        {"series_": series},
    ).fetchall()
    return [r[0] for r in rows]
