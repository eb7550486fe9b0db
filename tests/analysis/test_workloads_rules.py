"""Each AI workload rule fires on a crafted case and stays silent on its clean twin."""

from __future__ import annotations

from typing import Any

import pytest

from analysis.nodefactory import NOW, cpu_node, pool, with_changes
from analysis.workloadfactory import (
    condition,
    deployment,
    job,
    job_pods,
    obj,
    owner_ref,
    pod,
    stamp,
)
from kubedrift.analysis.workload_rules import is_mutable_image
from kubedrift.analysis.workloads import analyze_workloads
from kubedrift.model import Finding


def rule_findings(
    rule: str, objects: list[dict[str, Any]], nodes: list[dict[str, Any]] | None = None
) -> list[Finding]:
    result = analyze_workloads(objects, now=NOW, nodes=nodes or pool(4))
    return [f for f in result.findings if f.rule == rule]


def node_names(nodes: list[dict[str, Any]]) -> list[str]:
    return [str(n["metadata"]["name"]) for n in nodes]


# -- multi-node-job-inconsistent -----------------------------------------------------------

INCONSISTENT = "multi-node-job-inconsistent"


@pytest.mark.parametrize(
    ("change", "fact"),
    [
        ({"labels": {"nvidia.com/cuda.driver-version.full": "550.90.07"}}, "driver-version"),
        ({"labels": {"nvidia.com/cuda.runtime-version.full": "12.4"}}, "runtime-version"),
        ({"info": {"kernelVersion": "6.1.0-1"}}, "kernelVersion"),
        ({"labels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}}, "gpu.product"),
    ],
)
def test_a_multi_node_job_on_disagreeing_nodes_is_reported(
    change: dict[str, Any], fact: str
) -> None:
    nodes = pool(4)
    nodes[3] = with_changes(nodes[3], **change)
    n = node_names(nodes)
    (finding,) = rule_findings(INCONSISTENT, job_pods("train", n), nodes)
    assert fact in finding.path
    assert dict(finding.details)["nodes"] == n[3]
    assert isinstance(finding.live, dict)
    assert list(finding.live) == [n[3]], "live names only the nodes that differ"
    assert finding.impact is not None
    assert finding.impact.gpus == 32


def test_a_multi_node_job_on_agreeing_nodes_is_not() -> None:
    nodes = pool(4)
    assert rule_findings(INCONSISTENT, job_pods("train", node_names(nodes)), nodes) == []


def test_serving_replicas_on_disagreeing_nodes_are_not_a_multi_node_job() -> None:
    nodes = pool(2)
    nodes[1] = with_changes(nodes[1], info={"kernelVersion": "6.1.0-1"})
    objects = deployment("llm", node_names(nodes), ["vllm:v1", "vllm:v1"])
    assert rule_findings(INCONSISTENT, objects, nodes) == []


# -- mutable-image -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "mutable"),
    [
        ("nvcr.io/nvidia/pytorch:latest", True),
        ("nvcr.io/nvidia/pytorch", True),
        ("localhost:5000/trainer", True),
        ("nvcr.io/nvidia/pytorch:24.05-py3", False),
        ("nvcr.io/nvidia/pytorch:latest@sha256:abc", False),
        ("localhost:5000/trainer:1.2", False),
    ],
)
def test_mutable_image_references(image: str, mutable: bool) -> None:
    assert is_mutable_image(image) is mutable


def test_a_gpu_workload_on_a_mutable_image_is_reported_and_its_pinned_twin_is_not() -> None:
    n = node_names(pool(2))
    (finding,) = rule_findings("mutable-image", job_pods("train", n, image="org/train:latest"))
    assert finding.live == ["org/train:latest"]
    assert rule_findings("mutable-image", job_pods("train", n, image="org/train:1.0")) == []


def test_a_cpu_workload_on_a_mutable_image_is_not_reported() -> None:
    objects = [pod("web", "n1", gpus=0, image="nginx")]
    assert rule_findings("mutable-image", objects) == []


# -- gpu-pod-without-gpu-limit ---------------------------------------------------------------

NO_LIMIT = "gpu-pod-without-gpu-limit"


def test_a_pod_tolerating_the_gpu_taint_on_a_gpu_node_without_a_gpu_is_reported() -> None:
    nodes = pool(1)
    (n,) = node_names(nodes)
    (finding,) = rule_findings(NO_LIMIT, [pod("sneaky", n, gpus=0)], nodes)
    assert dict(finding.details)["pods"] == "sneaky"


def test_pods_holding_a_gpu_or_not_tolerating_the_taint_or_of_daemonsets_are_not() -> None:
    nodes = [*pool(1), cpu_node(5)]
    gpu, cpu = node_names(nodes)
    ds = owner_ref("apps/v1", "DaemonSet", "nvidia-device-plugin")
    objects = [
        pod("holds-gpu", gpu, gpus=1),
        pod("no-toleration", gpu, gpus=0, tolerate_gpu=False),
        pod("on-cpu-node", cpu, gpus=0),
        pod("device-plugin-x", gpu, gpus=0, owner=ds),
    ]
    assert rule_findings(NO_LIMIT, objects, nodes) == []


# -- inference-image-skew --------------------------------------------------------------------

SKEW = "inference-image-skew"


def test_replicas_running_different_images_are_reported() -> None:
    objects = deployment("llm", ["n1", "n2", "n3"], ["vllm:v0.6.3", "vllm:v0.6.3", "vllm:v0.5"])
    (finding,) = rule_findings(SKEW, objects)
    assert str(finding.object) == "Deployment/ml-inference/llm"
    assert finding.desired == "vllm:v0.6.3"
    assert finding.impact is not None
    assert finding.impact.gpus == 3


def test_replicas_with_one_tag_pulled_at_different_digests_are_reported() -> None:
    objects = deployment("llm", ["n1", "n2"], ["vllm:v1", "vllm:v1"])
    objects[-1]["status"]["containerStatuses"][0]["imageID"] = "vllm@sha256:bb"
    assert len(rule_findings(SKEW, objects)) == 1


def test_replicas_on_one_image_are_not() -> None:
    objects = deployment("llm", ["n1", "n2", "n3"], ["vllm:v1"] * 3)
    assert rule_findings(SKEW, objects) == []


# -- gang-below-minimum ----------------------------------------------------------------------

GANG = "gang-below-minimum"


def podgroup(min_member: int, phase: str = "Running") -> dict[str, Any]:
    return obj(
        "scheduling.volcano.sh/v1beta1",
        "PodGroup",
        "pg",
        spec={"minMember": min_member},
        status={"phase": phase},
    )


def gang_pods(count: int) -> list[dict[str, Any]]:
    ann = {"scheduling.k8s.io/group-name": "pg"}
    ref = owner_ref("batch.volcano.sh/v1alpha1", "Job", "vc")
    return [pod(f"vc-{i}", f"n{i}", owner=ref, annotations=ann) for i in range(count)]


def test_a_volcano_podgroup_below_min_member_is_reported() -> None:
    (finding,) = rule_findings(GANG, [podgroup(4), *gang_pods(3)])
    assert (finding.desired, finding.live) == (4, 3)
    assert rule_findings(GANG, [podgroup(4), *gang_pods(4)]) == []


def test_a_queued_podgroup_with_no_members_running_is_fine() -> None:
    assert rule_findings(GANG, [podgroup(4, phase="Inqueue")]) == []


def jobset(replicas: int, parallelism: int) -> dict[str, Any]:
    template = {"spec": {"parallelism": parallelism}}
    spec = {"replicatedJobs": [{"name": "w", "replicas": replicas, "template": template}]}
    return obj("jobset.x-k8s.io/v1alpha2", "JobSet", "js", spec=spec)


def jobset_pods(count: int) -> list[dict[str, Any]]:
    ref = owner_ref("jobset.x-k8s.io/v1alpha2", "JobSet", "js")
    return [job("js-w-0", owner=ref), *job_pods("js-w-0", [f"n{i}" for i in range(count)])]


def test_a_jobset_with_fewer_running_pods_than_replicas_times_parallelism_is_reported() -> None:
    (finding,) = rule_findings(GANG, [jobset(2, 2), *jobset_pods(3)])
    assert finding.desired == 4
    assert finding.impact is not None
    assert finding.impact.gpus == 24
    assert rule_findings(GANG, [jobset(2, 2), *jobset_pods(4)]) == []


def test_a_finished_jobset_is_skipped() -> None:
    done = jobset(2, 2)
    done["status"] = {"conditions": [condition("Completed")]}
    assert rule_findings(GANG, [done, *jobset_pods(1)]) == []


def test_a_leaderworkerset_below_replicas_times_size_is_reported() -> None:
    lws = obj(
        "leaderworkerset.x-k8s.io/v1",
        "LeaderWorkerSet",
        "lws",
        spec={"replicas": 1, "leaderWorkerTemplate": {"size": 4}},
    )
    sts_ref = owner_ref("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", "lws")
    sts = obj("apps/v1", "StatefulSet", "lws", owner=sts_ref)
    ref = owner_ref("apps/v1", "StatefulSet", "lws")
    pods = [pod(f"lws-{i}", f"n{i}", owner=ref) for i in range(4)]
    assert len(rule_findings(GANG, [lws, sts, *pods[:2]])) == 1
    assert rule_findings(GANG, [lws, sts, *pods]) == []


def test_a_pytorchjob_below_its_replicas_is_reported() -> None:
    spec = {"pytorchReplicaSpecs": {"Master": {"replicas": 1}, "Worker": {"replicas": 3}}}
    ptj = obj("kubeflow.org/v1", "PyTorchJob", "bert", spec=spec)
    ref = owner_ref("kubeflow.org/v1", "PyTorchJob", "bert")
    pods = [pod(f"bert-{i}", f"n{i}", owner=ref) for i in range(4)]
    assert len(rule_findings(GANG, [ptj, *pods[:3]])) == 1
    assert rule_findings(GANG, [ptj, *pods]) == []


# -- quota-held-without-pods -----------------------------------------------------------------

QUOTA = "quota-held-without-pods"


def kueue_workload(admitted_hours_ago: float = 2.0, finished: bool = False) -> dict[str, Any]:
    conditions = [condition("Admitted", hours_ago=admitted_hours_ago)]
    if finished:
        conditions.append(condition("Finished"))
    admission = {
        "clusterQueue": "h100",
        "podSetAssignments": [
            {"name": "main", "count": 4, "resourceUsage": {"nvidia.com/gpu": "32"}}
        ],
    }
    return obj(
        "kueue.x-k8s.io/v1beta1",
        "Workload",
        "job-train-1a2b",
        owner=owner_ref("batch/v1", "Job", "train"),
        spec={"podSets": [{"name": "main", "count": 4}]},
        status={"admission": admission, "conditions": conditions},
    )


def test_an_admitted_workload_without_running_pods_is_reported() -> None:
    (finding,) = rule_findings(QUOTA, [kueue_workload(), job("train")])
    assert finding.impact is not None
    assert finding.impact.gpus == 32
    assert round(finding.impact.gpu_hours) == 64
    assert "h100" in finding.message


def test_running_pods_fresh_finished_or_unadmitted_workloads_are_not() -> None:
    n = [f"n{i}" for i in range(4)]
    assert rule_findings(QUOTA, [kueue_workload(), job("train"), *job_pods("train", n)]) == []
    assert rule_findings(QUOTA, [kueue_workload(admitted_hours_ago=0.05)]) == []
    assert rule_findings(QUOTA, [kueue_workload(finished=True)]) == []
    pending = kueue_workload()
    del pending["status"]["admission"]
    assert rule_findings(QUOTA, [pending]) == []


def test_a_kueue_workload_with_some_pods_running_is_a_gang_below_minimum() -> None:
    objects = [kueue_workload(), job("train"), *job_pods("train", ["n1", "n2"])]
    assert len(rule_findings(GANG, objects)) == 1


# -- pvc-not-backed-up -----------------------------------------------------------------------

BACKUP = "pvc-not-backed-up"


def training_with_claim(labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    pvc = obj("v1", "PersistentVolumeClaim", "ckpt", labels=labels)
    return [pvc, job("train"), *job_pods("train", ["n1", "n2"], claims=("ckpt",))]


def schedule(
    namespaces: list[str] | None = None,
    selector: dict[str, Any] | None = None,
    cron: str = "@every 6h",
    paused: bool = False,
) -> dict[str, Any]:
    template: dict[str, Any] = {}
    if namespaces is not None:
        template["includedNamespaces"] = namespaces
    if selector is not None:
        template["labelSelector"] = selector
    spec = {"schedule": cron, "template": template, "paused": paused}
    return obj("velero.io/v1", "Schedule", "ckpt-6h", "velero", spec=spec)


def backup(hours_ago: float, phase: str = "Completed", name: str = "b1") -> dict[str, Any]:
    return obj(
        "velero.io/v1",
        "Backup",
        name,
        "velero",
        labels={"velero.io/schedule-name": "ckpt-6h"},
        status={"phase": phase, "completionTimestamp": stamp(hours_ago)},
    )


VELERO_CRD = obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "schedules.velero.io", None)


def test_a_training_pvc_no_schedule_covers_is_reported() -> None:
    (finding,) = rule_findings(BACKUP, [*training_with_claim(), VELERO_CRD])
    assert str(finding.object) == "PersistentVolumeClaim/ml-training/ckpt"
    assert finding.impact is not None
    assert finding.impact.gpus == 16
    assert "no Velero schedule" in finding.message


def test_a_cluster_without_velero_gets_no_backup_findings_but_one_note() -> None:
    """Regression (issue 11.8): a cluster without Velero got a HIGH finding per PVC."""
    result = analyze_workloads(training_with_claim(), now=NOW, nodes=pool(4))
    assert [f for f in result.findings if f.rule == BACKUP] == []
    assert result.notes == (
        "pvc-not-backed-up not checked for 1 training PVCs: "
        "Velero is not installed (no velero.io kinds)",
    )
    nothing_to_check = analyze_workloads([], now=NOW, nodes=pool(4))
    assert nothing_to_check.notes == ()  # no training PVC: no note on every scan
    served = analyze_workloads(training_with_claim(), now=NOW, nodes=pool(4), velero=True)
    assert [f.rule for f in served.findings if f.rule == BACKUP] == [BACKUP]
    assert served.notes == ()
    unserved = [*training_with_claim(), VELERO_CRD]
    off = analyze_workloads(unserved, now=NOW, nodes=pool(4), velero=False)
    assert [f for f in off.findings if f.rule == BACKUP] == []


@pytest.mark.parametrize(
    "covering",
    [
        schedule(["ml-training"]),
        schedule(["*"]),
        schedule(None),
        schedule(["ml-training"], selector={"matchLabels": {"backup": "yes"}}),
    ],
)
def test_a_training_pvc_with_a_recent_completed_backup_is_not(covering: dict[str, Any]) -> None:
    objects = [*training_with_claim({"backup": "yes"}), covering, backup(2)]
    assert rule_findings(BACKUP, objects) == []


@pytest.mark.parametrize(
    "other",
    [
        schedule(["ml-inference"]),
        schedule(["ml-training"], selector={"matchLabels": {"backup": "no"}}),
        schedule(["ml-training"], paused=True),
    ],
)
def test_a_schedule_that_does_not_select_the_pvc_does_not_cover_it(other: dict[str, Any]) -> None:
    objects = [*training_with_claim({"backup": "yes"}), other, backup(2)]
    (finding,) = rule_findings(BACKUP, objects)
    assert "no Velero schedule" in finding.message


def test_a_last_backup_older_than_the_period_allows_is_reported() -> None:
    objects = [*training_with_claim(), schedule(["ml-training"]), backup(10)]
    (finding,) = rule_findings(BACKUP, objects)
    assert "finished 10.0h ago" in finding.message


@pytest.mark.parametrize("phase", ["PartiallyFailed", "Failed"])
def test_a_last_backup_that_did_not_complete_is_reported(phase: str) -> None:
    objects = [
        *training_with_claim(),
        schedule(["ml-training"]),
        backup(8, name="old"),
        backup(1, phase, name="new"),
    ]
    (finding,) = rule_findings(BACKUP, objects)
    assert phase in finding.message


def test_a_pvc_of_an_inference_deployment_is_not_checked() -> None:
    objects = deployment("llm", ["n1"], ["vllm:v1"])
    objects[-1]["spec"]["volumes"] = [{"name": "m", "persistentVolumeClaim": {"claimName": "m"}}]
    assert rule_findings(BACKUP, objects) == []


def test_clean_twins_of_every_rule_together_report_nothing() -> None:
    nodes = pool(4)
    n = node_names(nodes)
    objects = [
        *training_with_claim(),
        schedule(["ml-training"]),
        backup(1),
        *deployment("llm", n[2:4], ["vllm:v1", "vllm:v1"]),
        podgroup(2),
        *gang_pods(2),
    ]
    assert analyze_workloads(objects, now=NOW, nodes=nodes).findings == ()
