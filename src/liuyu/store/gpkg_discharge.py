"""The ``discharge_compliance`` table of the GeoPackage store: station × item results per period (derived).

Created on first use and listed in gpkg_contents (QGIS shows it). Each row carries the fingerprint
of the inputs it was computed from; a period's rows are replaced together.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

TABLE = "discharge_compliance"
TEXT = (
    "period",
    "station_code",
    "name",
    "kind",
    "standard",
    "standard_code",
    "standard_class",
    "standard_source",
    "property_code",
    "item_name",
    "limit_basis",
    "worst_day",
    "fingerprint",
    "computed_at",
)
REAL = ("value", "limit", "limit_low", "limit_high", "multiple")
INTEGER = ("exceed", "verified", "n_samples", "n_days", "n_days_exceed")
COLUMNS: tuple[str, ...] = (*TEXT[:10], "value", "limit", "limit_low", "limit_high", "limit_basis", "exceed")
COLUMNS += (
    "multiple",
    "verified",
    "n_samples",
    "n_days",
    "n_days_exceed",
    "worst_day",
    "fingerprint",
    "computed_at",
)

_TYPES = {**dict.fromkeys(TEXT, "TEXT"), **dict.fromkeys(REAL, "REAL"), **dict.fromkeys(INTEGER, "INTEGER")}
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, "
    + ", ".join(f'"{c}" {_TYPES[c]}' for c in COLUMNS)
    + ", UNIQUE (period, station_code, property_code))"
)


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the table if missing and list it in gpkg_contents for QGIS."""
    conn.execute(DDL)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (
            TABLE,
            "排放达标 Discharge compliance",
            "Sewage facilities against their discharge standard (derived)",
        ),
    )


def _exists(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,))
    return row.fetchone() is not None


def read(conn: sqlite3.Connection, period: str) -> pd.DataFrame:
    """The stored rows of ``period`` (empty, with the columns, when none)."""
    if not _exists(conn):
        return pd.DataFrame(columns=list(COLUMNS))
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    frame = pd.read_sql_query(
        f"SELECT {cols} FROM {TABLE} WHERE period = ? ORDER BY station_code, property_code",
        conn,
        params=(period,),
    )
    frame["exceed"] = frame["exceed"].astype("boolean")
    frame["verified"] = frame["verified"].astype(bool)
    for col in REAL:
        frame[col] = frame[col].astype(float)
    return frame


def replace(conn: sqlite3.Connection, period: str, rows: pd.DataFrame) -> None:
    """Replace the rows of ``period`` by ``rows``; call inside the store's transaction."""
    ensure_table(conn)
    conn.execute(f"DELETE FROM {TABLE} WHERE period = ?", (period,))
    frame = rows[list(COLUMNS)].astype(object)
    frame = frame.where(rows[list(COLUMNS)].notna(), None)
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    conn.executemany(
        f"INSERT INTO {TABLE} ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})",
        frame.itertuples(index=False, name=None),
    )
