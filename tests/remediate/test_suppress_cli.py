"""`kubedrift suppress` and KubedriftConfig `suppressions:` end to end through the CLI.

Every scan output format shows a suppressed finding as suppressed (never drops it); it does
not fail the exit code; `plan` gives it action `none`; bad input is one line, exit 1.
Dates are relative to today so the tests do not rot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.now(UTC).date()
SOON = (TODAY + timedelta(days=30)).isoformat()

DESIRED = """apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  replicas: 2
---
apiVersion: v1
kind: ConfigMap
metadata: {name: serving, namespace: ml}
data: {max_model_len: "8192"}
"""
LIVE = """apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: trainer, namespace: ml}
  spec:
    replicas: 5
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: serving, namespace: ml}
  data: {max_model_len: "4096"}
"""
KD = "kd.yaml, suppressions[0]"
CONFIG = """apiVersion: kubedrift.io/v1alpha1
kind: KubedriftConfig
suppressions:
- {kind: Deployment, name: "train*", path: /spec/replicas, reason: load test INC-42,
   until: %s, by: al}
"""


def kubedrift(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", *args]
    env = {k: v for k, v in os.environ.items() if k != "KUBEDRIFT_STORE"}
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=cwd, check=False, timeout=120, env=env
    )


def scan_args(tmp_path: Path, config: str | None = None, fmt: str = "json") -> list[str]:
    (tmp_path / "desired.yaml").write_text(DESIRED)
    (tmp_path / "live.yaml").write_text(LIVE)
    args = ["scan", "-d", str(tmp_path / "desired.yaml"), "--live", str(tmp_path / "live.yaml")]
    args += ["--no-nodes", "--no-workloads", "-o", fmt]
    if config is not None:
        (tmp_path / "kd.yaml").write_text(config)
        args += ["--config", str(tmp_path / "kd.yaml")]
    return args


def test_a_config_suppression_marks_the_finding_and_leaves_the_rest(tmp_path: Path) -> None:
    plain = kubedrift(*scan_args(tmp_path))
    done = kubedrift(*scan_args(tmp_path, CONFIG % SOON))
    assert done.returncode == 2, done.stderr  # the ConfigMap drift is not suppressed
    report = json.loads(done.stdout)
    by_path = {f["path"]: f for f in report["findings"]}
    replicas = by_path["/spec/replicas"]
    assert replicas["status"] == "suppressed"
    assert replicas["suppression"]["reason"] == "load test INC-42"
    assert replicas["suppression"]["until"] == SOON
    assert replicas["suppression"]["source"].endswith("kd.yaml, suppressions[0]")
    assert by_path["/data/max_model_len"]["status"] == "active"
    assert report["summary"]["suppressed"] == 1
    assert report["summary"]["findings"] == 1
    ids = {f["path"]: f["id"] for f in json.loads(plain.stdout)["findings"]}
    assert replicas["id"] == ids["/spec/replicas"]  # same id with or without suppression


@pytest.mark.parametrize("fmt", ["table", "wide", "json", "yaml", "markdown", "sarif", "junit"])
def test_every_format_shows_the_suppressed_finding(tmp_path: Path, fmt: str) -> None:
    done = kubedrift(*scan_args(tmp_path, CONFIG % SOON, fmt))
    assert done.returncode == 2, done.stderr
    out = done.stdout
    assert "load test INC-42" in out
    assert SOON in out
    if fmt in ("table", "wide"):
        assert f"SUPPRESSED until {SOON} by al: load test INC-42" in out
        assert "1 finding on 1 object" in out
        assert "1 suppressed" in out
    elif fmt in ("json", "yaml"):
        doc = json.loads(out) if fmt == "json" else yaml.safe_load(out)
        statuses = sorted(f["status"] for f in doc["findings"])
        assert statuses == ["active", "suppressed"]
    elif fmt == "markdown":
        assert f"~~medium~~ suppressed until {SOON} by al: load test INC-42" in out
        assert "(1 suppressed)" in out
    elif fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        marked = [r for r in results if "suppressions" in r]
        assert len(results) == 2
        assert len(marked) == 1
        assert marked[0]["suppressions"][0] == {
            "kind": "external",
            "status": "accepted",
            "justification": "load test INC-42",
            "properties": {
                "until": SOON,
                "by": "al",
                "source": f"{tmp_path}/kd.yaml, suppressions[0]",
            },
        }
    else:
        suite = ET.fromstring(out).find("testsuite")
        assert suite is not None
        assert suite.get("skipped") == "1"
        assert suite.get("failures") == "1"
        skipped = suite.find("testcase/skipped")
        assert skipped is not None
        assert skipped.get("message") == f"suppressed until {SOON} by al: load test INC-42"


def test_only_suppressed_drift_exits_0_and_diff_agrees(tmp_path: Path) -> None:
    config = CONFIG % SOON + (
        f"- {{kind: ConfigMap, rule: field-changed, reason: tuning, until: {SOON}}}\n"
    )
    done = kubedrift(*scan_args(tmp_path, config))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["findings"]) == 2  # shown, never dropped
    assert report["summary"]["findings"] == 0
    assert report["summary"]["suppressed"] == 2
    diff = kubedrift(
        "diff", str(tmp_path / "desired.yaml"), str(tmp_path / "live.yaml"),
        "--config", str(tmp_path / "kd.yaml"), "-o", "json",
    )  # fmt: skip
    assert diff.returncode == 0, diff.stderr
    assert {f["status"] for f in json.loads(diff.stdout)["findings"]} == {"suppressed"}


def test_an_expired_config_suppression_lets_the_finding_back_with_a_note(tmp_path: Path) -> None:
    """Regression: an entry whose day has passed made every scan fail (exit 1, "in the
    past"); it must stop applying instead, so the finding comes back."""
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    done = kubedrift(*scan_args(tmp_path, CONFIG % yesterday))
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert {f["status"] for f in report["findings"]} == {"active"}
    assert any(f"expired on {yesterday}" in n for n in report["summary"]["notes"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (f"{{kind: Deployment, until: {SOON}}}", "needs a non-empty reason"),
        ("{kind: Deployment, reason: x}", "needs until: YYYY-MM-DD"),
        ("{kind: Deployment, reason: x, until: 2999-01-01}", "more than 366 days ahead"),
        (f"{{reason: x, until: {SOON}}}", "needs at least one of"),
        (f"{{rule: no-such-rule, reason: x, until: {SOON}}}", "unknown rule 'no-such-rule'"),
        (f"{{finding: xyz, reason: x, until: {SOON}}}", "is not a finding id"),
        ("{kind: Deployment, reason: x, until: 31/12/2026}", "is not a date"),
    ],
)
def test_a_bad_config_suppression_is_one_line_naming_file_and_entry(
    tmp_path: Path, entry: str, message: str
) -> None:
    config = "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\nsuppressions:\n"
    done = kubedrift(*scan_args(tmp_path, config + f"- {entry}\n"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "kd.yaml, suppressions[0]" in done.stderr
    assert message in done.stderr


@pytest.mark.timeout(900)  # a dozen commands; the shared 2-core machine is slow
def test_suppress_by_id_applies_to_scan_diff_and_plan_until_deleted(tmp_path: Path) -> None:
    store = str(tmp_path / "t.db")
    first = json.loads(kubedrift(*scan_args(tmp_path)).stdout)
    finding_id = next(f["id"] for f in first["findings"] if f["path"] == "/spec/replicas")
    added = kubedrift(
        "suppress", finding_id, "--reason", "HPA trial", "--until", SOON, "--by", "bo",
        "--store", store,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert f"suppressed until {SOON} by bo: HPA trial" in added.stdout

    scanned = json.loads(kubedrift(*scan_args(tmp_path), "--store", store).stdout)
    [marked] = [f for f in scanned["findings"] if f["status"] == "suppressed"]
    assert marked["id"] == finding_id
    assert marked["suppression"]["source"] == "store #1"

    planned = kubedrift(
        "plan", "-d", str(tmp_path / "desired.yaml"), "--live", str(tmp_path / "live.yaml"),
        "--store", store, "-o", "json",
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    actions = {a["finding"]["path"]: a for a in json.loads(planned.stdout)["actions"]}
    assert actions["/spec/replicas"]["action"] == "none"
    assert actions["/spec/replicas"]["reason"] == f"suppressed until {SOON}: HPA trial"
    assert actions["/spec/replicas"]["id"] == finding_id
    assert actions["/data/max_model_len"]["action"] == "revert"

    listed = json.loads(kubedrift("suppress", "--list", "-o", "json", "--store", store).stdout)
    [row] = listed["suppressions"]
    assert (row["id"], row["finding"], row["expired"]) == (1, finding_id, False)
    listing = kubedrift("suppress", "--list", "-o", "markdown", "--store", store).stdout
    assert f"| 1 | active | {SOON} | bo | finding={finding_id} | HPA trial |" in listing

    assert kubedrift("suppress", "--delete", "1", "--store", store).returncode == 0
    again = json.loads(kubedrift(*scan_args(tmp_path), "--store", store).stdout)
    assert {f["status"] for f in again["findings"]} == {"active"}
    gone = kubedrift("suppress", "--delete", "1", "--store", store)
    assert gone.returncode == 1
    assert "--delete 1: no suppression with this id" in gone.stderr


def test_scan_reads_the_default_store_only_when_it_exists(tmp_path: Path) -> None:
    args = scan_args(tmp_path)
    done = kubedrift(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert not (tmp_path / "kubedrift-timeline.db").exists()  # a scan creates no database
    (tmp_path / "plan.json").write_text('{"schema": "kubedrift/v1", "actions": []}')
    applied = kubedrift("apply", "--plan", "plan.json", "--yes", cwd=tmp_path)
    assert applied.returncode == 1  # no kubeconfig here: it stops before writing anything
    assert not (tmp_path / "kubedrift-timeline.db").exists()  # regression: nor an empty apply
    added = kubedrift(
        "suppress", "--kind", "Deployment", "--reason", "r", "--until", SOON, cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    report = json.loads(kubedrift(*args, cwd=tmp_path).stdout)
    assert report["summary"]["suppressed"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "Deployment", "--until", SOON], "--reason is required"),
        (["--kind", "Deployment", "--reason", "r"], "--until YYYY-MM-DD is required"),
        (["--kind", "Deployment", "--reason", "r", "--until", "2020-01-01"], "in the past"),
        (["--kind", "Deployment", "--reason", "r", "--until", "2999-01-01"], "366 days"),
        (["--reason", "r", "--until", SOON], "say what to suppress: a FINDING id"),
        ([], "say what to suppress"),
        (["nothex", "--reason", "r", "--until", SOON], "is not a finding id"),
        (["--rule", "nope", "--reason", "r", "--until", SOON], "unknown rule 'nope'"),
    ],
)
def test_bad_suppress_input_is_one_line_exit_1(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = kubedrift("suppress", *args, "--store", str(tmp_path / "t.db"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
