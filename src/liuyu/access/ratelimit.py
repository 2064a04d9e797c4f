"""Login rate limiting: after N failed logins of one user from one address within a window, wait.

The attempts are rows in the store (``liuyu_login_attempts``), so every API worker sees the same
count; a successful login starts the count afresh.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from liuyu.access.accounts import iso, now
from liuyu.access.tables import ATTEMPTS, ensure_tables


def record_attempt(store: Any, user: str, ip: str, ok: bool) -> None:
    """Keep one login attempt, and forget attempts older than a day (the table stays small)."""
    ensure_tables(store)
    at = now()
    with store.transaction() as conn:
        conn.execute(
            f"INSERT INTO {ATTEMPTS} (user_name, ip, at, ok) VALUES (?, ?, ?, ?)",
            (user, ip, iso(at), int(ok)),
        )
        conn.execute(f"DELETE FROM {ATTEMPTS} WHERE at < ?", (iso(at - dt.timedelta(days=1)),))
        if not ok:
            store._audit(conn, user, "session.login_failed", f"user:{user}", detail={"ip": ip})


def retry_after(store: Any, user: str, ip: str, max_failures: int, window_s: float) -> int:
    """Seconds until ``user`` may try again from ``ip``; 0 when not blocked.

    Blocked when ``max_failures`` failures (since the last success) fall within ``window_s``;
    the block ends ``window_s`` after the oldest of those failures.
    """
    ensure_tables(store)
    t = now()
    since = iso(t - dt.timedelta(seconds=window_s))
    rows = store.conn.execute(
        f"SELECT at, ok FROM {ATTEMPTS} WHERE user_name = ? AND ip = ? AND at >= ? ORDER BY at DESC",
        (user, ip, since),
    ).fetchall()
    failures: list[str] = []
    for at, ok in rows:  # newest first, a handful of rows at most
        if int(ok):
            break
        failures.append(at)
    if len(failures) < max_failures:
        return 0
    oldest = dt.datetime.strptime(failures[max_failures - 1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return max(1, math.ceil((oldest + dt.timedelta(seconds=window_s) - t).total_seconds()))
