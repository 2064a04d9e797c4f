"""Canonical rows for comparing a table across backends: one form per kind of value, then a checksum.

Why: the same workspace reads back differently from SQLite and PostgreSQL (GeoPackage blobs vs
PostGIS geometries, 0/1 vs booleans, text vs timestamps, JSON text vs jsonb). Each column is put
in one canonical form chosen from the pair of column types (:func:`common_family`), rows are
hashed column by column with pandas' vectorized hash, and a table's checksum is the sum of its
row hashes modulo 2**64, so it does not depend on row order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

__all__ = [
    "Column",
    "Digest",
    "canonical_frame",
    "common_family",
    "digest",
    "family_pg",
    "family_sqlite",
]

NULL_TEXT = "\x00∅"  # how a NULL text cell hashes: distinct from every real string, "" included
_ORDER = ("geom", "json", "datetime", "date", "float", "int", "bool", "blob", "text")


@dataclass(frozen=True)
class Column:
    """One column as the transfer sees it: its name, kind of value and (geometry) SRID."""

    name: str
    family: str  # int, bool, float, text, json, blob, geom, date, datetime
    srid: int | None = None


@dataclass
class Digest:
    """Rows and the order-independent checksum of one table (or file tree)."""

    rows: int = 0
    total: int = 0  # sum of row hashes mod 2**64

    def add(self, hashes: np.ndarray) -> None:
        self.rows += len(hashes)
        self.total = (self.total + int(hashes.sum(dtype=np.uint64))) % (1 << 64)

    @property
    def hex(self) -> str:
        return f"{self.total:016x}"


def family_sqlite(declared: str) -> str:
    """The kind of value of a SQLite/GeoPackage column from its declared type (affinity rules)."""
    t = (declared or "").upper()
    if t in ("BOOLEAN", "BOOL"):
        return "bool"
    if t == "DATE":
        return "date"
    if t in ("DATETIME", "TIMESTAMP"):
        return "datetime"
    if "INT" in t:
        return "int"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "float"
    if "BLOB" in t or t == "":
        return "blob" if "BLOB" in t else "text"
    return "text"


def family_pg(data_type: str, udt_name: str) -> str:
    """The kind of value of a PostgreSQL column from information_schema's data_type/udt_name."""
    if udt_name in ("geometry", "geography"):
        return "geom"
    t = data_type.lower()
    if t in ("smallint", "integer", "bigint"):
        return "int"
    if t == "boolean":
        return "bool"
    if t in ("double precision", "real", "numeric"):
        return "float"
    if t in ("json", "jsonb"):
        return "json"
    if t == "bytea":
        return "blob"
    if t == "date":
        return "date"
    if t.startswith("timestamp"):
        return "datetime"
    return "text"


def common_family(a: str, b: str) -> str:
    """The canonical form two sides of a column are compared in (the more specific kind wins)."""
    if a == b:
        return a
    pair = {a, b}
    if pair <= {"int", "bool"}:
        return "int"
    if pair <= {"int", "bool", "float"}:
        return "float"
    if pair == {"blob", "geom"}:
        return "geom"
    if pair == {"date", "datetime"}:
        return "datetime"
    for kind in _ORDER:
        if kind in pair and (pair - {kind}) <= {"text", "blob"}:
            return kind
    return "text"


def _text(values: pd.Series) -> pd.Series:
    kind = pd.api.types.infer_dtype(values, skipna=True)
    out = values.astype(object)
    if kind not in ("string", "empty"):  # bytes (hex), numbers (SQLite's loose typing): as text
        out = out.map(
            lambda v: bytes(v).hex() if isinstance(v, bytes | bytearray | memoryview) else str(v),
            na_action="ignore",
        )
    return out.where(out.notna(), NULL_TEXT)


def _datetime(values: pd.Series, fmt: str) -> pd.Series:
    """Times as UTC ISO text; naive text is UTC (as GPKG writes it); unparsable text kept as it is."""
    if values.empty:
        return values.astype(object)
    raw = values.astype(object)
    stamps = pd.to_datetime(raw.map(_iso, na_action="ignore"), utc=True, errors="coerce", format="ISO8601")
    text = stamps.dt.strftime(fmt)
    return text.where(stamps.notna(), _text(raw)).astype(str)


def _null(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _json(values: pd.Series) -> pd.Series:
    def canon(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return NULL_TEXT
        obj = json.loads(v) if isinstance(v, str | bytes) else v
        return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    return values.astype(object).map(canon).astype(str)


def _geom(values: pd.Series) -> pd.Series:
    """Geometries (as WKB bytes) re-encoded as ISO little-endian WKB hex: same shape, same bytes."""
    wkb = np.asarray([None if v is None or v is pd.NA else bytes(v) for v in values], dtype=object)
    geoms = shapely.from_wkb(wkb)
    hexes = shapely.to_wkb(geoms, hex=True, byte_order=1, flavor="iso")
    return pd.Series(hexes, index=values.index, dtype=object).where(~shapely.is_missing(geoms), NULL_TEXT)


def canonical_column(values: pd.Series, family: str) -> pd.Series:
    """One column in its canonical form (``values`` as read, geometries as WKB bytes)."""
    if family in ("int", "bool"):
        if values.dtype.kind in "iub":
            return values.astype("Int64")
        try:  # exact for 64-bit values (content hashes), which float64 would round
            return pd.Series(
                pd.array([None if _null(v) else int(v) for v in values], dtype="Int64"), index=values.index
            )
        except (TypeError, ValueError):  # text in an INTEGER column (SQLite allows it): compare as text
            return _text(values)
    if family == "float":
        if values.dtype.kind in "fiub":
            return values.astype("float64")
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if family == "geom":
        return _geom(values)
    if family == "date":
        return _datetime(values, "%Y-%m-%d")
    if family == "datetime":
        return _datetime(values, "%Y-%m-%dT%H:%M:%S.%fZ")
    if family == "json":
        return _json(values)
    return _text(values)


def canonical_frame(frame: pd.DataFrame, families: dict[str, str]) -> pd.DataFrame:
    """The compared columns (sorted by name) in canonical form; ``frame`` as read from a store."""
    names = sorted(families)
    return pd.DataFrame({n: canonical_column(frame[n], families[n]) for n in names}, index=frame.index)


def digest(frame: pd.DataFrame, families: dict[str, str], into: Digest | None = None) -> Digest:
    """Add a chunk of rows to a table's digest (rows counted, row hashes summed)."""
    out = into or Digest()
    if len(frame):
        canon = canonical_frame(frame.reset_index(drop=True), families)
        out.add(pd.util.hash_pandas_object(canon, index=False).to_numpy(np.uint64))
    return out
