"""Pods read as projections (issue 18.2) give the findings whole pods give.

`kubedrift scan --live` reads a snapshot's Pods as `PodProjection`s when no desired object
is a Pod. Each case here scans the same snapshot twice through the CLI — projected, and with
projection switched off (every object whole, as before) — and compares the JSON output:
the bundled example, simulated fleets with drifted nodes under running AI workloads, and a
messy fleet (PodList items without kind, values of unexpected types, bound Pending pods,
MIG slices, gangs, Kueue labels, PVCs, emptyDirs, mirror pods, a Pod of another version).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.cluster.projected import read_projected
from kubedrift.desired.documents import read_objects
from kubedrift.engine import scan as scan_module
from kubedrift.model import InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gpu-platform"
NOW = "2026-11-20T12:00:00Z"


def scan(args: list[str], monkeypatch: pytest.MonkeyPatch, *, projected: bool) -> Any:
    """The JSON output of `kubedrift scan`, with Pods projected or whole."""
    with monkeypatch.context() as patch:
        if not projected:
            patch.setattr(scan_module, "projected_kinds", lambda _desired: frozenset())
        result = CliRunner().invoke(app, ["scan", *args, "-o", "json"])
    # 2: drift found; a usage error (also 2) prints no JSON and fails below
    assert result.exit_code in (0, 2), result.output
    assert result.stdout.startswith("{"), result.output
    return json.loads(result.stdout)


def assert_same_findings(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    whole = scan(args, monkeypatch, projected=False)
    projected = scan(args, monkeypatch, projected=True)
    assert projected == whole
    return projected


def simulate(tmp_path: Path, nodes: int, seed: int) -> Path:
    out = tmp_path / f"fleet-{seed}.json"
    args = ["simulate", "--nodes", str(nodes), "--seed", str(seed), "--drift-rate", "0.3"]
    result = CliRunner().invoke(app, [*args, "--now", NOW, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_bundled_example_scans_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["--desired", str(EXAMPLE / "desired"), "--live", str(EXAMPLE / "live.json")]
    assert assert_same_findings(args, monkeypatch)["findings"]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_simulated_fleet_scans_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    out = assert_same_findings(["--live", str(simulate(tmp_path, 40, seed))], monkeypatch)
    assert any(f["category"] == "workload" for f in out["findings"])


Obj = dict[str, Any]


def _meta(pod: Obj, key: str) -> Obj:
    out: Obj = pod["metadata"].setdefault(key, {})
    return out


def _app(pod: Obj) -> Obj:
    out: Obj = pod["spec"]["containers"][0]
    return out


def _controller_text(pod: Obj) -> None:
    for ref in pod["metadata"].get("ownerReferences", []):
        ref["controller"] = "yes"


def _tolerate_all(pod: Obj) -> None:
    pod["spec"]["tolerations"] = [{"operator": "Exists"}]
    _app(pod)["resources"] = {}


PVC = {"name": "ckpt", "persistentVolumeClaim": {"claimName": "checkpoints"}}

MESS: dict[str, Callable[[Obj], None]] = {
    "int-label": lambda p: _meta(p, "labels").update(replicas=3),
    "null-node": lambda p: p["spec"].update(nodeName=None),
    "string-controller": _controller_text,
    "other-version": lambda p: p.update(apiVersion="example.com/v1"),
    "mig": lambda p: _app(p).update(resources={"limits": {"nvidia.com/mig-1g.10gb": 2}}),
    "requests-only": lambda p: _app(p).update(resources={"requests": {"nvidia.com/gpu": "4"}}),
    "gang": lambda p: _meta(p, "annotations").update({"scheduling.k8s.io/group-name": "g"}),
    "kueue": lambda p: _meta(p, "labels").update({"kueue.x-k8s.io/workload": "wl-a"}),
    "pvc": lambda p: p["spec"].update(volumes=[PVC, {"name": "x"}]),
    "empty-dir": lambda p: p["spec"].update(volumes=[{"name": "s", "emptyDir": {}}]),
    "mirror": lambda p: _meta(p, "annotations").update({"kubernetes.io/config.mirror": "a"}),
    "terminating": lambda p: p["metadata"].update(deletionTimestamp=NOW),
    "pending-bound": lambda p: p.setdefault("status", {}).update(phase="Pending"),
    "tolerate-all": _tolerate_all,
    "no-status": lambda p: p.pop("status", None),
}
"""Oddities a real or hand-made snapshot can hold, each dealt to random pods."""


def messy_fleet(tmp_path: Path, seed: int) -> Path:
    """A simulated fleet with each oddity dealt to random pods, some pods in a `PodList`
    whose items carry no kind or apiVersion (as the API returns them)."""
    rng = random.Random(seed)
    fleet = json.loads(simulate(tmp_path, 30, seed).read_text())
    pods = [i for i in fleet["items"] if i["kind"] == "Pod"]
    for pod in pods:
        for how in rng.sample(sorted(MESS), 2):
            MESS[how](pod)
    listed = [p for p in pods if rng.random() < 0.3 and p["apiVersion"] == "v1"]
    for pod in listed:
        fleet["items"].remove(pod)
        del pod["kind"], pod["apiVersion"]
    folder = tmp_path / f"messy-{seed}"
    folder.mkdir()
    (folder / "a-fleet.json").write_text(json.dumps(fleet))
    podlist = {"apiVersion": "v1", "kind": "PodList", "items": listed}
    (folder / "b-pods.json").write_text(json.dumps(podlist, indent=2))
    return folder


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_messy_fleet_scans_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    assert_same_findings(["--live", str(messy_fleet(tmp_path, seed))], monkeypatch)


def _daemon_pod(node: str, namespace: str) -> Obj:
    owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": True}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"agent-{node}", "namespace": namespace, "ownerReferences": [owner]},
        "spec": {"nodeName": node, "containers": [{"name": "a", "image": "agent:latest"}]},
        "status": {"phase": "Running", "startTime": NOW},
    }


@pytest.mark.parametrize("seed", [6, 7])
def test_a_messy_fleet_with_gangs_and_node_agents_scans_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """PodGroups pick their members out of every workload's pods, and node agents' pods are
    made only when asked for (issue 18.2): both must give what whole pods give."""
    folder = messy_fleet(tmp_path, seed)
    fleet = json.loads((folder / "a-fleet.json").read_text())
    nodes = [i["metadata"]["name"] for i in fleet["items"] if i["kind"] == "Node"]
    spaces = sorted({i["metadata"].get("namespace") or "default" for i in fleet["items"]})
    groups = [
        {
            "apiVersion": "scheduling.volcano.sh/v1beta1",
            "kind": "PodGroup",
            "metadata": {"name": "g", "namespace": ns},
            "spec": {"minMember": 50},
            "status": {"phase": "Running"},
        }
        for ns in spaces
    ]
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"}}
    agents = [_daemon_pod(n, "kube-system") for n in nodes]
    extra = [*groups, {**ds, "metadata": {"name": "agent", "namespace": "kube-system"}}, *agents]
    fleet["items"] += extra
    (folder / "a-fleet.json").write_text(json.dumps(fleet))
    out = assert_same_findings(["--live", str(folder)], monkeypatch)
    assert any(f["rule"] == "gang-below-minimum" for f in out["findings"])


def test_projected_pods_hold_only_what_rules_read_and_other_objects_are_whole(
    tmp_path: Path,
) -> None:
    path = simulate(tmp_path, 20, 1)
    whole = {str(o.location): o.obj for o in read_objects(path)}
    projected = {str(o.location): o.obj for o in read_projected(path, frozenset({"Pod"}))}
    assert projected.keys() == whole.keys()
    for where, obj in projected.items():
        if obj["kind"] != "Pod":
            assert obj == whole[where]
            continue
        assert "managedFields" not in obj["metadata"]
        assert obj["metadata"]["name"] == whole[where]["metadata"]["name"]
        assert obj["spec"]["nodeName"] == whole[where]["spec"]["nodeName"]
        assert len(json.dumps(obj)) < len(json.dumps(whole[where]))


def test_a_desired_pod_is_diffed_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A desired Pod turns projection off: its live counterpart must be whole to be diffed."""
    fleet = json.loads(simulate(tmp_path, 20, 1).read_text())
    pod = next(i for i in fleet["items"] if i["kind"] == "Pod")
    desired = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"]},
        "spec": {"containers": [{"name": "x", "image": "changed:1"}]},
    }
    (tmp_path / "pod.json").write_text(json.dumps(desired))
    args = ["--desired", str(tmp_path / "pod.json"), "--live", str(tmp_path / "fleet-1.json")]
    assert scan_module.projected_kinds([desired]) == frozenset()
    out = assert_same_findings(args, monkeypatch)
    assert any(f["path"].startswith("/spec/containers") for f in out["findings"])


def test_an_item_that_is_not_utf8_is_refused_as_without_projection(tmp_path: Path) -> None:
    """Regression: Raw items are not UTF-8-checked, so a bad item raised a traceback."""
    path = tmp_path / "live.json"
    item = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"\xff"}}'
    path.write_bytes(b'{"apiVersion":"v1","kind":"List","items":[' + item + b"]}")
    result = CliRunner().invoke(app, ["scan", "--live", str(path), "-o", "json"])
    # in-process, the one-line error is the InputError the CLI's wrapper prints
    assert isinstance(result.exception, InputError), repr(result.exception)
    assert str(result.exception) == f"{path}: invalid JSON: not UTF-8 text (byte 117)"
