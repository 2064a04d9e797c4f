"""One SQL surface over the two backends: the GeoPackage's sqlite3 connection and PostgreSQL's.

The tables both backends share (versions, audit, ledger, alerts, users...) are written once, in
portable SQL with DB-API ``qmark`` parameters as sqlite3 takes them. :class:`PgConn` gives a
psycopg 3 connection the same face: it rewrites ``?`` to psycopg's ``%s`` (once per statement
text, cached) and passes everything else through, so a module needs no second copy of its SQL.
What is not portable (DDL, spatial functions, bulk loads) branches on :func:`dialect` in one
place of the module concerned.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    import psycopg

Dialect = Literal["sqlite", "postgresql"]

__all__ = ["Dialect", "PgConn", "dialect", "qmark_to_format", "read_frame"]


@lru_cache(maxsize=4096)
def qmark_to_format(sql: str) -> str:
    """``?`` placeholders outside quotes become ``%s``; a literal ``%`` becomes ``%%``.

    psycopg parses the whole statement for placeholders when parameters are given, so ``%``
    must be doubled even inside string literals, while a ``?`` inside quotes is text.

    >>> qmark_to_format("SELECT '?', x FROM t WHERE a = ? AND b LIKE 'z%'")
    "SELECT '?', x FROM t WHERE a = %s AND b LIKE 'z%%'"
    """
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if ch == "%":
            out.append("%%")
            continue
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append(ch)
    return "".join(out)


class PgConn:
    """A psycopg 3 connection (autocommit) that takes the GeoPackage modules' qmark SQL.

    Transactions are explicit, as on the GeoPackage store (``isolation_level=None``): either
    :meth:`transaction` or ``BEGIN``/``COMMIT``/``ROLLBACK`` statements, which pass through.
    ``raw`` is the psycopg connection itself, for what has no sqlite3 twin (``COPY``).
    """

    dialect: Dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        if not params:
            return self.raw.execute(sql)
        return self.raw.execute(qmark_to_format(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cur = self.raw.cursor()
        cur.executemany(qmark_to_format(sql), [tuple(r) for r in rows])
        return cur

    def cursor(self) -> psycopg.Cursor[Any]:
        return self.raw.cursor()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PgConn]:
        """One transaction (a savepoint when nested); rolled back if the block raises."""
        with self.raw.transaction():
            yield self

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def dialect(conn: Any) -> Dialect:
    """Which SQL the connection speaks: ``"sqlite"`` (the GeoPackage) or ``"postgresql"``."""
    if isinstance(conn, sqlite3.Connection):
        return "sqlite"
    found: Dialect = getattr(conn, "dialect", "sqlite")
    return found


def read_frame(conn: Any, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """The rows of a qmark query as a DataFrame, on either backend (column names from the query)."""
    if isinstance(conn, sqlite3.Connection):
        cur = conn.execute(sql, tuple(params or ()))
    else:
        cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return pd.DataFrame.from_records(cur.fetchall(), columns=names)
