"""SQL that lays out a Liuyu GeoPackage: the GPKG core tables, category tables, network, audit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from pyproj import CRS

from liuyu.catalog import Category

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4
SCHEMA_VERSION = 1
RTREE_EXTENSION = "http://www.geopackage.org/spec/#extension_rtree"

SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
}
GEOMETRY_NAMES = {
    "Point": "POINT",
    "MultiPoint": "MULTIPOINT",
    "MultiLineString": "MULTILINESTRING",
    "MultiPolygon": "MULTIPOLYGON",
}

CORE = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"""

LIUYU = """
CREATE TABLE IF NOT EXISTS liuyu_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS liuyu_versions (
  category TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL,
  user TEXT NOT NULL, agency TEXT, jurisdiction TEXT, source_name TEXT, source_checksum TEXT,
  licence TEXT, note TEXT, kind TEXT NOT NULL, scope TEXT,
  n_features INTEGER NOT NULL, n_added INTEGER NOT NULL, n_changed INTEGER NOT NULL,
  n_removed INTEGER NOT NULL, report TEXT,
  PRIMARY KEY (category, version));
CREATE TABLE IF NOT EXISTS liuyu_rasters (
  category TEXT NOT NULL, version INTEGER NOT NULL, path TEXT NOT NULL, checksum TEXT NOT NULL,
  crs TEXT NOT NULL, min_x REAL, min_y REAL, max_x REAL, max_y REAL,
  width INTEGER, height INTEGER, unit TEXT,
  PRIMARY KEY (category, version));
CREATE TABLE IF NOT EXISTS observed_properties (
  code TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, unit TEXT,
  definition TEXT, aliases TEXT);
CREATE TABLE IF NOT EXISTS series (
  series_id INTEGER PRIMARY KEY, station_code TEXT NOT NULL, property_code TEXT NOT NULL,
  method TEXT NOT NULL DEFAULT '', unit TEXT,
  n INTEGER NOT NULL DEFAULT 0, time_first INTEGER, time_last INTEGER,
  last_value REAL, last_censor TEXT, last_qc_flag INTEGER,
  UNIQUE (station_code, property_code, method));
-- Observation values are not in this file: each batch is one Parquet file in observations/
-- beside it (liuyu.store.obs_files), registered here by `file` when its transaction commits.
CREATE TABLE IF NOT EXISTS observation_batches (
  batch_id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, user TEXT NOT NULL,
  source_name TEXT, source_checksum TEXT, agency TEXT, jurisdiction TEXT, n_rows INTEGER NOT NULL,
  note TEXT, file TEXT, max_revision INTEGER NOT NULL DEFAULT 0,
  min_series INTEGER, max_series INTEGER, min_time INTEGER, max_time INTEGER);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, detail TEXT, before TEXT, after TEXT);
"""

#: Tables QGIS should see as non-spatial layers (registered as GPKG "attributes").
ATTRIBUTE_TABLES = {
    "observed_properties": ("观测要素 Observed properties", "Observed properties of the network"),
    "series": (
        "观测序列 Series",
        "One series per station, property and method, with its count, first/last time (Unix s, UTC) "
        "and last value; the values are in observations/*.parquet beside this file",
    ),
    "observation_batches": ("观测批次 Observation batches", "One row per batch; file: its Parquet file"),
    "audit_log": ("审计日志 Audit log", "Every write: who, what, when, before and after"),
}


def srs_rows() -> list[tuple[str, int, str, int, str, str]]:
    """The spatial reference systems a Liuyu GeoPackage carries (the three GPKG requires + CGCS2000)."""
    rows = [
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system",
        ),
    ]
    for code in (4326, 4490):
        crs = CRS.from_epsg(code)
        rows.append((crs.name, code, "EPSG", code, crs.to_wkt("WKT1_GDAL"), crs.name))
    return rows


