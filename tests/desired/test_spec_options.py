"""`--desired 'chart?values=F&namespace=NS&release=R'` through the CLI with the real helm.

The values files and the release namespace must reach helm (the chart renders them) and
the pairing (rendered objects without a namespace are paired in the release namespace);
bad options are one-line errors, and no option can reach helm as a flag.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desired.test_render import CHART, REAL_HELM, needs_helm

pytestmark = needs_helm


def _live(path: Path, *objects: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))
    return path


def _configmap(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _job(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace},
    }


def _scan(desired: str, live: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", "scan", "--desired", desired, "--live", str(live)]
    argv += ["--no-nodes", "--no-workloads", "-o", "json"]
    env = {**os.environ, "PATH": f"{REAL_HELM.parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=env, timeout=120)


def _findings(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode in (0, 2), done.stderr
    return list(json.loads(done.stdout)["findings"])


@pytest.fixture
def chart(write_tree: Any) -> Path:
    root: Path = write_tree(
        {
            **CHART,
            "gpu-app/prod.yaml": "mode: serve\n",
            "shared/gpu.yaml": "gpus: '8'\n",
            "gpu-app/templates/configmap.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n"
                "data:\n  mode: {{ .Values.mode }}\n  namespace: {{ .Release.Namespace }}\n"
                '  gpus: {{ .Values.gpus | default "0" | quote }}\n'
            ),
        }
    )
    return root / "gpu-app"


def test_values_namespace_and_release_reach_the_rendered_objects_and_the_pairing(
    chart: Path, tmp_path: Path
) -> None:
    shared = chart.parent / "shared" / "gpu.yaml"
    live = _live(
        tmp_path / "live.json",
        _configmap("trainer-settings", "ml", {"mode": "serve", "namespace": "ml", "gpus": "4"}),
        _job("trainer-train", "ml"),
    )
    spec = f"{chart}?values=prod.yaml&values={shared}&namespace=ml&release=trainer"
    findings = _findings(_scan(spec, live))
    # paired in ml (the release namespace), values from both files in order: only gpus drifts
    assert [(f["object"]["kind"], f["object"]["namespace"], f["object"]["name"], f["path"],
             f["desired"], f["live"]) for f in findings] == [
        ("ConfigMap", "ml", "trainer-settings", "/data/gpus", "8", "4")
    ]  # fmt: skip


def test_without_options_the_chart_defaults_apply(chart: Path, tmp_path: Path) -> None:
    live = _live(
        tmp_path / "live.json",
        _configmap("gpu-app-settings", "default", {"mode": "train", "namespace": "default",
                                                   "gpus": "0"}),
        _job("gpu-app-train", "default"),
    )  # fmt: skip
    assert _findings(_scan(str(chart), live)) == []


def test_a_chart_in_git_takes_values_relative_to_the_chart(chart: Path, tmp_path: Path) -> None:
    repo = chart.parent
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "chart"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    live = _live(
        tmp_path / "live.json",
        _configmap("gpu-app-settings", "ml", {"mode": "serve", "namespace": "ml", "gpus": "0"}),
        _job("gpu-app-train", "ml"),
    )
    assert _findings(_scan(f"{chart}@HEAD?values=prod.yaml&namespace=ml", live)) == []

    (tmp_path / "outside.yaml").write_text("mode: x\n")
    done = _scan(f"{chart}@HEAD?values=../../outside.yaml", live)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "values file '../../outside.yaml' is outside the repository"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?value=prod.yaml", "unknown option 'value' (expected values=, namespace=, release=)"),
        ("?values=", "option 'values' needs a value"),
        ("?values=missing.yaml", "values file 'missing.yaml' is not a file"),
        ("?values=--post-renderer=/bin/sh", "values file '--post-renderer=/bin/sh' is not a file"),
        ("?values=templates", "values file 'templates' is not a file"),
        ("?namespace=--kubeconfig", "namespace '--kubeconfig' is not a valid namespace name"),
        ("?namespace=ml&namespace=ai", "option 'namespace' given twice"),
        ("?release=-x", "release '-x' is not a valid Helm release name"),
        ("?", "empty option list after '?' (expected values=, namespace=, release=)"),
    ],
)
def test_bad_options_are_one_line_errors(
    chart: Path, tmp_path: Path, query: str, message: str
) -> None:
    done = _scan(f"{chart}{query}", _live(tmp_path / "live.json"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"kubedrift: error: {chart}{query}: {message}"]


def test_values_need_a_chart(chart: Path, tmp_path: Path) -> None:
    folder = chart.parent / "shared"
    done = _scan(f"{folder}?values=gpu.yaml", _live(tmp_path / "live.json"))
    assert done.returncode == 1
    assert "values= needs a chart folder (one holding Chart.yaml)" in done.stderr
