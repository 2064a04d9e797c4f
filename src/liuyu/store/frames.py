"""Pure functions that bring a GeoDataFrame to a category's column types and fingerprint rows.

Every backend calls these before writing, so the content hash of a feature is the same
whichever store holds it: that is what makes a re-write of identical content a no-op.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.catalog import Category
from liuyu.errors import SchemaError
from liuyu.store.base import SYSTEM_COLUMNS

_PROMOTE = {"MultiPolygon": "Polygon", "MultiLineString": "LineString", "MultiPoint": "Point"}


def _coerce(series: pd.Series, ftype: str, name: str) -> pd.Series:
    """One column to its canonical dtype; values that cannot be converted are an error."""
    if ftype == "string":
        out = series.astype("string")
    elif ftype == "integer":
        try:
            out = pd.to_numeric(series, errors="raise").astype("Int64")
        except (ValueError, TypeError) as exc:
            raise SchemaError(f"field {name!r}: not whole numbers ({exc})") from exc
    elif ftype == "float":
        try:
            out = pd.to_numeric(series, errors="raise").astype("float64")
        except (ValueError, TypeError) as exc:
            raise SchemaError(f"field {name!r}: not numbers ({exc})") from exc
    elif ftype == "boolean":
        out = series.astype("boolean")
    elif ftype in ("date", "datetime"):
        parsed = pd.to_datetime(series, errors="coerce", utc=(ftype == "datetime"))
        bad = parsed.isna() & series.notna()
        if bad.any():
            raise SchemaError(
                f"field {name!r}: {int(bad.sum())} values are not dates, e.g. {series[bad].iloc[0]!r}"
            )
        fmt = "%Y-%m-%d" if ftype == "date" else "%Y-%m-%dT%H:%M:%SZ"
        out = parsed.dt.strftime(fmt).astype("string")
    else:  # pragma: no cover - the category model restricts the types
        raise SchemaError(f"field {name!r}: unknown type {ftype!r}")
    return out


def promote_geometries(geoms: np.ndarray, target: str) -> np.ndarray:
    """Single parts to the category's multi type (Polygon -> MultiPolygon), vectorized."""
    single = _PROMOTE.get(target)
    if single is None:
        return geoms
    types = shapely.get_type_id(geoms)
    single_id = {"Polygon": 3, "LineString": 1, "Point": 0}[single]
    mask = types == single_id
    if mask.any():
        out = geoms.copy()
        maker = {
            "Polygon": shapely.multipolygons,
            "LineString": shapely.multilinestrings,
            "Point": shapely.multipoints,
        }[single]
        parts = geoms[mask]
        out[mask] = maker(parts, indices=np.arange(len(parts)))
        return out
    return geoms


def normalize_frame(frame: gpd.GeoDataFrame, category: Category) -> gpd.GeoDataFrame:
    """The frame with exactly the category's fields (typed), jurisdiction, extra and geometry.

    Columns that are not category fields are packed into the JSON ``extra`` column rather than
    dropped, so nothing an agency delivered is lost.
    """
    clash = [f for f in category.field_names if f in SYSTEM_COLUMNS]
    if clash:
        raise SchemaError(f"category {category.code}: fields {clash} collide with system columns")
    geom_col = frame.geometry.name
    others = [
        c
        for c in frame.columns
        if c not in category.field_names and c != geom_col and c not in SYSTEM_COLUMNS
    ]
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for f in category.fields:
        col = (
            frame[f.name].reset_index(drop=True)
            if f.name in frame.columns
            else pd.Series([None] * len(frame), dtype="object")
        )
        out[f.name] = _coerce(col, f.type, f.name)
    jur = frame["jurisdiction"] if "jurisdiction" in frame.columns else pd.Series([None] * len(frame))
    out["jurisdiction"] = jur.reset_index(drop=True).astype("string")
    out["extra"] = _pack_extra(frame, others)
    geoms = promote_geometries(np.asarray(frame.geometry.values, dtype=object), category.geometry)
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=frame.crs).values, crs=frame.crs)


def _pack_extra(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Unmapped columns as one JSON object per row (None where there are none)."""
    existing = frame["extra"].reset_index(drop=True) if "extra" in frame.columns else None
    if not columns:
        return (existing if existing is not None else pd.Series([None] * len(frame))).astype("string")
    records = frame[columns].reset_index(drop=True).astype(object)
    records = records.where(records.notna(), None)
    packed = [
        json.dumps(r, ensure_ascii=False, default=str, sort_keys=True) for r in records.to_dict("records")
    ]
    return pd.Series(packed, dtype="string")


def geometry_wkb(frame: gpd.GeoDataFrame) -> np.ndarray:
    """ISO little-endian WKB of every geometry: computed once, used for hashing and for writing."""
    return shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object), byte_order=1, flavor="iso")


def content_hashes(frame: gpd.GeoDataFrame, wkb: np.ndarray | None = None) -> np.ndarray:
    """A 64-bit fingerprint of every row (attributes, jurisdiction, extra and geometry).

    Geometries are hashed through their WKB, attributes through pandas' stable hashing, so the
    fingerprint depends on the content only, never on row order or the backend.
    """
    if wkb is None:
        wkb = geometry_wkb(frame)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).copy()
    table["__geom"] = pd.Series(wkb, dtype=object)
    hashed = pd.util.hash_pandas_object(table, index=False).to_numpy()
    return hashed.view(np.int64)


def feature_keys(frame: gpd.GeoDataFrame, category: Category, hashes: np.ndarray) -> np.ndarray:
    """The key that identifies each feature across versions: the category's key field, else the hash.

    Duplicate keys in one delivery would make a diff ambiguous, so they are an error naming them.
    """
    if category.key is not None and category.key in frame.columns:
        keys = frame[category.key].astype("string")
        missing = keys.isna().to_numpy()
        out = keys.to_numpy(dtype=object, na_value=None)
        if missing.any():
            out[missing] = np.char.add("#", hashes[missing].astype(str)).astype(object)
    else:
        out = np.char.add("#", hashes.astype(str)).astype(object)
    dup = pd.Series(out).duplicated(keep=False)
    if dup.any():
        examples = sorted(set(pd.Series(out)[dup].astype(str)))[:5]
        raise SchemaError(
            f"category {category.code}: {int(dup.sum())} features share a key "
            f"({category.key or 'content'}), e.g. {examples}",
            hint="make the key field unique, or remove the exact duplicates before writing",
        )
    return out
