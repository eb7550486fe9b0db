"""Never silently green: a desired source with nothing in it is an error, or a warning.

Regression for issue 10.7: an empty folder, a folder of READMEs or an empty file as
`--desired` compared nothing and exited 0, a green CI run that checked nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "examples" / "gpu-platform" / "live.json"


def kubedrift(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


def empty_folder(root: Path) -> str:
    (root / "deploy").mkdir()
    return "deploy"


def readme_only(root: Path) -> str:
    (root / "deploy").mkdir()
    (root / "deploy" / "README.md").write_text("# manifests go here\n")
    return "deploy"


def comments_only(root: Path) -> str:
    (root / "app.yaml").write_text("# nothing yet\n---\n---\n")
    return "app.yaml"


def git_folder_without_manifests(root: Path) -> str:
    repo = root / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "README.md").write_text("docs\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "docs"], check=True)
    return "repo/docs@HEAD"


SOURCES: dict[str, Callable[[Path], str]] = {
    "empty folder": empty_folder,
    "folder of READMEs": readme_only,
    "file of empty documents": comments_only,
    "Git folder without manifests": git_folder_without_manifests,
}


CASES = [
    (kind, source)
    for kind in ("scan", "diff")
    for source in sorted(SOURCES)
    if not (kind == "diff" and source.startswith("Git"))  # diff reads files and folders
]


def command(kind: str, spec: str) -> list[str]:
    if kind == "scan":
        return ["scan", "-d", spec, "--live", str(LIVE), "--no-nodes", "--no-workloads"]
    return ["diff", spec, str(LIVE)]


@pytest.mark.parametrize(("kind", "source"), CASES)
def test_an_empty_desired_source_is_an_error(tmp_path: Path, source: str, kind: str) -> None:
    spec = SOURCES[source](tmp_path)
    done = kubedrift(*command(kind, spec), "-o", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert spec in lines[0]
    assert "holds no Kubernetes objects" in lines[0]
    assert "--allow-empty" in lines[0]


@pytest.mark.parametrize(("kind", "source"), CASES)
def test_allow_empty_turns_it_into_a_warning(tmp_path: Path, source: str, kind: str) -> None:
    spec = SOURCES[source](tmp_path)
    done = kubedrift(*command(kind, spec), "--allow-empty", "-o", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    note = f"desired source {spec} holds no Kubernetes objects"
    assert json.loads(done.stdout)["summary"]["notes"] == [note]
    assert f"kubedrift: warning: {note}" in done.stderr
