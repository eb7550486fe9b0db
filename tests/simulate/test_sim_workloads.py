"""Simulated workloads: bound pods, consistent owners, no node overcommitted."""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from kubedrift.simulate import Fleet, build_fleet, default_fleet_spec


def cpu_m(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else int(quantity) * 1000


def memory_ki(quantity: str) -> int:
    units = {"Ki": 1, "Mi": 1024, "Gi": 1024**2}
    return int(quantity[:-2]) * units[quantity[-2:]]


def requests(pod: dict[str, Any]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for container in pod["spec"]["containers"]:
        req = container["resources"]["requests"]
        total["gpu"] += int(req.get("nvidia.com/gpu", 0))
        total["cpu"] += cpu_m(req["cpu"])
        total["memory"] += memory_ki(req["memory"])
    return total


@pytest.fixture(scope="module", params=[10, 400, 5000])
def fleet(request: pytest.FixtureRequest) -> Fleet:
    return build_fleet(default_fleet_spec(request.param, seed=request.param, drift_rate=0.05))


def test_no_node_is_overcommitted(fleet: Fleet) -> None:
    used: dict[str, Counter[str]] = defaultdict(Counter)
    for pod in fleet.pods:
        used[pod["spec"]["nodeName"]] += Counter(requests(pod)) + Counter(pods=1)
    nodes = {n["metadata"]["name"]: n for n in fleet.nodes}
    assert set(used) <= set(nodes)
    for name, use in used.items():
        alloc = nodes[name]["status"]["allocatable"]
        assert use["gpu"] <= int(alloc.get("nvidia.com/gpu", 0)), name
        assert use["cpu"] <= cpu_m(alloc["cpu"]), name
        assert use["memory"] <= memory_ki(alloc["memory"]), name
        assert use["pods"] <= int(alloc["pods"]), name


def test_gpus_are_actually_used(fleet: Fleet) -> None:
    gpu_capacity = sum(
        int(n["status"]["allocatable"].get("nvidia.com/gpu", 0)) for n in fleet.nodes
    )
    gpu_used = sum(requests(p)["gpu"] for p in fleet.pods)
    assert 0.4 * gpu_capacity < gpu_used <= gpu_capacity


def test_pods_are_bound_running_and_addressed(fleet: Fleet) -> None:
    nodes = {n["metadata"]["name"]: n for n in fleet.nodes}
    pod_ips = [p["status"]["podIP"] for p in fleet.pods]
    assert len(set(pod_ips)) == len(pod_ips)
    for pod in fleet.pods:
        node = nodes[pod["spec"]["nodeName"]]
        status = pod["status"]
        assert status["phase"] == "Running"
        assert status["hostIP"] == node["status"]["addresses"][0]["address"]
        cidr = ipaddress.ip_network(node["spec"]["podCIDR"])
        assert ipaddress.ip_address(status["podIP"]) in cidr
        started = datetime.fromisoformat(status["startTime"])
        assert started > datetime.fromisoformat(node["metadata"]["creationTimestamp"])
        assert started < fleet.spec.now
        if requests(pod)["gpu"]:
            tolerated = {t["key"] for t in pod["spec"]["tolerations"]}
            assert "nvidia.com/gpu" in tolerated
            assert "nvidia.com/gpu.present" in node["metadata"]["labels"]


def test_owner_chains_are_consistent(fleet: Fleet) -> None:
    by_uid = {o["metadata"]["uid"]: o for o in fleet.objects()}
    owned: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pod in fleet.pods:
        (ref,) = pod["metadata"]["ownerReferences"]
        owner = by_uid[ref["uid"]]
        assert (owner["kind"], owner["metadata"]["name"]) == (ref["kind"], ref["name"])
        assert owner["metadata"]["namespace"] == pod["metadata"]["namespace"]
        selector = owner["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()
        owned[ref["uid"]].append(pod)
    for rs in fleet.replicasets:
        (ref,) = rs["metadata"]["ownerReferences"]
        deployment = by_uid[ref["uid"]]
        assert deployment["kind"] == "Deployment"
        assert rs["spec"]["replicas"] == deployment["spec"]["replicas"]
        assert len(owned[rs["metadata"]["uid"]]) == rs["spec"]["replicas"]
        hashless = dict(rs["spec"]["template"]["metadata"]["labels"])
        hashless.pop("pod-template-hash")
        assert hashless == deployment["spec"]["template"]["metadata"]["labels"]
        assert rs["spec"]["template"]["spec"] == deployment["spec"]["template"]["spec"]
    for job in fleet.jobs:
        pods = owned[job["metadata"]["uid"]]
        assert len(pods) == job["spec"]["parallelism"] == job["status"]["active"]


def test_multi_node_jobs_are_gangs_within_a_zone(fleet: Fleet) -> None:
    nodes = {n["metadata"]["name"]: n for n in fleet.nodes}
    by_job: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pod in fleet.pods:
        if pod["metadata"]["ownerReferences"][0]["kind"] == "Job":
            by_job[pod["metadata"]["ownerReferences"][0]["name"]].append(pod)
    for job, pods in by_job.items():
        hosts = [p["spec"]["nodeName"] for p in pods]
        assert len(set(hosts)) == len(hosts), job
        zones = {nodes[h]["metadata"]["labels"]["topology.kubernetes.io/zone"] for h in hosts}
        assert len(zones) == 1, job
        indexes = sorted(int(p["metadata"]["annotations"][_INDEX]) for p in pods)
        assert indexes == list(range(len(pods)))


_INDEX = "batch.kubernetes.io/job-completion-index"


def test_checkpoint_claims_exist(fleet: Fleet) -> None:
    claims = {(c["metadata"]["namespace"], c["metadata"]["name"]) for c in fleet.pvcs}
    for pod in fleet.pods:
        for volume in pod["spec"]["volumes"]:
            if "persistentVolumeClaim" in volume:
                key = (pod["metadata"]["namespace"], volume["persistentVolumeClaim"]["claimName"])
                assert key in claims
    assert len(fleet.pvcs) == len(fleet.jobs)


def test_some_workloads_run_on_drifted_nodes() -> None:
    fleet = build_fleet(default_fleet_spec(400, seed=1, drift_rate=0.05))
    on_drifted = {p["spec"]["nodeName"] for p in fleet.pods} & fleet.drifted_nodes()
    assert on_drifted
