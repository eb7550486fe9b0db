"""Frozen value types shared by every layer: object references, findings, errors (pure)."""

from kubedrift.model.errors import ClusterError, InputError, KubedriftError
from kubedrift.model.findings import (
    MISSING,
    Category,
    Finding,
    Impact,
    Severity,
    SourceLocation,
)
from kubedrift.model.refs import AGENT_NAMESPACE, ObjectRef, ref_of
from kubedrift.model.report import SCHEMA, PoolSummary, Report
from kubedrift.model.types import JSON, JSONObject

__all__ = [
    "AGENT_NAMESPACE",
    "JSON",
    "MISSING",
    "SCHEMA",
    "Category",
    "ClusterError",
    "Finding",
    "Impact",
    "InputError",
    "JSONObject",
    "KubedriftError",
    "ObjectRef",
    "PoolSummary",
    "Report",
    "Severity",
    "SourceLocation",
    "ref_of",
]
