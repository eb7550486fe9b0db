"""The severity table."""

from __future__ import annotations

import pytest

from kubedrift.diff.differences import Rule
from kubedrift.diff.pointers import ListKey, Path
from kubedrift.diff.severity import severity_of
from kubedrift.model import Severity

C = ListKey((("name", "trainer"),))
POD = ("spec", "template", "spec")


@pytest.mark.parametrize(
    ("kind", "path", "rule", "severity"),
    [
        ("Deployment", (), Rule.OBJECT_MISSING, Severity.HIGH),
        ("Secret", ("data", "password"), Rule.FIELD_CHANGED, Severity.HIGH),
        ("Deployment", (*POD, "containers", C, "image"), Rule.FIELD_CHANGED, Severity.HIGH),
        (
            "Deployment",
            (*POD, "initContainers", C, "command", 0),
            Rule.FIELD_CHANGED,
            Severity.HIGH,
        ),
        (
            "Deployment",
            (*POD, "containers", C, "resources", "limits", "nvidia.com/gpu"),
            Rule.FIELD_CHANGED,
            Severity.HIGH,
        ),
        ("Deployment", (*POD, "nodeSelector", "pool"), Rule.FIELD_MISSING, Severity.HIGH),
        (
            "Deployment",
            (*POD, "tolerations", ListKey((("key", "a"),))),
            Rule.LIST_ITEM_EXTRA,
            Severity.HIGH,
        ),
        ("Deployment", (*POD, "affinity", "nodeAffinity"), Rule.FIELD_CHANGED, Severity.HIGH),
        (
            "Deployment",
            (*POD, "containers", C, "securityContext", "privileged"),
            Rule.FIELD_CHANGED,
            Severity.HIGH,
        ),
        ("ClusterRole", ("rules",), Rule.FIELD_CHANGED, Severity.HIGH),
        ("RoleBinding", ("subjects", 0), Rule.FIELD_CHANGED, Severity.HIGH),
        ("Deployment", ("spec", "replicas"), Rule.FIELD_CHANGED, Severity.MEDIUM),
        (
            "Deployment",
            (*POD, "containers", C, "env", ListKey((("name", "A"),))),
            Rule.FIELD_CHANGED,
            Severity.MEDIUM,
        ),
        (
            "Deployment",
            ("spec", "template", "metadata", "labels", "app"),
            Rule.FIELD_CHANGED,
            Severity.MEDIUM,
        ),
        ("Deployment", ("metadata", "labels", "team"), Rule.FIELD_REMOVED, Severity.LOW),
        ("ConfigMap", ("metadata", "annotations", "note"), Rule.FIELD_CHANGED, Severity.LOW),
        ("ConfigMap", ("data", "key"), Rule.FIELD_CHANGED, Severity.MEDIUM),
    ],
)
def test_severity_table(kind: str, path: Path, rule: Rule, severity: Severity) -> None:
    assert severity_of(kind, path, rule) is severity
