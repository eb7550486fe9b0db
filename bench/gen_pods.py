"""Grow a simulated fleet snapshot to a pod count a large cluster really runs.

    python bench/gen_pods.py --fleet fleet-5000.json --pods 150000 --out fleet-150k.json

`kubedrift simulate` places the AI workloads (~1.4 pods per node). A real 5,000-node
cluster runs ~30 pods per node, most of them DaemonSet pods that every node carries (CNI,
kube-proxy, CSI, log and metric agents, the GPU operator's device plugin, DCGM exporter,
GFD). This adds such pods — Running, bound to their node, owned by their DaemonSet, with
the status a kubelet reports — round-robin over the nodes until the snapshot holds `--pods`
pods. Deterministic: the same input gives the same output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

DAEMONSETS = (
    ("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:v1.29.4", "100m", "128Mi"),
    (
        "kube-system",
        "aws-node",
        "602401143452.dkr.ecr.us-east-2.amazonaws.com/amazon-k8s-cni:v1.18.1",
        "25m",
        "64Mi",
    ),
    (
        "kube-system",
        "ebs-csi-node",
        "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.30.0",
        "10m",
        "40Mi",
    ),
    (
        "kube-system",
        "efs-csi-node",
        "public.ecr.aws/efs-csi-driver/amazon/aws-efs-csi-driver:v2.0.2",
        "10m",
        "40Mi",
    ),
    (
        "kube-system",
        "node-local-dns",
        "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1",
        "25m",
        "30Mi",
    ),
    ("monitoring", "node-exporter", "quay.io/prometheus/node-exporter:v1.8.0", "50m", "64Mi"),
    ("monitoring", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.0.4", "100m", "128Mi"),
    ("monitoring", "otel-agent", "otel/opentelemetry-collector-contrib:0.101.0", "100m", "256Mi"),
    (
        "gpu-operator",
        "nvidia-device-plugin-daemonset",
        "nvcr.io/nvidia/k8s-device-plugin:v0.15.0",
        "50m",
        "64Mi",
    ),
    (
        "gpu-operator",
        "nvidia-dcgm-exporter",
        "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.6-3.4.2-ubuntu22.04",
        "100m",
        "512Mi",
    ),
    (
        "gpu-operator",
        "gpu-feature-discovery",
        "nvcr.io/nvidia/k8s-device-plugin:v0.15.0",
        "10m",
        "32Mi",
    ),
    (
        "gpu-operator",
        "nvidia-container-toolkit-daemonset",
        "nvcr.io/nvidia/k8s/container-toolkit:v1.15.0-ubuntu20.04",
        "10m",
        "32Mi",
    ),
    (
        "gpu-operator",
        "nvidia-operator-validator",
        "nvcr.io/nvidia/cloud-native/gpu-operator-validator:v24.3.0",
        "10m",
        "32Mi",
    ),
    ("security", "falco", "docker.io/falcosecurity/falco-no-driver:0.38.0", "100m", "512Mi"),
    (
        "security",
        "trivy-node-collector",
        "ghcr.io/aquasecurity/node-collector:0.1.2",
        "10m",
        "32Mi",
    ),
)


def _uid(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def pod_suffix(slot: int) -> str:
    """The 5-character suffix of a DaemonSet pod's name on the `slot`-th node.

    The controller picks it at random; here it is a bijection of the node's position
    (7919 is prime to 36**5), so two pods of one DaemonSet never share a name, which a
    hash prefix of that length did for ~12 pairs per DaemonSet at 5,000 nodes.
    """
    value, out = (slot * 7919 + 12345) % 36**5, ""
    for _ in range(5):
        value, digit = divmod(value, 36)
        out += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
    return out


def daemon_pod(node: dict[str, Any], slot: int, index: int, started: str) -> dict[str, Any]:
    """The `index`-th DaemonSet's pod on `node` (the `slot`-th), as the apiserver returns it."""
    namespace, ds, image, cpu, memory = DAEMONSETS[index % len(DAEMONSETS)]
    node_name = node["metadata"]["name"]
    suffix = pod_suffix(slot)
    name = f"{ds}-{suffix}" if index < len(DAEMONSETS) else f"{ds}-{index}-{suffix}"
    ready = {"type": "Ready", "status": "True", "lastTransitionTime": started}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": f"{ds}-",
            "namespace": namespace,
            "uid": _uid(namespace, name),
            "resourceVersion": str(7_000_000 + index),
            "creationTimestamp": started,
            "labels": {"app.kubernetes.io/name": ds, "controller-revision-hash": "6d4f8b9c7"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": ds,
                    "uid": _uid(namespace, "ds", ds),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": node_name,
            "containers": [
                {
                    "name": ds.split("-")[0],
                    "image": image,
                    "resources": {"requests": {"cpu": cpu, "memory": memory}},
                }
            ],
            "tolerations": [{"operator": "Exists"}],
            "priorityClassName": "system-node-critical",
            "restartPolicy": "Always",
        },
        "status": {
            "phase": "Running",
            "conditions": [ready, {**ready, "type": "ContainersReady"}],
            "startTime": started,
            "hostIP": "10.0.0.1",
            "podIP": "10.0.0.1",
            "qosClass": "Burstable",
        },
    }


def grow(snapshot: dict[str, Any], pods: int) -> dict[str, Any]:
    """`snapshot` with DaemonSet pods added round-robin until it holds `pods` pods."""
    items: list[dict[str, Any]] = snapshot["items"]
    nodes = [i for i in items if i.get("kind") == "Node"]
    have = sum(1 for i in items if i.get("kind") == "Pod")
    started = min(n["metadata"].get("creationTimestamp", "2026-01-01T00:00:00Z") for n in nodes)
    added = []
    for k in range(max(0, pods - have)):
        slot = k % len(nodes)
        added.append(daemon_pod(nodes[slot], slot, k // len(nodes), started))
    return {**snapshot, "items": items + added}


def main() -> None:
    """Read the fleet, grow it, write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", type=Path, required=True)
    parser.add_argument("--pods", type=int, default=150_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    grown = grow(json.loads(args.fleet.read_text()), args.pods)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(grown, separators=(",", ":")))
    tmp.replace(args.out)
    pods = sum(1 for i in grown["items"] if i.get("kind") == "Pod")
    print(f"{args.out}: {len(grown['items']):,} objects, {pods:,} pods")


if __name__ == "__main__":
    main()
