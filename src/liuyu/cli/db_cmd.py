"""`liuyu db info|upgrade`: where the workspace's store is and which schema revision it has."""

from __future__ import annotations

from typing import Any

import typer

from liuyu.cli.options import WorkspaceOpt, console, workspace

db_app = typer.Typer(
    help="The store 数据存储: where it is, its schema revision, migrations", no_args_is_help=True
)


def _describe(ws_path: WorkspaceOpt) -> dict[str, str]:
    """Open the workspace (which migrates an older PostgreSQL schema) and say what its store is."""
    from liuyu.store.location import is_server_location, redact

    with workspace(ws_path) as ws:
        location = ws.config.store.location
        store: Any = ws.store  # both backends have .conn (sqlite3 / PgConn)
        if not is_server_location(location):
            row = store.conn.execute("SELECT value FROM liuyu_meta WHERE key = 'schema_version'").fetchone()
            return {
                "backend": "GeoPackage",
                "location": str(ws.root / location),
                "schema_version": str(row[0]),
            }
        from liuyu.store import pg_ddl

        revision = store.conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return {
            "backend": "PostgreSQL + PostGIS",
            "location": redact(location),
            "schema": str(getattr(store, "schema", "")),
            "revision": str(revision[0] if revision else None),
            "head": pg_ddl.HEAD_REVISION,
            "postgis": str(store.conn.execute("SELECT postgis_lib_version()").fetchone()[0]),
        }


@db_app.command("info")
def info(ws_path: WorkspaceOpt = None) -> None:
    """Print the store's backend, location (password hidden) and schema revision 存储信息."""
    for key, value in _describe(ws_path).items():
        console.print(f"{key:15} {value}")


@db_app.command("upgrade")
def upgrade(ws_path: WorkspaceOpt = None) -> None:
    """Bring the store's schema up to this Liuyu's 升级存储结构 (opening a workspace does it as well)."""
    facts = _describe(ws_path)
    if "revision" in facts:
        console.print(
            f"已是最新 Schema {facts['schema']} is at revision {facts['revision']} (head {facts['head']})"
        )
    else:
        console.print("GeoPackage: 打开时自动补齐 missing tables are added whenever the workspace is opened")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
