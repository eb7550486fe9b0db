"""A `suppressions` table: `kubedrift suppress` records, with reason, end date and author.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Selector columns are NULL when the suppression does not constrain them; `until` is an ISO
date (the last UTC day the suppression holds), kept as text so SQLite and PostgreSQL
compare and return it alike. Types are spelled out, not imported from schema.py, as in 0001.

The other helper's actions table (issue 14.1/2) was also numbered 0003 in parallel; one of
the two is renumbered at merge so the chain stays single-headed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `suppressions`."""
    op.create_table(
        "suppressions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        *(sa.Column(name, sa.Text(), nullable=True) for name in _SELECTORS),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.String(length=10), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
    )


_SELECTORS = ("finding", "kind", "namespace", "name", "path", "rule")


def downgrade() -> None:
    """Drop `suppressions`."""
    op.drop_table("suppressions")
