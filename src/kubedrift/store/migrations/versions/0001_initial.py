"""The initial timeline schema: clusters, findings (episodes) and finding_changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Types are spelled out here rather than imported from schema.py, so that this revision
stays what it was when later ones change the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    """Create the three tables and their indexes."""
    op.create_table(
        "clusters",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("first_recorded", TIME, nullable=False),
        sa.Column("last_recorded", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_clusters")),
    )
    _create_findings()
    op.create_table(
        "finding_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("finding_id", ID, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("desired", JSON, nullable=True),
        sa.Column("live", JSON, nullable=True),
        sa.Column("manager", sa.Text(), nullable=True),
        sa.Column("revision", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_changes_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_changes")),
    )
    op.create_index("ix_finding_changes_finding_at", "finding_changes", ["finding_id", "at"])


def _create_findings() -> None:
    text_columns = ("api_group", "api_version", "kind", "namespace", "name", "path", "rule")
    op.create_table(
        "findings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in text_columns),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("last_seen", TIME, nullable=False),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("desired", JSON, nullable=True),
        sa.Column("live", JSON, nullable=True),
        sa.Column("value_digest", sa.String(length=32), nullable=False),
        sa.Column("manager", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.Text(), nullable=True),
        sa.Column("revision", sa.Text(), nullable=True),
        sa.Column("pool", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("impact", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster"],
            ["clusters.name"],
            name=op.f("fk_findings_cluster_clusters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index("uq_findings_key_episode", "findings", ["key", "episode"], unique=True)
    op.create_index(
        "uq_findings_open_key",
        "findings",
        ["key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_findings_cluster_open",
        "findings",
        ["cluster"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("ix_findings_cluster_first_seen", "findings", ["cluster", "first_seen"])
    op.create_index(
        "ix_findings_cluster_object", "findings", ["cluster", "kind", "namespace", "name"]
    )


def downgrade() -> None:
    """Drop everything (the timeline is lost)."""
    op.drop_table("finding_changes")
    op.drop_table("findings")
    op.drop_table("clusters")
