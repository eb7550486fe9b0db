"""Git as a source of desired state, through the `git` program.

A spec names a Git source in one of these ways:

- a URL, `https://host/org/repo.git`, `ssh://…`, `git://…`, `file:///…` (a `git+` prefix
  is allowed, as in `git+file:///srv/repo`), or scp-style `git@host:org/repo.git`;
- a local path followed by `@REV` (`/path/repo@v1.2`, `deploy/prod@main`), a path in a
  work tree or a bare repository (`/srv/git/platform.git@main`, which reads as its
  `file://` URL would; a sub-path follows `//`: `/srv/git/platform.git//prod@main`).

Both take an optional `@REV` (branch, tag or commit, full or abbreviated) at the end, and a
URL an optional sub-path after `//` (Flux and Argo CD style): `repo.git//manifests@main`.
Such a source is fetched into a temporary folder, shallow when the server allows it,
checked out at REV (default: the remote HEAD) and removed afterwards.

A local path without `@REV` is read from the work tree as it is; when it lies in a Git
work tree its HEAD commit is recorded, and whether the path has uncommitted changes.

Every spec is user text that becomes git arguments: `kubedrift.desired.gitsafe` checks
revisions and URLs, and every run here goes through `_git_run`, which adds the hardened
config and environment (allowed protocols, no hooks, no fsmonitor, credentials from the
environment) and hides credentials in its errors. User text always follows
`--end-of-options`. A checkout whose symlinks lead out of the repository is refused
(`check_symlinks`): the files it names are read as the repository's.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from kubedrift.desired.gitsafe import (
    BASE_ENV,
    HARDENING,
    check_revision,
    check_url,
    credentials_env,
    redact,
    redact_error,
)
from kubedrift.desired.tools import DEFAULT_TIMEOUT, run, which
from kubedrift.model import InputError

_URL = re.compile(r"^(?:git\+)?(?P<base>(?:https?|ssh|git|file)://[^/]*)(?P<path>/.*)$", re.I)
_SCP = re.compile(r"^(?P<base>[\w.+-]+@[\w.-]+:)(?P<path>[^/].*)$")
_FULL_SHA = re.compile(r"[0-9a-f]{13,64}")
_REV_REFUSED = re.compile(
    r"couldn't find remote ref|not our ref|unadvertised object|no such remote ref", re.I
)
"""git's messages for a revision a shallow fetch cannot name (as opposed to a bad URL)."""


@dataclass(frozen=True, slots=True)
class GitSpec:
    """A Git source: what to fetch (`url`), at which revision, and the sub-path to read.

    `repo` is how locations name the repository (the URL, or the local repository path).
    """

    url: str
    rev: str | None
    subdir: str
    repo: str

    def name(self, revision: str, relative: str) -> str:
        """How a location names a file of this source: `REPO@REV:path` (git's own notation)."""
        at = self.rev or revision
        if _FULL_SHA.fullmatch(at):
            at = at[:12]
        return f"{self.repo}@{at}:{relative}" if relative not in ("", ".") else f"{self.repo}@{at}"


@dataclass(frozen=True, slots=True)
class Checkout:
    """A temporary checkout of a Git source at one commit (full SHA)."""

    root: Path
    revision: str


@dataclass(frozen=True, slots=True)
class WorktreeState:
    """A local path's Git state: HEAD's commit (None outside Git) and uncommitted changes."""

    revision: str | None
    dirty: bool = False


def parse_git_spec(spec: str, *, timeout: float = DEFAULT_TIMEOUT) -> GitSpec | None:
    """The Git source a spec names, or None when it is a plain local path."""
    match = _URL.match(spec) or _SCP.match(spec)
    if match is not None:
        where = redact(spec)
        repo_and_sub, rev = _split_rev(match.group("path"))
        repo, _, subdir = repo_and_sub.partition("//")
        url = check_url(match.group("base") + repo, where)
        rev = check_revision(rev, where) if rev is not None else None
        return GitSpec(url=url, rev=rev, subdir=subdir.strip("/"), repo=redact(url))
    if Path(spec).exists() or "@" not in spec:
        return None
    base, _, rev = spec.rpartition("@")
    repo_path, _, sub = base.partition("//")
    if not rev or not Path(repo_path).exists():
        return None
    check_revision(rev, spec)
    if _is_bare(Path(repo_path), spec, timeout):
        top = Path(repo_path).resolve()
        return GitSpec(url=top.as_uri(), rev=rev, subdir=sub.strip("/"), repo=str(top))
    top = _toplevel(Path(base), spec, timeout)
    subdir = Path(base).resolve().relative_to(top).as_posix()
    return GitSpec(url=top.as_uri(), rev=rev, subdir="" if subdir == "." else subdir, repo=str(top))


