"""Rule switches, node-fact ignores and `--disable-rule`, driven through the real command.

A simulated fleet (written by `kubedrift simulate`) with a stale-GFD node and a kernel bump
is scanned as a user would scan it; each control must remove exactly what it names, in
every output format, and a typo must be one clear error line with exit code 1 (issue 11.9).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubedrift.simulate import DriftKind, DriftSpec, build_fleet, default_fleet_spec, write_snapshot

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-30T12:00:00Z"


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import dataclasses
    from datetime import datetime

    spec = default_fleet_spec(
        40, seed=3, drift_rate=0.0, now=datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    )
    drifts = (
        DriftSpec(DriftKind.STALE_GFD_TIMESTAMP, 1, "h100-train"),
        DriftSpec(DriftKind.KERNEL_BUMP, 1, "h100-train"),
    )
    path = tmp_path_factory.mktemp("fleet") / "live.json"
    write_snapshot(build_fleet(dataclasses.replace(spec, drifts=drifts)), path)
    return path


def rules_of(done: subprocess.CompletedProcess[str]) -> set[tuple[str, str]]:
    assert done.returncode in (0, 2), done.stderr
    return {(f["rule"], f["path"]) for f in json.loads(done.stdout)["findings"]}


def config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "kubedrift.yaml"
    path.write_text("apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\n" + body)
    return path


STALE = ("gfd-labels-stale", "label:nvidia.com/gfd.timestamp")
KERNEL = ("peer-mismatch", "nodeInfo.kernelVersion")


def test_the_fleet_shows_both_drifts_and_no_backup_noise(snapshot: Path) -> None:
    found = rules_of(kubedrift("scan", "--live", str(snapshot), "-o", "json"))
    assert {STALE, KERNEL} <= found
    # no Velero in this cluster: no pvc-not-backed-up per checkpoint PVC (issue 11.8)
    assert not any(rule == "pvc-not-backed-up" for rule, _ in found)


@pytest.mark.parametrize("fmt", ["json", "yaml", "table", "markdown", "sarif", "junit"])
def test_disable_rule_removes_the_rule_in_every_format(snapshot: Path, fmt: str) -> None:
    plain = kubedrift("scan", "--live", str(snapshot), "-o", fmt)
    off = kubedrift(
        "scan", "--live", str(snapshot), "-o", fmt, "--disable-rule", "gfd-labels-stale"
    )
    assert plain.returncode == off.returncode == 2, off.stderr
    # the fact the rule reports: table and markdown show node findings as a grid of facts
    marker = "nvidia.com/gfd.timestamp"
    assert marker in plain.stdout
    assert marker not in off.stdout
    assert "kernel" in off.stdout.lower()


def test_config_rules_switch_off_and_reset_severity(snapshot: Path, tmp_path: Path) -> None:
    path = config(tmp_path, "rules:\n  gfd-labels-stale: off\n  peer-mismatch: {severity: info}\n")
    done = kubedrift("scan", "--live", str(snapshot), "--config", str(path), "-o", "json")
    findings = json.loads(done.stdout)["findings"]
    assert STALE not in {(f["rule"], f["path"]) for f in findings}
    peers = [f for f in findings if f["rule"] == "peer-mismatch"]
    assert peers
    assert {f["severity"] for f in peers} == {"info"}


def test_config_ignores_node_facts_per_pool(snapshot: Path, tmp_path: Path) -> None:
    other_pool = config(
        tmp_path, "ignoreNodeFacts:\n  - facts: [nodeInfo.kernelVersion]\n    pools: [l4-*]\n"
    )
    done = kubedrift("scan", "--live", str(snapshot), "--config", str(other_pool), "-o", "json")
    assert KERNEL in rules_of(done)
    this_pool = config(
        tmp_path,
        "ignoreNodeFacts:\n"
        "  - facts: [nodeInfo.kernelVersion, 'label:feature.node.kubernetes.io/kernel-*']\n"
        "    pools: [h100-*]\n"
        "    reason: kernel rollout in progress\n",
    )
    done = kubedrift("scan", "--live", str(snapshot), "--config", str(this_pool), "-o", "json")
    found = rules_of(done)
    assert KERNEL not in found
    assert STALE in found


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("rules:\n  gfd-label-stale: off\n", "unknown rule 'gfd-label-stale'"),
        ("rules:\n  gfd-labels-stale: {severity: urgent}\n", "'urgent' is not one of"),
        ("ignoreNodeFacts:\n  - facts: [kernel]\n", "ignoreNodeFacts[0].facts: 'kernel'"),
        ("ignoreNodeFacts:\n  - fact: [nodeInfo.kernelVersion]\n", "unknown field 'fact'"),
    ],
)
def test_a_bad_control_is_one_line_naming_the_file(
    snapshot: Path, tmp_path: Path, body: str, message: str
) -> None:
    path = config(tmp_path, body)
    done = kubedrift("scan", "--live", str(snapshot), "--config", str(path))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert str(path) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["scan", "watch"])
def test_an_unknown_disabled_rule_is_one_line(snapshot: Path, command: str) -> None:
    args = ["--live", str(snapshot)] if command == "scan" else ["--listen", ""]
    done = kubedrift(command, *args, "--disable-rule", "gfd-label-stale")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "--disable-rule: unknown rule 'gfd-label-stale'" in done.stderr


def test_simulate_writes_times_relative_to_now(tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    done = kubedrift(
        "simulate", "--nodes", "12", "--now", NOW, "--control-plane", "3",
        "--drift-rate", "0", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    nodes = [o for o in json.loads(out.read_text())["items"] if o["kind"] == "Node"]
    assert len(nodes) == 15
    assert all(n["metadata"]["creationTimestamp"] < NOW for n in nodes)
    assert max(n["metadata"]["creationTimestamp"] for n in nodes) > "2026-10"
    report = json.loads(kubedrift("scan", "--live", str(out), "-o", "json").stdout)
    assert [f for f in report["findings"] if f["category"] == "node"] == []
    bad = kubedrift("simulate", "--now", "yesterday", "--out", str(out))
    assert bad.returncode == 1
    assert "--now" in bad.stderr
