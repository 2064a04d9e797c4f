"""The PostgreSQL layout of a Liuyu workspace: one schema, the same table and column names as the GeoPackage.

Shared code (ledger, alerts, audit, accounts, export) reads and writes the tables by name on
either backend, so the names stay those of the GeoPackage; only the types differ (BIGINT,
DOUBLE PRECISION, BYTEA, identity keys, a real ``geometry(<type>, 4490)`` column with a GiST
index). Each table module keeps its own ``PG_DDL`` beside its SQLite DDL; this module lists
them in creation order for migration 0001 (``store/migrations``), which runs them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from liuyu.catalog import Category, load_categories
from liuyu.errors import StoreError

SRID = 4490
#: The alembic revision this Liuyu writes; an older schema is upgraded on open, a newer one refused.
HEAD_REVISION = "0001"
#: ``liuyu_meta.schema_version`` of a PostgreSQL workspace (the GeoPackage's counterpart).
SCHEMA_VERSION = 1

SQL_TYPES = {
    "string": "TEXT",
    "integer": "BIGINT",
    "float": "DOUBLE PRECISION",
    "boolean": "BOOLEAN",
    # dates stay ISO text, as in the GeoPackage: the same comparisons, LIKE and output on both
    "date": "TEXT",
    "datetime": "TEXT",
}

CORE = [
    "CREATE TABLE IF NOT EXISTS liuyu_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS liuyu_versions ("
    "category TEXT NOT NULL, version BIGINT NOT NULL, created_at TEXT NOT NULL, "
    '"user" TEXT NOT NULL, agency TEXT, jurisdiction TEXT, source_name TEXT, source_checksum TEXT, '
    "licence TEXT, note TEXT, kind TEXT NOT NULL, scope TEXT, "
    "n_features BIGINT NOT NULL, n_added BIGINT NOT NULL, n_changed BIGINT NOT NULL, "
    "n_removed BIGINT NOT NULL, report TEXT, PRIMARY KEY (category, version))",
    "CREATE TABLE IF NOT EXISTS liuyu_rasters ("
    "category TEXT NOT NULL, version BIGINT NOT NULL, path TEXT NOT NULL, checksum TEXT NOT NULL, "
    "crs TEXT NOT NULL, min_x DOUBLE PRECISION, min_y DOUBLE PRECISION, max_x DOUBLE PRECISION, "
    "max_y DOUBLE PRECISION, width BIGINT, height BIGINT, unit TEXT, PRIMARY KEY (category, version))",
]

#: Modules whose ``PG_DDL`` (a list of statements) makes their tables, in creation order.
#: Other owners add their module here (one line).
TABLE_MODULES = (
    "liuyu.store.audit",
    "liuyu.store.pg_network",
    "liuyu.store.gpkg_quarantine",
    "liuyu.store.gpkg_alerts",
    "liuyu.store.gpkg_ledger",
    "liuyu.store.gpkg_facilities",
    "liuyu.store.gpkg_assess",
    "liuyu.store.gpkg_discharge",
    "liuyu.access.tables",
)


def _module_ddl(name: str) -> list[str]:
    """A table module's PG_DDL (a list of statements, one statement, or a function returning them)."""
    ddl = getattr(importlib.import_module(name), "PG_DDL", None)
    if ddl is None:
        raise StoreError(
            f"{name} has no PG_DDL", hint="add the module's PostgreSQL DDL beside its SQLite DDL"
        )
    if callable(ddl):
        ddl = ddl()
    return [ddl] if isinstance(ddl, str) else list(ddl)


def category_table(cat: Category) -> list[str]:
    """One category's versioned table, its GiST and key indexes and its ``<code>_current`` view.

    ``fid`` is given explicitly by the writer (max + 1, in delivery order), as the GeoPackage
    store does, so a workspace moved between backends keeps its fids.
    """
    t = cat.code
    cols = "".join(f', "{f.name}" {SQL_TYPES[f.type]}' for f in cat.fields)
    return [
        f'CREATE TABLE "{t}" (fid BIGINT PRIMARY KEY, geom geometry({cat.geometry}, {SRID}), '
        "feature_key TEXT NOT NULL, content_hash BIGINT NOT NULL, version_from BIGINT NOT NULL, "
        f"version_to BIGINT, jurisdiction TEXT, extra TEXT{cols})",
        f'CREATE INDEX "ix_{t}_geom" ON "{t}" USING gist (geom)',
        f'CREATE INDEX "ix_{t}_key" ON "{t}" (feature_key, version_from)',
        f'CREATE INDEX "ix_{t}_live" ON "{t}" (fid) WHERE version_to IS NULL',
        *current_view(cat),
    ]


def current_view(cat: Category) -> list[str]:
    """The view of the current features (re-made when a field is added to the table)."""
    t = cat.code
    return [
        f'DROP VIEW IF EXISTS "{t}_current"',
        f'CREATE VIEW "{t}_current" AS SELECT * FROM "{t}" WHERE version_to IS NULL',
    ]


def add_field(cat: Category, name: str, ftype: str) -> list[str]:
    """A field added to a category after its table was made: a new, empty column."""
    return [f'ALTER TABLE "{cat.code}" ADD COLUMN "{name}" {SQL_TYPES[ftype]}', *current_view(cat)]


def vector_categories() -> Iterable[Category]:
    return (c for c in load_categories().values() if not c.is_raster)


def initial_statements() -> list[str]:
    """Everything migration 0001 runs: Liuyu's own tables, every module's tables, every category."""
    out = list(CORE)
    for name in TABLE_MODULES:
        out += _module_ddl(name)
    for cat in vector_categories():
        out += category_table(cat)
    return out
