"""Running the external programs desired state needs (git, kustomize, kubectl, helm).

One place for the rules: no shell, a timeout on every run, stdin closed so a program can
never wait for a password, and every failure turned into an `InputError` whose message
starts with the program's own first line(s) of stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from kubedrift.model import InputError

DEFAULT_TIMEOUT = 120.0
"""Seconds a program may run: long enough for a clone over a slow link, short of a hang."""

_STDERR_LINES = 2
_KLOG = re.compile(r'^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] (?:"command failed" err=)?')
"""kubectl's log prefix (`E1122 08:10:44.859528 26653 run.go:72] "command failed" err=`)."""


def which(*programs: str) -> str | None:
    """The full path of the first program found on PATH, else None."""
    for program in programs:
        found = shutil.which(program)
        if found:
            return found
    return None


def run(
    args: Sequence[str | Path],
    *,
    where: str,
    timeout: float = DEFAULT_TIMEOUT,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run a program and return its stdout; raise InputError (naming `where`) on failure."""
    argv = [str(a) for a in args]
    name = Path(argv[0]).name
    full_env = {**os.environ, **env} if env else None
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            cwd=cwd,
            env=full_env,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(f"{name} is not on PATH", where=where) from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{name} did not finish within {timeout:g} s", where=where) from None
    if done.returncode != 0:
        raise InputError(f"{name} failed: {stderr_summary(done.stderr)}", where=where)
    return done.stdout


def stderr_summary(stderr: bytes) -> str:
    """The first non-empty lines of a program's stderr, joined into one line."""
    lines = [_unwrap(line.strip()) for line in stderr.decode(errors="replace").splitlines()]
    useful = [line for line in lines if line][:_STDERR_LINES]
    return " / ".join(useful) if useful else "no message (non-zero exit status)"


def _unwrap(line: str) -> str:
    """A kubectl log line without its prefix and quotes; other lines unchanged."""
    bare = _KLOG.sub("", line)
    if bare != line and len(bare) > 1 and bare[0] == bare[-1] == '"':
        return bare[1:-1].replace('\\"', '"')
    return bare
