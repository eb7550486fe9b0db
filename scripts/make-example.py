#!/usr/bin/env python3
"""Regenerate examples/gpu-platform/live.json from a real apiserver.

Applies the example's desired manifests with `kubectl apply` (client-side, as most teams
still do), makes the edits a person would make (`kubectl scale`, `set image`, `patch`,
`delete`), registers a small simulated GPU fleet with a few drifted nodes, and writes what
the server returns — defaults, managedFields, last-applied annotations and all — as one
`v1 List`, exactly as `kubectl get -o json` would. Needs `make kube` first.

    .venv/bin/python scripts/make-example.py
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.apiserver import ApiServer, start_apiserver  # noqa: E402

from kubedrift.cluster.connection import ClusterTarget  # noqa: E402
from kubedrift.cluster.writes import register  # noqa: E402
from kubedrift.simulate import build_fleet, default_fleet_spec  # noqa: E402

EXAMPLE = ROOT / "examples" / "gpu-platform"
GET = ("-o", "json", "--show-managed-fields")  # kubectl >= 1.21 hides them otherwise
KINDS = "namespaces,deployments,services,configmaps,serviceaccounts,jobs,pvc,roles"


def kubectl(server: ApiServer, *args: str) -> str:
    """Run kubectl against the test server and return its stdout."""
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def edits(server: ApiServer) -> None:
    """What people do by hand between two Git commits."""
    kubectl(server, "-n", "ml-serving", "scale", "deployment/llm-inference", "--replicas=5")
    kubectl(
        server,
        "-n",
        "ml-serving",
        "set",
        "image",
        "deployment/llm-inference",
        "server=vllm/vllm-openai:latest",
    )
    kubectl(
        server,
        "-n",
        "ml-serving",
        "patch",
        "configmap",
        "model-config",
        "--type=merge",
        "-p",
        '{"data": {"gpu_memory_utilization": "0.98"}}',
    )
    kubectl(server, "-n", "ml-training", "delete", "role", "trainer")


def main() -> None:
    """Build the example snapshot."""
    server = start_apiserver(controller_manager=False)
    try:
        desired = EXAMPLE / "desired"
        for part in ("namespaces.yaml", "serving", "training"):  # not profiles/: kubedrift's own
            kubectl(server, "apply", "-R", "-f", str(desired / part))
        edits(server)
        fleet = build_fleet(default_fleet_spec(40, seed=11, drift_rate=0.08))
        nodes = list(fleet.nodes)
        asyncio.run(register(ClusterTarget(kubeconfig=server.kubeconfig), nodes))
        items = json.loads(kubectl(server, "get", KINDS, "-A", *GET))["items"]
        items += (
            json.loads(kubectl(server, "get", "secret", "-n", "ml-serving", "hf-token", *GET)),
        )
        items += json.loads(kubectl(server, "get", "nodes", *GET))["items"]
    finally:
        server.stop()
    keep = [i for i in items if not _noise(i)]
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": keep,
    }
    (EXAMPLE / "live.json").write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {len(keep)} objects to {EXAMPLE / 'live.json'}")


def _noise(obj: dict[str, object]) -> bool:
    """System objects every cluster has, which the example does not declare."""
    meta = obj.get("metadata") or {}
    assert isinstance(meta, dict)
    ns, name = meta.get("namespace"), meta.get("name")
    return ns in {"kube-system", "kube-public", "kube-node-lease", "default"} or (
        obj.get("kind") in {"ServiceAccount", "ConfigMap"}
        and name in {"default", "kube-root-ca.crt"}
    )


if __name__ == "__main__":
    main()