def _is_bare(path: Path, spec: str, timeout: float) -> bool:
    """Whether `path` is a bare repository's folder: it has no work tree to find a top
    level in, so it is read as its `file://` URL is (git's own `git clone /srv/x.git`)."""
    if not path.is_dir():
        return False
    try:
        out = _git_run([path, "rev-parse", "--is-bare-repository"], where=spec, timeout=timeout)
    except InputError:
        return False
    return out.decode().strip() == "true"


def _split_rev(path: str) -> tuple[str, str | None]:
    if "@" not in path:
        return path, None
    head, _, rev = path.rpartition("@")
    return (head, rev) if rev else (head, None)


def _toplevel(path: Path, spec: str, timeout: float) -> Path:
    folder = path if path.is_dir() else path.parent
    try:
        out = _git_run([folder, "rev-parse", "--show-toplevel"], where=spec, timeout=timeout)
    except InputError:
        raise InputError(
            f"@REV needs a Git repository, but {path} is not inside a Git work tree", where=spec
        ) from None
    return Path(out.decode().strip()).resolve()


@contextmanager
def checkout(spec: GitSpec, *, where: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Checkout]:
    """Fetch a Git source into a temporary folder, check out its revision, clean up after."""
    where = redact(where)
    with (
        credentials_env() as env,
        tempfile.TemporaryDirectory(prefix="kubedrift-git-") as tmp,
    ):
        _git_run([None, "init", "-q", "--", tmp], where=where, timeout=timeout)
        repo = _Scratch(Path(tmp), where, timeout, env)
        sha = _fetch(repo, spec)
        repo.git("-c", "advice.detachedHead=false", "checkout", "-q", sha, "--")
        check_symlinks(repo.root, spec, sha)
        yield Checkout(root=repo.root, revision=sha)


def check_symlinks(root: Path, spec: GitSpec, revision: str) -> None:
    """Refuse a checkout with a symlink that resolves outside of it (or not at all).

    A repository can commit a symlink to any path (`cm.yaml -> /etc/kubernetes/admin.conf`);
    reading it would read the host's file as desired state and quote it in errors. Argo CD
    refuses such checkouts the same way ("repository contains out-of-bounds symlinks").
    """
    real_root = root.resolve()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for entry in (*dirs, *names):
            path = Path(folder) / entry
            if not path.is_symlink():
                continue
            relative = path.relative_to(root).as_posix()
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                continue  # dangling or looping: read_tree reports it if it is ever read
            if not target.is_relative_to(real_root):
                raise InputError(
                    "symlink points out of the repository", where=spec.name(revision, relative)
                )


@dataclass(frozen=True, slots=True)
class _Scratch:
    """The temporary repository a source is fetched into."""

    root: Path
    where: str
    timeout: float
    env: dict[str, str]

    def git(self, *args: str) -> bytes:
        return _git_run([self.root, *args], where=self.where, timeout=self.timeout, env=self.env)

    def fetch(self, spec: GitSpec, *args: str) -> None:
        argv = ["fetch", "-q", "--no-recurse-submodules", *args]
        try:
            self.git(*argv)
        except InputError as exc:
            reason = exc.message.removeprefix("git failed: ")
            raise InputError(f"cannot fetch from {spec.repo}: {reason}", where=self.where) from None

    def resolve(self, rev: str) -> str | None:
        try:
            out = self.git("rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}")
        except InputError:
            return None
        return out.decode().strip()


