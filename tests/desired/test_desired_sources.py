"""load_desired over files and folders: folder rules, namespaces, kubedrift kinds, duplicates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubedrift.desired import load_desired
from kubedrift.model import InputError

WriteTree = Callable[[dict[str, str]], Path]


def configmap(name: str, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{ns}\ndata: {{k: v}}\n"


CLUSTER_ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n"
)
NODE_PROFILE = """\
apiVersion: kubedrift.io/v1alpha1
kind: NodeProfile
metadata: {name: h100}
spec: {selector: {matchLabels: {pool: h100}}}
"""
CONFIG = "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\nignoreDifferences: []\n"


def test_folders_are_walked_recursively_in_sorted_order(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "b/z.yaml": configmap("bz"),
            "b/a.yml": configmap("ba"),
            "a.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}',
            "c/d/e.yaml": configmap("cde"),
            "README.md": "# not a manifest",
            "run.sh": "#!/bin/sh\n",
            ".github/workflows/ci.yml": "on: push\n",
            ".git/config.yaml": "garbage: [",
            ".pre-commit-config.yaml": "repos: []\n",
        }
    )

    desired = load_desired([str(root)])

    assert [o.ref.name for o in desired.objects] == ["a", "ba", "bz", "cde"]
    assert desired.sources == (str(root),)
    assert desired.revision is None
    assert str(desired.objects[1].location) == f"{root}/b/a.yml, document 1"


def test_files_and_folders_combine_in_spec_order(write_tree: WriteTree) -> None:
    root = write_tree({"one.yaml": configmap("one"), "dir/two.yaml": configmap("two")})

    desired = load_desired([str(root / "dir"), str(root / "one.yaml")])

    assert [o.ref.name for o in desired.objects] == ["two", "one"]


def test_default_namespace_is_given_only_when_asked(write_tree: WriteTree) -> None:
    root = write_tree(
        {"a.yaml": configmap("a") + "---\n" + configmap("b", "ml") + "---\n" + CLUSTER_ROLE}
    )

    plain = load_desired([str(root)])
    defaulted = load_desired([str(root)], default_namespace="team")

    assert [o.ref.namespace for o in plain.objects] == [None, "ml", None]
    assert [o.ref.namespace for o in defaulted.objects] == ["team", "ml", None]
    assert [o.namespace_defaulted for o in defaulted.objects] == [True, False, False]
    # the object as read is not mutated
    assert "namespace" not in plain.objects[0].obj["metadata"]


def test_node_profiles_and_configs_are_set_apart(write_tree: WriteTree) -> None:
    root = write_tree({"pools.yaml": NODE_PROFILE + "---\n" + CONFIG, "cm.yaml": configmap("a")})

    desired = load_desired([str(root)], default_namespace="ml")

    assert [o.ref.name for o in desired.objects] == ["a"]
    assert [o.obj["kind"] for o in desired.profiles] == ["NodeProfile"]
    assert [o.obj["kind"] for o in desired.configs] == ["KubedriftConfig"]
    assert desired.profiles[0].ref.namespace is None


def test_unknown_kubedrift_kind_is_an_error(write_tree: WriteTree) -> None:
    root = write_tree(
        {"x.yaml": "apiVersion: kubedrift.io/v1alpha1\nkind: Pool\nmetadata: {name: a}\n"}
    )

    with pytest.raises(InputError, match=r"unknown kind 'Pool' in kubedrift\.io"):
        load_desired([str(root)])


def test_duplicate_objects_name_both_locations(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "a.yaml": configmap("x", "ml"),
            "b/c.yaml": configmap("other") + "---\n" + configmap("x", "ml"),
        }
    )

    with pytest.raises(InputError) as caught:
        load_desired([str(root)])

    assert caught.value.where == f"{root}/b/c.yaml, document 2"
    assert (
        caught.value.message
        == f"ConfigMap/ml/x is defined twice; the first is at {root}/a.yaml, document 1"
    )


def test_duplicates_compare_group_not_version(write_tree: WriteTree) -> None:
    deploy = "apiVersion: apps/{v}\nkind: Deployment\nmetadata: {{name: d, namespace: ml}}\n"
    root = write_tree({"a.yaml": deploy.format(v="v1"), "b.yaml": deploy.format(v="v1beta1")})

    with pytest.raises(InputError, match="Deployment/ml/d is defined twice"):
        load_desired([str(root)])


def test_duplicate_after_namespace_defaulting(write_tree: WriteTree) -> None:
    root = write_tree({"a.yaml": configmap("x"), "b.yaml": configmap("x", "ml")})

    assert len(load_desired([str(root)]).objects) == 2
    with pytest.raises(InputError, match="ConfigMap/ml/x is defined twice"):
        load_desired([str(root)], default_namespace="ml")


def test_generate_name_is_refused_for_desired(write_tree: WriteTree) -> None:
    root = write_tree(
        {"job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: t-}\n"}
    )

    with pytest.raises(InputError, match="cannot be paired with a live object"):
        load_desired([str(root)])


def test_unknown_extension_named_explicitly_is_an_error(write_tree: WriteTree) -> None:
    root = write_tree({"app.txt": configmap("a")})

    with pytest.raises(InputError, match=r"unknown file type '\.txt'") as caught:
        load_desired([str(root / "app.txt")])
    assert caught.value.where == f"{root}/app.txt"


def test_missing_spec_is_an_error() -> None:
    with pytest.raises(InputError, match="no such file, folder or Git repository"):
        load_desired(["/nonexistent/manifests"])


def test_bad_yaml_deep_in_a_folder_names_the_file(write_tree: WriteTree) -> None:
    root = write_tree(
        {"ok.yaml": configmap("a"), "deploy/app.yaml": configmap("b") + "---\nx: [\n"}
    )

    with pytest.raises(InputError) as caught:
        load_desired([str(root)])

    assert caught.value.where == f"{root}/deploy/app.yaml, document 2"
    assert caught.value.message.startswith("invalid YAML at line 8 column 1:")


def test_symlink_loop_is_walked_once(write_tree: WriteTree) -> None:
    root = write_tree({"a/cm.yaml": configmap("a")})
    (root / "a" / "loop").symlink_to(root)

    assert [o.ref.name for o in load_desired([str(root)]).objects] == ["a"]


def test_relative_spec_keeps_relative_locations(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"deploy/app.yaml": configmap("a")})
    monkeypatch.chdir(root)

    (obj,) = load_desired(["deploy"]).objects

    assert str(obj.location) == str(Path("deploy/app.yaml")) + ", document 1"


def test_public_api_is_pinned() -> None:
    import kubedrift.desired

    assert sorted(kubedrift.desired.__all__) == [
        "DesiredSet",
        "KubedriftConfig",
        "Location",
        "RenderOptions",
        "SourcedObject",
        "load_config",
        "load_desired",
        "parse_config",
    ]


def test_empty_spec_list_gives_an_empty_set() -> None:
    desired = load_desired([])

    assert desired.objects == ()
    assert desired.revision is None
