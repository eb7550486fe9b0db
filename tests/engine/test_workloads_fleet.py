"""Issue 5 on a simulated fleet: a 4-node training job on two drifted nodes, inference on
clean nodes, idle drifted nodes — scanned from a snapshot through `run_scan`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from kubedrift.engine import ScanRequest, run_scan
from kubedrift.model import Finding, Report
from kubedrift.simulate import (
    G6_XLARGE,
    P5_48XLARGE,
    POOL_LABEL,
    DriftKind,
    DriftSpec,
    Fleet,
    FleetSpec,
    PoolRole,
    PoolSpec,
    WorkloadSpec,
    build_fleet,
    write_snapshot,
)

POOLS = (
    PoolSpec("h100-train", P5_48XLARGE, 10, PoolRole.TRAINING, zones=("us-east-2a",)),
    PoolSpec("l4-infer", G6_XLARGE, 4, PoolRole.INFERENCE),
)
WORKLOADS = WorkloadSpec(job_nodes=(4,), training_fill=0.4)


def spec(drifts: tuple[DriftSpec, ...] = ()) -> FleetSpec:
    return FleetSpec(pools=POOLS, seed=3, workloads=WORKLOADS, drifts=drifts)


def placement(fleet: Fleet) -> dict[str, list[str]]:
    """Node name → names of the pods on it."""
    on: dict[str, list[str]] = defaultdict(list)
    for pod in fleet.pods:
        on[pod["spec"]["nodeName"]].append(pod["metadata"]["name"])
    return dict(on)


class Scenario:
    """The fleet, the 4-node job and which nodes drifted."""

    def __init__(self, tmp: Path) -> None:
        clean = build_fleet(spec())
        (self.job,) = [j["metadata"]["name"] for j in clean.jobs if j["spec"]["parallelism"] == 4]
        on = placement(clean)
        self.job_nodes = sorted(n for n, pods in on.items() if pods[0].startswith(self.job))
        training = [
            n["metadata"]["name"]
            for n in clean.nodes
            if n["metadata"]["labels"][POOL_LABEL] == "h100-train"
        ]
        self.idle = [n for n in training if n not in on][:2]
        serving = [p for p in clean.pods if p["metadata"]["namespace"] == "ml-inference"]
        self.inference = sorted({p["spec"]["nodeName"] for p in serving})
        drifts = (
            DriftSpec(DriftKind.KERNEL_BUMP, nodes=tuple(self.job_nodes[:2])),
            DriftSpec(DriftKind.OS_IMAGE, nodes=tuple(self.idle)),
        )
        self.fleet = build_fleet(spec(drifts))
        assert placement(self.fleet) == on  # drift changed no placement
        self.snapshot = write_snapshot(self.fleet, tmp / "live.json")

    def scan(self, *, check_workloads: bool = True) -> Report:
        request = ScanRequest(snapshots=(self.snapshot,), check_workloads=check_workloads)
        return asyncio.run(run_scan(request))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return Scenario(tmp_path_factory.mktemp("fleet"))


def test_the_scenario_has_idle_drifted_nodes_and_a_four_node_job(scenario: Scenario) -> None:
    assert len(scenario.job_nodes) == 4
    assert len(scenario.idle) == 2
    assert scenario.inference
    assert not set(scenario.inference) & set(scenario.job_nodes[:2] + scenario.idle)


def test_the_jobs_finding_names_it_and_ranks_above_drift_touching_no_workload(
    scenario: Scenario,
) -> None:
    report = scenario.scan()
    findings = list(report.findings)
    job_at, job_finding = next(
        (i, f) for i, f in enumerate(findings) if f.rule == "workload-on-drifted-node"
    )
    assert str(job_finding.object) == f"Job/ml-training/{scenario.job}"
    assert scenario.job in job_finding.message
    assert job_finding.impact is not None
    assert job_finding.impact.gpus == 32
    assert job_finding.impact.gpu_hours > 0
    assert dict(job_finding.details)["nodes"] == ",".join(scenario.job_nodes[:2])
    idle_at = [i for i, f in enumerate(findings) if f.object.name in scenario.idle]
    assert len(idle_at) == 2
    assert job_at < min(idle_at)
    assert all(findings[i].impact is None for i in idle_at)


def test_only_the_job_is_on_drifted_nodes_and_inference_is_untouched(scenario: Scenario) -> None:
    on_drift = [f for f in scenario.scan().findings if f.rule == "workload-on-drifted-node"]
    assert [f.object.name for f in on_drift] == [scenario.job]
    inference = [f for f in scenario.scan().findings if f.object.namespace == "ml-inference"]
    assert inference == []


def test_drifted_nodes_under_the_job_carry_its_gpus_and_rise_in_severity(
    scenario: Scenario,
) -> None:
    with_impact = scenario.scan().findings
    without = scenario.scan(check_workloads=False).findings

    def by_node(findings: tuple[Finding, ...]) -> dict[str, Finding]:
        return {f.object.name: f for f in findings if f.object.kind == "Node"}

    after, before = by_node(with_impact), by_node(without)
    for node in scenario.job_nodes[:2]:
        impact = after[node].impact
        assert impact is not None
        assert impact.gpus == 8
        assert after[node].severity.rank == min(before[node].severity.rank + 1, 4)
    for node in scenario.idle:
        assert after[node].severity is before[node].severity


def test_json_carries_impact(scenario: Scenario) -> None:
    out = next(f for f in scenario.scan().findings if f.rule == "workload-on-drifted-node")
    data = out.to_json()
    assert data["category"] == "workload"
    assert data["impact"]["gpus"] == 32
    assert data["impact"]["workloads"] == [f"Job/ml-training/{scenario.job}"]


def test_no_workloads_option_skips_workload_findings(scenario: Scenario) -> None:
    report = scenario.scan(check_workloads=False)
    assert all(f.category.value != "workload" for f in report.findings)


@pytest.mark.parametrize(
    ("flag", "workload_findings"), [("--workloads", True), ("--no-workloads", False)]
)
def test_the_cli_switch(scenario: Scenario, flag: str, workload_findings: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kubedrift", "scan", "--live", str(scenario.snapshot), flag,
         "-o", "json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    findings = json.loads(done.stdout)["findings"]
    workloads = [f for f in findings if f["category"] == "workload"]
    assert bool(workloads) is workload_findings
    if workload_findings:
        assert findings[0]["impact"]["gpus"] == 32
