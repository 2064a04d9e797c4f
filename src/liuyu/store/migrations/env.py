"""Alembic environment: migrate the workspace schema on the connection ``pg_schema.upgrade`` hands over.

The version table lives in the workspace's own schema, so several workspaces can share a
database, each at its own revision. Importing this file outside alembic (doctest collection,
type checking) does nothing.
"""

from __future__ import annotations

from typing import Any

from alembic import context


def run(ctx: Any) -> None:
    config = ctx.config
    connection = config.attributes["connection"]
    schema = config.attributes["schema"]
    connection.exec_driver_sql(f'SET search_path TO "{schema}", public')
    ctx.configure(connection=connection, version_table_schema=schema, transactional_ddl=True)
    with ctx.begin_transaction():
        # several workers opening an old schema at once: one migrates, the others then find it done
        connection.exec_driver_sql(
            f"SELECT pg_advisory_xact_lock(hashtextextended('liuyu-migrate:{schema}', 0))"
        )
        ctx.run_migrations()


if getattr(context, "config", None) is not None:
    run(context)
