"""The server store: one PostgreSQL schema with PostGIS, the same Store protocol as the GeoPackage.

Tables and columns carry the GeoPackage's names (``liuyu_versions``, ``audit_log``, one table
per category with ``version_from``/``version_to`` and a ``<code>_current`` view), so the shared
modules (ledger, alerts, audit, accounts, export) run their portable SQL through
:class:`~liuyu.store.sqlconn.PgConn` unchanged. Raster files stay in the workspace folder;
only their registry rows are in the database.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import pandas as pd

from liuyu.catalog import Category
from liuyu.errors import StoreError
from liuyu.store import pg_query, pg_schema
from liuyu.store.base import Scope
from liuyu.store.gpkg_rasters import RasterTables
from liuyu.store.pg_layers import PgLayerWriter, one, read_features, refuse_nul
from liuyu.store.pg_network import PgNetworkTables
from liuyu.store.query import LayerExtent
from liuyu.store.sql_store import STORAGE_SRS, FeatureQueries, SqlStore
from liuyu.store.sqlconn import PgConn

__all__ = ["STORAGE_SRS", "PostgisStore"]


class PostgisStore(SqlStore, PgNetworkTables, RasterTables):
    """A Liuyu workspace's store in one schema of a PostgreSQL database with PostGIS.

    ``conn`` is a :class:`PgConn` (autocommit; ``transaction()`` groups writes), with the
    workspace schema first on the search path, then ``public`` where PostGIS lives.
    """

    _queries: ClassVar[FeatureQueries] = pg_query

    def __init__(self, conn: PgConn, schema: str, location: str, root: Path) -> None:
        self.schema = schema
        self.location = location
        self.root = root
        self._conninfo = pg_schema.split_location(location)[0]
        self._extents: dict[str, tuple[tuple[int | None, str | None], LayerExtent]] = {}
        self._local = threading.local()
        self._local.conn = conn
        self._all = [conn]
        self._guard = threading.Lock()
        self._closed = False

    @property
    def conn(self) -> PgConn:  # type: ignore[override]  # RasterTables is typed for sqlite3
        """The calling thread's connection, made on first use (and again if the server dropped it).

        The API serves requests from a thread pool through one store: a connection per thread keeps
        an ingest's transaction in one thread from mixing with the reads of another.
        """
        conn: PgConn | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.raw.closed and not conn.raw.broken:
            return conn
        if self._closed:
            raise StoreError("the store is closed", hint="open the workspace again")
        raw = pg_schema.connect(self._conninfo)
        pg_schema.set_search_path(raw, self.schema)
        conn = PgConn(raw)
        self._local.conn = conn
        with self._guard:
            self._all.append(conn)
        return conn

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, location: str, root: Path, *, create: bool = False) -> PostgisStore:
        """Open (or with ``create`` make) the workspace schema named by ``location``."""
        conninfo, schema = pg_schema.split_location(location)
        return cls(PgConn(pg_schema.open_schema(conninfo, schema, create=create)), schema, location, root)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._guard:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PgConn]:  # type: ignore[override]
        """One PostgreSQL transaction: everything inside lands together or not at all."""
        with self.conn.transaction() as conn:
            yield conn

    def _lock(self, conn: PgConn, code: str) -> None:
        """Serialize writers of one category (versions are numbered max + 1) until the transaction ends."""
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (f"liuyu:{self.schema}:{code}",))

    def clone(self, schema: str, *, unlogged: bool = False) -> str:
        """Copy this workspace's schema to ``schema`` (tests, trials); returns the copy's location.

        ``unlogged``: a throw-away copy without write-ahead log (faster; a server crash may empty it).
        """
        try:
            pg_schema.clone_schema(self.conn.raw, self.schema, schema, unlogged=unlogged)
        finally:
            pg_schema.set_search_path(self.conn.raw, self.schema)
        return pg_schema.with_schema(self.location, schema)

    # --- what differs from the GeoPackage (the rest: sql_store.SqlStore) -------------------------
    def _read_features(self, category: Category, **kwargs: Any) -> gpd.GeoDataFrame:
        return read_features(self.conn, category, **kwargs)

    def _layer_writer(self, category: Category, scope: Scope | None) -> PgLayerWriter:
        return PgLayerWriter(self, category, scope)  # type: ignore[arg-type]

    def _check_frame(self, norm: pd.DataFrame, category: Category) -> None:
        refuse_nul(norm, category)

    def _copy_back(self, conn: Any, t: str, new: int, to_version: int) -> int:
        """PostgreSQL is given the fids (max + 1, ... in the old rows' order) that SQLite would pick."""
        cols = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(? AS regclass) AND attnum > 0 "
                "AND NOT attisdropped ORDER BY attnum",
                (f'"{t}"',),
            )
            if r[0] not in ("fid", "version_from", "version_to")
        ]
        collist = ", ".join(f'"{c}"' for c in cols)
        start = int(one(conn, f'SELECT coalesce(max(fid), 0) FROM "{t}"')[0])
        n_back: int = conn.execute(
            f'INSERT INTO "{t}" (fid, {collist}, version_from) '
            f'SELECT ? + row_number() OVER (ORDER BY fid), {collist}, ? FROM "{t}" '
            "WHERE version_from <= ? AND version_to IS NOT NULL AND version_to > ?",
            (start, new, to_version, to_version),
        ).rowcount
        return n_back

    def layer_extent(self, category: Category) -> LayerExtent:
        """Worked out once per version of the layer (ST_Extent reads the whole current layer)."""
        stamp = (self.current_version(category.code), category.time_field)
        cached = self._extents.get(category.code)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        extent = pg_query.layer_extent(self.conn, category)
        self._extents[category.code] = (stamp, extent)
        return extent
