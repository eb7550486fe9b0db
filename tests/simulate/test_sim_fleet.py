"""The fleet simulator end to end: determinism, sizes, pool consistency, snapshots."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubedrift.analysis.identity import IDENTITY_PATTERNS
from kubedrift.simulate import (
    POOL_LABEL,
    DriftKind,
    DriftSpec,
    Fleet,
    SnapshotFormat,
    WorkloadSpec,
    build_fleet,
    default_fleet_spec,
    fleet_to_list,
    write_ground_truth,
    write_snapshot,
)
from kubedrift.simulate.snapshot import encode_json

_OWN_INFO = {"bootID", "machineID", "systemUUID"}
# The agent's facts (and their digest) carry per-node identities; compared apart below.
_OWN_ANNOTATIONS = {
    "alpha.kubernetes.io/provided-node-ip",
    "kubedrift.io/facts",
    "kubedrift.io/facts-digest",
}


def own(fact: str) -> bool:
    """Per-node identity and placement, by the analysis' reviewed identity table."""
    return any(fnmatch.fnmatchcase(fact.lower(), p.lower()) for p in IDENTITY_PATTERNS)


def pool_facts(node: dict[str, Any]) -> dict[str, Any]:
    """Everything about a node that must be the same on every clean node of its pool."""
    meta, status = node["metadata"], node["status"]
    annotations = {k: v for k, v in meta["annotations"].items() if k not in _OWN_ANNOTATIONS}
    agent = json.loads(meta["annotations"].get("kubedrift.io/facts", "{}"))
    return {
        "labels": {k: v for k, v in meta["labels"].items() if not own(f"label:{k}")},
        "agent": {k: v for k, v in agent.items() if not own(f"agent:{k}")} or None,
        "annotations": annotations,
        "taints": node["spec"].get("taints"),
        "capacity": status["capacity"],
        "allocatable": status["allocatable"],
        "nodeInfo": {k: v for k, v in status["nodeInfo"].items() if k not in _OWN_INFO},
        "images": status["images"],
    }


@pytest.fixture(scope="module")
def big() -> tuple[Fleet, float]:
    """The 5,000-node default fleet, and how long building it took."""
    spec = default_fleet_spec(5000, seed=2024)
    start = time.perf_counter()
    fleet = build_fleet(spec)
    return fleet, time.perf_counter() - start


def test_same_seed_same_bytes() -> None:
    spec = default_fleet_spec(60, seed=7, drift_rate=0.1)
    first, second = build_fleet(spec), build_fleet(spec)
    assert encode_json(fleet_to_list(first)) == encode_json(fleet_to_list(second))
    assert first.ground_truth() == second.ground_truth()


def test_different_seed_different_fleet() -> None:
    a = build_fleet(default_fleet_spec(60, seed=7, drift_rate=0.1))
    b = build_fleet(default_fleet_spec(60, seed=8, drift_rate=0.1))
    assert {n["metadata"]["name"] for n in a.nodes} != {n["metadata"]["name"] for n in b.nodes}
    assert {n["metadata"]["uid"] for n in a.nodes}.isdisjoint(n["metadata"]["uid"] for n in b.nodes)
    assert a.ground_truth()["drifts"] != b.ground_truth()["drifts"]


def test_drifts_and_workloads_do_not_rename_nodes() -> None:
    spec = default_fleet_spec(60, seed=3, drift_rate=0.1)
    plain = dataclasses.replace(spec, drifts=(), workloads=None)
    drifted, clean = build_fleet(spec), build_fleet(plain)
    assert [n["metadata"]["uid"] for n in drifted.nodes] == [
        n["metadata"]["uid"] for n in clean.nodes
    ]
    changed = [a for a, b in zip(drifted.nodes, clean.nodes, strict=True) if a != b]
    assert {n["metadata"]["name"] for n in changed} == drifted.drifted_nodes()
    assert clean.pods == ()
    assert clean.namespaces == ()


def test_ten_node_fleet_is_complete() -> None:
    fleet = build_fleet(default_fleet_spec(10, seed=1))
    assert len(fleet.nodes) == 10
    assert sum(p.nodes for p in fleet.spec.pools) == 10
    kinds = Counter(o["kind"] for o in fleet.objects())
    for kind in ("Namespace", "Node", "Pod", "Job", "Deployment", "ReplicaSet"):
        assert kinds[kind] > 0, kind
    assert len(fleet.injected) == 1


def test_five_thousand_nodes(big: tuple[Fleet, float]) -> None:
    fleet, seconds = big
    print(f"\n5,000 nodes + {len(fleet.pods)} pods built in {seconds:.2f}s")
    assert len(fleet.nodes) == 5000
    assert len({n["metadata"]["name"] for n in fleet.nodes}) == 5000
    assert len({n["spec"]["podCIDR"] for n in fleet.nodes}) == 5000
    assert len(fleet.injected) == 50
    assert {d.kind for d in fleet.injected} == set(DriftKind)
    assert len(fleet.pods) > 5000


