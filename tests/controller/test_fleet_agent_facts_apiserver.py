"""The controller reads agent facts from the agents' ConfigMaps, watched like the nodes.

An agent publishes only its ConfigMap (it may not patch Nodes); a NodeProfile expecting
another value must be found by the watching fleet, and a new publish that matches must
resolve it without any Node change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from agent.kube import NAMESPACE, ensure_namespace, register_node
from kubedrift.analysis.profiles import compile_profiles
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.informer import InformerOptions
from kubedrift.cluster.publish import FactsDocument, publish_facts
from kubedrift.controller.fleet import FleetOptions, FleetPass, FleetTracker
from support.apiserver import ApiServer

NODE = "fleet-agent-facts"
PROFILE = {
    "apiVersion": "kubedrift.io/v1alpha1",
    "kind": "NodeProfile",
    "metadata": {"name": "fleet-facts"},
    "spec": {
        "nodeSelector": {"matchLabels": {"pool": "h100"}},
        "expect": {"agent:os.id": "debian"},
    },
}


def _os_id_findings(fleet_pass: FleetPass) -> list[object]:
    return [
        f.live
        for f in fleet_pass.findings
        if f.object.name == NODE and f.path == "agent:os.id" and f.rule.startswith("profile")
    ]


async def _publish(conn: Connection, os_id: str) -> None:
    doc = FactsDocument(NODE, {"os.id": os_id}, "0.1.0", datetime.now(UTC))
    await publish_facts(conn, doc, namespace=NAMESPACE)


async def _until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def test_the_fleet_watches_the_agents_configmaps(apiserver: ApiServer) -> None:
    ensure_namespace(apiserver)
    register_node(apiserver, NODE)
    passes: list[FleetPass] = []

    async def report(fleet_pass: FleetPass) -> None:
        passes.append(fleet_pass)

    async def scenario() -> None:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            await _publish(conn, "ubuntu")
            tracker = FleetTracker(
                conn,
                report,
                profiles=compile_profiles([("profile.yaml", PROFILE)]),
                options=FleetOptions(
                    debounce=0.1,
                    max_delay=0.5,
                    check_workloads=False,
                    agent_namespace=NAMESPACE,
                ),
                informer_options=InformerOptions(backoff_initial=0.1, backoff_cap=0.5),
            )
            task = asyncio.create_task(tracker.run())
            try:
                await _until(lambda: bool(passes) and _os_id_findings(passes[-1]) == ["ubuntu"])
                await _publish(conn, "debian")  # the ConfigMap changes, the Node does not
                await _until(lambda: _os_id_findings(passes[-1]) == [])
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
