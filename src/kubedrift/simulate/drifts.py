"""Drift injection on clean nodes, and the ground truth that records every change.

Each `InjectedDrift` names the node, its pool, the kind, the fact a detector should
report (`expected` is the clean value the node had, `actual` the injected one; None
means absent), and every field it changed as JSON pointers with before/after values,
so a test can check both that the data shows the drift and that nothing else moved.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubedrift.model import JSON, MISSING
from kubedrift.simulate.catalog import CUDA_BY_DRIVER_BRANCH, cuda_for_driver
from kubedrift.simulate.nodes import GPU_TAINT, cuda_labels, driver_labels, kernel_labels
from kubedrift.simulate.spec import DriftKind, DriftSpec, PoolSpec
from kubedrift.simulate.variation import (
    DIGEST_ANNOTATION,
    FACTS_ANNOTATION,
    update_agent_facts,
)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field a drift changed: a JSON pointer into the Node, `MISSING` when absent."""

    pointer: str
    before: JSON
    after: JSON

    def to_json(self) -> dict[str, Any]:
        """JSON form; an absent side is written as null with `"absent"` listing it."""
        out: dict[str, Any] = {
            "pointer": self.pointer,
            "before": None if self.before is MISSING else self.before,
            "after": None if self.after is MISSING else self.after,
        }
        absent = [side for side in ("before", "after") if getattr(self, side) is MISSING]
        if absent:
            out["absent"] = absent
        return out


