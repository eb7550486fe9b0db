"""KubedriftConfig files: rules checked by kubedrift.diff's compiler, named by file and entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubedrift.desired import KubedriftConfig, load_config
from kubedrift.diff import compile_ignore_rules, compile_trusted_rules
from kubedrift.model import InputError

CONFIG = """\
apiVersion: kubedrift.io/v1alpha1
kind: KubedriftConfig
metadata: {name: platform}
ignoreDifferences:
  - group: apps
    kind: Deployment
    namespace: ml
    name: "trainer-*"
    labelSelector:
      matchLabels: {team: research}
      matchExpressions:
        - {key: tier, operator: In, values: [gpu]}
    jsonPointers: [/spec/replicas, "/metadata/annotations/example.com~1checksum"]
    reason: scaled by hand during the migration
  - group: ""
    kind: Service
    jsonPointers: [/spec/clusterIP]
trustedManagers:
  - controller: keda
    kind: Deployment
    managers: ["keda-operator*"]
    jsonPointers: [/spec/replicas]
"""
HEAD = "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\n"


def write(tmp_path: Path, text: str, name: str = "kubedrift.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_config_returns_entries_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)

    config = load_config(path)

    assert isinstance(config, KubedriftConfig)
    assert config.source == str(path)
    assert [e.get("kind") for e in config.ignore_differences] == ["Deployment", "Service"]
    assert config.ignore_differences[0]["name"] == "trainer-*"
    assert [e["controller"] for e in config.trusted_managers] == ["keda"]


def test_entries_compile_in_the_diff_layer(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, CONFIG))

    assert len(compile_ignore_rules(config.ignore_differences)) == 2
    assert len(compile_trusted_rules(config.trusted_managers)) == 1


def test_empty_sections_are_allowed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, HEAD))

    assert config.ignore_differences == ()
    assert config.trusted_managers == ()


def test_json_config(tmp_path: Path) -> None:
    text = (
        '{"apiVersion": "kubedrift.io/v1alpha1", "kind": "KubedriftConfig",'
        ' "ignoreDifferences": [{"kind": "Secret", "jsonPointers": ["/data"]}]}'
    )

    config = load_config(write(tmp_path, text, "k.json"))

    assert config.ignore_differences == ({"kind": "Secret", "jsonPointers": ["/data"]},)


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        (
            "ignoreDifferences:\n  - kind: Deployment\n",
            "ignoreDifferences[0]",
            "'jsonPointers' must be a non-empty list",
        ),
        (
            "ignoreDifferences:\n  - {kind: Deployment, jsonPointers: [spec/replicas]}\n",
            "ignoreDifferences[0]",
            "'jsonPointers': JSON pointer 'spec/replicas' must start with '/'",
        ),
        (
            "ignoreDifferences:\n  - {jsonPointers: [/a]}\n  - {jsonPointer: [/a]}\n",
            "ignoreDifferences[1]",
            "unknown key(s) jsonPointer",
        ),
        (
            "ignoreDifferences:\n  - jsonPointers: [/a]\n"
            "    labelSelector: {matchLabels: {gpu: true}}\n",
            "ignoreDifferences[0]",
            "'matchLabels' must map label names to string values",
        ),
        ("ignoreDifferences: {kind: Deployment}\n", None, "ignoreDifferences must be a list"),
        (
            "trustedManagers:\n  - {kind: Deployment, jsonPointers: [/spec/replicas]}\n",
            "trustedManagers[0]",
            "'controller' is required",
        ),
        ("trustedManagers:\n  - just-a-name\n", "trustedManagers[0]", "a rule must be a mapping"),
        ("ignoreDifference: []\n", None, "unknown field 'ignoreDifference'"),
    ],
)
def test_bad_entries_name_the_file_and_entry(
    tmp_path: Path, body: str, where: str | None, message: str
) -> None:
    path = write(tmp_path, HEAD + body)

    with pytest.raises(InputError) as caught:
        load_config(path)

    assert caught.value.where == (f"{path}, {where}" if where else str(path))
    assert caught.value.message.startswith(message)


def test_wrong_kind_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")

    expected = "expected apiVersion kubedrift.io/v1alpha1 and kind KubedriftConfig"
    with pytest.raises(InputError, match=re.escape(expected)):
        load_config(path)


def test_one_document_only(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "---\n" + HEAD)

    with pytest.raises(InputError, match="expected one KubedriftConfig document, found 2"):
        load_config(path)


def test_bad_yaml_in_config(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "trustedManagers: [\n")

    with pytest.raises(InputError, match="invalid YAML at line 4"):
        load_config(path)
