"""A local desired path outside Git starts no `git` process; inside one, git is asked.

`kubedrift diff a.json b.json` ran `git rev-parse` for its desired path even in a folder
that is no repository (start-up time, issue 18.5); `maybe_in_git` answers that case alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubedrift.desired import git as git_module
from kubedrift.desired import load_desired
from kubedrift.desired.git import maybe_in_git, worktree_state

Git = Callable[..., str]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: '1'\n"


def _count_git_runs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    runs: list[Any] = []
    real = git_module.run  # type: ignore[attr-defined]

    def counting(argv: Any, **kwargs: Any) -> bytes:
        runs.append(argv)
        return real(argv, **kwargs)

    monkeypatch.setattr(git_module, "run", counting)
    return runs


def test_a_folder_outside_git_starts_no_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_DIR", raising=False)
    if maybe_in_git(tmp_path):
        pytest.skip(f"{tmp_path} is inside a Git repository on this machine")
    (tmp_path / "cm.yaml").write_text(CM)
    runs = _count_git_runs(monkeypatch)

    loaded = load_desired([str(tmp_path / "cm.yaml")])

    assert [o.obj["metadata"]["name"] for o in loaded.objects] == ["settings"]
    assert loaded.revision is None
    assert runs == []


def test_a_repository_is_still_asked_for_its_commit_and_dirtiness(
    tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "deep" / "er").mkdir(parents=True)
    git("init", "-q", "-b", "main", repo, cwd=tmp_path)
    (repo / "deep" / "er" / "cm.yaml").write_text(CM)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "one", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo)
    runs = _count_git_runs(monkeypatch)

    state = worktree_state(repo / "deep" / "er" / "cm.yaml")

    assert maybe_in_git(repo / "deep" / "er")
    assert (state.revision, state.dirty) == (head, False)
    assert runs  # git was asked
    (repo / "deep" / "er" / "cm.yaml").write_text(CM.replace("'1'", "'2'"))
    assert worktree_state(repo / "deep").dirty


def test_a_git_file_a_bare_repository_or_git_dir_means_ask_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_DIR", raising=False)
    if maybe_in_git(tmp_path):
        pytest.skip(f"{tmp_path} is inside a Git repository on this machine")
    worktree = tmp_path / "linked"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: /elsewhere/.git/worktrees/linked\n")
    bare = tmp_path / "bare.git"
    (bare / "objects").mkdir(parents=True)
    (bare / "refs").mkdir()
    (bare / "HEAD").write_text("ref: refs/heads/main\n")
    plain = tmp_path / "plain"
    plain.mkdir()

    assert maybe_in_git(worktree)
    assert maybe_in_git(bare)
    assert not maybe_in_git(plain)
    monkeypatch.setenv("GIT_DIR", str(bare))
    assert maybe_in_git(plain)
