"""`scripts/audit.py`: its verdict on pip-audit's report, and a real run that ends quickly."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "audit.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("dependencies", "code", "line"),
    [
        ([{"name": "a", "version": "1", "skip_reason": "not found"}], 0, "audit: skipped: "),
        ([{"name": "a", "version": "1", "vulns": []}], 0, "no known vulnerabilities in 1"),
        (
            [{"name": "a", "version": "1", "vulns": [{"id": "PYSEC-1"}, {"id": "GHSA-x"}]}],
            1,
            "audit: a 1: PYSEC-1, GHSA-x",
        ),
    ],
    ids=["source-knows-nothing", "clean", "vulnerable"],
)
def test_verdict(
    dependencies: list[dict[str, object]], code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load().verdict(dependencies, "") == code
    assert line in capsys.readouterr().out


def test_a_real_run_ends_in_one_clear_line_quickly() -> None:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=150, check=False
    )
    assert time.monotonic() - start < 120
    assert done.stdout.startswith("audit: ")
    assert done.returncode in (0, 1)
    assert done.stdout.count("\n") == 1 or done.returncode == 1
