"""The quarantine table of the GeoPackage store: every feature an ingest rejected, and why.

The table is created on first use (``CREATE TABLE IF NOT EXISTS``), so workspaces made before
it existed keep working. It is registered as a GeoPackage "attributes" table so QGIS lists
it; the geometry is kept as plain WKB in EPSG:4490 (a rejected geometry may be invalid, which
a GPKG feature table would not take). A unique index on (category, source checksum, row,
reason, field) makes re-ingesting the same file add no second copy of the same rejection.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd

TABLE = "liuyu_quarantine"
COLUMNS = (
    "ingest_id",
    "category",
    "created_at",
    "source_name",
    "source_checksum",
    "row",
    "reason",
    "field",
    "value",
    "problems",
    "attributes",
    "geom",
)

DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  id INTEGER PRIMARY KEY, ingest_id TEXT NOT NULL, category TEXT NOT NULL, created_at TEXT NOT NULL,
  source_name TEXT, source_checksum TEXT, row INTEGER, reason TEXT NOT NULL, field TEXT, value TEXT,
  problems TEXT, attributes TEXT, geom BLOB);
CREATE UNIQUE INDEX IF NOT EXISTS ux_{TABLE}_rejection ON {TABLE} (
  category, coalesce(source_checksum, ''), coalesce(row, -1), reason, coalesce(field, ''));
CREATE INDEX IF NOT EXISTS ix_{TABLE}_ingest ON {TABLE} (ingest_id);
"""


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the table and its indexes if missing, and list it in gpkg_contents for QGIS."""
    for stmt in (s.strip() for s in DDL.split(";")):
        if stmt:
            conn.execute(stmt)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (TABLE, "隔离区 Quarantine", "Features rejected by ingests: reason, source file, row, field, WKB"),
    )


def add(conn: sqlite3.Connection, records: pd.DataFrame) -> int:
    """Insert quarantine records (columns as :data:`COLUMNS`); returns how many were new."""
    if records.empty:
        return 0
    ensure_table(conn)
    cols = ", ".join(COLUMNS)
    before = conn.total_changes
    conn.executemany(
        f"INSERT OR IGNORE INTO {TABLE} ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})",
        records[list(COLUMNS)]
        .astype(object)
        .where(records[list(COLUMNS)].notna(), None)
        .itertuples(index=False, name=None),
    )
    return conn.total_changes - before


def read(
    conn: sqlite3.Connection,
    *,
    ingest_id: str | None = None,
    category: str | None = None,
    record_id: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Quarantine records, newest first, optionally filtered (empty if nothing was ever rejected)."""
    if not _exists(conn):
        return pd.DataFrame(columns=["id", *COLUMNS])
    where, params = _where(ingest_id=ingest_id, category=category, id=record_id)
    sql = f"SELECT id, {', '.join(COLUMNS)} FROM {TABLE}{where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return pd.read_sql_query(sql, conn, params=params)


def summary(conn: sqlite3.Connection, *, category: str | None = None) -> pd.DataFrame:
    """One row per ingest with rejections: when, category, source, count and reasons."""
    if not _exists(conn):
        return pd.DataFrame(columns=["ingest_id", "category", "created_at", "source_name", "n", "reasons"])
    where, params = _where(category=category)
    return pd.read_sql_query(
        f"SELECT ingest_id, category, min(created_at) AS created_at, source_name, count(*) AS n, "
        f"group_concat(DISTINCT reason) AS reasons FROM {TABLE}{where} "
        f"GROUP BY ingest_id, category, source_name ORDER BY min(id) DESC",
        conn,
        params=params,
    )


def add_atomically(store: Any, records: pd.DataFrame, user: str) -> int:
    """Insert in one transaction of ``store`` (a GpkgStore) and audit it; returns rows added."""
    if records.empty:
        return 0
    with store.transaction() as conn:
        n = add(conn, records)
        store._audit(
            conn,
            user,
            "quarantine.add",
            f"{records['category'].iloc[0]}@{records['ingest_id'].iloc[0]}",
            detail={"records": n, "source": records["source_name"].iloc[0]},
        )
    return n


def _exists(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()
    return row is not None


def _where(**filters: Any) -> tuple[str, list[Any]]:
    parts = [(f"{k} = ?", v) for k, v in filters.items() if v is not None]
    if not parts:
        return "", []
    return " WHERE " + " AND ".join(p for p, _ in parts), [v for _, v in parts]
