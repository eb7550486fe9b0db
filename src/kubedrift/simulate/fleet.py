"""`build_fleet`: a `FleetSpec` in, a whole simulated cluster and its drift ground truth out.

Order of work: build every pool's clean nodes (each with the variation of a real healthy
node, `simulate.variation`), inject the drifts (recording ground truth),
then place workloads on the drifted nodes, so workloads land on drifted nodes as they would
in a real cluster. Each concern draws from its own seeded random stream (per pool, drifts,
workloads, addresses), so adding a drift or a workload does not rename the nodes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubedrift.model.gcpause import gc_paused
from kubedrift.simulate.drifts import InjectedDrift, PoolNode, choose_targets, inject
from kubedrift.simulate.ids import AddressPlan, Counter, hex_id
from kubedrift.simulate.nodes import NodeContext, build_node, pool_shape
from kubedrift.simulate.spec import FleetSpec
from kubedrift.simulate.variation import operator_upgrade, vary_node
from kubedrift.simulate.workloads import place_workloads

POOL_LABEL = "eks.amazonaws.com/nodegroup"
"""The node label that names a node's pool (EKS managed node groups)."""


@dataclass(frozen=True, slots=True)
class Fleet:
    """A simulated cluster: raw API objects by kind (each sorted as a LIST returns them)."""

    spec: FleetSpec
    namespaces: tuple[dict[str, Any], ...]
    nodes: tuple[dict[str, Any], ...]
    pvcs: tuple[dict[str, Any], ...]
    deployments: tuple[dict[str, Any], ...]
    replicasets: tuple[dict[str, Any], ...]
    jobs: tuple[dict[str, Any], ...]
    pods: tuple[dict[str, Any], ...]
    injected: tuple[InjectedDrift, ...]

    def objects(self) -> Iterator[dict[str, Any]]:
        """Every object, grouped by kind in dependency order (namespaces and nodes first)."""
        for group in (
            self.namespaces,
            self.nodes,
            self.pvcs,
            self.deployments,
            self.replicasets,
            self.jobs,
            self.pods,
        ):
            yield from group

    def pool_nodes(self, pool: str) -> tuple[dict[str, Any], ...]:
        """The nodes of one pool, by name."""
        return tuple(n for n in self.nodes if n["metadata"]["labels"].get(POOL_LABEL) == pool)

    def drifted_nodes(self) -> frozenset[str]:
        """Names of the nodes that received at least one drift."""
        return frozenset(d.node for d in self.injected)

    def ground_truth(self) -> dict[str, Any]:
        """The injected drifts as JSON: `{"seed", "nodes", "drifts": [...]}`."""
        return {
            "seed": self.spec.seed,
            "nodes": len(self.nodes),
            "drifts": [d.to_json() for d in self.injected],
        }


def build_fleet(spec: FleetSpec) -> Fleet:
    """Build the cluster `spec` describes; the same spec always gives equal output."""
    with gc_paused():
        pool_nodes = _build_nodes(spec)
        drift_rng = random.Random(f"{spec.seed}/drifts")
        targets = choose_targets(spec.drifts, pool_nodes, drift_rng)
        injected = tuple(inject(k, t.node, t.pool, drift_rng, spec.now) for k, t in targets)
        versions = Counter(random.Random(f"{spec.seed}/workload-versions"), start=5_000_000)
        work = place_workloads(spec, pool_nodes, versions)
        return Fleet(
            spec=spec,
            namespaces=_sorted(work.namespaces),
            nodes=_sorted([n.node for n in pool_nodes]),
            pvcs=_sorted(work.pvcs),
            deployments=_sorted(work.deployments),
            replicasets=_sorted(work.replicasets),
            jobs=_sorted(work.jobs),
            pods=_sorted(work.pods),
            injected=injected,
        )


def _build_nodes(spec: FleetSpec) -> list[PoolNode]:
    ctx = NodeContext(
        spec=spec,
        addresses=AddressPlan(random.Random(f"{spec.seed}/addresses"), spec.zones),
        versions=Counter(random.Random(f"{spec.seed}/node-versions")),
        cloud_provider_hash=hex_id(random.Random(f"{spec.seed}/cluster/{spec.cluster}"), 32),
    )
    out: list[PoolNode] = []
    for pool in spec.pools:
        rng = random.Random(f"{spec.seed}/pool/{pool.name}")
        vary = random.Random(f"{spec.seed}/vary/{pool.name}")  # keeps names as they were
        upgraded = operator_upgrade(pool, spec)
        shape = pool_shape(pool, ctx, ami=f"ami-0{hex_id(rng, 16)}")
        zones = spec.pool_zones(pool)
        for i in range(pool.nodes):
            node = build_node(shape, ctx, rng, zones[i % len(zones)])
            vary_node(node, pool, spec, upgraded, vary)
            out.append(PoolNode(pool, node))
    return out


def _sorted(items: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """In the order a LIST returns them: by namespace, then name."""
    return tuple(
        sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    )