def _fetch(repo: _Scratch, spec: GitSpec) -> str:
    """Fetch REV (or the remote HEAD) and return its full commit SHA."""
    try:
        repo.fetch(
            spec, "--depth", "1", "--no-tags", "--end-of-options", spec.url, spec.rev or "HEAD"
        )
    except InputError as exc:
        if spec.rev is None or not _REV_REFUSED.search(exc.message):
            raise
    else:
        return repo.resolve("FETCH_HEAD") or _unknown(spec, repo.where)
    # A server refuses a shallow fetch of an abbreviated SHA, and of a commit that no ref
    # points at unless it allows any SHA: fetch every branch and tag, then resolve locally.
    repo.fetch(
        spec,
        "--end-of-options",
        spec.url,
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
    )
    return (
        repo.resolve(spec.rev) or repo.resolve(f"origin/{spec.rev}") or _unknown(spec, repo.where)
    )


def remote_revision(spec: GitSpec, *, where: str, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """The commit REV (or HEAD) names on the remote now, from `git ls-remote` alone.

    Cheap enough to poll: nothing is fetched. None when only a fetch can tell (an
    abbreviated SHA, a commit no ref points at).
    """
    rev = spec.rev or "HEAD"
    if _FULL_SHA.fullmatch(rev):
        return rev.lower()
    where = redact(where)
    with credentials_env() as env:
        argv = [None, "ls-remote", "--end-of-options", spec.url, rev]
        out = _git_run(argv, where=where, timeout=timeout, env=env)
    refs: dict[str, str] = {}
    for line in out.decode().splitlines():
        sha, _, name = line.partition("\t")
        refs.setdefault(name, sha)
    for name in (rev, f"refs/heads/{rev}", f"refs/tags/{rev}^{{}}", f"refs/tags/{rev}"):
        if name in refs:
            return refs[name]
    return None


_FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")


def _unknown(spec: GitSpec, where: str) -> NoReturn:
    raise InputError(
        f"unknown revision {spec.rev or 'HEAD'!r}: not a branch, tag or commit of {spec.repo}",
        where=where,
    )


def worktree_state(path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> WorktreeState:
    """HEAD's commit and dirtiness of the work tree holding `path` (not in Git: no revision)."""
    if which("git") is None:
        return WorktreeState(revision=None)
    folder, scope = (path, ".") if path.is_dir() else (path.parent, path.name)
    if not maybe_in_git(folder):
        return WorktreeState(revision=None)  # what git would say, without starting it
    where = str(path)
    try:
        head = _git_run(
            [folder, "rev-parse", "--verify", "-q", "HEAD"], where=where, timeout=timeout
        )
    except InputError:
        return WorktreeState(revision=None)
    status = _git_run([folder, "status", "--porcelain", "--", scope], where=where, timeout=timeout)
    return WorktreeState(revision=head.decode().strip(), dirty=bool(status.strip()))


_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES")


def maybe_in_git(folder: Path) -> bool:
    """False only when git could not find a repository for `folder`: no `GIT_DIR`-like
    variable set, and neither `folder` nor a parent holds a `.git` (folder or file) or is
    itself a bare repository (HEAD, objects/, refs/). Any doubt (an unreadable folder)
    says True, and git is asked. Saves a `git` process (~5-10 ms) per source outside Git.
    """
    if any(name in os.environ for name in _GIT_ENV):
        return True
    try:
        here = folder.resolve()
        for candidate in (here, *here.parents):
            if (candidate / ".git").exists():
                return True
            if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
                return True
    except OSError:
        return True
    return False


def _git_run(
    args: Sequence[str | Path | None],
    *,
    where: str,
    timeout: float,
    env: dict[str, str] | None = None,
) -> bytes:
    """Run git hardened (`gitsafe.HARDENING`), in folder `args[0]` (None: no `-C`).

    Errors never carry credentials: both message and `where` are redacted.
    """
    git = which("git")
    if git is None:
        raise InputError("names a Git source but git is not on PATH", where=redact(where))
    folder, rest = args[0], [a for a in args[1:] if a is not None]
    argv: list[str | Path] = [git, *HARDENING, *(["-C", folder] if folder else []), *rest]
    try:
        return run(argv, where=where, timeout=timeout, env=env if env is not None else BASE_ENV)
    except InputError as exc:
        raise redact_error(exc) from None
