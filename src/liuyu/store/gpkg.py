"""The embedded default store: one GeoPackage that QGIS opens, written through SQLite transactions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd

from liuyu.catalog import Category, load_categories
from liuyu.errors import StoreError
from liuyu.store import gpkg_binary, gpkg_query, gpkg_schema
from liuyu.store.base import Scope, utc_now
from liuyu.store.gpkg_layers import LayerWriter, read_features
from liuyu.store.gpkg_network import NetworkTables
from liuyu.store.gpkg_rasters import RasterTables
from liuyu.store.query import LayerExtent
from liuyu.store.sql_store import STORAGE_SRS, FeatureQueries, SqlStore, version_info


class GpkgStore(SqlStore, NetworkTables, RasterTables):
    """A Liuyu workspace's store in one GeoPackage file (``liuyu.gpkg``).

    Every category is a standard GPKG feature table named by its code, with an R-tree, so
    QGIS, GDAL and ``pyogrio.list_layers`` see it directly; the rows of every version are in
    that one table with ``version_from``/``version_to`` columns, and a ``<code>_current`` view
    shows only the current features.
    """

    _queries: ClassVar[FeatureQueries] = gpkg_query

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        for hook in gpkg_schema.open_hooks():
            hook(conn)

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, location: str, root: Path, *, create: bool = False) -> GpkgStore:
        path = Path(location)
        if not path.is_absolute():
            path = root / path
        if create:
            if path.exists():
                raise StoreError(f"{path} already exists", hint="choose another path or remove it")
            return cls._create(path)
        if not path.exists():
            raise StoreError(
                f"the store {path} is missing",
                hint="restore it from a backup, or point [store] path in liuyu.toml at the right file",
            )
        return cls._open_existing(path)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # WAL lets readers (the server) go on while an ingest writes; with WAL, synchronous=NORMAL
        # cannot corrupt the file (a power cut may lose only the last commit, never half of one).
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")
        gpkg_binary.register_sql_functions(conn)
        return conn

    @classmethod
    def _create(cls, path: Path) -> GpkgStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = cls._connect(path)
        try:
            conn.execute(f"PRAGMA application_id = {gpkg_schema.APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {gpkg_schema.USER_VERSION}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN")
            for stmt in _split(gpkg_schema.CORE + gpkg_schema.LIUYU):
                conn.execute(stmt)
            conn.executemany(
                "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", gpkg_schema.srs_rows()
            )
            for cat in load_categories().values():
                if not cat.is_raster:
                    for stmt in gpkg_schema.category_table(cat, STORAGE_SRS):
                        conn.execute(stmt)
            for table, (ident, desc) in gpkg_schema.ATTRIBUTE_TABLES.items():
                conn.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                    "VALUES (?, 'attributes', ?, ?)",
                    (table, ident, desc),
                )
            conn.executemany(
                "INSERT INTO liuyu_meta VALUES (?, ?)",
                [
                    ("application", "liuyu"),
                    ("schema_version", str(gpkg_schema.SCHEMA_VERSION)),
                    ("created_at", utc_now()),
                ],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            path.unlink(missing_ok=True)
            raise
        return cls(path, conn)

    @classmethod
    def _open_existing(cls, path: Path) -> GpkgStore:
        try:
            conn = cls._connect(path)
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a readable GeoPackage ({exc})",
                hint="the file is corrupt or not a database: restore it from a backup, "
                "or move it aside and rebuild the workspace",
            ) from exc
        if app != gpkg_schema.APPLICATION_ID or "gpkg_contents" not in tables:
            conn.close()
            raise StoreError(
                f"{path} is an SQLite file but not a GeoPackage", hint="point [store] path at a Liuyu store"
            )
        if "liuyu_meta" not in tables:
            conn.close()
            raise StoreError(
                f"{path} is a GeoPackage, but not a Liuyu store",
                hint="to load its layers into a workspace use `liuyu ingest layer FILE --category CODE`",
            )
        version = conn.execute("SELECT value FROM liuyu_meta WHERE key='schema_version'").fetchone()
        if version is None or int(version[0]) > gpkg_schema.SCHEMA_VERSION:
            conn.close()
            raise StoreError(
                f"{path} was written by a newer Liuyu", hint="upgrade Liuyu (`pip install -U liuyu`)"
            )
        return cls(path, conn)

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction: everything inside lands together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- what differs from PostGIS (the rest: sql_store.SqlStore) ------------------------------
    def _read_features(self, category: Category, **kwargs: Any) -> gpd.GeoDataFrame:
        return read_features(self.conn, category, **kwargs)

    def _layer_writer(self, category: Category, scope: Scope | None) -> LayerWriter:
        return LayerWriter(self, category, scope)

    def _copy_back(self, conn: Any, t: str, new: int, to_version: int) -> int:
        """SQLite numbers the copies' fids itself, in the old rows' order."""
        cols = [
            r[1]
            for r in conn.execute(f'PRAGMA table_info("{t}")')
            if r[1] not in ("fid", "version_from", "version_to")
        ]
        collist = ", ".join(f'"{c}"' for c in cols)
        n_back: int = conn.execute(
            f'INSERT INTO "{t}" ({collist}, version_from) SELECT {collist}, ? FROM "{t}" '
            f"WHERE version_from <= ? AND version_to IS NOT NULL AND version_to > ? ORDER BY fid",
            (new, to_version, to_version),
        ).rowcount
        return n_back

    def _touched(self, conn: Any, t: str) -> None:
        LayerWriter.touch_contents(conn, t)

    def layer_extent(self, category: Category) -> LayerExtent:
        return gpkg_query.layer_extent(self.conn, category)


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


_version_info = version_info  # the older name, kept for importers


__all__ = ["GpkgStore"]
