"""The node quarantine planner (pure): which findings warrant a cordon, what a drain evicts.

Objects are plain dicts as the apiserver shows them; the rules under test are in
`remediate.nodes` (policy, kubectl drain's filters, the gang and backup holds, releases).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubedrift.engine.node_context import judge
from kubedrift.model import Category, Finding, ObjectRef, Severity
from kubedrift.remediate.nodes import (
    CORDONED_BY,
    TAINT_KEY,
    cordon_patch,
    plan_nodes,
    quarantine_bar,
    release_patch,
)
from kubedrift.remediate.plan import Cordon, Drain, NoAction, Uncordon

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NS = "ml"


def node(
    name: str, *, unschedulable: bool = False, mark: bool = False, taint: bool = False
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "resourceVersion": "7"}
    if mark:
        meta["annotations"] = {CORDONED_BY: "kubedrift"}
    spec: dict[str, Any] = {"taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]}
    if taint:
        spec["taints"].append({"key": TAINT_KEY, "value": "gpu-unhealthy", "effect": "NoSchedule"})
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec}


def pod(
    name: str,
    on: str,
    owner: tuple[str, str, str] | None,
    *,
    gpus: int = 0,
    claim: str | None = None,
    annotations: dict[str, str] | None = None,
    empty_dir: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS, "uid": f"uid-{name}"}
    if owner:
        api, kind, oname = owner
        meta["ownerReferences"] = [
            {"apiVersion": api, "kind": kind, "name": oname, "controller": True}
        ]
    if annotations:
        meta["annotations"] = annotations
    container: dict[str, Any] = {"name": "c", "image": "img@sha256:1"}
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": str(gpus)}}
    volumes: list[dict[str, Any]] = []
    if claim:
        volumes.append({"name": "ckpt", "persistentVolumeClaim": {"claimName": claim}})
    if empty_dir:
        volumes.append({"name": "scratch", "emptyDir": {}})
    spec = {"nodeName": on, "containers": [container], "volumes": volumes}
    status = {"phase": "Running", "startTime": "2026-12-01T08:00:00Z"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def finding(
    name: str,
    rule: str = "gpu-unhealthy",
    severity: Severity = Severity.HIGH,
    path: str = "allocatable:nvidia.com/gpu",
) -> Finding:
    return Finding(
        category=Category.NODE,
        severity=severity,
        object=ObjectRef("v1", "Node", None, name),
        path=path,
        desired="8",
        live="7",
        rule=rule,
        message="one GPU unhealthy",
    )


RS = ("apps/v1", "ReplicaSet", "web-1")
PYTORCH = ("kubeflow.org/v1", "PyTorchJob", "llama")


def plan_for(
    objects: list[dict[str, Any]], findings: list[Finding], *, drain: bool
) -> dict[str, Any]:
    nodes = [o for o in objects if o["kind"] == "Node"]
    ctx = judge(nodes, objects, NOW, complete=True)
    planned = plan_nodes(findings, ctx, drain=drain)
    return {"by": planned.by_finding, "releases": planned.releases}


@pytest.mark.parametrize(
    ("f", "acts"),
    [
        (finding("n1"), True),
        (finding("n1", severity=Severity.MEDIUM), False),
        (finding("n1", "peer-mismatch", path="label:nvidia.com/cuda.driver-version.full"), True),
        (finding("n1", "peer-mismatch", path="label:example.com/team"), False),
        (finding("n1", "gfd-labels-stale", path="label:nvidia.com/gfd.timestamp"), False),
        (finding("n1", "driver-upgrade-failed", Severity.CRITICAL), True),
    ],
)
def test_which_node_findings_warrant_quarantine(f: Finding, acts: bool) -> None:
    assert (quarantine_bar(f) == "") is acts


def test_a_pool_finding_names_no_node_to_cordon() -> None:
    pool = Finding(
        category=Category.NODE,
        severity=Severity.HIGH,
        object=ObjectRef("kubedrift.io/v1alpha1", "NodePool", None, "a100"),
        path="label:nvidia.com/cuda.driver-version.full",
        desired=None,
        live=None,
        rule="no-consensus",
        message="m",
    )
    assert "no single node" in quarantine_bar(pool)


def test_a_gang_member_is_held_and_the_job_named() -> None:
    objects = [
        node("n1"),
        node("n2"),
        pod("llama-0", "n1", PYTORCH, gpus=8),
        pod("llama-1", "n2", PYTORCH, gpus=8),
        pod("web", "n1", RS),
    ]
    f = finding("n1")
    action = plan_for(objects, [f], drain=True)["by"][f.identity()]
    assert isinstance(action, Cordon)
    assert action.reason.startswith("cordon now, drain after the job ends or checkpoints")
    assert "PyTorchJob/ml/llama" in action.reason
    fates = {str(p.pod): p.fate for p in action.pods}
    assert fates == {"Pod/ml/llama-0": "hold", "Pod/ml/web": "evict"}
    assert action.risk.level == "high"
    assert action.risk.gpus == 8


def test_a_job_spanning_two_nodes_is_a_gang_even_as_a_plain_job() -> None:
    job = ("batch/v1", "Job", "ddp")
    objects = [node("n1"), node("n2"), pod("ddp-0", "n1", job), pod("ddp-1", "n2", job)]
    f = finding("n1")
    action = plan_for(objects, [f], drain=True)["by"][f.identity()]
    assert isinstance(action, Cordon)
    assert "Job/ml/ddp (a job running on 2 nodes" in action.reason


def test_a_statefulset_spread_over_nodes_is_no_gang() -> None:
    sts = ("apps/v1", "StatefulSet", "db")
    objects = [node("n1"), node("n2"), pod("db-0", "n1", sts), pod("db-1", "n2", sts)]
    f = finding("n1")
    action = plan_for(objects, [f], drain=True)["by"][f.identity()]
    assert isinstance(action, Drain)  # its PDB, not kubedrift, decides how many may go
    assert [str(p.pod) for p in action.evictions] == ["Pod/ml/db-0"]


def test_drain_follows_kubectl_filters() -> None:
    objects = [
        node("n1"),
        pod("web", "n1", RS),
        pod("exporter", "n1", ("apps/v1", "DaemonSet", "dcgm")),
        pod("static", "n1", ("v1", "Node", "n1"), annotations={"kubernetes.io/config.mirror": "x"}),
    ]
    f = finding("n1")
    action = plan_for(objects, [f], drain=True)["by"][f.identity()]
    assert isinstance(action, Drain)
    assert [str(p.pod) for p in action.evictions] == ["Pod/ml/web"]
    skipped = {str(p.pod): p.why for p in action.pods if p.fate == "skip"}
    assert "DaemonSet" in skipped["Pod/ml/exporter"]
    assert "mirror" in skipped["Pod/ml/static"]
    assert action.patch["spec"]["unschedulable"] is True


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (pod("naked", "n1", None), "no controller"),
        (pod("cache", "n1", RS, empty_dir=True), "emptyDir"),
    ],
)
def test_what_kubectl_refuses_is_held(extra: dict[str, Any], why: str) -> None:
    f = finding("n1")
    action = plan_for([node("n1"), extra], [f], drain=True)["by"][f.identity()]
    assert isinstance(action, Cordon)
    assert why in action.reason


def velero(completed_hours_ago: float | None) -> list[dict[str, Any]]:
    schedule = {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": {
            "name": "daily",
            "namespace": "velero",
            "creationTimestamp": "2026-11-01T00:00:00Z",
        },
        "spec": {"schedule": "0 0 * * *", "template": {"includedNamespaces": [NS]}},
    }
    if completed_hours_ago is None:
        return [schedule]
    done = (NOW - timedelta(hours=completed_hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    backup = {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {
            "name": "daily-1",
            "namespace": "velero",
            "labels": {"velero.io/schedule-name": "daily"},
        },
        "status": {"phase": "Completed", "completionTimestamp": done},
    }
    return [schedule, backup]


@pytest.mark.parametrize(
    ("backups", "fate"),
    [([], "hold"), (velero(None), "hold"), (velero(100.0), "hold"), (velero(2.0), "evict")],
)
def test_a_training_pod_is_evicted_only_with_a_fresh_backup(
    backups: list[dict[str, Any]], fate: str
) -> None:
    job = ("batch/v1", "Job", "finetune")
    objects = [node("n1"), pod("ft-0", "n1", job, gpus=1, claim="ckpt"), *backups]
    f = finding("n1")
    action = plan_for(objects, [f], drain=True)["by"][f.identity()]
    assert isinstance(action, Cordon | Drain)
    [note] = action.pods
    assert note.fate == fate
    if fate == "hold":
        assert "no fresh successful Velero backup" in action.reason


def test_without_drain_the_node_is_only_cordoned_and_other_findings_are_covered() -> None:
    f, g = finding("n1"), finding("n1", "driver-upgrade-failed", Severity.CRITICAL, "label:x")
    by = plan_for([node("n1"), pod("web", "n1", RS)], [f, g], drain=False)["by"]
    assert isinstance(by[g.identity()], Cordon)  # the most severe carries the action
    assert by[g.identity()].taint == "driver-upgrade-failed"
    assert isinstance(by[f.identity()], NoAction)
    assert "covered by the cordon" in by[f.identity()].reason


def test_cordon_patch_marks_only_a_cordon_it_makes_and_keeps_other_taints() -> None:
    patch = cordon_patch(node("n1"), "gpu-unhealthy", "m")
    assert patch is not None
    assert patch["metadata"]["resourceVersion"] == "7"
    assert patch["metadata"]["annotations"][CORDONED_BY] == "kubedrift"
    assert [t["key"] for t in patch["spec"]["taints"]] == ["gpu", TAINT_KEY]
    theirs = cordon_patch(node("n1", unschedulable=True), "gpu-unhealthy", "m")
    assert theirs is not None
    assert "annotations" not in theirs["metadata"]
    assert cordon_patch(node("n1", unschedulable=True, taint=True), "gpu-unhealthy", "m") is None


def test_release_only_uncordons_what_kubedrift_cordoned() -> None:
    objects = [
        node("ours", unschedulable=True, mark=True, taint=True),
        node("theirs", unschedulable=True, taint=True),
        node("admin", unschedulable=True),
        node("still", unschedulable=True, mark=True, taint=True),
    ]
    releases = plan_for(objects, [finding("still")], drain=False)["releases"]
    by_name = {a.object.name: a for a in releases}
    assert set(by_name) == {"ours", "theirs"}
    assert isinstance(by_name["ours"], Uncordon)
    assert by_name["ours"].uncordon
    assert by_name["ours"].patch["spec"] == {
        "taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}],
        "unschedulable": None,
    }
    assert by_name["ours"].patch["metadata"]["annotations"][CORDONED_BY] is None
    assert not by_name["theirs"].uncordon
    assert "unschedulable" not in by_name["theirs"].patch["spec"]
    assert release_patch(node("admin", unschedulable=True)) is None


def test_a_suppressed_node_finding_gets_no_quarantine() -> None:
    """A node finding someone suppressed (with a reason, until a date) is not cordoned:
    `plan` says `none` and why, as for a suppressed object finding."""
    import dataclasses
    from datetime import date

    from kubedrift.model.suppression import Suppression
    from kubedrift.remediate.plan import build_plan

    objects = [node("n1")]
    f = finding("n1")
    planned = plan_for(objects, [f], drain=False)
    assert isinstance(planned["by"][f.identity()], Cordon)
    quiet = Suppression("driver swap booked for Friday", date(2026, 12, 31), name="n1")
    muted = dataclasses.replace(f, suppression=quiet)
    (action,) = build_plan([muted], [], [], nodes=planned["by"]).actions
    assert isinstance(action, NoAction)
    assert action.reason == "suppressed until 2026-12-31: driver swap booked for Friday"
