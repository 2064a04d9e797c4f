"""The ``discharge_compliance`` table of the GeoPackage store: station × item results per period (derived).

Created on first use and listed in gpkg_contents (QGIS shows it). Each row carries the fingerprint
of the inputs it was computed from; a period's rows are replaced together (see gpkg_tables).
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from liuyu.store import gpkg_tables

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
#: the table's columns in order: the period, the engine's result columns, the provenance
COLUMNS = (
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
    "value",
    "limit",
    "limit_low",
    "limit_high",
    "limit_basis",
    "exceed",
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
    gpkg_tables.create(
        conn,
        TABLE,
        (DDL,),
        "排放达标 Discharge compliance",
        "Sewage facilities against their discharge standard (derived)",
    )


def read(conn: sqlite3.Connection, period: str) -> pd.DataFrame:
    """The stored rows of ``period`` (empty, with the columns, when none)."""
    if not gpkg_tables.table_exists(conn, TABLE):
        return pd.DataFrame(columns=list(COLUMNS))
    frame = gpkg_tables.read_period(conn, TABLE, COLUMNS, period, "station_code, property_code")
    frame["exceed"] = frame["exceed"].astype("boolean")
    frame["verified"] = frame["verified"].astype(bool)
    for col in REAL:
        frame[col] = frame[col].astype(float)
    return frame


def replace(conn: sqlite3.Connection, period: str, rows: pd.DataFrame) -> None:
    """Replace the rows of ``period`` by ``rows``; call inside the store's transaction."""
    ensure_table(conn)
    gpkg_tables.replace_period(conn, TABLE, COLUMNS, period, rows)
