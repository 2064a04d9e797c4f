"""Writing and reading versioned category tables in the GeoPackage store."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.catalog import Category
from liuyu.errors import StoreError
from liuyu.store import gpkg_binary, gpkg_schema, gpkg_scope, rtree_bulk
from liuyu.store.base import Provenance, Scope, VersionInfo, utc_now
from liuyu.store.frames import _coerce, _text

if TYPE_CHECKING:
    from liuyu.store.gpkg import GpkgStore

SRS = 4490
#: From this many new features on, the R-tree is rebuilt in bulk rather than grown entry by entry.
BULK_INDEX_THRESHOLD = 20_000


def _column(series: pd.Series) -> list[Any]:
    """A column as Python values sqlite3 accepts (None for missing)."""
    return series.to_numpy(dtype=object, na_value=None).tolist()


class LayerWriter:
    """Compares a normalized delivery with the current features and writes the difference."""

    def __init__(self, store: GpkgStore, category: Category, scope: Scope | None) -> None:
        self.store = store
        self.category = category
        self.scope = scope

    def _current(self, conn: sqlite3.Connection) -> pd.DataFrame:
        t = self.category.code
        return pd.read_sql_query(
            f'SELECT fid, feature_key, content_hash, jurisdiction FROM "{t}" WHERE version_to IS NULL', conn
        )

    def _apply_scope(
        self, conn: sqlite3.Connection, frame: gpd.GeoDataFrame, keys: np.ndarray, current: pd.DataFrame
    ) -> pd.DataFrame:
        """Restrict the comparison to the scope; refuse features that belong outside it."""
        if self.scope is None:
            return current
        current = self._apply_jurisdiction(frame, keys, current)
        if self.scope.area is not None:
            current = gpkg_scope.restrict_to_area(
                conn, self.category.code, frame, keys, current, self.scope.area
            )
        return current

    def _apply_jurisdiction(
        self, frame: gpd.GeoDataFrame, keys: np.ndarray, current: pd.DataFrame
    ) -> pd.DataFrame:
        assert self.scope is not None
        if self.scope.jurisdiction is None:
            return current
        jur = self.scope.jurisdiction
        frame["jurisdiction"] = frame["jurisdiction"].fillna(jur)
        foreign = frame["jurisdiction"] != jur
        if foreign.any():
            raise StoreError(
                f"{self.category.code}: {int(foreign.sum())} features belong to another jurisdiction "
                f"than the scope {jur!r}, e.g. {frame.loc[foreign, 'jurisdiction'].iloc[0]!r}",
                hint="split the delivery by jurisdiction, or write it without a scope",
            )
        inside = (current["jurisdiction"] == jur).to_numpy()
        clash = np.isin(keys, current.loc[~inside, "feature_key"].to_numpy())
        if clash.any():
            raise StoreError(
                f"{self.category.code}: keys {list(keys[clash][:5])} already belong to another jurisdiction",
                hint="a scoped delivery may only replace features of its own jurisdiction",
            )
        return current.loc[inside]

    def write(
        self,
        conn: sqlite3.Connection,
        frame: gpd.GeoDataFrame,
        wkb: np.ndarray,
        keys: np.ndarray,
        hashes: np.ndarray,
        provenance: Provenance,
    ) -> VersionInfo | None:
        current = self._apply_scope(conn, frame, keys, self._current(conn))
        cur_hash = pd.Series(current["content_hash"].to_numpy(), index=current["feature_key"].to_numpy())
        known = cur_hash.reindex(keys).to_numpy()
        is_new = pd.isna(known)
        is_changed = ~is_new & (known != hashes)
        removed_fids = current.loc[~current["feature_key"].isin(keys), "fid"].to_numpy()
        changed_keys = keys[is_changed]
        changed_fids = current.loc[current["feature_key"].isin(changed_keys), "fid"].to_numpy()
        n_add, n_chg, n_rem = int(is_new.sum()), int(is_changed.sum()), len(removed_fids)
        if n_add + n_chg + n_rem == 0:
            return None
        t = self.category.code
        version = (self.store.current_version(t) or 0) + 1
        retire = np.concatenate([removed_fids, changed_fids]).astype(np.int64).tolist()
        conn.executemany(f'UPDATE "{t}" SET version_to = ? WHERE fid = ?', [(version, f) for f in retire])
        write = is_new | is_changed
        if write.all():  # a first load: no copy of a million rows
            self._insert(conn, frame, wkb, keys, hashes, version)
        else:
            self._insert(conn, frame.loc[write], wkb[write], keys[write], hashes[write], version)
        total = conn.execute(f'SELECT count(*) FROM "{t}" WHERE version_to IS NULL').fetchone()[0]
        info = VersionInfo(
            t,
            version,
            utc_now(),
            provenance,
            int(total),
            n_add,
            n_chg,
            n_rem,
            scope=None if self.scope is None else self.scope.label,
        )
        self.store._record_version(conn, info)
        self.touch_contents(conn, t)
        return info

    def _insert(
        self,
        conn: sqlite3.Connection,
        frame: gpd.GeoDataFrame,
        wkb: np.ndarray,
        keys: np.ndarray,
        hashes: np.ndarray,
        version: int,
    ) -> None:
        """Bulk insert with explicit fids; the R-tree is filled from vectorized bounds.

        The insert trigger would call back into Python for every row, so it is dropped and
        re-created inside the same transaction (DDL is transactional in SQLite).
        """
        t = self.category.code
        n = len(frame)
        if n == 0:
            return
        start = (
            conn.execute(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
                f'coalesce((SELECT max(fid) FROM "{t}"), 0))',
                (t,),
            ).fetchone()[0]
            + 1
        )
        fids = np.arange(start, start + n, dtype=np.int64)
        geoms = np.asarray(frame.geometry.values, dtype=object)
        # columns empty in the whole delivery are left to default NULL: binding costs per value
        fields = [f for f in self.category.field_names if frame[f].notna().any()]
        columns = [
            fids.tolist(),
            gpkg_binary.encode(geoms, SRS, wkb),
            list(keys),
            hashes.astype(np.int64).tolist(),
            [version] * n,
            _column(frame["jurisdiction"]),
            _column(frame["extra"]),
            *(_column(frame[f]) for f in fields),
        ]
        names = [
            "fid",
            "geom",
            "feature_key",
            "content_hash",
            "version_from",
            "jurisdiction",
            "extra",
            *fields,
        ]
        quoted = ", ".join(f'"{c}"' for c in names)
        sql = f'INSERT INTO "{t}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
        conn.execute(f'DROP TRIGGER IF EXISTS "rtree_{t}_geom_insert"')
        conn.executemany(sql, zip(*columns, strict=True))
        bounds = shapely.bounds(geoms)
        ok = ~np.isnan(bounds).any(axis=1)
        self._index(conn, fids[ok], bounds[ok][:, [0, 2, 1, 3]])
        conn.execute(gpkg_schema.rtree_insert_trigger(t))

    def _index(self, conn: sqlite3.Connection, fids: np.ndarray, boxes: np.ndarray) -> None:
        """Add entries to the R-tree: one by one for small writes, a bulk rebuild for large ones."""
        rtree = f"rtree_{self.category.code}_geom"
        if len(fids) < BULK_INDEX_THRESHOLD:
            rows = np.column_stack([fids, boxes]).tolist()
            conn.executemany(f'INSERT INTO "{rtree}" VALUES (?, ?, ?, ?, ?)', rows)
            return
        old = np.array(
            conn.execute(f'SELECT id, minx, maxx, miny, maxy FROM "{rtree}"').fetchall(), dtype=np.float64
        )
        old = old.reshape(-1, 5)
        ids = np.concatenate([old[:, 0].astype(np.int64), fids])
        rtree_bulk.bulk_load(conn, rtree, ids, np.concatenate([old[:, 1:], boxes]))

    @staticmethod
    def touch_contents(conn: sqlite3.Connection, t: str) -> None:
        """Keep gpkg_contents' extent and last_change true, as GDAL and QGIS read them."""
        ext = conn.execute(
            f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_{t}_geom"'
        ).fetchone()
        conn.execute(
            "UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ? "
            "WHERE table_name IN (?, ?)",
            (utc_now(), *ext, t, f"{t}_current"),
        )


