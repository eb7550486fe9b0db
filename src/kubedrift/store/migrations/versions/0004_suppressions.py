"""Suppressions: the `suppressions` table, and each finding's suppression on the timeline.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

- `suppressions`: what `kubedrift suppress` records, with reason, end date and author.
  Selector columns are NULL when the suppression does not constrain them; `until` is an
  ISO date (the last UTC day it holds), text so SQLite and PostgreSQL return it alike.
- `findings.suppression`: the suppression covering the episode when last seen (JSON, NULL
  when none), so `history` shows a suppressed finding as suppressed.
- `finding_changes.note`: a row of an episode's history that records an event rather than
  a new value — a suppression starting, or ending ("suppression expired").

Types are spelled out, not imported from schema.py, as in 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SELECTORS = ("finding", "kind", "namespace", "name", "path", "rule")
_JSON = sa.JSON(none_as_null=False).with_variant(postgresql.JSONB(none_as_null=False), "postgresql")


def upgrade() -> None:
    """Create `suppressions`; add `findings.suppression` and `finding_changes.note`."""
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
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("suppression", _JSON, nullable=True))
    with op.batch_alter_table("finding_changes") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop what `upgrade` added."""
    with op.batch_alter_table("finding_changes") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("suppression")
    op.drop_table("suppressions")
