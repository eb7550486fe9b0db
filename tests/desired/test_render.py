"""Kustomize through the real `kubectl kustomize`; Helm through the real helm 3.8.1.

helm comes from scripts/ensure-helm.sh (`make helm`, run by `make test`) into
~/.cache/kubedrift/tools/bin; the chart tests put that folder on PATH. Stand-in scripts
remain only for what a real program cannot be made to do on demand (hang, exit 3).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kubedrift.desired import RenderOptions, load_desired
from kubedrift.model import InputError

WriteTree = Callable[[dict[str, str]], Path]

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not on PATH")

BASE = {
    "base/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: server
spec:
  replicas: 1
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server}}
    spec:
      containers: [{name: server, image: "registry.example.com/server:1.0"}]
""",
    "base/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: server
spec:
  selector: {app: server}
  ports: [{port: 80}]
""",
    "base/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
    "overlays/prod/kustomization.yaml": """\
resources: [../../base]
namePrefix: prod-
namespace: serving
commonLabels:
  env: prod
""",
    # a raw file beside the kustomization must not be read on its own
    "overlays/prod/patch-notes.yaml": "not: a manifest\n",
}

REAL_HELM = (
    Path(os.environ.get("KUBEDRIFT_CACHE", Path.home() / ".cache" / "kubedrift"))
    / "tools" / "bin" / "helm"
)  # fmt: skip
needs_helm = pytest.mark.skipif(
    not REAL_HELM.is_file(), reason=f"no real helm at {REAL_HELM} (run scripts/ensure-helm.sh)"
)


def fake_program(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(script)
    program.chmod(0o755)
    return program


@needs_kubectl
def test_kustomization_folder_is_rendered_with_kubectl(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(BASE)
    # only kubectl: a kustomize binary on the machine would be preferred otherwise
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").symlink_to(shutil.which("kubectl") or "")
    monkeypatch.setenv("PATH", str(bin_dir))

    desired = load_desired([str(root / "overlays/prod")])

    refs = sorted(str(o.ref) for o in desired.objects)
    assert refs == ["Deployment/serving/prod-server", "Service/serving/prod-server"]
    for o in desired.objects:
        assert o.obj["metadata"]["labels"]["env"] == "prod"
        assert str(o.location).startswith(f"{root}/overlays/prod (kustomize), document ")


@needs_kubectl
def test_folder_walk_renders_each_kustomization_without_reading_its_files(
    write_tree: WriteTree,
) -> None:
    files = {k: v for k, v in BASE.items() if not k.startswith("overlays")}
    files["base/ignored.yaml"] = "this file is not listed in resources: [\n"
    root = write_tree(
        {**files, "extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}
    )

    desired = load_desired([str(root)])

    assert [str(o.ref) for o in desired.objects] == [
        "Service/server",
        "Deployment/server",
        "ConfigMap/x",
    ]


@needs_kubectl
def test_naming_the_kustomization_file_renders_its_folder(write_tree: WriteTree) -> None:
    root = write_tree(BASE)

    desired = load_desired([str(root / "base" / "kustomization.yaml")])

    assert len(desired.objects) == 2


@needs_kubectl
def test_kustomize_failure_reports_its_stderr(write_tree: WriteTree) -> None:
    root = write_tree({"k/kustomization.yaml": "resources: [missing.yaml]\n"})

    with pytest.raises(InputError) as caught:
        load_desired([str(root / "k")])

    assert caught.value.where == f"{root}/k"
    assert caught.value.message.startswith("kubectl failed: accumulating resources: ")
    assert "missing.yaml" in caught.value.message


def test_kustomization_without_kustomize_or_kubectl_is_a_clear_error(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(BASE)
    monkeypatch.setenv("PATH", str(root / "empty-bin"))

    with pytest.raises(InputError) as caught:
        load_desired([str(root / "base")])

    assert str(caught.value) == (
        f"{root}/base: contains kustomization.yaml but neither kustomize nor kubectl is on PATH"
    )


def test_kustomize_binary_is_preferred_over_kubectl(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"k/kustomization.yaml": "resources: []\n"})
    log = root / "args.log"
    script = (
        f'#!/bin/sh\necho "$@" > "{log}"\n'
        'echo "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}"\n'
    )
    fake_program(root / "bin", "kustomize", script)
    fake_program(root / "bin", "kubectl", "#!/bin/sh\nexit 3\n")
    monkeypatch.setenv("PATH", str(root / "bin"))

    (ns,) = load_desired([str(root / "k")]).objects

    assert str(ns.ref) == "Namespace/n"
    assert log.read_text().split() == ["build", str(root / "k")]


CHART = {
    "gpu-app/Chart.yaml": "apiVersion: v2\nname: gpu-app\nversion: 0.1.0\n",
    "gpu-app/values.yaml": "mode: train\n",
    "gpu-app/templates/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n"
        "data:\n  mode: {{ .Values.mode }}\n  namespace: {{ .Release.Namespace }}\n"
    ),
    "gpu-app/templates/job.yaml": (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-train\n"
    ),
}


def test_chart_without_helm_is_a_clear_error(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(CHART)
    monkeypatch.setenv("PATH", str(root / "empty-bin"))

    with pytest.raises(InputError) as caught:
        load_desired([str(root)])

    assert str(caught.value) == f"{root}/gpu-app: contains Chart.yaml but helm is not on PATH"


@needs_helm
def test_chart_is_rendered_with_helm_template(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({**CHART, "prod-values.yaml": "mode: serve\n"})
    monkeypatch.setenv("PATH", f"{REAL_HELM.parent}{os.pathsep}{os.environ['PATH']}")
    options = RenderOptions(helm_values=(root / "prod-values.yaml",))

    desired = load_desired([str(root / "gpu-app")], default_namespace="ml", options=options)

    assert [str(o.ref) for o in desired.objects] == [
        "ConfigMap/ml/gpu-app-settings",
        "Job/ml/gpu-app-train",
    ]
    # the values file and the release namespace reached helm: the chart renders them
    settings = desired.objects[0].obj
    assert settings["data"] == {"mode": "serve", "namespace": "ml"}
    assert str(desired.objects[1].location) == f"{root}/gpu-app (helm template), document 2"


@needs_helm
def test_chart_defaults_apply_without_values(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(CHART)
    monkeypatch.setenv("PATH", f"{REAL_HELM.parent}{os.pathsep}{os.environ['PATH']}")

    desired = load_desired([str(root / "gpu-app")])

    assert desired.objects[0].obj["data"] == {"mode": "train", "namespace": "default"}


@needs_helm
def test_helm_failure_reports_first_stderr_lines(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {**CHART, "gpu-app/templates/job.yaml": "kind: Job\nname: {{ .Values.mode \n"}
    root = write_tree(broken)
    monkeypatch.setenv("PATH", str(REAL_HELM.parent))

    with pytest.raises(InputError) as caught:
        load_desired([str(root / "gpu-app")])

    message = str(caught.value)
    assert message.startswith(f"{root}/gpu-app: helm failed: Error: parse error at (gpu-app/")
    assert "job.yaml:2" in message


def test_a_hanging_renderer_times_out(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(CHART)
    fake_program(root / "bin", "helm", "#!/bin/sh\nexec sleep 30\n")
    monkeypatch.setenv("PATH", f"{root / 'bin'}{os.pathsep}/usr/bin:/bin")

    with pytest.raises(InputError, match=r"helm did not finish within 0\.5 s"):
        load_desired([str(root / "gpu-app")], options=RenderOptions(timeout=0.5))
