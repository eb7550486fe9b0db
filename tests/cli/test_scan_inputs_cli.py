"""The shared scan inputs, driven through the real `kubedrift` command (issue 17.2, 14.1, 15.1).

- `plan -l app=x` is the label selector, as in `scan` (it once meant `--live`);
- `apply -l app=x` reverts only the selected objects (real apiserver);
- `report` applies the store's `kubedrift suppress` entries as `scan` does (it ignored them);
- one exit-code wrapper: bad input is one line and exit 1 for `kubedrift` and for the agent
  program, a bug is one line without a traceback unless `KUBEDRIFT_DEBUG=1`;
- one version source.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubedrift import __version__
from support.apiserver import ApiServer

BIN = Path(sys.executable).parent / "kubedrift"  # the console script, as installed


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def config_map(name: str, app: str, level: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": "default", "labels": {"app": app}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"level": level}}


@pytest.fixture
def two_drifted(tmp_path: Path) -> tuple[Path, Path]:
    """Desired `x-cfg` (app=x) and `y-cfg` (app=y); both changed in the snapshot."""
    desired = tmp_path / "desired.yaml"
    desired.write_text(
        yaml.safe_dump_all([config_map("x-cfg", "x", "info"), config_map("y-cfg", "y", "info")])
    )
    live = tmp_path / "live.json"
    items = [config_map("x-cfg", "x", "debug"), config_map("y-cfg", "y", "debug")]
    live.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return desired, live


def acted_on(plan_json: str) -> set[str]:
    return {a["object"]["name"] for a in json.loads(plan_json)["actions"]}


def test_plan_dash_l_is_the_label_selector(two_drifted: tuple[Path, Path], tmp_path: Path) -> None:
    desired, live = two_drifted
    base = ["plan", "-d", str(desired), "--live", str(live), "-o", "json"]
    everything = run(*base, cwd=tmp_path)
    assert everything.returncode == 0, everything.stderr
    assert acted_on(everything.stdout) == {"x-cfg", "y-cfg"}
    selected = run(*base, "-l", "app=x", cwd=tmp_path)
    assert selected.returncode == 0, selected.stderr
    assert acted_on(selected.stdout) == {"x-cfg"}
    assert acted_on(run(*base, "--selector", "app!=x", cwd=tmp_path).stdout) == {"y-cfg"}


def test_plan_takes_scans_namespace_and_rule_switches(
    two_drifted: tuple[Path, Path], tmp_path: Path
) -> None:
    desired, live = two_drifted
    base = ["plan", "-d", str(desired), "--live", str(live), "-o", "json"]
    other_namespace = run(*base, "-n", "elsewhere", cwd=tmp_path)
    assert other_namespace.returncode == 0, other_namespace.stderr
    assert acted_on(other_namespace.stdout) == set()
    off = run(*base, "--disable-rule", "field-changed", cwd=tmp_path)
    assert off.returncode == 0, off.stderr
    assert acted_on(off.stdout) == set()


def suppress_x(store: Path) -> None:
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    args = ["--kind", "ConfigMap", "--name", "x-cfg", "--reason", "INC-7 trial"]
    done = run("suppress", "--store", str(store), *args, "--until", until)
    assert done.returncode == 0, done.stderr


def test_report_applies_the_stores_suppressions_as_scan_does(
    two_drifted: tuple[Path, Path], tmp_path: Path
) -> None:
    """Regression: `report` built its scan without the store's suppressions, so drift that
    `scan` showed as suppressed counted as open in the report."""
    desired, live = two_drifted
    store = tmp_path / "timeline.db"
    suppress_x(store)
    scan = run("scan", "-d", str(desired), "--live", str(live), "--store", str(store), "-o", "json")
    assert scan.returncode == 2, scan.stderr
    assert json.loads(scan.stdout)["summary"]["suppressed"] == 1
    out = tmp_path / "r.html"
    inputs = ["-d", str(desired), "--live", str(live), "--out", str(out)]
    done = run("report", *inputs, "--store", str(store))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "suppressed until" in page
    assert "INC-7 trial" in page
    # the default store (./kubedrift-timeline.db) is read as `scan` reads it
    store.rename(tmp_path / "kubedrift-timeline.db")
    again = run("report", *inputs, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "INC-7 trial" in out.read_text()


def test_report_counts_only_unsuppressed_drift(two_drifted: tuple[Path, Path]) -> None:
    """The summary counts as `scan` counts: the suppressed finding is shown, not counted."""
    import asyncio

    from kubedrift.cli.scan_inputs import ScanInputs
    from kubedrift.engine import run_scan
    from kubedrift.report import build_report

    desired, live = two_drifted
    store = desired.parent / "timeline.db"
    suppress_x(store)
    request = ScanInputs(desired=(str(desired),), live=(live,), store=str(store)).request()
    scan = asyncio.run(run_scan(request))
    data = build_report(scan=scan, history=None, now=datetime.now(UTC))
    assert sum(data.summary.open_by_severity.values()) == len(scan.active()) == 1
    assert len(data.findings) == 2


@pytest.mark.apiserver
def test_apply_dash_l_reverts_only_the_selected_objects(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    kc = str(apiserver.kubeconfig)
    tag = uuid.uuid4().hex[:6]
    x, y = config_map(f"x-{tag}", f"x{tag}", "info"), config_map(f"y-{tag}", f"y{tag}", "info")
    desired = tmp_path / "desired.yaml"
    desired.write_text(yaml.safe_dump_all([x, y]))
    kubectl = ["kubectl", f"--kubeconfig={kc}"]
    subprocess.run([*kubectl, "apply", "-f", str(desired)], check=True, capture_output=True)
    for name in (f"x-{tag}", f"y-{tag}"):
        patch = json.dumps({"data": {"level": "debug"}})
        subprocess.run(
            [*kubectl, "patch", "configmap", name, "-n", "default", "-p", patch],
            check=True,
            capture_output=True,
        )
    store = tmp_path / "timeline.db"
    args = ["-d", str(desired), "--kubeconfig", kc, "--store", str(store), "--no-nodes"]
    done = run("apply", *args, "-l", f"app=x{tag}", "--yes", "-o", "json")
    assert done.returncode == 0, done.stderr

    def level(name: str) -> str:
        got = subprocess.run(
            [*kubectl, "get", "configmap", name, "-n", "default", "-o", "json"],
            check=True,
            capture_output=True,
            text=True,
        )
        return str(json.loads(got.stdout)["data"]["level"])

    assert (level(f"x-{tag}"), level(f"y-{tag}")) == ("info", "debug")


AGENT_ENTRY_POINTS = [
    [str(BIN), "agent"],
    [sys.executable, "-m", "kubedrift.cli.agent"],
]


@pytest.mark.parametrize("argv", AGENT_ENTRY_POINTS, ids=["kubedrift-agent", "python-m"])
def test_agent_bad_input_is_one_line_and_exit_1(argv: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-root"
    done = subprocess.run(
        [*argv, "--dry-run", "--host-root", str(missing)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kubedrift: error: ")
    assert str(missing) in lines[0]
    assert "Traceback" not in done.stderr


def test_main_bad_input_is_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    done = run("plan", "-d", str(bad), "--live", str(bad), cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "bad.yaml" in lines[0]
    assert "Traceback" not in done.stderr


BUGGY = """
import typer
from kubedrift.cli.errors import run_cli

app = typer.Typer()

@app.command()
def broken() -> None:
    {}["missing key"]

run_cli(app)
"""


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_bug_is_one_line_and_the_traceback_only_in_debug(debug: str) -> None:
    """The wrapper both programs end through (`kubedrift`, the agent): a real typer app whose
    command has a bug."""
    env = {**os.environ, "KUBEDRIFT_DEBUG": debug}
    done = subprocess.run(
        [sys.executable, "-c", BUGGY], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("kubedrift: error: KeyError: 'missing key' at <string>:"), last
    assert "KUBEDRIFT_DEBUG=1" in last
    assert ("Traceback" in done.stderr) == bool(debug)


def test_a_user_error_shows_its_chained_cause_in_debug(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    done = run("scan", "-d", str(bad), "--live", str(bad), env={"KUBEDRIFT_DEBUG": "1"})
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("kubedrift: error: ")


def test_one_version_source() -> None:
    """`--version`, `version` and the installed metadata all say `kubedrift.__version__`."""
    flag, command = run("--version"), run("version")
    assert flag.stdout == command.stdout == f"kubedrift {__version__}\n"
    assert importlib.metadata.version("kubedrift") == __version__
