"""Reading pages of features from the GeoPackage store: neutral queries translated to SQLite SQL.

Every value is a bound parameter; column names are checked against the category, never taken
from the request. Paging is SQL ``LIMIT``/``OFFSET`` in fid order, so one page never reads the
whole layer; bounding boxes go through the GeoPackage R-tree. Exact spatial relations (CQL2
``S_INTERSECTS`` ...) are evaluated with shapely on the R-tree's candidates, vectorized, and
enter the SQL as the set of matching fids, so counting and paging stay exact.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import shapely

from liuyu.catalog import Category
from liuyu.errors import StoreError
from liuyu.store import gpkg_binary
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

_INT64 = 2**63 - 1
_GLOB_LITERAL = {"*": "[*]", "?": "[?]", "[": "[[]"}
_LIKE_WILDCARDS = {"%": "*", "_": "?"}
_COMPARE_OPS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_RELATIONS: dict[str, Callable[[Any, Any], np.ndarray]] = {
    "intersects": shapely.intersects,
    "contains": shapely.contains,
    "within": shapely.within,
    "touches": shapely.touches,
    "crosses": shapely.crosses,
    "overlaps": shapely.overlaps,
    "equals": shapely.equals,
}


def valid_at(version: int | None) -> tuple[str, list[Any]]:
    """The rows of a versioned table that make up version ``version`` (the current one when None)."""
    if version is None:
        return "version_to IS NULL", []
    return "version_from <= ? AND (version_to IS NULL OR version_to > ?)", [version, version]


def property_columns(category: Category) -> tuple[str, ...]:
    """The properties a feature is published with: the category's fields, then its jurisdiction."""
    return (*category.field_names, "jurisdiction")


def like_to_glob(pattern: str) -> str:
    """A CQL2 LIKE pattern as an SQLite GLOB pattern (case-sensitive, as CQL2 LIKE is).

    >>> like_to_glob("10_%")
    '10?*'
    >>> like_to_glob(r"a\\%[b]")
    'a%[[]b]'
    """
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, "\\")
            out.append(_GLOB_LITERAL.get(escaped, escaped))
        else:
            out.append(_LIKE_WILDCARDS.get(ch) or _GLOB_LITERAL.get(ch, ch))
    return "".join(out)


class _Where:
    """Translates a neutral condition into an SQL fragment and its parameters for one table."""

    def __init__(self, conn: sqlite3.Connection, category: Category, version: int | None) -> None:
        self.conn = conn
        self.table = category.code
        self.version = version
        self.columns = frozenset(property_columns(category))
        self.params: list[Any] = []

    def column(self, name: str) -> str:
        if name not in self.columns:
            raise StoreError(
                f"{self.table} has no property {name!r}", hint=f"use one of {sorted(self.columns)}"
            )
        return f'"{name}"'

    def bind(self, value: Any) -> str:
        self.params.append(value)
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
                return f"({self.column(name)} {self._op(op)} {self.column(other)})"
            case Compare(op, name, value):
                return f"({self.column(name)} {self._op(op)} {self.bind(value)})"
            case Between(name, low, high):
                return f"({self.column(name)} BETWEEN {self.bind(low)} AND {self.bind(high)})"
            case Like(name, pattern):
                return f"({self.column(name)} GLOB {self.bind(like_to_glob(pattern))})"
            case In(name, values):
                marks = ", ".join(self.bind(v) for v in values)
                return f"({self.column(name)} IN ({marks}))" if values else "(0)"
            case IsNull(name):
                return f"({self.column(name)} IS NULL)"
            case BBox(minx, miny, maxx, maxy):
                # OGC API Features /req/core/fc-bbox-response: the *geometry* must intersect the
                # box, so the R-tree only proposes candidates and shapely decides.
                return self._spatial("intersects", shapely.box(minx, miny, maxx, maxy))
            case Spatial(op, geometry):
                return self._spatial(op, geometry)
        raise StoreError(f"unsupported condition {expr!r}")  # pragma: no cover - the union is closed

    @staticmethod
    def _op(op: str) -> str:
        if op not in _COMPARE_OPS:
            raise StoreError(f"unknown comparison operator {op!r}")
        return op

    def _spatial(self, op: str, geometry: shapely.Geometry) -> str:
        """Exact relation: the R-tree gives candidates, shapely decides, the fids go back into SQL."""
        relation = "intersects" if op == "disjoint" else op
        if relation not in _RELATIONS:
            raise StoreError(f"unknown spatial relation {op!r}")
        fids = self._matching_fids(relation, geometry)
        members = f"fid IN (SELECT value FROM json_each({self.bind(json.dumps(fids))}))"
        return f"(geom IS NOT NULL AND NOT {members})" if op == "disjoint" else f"({members})"

    def _matching_fids(self, relation: str, geometry: shapely.Geometry) -> list[int]:
        x0, y0, x1, y1 = shapely.bounds(geometry).tolist()
        if np.isnan([x0, y0, x1, y1]).any():  # an empty geometry relates to nothing
            return []
        valid, vparams = valid_at(self.version)
        rows = self.conn.execute(
            f'SELECT fid, geom FROM "{self.table}" WHERE {valid} AND fid IN (SELECT id FROM '
            f'"rtree_{self.table}_geom" WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)',
            [*vparams, x1, x0, y1, y0],
        ).fetchall()
        if not rows:
            return []
        fids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        geoms = gpkg_binary.decode([r[1] for r in rows])
        shapely.prepare(geometry)
        hit = _RELATIONS[relation](geoms, geometry)
        return fids[np.asarray(hit, dtype=bool)].tolist()


