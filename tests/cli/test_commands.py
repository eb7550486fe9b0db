"""The `kubedrift` command as a user runs it: exit codes, error lines, formats, secrets."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gpu-platform"
SECRET = "hf_exampleExampleExampleExample01"  # the example's Secret value: must never print


def kubedrift(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the command in a subprocess, as a user would (no tty: JSON by default)."""
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


def scan_example(*extra: str) -> subprocess.CompletedProcess[str]:
    return kubedrift(
        "scan", "--desired", str(EXAMPLE / "desired"), "--live", str(EXAMPLE / "live.json"), *extra
    )


def test_example_scan_reports_exactly_the_hand_edits_and_drifted_nodes() -> None:
    done = scan_example("-o", "json")
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert report["schema"] == "kubedrift/v1"
    objects = {
        (f["object"]["kind"], f["object"]["name"], f["path"], f.get("manager"))
        for f in report["findings"]
        if f["category"] == "object"
    }
    assert objects == {
        # Scaled where managedFields do not record it: the applier's last-applied value (3)
        # contradicts live, so it is not the applier's doing (issue 10, point 6).
        ("Deployment", "llm-inference", "/spec/replicas", "unknown"),
        (
            "Deployment",
            "llm-inference",
            "/spec/template/spec/containers/name=server/image",
            "kubectl-set",
        ),
        ("ConfigMap", "model-config", "/data/gpu_memory_utilization", "kubectl-patch"),
        ("Role", "trainer", "", None),
    }
    nodes = {f["path"] for f in report["findings"] if f["category"] == "node"}
    assert nodes == {
        "taint:nvidia.com/gpu:NoSchedule",
        "label:nvidia.com/cuda.driver-version.full",
        "nodeInfo.kernelVersion",
    }
    assert all(f["revision"] for f in report["findings"] if f["category"] == "object")


@pytest.mark.parametrize(
    ("fail_on", "code"), [("low", 2), ("high", 2), ("critical", 0), ("info", 2)]
)
def test_fail_on_sets_the_exit_code(fail_on: str, code: int) -> None:
    assert scan_example("--fail-on", fail_on, "-o", "json").returncode == code


@pytest.mark.parametrize("fmt", ["table", "json", "yaml", "markdown", "sarif", "junit"])
def test_secret_values_never_printed(fmt: str) -> None:
    done = scan_example("-o", fmt, "--no-color")
    assert done.returncode == 2, done.stderr
    encoded = base64.b64encode(SECRET.encode()).decode()
    for text in (done.stdout, done.stderr):
        assert SECRET not in text
        assert encoded not in text


def test_every_format_parses() -> None:
    assert json.loads(scan_example("-o", "json").stdout)["findings"]
    assert yaml.safe_load(scan_example("-o", "yaml").stdout)["findings"]
    assert json.loads(scan_example("-o", "sarif").stdout)["version"] == "2.1.0"
    assert scan_example("-o", "junit").stdout.startswith("<?xml")


def _one_error_line(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_bad_yaml_names_file_and_document(tmp_path: Path) -> None:
    bad = tmp_path / "app.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [\n")
    done = kubedrift("diff", str(bad), str(EXAMPLE / "live.json"))
    _one_error_line(done, "app.yaml", "document 2")


def test_document_without_kind_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "app.yaml"
    bad.write_text("apiVersion: v1\nmetadata: {name: a}\n")
    _one_error_line(kubedrift("diff", str(bad), str(EXAMPLE / "live.json")), "app.yaml", "kind")


def test_unknown_file_type_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "app.txt"
    bad.write_text("hello")
    _one_error_line(kubedrift("diff", str(bad), str(EXAMPLE / "live.json")), "app.txt")


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    done = kubedrift("diff", str(tmp_path / "nope.yaml"), str(EXAMPLE / "live.json"))
    _one_error_line(done, "nope.yaml")


def test_unreachable_cluster_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    done = kubedrift("scan", "--desired", str(EXAMPLE / "desired"), "--kubeconfig", str(config))
    _one_error_line(done, "127.0.0.1:1", "cannot reach")


def test_bad_usage_exits_1_not_2() -> None:
    done = kubedrift("scan", "--no-such-option")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


def test_diff_two_files(tmp_path: Path) -> None:
    desired = tmp_path / "desired.yaml"
    desired.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: model-config, namespace: ml-serving}\n"
        "data: {max_num_seqs: '64', gpu_memory_utilization: '0.90'}\n"
    )
    done = kubedrift("diff", str(desired), str(EXAMPLE / "live.json"), "-o", "json")
    assert done.returncode == 2, done.stderr
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["path"], finding["desired"], finding["live"]) == (
        "/data/gpu_memory_utilization",
        "0.90",
        "0.98",
    )


def test_simulated_fleet_scan_finds_exactly_the_injected_drifts(tmp_path: Path) -> None:
    snap, truth = tmp_path / "fleet.json", tmp_path / "truth.json"
    done = kubedrift(
        "simulate", "--nodes", "300", "--seed", "5", "--drift-rate", "0.03",
        "--out", str(snap), "--truth", str(truth),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    injected = {d["node"] for d in json.loads(truth.read_text())["drifts"]}
    report = json.loads(kubedrift("scan", "--live", str(snap), "-o", "json").stdout)
    flagged = {f["object"]["name"] for f in report["findings"] if f["object"]["kind"] == "Node"}
    assert injected
    assert flagged == injected


def test_simulate_rejects_sizes_out_of_range(tmp_path: Path) -> None:
    done = kubedrift("simulate", "--nodes", "9", "--out", str(tmp_path / "f.json"))
    _one_error_line(done, "--nodes")
