"""Issue 4's proof through the real apiserver: a simulated fleet registered as Nodes (status
through the status subresource), scanned by `kubedrift scan` with no desired state: every
injected drift found, no clean node reported."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.writes import register
from kubedrift.simulate import Fleet, WorkloadSpec, build_fleet, default_fleet_spec
from support.apiserver import ApiServer

REGION = "eu-west-1"  # node names end in .eu-west-1.compute.internal: apart from other tests
PREFIX = "e2e-"


def _fleet() -> Fleet:
    spec = default_fleet_spec(80, seed=21, drift_rate=0.1)
    return build_fleet(
        dataclasses.replace(
            spec,
            pools=tuple(dataclasses.replace(p, name=PREFIX + p.name, zones=()) for p in spec.pools),
            drifts=tuple(
                dataclasses.replace(d, pool=PREFIX + d.pool if d.pool else None)
                for d in spec.drifts
            ),
            region=REGION,
            zones=(f"{REGION}a", f"{REGION}b", f"{REGION}c"),
            workloads=WorkloadSpec(namespace_prefix=PREFIX),
            now=datetime.now(UTC),
        )
    )


def test_registered_fleet_scan_finds_exactly_the_injected_drifts(apiserver: ApiServer) -> None:
    fleet = _fleet()
    injected = {d.node for d in fleet.injected}
    assert len(injected) >= 5
    asyncio.run(register(ClusterTarget(kubeconfig=apiserver.kubeconfig), list(fleet.objects())))
    done = subprocess.run(
        [sys.executable, "-m", "kubedrift", "scan", "--kubeconfig", str(apiserver.kubeconfig),
         "-o", "json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    ours = {n["metadata"]["name"] for n in fleet.nodes}
    flagged = {
        f["object"]["name"]
        for f in report["findings"]
        if f["object"]["kind"] == "Node" and f["object"]["name"] in ours
    }
    assert flagged == injected
    assert report["summary"]["nodes_checked"] >= len(ours)
