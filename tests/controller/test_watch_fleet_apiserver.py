"""Node and GPU-stack drift, continuously: a simulated fleet on a real apiserver, watched.

The fleet's injected drifts must be stored as node findings after the first pass, and no
clean node; a node that drifts later (its driver label rewritten, as a failed upgrade
leaves it) must be found by the next pass, and its repair must resolve the finding —
with no desired state at all, as `kubedrift watch` runs by default in a cluster.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import time
from datetime import UTC, datetime

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.informer import InformerOptions
from kubedrift.cluster.writes import register
from kubedrift.controller.fleet import FleetOptions
from kubedrift.controller.recorder import Recorded, Recorder
from kubedrift.controller.watcher import Watcher, WatchOptions
from kubedrift.model import Category
from kubedrift.simulate import Fleet, build_fleet, default_fleet_spec
from kubedrift.store import HistoryFilter, MemoryStore
from support.apiserver import ApiServer

DRIVER = "nvidia.com/cuda.driver-version.full"


def _fleet() -> Fleet:
    spec = default_fleet_spec(40, seed=5, drift_rate=0.1)
    return build_fleet(dataclasses.replace(spec, now=datetime.now(UTC)))


def _flagged(store: MemoryStore) -> set[str]:
    return {
        s.finding.object.name
        for s in store.open_findings(HistoryFilter(cluster="fleet"))
        if s.finding.category is Category.NODE and s.finding.object.kind == "Node"
    }


def test_injected_and_later_node_drift_found_and_resolved(private_server: ApiServer) -> None:
    fleet = _fleet()
    target = ClusterTarget(kubeconfig=private_server.kubeconfig)
    asyncio.run(register(target, list(fleet.nodes)))  # no controller-manager: no pods
    injected = {d.node for d in fleet.injected}
    gpu_pool = {d.pool for d in fleet.injected if d.pool}
    clean = sorted(
        n["metadata"]["name"]
        for n in fleet.nodes
        if n["metadata"]["name"] not in injected
        and DRIVER in n["metadata"].get("labels", {})
        and any(p in n["metadata"].get("labels", {}).values() for p in gpu_pool)
    )
    assert len(injected) >= 3
    assert clean, "the fleet needs a clean GPU node to drift later"
    victim = clean[0]

    async def scenario() -> None:
        store = MemoryStore()
        passes: list[Recorded] = []

        def listen(recorded: Recorded) -> None:  # Listener may be called by keyword; append not
            passes.append(recorded)

        recorder = Recorder(store, "fleet", [listen])
        options = WatchOptions(
            target=target,
            cluster="fleet",
            fleet=FleetOptions(debounce=0.1, max_delay=0.5, workload_interval=600),
            informer=InformerOptions(backoff_initial=0.1, backoff_cap=0.5),
        )
        task = asyncio.create_task(Watcher(options, recorder).run())
        try:
            await _until(lambda: any(p.source == "fleet" for p in passes))
            assert _flagged(store) == injected

            _kubectl(private_server, "label", "node", victim, f"{DRIVER}=535.54.03", "--overwrite")
            await _until(lambda: victim in _flagged(store))
            assert _flagged(store) == injected | {victim}

            original = next(n for n in fleet.nodes if n["metadata"]["name"] == victim)
            value = original["metadata"]["labels"][DRIVER]
            _kubectl(private_server, "label", "node", victim, f"{DRIVER}={value}", "--overwrite")
            await _until(lambda: victim not in _flagged(store))
            assert _flagged(store) == injected
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            recorder.close()

    asyncio.run(scenario())


def _kubectl(server: ApiServer, *args: str) -> None:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


async def _until(check: object, timeout: float = 30) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
