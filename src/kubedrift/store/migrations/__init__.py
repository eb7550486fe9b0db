"""Alembic migrations of the timeline store: env.py and one module per revision."""
