"""kubectl's namespace rules for `diff` and `scan --live`, through the CLI.

Regression for issue 10.2: `diff` had no `-n` and paired a manifest without a namespace with
`default`, so every such object read "object missing"; the kubeconfig context's namespace
was never asked; a missing object did not say that it lives in another namespace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app
from support.fixtures_files import token_kubeconfig

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {batch: '32'}\n"
ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
    "metadata: {name: reader}\nrules: []\n"
)


def live_list(*objects: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)})


def configmap(name: str, namespace: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"batch": "32"}}


CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "reader"},
    "rules": [],
}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    desired, live = tmp_path / "desired.yaml", tmp_path / "live.json"
    desired.write_text(MANIFEST + "---\n" + ROLE)
    live.write_text(live_list(configmap("settings", "ml"), CLUSTER_ROLE))
    return desired, live


@pytest.fixture(autouse=True)
def _no_user_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The user's own kubeconfig must not decide these tests."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, [*args, "-o", "json"], env=env, standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return int(result.return_value), json.loads(result.stdout)


COMMANDS = {
    "diff": lambda desired, live: ["diff", str(desired), str(live)],
    "scan": lambda desired, live: ["scan", "-d", str(desired), "--live", str(live)],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_without_a_kubeconfig_unnamespaced_objects_are_in_default(
    files: tuple[Path, Path], command: str
) -> None:
    code, report = run(*COMMANDS[command](*files))
    assert code == 2
    (finding,) = report["findings"]
    assert (finding["rule"], finding["object"]["namespace"]) == ("object-missing", "default")
    assert "exists in namespace ml" in finding["message"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_dash_n_places_unnamespaced_objects(files: tuple[Path, Path], command: str) -> None:
    code, report = run(*COMMANDS[command](*files), "-n", "ml")
    assert (code, report["findings"]) == (0, [])


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_kubeconfig_context_namespace_places_them(
    files: tuple[Path, Path], tmp_path: Path, command: str
) -> None:
    config = token_kubeconfig(tmp_path / "kc", "ml")
    code, report = run(*COMMANDS[command](*files), env={"KUBECONFIG": str(config)})
    assert (code, report["findings"]) == (0, [])
    code, report = run(*COMMANDS[command](*files), "--kubeconfig", str(config))
    assert (code, report["findings"]) == (0, [])


def test_a_context_without_a_namespace_means_default(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    config = token_kubeconfig(tmp_path / "kc", None)
    _, report = run(*COMMANDS["diff"](*files), "--kubeconfig", str(config))
    assert [f["object"]["namespace"] for f in report["findings"]] == ["default"]


def test_scan_dash_n_limits_a_snapshot_scan_to_the_namespace(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    desired, live = files
    other = tmp_path / "other.yaml"
    other.write_text(MANIFEST.replace("{name: settings}", "{name: other, namespace: team-b}"))
    code, report = run(
        "scan", "-d", str(desired), "-d", str(other), "--live", str(live), "-n", "ml"
    )
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["objects_checked"] == 1
    assert "2 desired objects outside namespace ml" in report["summary"]["notes"][0]
    code, report = run("scan", "-d", str(desired), "-d", str(other), "--live", str(live), "-A")
    assert code == 2
    assert {f["object"]["name"] for f in report["findings"]} == {"settings", "other"}
