"""Parsing manifest files: YAML streams, JSON Lists, validation, locations in errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from kubedrift.desired.documents import Location, read_objects
from kubedrift.model import InputError

MULTI_DOC = """\
---
# a leading separator and a comment-only document
---
apiVersion: v1
kind: ConfigMap
metadata: &meta
  name: settings
  namespace: ml
data:
  created: 2024-01-01
  enabled: "true"
---
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: trainer
  namespace: ml
  labels: &labels {app: trainer}
spec:
  selector: {matchLabels: *labels}
  template:
    metadata: {labels: *labels}
...
"""

# `kubectl get deployments,services -n ml -o json`: a v1 List whose items carry their kinds.
KUBECTL_LIST: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "List",
    "metadata": {"resourceVersion": ""},
    "items": [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "trainer",
                "namespace": "ml",
                "uid": "5b1f0c7e-8a51-4c8e-9d55-0f0b6a1c2e3d",
                "resourceVersion": "48213",
                "generation": 3,
                "creationTimestamp": "2024-05-01T10:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": "3"},
            },
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "trainer"}}},
            "status": {"replicas": 2, "readyReplicas": 2},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "trainer", "namespace": "ml"},
            "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]},
        },
    ],
}

# The API's own LIST body (`kubectl get --raw /apis/apps/v1/namespaces/ml/deployments`):
# items carry neither apiVersion nor kind.
RAW_DEPLOYMENT_LIST = {
    "apiVersion": "apps/v1",
    "kind": "DeploymentList",
    "metadata": {"resourceVersion": "48213"},
    "items": [
        {"metadata": {"name": "trainer", "namespace": "ml"}, "spec": {"replicas": 2}},
        {"metadata": {"name": "server", "namespace": "ml"}, "spec": {"replicas": 1}},
    ],
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_multi_document_yaml_skips_empty_documents_but_counts_them(tmp_path: Path) -> None:
    objects = read_objects(write(tmp_path, "app.yaml", MULTI_DOC))

    assert [(o.obj["kind"], str(o.location)) for o in objects] == [
        ("ConfigMap", f"{tmp_path}/app.yaml, document 2"),
        ("Deployment", f"{tmp_path}/app.yaml, document 4"),
    ]
    deployment = objects[1].obj
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "trainer"}


def test_yaml_timestamps_stay_strings_as_in_kubernetes(tmp_path: Path) -> None:
    (settings, _) = read_objects(write(tmp_path, "app.yaml", MULTI_DOC))

    assert settings.obj["data"]["created"] == "2024-01-01"


def test_kubectl_json_list_is_flattened_with_item_locations(tmp_path: Path) -> None:
    path = write(tmp_path, "live.json", json.dumps(KUBECTL_LIST, indent=2))

    objects = read_objects(path, "live.json")

    assert [str(o.ref) for o in objects] == ["Deployment/ml/trainer", "Service/ml/trainer"]
    assert [o.location for o in objects] == [
        Location("live.json", None, 0),
        Location("live.json", None, 1),
    ]
    assert str(objects[1].location) == "live.json, items[1]"


def test_typed_list_items_get_kind_and_api_version_from_the_list(tmp_path: Path) -> None:
    path = write(tmp_path, "raw.json", json.dumps(RAW_DEPLOYMENT_LIST))

    objects = read_objects(path)

    assert [(o.obj["apiVersion"], o.obj["kind"]) for o in objects] == [
        ("apps/v1", "Deployment")
    ] * 2
    assert [o.ref.name for o in objects] == ["trainer", "server"]


def test_list_in_a_yaml_stream_names_document_and_item(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ml}\n---\n" + json.dumps(
        RAW_DEPLOYMENT_LIST
    )
    objects = read_objects(write(tmp_path, "mixed.yaml", text), "mixed.yaml")

    assert [str(o.location) for o in objects] == [
        "mixed.yaml, document 1",
        "mixed.yaml, document 2, items[0]",
        "mixed.yaml, document 2, items[1]",
    ]


def test_empty_list_and_empty_file_give_no_objects(tmp_path: Path) -> None:
    empty_list = {"apiVersion": "v1", "kind": "List", "items": None}
    assert read_objects(write(tmp_path, "a.json", json.dumps(empty_list))) == []
    assert read_objects(write(tmp_path, "b.yaml", "# nothing here\n")) == []


def test_gzipped_json_is_read(tmp_path: Path) -> None:
    path = tmp_path / "live.json.gz"
    path.write_bytes(gzip.compress(json.dumps(KUBECTL_LIST).encode()))

    assert len(read_objects(path)) == 2


def test_bad_yaml_names_file_document_and_line(tmp_path: Path) -> None:
    text = MULTI_DOC + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n"
    path = write(tmp_path, "app.yaml", text)

    with pytest.raises(InputError) as caught:
        read_objects(path, "deploy/app.yaml")

    assert caught.value.where == "deploy/app.yaml, document 5"
    assert caught.value.message.startswith("invalid YAML at line 30 column ")
    assert "\n" not in str(caught.value)


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "evil.yaml", "a: !!python/object/apply:os.system [true]\n")

    with pytest.raises(InputError, match="invalid YAML at line 1 column 4"):
        read_objects(path)


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "live.json", '{\n  "kind": "List",\n  "items": [1,]\n}\n')

    with pytest.raises(InputError) as caught:
        read_objects(path, "live.json")

    assert caught.value.where == "live.json"
    assert caught.value.message == "invalid JSON at line 3 column 15: trailing comma in array"


def test_non_utf8_json_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_bytes(b'{"a": "\xff"}')

    with pytest.raises(InputError, match="not UTF-8"):
        read_objects(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nmetadata: {name: a}\n", "missing kind"),
        ("kind: ConfigMap\nmetadata: {name: a}\n", "missing apiVersion (ConfigMap)"),
        ("apiVersion: v1\nkind: ConfigMap\n", "missing metadata.name (ConfigMap)"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 7}\n", "metadata.name must be a"),
        ("apiVersion: v1\nkind: Pod\nmetadata: []\n", "metadata must be a mapping"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: [x]}\n", "metadata.namespace"),
        ("- apiVersion: v1\n", "expected a Kubernetes object (a mapping), found a list"),
        ("just text\n", "expected a Kubernetes object (a mapping), found str 'just text'"),
        (
            "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: train-}\n",
            "has metadata.generateName but no metadata.name",
        ),
    ],
)
def test_invalid_objects_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(
        tmp_path, "obj.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n---\n" + text
    )

    with pytest.raises(InputError) as caught:
        read_objects(path, "obj.yaml")

    assert caught.value.where == "obj.yaml, document 2"
    assert caught.value.message.startswith(message)


def test_invalid_list_item_is_named_by_index(tmp_path: Path) -> None:
    body = {"apiVersion": "v1", "kind": "List", "items": [KUBECTL_LIST["items"][0], {"kind": "X"}]}
    path = write(tmp_path, "live.json", json.dumps(body))

    with pytest.raises(InputError) as caught:
        read_objects(path, "live.json")

    assert str(caught.value) == "live.json, items[1]: missing apiVersion (X)"


def test_kind_ending_in_list_without_items_is_an_object(tmp_path: Path) -> None:
    text = "apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: ips}\nspec: {}\n"

    (obj,) = read_objects(write(tmp_path, "allow.yaml", text))

    assert str(obj.ref) == "AllowList/ips"


def test_unknown_extension_is_an_error_when_named(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "apiVersion: v1\n")

    with pytest.raises(
        InputError, match=r"unknown file type '.txt': expected .yaml, .yml or .json"
    ):
        read_objects(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_objects(tmp_path / "gone.yaml")


def test_documents_and_list_items_know_the_line_they_start_on(tmp_path: Path) -> None:
    """Issue 10.8: a finding cites the line of its document (comments and blanks skipped)."""
    text = (
        "# head\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n"
    )
    objects = read_objects(write(tmp_path, "app.yaml", text))
    assert [(o.location.document, o.location.item, o.location.line) for o in objects] == [
        (1, None, 3),
        (3, 0, 12),
        (3, 1, 13),
    ]


def test_a_json_document_starts_on_its_first_line_of_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.json",
        '\n\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}',
    )
    (obj,) = read_objects(path)
    assert obj.location.line == 3
