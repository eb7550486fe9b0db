"""Writing files back into a local Git work tree: all of them or none, then a branch and a
commit (`kubedrift adopt`).

Every git run is hardened as in `kubedrift.desired.git` (`gitsafe.HARDENING`: no hooks, no
fsmonitor; `BASE_ENV`: no prompt), and user text never reaches git where it could be read
as an option: a branch name is checked with git's `check-ref-format` rules (which refuse a
leading `-`) and follows `--end-of-options`; paths follow `--`; the message is bound to its
option (`--message=…`).

Files are written all or none: each new text goes to a temporary file beside its target
first, and only when every one is written are they renamed over the targets (a rename is
atomic on one file system, POSIX `rename(2)`); a failure on the way restores what was
already replaced. A commit that fails puts the files and the branch back as they were.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubedrift.desired.gitsafe import BASE_ENV, HARDENING, check_revision
from kubedrift.desired.tools import run, which
from kubedrift.model import InputError


@dataclass(frozen=True, slots=True)
class WorkTree:
    """A local Git work tree: its top folder and the branch checked out (None: detached)."""

    root: Path
    branch: str | None

    def git(self, *args: str) -> str:
        """Run git in the work tree, hardened; its stdout as text."""
        program = which("git")
        if program is None:
            raise InputError("git is not on PATH", where=str(self.root))
        argv = [program, *HARDENING, "-C", str(self.root), *args]
        return run(argv, where=str(self.root), env=BASE_ENV).decode()

    def changes(self) -> list[str]:
        """`git status --porcelain` lines: uncommitted changes and untracked files."""
        return [line for line in self.git("status", "--porcelain").splitlines() if line]

    def head(self) -> str:
        """The full commit SHA of HEAD."""
        return self.git("rev-parse", "--verify", "HEAD").strip()


def open_work_tree(path: Path) -> WorkTree:
    """The work tree holding `path`; an error when it is in none."""
    folder = path if path.is_dir() else path.parent
    probe = WorkTree(folder, None)
    try:
        root = Path(probe.git("rev-parse", "--show-toplevel").strip()).resolve()
    except InputError:
        raise InputError("is not inside a Git work tree", where=str(path)) from None
    tree = WorkTree(root, None)
    try:
        branch = tree.git("symbolic-ref", "--quiet", "--short", "HEAD").strip() or None
    except InputError:
        branch = None
    return WorkTree(root, branch)


def write_all(files: Mapping[Path, str]) -> None:
    """Replace every file's text, or none of them (see the module docstring)."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            staged.append((path, _stage(path, text)))
    except OSError:
        for _, temp in staged:
            temp.unlink(missing_ok=True)
        raise
    originals = {path: path.read_bytes() for path in files}
    done: list[Path] = []
    try:
        for path, temp in staged:
            os.replace(temp, path)
            done.append(path)
    except OSError:
        for path in done:
            path.write_bytes(originals[path])
        for _, temp in staged:
            temp.unlink(missing_ok=True)
        raise


def _stage(path: Path, text: str) -> Path:
    """`text` in a temporary file beside `path`, with `path`'s permissions."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".kubedrift", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, path.stat().st_mode & 0o7777)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
    return temp


def commit_on_branch(tree: WorkTree, branch: str, files: Mapping[Path, str], message: str) -> str:
    """Create `branch` at HEAD, switch to it, write `files`, commit them; the new SHA.

    On any failure the work tree is put back: original texts, the branch it was on, the
    new branch deleted.
    """
    check_revision(branch, "--branch")
    if tree.git("branch", "--list", "--end-of-options", branch).strip():
        raise InputError(f"branch {branch!r} already exists", where=str(tree.root))
    originals = {path: path.read_text(encoding="utf-8") for path in files}
    start = tree.head()
    tree.git("switch", "--quiet", f"--create={branch}")
    try:
        write_all(files)
        paths = [str(p.resolve()) for p in files]
        tree.git("add", "--", *paths)
        tree.git("commit", "--quiet", f"--message={message}", "--", *paths)
    except (InputError, OSError):
        _undo(tree, branch, start, originals)
        raise
    return tree.head()


def _undo(tree: WorkTree, branch: str, start: str, originals: Mapping[Path, str]) -> None:
    """Back to where `commit_on_branch` started: texts, index, branch (or detached HEAD)."""
    with contextlib.suppress(InputError, OSError):
        write_all(originals)
        paths = [str(p.resolve()) for p in originals]
        tree.git("reset", "--quiet", "--", *paths)
        if tree.branch:
            tree.git("switch", "--quiet", "--end-of-options", tree.branch)
        else:
            tree.git("switch", "--quiet", "--detach", "--end-of-options", start)
        tree.git("branch", "--quiet", "-D", "--end-of-options", branch)


def relative(tree: WorkTree, paths: Sequence[Path]) -> list[str]:
    """Paths as the repository names them (for diffs and messages)."""
    return [p.resolve().relative_to(tree.root).as_posix() for p in paths]
