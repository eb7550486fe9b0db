"""A `settings` table, holding the store's own key for Secret value hashes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Findings on a Secret show an HMAC of the value, never the value. With a key random per
process, every restart of the watcher changed every hash, and the timeline claimed each
Secret finding's value changed at each restart or failover (issue 12.6). The key is made
here, once per store, inside the migration's transaction and lock, so every watcher that
writes this store (replicas, restarts) hashes alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRET_HASH_KEY = "secret-hash-key"


def upgrade() -> None:
    """Create `settings` with a new random key for Secret value hashes."""
    settings = op.create_table(
        "settings",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
    )
    op.bulk_insert(settings, [{"name": SECRET_HASH_KEY, "value": secrets.token_hex(32)}])


def downgrade() -> None:
    """Drop `settings` (the next upgrade makes a new key)."""
    op.drop_table("settings")
