"""Alembic migrations of the PostgreSQL schema of a workspace (run in code by ``liuyu.store.pg_schema``)."""
