"""The embedded default store: one GeoPackage that QGIS opens, written through SQLite transactions."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from liuyu.catalog import Category, load_categories
from liuyu.errors import StoreError, VersionError
from liuyu.store import audit, gpkg_binary, gpkg_quarantine, gpkg_query, gpkg_schema
from liuyu.store.base import LayerDiff, Provenance, Scope, VersionInfo, utc_now
from liuyu.store.frames import content_hashes, feature_keys, geometry_wkb, normalize_frame
from liuyu.store.gpkg_layers import LayerWriter, read_features
from liuyu.store.gpkg_network import NetworkTables
from liuyu.store.gpkg_rasters import RasterTables
from liuyu.store.query import FeatureQuery, FeatureRows, LayerExtent

STORAGE_SRS = 4490


class GpkgStore(NetworkTables, RasterTables):
    """A Liuyu workspace's store in one GeoPackage file (``liuyu.gpkg``).

    Every category is a standard GPKG feature table named by its code, with an R-tree, so
    QGIS, GDAL and ``pyogrio.list_layers`` see it directly; the rows of every version are in
    that one table with ``version_from``/``version_to`` columns, and a ``<code>_current`` view
    shows only the current features.
    """

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

    # --- versions ----------------------------------------------------------------------------
    def current_version(self, code: str) -> int | None:
        row = self.conn.execute(
            "SELECT max(version) FROM liuyu_versions WHERE category = ?", (code,)
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def versions(self, code: str) -> list[VersionInfo]:
        cur = self.conn.execute(
            "SELECT category, version, created_at, user, agency, jurisdiction, source_name, source_checksum, "
            "licence, note, kind, scope, n_features, n_added, n_changed, n_removed, report "
            "FROM liuyu_versions WHERE category = ? ORDER BY version",
            (code,),
        )
        return [_version_info(row) for row in cur.fetchall()]

    def _check_version(self, code: str, version: int) -> None:
        current = self.current_version(code)
        if current is None or not 1 <= version <= current:
            raise VersionError(
                f"{code} has no version {version}",
                hint=f"its versions are 1..{current}" if current else f"{code} has no versions yet",
            )

    def _record_version(self, conn: sqlite3.Connection, info: VersionInfo) -> None:
        p = info.provenance
        conn.execute(
            "INSERT INTO liuyu_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.category,
                info.version,
                info.created_at,
                p.user,
                p.agency,
                p.jurisdiction,
                p.source_name,
                p.source_checksum,
                p.licence,
                p.note,
                p.kind,
                info.scope,
                info.n_features,
                info.n_added,
                info.n_changed,
                info.n_removed,
                None if p.report is None else json.dumps(p.report, ensure_ascii=False, default=str),
            ),
        )
        audit.record_version(conn, info)

    def _audit(
        self,
        conn: sqlite3.Connection,
        user: str,
        action: str,
        target: str,
        *,
        detail: Any = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        audit.record(conn, user, action, target, detail=detail, before=before, after=after)

    # --- layers --------------------------------------------------------------------------------
    def write_layer(
        self,
        category: Category,
        frame: gpd.GeoDataFrame,
        provenance: Provenance,
        *,
        scope: Scope | None = None,
    ) -> VersionInfo | None:
        """Write ``frame`` as the new version of ``category``; None when nothing changed."""
        if category.is_raster:
            raise StoreError(f"{category.code} is a raster category", hint="use write_raster for it")
        if frame.crs is None or frame.crs.to_epsg() != STORAGE_SRS:
            raise StoreError(
                f"{category.code}: features must be in EPSG:{STORAGE_SRS} to be stored (got {frame.crs})",
                hint="reproject with liuyu.geo.to_crs (the ingest does this for you)",
            )
        norm = normalize_frame(frame, category)
        wkb = geometry_wkb(norm, category.geometry)
        hashes = content_hashes(norm, wkb)
        keys = feature_keys(norm, category, hashes)
        writer = LayerWriter(self, category, scope)
        with self.transaction() as conn:
            return writer.write(conn, norm, wkb, keys, hashes, provenance)

    def read_layer(
        self,
        category: Category,
        *,
        version: int | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        jurisdiction: str | None = None,
    ) -> gpd.GeoDataFrame:
        if version is not None:
            self._check_version(category.code, version)
        return read_features(self.conn, category, version=version, bbox=bbox, jurisdiction=jurisdiction)

    def count(self, category: Category, *, version: int | None = None) -> int:
        where, params = gpkg_query.valid_at(version)
        row = self.conn.execute(f'SELECT count(*) FROM "{category.code}" WHERE {where}', params).fetchone()
        return int(row[0])

    # --- feature queries: see gpkg_query --------------------------------------------------------
    def query_features(self, category: Category, query: FeatureQuery, *, count: bool = False) -> FeatureRows:
        if query.version is not None:
            self._check_version(category.code, query.version)
        return gpkg_query.query_features(self.conn, category, query, count=count)

    def count_features(self, category: Category, query: FeatureQuery) -> int:
        if query.version is not None:
            self._check_version(category.code, query.version)
        return gpkg_query.count_features(self.conn, category, query)

    def get_feature(self, category: Category, key: str, *, version: int | None = None) -> FeatureRows | None:
        if version is not None:
            self._check_version(category.code, version)
        return gpkg_query.get_feature(self.conn, category, key, version=version)

    def layer_extent(self, category: Category) -> LayerExtent:
        return gpkg_query.layer_extent(self.conn, category)

    def _keys_at(self, code: str, version: int) -> pd.DataFrame:
        where, params = gpkg_query.valid_at(version)
        return pd.read_sql_query(
            f'SELECT feature_key, content_hash FROM "{code}" WHERE {where}', self.conn, params=params
        ).set_index("feature_key")

    def diff(self, category: Category, from_version: int, to_version: int) -> LayerDiff:
        for v in (from_version, to_version):
            self._check_version(category.code, v)
        a = self._keys_at(category.code, from_version)
        b = self._keys_at(category.code, to_version)
        both = a.index.intersection(b.index)
        changed = both[a.loc[both, "content_hash"].to_numpy() != b.loc[both, "content_hash"].to_numpy()]
        return LayerDiff(
            category.code,
            from_version,
            to_version,
            added=sorted(b.index.difference(a.index)),
            removed=sorted(a.index.difference(b.index)),
            changed=sorted(changed),
        )

    def rollback(self, category: Category, to_version: int, provenance: Provenance) -> VersionInfo:
        """A new version whose content equals ``to_version``; history is kept, nothing deleted."""
        self._check_version(category.code, to_version)
        t = category.code
        with self.transaction() as conn:
            new = (self.current_version(t) or 0) + 1
            n_retire = conn.execute(
                f'UPDATE "{t}" SET version_to = ? WHERE version_to IS NULL AND version_from > ?',
                (new, to_version),
            ).rowcount
            cols = [
                r[1]
                for r in conn.execute(f'PRAGMA table_info("{t}")')
                if r[1] not in ("fid", "version_from", "version_to")
            ]
            collist = ", ".join(f'"{c}"' for c in cols)
            n_back = conn.execute(
                f'INSERT INTO "{t}" ({collist}, version_from) SELECT {collist}, ? FROM "{t}" '
                f"WHERE version_from <= ? AND version_to IS NOT NULL AND version_to > ? ORDER BY fid",
                (new, to_version, to_version),
            ).rowcount
            total = conn.execute(f'SELECT count(*) FROM "{t}" WHERE version_to IS NULL').fetchone()[0]
            prov = Provenance(
                **{
                    **provenance.__dict__,
                    "kind": "rollback",
                    "note": provenance.note or f"rollback to version {to_version}",
                }
            )
            info = VersionInfo(t, new, utc_now(), prov, int(total), int(n_back), 0, int(n_retire))
            self._record_version(conn, info)
            LayerWriter.touch_contents(conn, t)
        return info

    # --- quarantine: see gpkg_quarantine ---------------------------------------------------------
    def add_quarantine(self, records: pd.DataFrame, *, user: str = "liuyu") -> int:
        return gpkg_quarantine.add_atomically(self, records, user)

    def quarantine(
        self,
        *,
        ingest_id: str | None = None,
        category: str | None = None,
        record_id: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        return gpkg_quarantine.read(
            self.conn, ingest_id=ingest_id, category=category, record_id=record_id, limit=limit
        )

    def quarantine_summary(self, *, category: str | None = None) -> pd.DataFrame:
        return gpkg_quarantine.summary(self.conn, category=category)

    # --- audit -----------------------------------------------------------------------------------
    def audit_log(
        self,
        *,
        target: str | None = None,
        limit: int | None = 1000,
        user: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> pd.DataFrame:
        """Audit entries newest first (see :func:`liuyu.store.audit.query` for the filters)."""
        return audit.query(
            self.conn, target=target, limit=limit, user=user, action=action, since=since, until=until
        )


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _version_info(row: tuple[Any, ...]) -> VersionInfo:
    (cat, ver, created, user, agency, jur, src, chk, lic, note, kind, scope, n, add, chg, rem, report) = row
    prov = Provenance(
        user, agency, jur, src, chk, lic, note, kind, None if report is None else json.loads(report)
    )
    return VersionInfo(cat, ver, created, prov, n, add, chg, rem, scope)


__all__ = ["GpkgStore"]
