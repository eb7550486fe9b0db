"""`kubedrift watch --predict` raises "likely to drift" notices while a pool is mid upgrade
wave, and clears them when the wave is over — end to end through the `watch` process.

A messy simulated fleet (five pools, spot and on-demand, two GFD label vocabularies) is
registered on a real apiserver of this module's own; the watcher must raise nothing for it.
Then `kubectl label` rolls a new NVIDIA driver through part of one GPU pool, as the GPU
operator does node by node: each node still to go gets an `info` notice (read back from
the dashboard's JSON API), and once the rest of the pool is upgraded every notice resolves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from controller.probing import http_get, wait_for
from controller.test_watch_predict_apiserver import KUBEDRIFT, stop
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.writes import register
from kubedrift.simulate import build_fleet, default_fleet_spec
from support.apiserver import ApiServer, free_port

POOL = "eks.amazonaws.com/nodegroup"
DRIVER = "nvidia.com/cuda.driver-version.full"
LEGACY = tuple(f"nvidia.com/cuda.driver.{p}" for p in ("major", "minor", "rev"))
RULE = "likely-to-drift"


def kubectl(server: ApiServer, *args: str) -> None:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def notices(base: str, status: str = "open") -> list[dict[str, Any]]:
    code, body = http_get(f"{base}/api/v1/findings?rule={RULE}&status={status}&limit=500")
    assert code == 200, body
    return list(json.loads(body)["findings"])


def upgrade_driver(server: ApiServer, node: dict[str, Any]) -> None:
    labels = node["metadata"]["labels"]
    new = [f"{DRIVER}=575.51.03"] if DRIVER in labels else []
    new += [f"{k}={v}" for k, v in zip(LEGACY, ("575", "51", "03"), strict=True) if k in labels]
    kubectl(server, "label", "node", node["metadata"]["name"], *new, "--overwrite")


def test_a_driver_wave_raises_notices_for_the_nodes_still_to_go_and_clears(
    private_server: ApiServer, tmp_path: Path
) -> None:
    spec = default_fleet_spec(40, seed=7, drift_rate=0.0)
    fleet = build_fleet(dataclasses.replace(spec, now=datetime.now(UTC)))
    nodes = list(fleet.nodes)
    asyncio.run(register(ClusterTarget(kubeconfig=private_server.kubeconfig), nodes))
    sizes = Counter(
        n["metadata"]["labels"].get(POOL) for n in nodes if DRIVER in n["metadata"]["labels"]
    )
    pool = sizes.most_common(1)[0][0]
    members = sorted(
        (n for n in nodes if n["metadata"]["labels"].get(POOL) == pool),
        key=lambda n: n["metadata"]["name"],
    )
    assert len(members) >= 5

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "watch.log"
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(private_server.kubeconfig),
        "--cluster", "wave", "--store", str(tmp_path / "timeline.db"),
        "--listen", f"127.0.0.1:{port}", "--webhook-listen", "", "--auth", "none",
        "--no-workloads", "--workload-interval", "2", "--predict", "--predict-interval", "5",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for("ready", lambda: http_get(base + "/readyz")[0] == 200, timeout=120)
        wait_for("a fleet pass", lambda: '"total"' in http_get(base + "/api/v1/findings")[1])
        assert notices(base) == []  # a healthy mixed fleet raises nothing

        moved = len(members) // 2
        for node in members[:moved]:
            upgrade_driver(private_server, node)
        to_go = sorted(n["metadata"]["name"] for n in members[moved:])
        raised = wait_for(
            "the notices",
            lambda: (
                (found := notices(base))
                and sorted(f["finding"]["object"]["name"] for f in found) == to_go
                and found
            ),
            timeout=60,
        )
        first = raised[0]["finding"]
        assert first["severity"] == "info"
        assert first["category"] == "node"
        assert first["desired"] == "575.51.03"
        assert f"pool {pool} is mid upgrade: {moved} of {len(members)} nodes" in first["message"]

        for node in members[moved:]:
            upgrade_driver(private_server, node)
        wait_for("the notices resolved", lambda: notices(base) == [], timeout=60)
        # Nodes labelled while the first half moved had notices too, resolved as they moved.
        resolved = {f["finding"]["object"]["name"] for f in notices(base, "resolved")}
        assert resolved >= set(to_go)
        assert resolved <= {n["metadata"]["name"] for n in members}
    finally:
        assert stop(proc) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


ROLLOUT_NS = "rollout-notice"
DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: NAME, namespace: {ROLLOUT_NS}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: NAME}}}}
  template:
    metadata: {{labels: {{app: NAME}}}}
    spec: {{containers: [{{name: main, image: "registry.invalid/NAME:1"}}]}}
"""


def test_a_rollout_of_a_deployment_that_drifted_before_raises_a_notice_until_done(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    """`trainer` drifted three times in the last days (the store says so), `fresh` never:
    while both roll out (no scheduler here: their pods stay Pending, so kubectl would wait
    too) only `trainer` gets a notice; scaled to 0 its rollout is done and the notice goes."""
    from kubedrift.store import SqlStore
    from store.builders import finding

    db = tmp_path / "timeline.db"
    now = datetime.now(UTC)
    with SqlStore.open(str(db)) as store:
        for day in (3, 2, 1):  # three hand edits, each reverted an hour later
            start = now - timedelta(days=day)
            store.record_scan("rollout", [finding("trainer", namespace=ROLLOUT_NS)], at=start)
            store.record_scan("rollout", [], at=start + timedelta(hours=1))
    kubectl(apiserver, "create", "namespace", ROLLOUT_NS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "watch.log"
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(apiserver.kubeconfig),
        "--cluster", "rollout", "--store", str(db), "--listen", f"127.0.0.1:{port}",
        "--webhook-listen", "", "--auth", "none", "--workload-interval", "2",
        "--predict", "--predict-interval", "5",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for("ready", lambda: http_get(base + "/readyz")[0] == 200, timeout=120)
        for name in ("trainer", "fresh"):
            manifest = tmp_path / f"{name}.yaml"
            manifest.write_text(DEPLOYMENT.replace("NAME", name))
            kubectl(apiserver, "apply", "-f", str(manifest))
        raised = wait_for(
            "the notice",
            lambda: [f for f in notices(base) if f["finding"]["category"] == "workload"],
            timeout=90,
        )
        assert [f["finding"]["object"]["name"] for f in raised] == ["trainer"]
        notice = raised[0]["finding"]
        assert notice["severity"] == "info"
        assert notice["path"] == "/status/updatedReplicas"
        assert "is rolling out" in notice["message"]
        assert "and drifted before: predicted risk of drifting within 7 days" in notice["message"]

        kubectl(apiserver, "scale", "deployment", "trainer", "-n", ROLLOUT_NS, "--replicas=0")
        wait_for(
            "the notice resolved",
            lambda: not [f for f in notices(base) if f["finding"]["category"] == "workload"],
            timeout=90,
        )
        assert {f["finding"]["object"]["name"] for f in notices(base, "resolved")} == {"trainer"}
    finally:
        assert stop(proc) == 0, log.read_text()
    assert "Traceback" not in log.read_text()
