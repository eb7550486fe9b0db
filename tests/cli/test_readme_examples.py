"""README's first examples run as written in a fresh clone (issue 10, "Done when").

The `sh` block under "## Use" is read from README.md and each `kubedrift` line is run as
written, from a folder that holds the repository's `examples/` (as a clone's root does).
Lines that need what a clone does not have — a cluster (a scan without `--live`), a Git
server of yours, a snapshot that `kubectl get` writes first — are named, not run; every
path the others name must exist, so an example pointing at a missing folder fails here.
"""

from __future__ import annotations

import itertools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
USE = re.search(r"^## Use\n.*?```sh\n(.*?)```", README, re.S | re.M)
assert USE is not None, "README has no sh block under ## Use"
LINES = [line for line in USE.group(1).splitlines() if line.startswith("kubedrift ")]


WRITTEN_FIRST = {"live.json"}
"""What the block's own `kubectl get … > live.json` line writes before it is read."""


def needs_more_than_a_clone(argv: list[str]) -> bool:
    """A cluster (a scan without `--live`), your Git server, or `kubectl get`'s snapshot."""
    if any("://" in arg for arg in argv):
        return True
    if argv[1] == "scan" and "--live" not in argv:
        return True
    return bool(WRITTEN_FIRST.intersection(argv))


def input_paths(argv: list[str]) -> list[str]:
    """The files and folders a line reads: `--desired`/`--live` values, `diff`'s arguments."""
    options = ("--desired", "-d", "--live")
    out = [value for flag, value in itertools.pairwise(argv) if flag in options]
    if argv[1] == "diff":
        out += [a for a in argv[2:4] if not a.startswith("-")]
    return [p.split("@")[0] for p in out if "://" not in p]


RUNNABLE = [line for line in LINES if not needs_more_than_a_clone(shlex.split(line, comments=True))]


def test_the_use_section_shows_every_command() -> None:
    assert {line.split()[1] for line in LINES} == {"scan", "diff", "simulate"}
    assert len(RUNNABLE) >= 5


@pytest.mark.parametrize("line", LINES)
def test_every_path_an_example_names_is_in_the_repository(line: str) -> None:
    """Before issue 10, the first example named `profiles/`, which no clone has."""
    for path in input_paths(shlex.split(line, comments=True)):
        assert path in WRITTEN_FIRST or (ROOT / path).exists(), f"{line}: no {path}"


@pytest.mark.parametrize("line", RUNNABLE)
def test_readme_example_runs_as_written(line: str, tmp_path: Path) -> None:
    argv = shlex.split(line, comments=True)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    cmd = [sys.executable, "-m", "kubedrift", *argv[1:]]
    done = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode in (0, 2), done.stderr  # 2: the example's drift, as documented
    assert "error" not in done.stderr
