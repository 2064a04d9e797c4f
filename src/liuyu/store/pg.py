"""The server store: one PostgreSQL schema with PostGIS, the same Store protocol as the GeoPackage.

Tables and columns carry the GeoPackage's names (``liuyu_versions``, ``audit_log``, one table
per category with ``version_from``/``version_to`` and a ``<code>_current`` view), so the shared
modules (ledger, alerts, audit, accounts, export) run their portable SQL through
:class:`~liuyu.store.sqlconn.PgConn` unchanged. Raster files stay in the workspace folder;
only their registry rows are in the database.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from liuyu.catalog import Category
from liuyu.errors import StoreError, VersionError
from liuyu.store import audit, gpkg_quarantine, pg_query, pg_schema
from liuyu.store.base import LayerDiff, Provenance, Scope, VersionInfo, utc_now
from liuyu.store.frames import content_hashes, feature_keys, geometry_wkb, normalize_frame
from liuyu.store.gpkg import _version_info
from liuyu.store.gpkg_query import valid_at
from liuyu.store.gpkg_rasters import RasterTables
from liuyu.store.pg_layers import PgLayerWriter, one, read_features, refuse_nul
from liuyu.store.pg_network import PgNetworkTables
from liuyu.store.query import FeatureQuery, FeatureRows, LayerExtent
from liuyu.store.sqlconn import PgConn, read_frame

STORAGE_SRS = 4490


class PostgisStore(PgNetworkTables, RasterTables):
    """A Liuyu workspace's store in one schema of a PostgreSQL database with PostGIS.

    ``conn`` is a :class:`PgConn` (autocommit; ``transaction()`` groups writes), with the
    workspace schema first on the search path, then ``public`` where PostGIS lives.
    """

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

    # --- versions ----------------------------------------------------------------------------
    def current_version(self, code: str) -> int | None:
        row = self.conn.execute(
            "SELECT max(version) FROM liuyu_versions WHERE category = ?", (code,)
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def versions(self, code: str) -> list[VersionInfo]:
        cur = self.conn.execute(
            'SELECT category, version, created_at, "user", agency, jurisdiction, source_name, '
            "source_checksum, licence, note, kind, scope, n_features, n_added, n_changed, n_removed, report "
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

    def _record_version(self, conn: PgConn, info: VersionInfo) -> None:  # type: ignore[override]
        p = info.provenance
        conn.execute(
            'INSERT INTO liuyu_versions (category, version, created_at, "user", agency, jurisdiction, '
            "source_name, source_checksum, licence, note, kind, scope, n_features, n_added, n_changed, "
            "n_removed, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        conn: PgConn,
        user: Any,
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
        refuse_nul(norm, category)
        wkb = geometry_wkb(norm, category.geometry)
        hashes = content_hashes(norm, wkb)
        keys = feature_keys(norm, category, hashes)
        writer = PgLayerWriter(self, category, scope)  # type: ignore[arg-type]
        with self.transaction() as conn:
            self._lock(conn, category.code)
            return writer.write(conn, norm, wkb, keys, hashes, provenance)  # type: ignore[arg-type]

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
        where, params = valid_at(version)
        return int(one(self.conn, f'SELECT count(*) FROM "{category.code}" WHERE {where}', params)[0])

    # --- feature queries: see pg_query ----------------------------------------------------------
    def query_features(self, category: Category, query: FeatureQuery, *, count: bool = False) -> FeatureRows:
        if query.version is not None:
            self._check_version(category.code, query.version)
        return pg_query.query_features(self.conn, category, query, count=count)

    def count_features(self, category: Category, query: FeatureQuery) -> int:
        if query.version is not None:
            self._check_version(category.code, query.version)
        return pg_query.count_features(self.conn, category, query)

    def get_feature(self, category: Category, key: str, *, version: int | None = None) -> FeatureRows | None:
        if version is not None:
            self._check_version(category.code, version)
        return pg_query.get_feature(self.conn, category, key, version=version)

    def layer_extent(self, category: Category) -> LayerExtent:
        """Worked out once per version of the layer (ST_Extent reads the whole current layer)."""
        stamp = (self.current_version(category.code), category.time_field)
        cached = self._extents.get(category.code)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        extent = pg_query.layer_extent(self.conn, category)
        self._extents[category.code] = (stamp, extent)
        return extent

    def _keys_at(self, code: str, version: int) -> pd.DataFrame:
        where, params = valid_at(version)
        frame = read_frame(self.conn, f'SELECT feature_key, content_hash FROM "{code}" WHERE {where}', params)
        return frame.reindex(columns=["feature_key", "content_hash"]).set_index("feature_key")

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
            self._lock(conn, t)
            new = (self.current_version(t) or 0) + 1
            n_retire = conn.execute(
                f'UPDATE "{t}" SET version_to = ? WHERE version_to IS NULL AND version_from > ?',
                (new, to_version),
            ).rowcount
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
            n_back = conn.execute(
                f'INSERT INTO "{t}" (fid, {collist}, version_from) '
                f'SELECT ? + row_number() OVER (ORDER BY fid), {collist}, ? FROM "{t}" '
                "WHERE version_from <= ? AND version_to IS NOT NULL AND version_to > ?",
                (start, new, to_version, to_version),
            ).rowcount
            total = one(conn, f'SELECT count(*) FROM "{t}" WHERE version_to IS NULL')[0]
            prov = Provenance(
                **{
                    **provenance.__dict__,
                    "kind": "rollback",
                    "note": provenance.note or f"rollback to version {to_version}",
                }
            )
            info = VersionInfo(t, new, utc_now(), prov, int(total), int(n_back), 0, int(n_retire))
            self._record_version(conn, info)
        return info

    # --- quarantine: the shared module, portable SQL --------------------------------------------
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
            self.conn,
            ingest_id=ingest_id,
            category=category,
            record_id=record_id,
            limit=limit,
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


__all__ = ["PostgisStore"]