def read_features(
    conn: sqlite3.Connection,
    category: Category,
    *,
    version: int | None,
    bbox: tuple[float, float, float, float] | None,
    jurisdiction: str | None,
) -> gpd.GeoDataFrame:
    """Features valid at ``version`` (current when None), optionally in a bbox (via the R-tree)."""
    t = category.code
    box: tuple[str, list[Any]] | None = None
    if bbox is not None:
        box = (
            f'fid IN (SELECT id FROM "rtree_{t}_geom" '
            "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)",
            [bbox[2], bbox[0], bbox[3], bbox[1]],
        )
    where, params = feature_where(version, box, jurisdiction)
    df = pd.read_sql_query(
        f'SELECT {feature_columns(category, "geom")} FROM "{t}" WHERE {where} ORDER BY fid',
        conn,
        params=params,
    )
    geoms = gpkg_binary.decode(df.pop("geom").to_numpy())
    for f in category.fields:
        df[f.name] = _coerce(df[f.name], f.type, f.name)
    for c in ("feature_key", "jurisdiction", "extra"):
        df[c] = _text(df[c])
    return feature_frame(df, geoms)


def feature_where(
    version: int | None, box: tuple[str, list[Any]] | None, jurisdiction: str | None
) -> tuple[str, list[Any]]:
    """The WHERE of a layer read (both stores): valid at ``version``, in the backend's ``box``
    condition (SQL, parameters) if given, of ``jurisdiction`` if given."""
    where = (
        ["version_to IS NULL"]
        if version is None
        else ["version_from <= ? AND (version_to IS NULL OR version_to > ?)"]
    )
    params: list[Any] = [] if version is None else [version, version]
    if box is not None:
        where.append(box[0])
        params += box[1]
    if jurisdiction is not None:
        where.append("jurisdiction = ?")
        params.append(jurisdiction)
    return " AND ".join(where), params


def feature_columns(category: Category, geom: str) -> str:
    """The SELECT list of a layer read; ``geom`` is how the backend returns the geometry."""
    fields = category.field_names
    return ", ".join(
        ["fid", geom, "feature_key", "version_from", "jurisdiction", "extra", *(f'"{f}"' for f in fields)]
    )


def feature_frame(df: pd.DataFrame, geoms: Any) -> gpd.GeoDataFrame:
    """The read rows (with ``fid``) and their geometries as a GeoDataFrame indexed by fid."""
    df = df.set_index("fid")
    return gpd.GeoDataFrame(
        df, geometry=gpd.GeoSeries(geoms, index=df.index, crs=f"EPSG:{SRS}"), crs=f"EPSG:{SRS}"
    )
