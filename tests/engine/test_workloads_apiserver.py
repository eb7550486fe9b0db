"""AI workload rules against the real apiserver, with minimal CRDs for the AI kinds.

Two namespaces hold twin set-ups: `wl-risky` where every rule has something to report and
`wl-clean` where nothing is wrong. Pods are bound to registered GPU nodes with their status
written (no scheduler or kubelet runs), and owned by real custom objects (uids read back
from the server, so the garbage collector leaves them alone). JobSet, LeaderWorkerSet and
the Ray kinds are left uninstalled: the scan skips them and says so.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import pytest

from analysis.nodefactory import NOW, pool, with_changes
from analysis.workloadfactory import condition, obj, owner_ref, pod, stamp
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.writes import register
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.model import Finding, Report
from support.apiserver import ApiServer

RISKY, CLEAN, VELERO = "wl-risky", "wl-clean", "wl-velero"
POOL = "wl-h100"
CRDS = (
    ("kubeflow.org", "v1", "PyTorchJob", "pytorchjobs"),
    ("scheduling.volcano.sh", "v1beta1", "PodGroup", "podgroups"),
    ("kueue.x-k8s.io", "v1beta1", "Workload", "workloads"),
    ("velero.io", "v1", "Schedule", "schedules"),
    ("velero.io", "v1", "Backup", "backups"),
    ("serving.kserve.io", "v1beta1", "InferenceService", "inferenceservices"),
)
RULES = {
    "workload-on-drifted-node",
    "multi-node-job-inconsistent",
    "gang-below-minimum",
    "quota-held-without-pods",
    "pvc-not-backed-up",
    "mutable-image",
    "gpu-pod-without-gpu-limit",
    "inference-image-skew",
}


def crd(group: str, version: str, kind: str, plural: str) -> dict[str, Any]:
    """A minimal CRD: any fields, no status subresource (status is written with the object)."""
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def nodes() -> list[dict[str, Any]]:
    """Six GPU nodes of pool wl-h100; wl-gpu-0 and wl-gpu-1 run a newer kernel."""
    out = []
    for i, node in enumerate(pool(6)):
        name = f"wl-gpu-{i}"
        labels = {"kubernetes.io/hostname": name, "eks.amazonaws.com/nodegroup": POOL}
        changed = with_changes(node, labels=labels)
        if i < 2:
            changed = with_changes(changed, info={"kernelVersion": "5.15.0-1062-aws"})
        changed["metadata"]["name"] = name
        out.append(changed)
    return out


def kubectl(apiserver: ApiServer, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(apiserver.kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def apply(apiserver: ApiServer, objects: list[dict[str, Any]]) -> None:
    document = {"apiVersion": "v1", "kind": "List", "items": objects}
    kubectl(apiserver, "apply", "-f", "-", stdin=json.dumps(document))


def pytorchjob(ns: str, name: str, workers: int) -> dict[str, Any]:
    spec = {"pytorchReplicaSpecs": {"Worker": {"replicas": workers}}}
    return obj("kubeflow.org/v1", "PyTorchJob", name, ns, spec=spec)


def custom_objects(ns: str, risky: bool) -> list[dict[str, Any]]:
    """The custom objects of one namespace (owners first: their uids are read back)."""
    return [
        pytorchjob(ns, "train", 4),
        pytorchjob(ns, "idle", 2),
        obj("serving.kserve.io/v1beta1", "InferenceService", "llm", ns),
        obj(
            "scheduling.volcano.sh/v1beta1",
            "PodGroup",
            "gang",
            ns,
            spec={"minMember": 4 if risky else 2},
            status={"phase": "Running"},
        ),
    ]


def with_uid(ref: dict[str, Any], uids: dict[tuple[str, str, str], str], ns: str) -> dict[str, Any]:
    return ref | {"uid": uids[(ns, ref["kind"], ref["name"])]}


def kueue_workload(ns: str, owner: str, uids: dict[tuple[str, str, str], str]) -> dict[str, Any]:
    ref = with_uid(owner_ref("kubeflow.org/v1", "PyTorchJob", owner), uids, ns)
    admission = {
        "clusterQueue": "h100",
        "podSetAssignments": [{"name": "w", "count": 2, "resourceUsage": {"nvidia.com/gpu": "16"}}],
    }
    return obj(
        "kueue.x-k8s.io/v1beta1",
        "Workload",
        f"pytorchjob-{owner}",
        ns,
        owner=ref,
        spec={"podSets": [{"name": "w", "count": 2}]},
        status={"admission": admission, "conditions": [condition("Admitted")]},
    )


def velero_objects() -> list[dict[str, Any]]:
    """`clean` covers wl-clean with a fresh completed backup; `risky` covers wl-risky PVCs
    labelled backup=yes, and its last backup partly failed."""
    out = []
    for name, included, selector, phase in (
        ("clean", [CLEAN], None, "Completed"),
        ("risky", [RISKY], {"matchLabels": {"backup": "yes"}}, "PartiallyFailed"),
    ):
        template: dict[str, Any] = {"includedNamespaces": included}
        if selector:
            template["labelSelector"] = selector
        out.append(
            obj(
                "velero.io/v1",
                "Schedule",
                name,
                VELERO,
                spec={"schedule": "@every 6h", "template": template},
            )
        )
        out.append(
            obj(
                "velero.io/v1",
                "Backup",
                f"{name}-1",
                VELERO,
                labels={"velero.io/schedule-name": name},
                status={"phase": phase, "completionTimestamp": stamp(1)},
            )
        )
    return out


def pods(ns: str, risky: bool, uids: dict[tuple[str, str, str], str]) -> list[dict[str, Any]]:
    def owner(api_version: str, kind: str, name: str) -> dict[str, Any]:
        return with_uid(owner_ref(api_version, kind, name), uids, ns)

    train = owner("kubeflow.org/v1", "PyTorchJob", "train")
    isvc = owner("serving.kserve.io/v1beta1", "InferenceService", "llm")
    train_nodes = [f"wl-gpu-{i}" for i in ((0, 1, 2, 3) if risky else (2, 3, 4, 5))]
    image = "org/trainer:latest" if risky else "org/trainer:1.0"
    claims = ("ckpt", "ckpt-labelled") if risky else ("ckpt",)
    out = [
        pod(f"train-{i}", n, owner=train, image=image, claims=claims, namespace=ns)
        for i, n in enumerate(train_nodes)
    ]
    images = ["vllm/vllm:v1", "vllm/vllm:v1", "vllm/vllm:v2" if risky else "vllm/vllm:v1"]
    out += [
        pod(f"llm-{i}", f"wl-gpu-{4 + i % 2}", owner=isvc, gpus=1, image=img, namespace=ns)
        for i, img in enumerate(images)
    ]
    group = {"scheduling.k8s.io/group-name": "gang"}
    out += [
        pod(f"gang-{i}", "wl-gpu-5", gpus=1, image="org/gang:1.0", namespace=ns, annotations=group)
        for i in range(2)
    ]
    out.append(
        pod("helper", "wl-gpu-4", gpus=0, image="busybox:1.36", namespace=ns, tolerate_gpu=risky)
    )
    return out


def pvcs(ns: str) -> list[dict[str, Any]]:
    spec = {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}}
    return [
        obj("v1", "PersistentVolumeClaim", "ckpt", ns, spec=spec),
        obj(
            "v1", "PersistentVolumeClaim", "ckpt-labelled", ns, spec=spec, labels={"backup": "yes"}
        ),
    ]


def read_uids(apiserver: ApiServer) -> dict[tuple[str, str, str], str]:
    kinds = "pytorchjobs.kubeflow.org,inferenceservices.serving.kserve.io"
    items = json.loads(kubectl(apiserver, "get", kinds, "-A", "-o", "json"))["items"]
    return {
        (i["metadata"]["namespace"], i["kind"], i["metadata"]["name"]): i["metadata"]["uid"]
        for i in items
    }


@pytest.fixture(scope="module")
def report(apiserver: ApiServer) -> Report:
    apply(apiserver, [crd(*c) for c in CRDS])
    names = [f"crd/{plural}.{group}" for group, _, _, plural in CRDS]
    kubectl(apiserver, "wait", "--for=condition=established", "--timeout=60s", *names)
    namespaces = [obj("v1", "Namespace", n, None) for n in (RISKY, CLEAN, VELERO)]
    apply(apiserver, namespaces)
    apply(apiserver, custom_objects(RISKY, True) + custom_objects(CLEAN, False))
    uids = read_uids(apiserver)
    apply(
        apiserver,
        [
            *velero_objects(),
            kueue_workload(RISKY, "idle", uids),
            kueue_workload(CLEAN, "train", uids),
        ],
    )
    target = ClusterTarget(kubeconfig=apiserver.kubeconfig)
    builtins = [*nodes(), *pvcs(RISKY), *pvcs(CLEAN)]
    builtins += pods(RISKY, True, uids) + pods(CLEAN, False, uids)
    asyncio.run(register(target, builtins))
    # NOW: the moment the factories' pods, GFD labels and backups are dated from
    return asyncio.run(run_scan(ScanRequest(target=target, now=NOW)))


def in_namespace(report: Report, ns: str) -> list[Finding]:
    return [f for f in report.findings if f.object.namespace == ns]


def test_every_rule_reports_its_crafted_case(report: Report) -> None:
    found = {f.rule for f in in_namespace(report, RISKY)}
    assert found == RULES


def test_the_clean_twins_report_nothing(report: Report) -> None:
    assert in_namespace(report, CLEAN) == []


def test_the_risky_training_job_leads_the_ranking_of_its_namespace(report: Report) -> None:
    risky = in_namespace(report, RISKY)
    impact = risky[0].impact
    assert impact is not None
    assert impact.workloads == (f"PyTorchJob/{RISKY}/train",)
    assert impact.gpus == 32


def test_the_backup_findings_say_why(report: Report) -> None:
    by_pvc = {
        f.object.name: f.message
        for f in in_namespace(report, RISKY)
        if f.rule == "pvc-not-backed-up"
    }
    assert "no Velero schedule covers it" in by_pvc["ckpt"]
    assert "PartiallyFailed" in by_pvc["ckpt-labelled"]


def test_uninstalled_crd_kinds_are_skipped_with_a_note(report: Report) -> None:
    (note,) = [n for n in report.notes if "not served" in n and "workload kinds" in n]
    for kind in ("JobSet", "LeaderWorkerSet", "RayCluster", "RayJob"):
        assert kind in note
    assert "PyTorchJob" not in note


def test_nodes_under_the_multi_node_job_carry_its_gpus(report: Report) -> None:
    drifted = {
        f.object.name: f for f in report.findings if f.object.name in ("wl-gpu-0", "wl-gpu-1")
    }
    assert set(drifted) == {"wl-gpu-0", "wl-gpu-1"}
    for finding in drifted.values():
        assert finding.impact is not None
        assert finding.impact.gpus == 8