def test_nodes_look_like_api_objects(big: tuple[Fleet, float]) -> None:
    fleet, _ = big
    h100 = next(n for n in fleet.nodes if "p5.48xlarge" in json.dumps(n["metadata"]["labels"]))
    labels, status = h100["metadata"]["labels"], h100["status"]
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3"
    assert labels["kubernetes.io/hostname"] == h100["metadata"]["name"]
    assert labels["nvidia.com/cuda.driver-version.full"] == "570.133.20"
    assert (labels["nvidia.com/cuda.driver.major"], labels["nvidia.com/cuda.driver.rev"]) == (
        "570",
        "20",
    )
    assert labels["nvidia.com/gpu.compute.major"] == "9"
    assert status["capacity"]["nvidia.com/gpu"] == "8"
    assert {"type": "Ready", "status": "True"}.items() <= status["conditions"][-1].items()
    assert status["nodeInfo"]["kernelVersion"] == "5.15.0-1057-aws"
    assert status["nodeInfo"]["containerRuntimeVersion"] == "containerd://1.7.12"
    assert h100["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
    ]
    assert h100["spec"]["providerID"].startswith("aws:///us-east-2a/i-0")
    cpu_nodes = fleet.pool_nodes("cpu-system")
    assert cpu_nodes
    assert all("taints" not in n["spec"] for n in cpu_nodes)
    assert not any(k.startswith("nvidia.com/") for k in cpu_nodes[0]["metadata"]["labels"])


def test_allocatable_is_slightly_below_capacity(big: tuple[Fleet, float]) -> None:
    fleet, _ = big
    for node in fleet.nodes[:50]:
        cap, alloc = node["status"]["capacity"], node["status"]["allocatable"]
        cpu = int(alloc["cpu"].removesuffix("m"))
        assert 0.95 * int(cap["cpu"]) * 1000 < cpu < int(cap["cpu"]) * 1000
        cap_mem, alloc_mem = (int(q.removesuffix("Ki")) for q in (cap["memory"], alloc["memory"]))
        assert 0.85 * cap_mem < alloc_mem < cap_mem
        assert alloc["nvidia.com/gpu" if "nvidia.com/gpu" in cap else "pods"] == cap.get(
            "nvidia.com/gpu", cap["pods"]
        )


def test_clean_nodes_of_a_pool_agree_on_every_fact(big: tuple[Fleet, float]) -> None:
    fleet, _ = big
    drifted = fleet.drifted_nodes()
    for pool in fleet.spec.pools:
        nodes = [n for n in fleet.pool_nodes(pool.name) if n["metadata"]["name"] not in drifted]
        assert len(nodes) > pool.nodes // 2
        with_agent = [pool_facts(n) for n in nodes if pool_facts(n)["agent"]]
        without = [pool_facts(n) | {"agent": None} for n in nodes]
        assert all(f == without[0] for f in without), pool.name
        assert all(f == with_agent[0] for f in with_agent), pool.name


def test_node_identities_are_unique(big: tuple[Fleet, float]) -> None:
    fleet, _ = big
    for field in ("bootID", "machineID", "systemUUID"):
        assert len({n["status"]["nodeInfo"][field] for n in fleet.nodes}) == 5000, field
    ips = [n["status"]["addresses"][0]["address"] for n in fleet.nodes]
    assert len(set(ips)) == 5000
    uids = [o["metadata"]["uid"] for o in fleet.objects()]
    assert len(set(uids)) == len(uids)


def test_pools_follow_the_default_mix(big: tuple[Fleet, float]) -> None:
    fleet, _ = big
    sizes = Counter(n["metadata"]["labels"][POOL_LABEL] for n in fleet.nodes)
    assert sizes == {
        "h100-train": 2000,
        "a100-train": 750,
        "a100-mig": 250,
        "l4-infer": 1250,
        "cpu-system": 750,
    }


def test_list_round_trips_through_json(tmp_path: Path, big: tuple[Fleet, float]) -> None:
    fleet, _ = big
    path = write_snapshot(fleet, tmp_path / "live.json")
    text = path.read_text()
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [\n')
    assert json.loads(text) == fleet_to_list(fleet)


def test_list_round_trips_through_yaml(tmp_path: Path) -> None:
    fleet = build_fleet(default_fleet_spec(120, seed=5, drift_rate=0.05))
    path = write_snapshot(fleet, tmp_path / "live.yaml")
    loaded = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    assert loaded == fleet_to_list(fleet)
    assert loaded["kind"] == "List"
    explicit = write_snapshot(fleet, tmp_path / "live.txt", SnapshotFormat.YAML)
    assert explicit.read_bytes() == path.read_bytes()


def test_ground_truth_file(tmp_path: Path) -> None:
    fleet = build_fleet(default_fleet_spec(40, seed=5, drift_rate=0.1))
    truth = json.loads(write_ground_truth(fleet, tmp_path / "truth.json").read_text())
    assert truth["seed"] == 5
    assert truth["nodes"] == 40
    assert [d["node"] for d in truth["drifts"]] == [d.node for d in fleet.injected]
    first = truth["drifts"][0]
    assert set(first) == {"node", "pool", "kind", "fact", "expected", "actual", "changes"}


def test_namespace_prefix_keeps_fleets_apart() -> None:
    spec = dataclasses.replace(
        default_fleet_spec(10, seed=1), workloads=WorkloadSpec(namespace_prefix="t1-")
    )
    fleet = build_fleet(spec)
    assert {n["metadata"]["name"] for n in fleet.namespaces} == {
        "t1-ml-training",
        "t1-ml-inference",
        "t1-platform",
    }
    assert all(p["metadata"]["namespace"].startswith("t1-") for p in fleet.pods)


def test_explicit_drift_on_a_named_node() -> None:
    base = default_fleet_spec(20, seed=4, drift_rate=0)
    name = build_fleet(base).pool_nodes("h100-train")[0]["metadata"]["name"]
    spec = dataclasses.replace(
        base,
        drifts=(
            DriftSpec(DriftKind.KERNEL_BUMP, nodes=(name,)),
            DriftSpec(DriftKind.DRIVER_MISMATCH, nodes=(name,)),
        ),
    )
    fleet = build_fleet(spec)
    assert [(d.node, d.kind) for d in fleet.injected] == [
        (name, DriftKind.KERNEL_BUMP),
        (name, DriftKind.DRIVER_MISMATCH),
    ]
