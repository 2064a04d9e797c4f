"""Where a PostGIS workspace lives and how its schema is made: URL, connection, migrations, cloning.

A workspace on PostgreSQL is one schema of one database, named by Liuyu's own ``schema``
parameter of the store URL (``postgresql://user@host:port/db?schema=miyun``); the parameter is
stripped before connecting. The schema is laid out by alembic (``store/migrations``), run in
code at ``liuyu init`` and whenever an older schema is opened; an up-to-date schema is opened
with one query, so every API worker thread can open its own connection cheaply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from liuyu.errors import StoreError
from liuyu.store import pg_ddl
from liuyu.store.base import utc_now
from liuyu.store.location import check_schema_name, redact, split_location, with_schema

__all__ = [
    "MIGRATIONS",
    "clone_schema",
    "connect",
    "open_schema",
    "redact",
    "split_location",
    "upgrade",
    "with_schema",
]

MIGRATIONS = Path(__file__).with_name("migrations")


def connect(conninfo: str) -> psycopg.Connection[Any]:
    """An autocommit connection, or a StoreError that says how to reach the server."""
    try:
        return psycopg.connect(conninfo, autocommit=True, application_name="liuyu")
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(
            f"cannot connect to PostgreSQL at {redact(conninfo)}: {first}",
            hint="check that the server runs (scripts/pg.sh start), the host, port, user, password "
            "(or ~/.pgpass / PGPASSWORD) and that the database exists (createdb NAME)",
        ) from exc
    except psycopg.ProgrammingError as exc:
        raise StoreError(
            f"{redact(conninfo)} is not a valid PostgreSQL URL ({exc})",
            hint="write postgresql://user[:password]@host:port/database?schema=NAME",
        ) from exc


def ensure_postgis(raw: psycopg.Connection[Any]) -> None:
    """PostGIS in the database (``public``), created if the server has it and we may."""
    if raw.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    try:
        raw.execute("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public")
    except psycopg.Error as exc:
        raise StoreError(
            f"PostGIS is not available in this database ({str(exc).strip().splitlines()[0]})",
            hint="install it (apt-get install postgresql-15-postgis-3) and run CREATE EXTENSION postgis; "
            "as a superuser, or ask the database administrator to",
        ) from exc


def schema_state(raw: psycopg.Connection[Any], schema: str) -> tuple[bool, bool, str | None]:
    """(schema exists, holds a Liuyu workspace, its alembic revision or None)."""
    exists = raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if not exists:
        return False, False, None
    tables = {
        r[0]
        for r in raw.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname IN ('liuyu_meta', 'alembic_version')",
            (schema,),
        )
    }
    revision = None
    if "alembic_version" in tables:
        row = raw.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchone()
        revision = None if row is None else str(row[0])
    return True, "liuyu_meta" in tables, revision


def is_empty(raw: psycopg.Connection[Any], schema: str) -> bool:
    row = raw.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
        (schema,),
    ).fetchone()
    return row is None or int(row[0]) == 0


def set_search_path(raw: psycopg.Connection[Any], schema: str) -> None:
    """The workspace schema first, then public (where PostGIS lives)."""
    raw.execute(f'SET search_path TO "{schema}", public')


def upgrade(conninfo: str, schema: str) -> None:
    """Run the migrations up to head in ``schema`` (alembic, its version table in the schema)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    url = "postgresql+psycopg://" + conninfo.split("://", 1)[1]
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = connection
            cfg.attributes["schema"] = schema
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def ensure_category_tables(raw: psycopg.Connection[Any], schema: str) -> None:
    """Tables and fields of categories added to the catalogue after the schema was made."""
    if not _category_ddl(raw, schema):
        return
    with raw.transaction():  # several workers may open at once: one adds, the others find it done
        raw.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"liuyu-ddl:{schema}",))
        for stmt in _category_ddl(raw, schema):
            raw.execute(stmt)


