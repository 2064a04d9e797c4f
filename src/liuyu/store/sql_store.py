"""What the GeoPackage and PostGIS stores do the same way, written once over portable SQL.

Both backends keep the same tables (``liuyu_versions``, ``audit_log``, the quarantine, one
versioned table per category), and :class:`~liuyu.store.sqlconn.PgConn` takes the sqlite3
connection's qmark SQL, so the version registry, diffs, rollbacks, quarantine and audit reads
are one piece of code. A backend supplies only what differs by dialect, through the hooks below:
its feature-query module, how to read a layer, its layer writer, the writers' lock, and how a
rollback copies rows back (SQLite numbers them itself; PostgreSQL is given the fids).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import geopandas as gpd
import pandas as pd

from liuyu.errors import StoreError, VersionError
from liuyu.store import audit, gpkg_quarantine
from liuyu.store.base import LayerDiff, Provenance, Scope, VersionInfo, utc_now
from liuyu.store.frames import content_hashes, feature_keys, geometry_wkb, normalize_frame
from liuyu.store.gpkg_query import valid_at
from liuyu.store.sqlconn import read_frame

if TYPE_CHECKING:
    from liuyu.catalog import Category
    from liuyu.store.query import FeatureQuery, FeatureRows

__all__ = ["STORAGE_SRS", "FeatureQueries", "SqlStore", "version_info"]

STORAGE_SRS = 4490
_VERSION_COLUMNS = (
    'category, version, created_at, "user", agency, jurisdiction, source_name, source_checksum, '
    "licence, note, kind, scope, n_features, n_added, n_changed, n_removed, report"
)


class FeatureQueries(Protocol):
    """A backend's feature-query module (``gpkg_query``, ``pg_query``): the SQL differs by dialect."""

    def query_features(
        self, conn: Any, category: Category, query: FeatureQuery, *, count: bool = ...
    ) -> FeatureRows: ...

    def count_features(self, conn: Any, category: Category, query: FeatureQuery) -> int: ...

    def get_feature(
        self, conn: Any, category: Category, key: str, *, version: int | None = ...
    ) -> FeatureRows | None: ...


def version_info(row: tuple[Any, ...]) -> VersionInfo:
    """A ``liuyu_versions`` row (columns as :data:`_VERSION_COLUMNS`) as a :class:`VersionInfo`."""
    (cat, ver, created, user, agency, jur, src, chk, lic, note, kind, scope, n, add, chg, rem, report) = row
    prov = Provenance(
        user, agency, jur, src, chk, lic, note, kind, None if report is None else json.loads(report)
    )
    return VersionInfo(cat, ver, created, prov, n, add, chg, rem, scope)


class SqlStore:
    """Mixin for :class:`~liuyu.store.gpkg.GpkgStore` and :class:`~liuyu.store.pg.PostgisStore`.

    ``conn`` is a sqlite3 connection or a :class:`PgConn`; ``transaction()`` gives the one a
    write runs in. The hooks (``_queries``, ``_read_features``, ``_layer_writer``, ``_lock``,
    ``_check_frame``, ``_copy_back``, ``_touched``) are where the backends differ.
    """

    conn: Any
    _queries: ClassVar[FeatureQueries]

    def transaction(self) -> Any:
        raise NotImplementedError

    # --- hooks -----------------------------------------------------------------------------
    def _read_features(self, category: Category, **kwargs: Any) -> gpd.GeoDataFrame:
        raise NotImplementedError

    def _layer_writer(self, category: Category, scope: Scope | None) -> Any:
        raise NotImplementedError

    def _lock(self, conn: Any, code: str) -> None:
        """Serialize writers of one category until the transaction ends (SQLite: the transaction does)."""

    def _check_frame(self, norm: pd.DataFrame, category: Category) -> None:
        """Refuse what this backend cannot store (nothing on the GeoPackage)."""

    def _copy_back(self, conn: Any, t: str, new: int, to_version: int) -> int:
        """Copy the rows of ``to_version`` that later versions retired back as version ``new``."""
        raise NotImplementedError

    def _touched(self, conn: Any, t: str) -> None:
        """After a rollback's new version: what the backend keeps of a table's last change."""

    # --- versions ----------------------------------------------------------------------------
    def current_version(self, code: str) -> int | None:
        row = self.conn.execute(
            "SELECT max(version) FROM liuyu_versions WHERE category = ?", (code,)
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def versions(self, code: str) -> list[VersionInfo]:
        cur = self.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM liuyu_versions WHERE category = ? ORDER BY version", (code,)
        )
        return [version_info(row) for row in cur.fetchall()]

    def _check_version(self, code: str, version: int) -> None:
        current = self.current_version(code)
        if current is None or not 1 <= version <= current:
            raise VersionError(
                f"{code} has no version {version}",
                hint=f"its versions are 1..{current}" if current else f"{code} has no versions yet",
            )

    def _record_version(self, conn: Any, info: VersionInfo) -> None:
        p = info.provenance
        conn.execute(
            f"INSERT INTO liuyu_versions ({_VERSION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    #: One audit entry in the caller's transaction (see :func:`liuyu.store.audit.record`).
    _audit = staticmethod(audit.record)

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
        self._check_frame(norm, category)
        wkb = geometry_wkb(norm, category.geometry)
        hashes = content_hashes(norm, wkb)
        keys = feature_keys(norm, category, hashes)
        writer = self._layer_writer(category, scope)
        with self.transaction() as conn:
            self._lock(conn, category.code)
            result: VersionInfo | None = writer.write(conn, norm, wkb, keys, hashes, provenance)
            return result

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
        return self._read_features(category, version=version, bbox=bbox, jurisdiction=jurisdiction)

    def count(self, category: Category, *, version: int | None = None) -> int:
        where, params = valid_at(version)
        row = self.conn.execute(f'SELECT count(*) FROM "{category.code}" WHERE {where}', params).fetchone()
        return int(row[0])

    # --- feature queries: the backend's query module -------------------------------------------
    def query_features(self, category: Category, query: FeatureQuery, *, count: bool = False) -> FeatureRows:
        if query.version is not None:
            self._check_version(category.code, query.version)
        return self._queries.query_features(self.conn, category, query, count=count)

    def count_features(self, category: Category, query: FeatureQuery) -> int:
        if query.version is not None:
            self._check_version(category.code, query.version)
        return self._queries.count_features(self.conn, category, query)

    def get_feature(self, category: Category, key: str, *, version: int | None = None) -> FeatureRows | None:
        if version is not None:
            self._check_version(category.code, version)
        return self._queries.get_feature(self.conn, category, key, version=version)

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
            n_back = self._copy_back(conn, t, new, to_version)
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
            self._touched(conn, t)
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
