"""The ``alerts`` table of the GeoPackage store: raised, acknowledged and resolved alerts, one row per key.

Created when a store is opened (``gpkg_schema.open_hooks``) and listed in gpkg_contents. The key
(kind|subject|period) is unique, so re-evaluating a condition refreshes ``last_seen`` instead of
adding a row. Notification bookkeeping (``notified_at``, attempts, last error) lives on the row,
so an alert whose sending failed is retried at the next check and never lost.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pandas as pd

from liuyu.errors import StoreError
from liuyu.store import gpkg_tables

if TYPE_CHECKING:
    from liuyu.assess.alerts import Plan

TABLE = "alerts"
STATES = ("open", "acknowledged", "resolved")
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, subject TEXT NOT NULL,
  subject_name TEXT, period TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
  message_zh TEXT, message_en TEXT, value REAL, verified INTEGER, details TEXT,
  jurisdiction TEXT, longitude REAL, latitude REAL,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, resolved_at TEXT,
  acknowledged_by TEXT, acknowledged_at TEXT, ack_note TEXT,
  notified_at TEXT, notify_attempts INTEGER NOT NULL DEFAULT 0, notify_error TEXT)
"""
COLUMNS = (
    "id",
    "key",
    "kind",
    "subject",
    "subject_name",
    "period",
    "severity",
    "state",
    "message_zh",
    "message_en",
    "value",
    "verified",
    "details",
    "jurisdiction",
    "longitude",
    "latitude",
    "first_seen",
    "last_seen",
    "resolved_at",
    "acknowledged_by",
    "acknowledged_at",
    "ack_note",
    "notified_at",
    "notify_attempts",
    "notify_error",
)
_NEW = (
    "key",
    "kind",
    "subject",
    "subject_name",
    "period",
    "severity",
    "message_zh",
    "message_en",
    "value",
    "verified",
    "details",
    "jurisdiction",
    "longitude",
    "latitude",
)


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the table when missing (cheap check first: opening a store must not take a write lock)."""
    if gpkg_tables.table_exists(conn, TABLE):
        return
    index = f"CREATE INDEX IF NOT EXISTS {TABLE}_state ON {TABLE} (state, kind)"
    gpkg_tables.create(
        conn, TABLE, (DDL, index), "告警 Alerts", "Alerts raised by `liuyu alerts check`, with their state"
    )


def read(
    conn: sqlite3.Connection,
    *,
    state: str | None = None,
    kind: str | None = None,
    jurisdiction: str | None = None,
    alert_id: int | None = None,
) -> pd.DataFrame:
    """Alerts matching every filter given, newest first."""
    where, params = gpkg_tables.where(
        (("state", state), ("kind", kind), ("jurisdiction", jurisdiction), ("id", alert_id))
    )
    sql = f"SELECT {', '.join(COLUMNS)} FROM {TABLE}{where}"
    frame = pd.read_sql_query(sql + " ORDER BY last_seen DESC, id DESC", conn, params=params)
    frame["verified"] = frame["verified"].astype("boolean")
    return frame


def apply(conn: sqlite3.Connection, plan: Plan, places: pd.DataFrame, now: str) -> list[int]:
    """Write an evaluation's plan (inside a transaction); returns the ids of the new alerts.

    ``places`` (index station code) gives jurisdiction, longitude and latitude of each subject.
    """
    new = plan.new.join(places, on="subject")
    rows = new.reindex(columns=list(_NEW)).astype(object).where(new.reindex(columns=list(_NEW)).notna(), None)
    cols, marks = ", ".join(_NEW), ", ".join("?" * len(_NEW))
    ids = []
    for values in rows.itertuples(index=False, name=None):
        cur = conn.execute(
            f"INSERT INTO {TABLE} ({cols}, first_seen, last_seen) VALUES ({marks}, ?, ?)",
            (*values, now, now),
        )
        ids.append(int(cur.lastrowid or 0))
    conn.executemany(
        f"UPDATE {TABLE} SET last_seen = ?, severity = ?, message_zh = ?, message_en = ?, value = ?, "
        "details = ? WHERE id = ?",
        [
            (now, r.severity, r.message_zh, r.message_en, _num(r.value), r.details, int(r.id))
            for r in plan.seen.itertuples(index=False)
        ],
    )
    conn.executemany(
        f"UPDATE {TABLE} SET state = 'open', resolved_at = NULL, acknowledged_by = NULL, "
        "acknowledged_at = NULL, ack_note = NULL, notified_at = NULL WHERE id = ?",
        [(i,) for i in plan.reopened],
    )
    conn.executemany(
        f"UPDATE {TABLE} SET state = 'resolved', resolved_at = ? WHERE id = ?",
        [(now, i) for i in plan.resolved],
    )
    return ids


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def acknowledge(conn: sqlite3.Connection, alert_id: int, user: str, note: str | None, now: str) -> None:
    """Mark an open alert acknowledged by ``user``; a resolved one cannot be acknowledged."""
    row = conn.execute(f"SELECT state FROM {TABLE} WHERE id = ?", (alert_id,)).fetchone()
    if row is None:
        raise StoreError(f"no alert with id {alert_id}", hint="list them with `liuyu alerts list`")
    if row[0] == "resolved":
        raise StoreError(f"alert {alert_id} is already resolved", hint="nothing to acknowledge")
    conn.execute(
        f"UPDATE {TABLE} SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, ack_note = ? "
        "WHERE id = ?",
        (user, now, note, alert_id),
    )


def unsent(conn: sqlite3.Connection) -> pd.DataFrame:
    """Alerts not yet sent (new ones, and ones whose sending failed before), oldest first."""
    frame = read(conn)
    return frame[frame["notified_at"].isna() & (frame["state"] != "resolved")].sort_values("id")


def mark_sent(conn: sqlite3.Connection, alert_id: int, now: str | None, error: str | None) -> None:
    """Record one sending attempt: its time when it worked, its error when it did not."""
    conn.execute(
        f"UPDATE {TABLE} SET notified_at = ?, notify_attempts = notify_attempts + 1, notify_error = ? "
        "WHERE id = ?",
        (now, error, alert_id),
    )
