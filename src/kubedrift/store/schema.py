"""The timeline's tables, as SQLAlchemy Core metadata (the migrations must match it).

    clusters         one row per cluster recorded; its row is the per-cluster write lock
    findings         one row per episode: identity, times, current values and metadata
    finding_changes  an episode's values over time: the first values, then each change

`findings.key` is SHA-256 of cluster + `Finding.identity()`; a partial unique index keeps at
most one open episode per key and is the conflict target of the upsert. `desired`/`live`
are SQL NULL when that side is `MISSING`, JSON `null` when the value is null. Times are
stored in UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC, read back aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: a time zone is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return UTC-aware times whatever the backend gave."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only
Json = JSON(none_as_null=False).with_variant(JSONB(none_as_null=False), "postgresql")

metadata = MetaData(naming_convention=NAMING)

clusters = Table(
    "clusters",
    metadata,
    Column("name", Text, primary_key=True),
    Column("first_recorded", UtcDateTime(), nullable=False),
    Column("last_recorded", UtcDateTime(), nullable=False),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("cluster", Text, ForeignKey("clusters.name", ondelete="CASCADE"), nullable=False),
    Column("api_group", Text, nullable=False),
    Column("api_version", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("namespace", Text, nullable=False),  # "" for cluster-scoped objects
    Column("name", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("desired", Json, nullable=True),
    Column("live", Json, nullable=True),
    Column("value_digest", String(32), nullable=False),
    Column("manager", Text, nullable=True),
    Column("changed_at", Text, nullable=True),
    Column("revision", Text, nullable=True),
    Column("pool", Text, nullable=True),
    Column("message", Text, nullable=False),
    Column("details", Json, nullable=False),
    Column("impact", Json, nullable=True),
    Column("suppression", Json, nullable=True),  # the suppression when last seen (0004)
)

_OPEN = findings.c.resolved_at.is_(None)

Index("uq_findings_key_episode", findings.c.key, findings.c.episode, unique=True)
Index(
    "uq_findings_open_key",
    findings.c.key,
    unique=True,
    sqlite_where=_OPEN,
    postgresql_where=_OPEN,
)
Index("ix_findings_cluster_open", findings.c.cluster, sqlite_where=_OPEN, postgresql_where=_OPEN)
Index("ix_findings_cluster_first_seen", findings.c.cluster, findings.c.first_seen)
# The dashboard's overview (migration 0005): open drift by severity and category read from
# the index alone, and episodes opened and resolved per day across clusters.
Index(
    "ix_findings_open_summary",
    findings.c.severity,
    findings.c.category,
    findings.c.cluster,
    findings.c.resolved_at,
    sqlite_where=_OPEN,
    postgresql_where=_OPEN,
)
Index(
    "ix_findings_open_by_cluster",
    findings.c.cluster,
    findings.c.severity,
    findings.c.category,
    findings.c.resolved_at,
    sqlite_where=_OPEN,
    postgresql_where=_OPEN,
)
_OPEN_IMPACT = _OPEN & findings.c.impact.is_not(None)
Index(
    "ix_findings_open_impact",
    findings.c.cluster,
    sqlite_where=_OPEN_IMPACT,
    postgresql_where=_OPEN_IMPACT,
)
Index("ix_findings_first_seen", findings.c.first_seen)
_RESOLVED = findings.c.resolved_at.is_not(None)  # not a candidate for `IS NULL` (see 0005)
Index(  # `episode` and `severity` added by 0006: `/api/v1/stats` reads this index alone
    "ix_findings_resolved_at",
    findings.c.resolved_at,
    findings.c.first_seen,
    findings.c.cluster,
    findings.c.episode,
    findings.c.severity,
    sqlite_where=_RESOLVED,
    postgresql_where=_RESOLVED,
)
Index(  # 0006: the open episodes' ages (`/api/v1/stats`), in `first_seen` order
    "ix_findings_open_first_seen",
    findings.c.first_seen,
    findings.c.cluster,
    findings.c.severity,
    findings.c.episode,
    findings.c.resolved_at,
    sqlite_where=_OPEN,
    postgresql_where=_OPEN,
)
Index(
    "ix_findings_cluster_object",
    findings.c.cluster,
    findings.c.kind,
    findings.c.namespace,
    findings.c.name,
)

finding_changes = Table(
    "finding_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("finding_id", Id, ForeignKey("findings.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("desired", Json, nullable=True),
    Column("live", Json, nullable=True),
    Column("manager", Text, nullable=True),
    Column("revision", Text, nullable=True),
    Column("note", Text, nullable=True),  # an event, not a value: suppression start/end (0004)
)

Index("ix_finding_changes_finding_at", finding_changes.c.finding_id, finding_changes.c.at)

settings = Table(
    "settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
"""The store's own values; `secret-hash-key`: hex key of the HMAC shown for Secret values."""

SECRET_HASH_KEY = "secret-hash-key"

actions = Table(
    "actions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", Text, nullable=False),
    Column("cluster", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("api_version", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("namespace", Text, nullable=False),  # "" for cluster-scoped objects
    Column("name", Text, nullable=False),
    Column("paths", Json, nullable=False),
    Column("changes", Json, nullable=False),
    Column("dry_run", Integer, nullable=False),
    Column("result", String(16), nullable=False),
    Column("message", Text, nullable=False),
)
"""Remediation actions (`kubedrift apply`): who, when, what changed, result. `changes` holds
`{path, from, to}` per field with the finding's values (Secret values already masked)."""

Index("ix_actions_at", actions.c.at)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("finding", Text, nullable=True),
    Column("kind", Text, nullable=True),
    Column("namespace", Text, nullable=True),
    Column("name", Text, nullable=True),
    Column("path", Text, nullable=True),
    Column("rule", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("until", String(10), nullable=False),  # ISO date: the last day it holds (UTC)
    Column("by", Text, nullable=False),
    Column("created", UtcDateTime(), nullable=False),
)
"""`kubedrift suppress`: reasoned, expiring suppressions (`kubedrift.model.suppression`)."""
