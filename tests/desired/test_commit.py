"""Writing back into a Git work tree (desired/commit.py): all files or none, and a failed
commit leaves the work tree, its branch and its files as they were. Real git, real files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kubedrift.desired.commit import commit_on_branch, open_work_tree, write_all
from kubedrift.model import InputError


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    (root / "a.yaml").write_text("a: 1\n")
    (root / "b.yaml").write_text("b: 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def test_write_all_writes_nothing_when_one_file_cannot_be_written(repo: Path) -> None:
    missing = repo / "no-such-folder" / "c.yaml"
    with pytest.raises(FileNotFoundError):
        write_all({repo / "a.yaml": "a: 2\n", missing: "c: 2\n"})
    assert (repo / "a.yaml").read_text() == "a: 1\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "a.yaml", "b.yaml"]  # no temp


def test_write_all_keeps_the_files_mode(repo: Path) -> None:
    (repo / "a.yaml").chmod(0o640)
    write_all({repo / "a.yaml": "a: 2\n"})
    assert (repo / "a.yaml").stat().st_mode & 0o777 == 0o640
    assert (repo / "a.yaml").read_text() == "a: 2\n"


def test_a_failed_commit_puts_files_and_branch_back(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No identity git may use: `commit` fails after the files were written.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "user.useConfigOnly", "true")
    tree = open_work_tree(repo)
    env_free = {repo / "a.yaml": "a: 2\n", repo / "b.yaml": "b: 2\n"}
    with pytest.raises(InputError, match="git failed"):
        commit_on_branch(tree, "kubedrift/adopt-x", env_free, "adopt\n")
    assert (repo / "a.yaml").read_text() == "a: 1\n"
    assert (repo / "b.yaml").read_text() == "b: 1\n"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(repo, "branch", "--list").split() == ["*", "main"]
    assert git(repo, "status", "--porcelain") == ""


def test_a_branch_name_git_would_read_as_an_option_is_refused(repo: Path) -> None:
    tree = open_work_tree(repo)
    for name in ("-D", "--orphan=x", "a..b", "x y"):
        with pytest.raises(InputError, match="invalid revision"):
            commit_on_branch(tree, name, {repo / "a.yaml": "a: 2\n"}, "m\n")
    assert git(repo, "branch", "--list").split() == ["*", "main"]
    assert (repo / "a.yaml").read_text() == "a: 1\n"


def test_the_commit_holds_exactly_the_files_and_the_message(repo: Path) -> None:
    tree = open_work_tree(repo)
    sha = commit_on_branch(tree, "adopt/one", {repo / "b.yaml": "b: 2\n"}, "subject\n\nbody\n")
    assert git(repo, "rev-parse", "HEAD").strip() == sha
    assert git(repo, "log", "-1", "--format=%B") == "subject\n\nbody\n\n"
    assert git(repo, "show", "--name-only", "--format=", "HEAD") == "b.yaml\n"
    assert tree.branch == "main"
