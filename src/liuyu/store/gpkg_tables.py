"""Attribute tables of the GeoPackage store made on first use (alerts, proposals, derived results).

They are created when first needed, so workspaces made before them keep working, and listed in
gpkg_contents as "attributes" so QGIS shows them. The derived ones (assessments, discharge
compliance) hold rows computed per period, each with the fingerprint of its inputs, and a period's
rows are replaced together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import pandas as pd


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    return row.fetchone() is not None


def create(
    conn: sqlite3.Connection, table: str, statements: Sequence[str], identifier: str, description: str
) -> None:
    """Run ``statements`` (CREATE ... IF NOT EXISTS) and list ``table`` in gpkg_contents for QGIS."""
    for stmt in statements:
        conn.execute(stmt)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (table, identifier, description),
    )


def where(filters: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`` WHERE a = ? AND b = ?`` for the (column, value) pairs whose value is given, and the values."""
    given = [(col, val) for col, val in filters if val is not None]
    if not given:
        return "", []
    return " WHERE " + " AND ".join(f"{col} = ?" for col, _ in given), [val for _, val in given]


def read_period(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], period: str, order_by: str
) -> pd.DataFrame:
    """The stored rows of ``period``, as SQLite gives them; the table must exist (see table_exists)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return pd.read_sql_query(
        f"SELECT {cols} FROM {table} WHERE period = ? ORDER BY {order_by}", conn, params=(period,)
    )


def replace_period(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], period: str, rows: pd.DataFrame
) -> None:
    """Replace the rows of ``period`` by ``rows`` (missing values stored as NULL); the table must exist.

    Call inside the store's transaction, so readers never see a half-replaced period.
    """
    conn.execute(f"DELETE FROM {table} WHERE period = ?", (period,))
    frame = rows[list(columns)].astype(object)
    frame = frame.where(rows[list(columns)].notna(), None)
    cols = ", ".join(f'"{c}"' for c in columns)
    conn.executemany(
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})",
        frame.itertuples(index=False, name=None),
    )
