"""Pure functions that bring a GeoDataFrame to a category's column types and fingerprint rows.

Every backend calls these before writing, so the content hash of a feature is the same
whichever store holds it: that is what makes a re-write of identical content a no-op.
"""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.catalog import Category
from liuyu.errors import SchemaError
from liuyu.store.base import SYSTEM_COLUMNS


def _text(series: pd.Series) -> pd.Series:
    """Python str values (None where missing) in an object column: cheap to hash and to bind."""
    out = pd.Series(np.full(len(series), None, dtype=object), index=series.index)
    present = series.notna().to_numpy()
    out[present] = series[present].astype(str).to_numpy(dtype=object)
    return out


def _coerce(series: pd.Series, ftype: str, name: str) -> pd.Series:
    """One column to its canonical dtype; values that cannot be converted are an error."""
    if ftype == "string":
        out = _text(series)
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
        out = _text(parsed.dt.strftime(fmt))
    else:  # pragma: no cover - the category model restricts the types
        raise SchemaError(f"field {name!r}: unknown type {ftype!r}")
    return out


#: ISO WKB header of a one-part multi geometry (little-endian, type, count 1), by single-part type id.
_MULTI_PREFIX = {
    3: ("MultiPolygon", b"\x01\x06\x00\x00\x00\x01\x00\x00\x00"),
    1: ("MultiLineString", b"\x01\x05\x00\x00\x00\x01\x00\x00\x00"),
    0: ("MultiPoint", b"\x01\x04\x00\x00\x00\x01\x00\x00\x00"),
}


def geometry_wkb(frame: gpd.GeoDataFrame, geometry_type: str) -> np.ndarray:
    """ISO little-endian WKB of every geometry, single parts promoted to the category's multi type.

    The promotion is done on the WKB bytes (a one-part multi geometry is a 9-byte header before
    the part's own WKB), which is exact and avoids building a million multi-part objects.
    Computed once per write and used both for the content hash and for the stored blob.
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    types = shapely.get_type_id(geoms)
    for single, (multi, prefix) in _MULTI_PREFIX.items():
        if multi == geometry_type:
            mask = np.flatnonzero(types == single)
            wkb[mask] = [prefix + w for w in wkb[mask]]
    return wkb


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
    n = len(frame)
    empty = pd.Series(np.full(n, None, dtype=object))
    columns: dict[str, pd.Series] = {}
    for f in category.fields:
        present = f.name in frame.columns
        col = frame[f.name].reset_index(drop=True) if present else empty
        columns[f.name] = _coerce(col, f.type, f.name) if present else empty
    jur = frame["jurisdiction"].reset_index(drop=True) if "jurisdiction" in frame.columns else empty
    columns["jurisdiction"] = _text(jur)
    columns["extra"] = _pack_extra(frame, others)
    out = pd.DataFrame(columns, copy=False)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.reset_index(drop=True).values, crs=frame.crs)


def _pack_extra(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Unmapped columns as one JSON object per row (None where there are none)."""
    existing = frame["extra"].reset_index(drop=True) if "extra" in frame.columns else None
    if not columns:
        return _text(existing if existing is not None else pd.Series([None] * len(frame)))
    records = frame[columns].reset_index(drop=True).astype(object)
    records = records.where(records.notna(), None)
    packed = [
        json.dumps(r, ensure_ascii=False, default=str, sort_keys=True) for r in records.to_dict("records")
    ]
    return pd.Series(packed, dtype=object)


def content_hashes(frame: gpd.GeoDataFrame, wkb: np.ndarray) -> np.ndarray:
    """A 64-bit fingerprint of every row (attributes, jurisdiction, extra and geometry).

    Each column is hashed with pandas' stable hashing, a missing value counts as 0, and the
    columns are mixed with a per-column odd multiplier (by name, not position). So a column
    that is empty in a delivery costs nothing and a row's hash does not depend on which other
    columns happen to be filled: only on its own content, never on row order or the backend.
    """
    total = np.zeros(len(frame), dtype=np.uint64)
    for name in [c for c in frame.columns if c != frame.geometry.name]:
        col = frame[name]
        present = col.notna().to_numpy()
        if not present.any():
            continue
        values = col[present]
        if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
            raw = values.to_numpy(dtype=np.int64)
        elif pd.api.types.is_float_dtype(values.dtype):
            raw = values.to_numpy(dtype=np.float64)
        else:
            raw = values.to_numpy(dtype=object)
        h = pd.util.hash_array(raw, categorize=False)
        total[present] += h * _column_salt(name)
    total += pd.util.hash_array(np.asarray(wkb, dtype=object), categorize=False) * _column_salt(
        "__geometry__"
    )
    return total.view(np.int64)


def _column_salt(name: str) -> np.uint64:
    """An odd 64-bit multiplier derived from the column name (stable across runs and machines)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little") | 1)


def feature_keys(frame: gpd.GeoDataFrame, category: Category, hashes: np.ndarray) -> np.ndarray:
    """The key that identifies each feature across versions: the category's key field, else the hash.

    Duplicate keys in one delivery would make a diff ambiguous, so they are an error naming them.
    """
    if category.key is not None and category.key in frame.columns:
        keys = frame[category.key]
        missing = keys.isna().to_numpy()
        out = keys.to_numpy(dtype=object, copy=True)  # writable under pandas copy-on-write
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
