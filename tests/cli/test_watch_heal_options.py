"""`kubedrift watch --heal*`: a bad option or `heal:` block is one line and exit 1, before
anything connects (the command as users run it, a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
BAD_CONFIG = "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\nheal: {rate: 4}\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--heal-mode", "apply"], "the --heal-* options need --heal"),
        (["--heal-namespace", "ml"], "the --heal-* options need --heal"),
        (["--heal", "--heal-rule", "field-added"], "--heal-rule: 'field-added' cannot be healed"),
        (["--heal", "--heal-max-per-minute", "0"], "--heal-max-per-minute must be a whole number"),
        (["--heal", "--heal-fight-rounds", "0"], "--heal-fight-rounds must be a whole number"),
        (["--heal", "--heal-mode", "bogus"], "Invalid value for '--heal-mode'"),
        (["--heal", "--config", "{bad}"], "{bad}: heal: unknown key 'rate'"),
    ],
)
def test_bad_heal_options(args: list[str], error: str, tmp_path: Path) -> None:
    bad = tmp_path / "kubedrift.yaml"
    bad.write_text(BAD_CONFIG)
    argv = [str(KUBEDRIFT), "watch", "--cluster", "x", "--store", str(tmp_path / "t.db")]
    argv += [a.replace("{bad}", str(bad)) for a in args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kubedrift: error: ")
    assert error.replace("{bad}", str(bad)) in lines[0]
