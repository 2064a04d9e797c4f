"""Shared pieces of the security tests: hostile inputs, a planted secret, and checks of what answers say.

The workspace is a private copy of the demo (both backends: in the PostGIS pass the copy is a
cloned schema), so that an attack that did get through could not damage another test's data.
"""

from __future__ import annotations

from typing import Any

SECRET = "LEAKED-5d1e8b2c"
"""Planted in a table no route serves (``secret_sentinel``); no answer may ever contain it."""

SQL_PAYLOADS = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    '" OR ""="',
    "1 OR 1=1",
    "1; DROP TABLE liuyu_versions; --",
    "'; DELETE FROM stations; --",
    "') OR ('x'='x",
    "' UNION SELECT v, v, v FROM secret_sentinel --",
    "1 UNION ALL SELECT v FROM secret_sentinel",
    "'||(SELECT v FROM secret_sentinel)||'",
    "x'); SELECT pg_sleep(10); --",
    "%' AND 1=(SELECT COUNT(*) FROM sqlite_master) --",
    "\\'; --",
    "$1",
    "?",
    "%s",
    "\x00",
]
"""Classic injection strings for SQLite and PostgreSQL; each must be taken as a literal value or refused."""

SWEEP_PAYLOADS = [SQL_PAYLOADS[i] for i in (0, 1, 4, 7, 9, 10, 13, 16)]
"""A smaller set for the sweep over every parameter of every route."""

ERROR_MARKERS = [
    "Traceback",
    "OperationalError",
    "ProgrammingError",
    "psycopg",
    "sqlite3.",
    "syntax error at or near",
    '": syntax error',
    "CREATE TABLE",
    "gpkg_spatial_ref_sys",
    "pg_catalog",
    "root:x:0:0",
    SECRET,
]
"""Text that must never appear in an answer: internals, SQL errors, files, the planted secret."""


def plant_secret(conn: Any) -> None:
    """A table no route serves, holding :data:`SECRET` (portable SQL, both backends)."""
    conn.execute("CREATE TABLE secret_sentinel (v TEXT)")
    conn.execute("INSERT INTO secret_sentinel (v) VALUES (?)", (SECRET,))


def table_counts(conn: Any) -> dict[str, int]:
    """Every table of the workspace's store with its row count."""
    from liuyu.store.sqlconn import dialect

    if dialect(conn) == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'rtree_%'"
        )
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    names = [row[0] for row in conn.execute(sql).fetchall()]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def assert_intact(before: dict[str, int], after: dict[str, int]) -> None:
    """No table dropped, none lost a row (reads may add cache or log rows; nothing may go)."""
    missing = sorted(set(before) - set(after))
    assert not missing, f"tables gone: {missing}"
    shrunk = {t: (before[t], after[t]) for t in before if after[t] < before[t]}
    assert not shrunk, f"tables lost rows: {shrunk}"


def assert_safe(response: Any, what: str) -> None:
    """No server error and nothing that must not leak, in the status or the body."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    text = response.text if _is_text(response) else ""
    for marker in ERROR_MARKERS:
        assert marker not in text, f"{what}: the answer contains {marker!r}: {text[:300]}"


def _is_text(response: Any) -> bool:
    kind = response.headers.get("content-type", "")
    return kind.startswith(("text/", "application/json", "application/geo+json", "application/problem"))
