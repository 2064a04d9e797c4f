"""Migration scripts, one per schema revision (alembic ignores this file)."""
