"""Findings for what the cluster would not let us read: never a silent green scan.

RBAC that forbids a desired kind, or the node list, leaves part of the scan undone; each
such gap is a `kind-not-readable` finding (the watcher's rule), so the run fails rather than
exiting 0 with nothing said.
"""

from __future__ import annotations

from kubedrift.model import Category, Finding, ObjectRef, Severity
from kubedrift.model.rules import AccessRule

RULE = AccessRule.KIND_NOT_READABLE.value
ALL_NODES = ObjectRef("v1", "Node", None, "*")
"""The object a node-list finding names: every node."""


def not_readable_finding(ref: ObjectRef, plural: str, revision: str | None) -> Finding:
    """A desired object whose kind RBAC does not let us read (get, list)."""
    return Finding(
        category=Category.OBJECT,
        severity=Severity.HIGH,
        object=ref,
        path="",
        desired="readable",
        live=None,
        rule=RULE,
        message=f"kubedrift may not list {plural} (RBAC): grant get, list and watch on them "
        "to check this object",
        revision=revision,
    )


def nodes_not_readable_finding() -> Finding:
    """The node list RBAC forbids: no node, pool or GPU-stack rule could run."""
    return Finding(
        category=Category.NODE,
        severity=Severity.HIGH,
        object=ALL_NODES,
        path="",
        desired="readable",
        live=None,
        rule=RULE,
        message="kubedrift may not list nodes (RBAC): grant get, list and watch on nodes to "
        "check them, or pass --no-nodes",
    )
