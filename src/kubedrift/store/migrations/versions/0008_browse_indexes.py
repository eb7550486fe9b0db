"""Indexes for the dashboard and API: open drift by severity/category, and times of day.

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03

The overview adds up open episodes by severity and category (a covering partial index, so
the count reads the index, not the rows), and counts episodes opened and resolved per day
over the whole fleet (`first_seen`, `resolved_at`; the per-cluster `first_seen` index does
not serve a query across clusters). bench/bench_api.py measures them with 100,000 findings.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    """Create the three indexes."""
    op.create_index(
        "ix_findings_open_summary",
        "findings",
        ["cluster", "severity", "category"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("ix_findings_first_seen", "findings", ["first_seen"])
    op.create_index("ix_findings_resolved_at", "findings", ["resolved_at"])


def downgrade() -> None:
    """Drop them."""
    for name in ("ix_findings_resolved_at", "ix_findings_first_seen", "ix_findings_open_summary"):
        op.drop_index(name, table_name="findings")