def _category_ddl(raw: psycopg.Connection[Any], schema: str) -> list[str]:
    cols: dict[str, set[str]] = {}
    for table, column in raw.execute(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
        (schema,),
    ):
        cols.setdefault(table, set()).add(column)
    stmts: list[str] = []
    for cat in pg_ddl.vector_categories():
        if cat.code not in cols:
            stmts += pg_ddl.category_table(cat)
        else:
            for f in cat.fields:
                if f.name not in cols[cat.code]:
                    stmts += pg_ddl.add_field(cat, f.name, f.type)
    return stmts


def clone_schema(raw: psycopg.Connection[Any], source: str, target: str, *, unlogged: bool = False) -> None:
    """Copy every table (rows, keys, indexes, partitions), function, view and sequence position to ``target``.

    For tests and trials, far faster than re-creating a workspace: ``CREATE TABLE (LIKE ...)``
    without indexes, ``INSERT ... SELECT``, then the keys and indexes built once over the copied
    rows, all in one transaction. ``unlogged`` skips the write-ahead log (a throw-away copy that
    a server crash may empty). Foreign keys are not copied.
    """
    check_schema_name(target)
    s, t = f'"{source}"', f'"{target}"'
    raw.execute("SET search_path TO pg_catalog")  # every definition below comes schema-qualified
    in_source = "n.nspname = %s AND c.relkind IN ('r', 'p')"
    tables = raw.execute(
        "SELECT c.relname, c.relkind, pg_get_partkeydef(c.oid) FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {in_source} AND NOT c.relispartition "
        "ORDER BY c.oid",
        (source,),
    ).fetchall()
    parts = raw.execute(
        "SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {in_source} ORDER BY c.oid",
        (source,),
    ).fetchall()
    keys = raw.execute(
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE {in_source} AND NOT c.relispartition AND k.contype IN ('p', 'u', 'x') ORDER BY k.oid",
        (source,),
    ).fetchall()
    indexes = raw.execute(
        "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {in_source} AND NOT c.relispartition "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
        "ORDER BY x.indexrelid",
        (source,),
    ).fetchall()
    functions = raw.execute(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = %s AND p.prokind = 'f' ORDER BY p.oid",
        (source,),
    ).fetchall()
    raw.execute(f"SET search_path TO {s}, public")  # views: names relative to the schema
    views = raw.execute(
        "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'v' ORDER BY c.oid",
        (source,),
    ).fetchall()
    log = "UNLOGGED " if unlogged else ""
    with raw.transaction():
        raw.execute(f"CREATE SCHEMA {t}")
        for (definition,) in functions:  # schema names are plain identifiers: never quoted in the text
            raw.execute(definition.replace(f"FUNCTION {source}.", f"FUNCTION {target}.", 1))
        for name, kind, partkey in tables:
            like = f'(LIKE {s}."{name}" INCLUDING ALL EXCLUDING INDEXES)'
            if kind == "p":  # a partitioned table cannot be unlogged itself, only its partitions
                raw.execute(f'CREATE TABLE {t}."{name}" {like} PARTITION BY {partkey}')
            else:
                raw.execute(f'CREATE {log}TABLE {t}."{name}" {like}')
        for name, parent, bound in parts:
            raw.execute(f'CREATE {log}TABLE {t}."{name}" PARTITION OF {t}."{parent}" {bound}')
        for name, _kind, _key in tables:
            raw.execute(f'INSERT INTO {t}."{name}" SELECT * FROM {s}."{name}"')
        for table, constraint, definition in keys:
            raw.execute(f'ALTER TABLE {t}."{table}" ADD CONSTRAINT "{constraint}" {definition}')
        for (definition,) in indexes:
            for old in (f" ON ONLY {source}.", f" ON {source}."):
                definition = definition.replace(old, f" ON {target}.", 1)
            raw.execute(definition)
        set_search_path(raw, target)
        for name, definition in views:
            raw.execute(f'CREATE VIEW {t}."{name}" AS {definition}')
        for table, column in raw.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND a.attidentity <> '' "
            "AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
            (target,),
        ).fetchall():
            raw.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f'coalesce((SELECT max("{column}") FROM {t}."{table}"), 0) + 1, false)',
                (f'{t}."{table}"', column),
            )


