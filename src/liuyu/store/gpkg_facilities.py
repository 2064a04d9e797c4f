"""The ``facility_proposals`` table: changes to a sewage facility's record proposed by an inspection.

One row per proposal: the proposed field values and the values they replace (JSON), who proposed
it, when and why; an editor approves it (a new version of ``sewage_facilities`` is written and its
number kept here) or rejects it. Created when a store is opened (``gpkg_schema.open_hooks``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pandas as pd

from liuyu.store import gpkg_tables

TABLE = "facility_proposals"
STATES = ("pending", "approved", "rejected")
COLUMNS = (
    "id",
    "facility_code",
    "jurisdiction",
    "fields",
    "before",
    "reason",
    "proposed_by",
    "proposed_at",
    "state",
    "decided_by",
    "decided_at",
    "decision_note",
    "version",
)
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  id INTEGER PRIMARY KEY, facility_code TEXT NOT NULL, jurisdiction TEXT, fields TEXT NOT NULL,
  before TEXT, reason TEXT, proposed_by TEXT NOT NULL, proposed_at TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  decided_by TEXT, decided_at TEXT, decision_note TEXT, version INTEGER)
"""


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the table when missing (cheap check first: opening a store must not take a write lock)."""
    if gpkg_tables.table_exists(conn, TABLE):
        return
    index = f"CREATE INDEX IF NOT EXISTS {TABLE}_facility ON {TABLE} (facility_code, state)"
    conn.execute("BEGIN IMMEDIATE")
    try:
        gpkg_tables.create(
            conn,
            TABLE,
            (DDL, index),
            "设施变更申请 Facility proposals",
            "Proposed changes to sewage facility records",
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def insert(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    """Add a pending proposal; returns its id."""
    cols = ("facility_code", "jurisdiction", "fields", "before", "reason", "proposed_by", "proposed_at")
    values = [
        json.dumps(row[c], ensure_ascii=False, default=str) if c in ("fields", "before") else row[c]
        for c in cols
    ]
    cur = conn.execute(
        f"INSERT INTO {TABLE} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values
    )
    return int(cur.lastrowid or 0)


def decide(
    conn: sqlite3.Connection,
    proposal_id: int,
    state: str,
    user: str,
    at: str,
    note: str | None,
    version: int | None,
) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET state = ?, decided_by = ?, decided_at = ?, decision_note = ?, version = ? "
        "WHERE id = ? AND state = 'pending'",
        (state, user, at, note, version, proposal_id),
    )


def read(
    conn: sqlite3.Connection,
    *,
    proposal_id: int | None = None,
    state: str | None = None,
    facility_code: str | None = None,
) -> pd.DataFrame:
    """Proposals matching every filter given, newest first; ``fields`` and ``before`` decoded."""
    where, params = gpkg_tables.where(
        (("id", proposal_id), ("state", state), ("facility_code", facility_code))
    )
    sql = f"SELECT {', '.join(COLUMNS)} FROM {TABLE}{where}"
    frame = pd.read_sql_query(sql + " ORDER BY id DESC", conn, params=params)
    for col in ("fields", "before"):
        frame[col] = frame[col].map(lambda v: None if v is None else json.loads(v))
    frame["version"] = frame["version"].astype("Int64")
    return frame
