"""`kubedrift suppress` and KubedriftConfig `suppressions:` end to end through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DESIRED = """apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  replicas: 2
"""
LIVE = """apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: trainer, namespace: ml}
  spec:
    replicas: 5
"""


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)


def files(tmp_path: Path, config: str | None = None) -> list[str]:
    (tmp_path / "desired.yaml").write_text(DESIRED)
    (tmp_path / "live.yaml").write_text(LIVE)
    args = ["scan", "-d", str(tmp_path / "desired.yaml"), "--live", str(tmp_path / "live.yaml")]
    args += ["--no-nodes", "--no-workloads", "-o", "json"]
    if config is not None:
        (tmp_path / "kd.yaml").write_text(config)
        args += ["--config", str(tmp_path / "kd.yaml")]
    return args


CONFIG = """apiVersion: kubedrift.io/v1alpha1
kind: KubedriftConfig
suppressions:
- {kind: Deployment, name: "train*", path: /spec/replicas, reason: load test, until: %s, by: al}
"""


def test_a_config_suppression_shows_the_finding_as_suppressed_and_exits_0(tmp_path: Path) -> None:
    plain = kubedrift(*files(tmp_path))
    assert plain.returncode == 2, plain.stderr
    done = kubedrift(*files(tmp_path, CONFIG % "2099-12-31"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [finding] = [f for f in report["findings"] if f["path"] == "/spec/replicas"]
    assert finding["status"] == "suppressed"
    assert finding["suppression"]["reason"] == "load test"
    assert finding["suppression"]["by"] == "al"
    assert report["summary"]["suppressed"] == 1
    assert finding["id"] == json.loads(plain.stdout)["findings"][0]["id"]


def test_a_past_until_is_one_line_naming_file_and_entry(tmp_path: Path) -> None:
    done = kubedrift(*files(tmp_path, CONFIG % "2020-01-01"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "kd.yaml, suppressions[0]" in done.stderr
    assert "in the past" in done.stderr


def test_suppress_records_lists_and_removes_in_the_store(tmp_path: Path) -> None:
    store = str(tmp_path / "t.db")
    added = kubedrift(
        "suppress", "--kind", "Deployment", "--name", "trainer", "--reason", "ok",
        "--until", "2099-01-01", "--store", store,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = json.loads(kubedrift("suppress", "--list", "--json", "--store", store).stdout)
    assert listed[0]["reason"] == "ok"
    assert listed[0]["expired"] is False
    assert kubedrift("suppress", "--remove", str(listed[0]["id"]), "--store", store).returncode == 0
    assert json.loads(kubedrift("suppress", "--list", "--json", "--store", store).stdout) == []
    missing = kubedrift("suppress", "--kind", "X", "--until", "2099-01-01", "--store", store)
    assert missing.returncode == 1
    assert "reason" in missing.stderr
