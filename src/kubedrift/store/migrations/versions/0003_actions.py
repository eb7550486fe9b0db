"""An `actions` table: every remediation `kubedrift apply` carried out (or dry-ran).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

One row per server-side apply: when, who (kubeconfig user or `--actor`), the cluster, the
object, the fields changed with their values before and after (from the findings, so Secret
values are the keyed hashes, never the values), and the apiserver's answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, not imported from schema.py, so this revision stays what it was (as 0001).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create `actions` and its time index."""
    op.create_table(
        "actions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("cluster", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("api_version", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("paths", JSON, nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("dry_run", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index("ix_actions_at", "actions", ["at"])


def downgrade() -> None:
    """Drop `actions`."""
    op.drop_index("ix_actions_at", table_name="actions")
    op.drop_table("actions")
