"""Fixtures for desired-state tests: files written into tmp dirs, real Git repositories."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

WriteTree = Callable[[dict[str, str]], Path]
Git = Callable[..., str]


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write `{relative path: text}` under a fresh folder and return the folder."""
    counter = iter(range(1000))

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / f"tree{next(counter)}"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        root.mkdir(exist_ok=True)
        return root

    return write


@pytest.fixture
def git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Git:
    """Run git hermetically (no user or system config); returns stdout, stripped."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_DIR", raising=False)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Author")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")

    def run(*args: str | Path, cwd: Path) -> str:
        done = subprocess.run(
            ["git", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    return run
