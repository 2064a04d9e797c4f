"""Attribute tables both stores share, made on first use (alerts, proposals, derived results).

They are created when first needed, so workspaces made before them keep working. In a GeoPackage
they are listed in gpkg_contents as "attributes" so QGIS shows them; on PostgreSQL each module's
``PG_DDL`` makes the same table (``dialect`` decides which). The derived ones (assessments,
discharge compliance) hold rows computed per period, each with the fingerprint of its inputs,
and a period's rows are replaced together. All SQL here is portable (qmark parameters, see
:mod:`liuyu.store.sqlconn`); what is not is branched on :func:`dialect` in this one module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from liuyu.errors import StoreError
from liuyu.store.sqlconn import dialect, read_frame


class SqlStore(Protocol):
    """What the shared tables need of a store beyond the Store protocol; both backends have it."""

    @property
    def conn(self) -> Any:
        """sqlite3 for the GeoPackage, a :class:`~liuyu.store.sqlconn.PgConn` for PostGIS."""
        ...

    def transaction(self) -> contextlib.AbstractContextManager[Any]: ...

    def _audit(
        self,
        conn: Any,
        user: str,
        action: str,
        target: str,
        *,
        detail: Any = None,
        before: Any = None,
        after: Any = None,
    ) -> None: ...


def sql_store(store: Any) -> SqlStore:
    """The store as one that holds Liuyu's own tables (ledger, alerts, derived results).

    Both built-in backends do; a third-party backend without an SQL connection cannot, and says so.
    """
    if getattr(store, "conn", None) is None or not hasattr(store, "transaction"):
        raise StoreError(
            f"{type(store).__name__} has no SQL connection for Liuyu's own tables (ledger, alerts, ...)",
            hint="use a workspace whose [store] location is a .gpkg file or a postgresql:// URL",
        )
    return cast(SqlStore, store)


def sql_conn(store: Any) -> Any:
    """The SQL connection of a store (sqlite3 for the GeoPackage, a PgConn for PostGIS); see sql_store."""
    return sql_store(store).conn


def table_exists(conn: Any, table: str) -> bool:
    """Whether ``table`` exists (in the workspace's schema on PostgreSQL)."""
    if dialect(conn) == "postgresql":
        row = conn.execute(  # the workspace's own schema only, never a same-named table in public
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = ? AND c.relkind IN ('r', 'p'))",
            (table,),
        )
        return bool(row.fetchone()[0])
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    return row.fetchone() is not None


def create(
    conn: Any,
    table: str,
    statements: Sequence[str],
    identifier: str,
    description: str,
    pg_statements: Sequence[str] = (),
) -> None:
    """Run the dialect's ``CREATE ... IF NOT EXISTS`` statements; in a GeoPackage list ``table`` for QGIS."""
    if dialect(conn) == "postgresql":
        if not table_exists(conn, table):  # no DDL (and its table locks) on every write once it exists
            for stmt in pg_statements:
                conn.execute(stmt)
        return
    for stmt in statements:
        conn.execute(stmt)
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?) ON CONFLICT DO NOTHING",
        (table, identifier, description),
    )


@contextlib.contextmanager
def transaction(conn: Any) -> Iterator[None]:
    """One transaction on a bare connection (schema changes at open time, before the store exists)."""
    if dialect(conn) == "postgresql":
        with conn.transaction():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def lock(conn: Any, table: str) -> None:
    """Serialize writers of ``table`` inside the current transaction (read-then-insert, e.g. next code).

    A GeoPackage transaction (BEGIN IMMEDIATE) already holds the one write lock; PostgreSQL lets
    writers run side by side, so the table is locked against other writers (readers go on).
    """
    if dialect(conn) == "postgresql":
        conn.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def where(filters: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`` WHERE a = ? AND b = ?`` for the (column, value) pairs whose value is given, and the values."""
    given = [(col, val) for col, val in filters if val is not None]
    if not given:
        return "", []
    return " WHERE " + " AND ".join(f"{col} = ?" for col, _ in given), [val for _, val in given]


def plain_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of Python values both drivers bind: missing -> None, booleans -> 0/1."""
    part = frame[list(columns)]
    values = part.astype(object).where(part.notna(), None)
    for col in columns:  # PostgreSQL refuses a boolean for an INTEGER flag column; SQLite stores 1/0
        if part[col].dtype == object or pd.api.types.is_bool_dtype(part[col]):
            flags = [int(v) if isinstance(v, bool | np.bool_) else v for v in values[col]]
            values[col] = pd.Series(flags, index=values.index, dtype=object)  # object: None stays None
    return list(values.itertuples(index=False, name=None))


def read_period(conn: Any, table: str, columns: Sequence[str], period: str, order_by: str) -> pd.DataFrame:
    """The stored rows of ``period``; the table must exist (see table_exists)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return read_frame(conn, f"SELECT {cols} FROM {table} WHERE period = ? ORDER BY {order_by}", (period,))


def replace_period(conn: Any, table: str, columns: Sequence[str], period: str, rows: pd.DataFrame) -> None:
    """Replace the rows of ``period`` by ``rows`` (missing values stored as NULL); the table must exist.

    Call inside the store's transaction, so readers never see a half-replaced period.
    """
    from liuyu.store import audit

    old = conn.execute(f"SELECT count(*) FROM {table} WHERE period = ?", (period,)).fetchone()[0]
    conn.execute(f"DELETE FROM {table} WHERE period = ?", (period,))
    cols = ", ".join(f'"{c}"' for c in columns)
    conn.executemany(
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})", plain_rows(rows, columns)
    )
    audit.record(
        conn,
        "liuyu",
        f"{table}.store",
        f"{table}:{period}",
        before={"rows": int(old)},
        after={"rows": len(rows)},
    )
