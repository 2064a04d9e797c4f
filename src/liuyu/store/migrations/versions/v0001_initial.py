"""Initial schema: Liuyu's own tables, every table module's PG_DDL, one table per vector category.

Revision ID: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from liuyu.store import pg_ddl

    # the driver's own cursor: the statements go to the server as written (no bind-parameter parsing)
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    for stmt in pg_ddl.initial_statements():
        raw.execute(stmt)


def downgrade() -> None:
    raise NotImplementedError("the initial schema is not downgraded: drop the schema instead")
