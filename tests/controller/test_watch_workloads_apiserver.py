"""AI workload impact, continuously: pods watched on a real apiserver as they come and go.

Four GPU nodes of one pool, one with a newer kernel; a training job (plain pods, no
controller-manager here) runs on all four. The watcher must name the job as running on
the drifted node, with its GPUs; when the pod on that node goes away the job no longer
sits on drift and the workload finding must resolve — all from watch events, no re-list.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from typing import Any

from analysis.nodefactory import pool, with_changes
from analysis.workloadfactory import pod
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.informer import InformerOptions
from kubedrift.cluster.writes import register
from kubedrift.controller.fleet import FleetOptions
from kubedrift.controller.recorder import Recorder
from kubedrift.controller.watcher import Watcher, WatchOptions
from kubedrift.controller.workloads import project_workload
from kubedrift.model import Category
from kubedrift.store import HistoryFilter, MemoryStore, StoredFinding
from support.apiserver import ApiServer

NS = "watch-train"


def _nodes() -> list[dict[str, Any]]:
    out = []
    for i, node in enumerate(pool(4)):
        labels = {
            "kubernetes.io/hostname": f"ww-gpu-{i}",
            "nvidia.com/gfd.timestamp": str(int(time.time())),  # fresh: not a stale-label drift
        }
        changed = with_changes(node, labels=labels)
        if i == 0:
            changed = with_changes(changed, info={"kernelVersion": "5.15.0-1062-aws"})
        changed["metadata"]["name"] = f"ww-gpu-{i}"
        out.append(changed)
    return out


def _pods() -> list[dict[str, Any]]:
    pods = [pod(f"train-{i}", f"ww-gpu-{i}", namespace=NS) for i in range(4)]
    for p in pods:
        p["spec"]["automountServiceAccountToken"] = False  # no token controller here
        p["metadata"]["labels"] = {"job-name": "train"}
    return pods


def _workload_findings(store: MemoryStore) -> list[StoredFinding]:
    return [
        s
        for s in store.open_findings(HistoryFilter(cluster="ww"))
        if s.finding.category is Category.WORKLOAD
    ]


def test_a_job_on_a_drifted_node_is_named_then_resolved_by_watch_events(
    private_server: ApiServer,
) -> None:
    target = ClusterTarget(kubeconfig=private_server.kubeconfig)
    _kubectl(private_server, "create", "namespace", NS)
    _kubectl(private_server, "create", "serviceaccount", "default", "-n", NS)
    asyncio.run(register(target, [*_nodes(), *_pods()]))

    async def scenario() -> None:
        store = MemoryStore()
        recorder = Recorder(store, "ww")
        options = WatchOptions(
            target=target,
            cluster="ww",
            fleet=FleetOptions(debounce=0.1, max_delay=0.5, workload_min_interval=0.5),
            informer=InformerOptions(backoff_initial=0.1, backoff_cap=0.5),
        )
        task = asyncio.create_task(Watcher(options, recorder).run())
        try:
            await _until(lambda: any(_pod_on_drift(s) for s in _workload_findings(store)))
            (stored,) = [s for s in _workload_findings(store) if _pod_on_drift(s)]
            finding = stored.finding
            assert str(finding.object) == f"Pod/{NS}/train-0"
            assert finding.impact is not None
            assert finding.impact.gpus == 8
            assert "ww-gpu-0" in finding.message

            _kubectl(
                private_server, "delete", "pod", "train-0", "-n", NS, "--grace-period=0", "--force"
            )
            await _until(lambda: not any(_pod_on_drift(s) for s in _workload_findings(store)))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            recorder.close()

    asyncio.run(scenario())


def _pod_on_drift(stored: StoredFinding) -> bool:
    return stored.finding.rule == "workload-on-drifted-node"


def test_a_pod_projection_keeps_what_the_rules_read_and_drops_the_rest() -> None:
    full = pod("train-0", "ww-gpu-0", namespace=NS, claims=("ckpt",))
    full["metadata"]["managedFields"] = [{"manager": "kubelet"}]
    full["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "scheduling.k8s.io/group-name": "gang",
    }
    full["spec"]["containers"][0]["env"] = [{"name": "HF_TOKEN", "value": "x" * 200}]
    projected = project_workload(full)

    assert "managedFields" not in projected["metadata"]
    assert projected["metadata"]["annotations"] == {"scheduling.k8s.io/group-name": "gang"}
    container = projected["spec"]["containers"][0]
    assert set(container) == {"name", "image", "resources"}
    assert projected["spec"]["nodeName"] == "ww-gpu-0"
    assert projected["spec"]["volumes"] == full["spec"]["volumes"]
    assert projected["spec"]["tolerations"] == full["spec"]["tolerations"]
    assert projected["status"]["phase"] == "Running"
    assert projected["status"]["containerStatuses"][0]["imageID"].endswith("@sha256:aa")
    assert "state" not in projected["status"]["containerStatuses"][0]


def _kubectl(server: ApiServer, *args: str) -> None:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


async def _until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