def _where(conn: sqlite3.Connection, category: Category, query: FeatureQuery) -> tuple[str, list[Any]]:
    valid, params = valid_at(query.version)
    if query.where is None:
        return valid, params
    builder = _Where(conn, category, query.version)
    condition = builder.sql(query.where)
    return f"{valid} AND {condition}", [*params, *builder.params]


def _rows(
    conn: sqlite3.Connection, category: Category, where: str, params: list[Any], tail: str, extra: bool
) -> FeatureRows:
    """Run one SELECT and return its rows as columns; booleans come back from SQLite as 0/1."""
    columns = property_columns(category)
    select = ", ".join(["feature_key", "geom", "version_from", *(f'"{c}"' for c in columns)])
    if extra:
        select += ", extra"
    cur = conn.execute(f'SELECT {select} FROM "{category.code}" WHERE {where} {tail}', params)
    raw = cur.fetchall()
    width = len(columns)
    rows = [r[3 : 3 + width] for r in raw]
    booleans = [i for i, f in enumerate(category.fields) if f.type == "boolean"]
    if booleans:
        rows = [
            tuple(bool(v) if i in booleans and v is not None else v for i, v in enumerate(r)) for r in rows
        ]
    return FeatureRows(
        keys=[r[0] for r in raw],
        geometry=gpkg_binary.decode([r[1] for r in raw]),
        columns=columns,
        rows=rows,
        extra=[r[-1] for r in raw] if extra else None,
        version_from=[r[2] for r in raw],
    )


def query_features(
    conn: sqlite3.Connection, category: Category, query: FeatureQuery, *, count: bool = False
) -> FeatureRows:
    """One page of the features matching ``query``, in fid order (stable across pages).

    With ``count=True`` the page also carries ``number_matched``, counted in the same read
    transaction (so page and count see the same snapshot, even while an ingest commits) and with
    the same WHERE (so an exact spatial filter is evaluated once).

    Examples
    --------
    >>> page = query_features(store.conn, get_category("land_use"), FeatureQuery(limit=100))  # doctest: +SKIP
    """
    with _snapshot(conn, enabled=count):
        where, params = _where(conn, category, query)
        page = page_params(params, query)
        rows = _rows(conn, category, where, page, "ORDER BY fid LIMIT ? OFFSET ?", extra=False)
        if count:
            rows.number_matched = count_matching(conn, category, query, where, params)
    return rows


@contextlib.contextmanager
def _snapshot(conn: sqlite3.Connection, *, enabled: bool) -> Iterator[None]:
    """One read transaction around several SELECTs (WAL: they all see the same commit)."""
    if not enabled or conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def count_features(conn: sqlite3.Connection, category: Category, query: FeatureQuery) -> int:
    """How many features match ``query`` (paging ignored): one COUNT(*) with the same WHERE."""
    where, params = ("", []) if query.where is None else _where(conn, category, query)
    return count_matching(conn, category, query, where, params)


def count_matching(conn: Any, category: Category, query: FeatureQuery, where: str, params: list[Any]) -> int:
    """How many features match (portable SQL, both stores). Unfiltered, the count recorded with the
    version (every write and rollback stores it in the same transaction), which spares a scan of
    the whole table on every page; filtered, one COUNT(*) with the page's WHERE."""
    if query.where is None:
        sql = "SELECT n_features FROM liuyu_versions WHERE category = ? AND version = "
        sql += (
            "(SELECT max(version) FROM liuyu_versions WHERE category = ?)" if query.version is None else "?"
        )
        extra = [category.code] if query.version is None else [query.version]
        found = conn.execute(sql, [category.code, *extra]).fetchone()
        return 0 if found is None else int(found[0])
    row = conn.execute(f'SELECT count(*) FROM "{category.code}" WHERE {where}', params).fetchone()
    return int(row[0])


def page_params(params: list[Any], query: FeatureQuery) -> list[Any]:
    """The WHERE's parameters, then the page's LIMIT and OFFSET (clamped to int64)."""
    return [*params, min(max(query.limit, 0), _INT64), min(max(query.offset, 0), _INT64)]


def get_feature(
    conn: sqlite3.Connection, category: Category, key: str, *, version: int | None = None
) -> FeatureRows | None:
    """The feature with this key in ``version`` (current when None), with its extra attributes."""
    valid, params = valid_at(version)
    rows = _rows(conn, category, f"feature_key = ? AND {valid}", [key, *params], "LIMIT 1", extra=True)
    return rows if len(rows) else None


def layer_extent(conn: sqlite3.Connection, category: Category) -> LayerExtent:
    """The layer's bbox from gpkg_contents (kept by every write) and its time interval if it has one."""
    row = conn.execute(
        "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", (category.code,)
    ).fetchone()
    bbox = None if row is None or None in row else (row[0], row[1], row[2], row[3])
    interval = None
    if category.time_field is not None:
        t = category.time_field
        lo, hi = conn.execute(
            f'SELECT min("{t}"), max("{t}") FROM "{category.code}" WHERE version_to IS NULL'
        ).fetchone()
        interval = (lo, hi)
    return LayerExtent(bbox=bbox, interval=interval)
