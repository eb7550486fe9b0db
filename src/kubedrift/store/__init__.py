"""The drift timeline store (SQLite and PostgreSQL)."""