@dataclass(frozen=True, slots=True)
class InjectedDrift:
    """Ground truth for one injected drift."""

    node: str
    pool: str
    kind: DriftKind
    fact: str
    expected: str | None
    actual: str | None
    changes: tuple[FieldChange, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON form written beside snapshots (`ground-truth.json`)."""
        return {
            "node": self.node,
            "pool": self.pool,
            "kind": self.kind.value,
            "fact": self.fact,
            "expected": self.expected,
            "actual": self.actual,
            "changes": [c.to_json() for c in self.changes],
        }


def pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) from raw path segments."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class _Editor:
    """Sets fields of one node and records each change."""

    def __init__(self, node: dict[str, Any]) -> None:
        self.node = node
        self.changes: list[FieldChange] = []

    def set(self, path: tuple[str, ...], value: JSON) -> None:
        parent = self.node
        for part in path[:-1]:
            parent = parent[part]
        old = parent.get(path[-1], MISSING)
        if old == value:
            return
        if value is MISSING:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        self.changes.append(FieldChange(pointer(*path), old, value))

    def label(self, key: str, value: str) -> None:
        self.set(("metadata", "labels", key), value)

    def labels(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self.label(key, value)

    def info(self, key: str, value: str) -> None:
        self.set(("status", "nodeInfo", key), value)

    def get_label(self, key: str) -> str:
        return str(self.node["metadata"]["labels"][key])

    def get_info(self, key: str) -> str:
        return str(self.node["status"]["nodeInfo"][key])


@dataclass(frozen=True, slots=True)
class _Fact:
    name: str
    expected: str | None
    actual: str | None


_Injector = Callable[[_Editor, PoolSpec, random.Random, datetime], _Fact]


def inject(
    kind: DriftKind, node: dict[str, Any], pool: PoolSpec, rng: random.Random, now: datetime
) -> InjectedDrift:
    """Apply one drift to `node` in place and return its ground truth."""
    if not kind.applies_to(pool):
        raise ValueError(f"drift {kind.value} does not apply to pool {pool.name}")
    editor = _Editor(node)
    fact = _INJECTORS[kind](editor, pool, rng, now)
    return InjectedDrift(
        node=node["metadata"]["name"],
        pool=pool.name,
        kind=kind,
        fact=fact.name,
        expected=fact.expected,
        actual=fact.actual,
        changes=tuple(editor.changes),
    )


def _kernel_bump(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    old = ed.get_info("kernelVersion")
    match = re.match(r"^(\d+\.\d+\.\d+-)(\d+)(.*)$", old)
    new = f"{match[1]}{int(match[2]) + rng.randint(2, 8)}{match[3]}" if match else old + "+1"
    ed.info("kernelVersion", new)
    ed.labels(kernel_labels(new))
    return _Fact("nodeInfo.kernelVersion", old, new)


# The driver an unupgraded node is left on, by the pool's driver branch.
_PREVIOUS_DRIVER = {
    580: "570.133.20",
    575: "570.133.20",
    570: "550.144.03",
    565: "560.35.03",
    560: "550.144.03",
    555: "550.144.03",
    550: "535.230.02",
    545: "535.230.02",
    535: "535.183.01",
}


def previous_driver(driver: str) -> str:
    """A plausible older driver than `driver` (same branch for 535, else the previous one)."""
    return _PREVIOUS_DRIVER[int(driver.split(".", 1)[0])]


def _driver_mismatch(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    old = ed.get_label("nvidia.com/cuda.driver-version.full")
    new = previous_driver(old)
    ed.labels(driver_labels(new))
    cuda = cuda_for_driver(new)
    ed.labels(cuda_labels(cuda))
    _host_shows(ed, driver=new, cuda=cuda)  # the node really runs the old driver
    return _Fact("nvidia.com/cuda.driver-version.full", old, new)


def _host_shows(ed: _Editor, *, driver: str | None = None, cuda: tuple[int, int]) -> None:
    """Keep the agent's NVML facts (if the node runs the agent) true to the drifted host."""
    changes: dict[str, Any] = {"nvml.cuda_driver_version": f"{cuda[0]}.{cuda[1]}"}
    if driver is not None:
        changes |= {"nvml.driver_version": driver, "module.nvidia.version": driver}
    annotations = ed.node["metadata"]["annotations"]
    before = {k: annotations.get(k, MISSING) for k in (FACTS_ANNOTATION, DIGEST_ANNOTATION)}
    if update_agent_facts(ed.node, changes):
        for key, old in before.items():
            where = pointer("metadata", "annotations", key)
            ed.changes.append(FieldChange(where, old, annotations[key]))


def _missing_gpu_taint(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    taints = [t for t in ed.node["spec"].get("taints", []) if t != GPU_TAINT]
    ed.set(("spec", "taints"), taints or MISSING)
    return _Fact("spec.taints", "nvidia.com/gpu=present:NoSchedule", None)


def _mig_not_applied(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    if pool.mig_config == "all-disabled" and pool.gpu is not None:
        # A MIG layout was requested on whole-GPU nodes and the MIG manager failed on it.
        ed.label("nvidia.com/mig.config", pool.gpu.mig_profiles[0].config)
    ed.label("nvidia.com/mig.config.state", "failed")
    return _Fact("nvidia.com/mig.config.state", "success", "failed")


def _gpu_count_mismatch(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    """One GPU fell off the bus: capacity drops by its units, GFD's count label stays."""
    per_gpu = pool.gpu_units // pool.instance.gpus
    old = int(ed.node["status"]["capacity"]["nvidia.com/gpu"])
    new = str(old - per_gpu)
    ed.set(("status", "capacity", "nvidia.com/gpu"), new)
    ed.set(("status", "allocatable", "nvidia.com/gpu"), new)
    return _Fact("status.capacity.nvidia.com/gpu", str(old), new)


def _gfd_labels_disagree(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    """The deprecated `cuda.driver.*` labels still show an older driver."""
    current = ed.get_label("nvidia.com/cuda.driver-version.full")
    stale = previous_driver(current)
    ed.labels({k: v for k, v in driver_labels(stale).items() if ".driver." in k})
    return _Fact("nvidia.com/cuda.driver.{major,minor,rev}", current, stale)


def _upgrade_failed(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    ed.label("nvidia.com/gpu-driver-upgrade-state", "upgrade-failed")
    return _Fact("nvidia.com/gpu-driver-upgrade-state", "upgrade-done", "upgrade-failed")


def _stale_gfd(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    """GFD switched off on the node while its labels stay behind, unrefreshed.

    (An old `gfd.timestamp` alone is not staleness: GFD writes it once per process start.)
    """
    stamp = ed.get_label("nvidia.com/gfd.timestamp")
    ed.label("nvidia.com/gpu.deploy.gpu-feature-discovery", "false")
    left = f"labels of a switched-off GFD, written {stamp}"
    return _Fact("nvidia.com/gfd.timestamp", "labels kept current by a running GFD", left)


def _containerd_skew(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    old = ed.get_info("containerRuntimeVersion")
    new = "containerd://1.6.28" if "://1.7" in old else "containerd://1.7.12"
    ed.info("containerRuntimeVersion", new)
    return _Fact("nodeInfo.containerRuntimeVersion", old, new)


def _kubelet_skew(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    """One minor version behind the pool (a node that missed the upgrade)."""
    old = ed.get_info("kubeletVersion")
    match = re.match(r"^v(\d+)\.(\d+)\.(\d+)(.*)$", old)
    new = f"v{match[1]}.{int(match[2]) - 1}.{rng.randint(1, 12)}{match[4]}" if match else old
    ed.info("kubeletVersion", new)
    ed.info("kubeProxyVersion", new)
    return _Fact("nodeInfo.kubeletVersion", old, new)


def _os_image(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    """A point release: only osImage moves, NFD's VERSION_ID stays (e.g. 22.04)."""
    old = ed.get_info("osImage")
    match = re.search(r"(\d+\.\d+)\.(\d+)", old)
    new = old.replace(match[0], f"{match[1]}.{int(match[2]) + 1}") if match else old + " (1)"
    ed.info("osImage", new)
    return _Fact("nodeInfo.osImage", old, new)


def _cuda_too_new(ed: _Editor, pool: PoolSpec, rng: random.Random, now: datetime) -> _Fact:
    driver = ed.get_label("nvidia.com/cuda.driver-version.full")
    current = cuda_for_driver(driver)
    newer = min((c for c in CUDA_BY_DRIVER_BRANCH.values() if c > current), default=(13, 1))
    ed.labels(cuda_labels(newer))
    _host_shows(ed, cuda=newer)
    return _Fact(
        "nvidia.com/cuda.runtime-version.full",
        f"{current[0]}.{current[1]}",
        f"{newer[0]}.{newer[1]}",
    )


_INJECTORS: dict[DriftKind, _Injector] = {
    DriftKind.KERNEL_BUMP: _kernel_bump,
    DriftKind.DRIVER_MISMATCH: _driver_mismatch,
    DriftKind.MISSING_GPU_TAINT: _missing_gpu_taint,
    DriftKind.MIG_NOT_APPLIED: _mig_not_applied,
    DriftKind.GPU_COUNT_MISMATCH: _gpu_count_mismatch,
    DriftKind.GFD_LABELS_DISAGREE: _gfd_labels_disagree,
    DriftKind.DRIVER_UPGRADE_FAILED: _upgrade_failed,
    DriftKind.STALE_GFD_TIMESTAMP: _stale_gfd,
    DriftKind.CONTAINERD_SKEW: _containerd_skew,
    DriftKind.KUBELET_SKEW: _kubelet_skew,
    DriftKind.OS_IMAGE: _os_image,
    DriftKind.CUDA_RUNTIME_TOO_NEW: _cuda_too_new,
}


@dataclass(frozen=True, slots=True, eq=False)
class PoolNode:
    """A built node with the pool it belongs to."""

    pool: PoolSpec
    node: dict[str, Any]
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.node["metadata"]["name"]))


def choose_targets(
    drifts: Sequence[DriftSpec], nodes: Sequence[PoolNode], rng: random.Random
) -> list[tuple[DriftKind, PoolNode]]:
    """Resolve drift specs to nodes: named ones as given, the rest seeded.

    Seeded picks never reuse a drifted node and never exceed a pool's drift budget.
    """
    by_name = {n.name: n for n in nodes}
    used: set[str] = set()
    per_pool: dict[str, int] = {}
    targets: list[tuple[DriftKind, PoolNode]] = []
    for drift in drifts:
        for target in _resolve(
            drift, nodes=nodes, by_name=by_name, used=used, per_pool=per_pool, rng=rng
        ):
            used.add(target.name)
            per_pool[target.pool.name] = per_pool.get(target.pool.name, 0) + 1
            targets.append((drift.kind, target))
    return targets


def _resolve(
    drift: DriftSpec,
    *,
    nodes: Sequence[PoolNode],
    by_name: dict[str, PoolNode],
    used: set[str],
    per_pool: dict[str, int],
    rng: random.Random,
) -> list[PoolNode]:
    if drift.nodes:
        unknown = [n for n in drift.nodes if n not in by_name]
        if unknown:
            raise ValueError(f"drift {drift.kind.value}: no such nodes {unknown}")
        return [by_name[n] for n in drift.nodes]
    taken = dict(per_pool)
    candidates = [
        n
        for n in nodes
        if (drift.pool is None or n.pool.name == drift.pool)
        and drift.kind.applies_to(n.pool)
        and n.name not in used
    ]
    chosen: list[PoolNode] = []
    # An incremental Fisher-Yates shuffle: only as many draws as it takes to fill `count`.
    for i in range(len(candidates)):
        if len(chosen) == drift.count:
            break
        j = rng.randrange(i, len(candidates))
        candidates[i], candidates[j] = candidates[j], candidates[i]
        node = candidates[i]
        if taken.get(node.pool.name, 0) < node.pool.drift_budget():
            chosen.append(node)
            taken[node.pool.name] = taken.get(node.pool.name, 0) + 1
    if len(chosen) < drift.count:
        where = f"pool {drift.pool}" if drift.pool else "the fleet"
        raise ValueError(
            f"drift {drift.kind.value}: {where} has no node left that can drift "
            f"while keeping a clean majority ({len(chosen)} of {drift.count} placed)"
        )
    return chosen
