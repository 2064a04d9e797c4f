"""The problem ledger's tables in the GeoPackage: problems (a feature table QGIS opens), events, photos.

``ledger_problems`` is a standard GPKG feature table (geometry type GEOMETRY: a point or a
polygon per problem, EPSG:4490) with an R-tree kept by the spec's triggers, so a problem edited
in QGIS stays indexed. ``ledger_events`` is the history (who, when, from, to, note) and
``ledger_photos`` the photos' metadata; the photo files are under the workspace's ``photos/``.
Created when a store is opened (``gpkg_schema.open_hooks``). Writers take an open transaction;
every change is written to ``audit_log`` by the caller through the store.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from liuyu.store import gpkg_binary, gpkg_schema

PROBLEMS = "ledger_problems"
EVENTS = "ledger_events"
PHOTOS = "ledger_photos"
SRS = 4490

#: The problem's attributes, in the order of the table (after fid and geom).
PROBLEM_COLUMNS = (
    "code",
    "title",
    "description",
    "source",
    "category",
    "state",
    "jurisdiction",
    "county_code",
    "location",
    "responsible_unit",
    "found_at",
    "deadline",
    "fix_note",
    "closed_at",
    "facility_code",
    "created_by",
    "created_at",
    "updated_at",
)
_NOT_NULL = {
    "code",
    "title",
    "source",
    "category",
    "state",
    "found_at",
    "created_by",
    "created_at",
    "updated_at",
}
EVENT_COLUMNS = ("id", "problem_code", "at", "user", "role", "jurisdiction", "from_state", "to_state", "note")
PHOTO_COLUMNS = (
    "id",
    "problem_code",
    "sha256",
    "media_type",
    "size",
    "path",
    "original_name",
    "uploaded_by",
    "uploaded_at",
)

DDL = [
    f"CREATE TABLE {PROBLEMS} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY, "
    + ", ".join(
        f"{c} {'DATE' if c == 'deadline' else 'TEXT'}{' NOT NULL' if c in _NOT_NULL else ''}"
        + (" UNIQUE" if c == "code" else "")
        for c in PROBLEM_COLUMNS
    )
    + ")",
    f"CREATE INDEX {PROBLEMS}_state ON {PROBLEMS} (state, category, jurisdiction)",
    f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES "
    f"('{PROBLEMS}', 'features', '问题台账 Problem ledger', "
    f"'Problems found by inspections, patrols and complaints, followed until verified and closed', {SRS})",
    f"INSERT INTO gpkg_geometry_columns VALUES ('{PROBLEMS}', 'geom', 'GEOMETRY', {SRS}, 0, 0)",
    f'CREATE VIRTUAL TABLE "rtree_{PROBLEMS}_geom" USING rtree(id, minx, maxx, miny, maxy)',
    f"INSERT INTO gpkg_extensions VALUES ('{PROBLEMS}', 'geom', 'gpkg_rtree_index', "
    f"'{gpkg_schema.RTREE_EXTENSION}', 'write-only')",
    *gpkg_schema.rtree_triggers(PROBLEMS),
    f"CREATE TABLE {EVENTS} (id INTEGER PRIMARY KEY, problem_code TEXT NOT NULL, at TEXT NOT NULL, "
    "user TEXT NOT NULL, role TEXT, jurisdiction TEXT, from_state TEXT, to_state TEXT NOT NULL, note TEXT)",
    f"CREATE INDEX {EVENTS}_problem ON {EVENTS} (problem_code, id)",
    f"CREATE TABLE {PHOTOS} (id INTEGER PRIMARY KEY, problem_code TEXT NOT NULL, sha256 TEXT NOT NULL, "
    "media_type TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL, original_name TEXT, "
    "uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL, UNIQUE (problem_code, sha256))",
    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES "
    f"('{EVENTS}', 'attributes', '台账记录 Ledger history', 'Every step of every problem: who, when, note')",
    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES "
    f"('{PHOTOS}', 'attributes', '问题照片 Problem photos', 'Photos of problems; files under photos/')",
]


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create the ledger's tables when missing (a cheap check first: opening must not take a write lock)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (PROBLEMS,)).fetchone():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name=?", (PROBLEMS,)).fetchone():
            for stmt in DDL:
                conn.execute(stmt)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def insert_problem(conn: sqlite3.Connection, record: dict[str, Any], geometry: BaseGeometry) -> None:
    """Add one problem (all of PROBLEM_COLUMNS in ``record``) with its geometry in EPSG:4490."""
    blob = gpkg_binary.encode(np.array([geometry], dtype=object), SRS)[0]
    cols = ", ".join(PROBLEM_COLUMNS)
    conn.execute(
        f"INSERT INTO {PROBLEMS} (geom, {cols}) VALUES (?, {', '.join('?' * len(PROBLEM_COLUMNS))})",
        (blob, *(record.get(c) for c in PROBLEM_COLUMNS)),
    )
    _touch(conn)


def update_problem(conn: sqlite3.Connection, code: str, changes: dict[str, Any]) -> None:
    """Set some attributes of one problem (names checked against PROBLEM_COLUMNS)."""
    bad = set(changes) - set(PROBLEM_COLUMNS)
    if bad:
        raise ValueError(f"not ledger columns: {sorted(bad)}")
    sets = ", ".join(f"{c} = ?" for c in changes)
    conn.execute(f"UPDATE {PROBLEMS} SET {sets} WHERE code = ?", (*changes.values(), code))
    _touch(conn)


def _touch(conn: sqlite3.Connection) -> None:
    ext = conn.execute(
        f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_{PROBLEMS}_geom"'
    ).fetchone()
    conn.execute(
        "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
        "min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
        (*ext, PROBLEMS),
    )


def add_event(conn: sqlite3.Connection, event: dict[str, Any]) -> None:
    cols = EVENT_COLUMNS[1:]
    conn.execute(
        f"INSERT INTO {EVENTS} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        tuple(event.get(c) for c in cols),
    )


def add_photo(conn: sqlite3.Connection, photo: dict[str, Any]) -> bool:
    """Record a photo; False when the same picture (same SHA-256) is already on that problem."""
    cols = PHOTO_COLUMNS[1:]
    cur = conn.execute(
        f"INSERT OR IGNORE INTO {PHOTOS} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        tuple(photo.get(c) for c in cols),
    )
    return cur.rowcount == 1


def read_problems(
    conn: sqlite3.Connection,
    *,
    code: str | None = None,
    state: str | None = None,
    category: str | None = None,
    jurisdiction: str | None = None,
    source: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """Problems matching every filter given, as a frame with a shapely ``geometry`` column, newest first."""
    where: list[str] = []
    params: list[Any] = []
    for col, val in (
        ("code", code),
        ("state", state),
        ("category", category),
        ("jurisdiction", jurisdiction),
        ("source", source),
    ):
        if val is not None:
            where.append(f"p.{col} = ?")
            params.append(val)
    if bbox is not None:
        where.append(
            f'p.fid IN (SELECT id FROM "rtree_{PROBLEMS}_geom" '
            "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
        )
        params += [bbox[0], bbox[2], bbox[1], bbox[3]]
    sql = f"SELECT p.fid, p.geom, {', '.join('p.' + c for c in PROBLEM_COLUMNS)} FROM {PROBLEMS} p"
    if where:
        sql += " WHERE " + " AND ".join(where)
    frame = pd.read_sql_query(sql + " ORDER BY p.found_at DESC, p.code DESC", conn, params=params)
    frame = _nulls(frame) if len(frame) else frame
    frame["geometry"] = (
        gpkg_binary.decode(frame.pop("geom").to_numpy()) if len(frame) else pd.Series(dtype=object)
    )
    return frame


def read_events(conn: sqlite3.Connection, code: str | None = None) -> pd.DataFrame:
    sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM {EVENTS}"
    params: list[Any] = []
    if code is not None:
        sql += " WHERE problem_code = ?"
        params.append(code)
    return _nulls(pd.read_sql_query(sql + " ORDER BY id", conn, params=params))


def _nulls(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing text as None (not NaN), so callers can test ``value or ""``."""
    for c in frame.columns:
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
            arr = frame[c].to_numpy(dtype=object, na_value=None)
            frame[c] = pd.Series(arr, index=frame.index, dtype=object)
    return frame


def read_problem(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    """One problem as a dict with a shapely ``geometry`` (None if there is no such code); cheap."""
    row = conn.execute(
        f"SELECT fid, geom, {', '.join(PROBLEM_COLUMNS)} FROM {PROBLEMS} WHERE code = ?", (code,)
    ).fetchone()
    if row is None:
        return None
    rec = dict(zip(("fid", "geom", *PROBLEM_COLUMNS), row, strict=True))
    rec["geometry"] = gpkg_binary.decode([rec.pop("geom")])[0]
    return rec


def read_photos(conn: sqlite3.Connection, code: str, photo_id: int | None = None) -> pd.DataFrame:
    sql = f"SELECT {', '.join(PHOTO_COLUMNS)} FROM {PHOTOS} WHERE problem_code = ?"
    params: list[Any] = [code]
    if photo_id is not None:
        sql += " AND id = ?"
        params.append(photo_id)
    return _nulls(pd.read_sql_query(sql + " ORDER BY id", conn, params=params))


def geometry_wkt(frame: pd.DataFrame) -> pd.Series:
    """The problems' geometries as WKT (for tables and exports)."""
    return pd.Series(shapely.to_wkt(frame["geometry"].to_numpy(), rounding_precision=6), index=frame.index)
