"""`kubedrift watch --predict*`: a bad option is one line and exit 1, before anything
connects (the command as users run it, a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

KUBEDRIFT = Path(sys.executable).parent / "kubedrift"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--predict-interval", "60"], "the --predict-* options need --predict"),
        (["--predict-retry", "5"], "the --predict-* options need --predict"),
        (["--predict", "--predict-interval", "0"], "--predict-interval must be positive, not 0"),
        (["--predict", "--predict-retry", "-1"], "--predict-retry must be positive, not -1"),
        (["--predict", "--predict-interval", "soon"], "Invalid value for '--predict-interval'"),
    ],
)
def test_bad_predict_options(args: list[str], error: str, tmp_path: Path) -> None:
    argv = [str(KUBEDRIFT), "watch", "--cluster", "x", "--store", str(tmp_path / "t.db"), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kubedrift: error: ")
    assert error in lines[0]