def category_table(cat: Category, srs_id: int) -> list[str]:
    """DDL for one category's versioned feature table, its indexes and its R-tree."""
    t = cat.code
    cols = ", ".join(f'"{f.name}" {SQL_TYPES[f.type]}' for f in cat.fields)
    geom = GEOMETRY_NAMES[cat.geometry]
    return [
        f'CREATE TABLE "{t}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {geom}, '
        f"feature_key TEXT NOT NULL, content_hash INTEGER NOT NULL, "
        f"version_from INTEGER NOT NULL, version_to INTEGER, jurisdiction TEXT, extra TEXT"
        f"{', ' + cols if cols else ''})",
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        f"VALUES ('{t}', 'features', '{t}', '{_sql_text(cat.name_zh + ' ' + cat.name_en)}', {srs_id})",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{t}', 'geom', '{geom}', {srs_id}, 0, 0)",
        f'CREATE VIRTUAL TABLE "rtree_{t}_geom" USING rtree(id, minx, maxx, miny, maxy)',
        f"INSERT INTO gpkg_extensions VALUES ('{t}', 'geom', 'gpkg_rtree_index', "
        f"'{RTREE_EXTENSION}', 'write-only')",
        *rtree_triggers(t),
        f'CREATE VIEW "{t}_current" AS SELECT * FROM "{t}" WHERE version_to IS NULL',
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        f"VALUES ('{t}_current', 'features', '{t}_current', "
        f"'{_sql_text(cat.name_zh)}（现行） {_sql_text(cat.name_en)} (current version)', {srs_id})",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{t}_current', 'geom', '{geom}', {srs_id}, 0, 0)",
    ]


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def rtree_insert_trigger(t: str) -> str:
    """The R-tree insert trigger alone: dropped and re-created around bulk writes."""
    return (
        f'CREATE TRIGGER "rtree_{t}_geom_insert" AFTER INSERT ON "{t}" '
        f"WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN "
        f'INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), '
        f"ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END"
    )


def rtree_triggers(t: str) -> list[str]:
    """The GeoPackage R-tree maintenance triggers (spec Annex F.3), so edits in QGIS keep the index."""
    r = f'"rtree_{t}_geom"'
    vals = "NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)"
    has = "(NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))"
    hasnt = "(NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))"
    return [
        rtree_insert_trigger(t),
        f'CREATE TRIGGER "rtree_{t}_geom_update1" AFTER UPDATE OF geom ON "{t}" '
        f"WHEN OLD.fid = NEW.fid AND {has} BEGIN INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        f'CREATE TRIGGER "rtree_{t}_geom_update2" AFTER UPDATE OF geom ON "{t}" '
        f"WHEN OLD.fid = NEW.fid AND {hasnt} BEGIN DELETE FROM {r} WHERE id = OLD.fid; END",
        f'CREATE TRIGGER "rtree_{t}_geom_update3" AFTER UPDATE ON "{t}" '
        f"WHEN OLD.fid != NEW.fid AND {has} BEGIN DELETE FROM {r} WHERE id = OLD.fid; "
        f"INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        f'CREATE TRIGGER "rtree_{t}_geom_update4" AFTER UPDATE ON "{t}" '
        f"WHEN OLD.fid != NEW.fid AND {hasnt} BEGIN DELETE FROM {r} WHERE id IN (OLD.fid, NEW.fid); END",
        f'CREATE TRIGGER "rtree_{t}_geom_delete" AFTER DELETE ON "{t}" '
        f"WHEN old.geom NOT NULL BEGIN DELETE FROM {r} WHERE id = OLD.fid; END",
    ]


def open_hooks() -> list[Callable[[sqlite3.Connection], None]]:
    """Tables added after schema version 1, created when a store is opened if they are missing."""
    from liuyu.store import audit, gpkg_alerts, gpkg_facilities, gpkg_ledger

    return [
        audit.ensure_table,
        gpkg_alerts.ensure_table,
        ensure_category_tables,
        gpkg_ledger.ensure_tables,
        gpkg_facilities.ensure_table,
    ]


def ensure_category_tables(conn: sqlite3.Connection) -> None:
    """Tables (and fields) of categories added after the store was made, e.g. issue 7's analysis layers."""
    from liuyu.catalog import load_categories

    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    vector = [c for c in load_categories().values() if not c.is_raster]
    missing = [c for c in vector if c.code not in have]
    new_fields = [
        (c.code, f)
        for c in vector
        if c.code in have
        for f in c.fields
        if f.name not in {r[1] for r in conn.execute(f'PRAGMA table_info("{c.code}")')}
    ]
    if not missing and not new_fields:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for cat in missing:
            for stmt in category_table(cat, 4490):
                conn.execute(stmt)
        for table, f in new_fields:  # a field added to a category later: a new, empty column
            conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{f.name}" {SQL_TYPES[f.type]}')
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
