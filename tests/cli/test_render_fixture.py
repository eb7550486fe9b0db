"""The report every renderer test draws, and the golden-file check (no tests here).

`UPDATE_GOLDEN=1 pytest tests/cli` rewrites the golden files from the current output;
review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from kubedrift.model import (
    MISSING,
    Category,
    Finding,
    Impact,
    ObjectRef,
    PoolSummary,
    Report,
    Severity,
)

GOLDEN = Path(__file__).parent / "golden"

TRAINER = ObjectRef("apps/v1", "Deployment", "ml", "trainer")
HF_TOKEN = ObjectRef("v1", "Secret", "ml", "hf-token")
TRAINER_CONFIG = ObjectRef("v1", "ConfigMap", "ml", "trainer-config")
PROMPTS = ObjectRef("v1", "ConfigMap", "ml", "prompts")
LLAMA_FT = ObjectRef("kubeflow.org/v1", "PyTorchJob", "ml", "llama-ft")
WHEN = "2026-11-20T10:03:00Z"


def node(name: str) -> ObjectRef:
    return ObjectRef("v1", "Node", None, name)


def node_fact(
    name: str, fact: str, expected: str, actual: str, severity: Severity, *, pool: str | None
) -> Finding:
    return Finding(
        category=Category.NODE,
        severity=severity,
        object=node(name),
        path=fact,
        desired=expected,
        live=actual,
        rule="node.peer-mismatch",
        message=f"{fact} differs from the pool majority",
        details=(("pool", pool),) if pool else (),
    )


def field(
    ref: ObjectRef,
    path: str,
    desired: object,
    live: object,
    severity: Severity,
    *,
    manager: str | None = None,
    changed_at: str | None = None,
    rule: str = "object.field-changed",
    message: str = "live value differs from desired",
) -> Finding:
    return Finding(
        category=Category.OBJECT,
        severity=severity,
        object=ref,
        path=path,
        desired=desired,
        live=live,
        rule=rule,
        message=message,
        manager=manager,
        changed_at=changed_at,
        revision="abc1234",
    )


def workload_findings() -> list[Finding]:
    workers = tuple(f"ml/llama-ft-worker-{i}" for i in range(8))
    return [
        Finding(
            category=Category.WORKLOAD,
            severity=Severity.CRITICAL,
            object=LLAMA_FT,
            path="",
            desired=MISSING,
            live=MISSING,
            rule="workload.on-drifted-node",
            message="8 workers run on gpu-h100-07, whose driver differs from its pool",
            impact=Impact(gpus=64, gpu_hours=1234.567, workloads=workers),
            details=(("node", "gpu-h100-07"),),
        ),
        Finding(
            category=Category.WORKLOAD,
            severity=Severity.MEDIUM,
            object=TRAINER,
            path="/spec/template/spec/containers/0/image",
            desired="ghcr.io/acme/trainer:2.4.1",
            live="ghcr.io/acme/trainer:latest",
            rule="workload.mutable-image-tag",
            message="a GPU workload runs a mutable image tag",
            impact=Impact(gpus=8, gpu_hours=96.0, workloads=("ml/trainer",)),
        ),
    ]


def object_findings() -> list[Finding]:
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "trainer-config", "namespace": "ml"},
        "data": {"train.yaml": "epochs: 3\nlr: 0.0001\n"},
    }
    return [
        field(TRAINER, "/spec/replicas", 4, 8, Severity.HIGH, manager="kubectl-edit",
              changed_at=WHEN),
        field(HF_TOKEN, "/data/token", "sha256:9f2c1ab0e4d7", "sha256:41ab07c3d2e9",
              Severity.HIGH, manager="kubectl-client-side-apply", changed_at=WHEN,
              message="Secret key token changed (values hashed)"),
        field(TRAINER, "/spec/template/spec/containers/0/resources",
              {"limits": {"nvidia.com/gpu": 8, "memory": "512Gi"}},
              {"limits": {"nvidia.com/gpu": 4, "memory": "512Gi"}},
              Severity.MEDIUM, manager="helm", changed_at="2026-11-19T08:00:00Z"),
        field(TRAINER_CONFIG, "", manifest, MISSING, Severity.MEDIUM,
              rule="object.missing", message="desired object is missing from the cluster"),
        field(PROMPTS, "/data/template", "Answer | in `json`",
              "Answer | in `yaml`\nBe *brief*.", Severity.LOW, manager="kubectl-edit"),
        field(TRAINER, "/metadata/labels/team", None, "vision", Severity.INFO),
    ]  # fmt: skip


def node_findings() -> list[Finding]:
    driver = "nvidia.com/cuda.driver-version.full"
    return [
        node_fact("gpu-h100-07", driver, "570.86.15", "550.54.15", Severity.HIGH, pool="h100"),
        node_fact("gpu-h100-07", "kernelVersion", "6.8.0-45-generic", "6.8.0-49-generic",
                  Severity.HIGH, pool="h100"),
        node_fact("gpu-a100-02", "nvidia.com/mig.config.state", "success", "failed",
                  Severity.MEDIUM, pool="a100"),
        node_fact("gpu-h100-11", "containerRuntimeVersion", "containerd://1.7.20",
                  "containerd://1.7.22", Severity.LOW, pool="h100"),
        node_fact("cpu-01", "kubeletVersion", "v1.30.4", "v1.30.5", Severity.INFO, pool=None),
    ]  # fmt: skip


def sample_report() -> Report:
    """Ranked as the engine would: impact first, then severity."""
    work, objects, nodes = workload_findings(), object_findings(), node_findings()
    findings = [work[0], nodes[0], nodes[1], objects[0], objects[1], work[1]]
    findings += [objects[2], nodes[2], objects[3], objects[4], nodes[3], objects[5], nodes[4]]
    return Report(
        findings=tuple(findings),
        objects_checked=240,
        nodes_checked=56,
        revision="abc1234",
        live_source="cluster kind-gpu",
        pools=(
            PoolSummary("h100", nodes=16, drifted=2),
            PoolSummary("a100", nodes=8, drifted=1, note="profile a100-prod"),
            PoolSummary("l4", nodes=32, drifted=0),
        ),
        notes=("2 desired objects skipped: no CRD for kind RayCluster in the cluster",),
    )


def empty_report() -> Report:
    return Report(
        findings=(),
        objects_checked=240,
        nodes_checked=56,
        revision="abc1234",
        live_source="cluster kind-gpu",
    )


def check_golden(name: str, text: str) -> None:
    """Compare with `golden/<name>`, or rewrite it when UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: run UPDATE_GOLDEN=1 pytest tests/cli"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 updates)"
