"""The ``assessments`` table of the GeoPackage store: section classes per period, a derived table.

Created on first use (``CREATE TABLE IF NOT EXISTS``), so workspaces made before it existed keep
working, and listed in gpkg_contents as an "attributes" table so QGIS shows it. Each row carries
the fingerprint of the inputs it was computed from; a period's rows are replaced together
(the shared mechanics are in gpkg_tables).
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from liuyu.store import gpkg_tables, obs_read

TABLE = "assessments"
COLUMNS = (
    "period",
    "station_code",
    "water_type",
    "class",
    "label",
    "target",
    "met",
    "main_pollutants",
    "n_samples",
    "standard",
    "fingerprint",
    "computed_at",
)

DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  id INTEGER PRIMARY KEY, period TEXT NOT NULL, station_code TEXT NOT NULL, water_type TEXT,
  class INTEGER, label TEXT, target TEXT, met INTEGER, main_pollutants TEXT, n_samples INTEGER,
  standard TEXT NOT NULL, fingerprint TEXT NOT NULL, computed_at TEXT NOT NULL,
  UNIQUE (period, station_code))
"""
# Asia/Shanghai has had no daylight saving since 1991: local time is UTC+8 for every lab sample.
_LOCAL_OFFSET_S = 8 * 3600


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the table if missing and list it in gpkg_contents for QGIS."""
    gpkg_tables.create(
        conn, TABLE, (DDL,), "水质评价 Assessments", "GB 3838-2002 section classes per period (derived)"
    )


def read(conn: sqlite3.Connection, period: str) -> pd.DataFrame:
    """The stored rows of ``period`` (empty, with the columns, when none)."""
    if not gpkg_tables.table_exists(conn, TABLE):
        return pd.DataFrame(columns=list(COLUMNS))
    frame = gpkg_tables.read_period(conn, TABLE, COLUMNS, period, "station_code")
    frame["met"] = frame["met"].astype("boolean")
    return frame


def replace(conn: sqlite3.Connection, period: str, rows: pd.DataFrame) -> None:
    """Replace the rows of ``period`` by ``rows``; call inside the store's transaction."""
    ensure_table(conn)
    gpkg_tables.replace_period(conn, TABLE, COLUMNS, period, rows)


def assessed_periods(conn: sqlite3.Connection) -> list[str]:
    """Periods with stored rows, newest first."""
    if not gpkg_tables.table_exists(conn, TABLE):
        return []
    rows = conn.execute(f"SELECT DISTINCT period FROM {TABLE} ORDER BY period DESC").fetchall()
    return [r[0] for r in rows]


def lab_months(conn: sqlite3.Connection, method: str = "lab") -> list[str]:
    """Local (UTC+8) months "YYYY-MM" with observations of ``method``, newest first."""
    return obs_read.lab_months(conn, method, _LOCAL_OFFSET_S)