def known_revisions() -> set[str]:
    """Every schema revision this Liuyu has a migration for."""
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def open_schema(conninfo: str, schema: str, *, create: bool) -> psycopg.Connection[Any]:
    """A connection to the workspace in ``schema`` (made first with ``create``), search path set.

    Refuses, with what to do: creating over a workspace or a foreign schema, opening a schema
    that holds no workspace or one written by a newer Liuyu. An older schema is migrated.
    """
    raw = connect(conninfo)
    try:
        exists, is_liuyu, revision = schema_state(raw, schema)
        where = f"schema {schema!r} of {redact(conninfo)}"
        if create:
            if is_liuyu:
                raise StoreError(
                    f"{where} already holds a Liuyu workspace",
                    hint="open it (point [store] location at it), choose another ?schema=, "
                    "or drop it first (DROP SCHEMA ... CASCADE)",
                )
            if exists and not is_empty(raw, schema):
                raise StoreError(
                    f"{where} exists and holds other tables", hint="choose another ?schema= for the workspace"
                )
            _create(raw, conninfo, schema, made_schema=not exists)
        else:
            if not is_liuyu:
                raise StoreError(
                    f"{where} holds no Liuyu workspace",
                    hint="check ?schema= in [store] location, or create one with "
                    "`liuyu init PATH --store URL`",
                )
            _check_revision(raw, conninfo, schema, revision, where)
        set_search_path(raw, schema)
        ensure_category_tables(raw, schema)
    except BaseException:
        raw.close()
        raise
    return raw


def _create(raw: psycopg.Connection[Any], conninfo: str, schema: str, *, made_schema: bool) -> None:
    ensure_postgis(raw)
    if made_schema:
        try:
            raw.execute(f'CREATE SCHEMA "{schema}"')
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"may not create schema {schema!r}: {str(exc).strip().splitlines()[0]}",
                hint="GRANT CREATE ON DATABASE <db> TO <user>, or have an administrator create "
                "the (empty) schema and grant it to the user",
            ) from exc
    try:
        upgrade(conninfo, schema)
        set_search_path(raw, schema)
        raw.execute(
            "INSERT INTO liuyu_meta VALUES ('application', 'liuyu'), ('schema_version', %s), "
            "('created_at', %s)",
            (str(pg_ddl.SCHEMA_VERSION), utc_now()),
        )
    except BaseException:
        if made_schema:
            raw.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        raise


def _check_revision(
    raw: psycopg.Connection[Any], conninfo: str, schema: str, revision: str | None, where: str
) -> None:
    row = raw.execute(
        f'SELECT value FROM "{schema}".liuyu_meta WHERE key = %s', ("schema_version",)
    ).fetchone()
    if revision == pg_ddl.HEAD_REVISION and row is not None and int(row[0]) <= pg_ddl.SCHEMA_VERSION:
        return
    newer_meta = row is not None and int(row[0]) > pg_ddl.SCHEMA_VERSION
    if newer_meta or (revision is not None and revision not in known_revisions()):
        raise StoreError(
            f"{where} was written by a newer Liuyu", hint="upgrade Liuyu (`pip install -U liuyu`)"
        )
    if revision is None:
        raise StoreError(
            f"{where} has lost its migration record (alembic_version)",
            hint="restore the schema from a backup, or record its revision: "
            f"INSERT INTO {schema}.alembic_version VALUES ('{pg_ddl.HEAD_REVISION}') if it is current",
        )
    upgrade(conninfo, schema)  # an older revision: migrate it in place
