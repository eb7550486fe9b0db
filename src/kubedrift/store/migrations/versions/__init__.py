"""Alembic revisions of the timeline store, oldest first by `down_revision`."""
