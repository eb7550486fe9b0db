"""Snapshot files as kubectl writes them (JSON and YAML Lists, folders), and as kubedrift does."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubedrift.cluster.snapshot import Snapshot, load_snapshot, write_snapshot
from kubedrift.model import InputError


def deployment(name: str, namespace: str = "ml", replicas: int = 2) -> dict[str, Any]:
    """A Deployment as `kubectl get deployments -o json` prints one."""
    labels = {"app": name, "team": "research"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"0b6f3c2e-{abs(hash(name)) % 10**4:04d}-4d2a-9c1e-6a7b8c9d0e1f",
            "resourceVersion": "104822",
            "generation": 4,
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": "4"},
            "managedFields": [
                {
                    "manager": "kubectl-client-side-apply",
                    "operation": "Update",
                    "apiVersion": "apps/v1",
                    "time": "2024-05-01T10:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {}}}},
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "server",
                            "image": "nvcr.io/nvidia/tritonserver:24.05-py3",
                            "args": ["tritonserver", "--model-repository=/models"],
                            "ports": [{"containerPort": 8000, "protocol": "TCP"}],
                            "resources": {"limits": {"nvidia.com/gpu": "1", "memory": "32Gi"}},
                            "terminationMessagePath": "/dev/termination-log",
                            "imagePullPolicy": "IfNotPresent",
                        }
                    ],
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "tolerations": [
                        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
                    ],
                },
            },
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "observedGeneration": 4},
    }


def kubectl_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def load(paths: list[Path]) -> Snapshot:
    return load_snapshot(paths, freeze=False)


def test_json_list_from_kubectl(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_text(
        json.dumps(kubectl_list([deployment("a"), deployment("b", "serving")]), indent=4)
    )

    snapshot = load([path])

    assert [str(o.ref) for o in snapshot.objects] == ["Deployment/ml/a", "Deployment/serving/b"]
    assert [str(o.location) for o in snapshot.objects] == [f"{path}, items[0]", f"{path}, items[1]"]
    assert snapshot.sources == (str(path),)
    assert snapshot.objects[0].obj["status"]["readyReplicas"] == 2


def test_yaml_list_from_kubectl(tmp_path: Path) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump(kubectl_list([deployment("a")])))

    (obj,) = load([path]).objects

    assert obj.obj == deployment("a")
    assert str(obj.location) == f"{path}, document 1, items[0]"


def test_raw_api_list_items_get_kind_and_api_version(tmp_path: Path) -> None:
    items = [{k: v for k, v in deployment("a").items() if k not in ("apiVersion", "kind")}]
    path = tmp_path / "raw.json"
    path.write_text(json.dumps({"apiVersion": "apps/v1", "kind": "DeploymentList", "items": items}))

    (obj,) = load([path]).objects

    assert (obj.obj["apiVersion"], obj.obj["kind"]) == ("apps/v1", "Deployment")


def test_folder_of_snapshots_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "nodes").mkdir()
    (tmp_path / "nodes" / "gpu.yaml").write_text(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: gpu-1\n"
        "  labels: {nvidia.com/gpu.count: '8'}\n"
    )
    (tmp_path / "apps.json").write_text(json.dumps(kubectl_list([deployment("a")])))
    (tmp_path / "notes.txt").write_text("taken before the upgrade")
    (tmp_path / ".hidden.json").write_text("{broken")

    snapshot = load([tmp_path])

    assert [str(o.ref) for o in snapshot.objects] == ["Deployment/ml/a", "Node/gpu-1"]


def test_object_in_two_files_keeps_the_later_copy(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(kubectl_list([deployment("x", replicas=1)])))
    (tmp_path / "b.json").write_text(
        json.dumps(kubectl_list([deployment("x", replicas=3), deployment("y")]))
    )

    snapshot = load([tmp_path])

    assert [o.obj["spec"]["replicas"] for o in snapshot.objects] == [3, 2]
    assert snapshot.replaced == 1
    assert str(snapshot.objects[0].location) == f"{tmp_path}/b.json, items[0]"


def test_written_snapshot_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    objects = [deployment("a"), deployment("b")]

    write_snapshot(path, objects, annotations={"kubedrift.io/taken-at": "2024-05-01T10:00:00Z"})

    assert [o.obj for o in load([path]).objects] == objects
    assert json.loads(path.read_text())["metadata"]["annotations"]


def test_bad_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_text('{"kind": "List",\n "items": [\n  {"kind": "Pod" "x": 1}]}')

    with pytest.raises(InputError) as caught:
        load([path])

    assert str(caught.value) == f"{path}: invalid JSON at line 3 column 18: expected ',' or '}}'"


def test_bad_item_names_file_and_index(tmp_path: Path) -> None:
    bad = deployment("b")
    del bad["metadata"]["name"]
    path = tmp_path / "live.json"
    path.write_text(json.dumps(kubectl_list([deployment("a"), bad])))

    with pytest.raises(InputError) as caught:
        load([path])

    assert str(caught.value) == f"{path}, items[1]: missing metadata.name (Deployment)"


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        load([tmp_path / "gone.json"])
    with pytest.raises(InputError, match=r"no \.json, \.yaml or \.yml files"):
        load([tmp_path])


def test_unknown_extension_named_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "live.txt"
    path.write_text("{}")

    with pytest.raises(InputError, match=r"unknown file type '\.txt'"):
        load([path])


def test_collector_is_restored_and_objects_frozen(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_text(json.dumps(kubectl_list([deployment("a")])))
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        load_snapshot([path])
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen_before
    finally:
        gc.unfreeze()


def test_collector_stays_enabled_after_an_error(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_text("{")

    with pytest.raises(InputError):
        load([path])
    assert gc.isenabled()


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "apps/v1", "kind": "Job", "metadata": {"name": "a", "namespace": "n"}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 7, "namespace": 0}},
        {"kind": "Pod", "metadata": None},
        {"apiVersion": "x.io/v1beta1", "kind": None, "metadata": {"namespace": ""}},
    ],
)
def test_objects_are_keyed_by_their_refs_pairing_key(obj: dict[str, Any]) -> None:
    """The snapshot keys objects without building a ref each: the keys must not change."""
    from kubedrift.cluster.snapshot import _pairing_key
    from kubedrift.model import ref_of

    assert _pairing_key(obj) == ref_of(obj).pairing_key()
