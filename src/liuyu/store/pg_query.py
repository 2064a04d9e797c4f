"""Reading pages of features from the PostGIS store: neutral queries translated to PostgreSQL SQL.

The same contract as the GeoPackage's (``gpkg_query``): every value a bound parameter, column
names checked against the category, pages by ``LIMIT``/``OFFSET`` in fid order, the count
from the same snapshot as the page. The differences are PostgreSQL's: spatial relations are
evaluated by PostGIS in SQL (the GiST index proposes, GEOS decides, as shapely does on the
GeoPackage), CQL2 ``LIKE`` is PostgreSQL's own ``LIKE`` (same wildcards, same backslash escape,
case-sensitive), and values are brought to the column's type first, since PostgreSQL will
not compare text with a number as SQLite does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import shapely

from liuyu.catalog import Category
from liuyu.errors import StoreError
from liuyu.store.gpkg_query import count_matching, page_params, property_columns, valid_at
from liuyu.store.pg_layers import SRS, one
from liuyu.store.query import (
    And,
    BBox,
    Between,
    Compare,
    Expr,
    FeatureQuery,
    FeatureRows,
    FieldRef,
    In,
    IsNull,
    LayerExtent,
    Like,
    Not,
    Or,
    Spatial,
)
from liuyu.store.sqlconn import PgConn

_COMPARE_OPS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_RELATIONS = {
    "intersects": "ST_Intersects",
    "contains": "ST_Contains",
    "within": "ST_Within",
    "touches": "ST_Touches",
    "crosses": "ST_Crosses",
    "overlaps": "ST_Overlaps",
    "equals": "ST_Equals",
}


def _typed(value: Any, ftype: str) -> Any:
    """A filter value as the column's type, the way SQLite's column affinity would read it.

    Text columns compare as text (``code = 110118`` finds "110118"); numeric columns take
    numeric strings; what cannot be converted stays as it is and matches nothing.
    """
    if value is None:
        return None
    if ftype in ("string", "date", "datetime"):
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, float) and value.is_integer():
            return repr(value)
        return str(value)
    if ftype in ("integer", "float"):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return _NoMatch()
            return int(number) if ftype == "integer" and number.is_integer() else number
        return value
    if ftype == "boolean":
        if isinstance(value, str):
            low = value.strip().lower()
            return True if low in ("true", "1") else False if low in ("false", "0") else _NoMatch()
        return bool(value)
    return value


def like_pattern(pattern: str) -> str:
    r"""A CQL2 LIKE pattern for PostgreSQL's LIKE: same wildcards and escape; a lone final ``\`` is literal.

    (PostgreSQL refuses a pattern ending in its escape character; the GeoPackage reads it as a
    literal backslash, and so does this.)

    >>> like_pattern("a\\%b\\")
    'a\\%b\\\\'
    """
    i, out = 0, []
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2] if i + 1 < len(pattern) else "\\\\")
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


class _NoMatch:
    """A value no row can equal: compiled to SQL NULL (every comparison with it is false)."""


class _Where:
    """Translates a neutral condition into PostgreSQL SQL (qmark) and its parameters for one table."""

    def __init__(self, category: Category) -> None:
        self.table = category.code
        self.types = {f.name: f.type for f in category.fields} | {"jurisdiction": "string"}
        self.params: list[Any] = []

    def column(self, name: str) -> str:
        if name not in self.types:
            raise StoreError(
                f"{self.table} has no property {name!r}", hint=f"use one of {sorted(self.types)}"
            )
        return f'"{name}"'

    def bind(self, value: Any, name: str | None = None) -> str:
        typed = value if name is None else _typed(value, self.types[name])
        if isinstance(typed, _NoMatch) or (isinstance(typed, str) and "\x00" in typed):
            return "NULL"  # PostgreSQL text never holds NUL: such a value matches nothing
        self.params.append(typed)
        return "?"

    def sql(self, expr: Expr) -> str:
        """The SQL for ``expr``; parameters are appended to ``self.params`` in order."""
        match expr:
            case And(items):
                return "(" + " AND ".join(self.sql(i) for i in items) + ")"
            case Or(items):
                return "(" + " OR ".join(self.sql(i) for i in items) + ")"
            case Not(item):
                return f"(NOT {self.sql(item)})"
            case Compare(op, name, FieldRef(other)):
                return f"({self._comparable(name, other)} {self._op(op)} {self._comparable(other, name)})"
            case Compare(op, name, value):
                col = self.column(name)
                return f"({col} {self._op(op)} {self.bind(value, name)})"
            case Between(name, low, high):
                col = self.column(name)
                return f"({col} BETWEEN {self.bind(low, name)} AND {self.bind(high, name)})"
            case Like(name, pattern):
                col = self.column(name)
                text = col if self.types[name] == "string" else f"CAST({col} AS TEXT)"
                return f"({text} LIKE {self.bind(like_pattern(str(pattern)))})"
            case In(name, values):
                col = self.column(name)
                marks = ", ".join(self.bind(v, name) for v in values)
                return f"({col} IN ({marks}))" if values else "(false)"
            case IsNull(name):
                return f"({self.column(name)} IS NULL)"
            case BBox(minx, miny, maxx, maxy):
                return self._spatial("intersects", shapely.box(minx, miny, maxx, maxy))
            case Spatial(op, geometry):
                return self._spatial(op, geometry)
        raise StoreError(f"unsupported condition {expr!r}")  # pragma: no cover - the union is closed

    def _comparable(self, name: str, other: str) -> str:
        """A column compared with another column: as text when their kinds differ (as SQLite would)."""
        col = self.column(name)
        numeric = {"integer", "float", "boolean"}
        mine, theirs = self.types[name], self.types[other]
        if (mine in numeric) == (theirs in numeric):
            return col if mine != "boolean" or theirs == "boolean" else f"CAST({col} AS INTEGER)"
        return f"CAST({col} AS TEXT)"

    @staticmethod
    def _op(op: str) -> str:
        if op not in _COMPARE_OPS:
            raise StoreError(f"unknown comparison operator {op!r}")
        return op

    def _spatial(self, op: str, geometry: shapely.Geometry) -> str:
        """Exact relation by PostGIS (GEOS, as shapely): the GiST index proposes the candidates."""
        relation = "intersects" if op == "disjoint" else op
        if relation not in _RELATIONS:
            raise StoreError(f"unknown spatial relation {op!r}")
        wkb = shapely.to_wkb(geometry, flavor="iso")
        test = f"{_RELATIONS[relation]}(geom, ST_GeomFromWKB({self.bind(wkb)}, {SRS}))"
        return f"(geom IS NOT NULL AND NOT {test})" if op == "disjoint" else f"({test})"


def _where(category: Category, query: FeatureQuery) -> tuple[str, list[Any]]:
    valid, params = valid_at(query.version)
    if query.where is None:
        return valid, params
    builder = _Where(category)
    condition = builder.sql(query.where)
    return f"{valid} AND {condition}", [*params, *builder.params]


def _rows(
    conn: PgConn, category: Category, where: str, params: list[Any], tail: str, extra: bool
) -> FeatureRows:
    columns = property_columns(category)
    select = ", ".join(["feature_key", "ST_AsBinary(geom)", "version_from", *(f'"{c}"' for c in columns)])
    if extra:
        select += ", extra"
    raw = conn.execute(f'SELECT {select} FROM "{category.code}" WHERE {where} {tail}', params).fetchall()
    width = len(columns)
    return FeatureRows(
        keys=[r[0] for r in raw],
        geometry=shapely.from_wkb([r[1] for r in raw]) if raw else shapely.from_wkb([]),
        columns=columns,
        rows=[tuple(r[3 : 3 + width]) for r in raw],
        extra=[r[-1] for r in raw] if extra else None,
        version_from=[int(r[2]) for r in raw],
    )


@contextlib.contextmanager
def _snapshot(conn: PgConn, *, enabled: bool) -> Iterator[None]:
    """One REPEATABLE READ transaction around several SELECTs: they all see the same commit."""
    if not enabled or conn.in_transaction:
        yield
        return
    with conn.raw.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def query_features(
    conn: PgConn, category: Category, query: FeatureQuery, *, count: bool = False
) -> FeatureRows:
    """One page of the features matching ``query``, in fid order (stable across pages)."""
    with _snapshot(conn, enabled=count):
        where, params = _where(category, query)
        page = page_params(params, query)
        rows = _rows(conn, category, where, page, "ORDER BY fid LIMIT ? OFFSET ?", extra=False)
        if count:
            rows.number_matched = count_matching(conn, category, query, where, params)
    return rows


def count_features(conn: PgConn, category: Category, query: FeatureQuery) -> int:
    """How many features match ``query`` (paging ignored)."""
    where, params = ("", []) if query.where is None else _where(category, query)
    return count_matching(conn, category, query, where, params)


def get_feature(
    conn: PgConn, category: Category, key: str, *, version: int | None = None
) -> FeatureRows | None:
    """The feature with this key in ``version`` (current when None), with its extra attributes."""
    if "\x00" in key:  # no stored key holds NUL (PostgreSQL text cannot)
        return None
    valid, params = valid_at(version)
    rows = _rows(conn, category, f"feature_key = ? AND {valid}", [key, *params], "LIMIT 1", extra=True)
    return rows if len(rows) else None


def layer_extent(conn: PgConn, category: Category) -> LayerExtent:
    """The bbox of the current features (ST_Extent over the GiST-indexed table) and their time interval."""
    t = category.code
    row = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        f'(SELECT ST_Extent(geom) AS e FROM "{t}" WHERE version_to IS NULL) s'
    ).fetchone()
    bbox = None if row is None or None in row else (row[0], row[1], row[2], row[3])
    interval = None
    if category.time_field is not None:
        tf = category.time_field
        lo, hi = one(conn, f'SELECT min("{tf}"), max("{tf}") FROM "{t}" WHERE version_to IS NULL')
        interval = (lo, hi)
    return LayerExtent(bbox=bbox, interval=interval)
