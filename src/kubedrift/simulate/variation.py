"""How healthy peers of one pool really differ: the per-node variation of a clean node.

A pool's shape (`nodes.PoolShape`) is what its nodes must share. Real healthy nodes still
differ in ways that are not drift, and a detector must stay quiet about every one of them
(issue 11: a quarter of a healthy GPU fleet was flagged). Each clean node gets:

- its own times: a boot shortly after creation or a later reboot, and a GPU Feature
  Discovery start after that boot — at boot, or at the pool's last operator upgrade.
  GFD writes `nvidia.com/gfd.timestamp` once per process start, so it is days old on a
  healthy node, never "within the last minute";
- placement labels: the VPC CNI custom-networking `vpc.amazonaws.com/eniConfig` (named
  after the zone), EC2 instance topology `topology.k8s.aws/network-node-layer-*` on
  p4d/p5, the NVLink clique (`nvidia.com/gpu.clique`) of its rack;
- a Karpenter capacity type drawn from the pool's `capacity_types` (spot or on-demand);
- with probability `FleetSpec.agent_share`, kubedrift's node agent facts (a rollout in
  progress), consistent with the labels: NVML's driver, CUDA version, GPU count and name,
  the loaded module's version, the boot time, and per-node GPU UUIDs and kernel command
  line.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from kubedrift.analysis.facts import facts_digest
from kubedrift.simulate.ids import hex_id, new_uid
from kubedrift.simulate.spec import FleetSpec, PoolSpec

FACTS_ANNOTATION = "kubedrift.io/facts"
DIGEST_ANNOTATION = "kubedrift.io/facts-digest"
_TOPOLOGY_TYPES = ("p4d.24xlarge", "p5.48xlarge")


def operator_upgrade(pool: PoolSpec, spec: FleetSpec) -> datetime:
    """When the GPU operator last rolled out on the pool (restarting GFD everywhere)."""
    rng = random.Random(f"{spec.seed}/operator/{pool.name}")
    return spec.now - timedelta(seconds=rng.randint(2 * 3600, 20 * 86400))


def vary_node(
    node: dict[str, Any], pool: PoolSpec, spec: FleetSpec, upgraded: datetime, rng: random.Random
) -> None:
    """Give a freshly built clean node the variation of a real healthy node (in place)."""
    labels = node["metadata"]["labels"]
    created = datetime.fromisoformat(node["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    boot = _boot_time(created, spec.now, rng)
    zone = labels.get("topology.kubernetes.io/zone", "")
    labels["vpc.amazonaws.com/eniConfig"] = zone
    if pool.instance.name in _TOPOLOGY_TYPES:
        for layer in (1, 2, 3):
            labels[f"topology.k8s.aws/network-node-layer-{layer}"] = f"nn-{hex_id(rng, 17)}"
    if pool.capacity_types:
        labels["karpenter.sh/capacity-type"] = rng.choice(pool.capacity_types)
    if "nvidia.com/gpu.clique" in labels:
        domain = labels["nvidia.com/gpu.clique"].rpartition(".")[0]
        labels["nvidia.com/gpu.clique"] = f"{domain}.{rng.randint(1, 4)}"
    if "nvidia.com/gfd.timestamp" in labels:
        labels["nvidia.com/gfd.timestamp"] = str(int(_gfd_start(boot, upgraded, rng).timestamp()))
    if rng.random() < spec.agent_share:
        _publish(node, agent_facts(pool, labels, boot, rng))


def _boot_time(created: datetime, now: datetime, rng: random.Random) -> datetime:
    """At creation, or (one node in four) a maintenance reboot since."""
    boot = created + timedelta(seconds=rng.randint(8, 40))
    if rng.random() < 0.25:
        span = int((now - boot).total_seconds()) - 3600
        if span > 0:
            boot += timedelta(seconds=rng.randint(0, span))
    return boot


def _gfd_start(boot: datetime, upgraded: datetime, rng: random.Random) -> datetime:
    """GFD starts a minute or so after the boot, or restarted with the last operator rollout."""
    start = boot + timedelta(seconds=rng.randint(30, 240))
    if upgraded > start and rng.random() < 0.5:
        start = upgraded + timedelta(seconds=rng.randint(0, 900))
    return start


def agent_facts(
    pool: PoolSpec, labels: dict[str, str], boot: datetime, rng: random.Random
) -> dict[str, Any]:
    """The facts the node agent would publish on a clean node of `pool`."""
    stack = pool.stack
    facts: dict[str, Any] = {
        "os.id": stack.os_id,
        "os.version_id": stack.os_version_id,
        "host.boot_time": int(boot.timestamp()),
        "kernel.cmdline": f"BOOT_IMAGE=/boot/vmlinuz-{stack.kernel} root=UUID={new_uid(rng)} ro",
        "kernel.param.root": "UUID=" + new_uid(rng),
        "sysctl.vm.max_map_count": "262144",
        "file.containerd-config.sha256": hex_id(random.Random(f"{pool.name}/containerd"), 64),
    }
    gpu = pool.gpu
    if gpu is None:
        facts["nvml.status"] = "library-not-found"
        return facts
    cuda = labels.get("nvidia.com/cuda.runtime-version.full") or (
        f"{labels['nvidia.com/cuda.runtime.major']}.{labels['nvidia.com/cuda.runtime.minor']}"
    )
    facts |= {
        "nvml.status": "ok",
        "nvml.driver_version": stack.driver,
        "nvml.cuda_driver_version": cuda,
        "nvml.gpu_count": str(pool.instance.gpus),
        "module.nvidia": "loaded",
        "module.nvidia.version": stack.driver,
    }
    for i in range(pool.instance.gpus):
        facts[f"nvml.gpu.{i}.name"] = gpu.nvml_name
        facts[f"nvml.gpu.{i}.uuid"] = "GPU-" + new_uid(rng)
        facts[f"nvml.gpu.{i}.persistence_mode"] = "enabled"
    return facts


def _publish(node: dict[str, Any], facts: dict[str, Any]) -> None:
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    annotations = node["metadata"]["annotations"]
    annotations[FACTS_ANNOTATION] = text
    annotations[DIGEST_ANNOTATION] = facts_digest(text)


def update_agent_facts(node: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Change published agent facts (a drift that the host would show too); False if none."""
    annotations = node["metadata"]["annotations"]
    if FACTS_ANNOTATION not in annotations:
        return False
    facts = json.loads(annotations[FACTS_ANNOTATION])
    facts.update(changes)
    _publish(node, facts)
    return True
