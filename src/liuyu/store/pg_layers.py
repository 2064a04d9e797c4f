"""Writing and reading versioned category tables in the PostGIS store.

The comparison with the current features (which keys are new, changed, removed) is the
GeoPackage writer's (``gpkg_layers.LayerWriter``); what differs is how rows get in and out:
new rows go in with one binary ``COPY`` (WKB as the geometry's binary input, explicit fids in
delivery order), geometries come back as WKB decoded by shapely in one vectorized call, and
the GiST index does what the GeoPackage's R-tree does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from liuyu.catalog import Category
from liuyu.errors import SchemaError
from liuyu.store.frames import _coerce
from liuyu.store.gpkg_layers import LayerWriter, _column, feature_columns, feature_frame, feature_where

if TYPE_CHECKING:
    from liuyu.store.sqlconn import PgConn

SRS = 4490
#: Binary COPY types of the category field types (dates are ISO text, as in the GeoPackage).
COPY_TYPES = {
    "string": "text",
    "integer": "int8",
    "float": "float8",
    "boolean": "bool",
    "date": "text",
    "datetime": "text",
}


def one(conn: Any, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The one row an aggregate query returns."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None, sql
    return tuple(row)


def envelope(bounds: tuple[float, float, float, float] | list[float]) -> tuple[str, list[float]]:
    """SQL for a storage-CRS box and its parameters."""
    return f"ST_MakeEnvelope(?, ?, ?, ?, {SRS})", [float(b) for b in bounds]


class PgLayerWriter(LayerWriter):
    """LayerWriter with PostgreSQL I/O: current rows by SQL, new rows by COPY, scope by area via GiST."""

    def _current(self, conn: Any) -> pd.DataFrame:
        """fid, key, hash and jurisdiction of the current rows; keys stay Python str (fast ``isin``)."""
        rows = conn.execute(
            f'SELECT fid, feature_key, content_hash, jurisdiction FROM "{self.category.code}" '
            "WHERE version_to IS NULL"
        ).fetchall()
        fid, key, digest, jur = _object_columns(rows, 4)
        return pd.DataFrame(
            {
                "fid": pd.Series(fid.astype(np.int64)),
                "feature_key": pd.Series(key, dtype=object),
                "content_hash": pd.Series(digest.astype(np.int64)),
                "jurisdiction": pd.Series(jur, dtype=object),
            }
        )

    def _apply_scope(
        self, conn: Any, frame: gpd.GeoDataFrame, keys: np.ndarray, current: pd.DataFrame
    ) -> pd.DataFrame:
        if self.scope is None:
            return current
        current = self._apply_jurisdiction(frame, keys, current)
        if self.scope.area is not None:
            current = restrict_to_area(conn, self.category.code, frame, keys, current, self.scope.area)
        return current

    def _insert(
        self,
        conn: Any,
        frame: gpd.GeoDataFrame,
        wkb: np.ndarray,
        keys: np.ndarray,
        hashes: np.ndarray,
        version: int,
    ) -> None:
        """One binary COPY of the new rows; fids continue after the table's largest."""
        t = self.category.code
        n = len(frame)
        if n == 0:
            return
        start = int(one(conn, f'SELECT coalesce(max(fid), 0) FROM "{t}"')[0]) + 1
        fields = [f for f in self.category.fields if frame[f.name].notna().any()]
        missing = shapely.is_missing(np.asarray(frame.geometry.values, dtype=object))
        blobs = np.asarray(wkb, dtype=object).copy()
        blobs[missing] = None
        columns = [
            list(range(start, start + n)),
            blobs.tolist(),
            list(keys),
            hashes.astype(np.int64).tolist(),
            [version] * n,
            _column(frame["jurisdiction"]),
            _column(frame["extra"]),
            *(_plain(frame[f.name], f.type) for f in fields),
        ]
        names = ["fid", "geom", "feature_key", "content_hash", "version_from", "jurisdiction", "extra"]
        names += [f.name for f in fields]
        types = ["int8", "bytea", "text", "int8", "int8", "text", "text"]
        types += [COPY_TYPES[f.type] for f in fields]
        quoted = ", ".join(f'"{c}"' for c in names)
        with conn.raw.cursor() as cur, cur.copy(f'COPY "{t}" ({quoted}) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(types)
            for row in zip(*columns, strict=True):
                copy.write_row(row)

    @staticmethod
    def touch_contents(conn: Any, t: str) -> None:
        """Nothing to keep: PostGIS works the extent out from the GiST-indexed table itself."""


def refuse_nul(frame: pd.DataFrame, category: Category) -> None:
    """PostgreSQL text cannot hold NUL characters: name the field instead of failing mid-write."""
    text = [f.name for f in category.fields if f.type == "string"] + ["jurisdiction", "extra"]
    for name in text:
        values = frame[name]
        present = values.notna().to_numpy()
        if present.any() and values[present].astype(str).str.contains("\x00", regex=False).any():
            raise SchemaError(
                f"{category.code}: field {name!r} contains NUL characters (\\x00), "
                "which PostgreSQL cannot store",
                hint="remove them from the delivery (they are usually debris of a fixed-width export)",
            )


def _object_columns(rows: list[Any], width: int) -> list[np.ndarray]:
    """The rows of a result as one object array per column (no per-column type inference)."""
    data = [np.empty(len(rows), dtype=object) for _ in range(width)]
    for i, column in enumerate(zip(*rows, strict=True) if rows else ()):
        data[i][:] = column
    return data


def _plain(series: pd.Series, ftype: str) -> list[Any]:
    """A field column as Python values of the COPY type (None where missing)."""
    if ftype == "integer":
        return [None if pd.isna(v) else int(v) for v in series.to_numpy(dtype=object, na_value=None)]
    if ftype == "float":
        return [
            None if v is None or v != v else float(v) for v in series.to_numpy(dtype=object, na_value=None)
        ]
    if ftype == "boolean":
        return [None if v is None else bool(v) for v in series.to_numpy(dtype=object, na_value=None)]
    return _column(series)


def restrict_to_area(
    conn: PgConn,
    table: str,
    frame: gpd.GeoDataFrame,
    keys: np.ndarray,
    current: pd.DataFrame,
    area: BaseGeometry,
) -> pd.DataFrame:
    """The current rows inside ``area`` (by representative point); refuses deliveries reaching outside.

    Same rule as the GeoPackage store (``gpkg_scope``): the GiST index proposes the features
    whose box meets the area's, shapely decides with ``point_on_surface``, so both backends
    agree to the bit.
    """
    from liuyu.store import gpkg_scope

    return gpkg_scope.restrict_to_area(
        cast(Any, conn), table, frame, keys, current, area, fids_in_area=fids_in_area
    )


def fids_in_area(conn: PgConn, table: str, area: BaseGeometry) -> np.ndarray:
    box, params = envelope(area.bounds)
    rows = conn.execute(
        f'SELECT fid, ST_AsBinary(geom) FROM "{table}" WHERE version_to IS NULL AND geom && {box}', params
    ).fetchall()
    if not rows:
        return np.empty(0, dtype=np.int64)
    fids = np.array([r[0] for r in rows], dtype=np.int64)
    geoms = shapely.from_wkb([r[1] for r in rows])
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    covered = np.zeros(len(fids), dtype=bool)
    shapely.prepare(area)
    covered[present] = shapely.covers(area, shapely.point_on_surface(geoms[present]))
    return fids[covered]


def read_features(
    conn: PgConn,
    category: Category,
    *,
    version: int | None,
    bbox: tuple[float, float, float, float] | None,
    jurisdiction: str | None,
) -> gpd.GeoDataFrame:
    """Features valid at ``version`` (current when None), optionally in a bbox (via the GiST index)."""
    t = category.code
    box = None if bbox is None else envelope(bbox)
    where, params = feature_where(version, (f"geom && {box[0]}", box[1]) if box else None, jurisdiction)
    fields = category.field_names
    cols = feature_columns(category, "ST_AsBinary(geom) AS geom")
    rows = conn.execute(f'SELECT {cols} FROM "{t}" WHERE {where} ORDER BY fid', params).fetchall()
    # one object array per column, straight from the rows: text comes back as str/None already
    # (no per-column type inference), the other types go through the shared coercion
    data = _object_columns(rows, 6 + len(fields))
    geoms = shapely.from_wkb(data[1])
    columns = {
        "fid": pd.Series(data[0].astype(np.int64)),
        "feature_key": pd.Series(data[2], dtype=object),
        "version_from": pd.Series(data[3].astype(np.int64)),
        "jurisdiction": pd.Series(data[4], dtype=object),
        "extra": pd.Series(data[5], dtype=object),
    }
    for f, values in zip(category.fields, data[6:], strict=True):
        text = f.type in ("string", "date", "datetime")
        columns[f.name] = (
            pd.Series(values, dtype=object) if text else _coerce(pd.Series(values), f.type, f.name)
        )
    return feature_frame(pd.DataFrame(columns), geoms)
