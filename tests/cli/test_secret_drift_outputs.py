"""Secret drift through every output format, end to end: it renders, and no value leaks.

Regression for issue 10.1: `-o json`, `-o yaml` and `-o sarif` crashed on any Secret drift
(`TypeError: Encoding objects of type Masked is unsupported`, YAML `RepresenterError`), so a
CI job piping JSON lost every finding the moment a Secret drifted.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app

FORMATS = ("table", "wide", "json", "yaml", "markdown", "sarif", "junit")

# Every value a case uses; none may appear in any output, neither as is nor in base64.
KEPT = "kept-value-Tq8VnZ1"
DESIRED = "desired-value-Hx3Lp0"
LIVE = "live-value-Rb7Wm2"
REMOVED = "removed-value-Kc5Jy9"
VALUES = (KEPT, DESIRED, LIVE, REMOVED)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(**fields: Any) -> dict[str, Any]:
    meta = fields.pop("metadata", {})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "hf-token", "namespace": "ml", **meta},
        "type": "Opaque",
        **fields,
    }


def _last_applied(obj: dict[str, Any]) -> dict[str, Any]:
    return {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(obj)}}


# case → (desired, live, path of the one finding, its rule)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str, str]] = {
    "data changed": (
        secret(data={"token": b64(DESIRED), "keep": b64(KEPT)}),
        secret(data={"token": b64(LIVE), "keep": b64(KEPT)}),
        "/data/token",
        "field-changed",
    ),
    "stringData changed": (
        secret(stringData={"token": DESIRED}, data={"keep": b64(KEPT)}),
        secret(data={"token": b64(LIVE), "keep": b64(KEPT)}),
        "/data/token",
        "field-changed",
    ),
    "key added": (
        secret(data={"token": b64(DESIRED), "keep": b64(KEPT)}),
        secret(data={"keep": b64(KEPT)}),
        "/data/token",
        "field-missing",
    ),
    "key removed": (
        secret(data={"keep": b64(KEPT)}),
        secret(
            metadata=_last_applied(secret(data={"keep": b64(KEPT), "old": b64(REMOVED)})),
            data={"keep": b64(KEPT), "old": b64(REMOVED)},
        ),
        "/data/old",
        "field-removed-from-desired",
    ),
}


@dataclass(frozen=True)
class Run:
    """What a user sees of one run: exit code, stdout, stderr."""

    returncode: int
    stdout: str
    stderr: str


def kubedrift(*args: str) -> Run:
    """The command in this process (48 runs in a subprocess each would take a minute)."""
    result = CliRunner().invoke(app, list(args), standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return Run(int(result.return_value), result.stdout, result.stderr)


def kubedrift_process(*args: str) -> Run:
    """The command as a user runs it, in its own process."""
    argv = [sys.executable, "-m", "kubedrift", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    return Run(done.returncode, done.stdout, done.stderr)


def write_case(tmp_path: Path, case: str) -> tuple[Path, Path]:
    desired, live, _, _ = CASES[case]
    desired_file, live_file = tmp_path / "desired.json", tmp_path / "live.json"
    desired_file.write_text(json.dumps(desired))
    live_file.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [live]}))
    return desired_file, live_file


def assert_no_value(done: Run) -> None:
    for value in VALUES:
        for form in (value, b64(value)):
            assert form not in done.stdout
            assert form not in done.stderr


def assert_finding(done: Run, fmt: str, case: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    _, _, path, rule = CASES[case]
    if fmt == "json":
        findings = json.loads(done.stdout)["findings"]
        assert [(f["path"], f["rule"]) for f in findings] == [(path, rule)]
        assert all(
            str(f[side]).startswith("sha256:")
            for f in findings
            for side in ("desired", "live")
            if f[side]
        )
    else:
        assert path in done.stdout


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", FORMATS)
def test_diff_renders_secret_drift_without_values(tmp_path: Path, fmt: str, case: str) -> None:
    desired, live = write_case(tmp_path, case)
    done = kubedrift("diff", str(desired), str(live), "-o", fmt, "--no-color")
    assert_finding(done, fmt, case)
    assert_no_value(done)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_of_a_snapshot_renders_secret_drift_without_values(
    tmp_path: Path, fmt: str, case: str
) -> None:
    desired, live = write_case(tmp_path, case)
    done = kubedrift("scan", "--desired", str(desired), "--live", str(live), "-o", fmt)
    assert_finding(done, fmt, case)
    assert_no_value(done)


@pytest.mark.parametrize("fmt", ["json", "yaml", "sarif"])
def test_secret_drift_renders_in_a_real_process(tmp_path: Path, fmt: str) -> None:
    """The three formats that crashed, through the console entry point and its exit code."""
    desired, live = write_case(tmp_path, "data changed")
    done = kubedrift_process("diff", str(desired), str(live), "-o", fmt)
    assert_finding(done, fmt, "data changed")
    assert_no_value(done)
