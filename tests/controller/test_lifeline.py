"""Regression (issue 12.10): after `kill -9` of the watcher its desired-state worker lived on.

Each test starts a real Python process that starts a real worker, kills the parent with
SIGKILL and expects the worker to be gone within a few seconds: once through the loader the
watcher uses (parent-death signal and poll together), once through the poll alone (the
fallback where `prctl` is unavailable).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

LOADER_SCRIPT = """
import asyncio, sys, time
from kubedrift.controller.loader import DesiredLoader

async def main():
    loader = DesiredLoader()
    await loader.load((sys.argv[1],), None)
    print(*loader._pool._processes, flush=True)  # the worker's pid
    time.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""

POLL_SCRIPT = """
import multiprocessing, os, time
from kubedrift.controller import lifeline

def child(parent):
    lifeline._poll_parent(parent, 0.1)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child, args=(os.getpid(),))
    process.start()
    print(process.pid, flush=True)
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running and not a zombie (a container's PID 1 may never reap the orphan)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_parent_and_watch(script: str, *args: str, tmp_path: Path) -> None:
    path = tmp_path / "parent.py"
    path.write_text(textwrap.dedent(script))
    with subprocess.Popen(
        [sys.executable, str(path), *args], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    ) as parent:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline().split()[0])
        try:
            assert alive(worker)
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait(timeout=10)
            deadline = time.monotonic() + 5
            while alive(worker) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not alive(worker), "the worker outlived its parent's kill -9"
        finally:
            if alive(worker):
                os.kill(worker, signal.SIGKILL)


def test_desired_worker_exits_after_kill_9_of_watcher(tmp_path: Path) -> None:
    desired = tmp_path / "desired.yaml"
    desired.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n")
    kill_parent_and_watch(LOADER_SCRIPT, str(desired), tmp_path=tmp_path)


def test_parent_poll_alone_ends_orphan(tmp_path: Path) -> None:
    kill_parent_and_watch(POLL_SCRIPT, tmp_path=tmp_path)
