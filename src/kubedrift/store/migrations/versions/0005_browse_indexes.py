"""Indexes for the dashboard and API: open drift by severity/category, and times of day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The overview adds up open episodes by severity and category, of all clusters or of one
(two covering partial indexes, so the count reads the index, not the rows; `resolved_at`
is a column of both because SQLite does not count a partial index as covering when the
WHERE column is missing from it; severity first in one, as the list filters by it),
sums the impact of the few open findings that have one (a partial index of just those),
and counts episodes opened and resolved per day
over the whole fleet (`first_seen`, `resolved_at`; the per-cluster `first_seen` index does
not serve a query across clusters). The `resolved_at` index holds resolved episodes only: a
full one would be picked for `resolved_at IS NULL` (every open episode, one row lookup each)
over the covering partial index, 368 ms instead of 30 with 100,000 findings on SQLite; a
range on `resolved_at` implies NOT NULL, so SQLite and PostgreSQL still use it for those;
`first_seen` and `cluster` in it make the time-to-resolve mean read the index alone.
bench/bench_api.py measures them with 100,000 findings.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("resolved_at IS NULL")
RESOLVED = sa.text("resolved_at IS NOT NULL")
OPEN_IMPACT = sa.text("resolved_at IS NULL AND impact IS NOT NULL")


def upgrade() -> None:
    """Create the five indexes."""
    op.create_index(
        "ix_findings_open_summary",
        "findings",
        ["severity", "category", "cluster", "resolved_at"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_findings_open_by_cluster",
        "findings",
        ["cluster", "severity", "category", "resolved_at"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_findings_open_impact",
        "findings",
        ["cluster"],
        sqlite_where=OPEN_IMPACT,
        postgresql_where=OPEN_IMPACT,
    )
    op.create_index("ix_findings_first_seen", "findings", ["first_seen"])
    op.create_index(
        "ix_findings_resolved_at",
        "findings",
        ["resolved_at", "first_seen", "cluster"],
        sqlite_where=RESOLVED,
        postgresql_where=RESOLVED,
    )


def downgrade() -> None:
    """Drop them."""
    for name in (
        "ix_findings_resolved_at",
        "ix_findings_first_seen",
        "ix_findings_open_impact",
        "ix_findings_open_by_cluster",
        "ix_findings_open_summary",
    ):
        op.drop_index(name, table_name="findings")
